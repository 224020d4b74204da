"""Reactions of the GIS to other domains' events."""

from __future__ import annotations

import logging
from collections.abc import Callable

from smartcity.core.db import Database
from smartcity.core.errors import AppError
from smartcity.core.events import Event
from smartcity.core.security import Actor
from smartcity.gis.addressing import assign_house_number
from smartcity.gis.registers import record_construction_permit, record_household_business

log = logging.getLogger(__name__)
GIS_ACTOR = Actor.system("gis.address-register")


def register_certified_house_number(event: Event, db: Database) -> None:
    """Enter a house number certified by the one-stop shop in the address register (once per dossier).

    The event is dossiers.HouseNumberCertified; it is read through its payload (its published contract)
    because dossiers already asks gis for house numbers and plans: importing its events would close a cycle.
    """
    certified = event.to_payload()
    code = certified["code"]
    lon, lat = certified.get("longitude"), certified.get("latitude")
    if lon is None or lat is None:
        log.warning("house number of dossier %s has no location; not entered in the register", code)
        return
    try:
        assign_house_number(
            db,
            actor=GIS_ACTOR,
            lon=lon,
            lat=lat,
            street=certified.get("street_code"),
            reference=code,
            number=certified.get("house_number"),
        )
    except AppError as exc:  # no street there, or the number is taken: retrying would not help
        log.warning(
            "house number of dossier %s not entered in the register: %s",
            code,
            exc.detail,
        )


def register_construction_permit(event: Event, db: Database) -> None:
    """Draw a construction permit granted by the one-stop shop on its parcel (read through its payload)."""
    record_construction_permit(db, event.to_payload())


def register_household_business(event: Event, db: Database) -> None:
    """Enter a household business registered by the one-stop shop in the register (through its payload)."""
    record_household_business(db, event.to_payload())


HANDLERS: dict[str, list[Callable[[Event, Database], None]]] = {
    "dossiers.HouseNumberCertified": [register_certified_house_number],
    "dossiers.ConstructionPermitGranted": [register_construction_permit],
    "dossiers.HouseholdBusinessRegistered": [register_household_business],
}
