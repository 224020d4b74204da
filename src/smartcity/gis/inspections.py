"""Construction-order inspections (trật tự xây dựng): recorded against parcels, shown to staff on the map."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from smartcity.core.db import Database
from smartcity.core.errors import Forbidden, ValidationFailed
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.gis.events import InspectionRecorded
from smartcity.gis.geo import parse_geojson
from smartcity.gis.models import Inspection
from smartcity.gis.planning import find_parcel
from smartcity.gis.schemas import InspectionCreate, InspectionRead
from smartcity.gis.store import EDITOR_UNITS

INSPECTOR_ROLES = ("specialist", "head", "leader")


def _require_inspector(actor: Actor) -> None:
    if not any(actor.has_role_in(role, EDITOR_UNITS) for role in INSPECTOR_ROLES):
        raise Forbidden("Construction-order inspections are for staff (specialist, head, leader)")


def _read(row: Inspection) -> InspectionRead:
    return InspectionRead(
        id=row.id,
        parcel=row.parcel_key,
        inspected_on=row.inspected_on,
        finding=row.finding,
        violations=list(row.violations or []),
        decision=row.decision,
        photos=list(row.photos or []),
        inspector=row.inspector,
        lon=row.lon,
        lat=row.lat,
    )


def record_inspection(db: Database, *, actor: Actor, data: InspectionCreate) -> InspectionRead:
    """Record an inspection of a parcel; a violation must name what was violated."""
    _require_inspector(actor)
    if data.finding == "violation" and not data.violations:
        raise ValidationFailed.for_field("violations", "name at least one violation")
    parcel = find_parcel(db, data.parcel)
    point = parse_geojson(parcel.geometry or {}).representative_point()
    with UnitOfWork(db, actor) as uow:
        row = Inspection(
            parcel_key=parcel.key,
            inspected_on=data.inspected_on,
            inspector=actor.label,
            finding=data.finding,
            violations=data.violations,
            decision=data.decision,
            photos=data.photos,
            lon=point.x,
            lat=point.y,
        )
        uow.session.add(row)
        uow.session.flush()
        uow.audit("gis.inspection.record", "gis_inspection", row.id, after=data.model_dump(mode="json"))
        uow.publish(InspectionRecorded(inspection_id=row.id, parcel=parcel.key, finding=data.finding))
        return _read(row)


def list_inspections(db: Database, *, actor: Actor, parcel: str | None = None) -> list[InspectionRead]:
    """Inspections, newest first (of one parcel when given); staff only."""
    _require_inspector(actor)
    query = select(Inspection).order_by(Inspection.inspected_on.desc(), Inspection.id.desc())
    if parcel:
        query = query.where(Inspection.parcel_key == find_parcel(db, parcel).key)
    with db.session() as s:
        return [_read(row) for row in s.scalars(query.limit(5000))]


def inspections_geojson(db: Database, *, actor: Actor) -> dict[str, Any]:
    """The inspections as a GeoJSON FeatureCollection for the staff map."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": i.id,
                "geometry": {"type": "Point", "coordinates": [i.lon, i.lat]},
                "properties": i.model_dump(mode="json", exclude={"lon", "lat", "photos"}),
            }
            for i in list_inspections(db, actor=actor)
        ],
    }
