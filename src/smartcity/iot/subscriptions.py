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

import json
import logging
import re
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from smartcity.core.db import Database, utcnow
from smartcity.core.pages import count_and_slice
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.iot.models import NgsiDelivery, NgsiSubscription
from smartcity.iot.ngsi import (
    AlreadyExists,
    BadRequestData,
    GeoQuery,
    ResourceNotFound,
    parse_q,
)
from smartcity.iot.subscription_delivery import MAX_ATTEMPTS as MAX_ATTEMPTS
from smartcity.iot.subscription_delivery import _compile, _stamp, endpoint_refusal
from smartcity.iot.subscription_delivery import deliver_due as deliver_due
from smartcity.iot.subscription_delivery import delivery_counts as delivery_counts
from smartcity.iot.subscription_delivery import notify_subscribers as notify_subscribers
from smartcity.iot.subscription_delivery import retry_delay as retry_delay
from smartcity.iot.subscription_delivery import wait_for_deliveries as wait_for_deliveries

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
        order = (NgsiSubscription.created_at, NgsiSubscription.id)
        return count_and_slice(s, query, *order, limit=limit, offset=offset)


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
