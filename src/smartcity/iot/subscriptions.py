"""NGSI-LD subscriptions (ETSI GS CIM 009 §5.8): stored, matched on ingestion, notified by HTTP POST.

Delivery is at least once: after commit, the outbox handler of iot.TelemetryIngested stores one delivery
row per matching subscription and tries it at once on a small thread pool (neither ingestion nor the
outbox relay waits for a slow receiver); a failed attempt is retried with growing delays by the periodic
task iot.deliver_notifications until the receiver accepts it or MAX_ATTEMPTS are spent. Every attempt is
counted on the subscription (timesSent, timesFailed, lastSuccess, lastFailure, notification status). A
receiver sees the same notification id again when a retry follows a lost answer.

A subscription belongs to the API client that created it; others get 404, administrators see all.
Notification endpoints that resolve to loopback, private, link-local or other non-public addresses are
refused (SSRF) unless SMARTCITY_NGSI_ALLOW_PRIVATE_ENDPOINTS is set.
"""

from __future__ import annotations

import ipaddress
import json
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
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.iot import service
from smartcity.iot.config import IotSettings, get_iot_settings
from smartcity.iot.device_types import device_types
from smartcity.iot.events import TelemetryIngested
from smartcity.iot.models import Device, NgsiDelivery, NgsiSubscription
from smartcity.iot.ngsi import (
    AlreadyExists,
    BadRequestData,
    GeoQuery,
    ResourceNotFound,
    build_entity,
    parse_q,
    short_type,
)

log = logging.getLogger(__name__)
ID_PREFIX = "urn:ngsi-ld:Subscription:"
FORMATS = ("normalized", "keyValues")
ACCEPTS = ("application/json", "application/ld+json")
SPEC_FIELDS = (
    "description",
    "entities",
    "watchedAttributes",
    "q",
    "geoQ",
    "notification",
    "subscriptionName",
    "jsonldContext",
)
POST_TIMEOUT_S = 5.0
MAX_ATTEMPTS = 6
RETRY_DELAYS = tuple(timedelta(seconds=n) for n in (10, 60, 300, 1800, 3600))
LEASE = timedelta(seconds=60)  # a sender that died mid-attempt leaves the delivery to a retry after this
KEEP_FINISHED = timedelta(days=7)
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ngsi-notify")
_pending: set[Future[None]] = set()
_pending_lock = threading.Lock()


# ---------------------------------------------------------------- validation


