"""Use cases of the city domain: load a city pack; read units, wards and the working calendar."""

from __future__ import annotations

import json
from datetime import date, time
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from shapely.geometry import Point
from sqlalchemy import BindParameter, ColumnElement, Date, Row, and_, bindparam, or_, select
from sqlalchemy.orm import Session

from smartcity.city import geometry as geo
from smartcity.city import unit_lists
from smartcity.city.calendar import EXCEPTION_KINDS, WorkingCalendar
from smartcity.city.loader import LoadReport, Progress, load_city_pack
from smartcity.city.models import AdministrativeUnit, CalendarException, CityPackRecord, UnitSuccession
from smartcity.city.pack import LEVELS, PACKS_DIR, available_packs, read_pack
from smartcity.city.schemas import (
    AdministrativeUnitDetail,
    AdministrativeUnitRead,
    CalendarExceptionRead,
    CityPackRead,
    SuccessionRead,
    UnitPeriod,
)
from smartcity.core import clock
from smartcity.core.config import Settings, get_settings
from smartcity.core.db import Database
from smartcity.core.errors import Conflict, NotFound, ValidationFailed
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork


def list_packs(db: Database, *, packs_dir: Path | None = None) -> list[CityPackRead]:
    """The packs that can be loaded, with whether each is loaded and up to date."""
    with db.session() as s:
        records = {r.name: r for r in s.scalars(select(CityPackRecord))}
    result = []
    for name in available_packs(packs_dir):
        city = read_pack(name, packs_dir)
        record = records.get(name)
        result.append(
            CityPackRead(
                name=name,
                title=city.title,
                loaded=record is not None,
                digest=record.digest if record else None,
                loaded_at=record.loaded_at if record else None,
                current=(record.digest == city.digest) if record else None,
            )
        )
    return result


# ------------------------------------------------------------------------------------------------ units


