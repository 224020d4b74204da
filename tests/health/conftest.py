"""Fixtures of the health tests: the city with health stations and roles, users with bearer tokens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from smartcity.accounts import service as accounts_service
from smartcity.core.security import Actor
from smartcity.health import service

SYSTEM = Actor.system("test")
NATIONAL = "http://dancuquocgia.gov.vn/fhir/NamingSystem/cccd"
WARD_EXT = "http://thudaumot.gov.vn/fhir/StructureDefinition/address-ward"
PASSWORD = "correct horse battery"


@pytest.fixture
def city(db, settings):  # type: ignore[no-untyped-def]
    """The Thủ Dầu Một pack, the health roles and a health station per ward."""
    from smartcity.city.loader import load_city_pack

    load_city_pack(db, pack="thu-dau-mot", actor=SYSTEM)
    service.ensure_health_roles(db)
    service.ensure_health_stations(db, actor=SYSTEM, on=date(2026, 1, 1))
    return db


@pytest.fixture
def user_token(city, settings) -> Callable[..., tuple[int, str]]:  # type: ignore[no-untyped-def]
    """Make a user with one role (in a unit) and return (user id, bearer token)."""
    counter = iter(range(1, 1000))

    def make(role: str, unit: str | None = None, username: str | None = None) -> tuple[int, str]:
        name = username or f"{role.replace('_', '')}{next(counter)}"
        user = accounts_service.create_user(
            city, actor=SYSTEM, username=name, password=PASSWORD, full_name=name, roles=[(role, unit)]
        )
        token = accounts_service.issue_token(settings, user_id=user.id, generation=0)
        return user.id, token.access_token

    return make


def bearer(token: str) -> dict[str, str]:
    """Headers of a FHIR call with a bearer token."""
    return {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}


def patient(
    cccd: str, family: str, given: str, birth: str, gender: str = "female", ward: str = "25747", **extra: Any
) -> dict[str, Any]:
    """A Patient with a citizen ID and an address in a ward."""
    return {
        "resourceType": "Patient",
        "identifier": [{"system": NATIONAL, "value": cccd}],
        "name": [{"family": family, "given": given.split()}],
        "gender": gender,
        "birthDate": birth,
        "address": [{"extension": [{"url": WARD_EXT, "valueCoding": {"code": ward}}], "city": "Thủ Dầu Một"}],
        **extra,
    }
