"""Fixtures of the environment tests: callers, a station with hourly readings, flood gauges."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from smartcity.core.security import Actor
from smartcity.environment import service
from smartcity.environment.schemas import StationCreate
from smartcity.iot import service as iot_service
from smartcity.web.deps import current_actor

SYSTEM = Actor.system("test")
OPERATOR = Actor(kind="user", name="op", user_id=1, roles=frozenset({("operator", None)}))
TDM = (106.6537, 10.9804)


@pytest.fixture
def act_as(app) -> Iterator[Callable[[Actor], None]]:  # type: ignore[no-untyped-def]
    """Make every request of the test client come from this actor."""

    def use(actor: Actor) -> None:
        app.dependency_overrides[current_actor] = lambda: actor

    yield use
    app.dependency_overrides.pop(current_actor, None)


@pytest.fixture
def station(db, settings) -> Callable[..., Any]:  # type: ignore[no-untyped-def]
    """Install a station: station("AQ-1", "air") or station("FL-1", "flood", alert_level_cm=-10)."""

    def add(station_id: str, kind: str = "air", **fields: Any) -> Any:
        data = StationCreate(
            id=station_id, kind=kind, name=f"Trạm {station_id}", lon=TDM[0], lat=TDM[1], **fields
        )
        return service.create_station(db, actor=SYSTEM, data=data)

    return add


def send(db: Any, device_id: str, at: datetime, values: dict[str, Any], msg_id: str | None = None) -> None:
    """Ingest one message of a device at a moment."""
    envelope = iot_service.Envelope(
        payload={
            "ts": at.isoformat(),
            "msg_id": msg_id or f"{device_id}-{at:%Y%m%d%H%M%S}",
            "values": values,
        },
        device_id=device_id,
    )
    outcome = iot_service.ingest(db, envelopes=[envelope], now=at + timedelta(seconds=1))
    assert not outcome.refused, outcome.refused


def hour(text: str) -> datetime:
    """A UTC moment from 'YYYY-MM-DD HH:MM'."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
