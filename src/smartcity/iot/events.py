"""Events the IoT core publishes: its contract with lighting, waste, safety and the operations centre."""

from __future__ import annotations

from typing import Any

from smartcity.core.events import Event, register_event


@register_event("iot.DeviceRegistered")
class DeviceRegistered(Event):
    """A device was added to the registry."""

    device_id: str
    device_type: str
    lon: float | None = None
    lat: float | None = None
    ward_code: str | None = None
    tags: tuple[str, ...] = ()


@register_event("iot.DeviceDecommissioned")
class DeviceDecommissioned(Event):
    """A device was taken out of service: its messages are rejected from now on."""

    device_id: str
    device_type: str
    at: str


@register_event("iot.CommandFinished")
class CommandFinished(Event):
    """A command reached its end: status is acknowledged, failed or timed_out."""

    command_id: str
    device_id: str
    command: str
    status: str
    group_id: str | None = None
    result: dict[str, Any] | None = None


@register_event("iot.AlarmRaised")
class AlarmRaised(Event):
    """A rule found a device in a bad state; the operations centre shows it.

    `rule_kind` is the rule's kind (threshold, range, rate, state_change, no_data: a device that stopped
    sending); None in events stored before it was carried. `device_name` is what people call the device
    (None when it has no name, or in events stored before it was carried).
    """

    alarm_id: int
    rule_id: int
    rule_name: str
    device_id: str
    device_type: str
    severity: str
    message: str
    raised_at: str
    key: str | None = None
    value: float | None = None
    lon: float | None = None
    lat: float | None = None
    rule_kind: str | None = None
    device_name: str | None = None
    # `message` as a phrase (Phrase.to_json()), for pages to say it in their language; None in events stored
    # before it was carried.
    message_phrase: dict[str, Any] | None = None


@register_event("iot.AlarmAcknowledged")
class AlarmAcknowledged(Event):
    """An operator acknowledged an alarm."""

    alarm_id: int
    device_id: str
    by: str


@register_event("iot.AlarmCleared")
class AlarmCleared(Event):
    """The condition of an alarm ended (or an operator cleared it)."""

    alarm_id: int
    device_id: str
    by: str


@register_event("iot.TelemetryIngested")
class TelemetryIngested(Event):
    """New values were stored (published only while NGSI-LD subscriptions are active).

    `changes` holds one [device id, [keys]] pair per device of the batch.
    """

    changes: tuple[tuple[str, tuple[str, ...]], ...]
