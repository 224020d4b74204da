"""Events the GIS domain publishes."""

from __future__ import annotations

from smartcity.core.events import Event, register_event


@register_event("gis.LayerPublished")
class LayerPublished(Event):
    """A layer was published or withdrawn from the public APIs."""

    layer: str
    published: bool


@register_event("gis.FeaturesImported")
class FeaturesImported(Event):
    """Features were loaded into a layer (an import or the demo data)."""

    layer: str
    count: int
    replaced: int
    synthetic: bool


@register_event("gis.FeatureEdited")
class FeatureEdited(Event):
    """A staff member corrected one feature (history in the audit log)."""

    layer: str
    feature_id: int
    key: str
    version: int


@register_event("gis.HouseNumberAssigned")
class HouseNumberAssigned(Event):
    """A house number was assigned and entered in the address register."""

    address_key: str
    street_code: str
    house_number: str
    lon: float
    lat: float
    ward_code: str | None
    reference: str | None


@register_event("gis.InspectionRecorded")
class InspectionRecorded(Event):
    """A construction-order inspection was recorded against a parcel."""

    inspection_id: int
    parcel: str
    finding: str
