"""Loading a city pack into the database: units, successions, ward areas, calendar; idempotent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select

from smartcity.city import geometry as geo
from smartcity.city import unit_lists
from smartcity.city.events import CityPackLoaded
from smartcity.city.models import AdministrativeUnit, CalendarException, CityPackRecord, UnitSuccession
from smartcity.city.pack import CityPack, read_pack
from smartcity.core.db import Database, utcnow
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork

Progress = Callable[[str, int, int], None]
"""progress(step description, steps done, steps in all)."""

UnitKey = tuple[str, date | None]
_UNIT_FIELDS = (
    "name",
    "type",
    "level",
    "parent_code",
    "valid_to",
    "geometry",
    "min_lon",
    "min_lat",
    "max_lon",
    "max_lat",
    "area_km2",
    "geometry_approximate",
    "geometry_note",
    "source",
    "pack",
)
_LOAD_STEPS = 6


@dataclass
class LoadReport:
    """What a pack load did, by kind of row."""

    pack: str
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    org_units: int = 0

    def count(self, outcome: str, kind: str) -> None:
        """Count one row of `kind` that was created, updated, deleted or unchanged."""
        table: dict[str, int] = getattr(self, outcome)
        table[kind] = table.get(kind, 0) + 1

    @property
    def changed(self) -> bool:
        """True when the load changed any row."""
        return bool(self.created or self.updated or self.deleted)

    def as_dict(self) -> dict[str, Any]:
        """The report as plain JSON."""
        return {
            "pack": self.pack,
            "created": self.created,
            "updated": self.updated,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
            "org_units": self.org_units,
        }


def load_city_pack(
    db: Database,
    *,
    pack: str = "thu-dau-mot",
    actor: Actor,
    progress: Progress | None = None,
    packs_dir: Path | None = None,
) -> LoadReport:
    """Load (or reload) a city pack in one audited transaction; running it twice changes nothing."""
    step = progress or (lambda _description, _done, _total: None)
    step("Đọc gói dữ liệu / reading the pack", 0, _LOAD_STEPS)
    city = read_pack(pack, packs_dir)
    step("Tính diện tích phường / deriving ward areas", 1, _LOAD_STEPS)
    desired = _desired_units(city)
    report = LoadReport(pack=city.name, org_units=len(city.org_units))
    try:
        with UnitOfWork(db, actor) as uow:
            step("Đơn vị hành chính / administrative units", 2, _LOAD_STEPS)
            ids = _sync_units(uow, city, desired, report)
            step("Sắp xếp đơn vị / successions", 3, _LOAD_STEPS)
            _sync_successions(uow, city, ids, report)
            step("Lịch làm việc / working calendar", 4, _LOAD_STEPS)
            _sync_calendar(uow, city, report)
            _sync_record(uow, city, report)
            uow.audit("city_pack.load", "city_pack", city.name, after=report.as_dict())
            uow.publish(CityPackLoaded(pack=city.name, org_units=city.org_units))
    finally:  # also when a handler run after the commit fails
        unit_lists.forget(db)  # this process's lists of units are read again
    step("Xong / done", _LOAD_STEPS, _LOAD_STEPS)
    return report


def _desired_units(city: CityPack) -> dict[UnitKey, dict[str, Any]]:
    """Every unit's column values, with the boundary on the city and approximate areas on wards."""
    boundary = geo.from_geojson(city.boundary)
    old_areas = geo.voronoi_areas(boundary, city.seeds)
    transfers = [
        (s.predecessor[0], s.successor[0], s.share)
        for s in city.successions
        if s.predecessor is not None and s.predecessor[0] in old_areas
    ]
    new_areas = geo.successor_areas(old_areas, transfers)
    outside = {s.successor[0] for s in city.successions if s.predecessor is None}
    rows: dict[UnitKey, dict[str, Any]] = {}
    for spec in city.units:
        values: dict[str, Any] = {
            "name": spec.name,
            "type": spec.type,
            "level": spec.level,
            "parent_code": spec.parent_code,
            "valid_to": spec.valid_to,
            "source": spec.source,
            "pack": city.name,
        }
        shape, approximate, note = None, False, None
        if spec.key == city.boundary_unit:
            shape = boundary
        elif spec.level == "ward":
            shape = old_areas.get(spec.code) if spec.valid_from is None else new_areas.get(spec.code)
            approximate = True
            note = geo.APPROXIMATE_NOTE + (
                geo.FORMER_CITY_ONLY_NOTE if spec.code in outside and spec.valid_from else ""
            )
        values.update(_geometry_columns(shape, approximate, note))
        rows[spec.key] = values
    return rows


def _geometry_columns(shape: Any, approximate: bool, note: str | None) -> dict[str, Any]:
    if shape is None or shape.is_empty:
        return {
            "geometry": None,
            "min_lon": None,
            "min_lat": None,
            "max_lon": None,
            "max_lat": None,
            "area_km2": None,
            "geometry_approximate": approximate,
            "geometry_note": note,
        }
    min_lon, min_lat, max_lon, max_lat = geo.bounding_box(shape)
    return {
        "geometry": geo.to_geojson(shape),
        "min_lon": min_lon,
        "min_lat": min_lat,
        "max_lon": max_lon,
        "max_lat": max_lat,
        "area_km2": round(geo.area_km2(shape), 4),
        "geometry_approximate": approximate,
        "geometry_note": note,
    }


def _unit_entity(key: UnitKey) -> str:
    return f"{key[0]}@{key[1].isoformat() if key[1] else 'unknown'}"


