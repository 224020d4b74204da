"""Periodic jobs of the cameras domain: events that arrived over MQTT through the IoT core."""

from __future__ import annotations

from datetime import timedelta

from smartcity.cameras import service
from smartcity.core.db import Database
from smartcity.core.scheduler import every


def pull_mqtt_events(db: Database) -> int:
    """Turn cameras' MQTT event messages into camera events."""
    return service.pull_mqtt_events(db)


TASKS, INTERVALS = every(("cameras.pull_mqtt_events", pull_mqtt_events, timedelta(seconds=20)))
