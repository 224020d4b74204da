"""Periodic jobs of the cameras domain: events that arrived over MQTT through the IoT core."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from smartcity.cameras import service
from smartcity.core.db import Database


def pull_mqtt_events(db: Database) -> int:
    """Turn cameras' MQTT event messages into camera events."""
    return service.pull_mqtt_events(db)


TASKS: dict[str, Callable[[Database], int]] = {"cameras.pull_mqtt_events": pull_mqtt_events}
INTERVALS = {"cameras.pull_mqtt_events": timedelta(seconds=20)}
