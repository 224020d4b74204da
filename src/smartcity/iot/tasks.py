"""Periodic jobs of the IoT core, run by `smartcity worker` (and the demo's in-process relay)."""

from __future__ import annotations

from datetime import timedelta

from smartcity.core.db import Database, utcnow
from smartcity.core.scheduler import every
from smartcity.iot import service
from smartcity.iot.config import get_iot_settings


def expire_commands(db: Database) -> int:
    """Mark commands that were not acknowledged in time as timed out."""
    return service.expire_commands(db)


def check_silent_devices(db: Database) -> int:
    """Raise 'no data' alarms for devices that stopped reporting."""
    return service.check_silent_devices(db)


def ensure_telemetry_partitions(db: Database) -> int:
    """Create the monthly telemetry partitions of this month and the next two (PostgreSQL)."""
    return service.ensure_telemetry_partitions(db, months_ahead=2)


def deliver_notifications(db: Database) -> int:
    """Retry the NGSI-LD notifications whose receivers have not accepted them yet."""
    from smartcity.iot.subscriptions import deliver_due

    return deliver_due(db)


def refresh_broker_crl(db: Database) -> int:
    """Rewrite the broker's crl.pem well before it expires (when SMARTCITY_MQTT_BROKER_DIR is set)."""
    from smartcity.iot.broker import crl_due, refresh_crl

    iot = get_iot_settings()
    if iot.mqtt_broker_dir is None or not crl_due(iot.mqtt_broker_dir / "crl.pem", now=utcnow()):
        return 0
    refresh_crl(db, iot.mqtt_broker_dir, reload_command=iot.mqtt_broker_reload_command, settings=db.settings)
    return 1


TASKS, INTERVALS = every(
    ("iot.expire_commands", expire_commands, timedelta(seconds=30)),
    ("iot.check_silent_devices", check_silent_devices, timedelta(minutes=1)),
    ("iot.ensure_telemetry_partitions", ensure_telemetry_partitions, timedelta(hours=6)),
    ("iot.deliver_notifications", deliver_notifications, timedelta(seconds=10)),
    ("iot.refresh_broker_crl", refresh_broker_crl, timedelta(hours=1)),
)
