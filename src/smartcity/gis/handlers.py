"""Reactions of the GIS to other domains' events."""

from __future__ import annotations

import logging
from collections.abc import Callable

from smartcity.core.db import Database
from smartcity.core.errors import AppError
from smartcity.core.events import Event
from smartcity.core.security import Actor
from smartcity.gis.addressing import assign_house_number

log = logging.getLogger(__name__)
GIS_ACTOR = Actor.system("gis.address-register")


def register_certified_house_number(event: Event, db: Database) -> None:
    """Enter a house number certified by the one-stop shop in the address register (once per dossier)."""
    lon, lat = getattr(event, "longitude", None), getattr(event, "latitude", None)
    if lon is None or lat is None:
        log.warning(
            "house number of dossier %s has no location; not entered in the register",
            getattr(event, "code", "?"),
        )
        return
    try:
        assign_house_number(
            db,
            actor=GIS_ACTOR,
            lon=lon,
            lat=lat,
            street=getattr(event, "street_code", None),
            reference=getattr(event, "code", None),
            number=getattr(event, "house_number", None),
        )
    except AppError as exc:  # no street there, or the number is taken: retrying would not help
        log.warning(
            "house number of dossier %s not entered in the register: %s",
            getattr(event, "code", "?"),
            exc.detail,
        )


HANDLERS: dict[str, list[Callable[[Event, Database], None]]] = {
    "dossiers.HouseNumberCertified": [register_certified_house_number],
}
