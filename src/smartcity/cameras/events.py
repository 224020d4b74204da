"""Events the cameras domain publishes: the operations centre turns CameraEventReported into incidents."""

from __future__ import annotations

from smartcity.core.events import Event, register_event


@register_event("cameras.CameraEventReported")
class CameraEventReported(Event):
    """A camera reported an event (accident, stopped vehicle, wrong way, flooding, intrusion, crowd, fire,
    smoke). `category` is traffic or security; `severity` follows CAP (Minor, Moderate, Severe, Extreme)."""

    event_id: int
    camera_id: str
    camera_name: str
    category: str
    kind: str
    title_vi: str
    severity: str
    occurred_at: str
    lon: float
    lat: float
    ward_code: str | None = None
    road: str | None = None
    lane: int | None = None
    confidence: float | None = None
    has_snapshot: bool = False


@register_event("cameras.CameraEventAcknowledged")
class CameraEventAcknowledged(Event):
    """An operator acknowledged a camera event."""

    event_id: int
    camera_id: str
    by: str
