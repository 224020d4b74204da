"""Fixtures of the operations-centre tests: the city loaded, the PKI, staff who can log in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from smartcity.accounts import service as accounts_service
from smartcity.core import config as core_config
from smartcity.core.security import Actor
from smartcity.lighting import service as lighting_service
from smartcity.signing import service as signing_service

SYSTEM = Actor.system("test")
OPERATOR = Actor(kind="user", name="vanhanh", user_id=9001, roles=frozenset({("operator", None)}))
LEADER = Actor(kind="user", name="lanhdao", user_id=9002, roles=frozenset({("leader", None)}))
PASSWORD = "correct horse battery"
YERSIN = (106.6525, 10.9805)  # a crossroads of Phường Thủ Dầu Một
REAL_IN_DAYLIGHT = lighting_service.in_daylight  # the sun as it is (`night_at_the_scene` replaces it)


@pytest.fixture(autouse=True)
def quick_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Small RSA keys so that the PKI stays quick."""
    monkeypatch.setenv("SMARTCITY_SIGNING_ROOT_KEY_BITS", "2048")
    core_config.get_settings.cache_clear()
    yield
    core_config.get_settings.cache_clear()


@pytest.fixture(autouse=True)
def night_at_the_scene(monkeypatch: pytest.MonkeyPatch) -> None:
    """The centre's tests run at any hour of the day: the playbook's street-light step finds it night at the
    scene (it does nothing in daylight; `test_ioc_playbook_daylight` tests that with the real sun)."""
    monkeypatch.setattr(lighting_service, "in_daylight", lambda *_args, **_kwargs: False)


@pytest.fixture
def city(db, settings):  # type: ignore[no-untyped-def]
    """The Thủ Dầu Một pack loaded (wards, org units, 1022 categories, default notification rules)."""
    from smartcity.city.loader import load_city_pack

    load_city_pack(db, pack="thu-dau-mot", actor=SYSTEM)
    return db


@pytest.fixture
def pki(city, settings):  # type: ignore[no-untyped-def]
    """The city's PKI initialised (CAP alerts are signed by a key its issuing CA certifies)."""
    signing_service.init_pki(city, actor=SYSTEM, settings=settings)
    return city


def login(client, username: str, roles: list[tuple[str, str | None]]) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Create a user and return bearer-token headers for it."""
    db = client.app.state.db
    accounts_service.create_user(db, actor=SYSTEM, username=username, password=PASSWORD, roles=roles)
    token = accounts_service.login_for_token(
        db, settings=client.app.state.settings, username=username, password=PASSWORD, client_ip="10.0.0.8"
    ).access_token
    return {"Authorization": f"Bearer {token}"}
