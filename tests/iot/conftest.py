"""Fixtures of the IoT tests: callers with roles, registered devices, message builders."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from smartcity.core.security import Actor
from smartcity.iot import service
from smartcity.iot.auth import current_actor
from smartcity.iot.schemas import DeviceCreate

SYSTEM = Actor.system("test")
OPERATOR = Actor(kind="user", name="op", user_id=1, roles=frozenset({("operator", None)}))
INTEGRATOR = Actor(kind="apikey", name="integration", roles=frozenset({("integrator", None)}))
CITIZEN = Actor(kind="user", name="dan", user_id=2, roles=frozenset({("citizen", None)}))
TDM = (106.6537, 10.9804)  # a point in Thủ Dầu Một


@pytest.fixture
def act_as(app) -> Callable[[Actor], None]:  # type: ignore[no-untyped-def]
    """Make every request of the test client come from this actor."""

    def use(actor: Actor) -> None:
        app.dependency_overrides[current_actor] = lambda: actor

    yield use
    app.dependency_overrides.pop(current_actor, None)


@pytest.fixture
def add_device(db) -> Callable[..., service.NewDevice]:  # type: ignore[no-untyped-def]
    """Register a device: add_device("SL-1", "streetlight", tags=["d1"])."""

    def add(
        device_id: str, kind: str = "streetlight", *, lon: float = TDM[0], lat: float = TDM[1], **fields: Any
    ) -> service.NewDevice:
        data = DeviceCreate(
            id=device_id, type=kind, location={"type": "Point", "coordinates": [lon, lat]}, **fields
        )
        return service.register_device(db, actor=SYSTEM, data=data)

    return add


def message(
    msg_id: str, values: dict[str, Any], *, ts: datetime | None = None, **extra: Any
) -> dict[str, Any]:
    """A device message as devices send it."""
    stamp = (ts or datetime.now(UTC)).isoformat()
    return {"msg_id": msg_id, "ts": stamp, "values": values, **extra}
