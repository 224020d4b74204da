"""Outbox handlers of the IoT core: NGSI-LD notifications after new telemetry is committed."""

from __future__ import annotations

from typing import Any

from smartcity.iot.subscriptions import notify_subscribers

HANDLERS: dict[str, list[Any]] = {"iot.TelemetryIngested": [notify_subscribers]}
