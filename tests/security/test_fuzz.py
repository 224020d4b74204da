"""OpenAPI-driven fuzzing once per role on the embedded default, SQLite (see fuzzing.py; PostgreSQL has its
own file, test_fuzz_postgresql.py, so that the other xdist worker can run it at the same time)."""

from __future__ import annotations

import pytest

from tests.security.conftest import ROLES
from tests.security.fuzzing import assert_no_server_error_nor_mismatch, fuzz_as


@pytest.mark.parametrize("role", list(ROLES))
def test_fuzzing_as_each_role_finds_no_server_error(role_app, role):
    assert_no_server_error_nor_mismatch(fuzz_as(role_app, role))
