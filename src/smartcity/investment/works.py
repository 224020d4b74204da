"""The public list of works (/cong-trinh): a page at a time, by the ward they are in today, by stage and by
words of their name (with or without diacritics).

A work records the ward it was in when it started; many started before the 2025 reorganisation, in wards
that no longer exist. The ward a work is in today is that ward if it is still valid, else its successor (the
city's own record of the reorganisation); where an old ward was split between new ones, the new ward at the
middle of the work's geometry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from shapely.geometry import shape
from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from smartcity.city import service as city_service
from smartcity.core.db import Database, get_or_404
from smartcity.core.errors import NotFound, ValidationFailed
from smartcity.core.pages import Page, PageParams, count_and_slice
from smartcity.core.text import matches
from smartcity.investment.models import Project
from smartcity.investment.service import PHASES, public_project

# the stages a citizen filters by, in the query string (Vietnamese words, not the stored codes) and in order
STAGES = {
    "dang-thi-cong": "implementation",
    "chuan-bi-dau-tu": "preparation",
    "da-hoan-thanh": "completed",
    "da-quyet-toan": "settled",
}
# works under way first, then those being prepared, then the finished ones; by code within a stage
_STAGE_ORDER = case({phase: rank for rank, phase in enumerate(STAGES.values())}, value=Project.phase, else_=9)


@dataclass(frozen=True)
class WorksFilter:
    """What the citizen asked for: a ward (code; one valid today, or one recorded before the reorganisation),
    a stage (code of `PHASES`), words of the name."""

    ward: str | None = None
    phase: str | None = None
    q: str = ""


def current_wards(db: Database, *, on: date) -> list[Any]:
    """The city's wards valid on `on` (the ward filter's choices), from the city's service."""
    return city_service.units_on(db, on=on, level="ward")


class _WardsToday:
    """The wards valid on a day that each recorded ward code is (or went to), read once per code."""

    def __init__(self, db: Database, on: date) -> None:
        self.db, self.on = db, on
        self.current = {unit.code: unit.name for unit in current_wards(db, on=on)}
        self._read: dict[str, tuple[str, list[str]]] = {}
        self._at: dict[tuple[float, float], str | None] = {}

    def _unit(self, code: str) -> tuple[str, list[str]]:
        """A recorded ward's name and the valid wards it is today: itself, or those it went to."""
        if code in self.current:
            return self.current[code], [code]
        if code not in self._read:
            try:
                unit = city_service.get_unit(self.db, code, on=self.on)
            except NotFound:
                self._read[code] = ("", [])
            else:
                successors = [s.code for s in unit.successors if s.code and s.code in self.current]
                self._read[code] = (unit.name, successors)
        return self._read[code]

    def _ward_at(self, geometry: dict[str, Any]) -> str | None:
        """The valid ward at the middle of the geometry (the city's `ward_at`, asked once a place)."""
        middle = shape(geometry).representative_point()
        if (middle.x, middle.y) not in self._at:
            try:
                ward = city_service.ward_at(self.db, lon=middle.x, lat=middle.y, on=self.on)
            except ValidationFailed:  # not a place on Earth: in no ward
                ward = None
            self._at[middle.x, middle.y] = ward.code if ward else None
        return self._at[middle.x, middle.y]

    def names(self, codes: list[str]) -> list[str]:
        """The names of recorded wards (a ward no longer valid: its last name)."""
        return [name for name in (self._unit(code)[0] for code in codes) if name]

    def former(self, codes: list[str]) -> list[str]:
        """The names of the recorded wards that are no longer valid."""
        return [self._unit(code)[0] for code in codes if code not in self.current and self._unit(code)[0]]

    def of(self, codes: list[str], geometry: dict[str, Any] | None) -> list[str]:
        """The codes of the valid wards a work recorded in `codes` is in today."""
        found: list[str] = []
        for code in codes:
            successors = self._unit(code)[1]
            if len(successors) > 1 and geometry:
                ward = self._ward_at(geometry)
                successors = [ward] if ward in successors else successors
            found += [s for s in successors if s not in found]
        return found


