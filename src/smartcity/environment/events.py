"""Events the environment domain publishes for the operations centre and others."""

from __future__ import annotations

from smartcity.core.events import Event, register_event


@register_event("environment.AirQualityDegraded")
class AirQualityDegraded(Event):
    """A station's hourly VN_AQI reached the alert band (Kém or worse) after being below it."""

    station_id: str
    station_name: str
    hour: str
    aqi: int
    band: str
    dominant: str
    lon: float
    lat: float
    ward_code: str | None = None


@register_event("environment.WaterRising")
class WaterRising(Event):
    """Water at a flood gauge passed its alert level."""

    event_id: int
    station_id: str
    street: str | None
    level_cm: float
    at: str
    lon: float
    lat: float


@register_event("environment.StreetFlooded")
class StreetFlooded(Event):
    """Water at a flood gauge passed its danger level: the street is flooded."""

    event_id: int
    station_id: str
    street: str | None
    level_cm: float
    at: str
    lon: float
    lat: float


@register_event("environment.FloodReceded")
class FloodReceded(Event):
    """The water at a gauge went back below its alert level."""

    event_id: int
    station_id: str
    street: str | None
    peak_cm: float
    at: str
