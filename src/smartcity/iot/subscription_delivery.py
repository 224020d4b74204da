"""Delivering NGSI-LD notifications: matching changes to subscriptions, posting them, retrying what failed."""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import httpx
from sqlalchemy import delete, func, or_, select, update

from smartcity.core.db import Database, utcnow
from smartcity.iot import service
from smartcity.iot.config import IotSettings, get_iot_settings
from smartcity.iot.device_types import device_types
from smartcity.iot.events import TelemetryIngested
from smartcity.iot.models import Device, NgsiDelivery, NgsiSubscription
from smartcity.iot.ngsi import (
    BadRequestData,
    GeoQuery,
    build_entity,
    parse_q,
    short_type,
)

log = logging.getLogger(__name__)
POST_TIMEOUT_S = 5.0
MAX_ATTEMPTS = 6
RETRY_DELAYS = tuple(timedelta(seconds=n) for n in (10, 60, 300, 1800, 3600))
LEASE = timedelta(seconds=60)  # a sender that died mid-attempt leaves the delivery to a retry after this
KEEP_FINISHED = timedelta(days=7)
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ngsi-notify")
_pending: set[Future[None]] = set()
_pending_lock = threading.Lock()


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise BadRequestData(f"idPattern: {exc}") from None


def endpoint_refusal(uri: str, settings: IotSettings | None = None) -> str | None:
    """Why the platform may not POST to `uri` (a non-public address), or None when it may."""
    if (settings or get_iot_settings()).ngsi_allow_private_endpoints:
        return None
    parsed = urlparse(uri)
    try:
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        infos = socket.getaddrinfo(parsed.hostname or "", port, type=socket.SOCK_STREAM)
    except (ValueError, OSError):
        return f"the host {parsed.hostname!r} does not resolve"
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        mapped = getattr(address, "ipv4_mapped", None)
        address = mapped or address
        if not address.is_global or address.is_multicast:
            return f"{parsed.hostname} resolves to a non-public address ({address}), which is not allowed"
    return None


