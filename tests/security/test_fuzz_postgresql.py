"""OpenAPI-driven fuzzing once per role on PostgreSQL with PostGIS, in a database of its own (see fuzzing.py):
the same requests as test_fuzz.py sends to SQLite, so an engine difference shows as a failure here."""

from __future__ import annotations

import pytest

from tests.security.conftest import ROLES
from tests.security.fuzzing import assert_no_server_error_nor_mismatch, fuzz_as


@pytest.mark.parametrize("role", list(ROLES))
def test_fuzzing_on_postgresql_as_each_role_finds_no_server_error(postgres_role_app, role):
    assert_no_server_error_nor_mismatch(fuzz_as(postgres_role_app, role))
