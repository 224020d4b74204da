"""Events the city domain publishes."""

from __future__ import annotations

from smartcity.core.events import Event, register_event


@register_event("city.CityPackLoaded")
class CityPackLoaded(Event):
    """A city pack was loaded (or reloaded); carries the org chart it declares.

    Each org unit is a dict: code, name, name_en, kind ("people_committee", "department",
    "ward_committee", "operations_centre"), parent_code, admin_unit_code, valid_from, valid_to
    (ISO dates or None). Handlers upsert by code, so reloading is harmless.
    """

    pack: str
    org_units: tuple[dict, ...] = ()