def _stamp(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


@dataclass(frozen=True)
class Change:
    """A device whose values changed, with the changed keys, its entity (key-values) and state."""

    device: Device
    keys: frozenset[str]
    state: dict[str, tuple[Any, datetime]]
    simple: dict[str, Any]


@dataclass(frozen=True)
class Matcher:
    """A subscription's filters, parsed once: entities, watchedAttributes, q and geoQ."""

    spec: dict[str, Any]
    q: Callable[[dict[str, Any]], bool] | None
    geo: GeoQuery | None

    @classmethod
    def of(cls, spec: dict[str, Any]) -> Matcher:
        """The matcher of a stored subscription spec."""
        geo = spec.get("geoQ")
        return cls(
            spec,
            parse_q(spec["q"]) if spec.get("q") else None,
            GeoQuery.parse(geo["georel"], geo["geometry"], geo["coordinates"]) if geo else None,
        )

    def matches(self, change: Change) -> bool:
        """True when a change concerns the subscription."""
        entities, watched = self.spec.get("entities"), self.spec.get("watchedAttributes")
        if entities and not any(_selects(s, change.simple) for s in entities):
            return False
        if watched and not change.keys & set(watched):
            return False
        if self.q is not None and not self.q(change.simple):
            return False
        return self.geo is None or self.geo.matches(change.device.lon, change.device.lat)


def _selects(selector: dict[str, str], entity: dict[str, Any]) -> bool:
    if short_type(selector["type"]) != entity["type"]:
        return False
    if "id" in selector and selector["id"] != entity["id"]:
        return False
    return "idPattern" not in selector or bool(_compile(selector["idPattern"]).search(entity["id"]))


def notification_body(subscription_id: str, spec: dict[str, Any], changes: list[Change]) -> dict[str, Any]:
    """The Notification sent for some matching changes."""
    attrs = set(spec["notification"]["attributes"]) if spec["notification"].get("attributes") else None
    key_values = spec["notification"]["format"] == "keyValues"
    body: dict[str, Any] = {
        "id": f"urn:ngsi-ld:Notification:{uuid.uuid4()}",
        "type": "Notification",
        "subscriptionId": subscription_id,
        "notifiedAt": _stamp(utcnow()),
        "data": [build_entity(c.device, c.state, attrs=attrs, key_values=key_values) for c in changes],
    }
    if spec["notification"]["endpoint"]["accept"] == "application/ld+json" and spec.get("jsonldContext"):
        body["@context"] = spec["jsonldContext"]
    return body


def notify_subscribers(event: TelemetryIngested, db: Database) -> None:
    """Outbox handler: store a delivery for each subscription the new values match, and try it now."""
    now = utcnow()
    subscriptions = _live_subscriptions(db, now)
    if not subscriptions:
        return
    changes = _changes(db, event)
    deliveries = []
    for subscription in subscriptions:
        matcher = Matcher.of(subscription.spec)
        matching = [c for c in changes if matcher.matches(c)]
        if matching and _claim(db, subscription, now):
            body = notification_body(subscription.id, subscription.spec, matching)
            deliveries.append(
                NgsiDelivery(
                    subscription_id=subscription.id, body=body, status="pending", next_attempt_at=now
                )
            )
    if not deliveries:
        return
    with db.write_session() as s:
        s.add_all(deliveries)
        s.flush()
        ids = [d.id for d in deliveries]
    for delivery_id in ids:
        _submit(db, delivery_id)


def _live_subscriptions(db: Database, now: datetime) -> list[NgsiSubscription]:
    query = select(NgsiSubscription).where(
        NgsiSubscription.is_active.is_(True),
        or_(NgsiSubscription.expires_at.is_(None), NgsiSubscription.expires_at > now),
    )
    return db.all(query.order_by(NgsiSubscription.id))


def _changes(db: Database, event: TelemetryIngested) -> list[Change]:
    keys = {device_id: frozenset(names) for device_id, names in event.changes}
    devices = [d for d in service.find_devices(db, device_ids=sorted(keys)) if d.status != "decommissioned"]
    states = service.latest_state(db, device_ids=[d.id for d in devices])
    return [
        Change(d, keys[d.id], states[d.id], build_entity(d, states[d.id], key_values=True))
        for d in devices
        if d.type in device_types()
    ]


def _claim(db: Database, subscription: NgsiSubscription, now: datetime) -> bool:
    """Mark a throttled notification as due now unless it is too early (atomic); others are always due.

    Without throttling, lastNotification is written with the outcome, saving a write per notification.
    """
    if not subscription.throttling:
        return True
    since = now - timedelta(seconds=subscription.throttling)
    query = (
        update(NgsiSubscription)
        .where(NgsiSubscription.id == subscription.id)
        .where(or_(NgsiSubscription.last_notification.is_(None), NgsiSubscription.last_notification <= since))
    )
    with db.write_session() as s:
        result: Any = s.execute(query.values(last_notification=now))
        return bool(result.rowcount)


def _submit(db: Database, delivery_id: int) -> None:
    future = _pool.submit(attempt_delivery, db, delivery_id)
    with _pending_lock:
        _pending.add(future)
    future.add_done_callback(_forget)


def _forget(future: Future[None]) -> None:
    with _pending_lock:
        _pending.discard(future)
    error = future.exception()
    if error is not None:
        log.error("an NGSI-LD notification attempt failed to run", exc_info=error)


def _take(db: Database, delivery_id: int, now: datetime) -> tuple[NgsiDelivery, dict[str, str]] | None:
    """Lease a due delivery (atomic, so one sender at a time) with its subscription's endpoint."""
    lease = (
        update(NgsiDelivery)
        .where(NgsiDelivery.id == delivery_id, NgsiDelivery.status == "pending")
        .where(NgsiDelivery.next_attempt_at <= now)
        .values(next_attempt_at=now + LEASE)
    )
    with db.write_session() as s:
        result: Any = s.execute(lease)
        if not result.rowcount:
            return None
        delivery = s.get(NgsiDelivery, delivery_id)
        subscription = s.get(NgsiSubscription, delivery.subscription_id) if delivery else None
        if delivery is None or subscription is None:
            return None
        s.expunge(delivery)
        return delivery, dict(subscription.spec["notification"]["endpoint"])


def attempt_delivery(db: Database, delivery_id: int, *, now: datetime | None = None) -> None:
    """POST one due notification once and record how it went (a later retry, or done)."""
    taken = _take(db, delivery_id, now or utcnow())
    if taken is None:
        return
    delivery, endpoint = taken
    body = {**delivery.body, "notifiedAt": _stamp(utcnow())}
    error = endpoint_refusal(endpoint["uri"])  # again: a name may resolve elsewhere by now
    if error is None:
        error = _post(delivery.subscription_id, endpoint, body)
    _record(db, delivery, datetime.fromisoformat(body["notifiedAt"].replace("Z", "+00:00")), error)


def _post(subscription_id: str, endpoint: dict[str, str], body: dict[str, Any]) -> str | None:
    """POST the notification; the error, or None when the receiver accepted it (2xx)."""
    accept = endpoint.get("accept", "application/json")
    headers = {"Content-Type": accept, "NGSILD-Subscription-Id": subscription_id}
    try:
        response = httpx.post(endpoint["uri"], json=body, headers=headers, timeout=POST_TIMEOUT_S)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"[:500]
    return f"HTTP {response.status_code}" if response.status_code >= 300 else None


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt."""
    return RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]


def _record(db: Database, delivery: NgsiDelivery, notified: datetime, error: str | None) -> None:
    now, attempts = utcnow(), delivery.attempts + 1
    counters: dict[str, Any] = {"times_sent": NgsiSubscription.times_sent + 1, "last_notification": notified}
    outcome: dict[str, Any] = {"attempts": attempts, "last_error": error}
    if error is None:
        counters["last_success"] = now
        outcome["status"] = "sent"
    else:
        counters.update(
            times_failed=NgsiSubscription.times_failed + 1, last_failure=now, last_failure_reason=error
        )
        if attempts >= MAX_ATTEMPTS:
            outcome["status"] = "failed"
        else:
            outcome["next_attempt_at"] = now + retry_delay(attempts)
        log.warning("NGSI-LD notification %s, attempt %d: %s", delivery.id, attempts, error)
    with db.write_session() as s:
        s.execute(update(NgsiDelivery).where(NgsiDelivery.id == delivery.id).values(**outcome))
        s.execute(
            update(NgsiSubscription).where(NgsiSubscription.id == delivery.subscription_id).values(**counters)
        )


def deliver_due(db: Database, *, now: datetime | None = None, limit: int = 200) -> int:
    """Attempt the deliveries whose retry is due; forget delivered ones after a day. Returns attempts."""
    now = now or utcnow()
    due = (
        select(NgsiDelivery.id)
        .where(NgsiDelivery.status == "pending", NgsiDelivery.next_attempt_at <= now)
        .order_by(NgsiDelivery.next_attempt_at)
        .limit(limit)
    )
    ids = db.all(due)
    for delivery_id in ids:
        attempt_delivery(db, delivery_id, now=now)
    with db.write_session() as s:
        s.execute(
            delete(NgsiDelivery).where(
                NgsiDelivery.status != "pending", NgsiDelivery.created_at < now - KEEP_FINISHED
            )
        )
    return len(ids)


def delivery_counts(db: Database, *, subscription_id: str) -> dict[str, int]:
    """How many deliveries of a subscription are pending, sent and failed."""
    query = (
        select(NgsiDelivery.status, func.count())
        .where(NgsiDelivery.subscription_id == subscription_id)
        .group_by(NgsiDelivery.status)
    )
    with db.session() as s:
        return {status: count for status, count in s.execute(query)}


def wait_for_deliveries(timeout: float = 10.0) -> None:
    """Wait until the notifications under way are sent and recorded (tests, orderly shutdown)."""
    with _pending_lock:
        pending = set(_pending)
    wait(pending, timeout=timeout)
