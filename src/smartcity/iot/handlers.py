"""Outbox handlers of the IoT core: NGSI-LD notifications after new telemetry, a fresh broker CRL after a
revocation."""

from __future__ import annotations

from typing import Any

from smartcity.core.db import Database
from smartcity.iot.config import get_iot_settings
from smartcity.iot.subscriptions import notify_subscribers
from smartcity.signing.events import CertificateRevoked


def refresh_crl_after_revocation(event: CertificateRevoked, db: Database) -> None:
    """A certificate was revoked: rewrite the broker's crl.pem now and reload it (when a broker is set)."""
    from smartcity.iot.broker import refresh_crl

    iot = get_iot_settings()
    if iot.mqtt_broker_dir is not None:
        refresh_crl(
            db, iot.mqtt_broker_dir, reload_command=iot.mqtt_broker_reload_command, settings=db.settings
        )


HANDLERS: dict[str, list[Any]] = {
    "iot.TelemetryIngested": [notify_subscribers],
    "signing.CertificateRevoked": [refresh_crl_after_revocation],
}
