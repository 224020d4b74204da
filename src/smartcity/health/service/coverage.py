"""Electronic-record coverage: residents with a record (a Patient with at least one Encounter) by ward
(unit of date) and age group, against the ward's population."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import and_, exists, func, literal, select
from sqlalchemy.orm import aliased

from smartcity.city import service as city_service
from smartcity.core.db import Database
from smartcity.health.models import FhirResource, WardPopulation

AGE_GROUPS = ("0-5", "6-17", "18-59", "60+")
POPULATION_FILE = Path(__file__).resolve().parents[1] / "population.json"
# the source of population.json's figures, shown under the coverage table (English in health.po)
DEMO_SOURCE = "Số liệu minh hoạ, không phải thống kê chính thức"


def age_group(birthdate: date, on: date) -> str:
    """The age group of someone born on `birthdate`, on `on`."""
    age = on.year - birthdate.year - ((on.month, on.day) < (birthdate.month, birthdate.day))
    if age <= 5:
        return "0-5"
    if age <= 17:
        return "6-17"
    return "18-59" if age <= 59 else "60+"


@lru_cache(maxsize=1)
def demo_population() -> dict[str, Any]:
    """The demo population figures per ward (see the note in population.json)."""
    data: dict[str, Any] = json.loads(POPULATION_FILE.read_text(encoding="utf-8"))
    return data


def ensure_population(db: Database, rows: list[dict[str, Any]] | None = None) -> int:
    """Store ward population figures (default: the demo figures); idempotent; returns rows added."""
    if rows is None:
        data = demo_population()
        as_of = date.fromisoformat(data["as_of"])
        rows = [
            {
                "ward_code": ward,
                "as_of": as_of,
                "age_group": group,
                "population": round(total * share),
                "source": DEMO_SOURCE,
            }
            for ward, total in data["wards"].items()
            for group, share in data["age_shares"].items()
        ]
    added = 0
    with db.write_session() as s:
        for row in rows:
            found = s.scalar(
                select(WardPopulation).where(
                    WardPopulation.ward_code == row["ward_code"],
                    WardPopulation.as_of == row["as_of"],
                    WardPopulation.age_group == row["age_group"],
                )
            )
            if found is None:
                s.add(WardPopulation(**row))
                added += 1
            else:
                found.population, found.source = row["population"], row.get("source", found.source)
    return added


def population_on(db: Database, on: date) -> dict[tuple[str, str], int]:
    """(ward, age group) → residents, from the latest figures dated on or before `on`."""
    with db.session() as s:
        rows = s.scalars(
            select(WardPopulation).where(WardPopulation.as_of <= on).order_by(WardPopulation.as_of)
        ).all()
    figures: dict[tuple[str, str], int] = {}
    for row in rows:  # later figures replace earlier ones
        figures[(row.ward_code, row.age_group)] = row.population
    return figures


def population_sources(db: Database, on: date) -> list[str]:
    """Where the population figures in use on `on` come from (shown under the coverage tables)."""
    with db.session() as s:
        latest = s.scalar(select(func.max(WardPopulation.as_of)).where(WardPopulation.as_of <= on))
        if latest is None:
            return []
        found = s.scalars(
            select(WardPopulation.source).where(WardPopulation.as_of == latest).distinct()
        ).all()
    return sorted(t for t in found if t)


@dataclass(frozen=True)
class CoverageRow:
    """Residents with a record in a ward (None = city) and age group (None = all ages)."""

    ward_code: str | None
    age_group: str | None
    records: int
    population: int

    @property
    def share(self) -> float | None:
        """Percentage with a record."""
        return round(100 * self.records / self.population, 2) if self.population else None


def _ward_today(db: Database, code: str, ward_on: date | None, on: date) -> str:
    """The ward valid on `on` that a ward code recorded on `ward_on` became (unit of date)."""
    if (
        ward_on is None
        or city_service.is_after_reorganisation(ward_on)
        or not city_service.is_after_reorganisation(on)
    ):
        return code
    successors = city_service.get_unit(db, code, on=ward_on).successors
    whole = [s for s in successors if s.code and s.share == "whole"]
    chosen = (whole or [s for s in successors if s.code])[:1]
    return chosen[0].code if chosen and chosen[0].code else code


def records_by_ward(db: Database, on: date) -> dict[tuple[str, str], int]:
    """(ward valid on `on`, age group) → patients with at least one encounter up to `on`."""
    encounter = aliased(FhirResource)
    has_encounter = exists().where(
        and_(
            encounter.resource_type == "Encounter",
            encounter.is_current.is_(True),
            encounter.patient_ref == literal("Patient/") + FhirResource.logical_id,
            (encounter.clinical_date.is_(None)) | (encounter.clinical_date <= on),
        )
    )
    query = select(FhirResource.ward_code, FhirResource.ward_on, FhirResource.birthdate).where(
        FhirResource.resource_type == "Patient",
        FhirResource.is_current.is_(True),
        FhirResource.ward_code.is_not(None),
        FhirResource.birthdate.is_not(None),
        FhirResource.birthdate <= on,
        has_encounter,
    )
    counts: dict[tuple[str, str], int] = defaultdict(int)
    mapped: dict[tuple[str, date | None], str] = {}
    with db.session() as s:
        for row in s.execute(query):
            ward, ward_on, birthdate = row.ward_code, row.ward_on, row.birthdate
            if ward is None or birthdate is None:
                continue
            key = (ward, ward_on)
            if key not in mapped:
                mapped[key] = _ward_today(db, ward, ward_on, on)
            counts[(mapped[key], age_group(birthdate, on))] += 1
    return dict(counts)


def coverage_by_ward(db: Database, on: date) -> list[CoverageRow]:
    """Coverage per ward and age group, per ward (all ages) and for the city, on a date."""
    population = population_on(db, on)
    records = records_by_ward(db, on)
    wards = sorted({w for w, _ in population} | {w for w, _ in records})
    rows: list[CoverageRow] = []
    for ward in wards:
        for group in AGE_GROUPS:
            rows.append(
                CoverageRow(ward, group, records.get((ward, group), 0), population.get((ward, group), 0))
            )
        rows.append(
            CoverageRow(
                ward,
                None,
                sum(records.get((ward, g), 0) for g in AGE_GROUPS),
                sum(population.get((ward, g), 0) for g in AGE_GROUPS),
            )
        )
    ward_totals = [r for r in rows if r.age_group is None]
    rows.append(
        CoverageRow(None, None, sum(r.records for r in ward_totals), sum(r.population for r in ward_totals))
    )
    return rows
