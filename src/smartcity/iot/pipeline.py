"""Decoding and validation of device messages, before anything is stored.

A message is `{"msg_id": "...", "ts": "<ISO 8601>", "values": {...}}` (over HTTP it also names its
"device_id"; over MQTT the topic does). Each message is judged on its own: a bad one is refused with a
reason, never blocking the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import orjson

from smartcity.iot.device_types import device_types
from smartcity.iot.device_types.base import BOOLEAN, PLAIN_NUMBERS
from smartcity.iot.writer import Row

MAX_FUTURE = timedelta(minutes=5)
MAX_MSG_ID = 64
EVENT_KEY = "_event"

# Reasons a message is refused; counted per device.
MALFORMED, UNKNOWN_DEVICE, DECOMMISSIONED = "malformed", "unknown_device", "decommissioned"
WRONG_TYPE, UNKNOWN_KEY, INVALID_VALUE, FUTURE = (
    "wrong_type",
    "unknown_key",
    "invalid_value",
    "future_timestamp",
)


class Envelope(NamedTuple):
    """A message as received, with what its transport says about it (MQTT topic type and id)."""

    payload: Any
    device_id: str | None = None
    topic_type: str | None = None
    channel: str = "telemetry"


@dataclass(frozen=True)
class DeviceInfo:
    """What ingestion needs to know of a registered device."""

    id: str
    type: str
    status: str
    tags: tuple[str, ...] = ()
    lon: float | None = None
    lat: float | None = None
    name: str | None = None  # what people call it (an alarm's incident is titled with it)


class Accepted(NamedTuple):
    """A valid message of a known device (a tuple: one is made for every message of a batch)."""

    position: int  # in its batch
    device: DeviceInfo
    msg_id: str
    ts: datetime
    values: dict[str, Any]


@dataclass(frozen=True)
class Refused:
    """A message that will not be stored, and why."""

    index: int
    device_id: str
    reason: str
    detail: str


class _Refusal(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


def decode(envelope: Envelope) -> dict[str, Any]:
    """The message as a dict; raises _Refusal(malformed) for anything that is not a JSON object."""
    payload = envelope.payload
    if isinstance(payload, bytes | bytearray | str):
        try:
            payload = orjson.loads(payload)
        except orjson.JSONDecodeError as exc:
            raise _Refusal(MALFORMED, f"not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise _Refusal(MALFORMED, "the message must be a JSON object")
    return payload


def device_id_of(envelope: Envelope, body: dict[str, Any] | None) -> str:
    """The device a message claims to come from (topic first, then body), or '?' when unknown."""
    if envelope.device_id:
        return envelope.device_id
    claimed = body.get("device_id") if body else None
    return claimed[:64] if isinstance(claimed, str) and claimed else "?"


def judge(
    index: int, envelope: Envelope, devices: dict[str, DeviceInfo], now: datetime
) -> Accepted | Refused:
    """Accept a message or refuse it with a reason."""
    body: dict[str, Any] | None = None
    try:
        body = decode(envelope)
        device = _known_device(device_id_of(envelope, body), envelope, devices)
        ts = _timestamp(body.get("ts"), now)
        msg_id = _msg_id(body.get("msg_id"), ts)
        values = _values(body, envelope.channel, device)
    except _Refusal as refusal:
        return Refused(index, device_id_of(envelope, body), refusal.reason, refusal.detail)
    return Accepted(index, device, msg_id, ts, values)


def _known_device(device_id: str, envelope: Envelope, devices: dict[str, DeviceInfo]) -> DeviceInfo:
    device = devices.get(device_id)
    if device is None:
        raise _Refusal(UNKNOWN_DEVICE, f"no device {device_id!r} in the registry")
    if device.status == "decommissioned":
        raise _Refusal(DECOMMISSIONED, f"device {device_id!r} is decommissioned")
    if envelope.topic_type and envelope.topic_type != device.type:
        raise _Refusal(WRONG_TYPE, f"topic says {envelope.topic_type!r}, device is a {device.type!r}")
    return device


def _timestamp(raw: Any, now: datetime) -> datetime:
    if raw is None:
        return now
    if not isinstance(raw, str):
        raise _Refusal(MALFORMED, "ts must be an ISO 8601 string")
    try:
        ts = datetime.fromisoformat(raw)  # Python 3.11 reads a "Z" offset
    except ValueError:
        raise _Refusal(MALFORMED, f"ts {raw!r} is not ISO 8601") from None
    if ts.tzinfo is None:
        raise _Refusal(MALFORMED, "ts must carry a time zone (e.g. Z or +07:00)")
    if ts > now + MAX_FUTURE:
        raise _Refusal(FUTURE, f"ts {raw} is in the future")
    return ts if ts.tzinfo is UTC else ts.astimezone(UTC)


def _msg_id(raw: Any, ts: datetime) -> str:
    if raw is None:
        return ts.isoformat()
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str) or not raw or len(raw) > MAX_MSG_ID:
        raise _Refusal(MALFORMED, f"msg_id must be a string of 1 to {MAX_MSG_ID} characters")
    return raw


def _values(body: dict[str, Any], channel: str, device: DeviceInfo) -> dict[str, Any]:
    if channel == "events":
        event = body.get("event")
        if not isinstance(event, str) or not event or len(event) > 200:
            raise _Refusal(MALFORMED, "an event message needs an 'event' name")
        return {EVENT_KEY: event}
    values = body.get("values")
    if not isinstance(values, dict) or not values:
        raise _Refusal(MALFORMED, "values must be a non-empty object")
    problems = device_types()[device.type].check_values(values)
    if problems:
        reason = UNKNOWN_KEY if problems[0].startswith("unknown key") else INVALID_VALUE
        raise _Refusal(reason, "; ".join(problems))
    return values


def to_rows(message: Accepted) -> list[Row]:
    """The stored rows of an accepted message: numbers and booleans in value, text in text_value."""
    device_id, msg_id, ts = message.device.id, message.msg_id, message.ts
    return [
        Row(device_id, msg_id, key, ts, float(value), None)
        if type(value) in PLAIN_NUMBERS  # most values: no call to split_value
        else Row(device_id, msg_id, key, ts, *split_value(value))
        for key, value in message.values.items()
    ]


def split_value(value: Any) -> tuple[float | None, str | None]:
    """A value as (number, text) columns: numbers and booleans as numbers, the rest as text."""
    if isinstance(value, bool):
        return (1.0 if value else 0.0), None
    if isinstance(value, int | float):
        return float(value), None
    return None, str(value)


def typed_value(device_type: str, key: str, value: float | None, text_value: str | None) -> Any:
    """A stored value back in the kind its device type declares."""
    spec = device_types()[device_type].key(key) if device_type in device_types() else None
    if text_value is not None:
        return text_value
    if spec is not None and spec.kind == BOOLEAN and value is not None:
        return value >= 0.5
    return value