def _sync_units(
    uow: UnitOfWork, city: CityPack, desired: dict[UnitKey, dict[str, Any]], report: LoadReport
) -> dict[UnitKey, int]:
    session = uow.session
    codes = {key[0] for key in desired}
    existing = {
        (u.code, u.valid_from): u
        for u in session.scalars(
            select(AdministrativeUnit).where(
                or_(AdministrativeUnit.code.in_(codes), AdministrativeUnit.pack == city.name)
            )
        )
    }
    for key, values in desired.items():
        unit = existing.get(key)
        if unit is None:
            unit = AdministrativeUnit(code=key[0], valid_from=key[1], **values)
            session.add(unit)
            existing[key] = unit
            uow.audit("create", "admin_unit", _unit_entity(key), after=_summary(values))
            report.count("created", "admin_units")
            continue
        before = {f: getattr(unit, f) for f in _UNIT_FIELDS if getattr(unit, f) != values[f]}
        if not before:
            report.count("unchanged", "admin_units")
            continue
        for name in before:
            setattr(unit, name, values[name])
        uow.audit(
            "update",
            "admin_unit",
            _unit_entity(key),
            before=_summary(before),
            after=_summary({f: values[f] for f in before}),
        )
        report.count("updated", "admin_units")
    for key, unit in existing.items():
        if key not in desired and unit.pack == city.name:
            session.delete(unit)
            uow.audit("delete", "admin_unit", _unit_entity(key), before={"name": unit.name})
            report.count("deleted", "admin_units")
    session.flush()
    return {key: unit.id for key, unit in existing.items() if key in desired}


def _summary(values: dict[str, Any]) -> dict[str, Any]:
    """Audit form of unit values: geometry stands as a marker, not thousands of coordinates."""
    return {k: ("<geometry>" if k == "geometry" and v is not None else v) for k, v in values.items()}


def _sync_successions(uow: UnitOfWork, city: CityPack, ids: dict[UnitKey, int], report: LoadReport) -> None:
    session = uow.session
    desired = {}
    for spec in city.successions:
        predecessor_id = ids[spec.predecessor] if spec.predecessor else None
        desired[(ids[spec.successor], predecessor_id, spec.predecessor_name)] = spec
    successor_ids = {ids[key] for key in ids}
    existing = {
        (s.successor_id, s.predecessor_id, s.predecessor_name): s
        for s in session.scalars(select(UnitSuccession).where(UnitSuccession.successor_id.in_(successor_ids)))
    }
    for key, spec in desired.items():
        values = {"share": spec.share, "effective": spec.effective, "legal_basis": spec.legal_basis}
        row = existing.get(key)
        entity = f"{spec.predecessor_name}->{_unit_entity(spec.successor)}"
        if row is None:
            session.add(
                UnitSuccession(successor_id=key[0], predecessor_id=key[1], predecessor_name=key[2], **values)
            )
            uow.audit("create", "unit_succession", entity, after=values)
            report.count("created", "successions")
        elif any(getattr(row, k) != v for k, v in values.items()):
            before = {k: getattr(row, k) for k in values}
            for k, v in values.items():
                setattr(row, k, v)
            uow.audit("update", "unit_succession", entity, before=before, after=values)
            report.count("updated", "successions")
        else:
            report.count("unchanged", "successions")
    for key, row in existing.items():
        if key not in desired:
            session.delete(row)
            uow.audit("delete", "unit_succession", f"{row.predecessor_name}->{row.successor_id}")
            report.count("deleted", "successions")
    session.flush()


def _sync_calendar(uow: UnitOfWork, city: CityPack, report: LoadReport) -> None:
    """Upsert the pack's exceptions; an administrator's exception on the same day is kept."""
    session = uow.session
    source = f"pack:{city.name}"
    wanted = {e.day: e for e in city.calendar.entries}
    rows = {
        r.day: r
        for r in session.scalars(
            select(CalendarException).where(
                or_(CalendarException.day.in_(list(wanted)), CalendarException.source == source)
            )
        )
    }
    for day, entry in wanted.items():
        row = rows.get(day)
        if row is None:
            session.add(CalendarException(day=day, kind=entry.kind, note=entry.note, source=source))
            uow.audit("create", "calendar_exception", day.isoformat(), after={"kind": entry.kind})
            report.count("created", "calendar_exceptions")
        elif row.source != source:
            report.count("unchanged", "calendar_exceptions")
        elif (row.kind, row.note) != (entry.kind, entry.note):
            before = {"kind": row.kind, "note": row.note}
            row.kind, row.note = entry.kind, entry.note
            uow.audit(
                "update",
                "calendar_exception",
                day.isoformat(),
                before=before,
                after={"kind": entry.kind, "note": entry.note},
            )
            report.count("updated", "calendar_exceptions")
        else:
            report.count("unchanged", "calendar_exceptions")
    for day, row in rows.items():
        if day not in wanted and row.source == source:
            session.delete(row)
            uow.audit("delete", "calendar_exception", day.isoformat(), before={"kind": row.kind})
            report.count("deleted", "calendar_exceptions")


def _sync_record(uow: UnitOfWork, city: CityPack, report: LoadReport) -> None:
    session = uow.session
    record = session.scalar(select(CityPackRecord).where(CityPackRecord.name == city.name))
    values = {
        "title": city.title,
        "digest": city.digest,
        "timezone": city.calendar.timezone,
        "afternoon_cutoff": city.calendar.afternoon_cutoff.strftime("%H:%M"),
    }
    if record is None:
        session.add(CityPackRecord(name=city.name, loaded_at=utcnow(), **values))
        report.count("created", "packs")
    elif any(getattr(record, k) != v for k, v in values.items()):
        for k, v in values.items():
            setattr(record, k, v)
        record.loaded_at = utcnow()
        report.count("updated", "packs")
    else:
        report.count("unchanged", "packs")