def _text_list(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise BadRequestData(f"{name} must be a non-empty array of names")
    return list(value)


def _entities(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list) or not value:
        raise BadRequestData("entities must be a non-empty array")
    selectors = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            raise BadRequestData("each entities item needs a type")
        selector = {k: item[k] for k in ("id", "idPattern", "type") if isinstance(item.get(k), str)}
        if "idPattern" in selector:
            _compile(selector["idPattern"])
        selectors.append(selector)
    return selectors


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise BadRequestData(f"idPattern: {exc}") from None


def _notification(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadRequestData("notification is required")
    endpoint = value.get("endpoint")
    if not isinstance(endpoint, dict):
        raise BadRequestData("notification.endpoint is required")
    uri = endpoint.get("uri")
    if not isinstance(uri, str) or not re.match(r"https?://[^\s/]+", uri):
        raise BadRequestData("notification.endpoint.uri must be an http(s) URL")
    refusal = endpoint_refusal(uri)
    if refusal:
        raise BadRequestData(f"notification.endpoint.uri: {refusal}")
    accept = endpoint.get("accept", "application/json")
    if accept not in ACCEPTS:
        raise BadRequestData(f"notification.endpoint.accept must be one of {', '.join(ACCEPTS)}")
    fmt = value.get("format", "normalized")
    if fmt not in FORMATS:
        raise BadRequestData(f"notification.format must be one of {', '.join(FORMATS)}")
    result: dict[str, Any] = {"format": fmt, "endpoint": {"uri": uri, "accept": accept}}
    if value.get("attributes") is not None:
        result["attributes"] = _text_list(value["attributes"], "notification.attributes")
    return result


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


def _geo(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadRequestData("geoQ must be an object")
    coordinates = value.get("coordinates")
    text = coordinates if isinstance(coordinates, str) else json.dumps(coordinates)
    GeoQuery.parse(value.get("georel"), value.get("geometry"), text)
    return {"georel": value.get("georel"), "geometry": value.get("geometry"), "coordinates": text}


def _expires(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise BadRequestData("expiresAt must be an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        raise BadRequestData("expiresAt needs a time zone (for example Z)")
    return moment


def _throttling(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise BadRequestData("throttling must be a positive number of seconds")
    return float(value)


def _clean_spec(body: dict[str, Any], base: dict[str, Any] | None = None) -> dict[str, Any]:
    """The validated spec (merged over `base` for a PATCH)."""
    spec = dict(base or {})
    checks = {
        "entities": _entities,
        "watchedAttributes": lambda v: _text_list(v, "watchedAttributes"),
        "notification": _notification,
        "geoQ": _geo,
    }
    for name in SPEC_FIELDS:
        if name not in body:
            continue
        value = body[name]
        if name == "q":
            if not isinstance(value, str):
                raise BadRequestData("q must be a string")
            parse_q(value)
        elif name in checks:
            value = checks[name](value)
        elif not isinstance(value, str):
            raise BadRequestData(f"{name} must be a string")
        spec[name] = value
    if "notification" not in spec:
        raise BadRequestData("notification is required")
    if not spec.get("entities") and not spec.get("watchedAttributes"):
        raise BadRequestData("a subscription needs entities or watchedAttributes")
    return spec


# ---------------------------------------------------------------- use cases


def create_subscription(
    db: Database, *, actor: Actor, body: Any, context_url: str | None = None
) -> NgsiSubscription:
    """Store a subscription from its NGSI-LD JSON; returns it (id urn:ngsi-ld:Subscription:...).

    `context_url` (this broker's @context) becomes its jsonldContext unless the body names one.
    """
    if not isinstance(body, dict) or body.get("type") != "Subscription":
        raise BadRequestData('a subscription is an object with "type": "Subscription"')
    if context_url and "jsonldContext" not in body:
        body = {**body, "jsonldContext": context_url}
    sub_id = body.get("id") or f"{ID_PREFIX}{uuid.uuid4()}"
    if not isinstance(sub_id, str) or ":" not in sub_id:
        raise BadRequestData("the id of a subscription must be a URI")
    subscription = NgsiSubscription(
        id=sub_id,
        spec=_clean_spec(body),
        is_active=_active_flag(body.get("isActive", True)),
        expires_at=_expires(body.get("expiresAt")),
        throttling=_throttling(body.get("throttling")),
        created_by=actor.label,
        times_sent=0,
        times_failed=0,
    )
    with UnitOfWork(db, actor) as uow:
        if uow.session.get(NgsiSubscription, sub_id) is not None:
            raise AlreadyExists(f"subscription {sub_id!r} exists already")
        uow.session.add(subscription)
        uow.audit("iot.subscription.create", "ngsi_subscription", sub_id, after=subscription.spec)
    return subscription


def _active_flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise BadRequestData("isActive must be true or false")
    return value


def update_subscription(db: Database, *, actor: Actor, subscription_id: str, body: Any) -> NgsiSubscription:
    """Change some members of a subscription (PATCH semantics)."""
    if not isinstance(body, dict) or not body:
        raise BadRequestData("send an object with the members to change")
    if "id" in body and body["id"] != subscription_id:
        raise BadRequestData("the id of a subscription cannot change")
    with UnitOfWork(db, actor) as uow:
        subscription = _get(uow.session, subscription_id, actor)
        before = subscription_json(subscription)
        subscription.spec = _clean_spec(body, subscription.spec)
        if "isActive" in body:
            subscription.is_active = _active_flag(body["isActive"])
        if "expiresAt" in body:
            subscription.expires_at = _expires(body["expiresAt"])
        if "throttling" in body:
            subscription.throttling = _throttling(body["throttling"])
        uow.audit(
            "iot.subscription.update",
            "ngsi_subscription",
            subscription_id,
            before=before,
            after=subscription.spec,
        )
    return subscription


def delete_subscription(db: Database, *, actor: Actor, subscription_id: str) -> None:
    """Remove a subscription and its pending deliveries: no more notifications."""
    with UnitOfWork(db, actor) as uow:
        subscription = _get(uow.session, subscription_id, actor)
        uow.audit("iot.subscription.delete", "ngsi_subscription", subscription_id, before=subscription.spec)
        uow.session.execute(delete(NgsiDelivery).where(NgsiDelivery.subscription_id == subscription_id))
        uow.session.delete(subscription)


def _sees_all(actor: Actor) -> bool:
    return actor.has_role("admin")


def _get(session: Any, subscription_id: str, actor: Actor) -> NgsiSubscription:
    """The subscription if this actor may see it; another client's is as absent as a missing one."""
    subscription = session.get(NgsiSubscription, subscription_id)
    if subscription is None or not (_sees_all(actor) or subscription.created_by == actor.label):
        raise ResourceNotFound(f"no subscription {subscription_id!r}")
    return subscription


def get_subscription(db: Database, *, actor: Actor, subscription_id: str) -> NgsiSubscription:
    """One subscription of the caller (any, for an administrator)."""
    with db.session() as s:
        return _get(s, subscription_id, actor)


def list_subscriptions(
    db: Database, *, actor: Actor, limit: int = 100, offset: int = 0
) -> tuple[list[NgsiSubscription], int]:
    """The caller's subscriptions (all, for an administrator) oldest first, and how many there are."""
    query = select(NgsiSubscription)
    if not _sees_all(actor):
        query = query.where(NgsiSubscription.created_by == actor.label)
    with db.session() as s:
        total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
        page = query.order_by(NgsiSubscription.created_at, NgsiSubscription.id).limit(limit).offset(offset)
        return list(s.scalars(page)), total


def _stamp(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def status_of(subscription: NgsiSubscription, now: datetime | None = None) -> str:
    """active, paused or expired."""
    now = now or utcnow()
    if subscription.expires_at is not None and subscription.expires_at <= now:
        return "expired"
    return "active" if subscription.is_active else "paused"


def subscription_json(subscription: NgsiSubscription) -> dict[str, Any]:
    """The NGSI-LD representation of a subscription, with its notification statistics."""
    spec = subscription.spec
    notification = {
        **spec["notification"],
        "status": "failed" if _failed_last(subscription) else "ok",
        "timesSent": subscription.times_sent,
        "timesFailed": subscription.times_failed,
    }
    for name, moment in (
        ("lastNotification", subscription.last_notification),
        ("lastSuccess", subscription.last_success),
        ("lastFailure", subscription.last_failure),
    ):
        if moment:
            notification[name] = _stamp(moment)
    body: dict[str, Any] = {"id": subscription.id, "type": "Subscription"}
    body.update({k: spec[k] for k in SPEC_FIELDS if k in spec and k != "notification"})
    body["notification"] = notification
    body["isActive"] = subscription.is_active
    body["status"] = status_of(subscription)
    if subscription.expires_at:
        body["expiresAt"] = _stamp(subscription.expires_at)
    if subscription.throttling:
        body["throttling"] = subscription.throttling
    return body


def _failed_last(subscription: NgsiSubscription) -> bool:
    if subscription.last_failure is None:
        return False
    return subscription.last_success is None or subscription.last_failure > subscription.last_success


# ---------------------------------------------------------------- matching and notifying


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
    with db.session() as s:
        return list(s.scalars(query.order_by(NgsiSubscription.id)))


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
    with db.session() as s:
        ids = list(s.scalars(due))
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
