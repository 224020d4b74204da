"""Events the lighting domain publishes for the operations centre and others."""

from __future__ import annotations

from smartcity.core.events import Event, register_event


@register_event("lighting.GroupSwitched")
class GroupSwitched(Event):
    """A group was commanded to a new level (0: off) by its plan."""

    group_id: str
    level: int
    at: str
    reason: str
    lights: int


@register_event("lighting.FaultDetected")
class FaultDetected(Event):
    """A lamp or circuit fault was found in telemetry and a maintenance ticket opened."""

    ticket_id: int
    asset_id: str
    asset_kind: str
    group_id: str | None
    fault: str
    description: str
    detected_at: str
    lon: float | None = None
    lat: float | None = None


@register_event("lighting.TicketClosed")
class TicketClosed(Event):
    """A crew closed a maintenance ticket."""

    ticket_id: int
    asset_id: str
    fault: str
    closed_by: str
    resolution: str