def _manifest(pack: str | None) -> tuple[Path, dict[str, Any]]:
    """The pack's folder and its pack.json (the settings' pack when none is named)."""
    folder = PACKS_DIR / (pack or get_settings().city)
    return folder, json.loads((folder / "pack.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=4)
def reorganisation_date(pack: str | None = None) -> date:
    """The first day of the 2025 reorganisation (the new wards exist from it), from the city pack."""
    folder, manifest = _manifest(pack)
    reorganisation = json.loads((folder / manifest["files"]["reorganisation"]).read_text(encoding="utf-8"))
    return date.fromisoformat(reorganisation["effective_from"])


@lru_cache(maxsize=8)
def city_name(pack: str | None = None, locale: str = "vi") -> str:
    """The city's name as its pack gives it ("Thủ Dầu Một"), in English where the pack has one in English."""
    manifest = _manifest(pack)[1]
    return str(manifest.get("title_en") or manifest["title"]) if locale == "en" else str(manifest["title"])


@lru_cache(maxsize=4)
def boundary_box(pack: str | None = None) -> tuple[float, float, float, float]:
    """The box around the city's boundary (west, south, east, north; WGS 84, 4 decimals), from the pack."""
    box = geo.bounding_box(geo.from_geojson(read_pack(pack or get_settings().city).boundary))
    west, south, east, north = (round(value, 4) for value in box)
    return (west, south, east, north)


def map_centre(pack: str | None = None) -> tuple[float, float]:
    """Where the city's maps open: the middle of its boundary's box (longitude, latitude)."""
    west, south, east, north = boundary_box(pack)
    return (round((west + east) / 2, 4), round((south + north) / 2, 4))


@lru_cache(maxsize=4)
def _pack_units(pack: str) -> tuple[Any, ...]:
    return read_pack(pack).units


# The kinds of administrative unit a Vietnamese name begins with, longest first, and their English words.
UNIT_KINDS_IN_ENGLISH = (
    ("thành phố", "City"),
    ("thị trấn", "Township"),
    ("thị xã", "Town"),
    ("phường", "Ward"),
    ("quận", "District"),
    ("huyện", "District"),
    ("tỉnh", "Province"),
    ("xã", "Commune"),
)


def name_in_english(name: str) -> str:
    """An administrative unit's name as English writes it: "Phường Phú Lợi" → "Phú Lợi Ward", "Phường 1" →
    "Ward 1", "Thành phố Hồ Chí Minh" → "Hồ Chí Minh City"; a name of no known kind stays as it is."""
    for kind, word in UNIT_KINDS_IN_ENGLISH:
        if name[: len(kind) + 1].lower() == kind + " ":
            rest = name[len(kind) + 1 :].strip()
            return f"{word} {rest}" if rest.isdigit() else f"{rest} {word}"
    return name


def unit_name_on(code: str, on: date, pack: str | None = None) -> str | None:
    """The full name ("Phường Phú Cường") of unit `code` valid on `on`, read from the city pack."""
    for unit in _pack_units(pack or get_settings().city):
        started = unit.valid_from is None or unit.valid_from <= on
        if unit.code == code and started and (unit.valid_to is None or unit.valid_to >= on):
            return str(unit.name)
    return None


def ward_codes_on(on: date, pack: str | None = None) -> list[str]:
    """The codes of the city's wards valid on `on`, read from the city pack (no database)."""
    units = _pack_units(pack or get_settings().city)
    return sorted(
        u.code
        for u in units
        if u.level == "ward"
        and (u.valid_from is None or u.valid_from <= on)
        and (u.valid_to is None or u.valid_to >= on)
    )


def is_after_reorganisation(on: date, pack: str | None = None) -> bool:
    """Whether `on` falls on or after the reorganisation (the new wards' period)."""
    return on >= reorganisation_date(pack)


def _valid_on(on: date | BindParameter[date]) -> ColumnElement[bool]:
    return and_(
        or_(AdministrativeUnit.valid_from.is_(None), AdministrativeUnit.valid_from <= on),
        or_(AdministrativeUnit.valid_to.is_(None), AdministrativeUnit.valid_to >= on),
    )


def _is_valid_on(unit: AdministrativeUnit, on: date) -> bool:
    started = unit.valid_from is None or unit.valid_from <= on
    return started and (unit.valid_to is None or unit.valid_to >= on)


def _check_level(level: str | None) -> None:
    if level is not None and level not in LEVELS:
        raise ValidationFailed.for_field("level", f"must be one of {', '.join(LEVELS)}")


_READ_COLUMNS = (
    AdministrativeUnit.code,
    AdministrativeUnit.name,
    AdministrativeUnit.type,
    AdministrativeUnit.level,
    AdministrativeUnit.parent_code,
    AdministrativeUnit.valid_from,
    AdministrativeUnit.valid_to,
    AdministrativeUnit.area_km2,
    AdministrativeUnit.geometry_approximate,
)


def _read(unit: AdministrativeUnit | Row[*tuple[Any, ...]]) -> AdministrativeUnitRead:
    return AdministrativeUnitRead(
        code=unit.code,
        name=unit.name,
        type=unit.type,
        level=unit.level,
        parent_code=unit.parent_code,
        valid_from=unit.valid_from,
        valid_to=unit.valid_to,
        area_km2=unit.area_km2,
        approximate=unit.geometry_approximate,
    )


def _level_order(unit: AdministrativeUnit | Row[*tuple[Any, ...]]) -> tuple[int, str]:
    return (LEVELS.index(unit.level) if unit.level in LEVELS else len(LEVELS), unit.code)


# The listed fields only, not the geometries; built once (building a statement costs more than running it).
_UNITS_ON = select(*_READ_COLUMNS).where(_valid_on(bindparam("on", type_=Date)))
_UNITS_ON_LEVEL = _UNITS_ON.where(AdministrativeUnit.level == bindparam("level"))


def units_on(db: Database, *, on: date, level: str | None = None) -> list[AdministrativeUnitRead]:
    """The units valid on a date (optionally of one level: province, district, ward), by level and code.

    Served from this process's copy when it has one (see `unit_lists`: forgotten by a load in this process,
    kept at most `UNITS_CACHE_SECONDS`); the units are frozen models, shared by every caller."""
    _check_level(level)
    units = unit_lists.cached(db, on, level)
    if units is None:
        read_since = unit_lists.generation()
        units = _read_units_on(db, on, level)
        unit_lists.keep(db, on, level, units, read_since)
    return list(units)


def cached_units_on(
    db: Database, *, on: date, level: str | None = None
) -> list[AdministrativeUnitRead] | None:
    """`units_on` when this process has the list already (no database access), else None."""
    _check_level(level)
    units = unit_lists.cached(db, on, level)
    return None if units is None else list(units)


def _read_units_on(db: Database, on: date, level: str | None) -> tuple[AdministrativeUnitRead, ...]:
    query = _UNITS_ON if level is None else _UNITS_ON_LEVEL
    with db.read_connection() as connection:
        rows = connection.execute(query, {"on": on, "level": level}).all()
    return tuple(_read(row) for row in sorted(rows, key=_level_order))


def get_unit(db: Database, code: str, on: date | None = None) -> AdministrativeUnitDetail:
    """The unit with `code` valid `on` (default today; else its latest period), with its history."""
    on = on or clock.today()
    with db.session() as s:
        periods = list(s.scalars(select(AdministrativeUnit).where(AdministrativeUnit.code == code)))
        if not periods:
            raise NotFound(f"No administrative unit with code {code!r}")
        current = [u for u in periods if _is_valid_on(u, on)]
        unit = current[0] if current else max(periods, key=lambda u: u.valid_from or date.min)
        others = [
            UnitPeriod(name=u.name, level=u.level, valid_from=u.valid_from, valid_to=u.valid_to)
            for u in sorted(periods, key=lambda u: u.valid_from or date.min)
            if u.id != unit.id
        ]
        return AdministrativeUnitDetail(
            **_read(unit).model_dump(),
            valid_on=bool(current),
            source=unit.source,
            geometry_note=unit.geometry_note,
            other_periods=others,
            predecessors=_links(s, UnitSuccession.successor_id == unit.id, "predecessor_id"),
            successors=_links(s, UnitSuccession.predecessor_id == unit.id, "successor_id"),
        )


def _links(s: Session, condition: ColumnElement[bool], other: str) -> list[SuccessionRead]:
    rows = s.scalars(select(UnitSuccession).where(condition).order_by(UnitSuccession.id)).all()
    others = {
        u.id: u
        for u in s.scalars(
            select(AdministrativeUnit).where(
                AdministrativeUnit.id.in_([getattr(r, other) for r in rows if getattr(r, other) is not None])
            )
        )
    }
    links = []
    for row in rows:
        unit = others.get(getattr(row, other))
        links.append(
            SuccessionRead(
                code=unit.code if unit else None,
                name=unit.name if unit else row.predecessor_name,
                share=row.share,
                effective=row.effective,
                legal_basis=row.legal_basis,
                valid_from=unit.valid_from if unit else None,
                valid_to=unit.valid_to if unit else None,
            )
        )
    return links


def ward_at(db: Database, *, lon: float, lat: float, on: date) -> AdministrativeUnitRead | None:
    """The ward whose (approximate) area contains the point on that date, or None outside the city."""
    if not -180.0 <= lon <= 180.0:
        raise ValidationFailed.for_field("lon", "must be between -180 and 180")
    if not -90.0 <= lat <= 90.0:
        raise ValidationFailed.for_field("lat", "must be between -90 and 90")
    point = Point(lon, lat)
    query = (
        select(AdministrativeUnit)
        .where(
            _valid_on(on),
            AdministrativeUnit.level == "ward",
            AdministrativeUnit.geometry.is_not(None),
            AdministrativeUnit.min_lon <= lon,
            AdministrativeUnit.max_lon >= lon,
            AdministrativeUnit.min_lat <= lat,
            AdministrativeUnit.max_lat >= lat,
        )
        .order_by(AdministrativeUnit.code)
    )
    with db.session() as s:
        for unit in s.scalars(query):
            if unit.geometry and geo.from_geojson(unit.geometry).covers(point):
                return _read(unit)
    return None


def wards_geojson(db: Database, *, on: date) -> dict[str, Any]:
    """GeoJSON FeatureCollection of the wards valid on a date (areas approximate, flagged so)."""
    query = select(AdministrativeUnit).where(_valid_on(on), AdministrativeUnit.level == "ward")
    with db.session() as s:
        units = s.scalars(query.order_by(AdministrativeUnit.code)).all()
        features = [_unit_feature(u, note=u.geometry_note) for u in units]
    return {
        "type": "FeatureCollection",
        "features": features,
        "properties": {
            "date": on.isoformat(),
            "approximate": any(u.geometry_approximate for u in units),
            "note": geo.APPROXIMATE_NOTE,
        },
    }


def _unit_feature(unit: AdministrativeUnit, **extra: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": unit.code,
        "geometry": unit.geometry,
        "properties": {
            "code": unit.code,
            "name": unit.name,
            "approximate": unit.geometry_approximate,
            "area_km2": unit.area_km2,
            **extra,
            "valid_from": unit.valid_from.isoformat() if unit.valid_from else None,
            "valid_to": unit.valid_to.isoformat() if unit.valid_to else None,
        },
    }


def city_boundary(db: Database) -> dict[str, Any]:
    """The loaded city's boundary as a GeoJSON Feature; NotFound when no pack is loaded."""
    with db.session() as s:
        record = s.scalar(select(CityPackRecord).order_by(CityPackRecord.id).limit(1))
        unit = s.scalar(
            select(AdministrativeUnit)
            .where(
                AdministrativeUnit.level == "district",
                AdministrativeUnit.geometry.is_not(None),
                AdministrativeUnit.pack == (record.name if record else ""),
            )
            .order_by(AdministrativeUnit.id)
            .limit(1)
        )
        if record is None or unit is None:
            raise NotFound("No city pack is loaded (run: smartcity citypack load thu-dau-mot)")
        return _unit_feature(unit, pack=record.name, source=unit.source)


# --------------------------------------------------------------------------------------------- calendar


def working_calendar(db: Database, *, settings: Settings | None = None) -> WorkingCalendar:
    """The working calendar of the loaded city: holidays, the exceptions in the database, the cut-off.

    The afternoon cut-off is SMARTCITY_AFTERNOON_CUTOFF when set, else the pack's, else 15:00.
    """
    settings = settings or get_settings()
    with db.session() as s:
        rows = s.scalars(select(CalendarException)).all()
        record = s.scalar(select(CityPackRecord).order_by(CityPackRecord.id).limit(1))
    cutoff = settings.afternoon_cutoff
    if record is not None and "afternoon_cutoff" not in settings.model_fields_set:
        cutoff = time.fromisoformat(record.afternoon_cutoff)
    return WorkingCalendar(
        exceptions={r.day: r.kind for r in rows},
        notes={r.day: r.note for r in rows},
        afternoon_cutoff=cutoff,
        timezone=record.timezone if record else settings.timezone,
    )


def timezone_in(session: Session, *, settings: Settings | None = None) -> ZoneInfo:
    """The zone the working calendar uses (the loaded pack's, else the settings'), read in `session`."""
    recorded = session.scalar(select(CityPackRecord.timezone).order_by(CityPackRecord.id).limit(1))
    return ZoneInfo(recorded or (settings or get_settings()).timezone)


def list_calendar_exceptions(db: Database, *, year: int | None = None) -> list[CalendarExceptionRead]:
    """The calendar exceptions (of one year, if given), by date."""
    query = select(CalendarException).order_by(CalendarException.day)
    if year is not None:
        query = query.where(CalendarException.day.between(date(year, 1, 1), date(year, 12, 31)))
    with db.session() as s:
        return [_exception_read(r) for r in s.scalars(query)]


def _exception_read(row: CalendarException) -> CalendarExceptionRead:
    return CalendarExceptionRead(date=row.day, kind=row.kind, note=row.note, source=row.source)


def add_calendar_exception(
    db: Database, *, actor: Actor, day: date, kind: str, note: str
) -> CalendarExceptionRead:
    """Declare a make-up working day or an extra day off; Conflict if the day already has one."""
    if kind not in EXCEPTION_KINDS:
        raise ValidationFailed.for_field("kind", f"must be one of {', '.join(EXCEPTION_KINDS)}")
    if not note.strip():
        raise ValidationFailed.for_field("note", "say why, and which decision")
    with UnitOfWork(db, actor) as uow:
        if uow.session.scalar(select(CalendarException).where(CalendarException.day == day)) is not None:
            raise Conflict(f"{day.isoformat()} already has a calendar exception; remove it first")
        row = CalendarException(day=day, kind=kind, note=note.strip(), source="admin")
        uow.session.add(row)
        uow.audit("create", "calendar_exception", day.isoformat(), after={"kind": kind, "note": row.note})
    return _exception_read(row)


def remove_calendar_exception(db: Database, *, actor: Actor, day: date) -> None:
    """Remove the exception on a day (the pack's come back on its next load); NotFound if none."""
    with UnitOfWork(db, actor) as uow:
        row = uow.session.scalar(select(CalendarException).where(CalendarException.day == day))
        if row is None:
            raise NotFound(f"No calendar exception on {day.isoformat()}")
        before = {"kind": row.kind, "note": row.note, "source": row.source}
        uow.session.delete(row)
        uow.audit("delete", "calendar_exception", day.isoformat(), before=before)


__all__ = [
    "LoadReport",
    "Progress",
    "add_calendar_exception",
    "cached_units_on",
    "city_boundary",
    "get_unit",
    "list_calendar_exceptions",
    "list_packs",
    "load_city_pack",
    "remove_calendar_exception",
    "units_on",
    "ward_at",
    "wards_geojson",
    "working_calendar",
]
