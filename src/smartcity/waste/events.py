"""Events the waste domain publishes for the operations centre."""

from __future__ import annotations

from smartcity.core.events import Event, register_event


@register_event("waste.ContainerAlarmRaised")
class ContainerAlarmRaised(Event):
    """A container overflows, burns or was knocked over."""

    alarm_id: int
    container_id: str
    kind: str  # overflow, fire, tilt
    message: str
    raised_at: str
    lon: float
    lat: float


@register_event("waste.CollectionPlanned")
class CollectionPlanned(Event):
    """A day's collection plan was computed."""

    plan_id: int
    day: str
    containers: int
    routes: int
    distance_km: float
    unserved: int


@register_event("waste.ContainerEmptied")
class ContainerEmptied(Event):
    """A crew emptied a container."""

    container_id: str
    vehicle_id: str
    emptied_at: str
    weight_kg: float | None = None
