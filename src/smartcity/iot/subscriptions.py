"""NGSI-LD subscriptions (ETSI GS CIM 009 §5.8): stored, matched on ingestion, notified by HTTP POST.

Notifications are sent after commit by the outbox handler of iot.TelemetryIngested; the POST itself runs
on a small thread pool so that neither ingestion nor the outbox relay waits for a slow receiver. Each
outcome is recorded on the subscription (timesSent, lastSuccess, lastFailure, status).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import or_, select, update

from smartcity.core.db import Database, utcnow
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.iot import service
from smartcity.iot.device_types import device_types
from smartcity.iot.events import TelemetryIngested
from smartcity.iot.models import Device, NgsiSubscription
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
        subscription = _get(uow.session, subscription_id)
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
    """Remove a subscription: no more notifications."""
    with UnitOfWork(db, actor) as uow:
        subscription = _get(uow.session, subscription_id)
        uow.audit("iot.subscription.delete", "ngsi_subscription", subscription_id, before=subscription.spec)
        uow.session.delete(subscription)


def _get(session: Any, subscription_id: str) -> NgsiSubscription:
    subscription = session.get(NgsiSubscription, subscription_id)
    if subscription is None:
        raise ResourceNotFound(f"no subscription {subscription_id!r}")
    return subscription


def get_subscription(db: Database, *, subscription_id: str) -> NgsiSubscription:
    """One subscription."""
    with db.session() as s:
        return _get(s, subscription_id)


def list_subscriptions(
    db: Database, *, limit: int = 100, offset: int = 0
) -> tuple[list[NgsiSubscription], int]:
    """Subscriptions oldest first, and how many there are."""
    with db.session() as s:
        every = list(
            s.scalars(select(NgsiSubscription).order_by(NgsiSubscription.created_at, NgsiSubscription.id))
        )
    return every[offset : offset + limit], len(every)


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
    """Outbox handler: find the subscriptions the new values match and send their notifications."""
    now = utcnow()
    subscriptions = _live_subscriptions(db, now)
    if not subscriptions:
        return
    changes = _changes(db, event)
    for subscription in subscriptions:
        matcher = Matcher.of(subscription.spec)
        matching = [c for c in changes if matcher.matches(c)]
        if matching and _claim(db, subscription, now):
            body = notification_body(subscription.id, subscription.spec, matching)
            _submit(db, subscription.id, subscription.spec["notification"]["endpoint"], body)


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


def _submit(db: Database, subscription_id: str, endpoint: dict[str, str], body: dict[str, Any]) -> None:
    future = _pool.submit(_deliver, db, subscription_id, endpoint, body)
    with _pending_lock:
        _pending.add(future)
    future.add_done_callback(_forget)


def _forget(future: Future[None]) -> None:
    with _pending_lock:
        _pending.discard(future)
    error = future.exception()
    if error is not None:
        log.error("recording an NGSI-LD notification failed", exc_info=error)


def _deliver(db: Database, subscription_id: str, endpoint: dict[str, str], body: dict[str, Any]) -> None:
    """POST one notification and record how it went."""
    accept = endpoint.get("accept", "application/json")
    headers = {"Content-Type": accept, "NGSILD-Subscription-Id": subscription_id}
    error = None
    try:
        response = httpx.post(endpoint["uri"], json=body, headers=headers, timeout=POST_TIMEOUT_S)
        if response.status_code >= 300:
            error = f"HTTP {response.status_code}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    notified = datetime.fromisoformat(body["notifiedAt"].replace("Z", "+00:00"))
    _record(db, subscription_id, notified, error)


def _record(db: Database, subscription_id: str, notified: datetime, error: str | None) -> None:
    now = utcnow()
    values: dict[str, Any] = {"times_sent": NgsiSubscription.times_sent + 1, "last_notification": notified}
    if error is None:
        values["last_success"] = now
    else:
        values.update(
            times_failed=NgsiSubscription.times_failed + 1, last_failure=now, last_failure_reason=error
        )
    with db.write_session() as s:
        s.execute(update(NgsiSubscription).where(NgsiSubscription.id == subscription_id).values(**values))


def wait_for_deliveries(timeout: float = 10.0) -> None:
    """Wait until the notifications under way are sent and recorded (tests, orderly shutdown)."""
    with _pending_lock:
        pending = set(_pending)
    wait(pending, timeout=timeout)