def _matching(session: Session, wards: _WardsToday, filters: WorksFilter) -> Select[Any]:
    """The works that meet the filters: in the ward today (a ward no longer valid: recorded in it), of the
    stage (one not known is no filter), with every word of `q` in the name."""
    query = select(Project)
    if filters.phase in PHASES:
        query = query.where(Project.phase == filters.phase)
    ward = filters.ward

    def in_ward(codes: list[str], geometry: dict[str, Any] | None) -> bool:
        if ward is None:
            return True
        return ward in (wards.of(codes, geometry) if ward in wards.current else codes)

    if ward or filters.q.strip():
        ids = [
            pid
            for pid, name, codes, geometry in session.execute(
                select(Project.id, Project.name, Project.ward_codes, Project.geometry)
            )
            if matches(name, filters.q) and in_ward(list(codes or []), geometry)
        ]
        query = query.where(Project.id.in_(ids))
    return query


def find_works(db: Database, *, on: date, filters: WorksFilter, paging: PageParams) -> Page[dict[str, Any]]:
    """A page of the works that meet the filters, under way first; each with its public fields, the names
    of the wards it is in on `on` (`wards_today`) and of those it was recorded in that are gone
    (`former_wards`)."""
    wards = _WardsToday(db, on)
    with db.session() as session:
        projects: list[Project]
        projects, total = count_and_slice(
            session,
            _matching(session, wards, filters),
            _STAGE_ORDER,
            Project.code,
            limit=paging.limit,
            offset=paging.offset,
        )
        items = [_with_wards_today(db, project, wards) for project in projects]
    return Page.of(items, total=total, paging=paging)


def get_work(db: Database, project_id: int, *, on: date) -> dict[str, Any]:
    """One work's public fields, with the wards it is in on `on` as `find_works` gives them."""
    with db.session() as session:
        project = get_or_404(session, Project, project_id, "Không có công trình này.")
        return _with_wards_today(db, project, _WardsToday(db, on))


def _with_wards_today(db: Database, project: Project, wards: _WardsToday) -> dict[str, Any]:
    codes = list(project.ward_codes or [])
    item = public_project(db, project, ward_names=wards.names(codes))
    item["wards_today"] = [wards.current[code] for code in wards.of(codes, project.geometry)]
    item["former_wards"] = wards.former(codes)
    return item


def list_works(
    db: Database, *, on: date, ward: str | None = None, kind: str | None = None
) -> list[dict[str, Any]]:
    """The works by code with their public fields, optionally of one type and in one ward as `/cong-trinh`
    filters: a ward valid on `on` finds the works in it that day, also those recorded in a ward it took
    over in the 2025 reorganisation; a ward no longer valid finds the works recorded in it (as before)."""
    wards = _WardsToday(db, on)
    with db.session() as session:
        query = _matching(session, wards, WorksFilter(ward=ward or None)).order_by(Project.code)
        projects = session.scalars(query.where(Project.kind == kind) if kind else query)
        return [public_project(db, project) for project in projects]


def stage_counts(db: Database) -> dict[str, int]:
    """How many works are in each stage (code of `PHASES`, all of them, none left out)."""
    with db.session() as session:
        rows = session.execute(select(Project.phase, func.count()).group_by(Project.phase))
        counts = {phase: int(n) for phase, n in rows}
    return {phase: counts.get(phase, 0) for phase in PHASES}


def works_geojson(db: Database, *, on: date, filters: WorksFilter) -> dict[str, Any]:
    """All the works that meet the filters (not a page) as a GeoJSON FeatureCollection for the map."""
    wards = _WardsToday(db, on)
    with db.session() as session:
        projects: list[Project] = list(
            session.scalars(_matching(session, wards, filters).order_by(Project.code))
        )
        items = [_with_wards_today(db, project, wards) for project in projects if project.geometry]
    features = [
        {
            "type": "Feature",
            "geometry": item["geometry"],
            "properties": {k: v for k, v in item.items() if k not in ("geometry", "ward_codes")},
        }
        for item in items
    ]
    return {"type": "FeatureCollection", "features": features}
