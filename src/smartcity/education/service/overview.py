"""The department's view across schools: enrolment, class sizes, fee collection, attendance, devices,
teaching modes — aggregates only, never a child's record."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.errors import Forbidden
from smartcity.core.numbers import number
from smartcity.core.numbers import percent as percent_text
from smartcity.core.security import Actor
from smartcity.core.text import fold
from smartcity.education.models import School, SchoolClass
from smartcity.education.service.assets import devices_by_school
from smartcity.education.service.attendance import attendance_by_school
from smartcity.education.service.common import (
    LEVELS,
    MODES,
    class_norm,
    is_department,
    ward_name,
    year_on,
)
from smartcity.education.service.reconciliation import collection_by_school

ATTENDANCE_WINDOW_DAYS = 30


def percent(part: int | float, whole: int | float) -> float | None:
    """Part of whole in percent, one decimal (None when the whole is zero)."""
    return round(100 * part / whole, 1) if whole else None


def class_stats(db: Database, *, on: date) -> dict[int, dict[str, Any]]:
    """Per school id: classes, enrolment, classes above the national norm, classes by teaching mode."""
    with db.session() as s:
        year = year_on(s, on)
        rows = s.execute(
            select(
                SchoolClass.school_id,
                School.level,
                SchoolClass.grade,
                SchoolClass.enrolled_count,
                SchoolClass.teaching_mode,
            )
            .join(School, School.id == SchoolClass.school_id)
            .where(SchoolClass.year_id == year.id)
        )
        stats: dict[int, dict[str, Any]] = defaultdict(
            lambda: {"classes": 0, "students": 0, "over_norm": 0, **dict.fromkeys(MODES, 0)}
        )
        for school_id, level, grade, enrolled, mode in rows:
            item = stats[int(school_id)]
            item["classes"] += 1
            item["students"] += int(enrolled)
            item["over_norm"] += int(enrolled > class_norm(level, grade))
            item[mode] += 1
    return dict(stats)


def school_figures(db: Database, settings: Settings, *, on: date | None = None) -> list[dict[str, Any]]:
    """Every school with its figures (the department's table and map)."""
    on = on or clock.today(settings)
    stats = class_stats(db, on=on)
    collection = collection_by_school(db, on=on)
    attendance = attendance_by_school(db, start=on - timedelta(days=ATTENDANCE_WINDOW_DAYS), end=on)
    devices = devices_by_school(db)
    schools = db.all(select(School))
    order = {lvl: i for i, lvl in enumerate(LEVELS)}
    schools.sort(key=lambda sc: (order[sc.level], fold(sc.name)))
    rows = []
    for school in schools:
        st = stats.get(school.id, {"classes": 0, "students": 0, "over_norm": 0, **dict.fromkeys(MODES, 0)})
        paid, billed = collection.get(school.id, (0, 0))
        present, marked = attendance.get(school.id, (0, 0))
        rate = percent(paid, billed)
        rows.append(
            {
                "code": school.code,
                "name": school.name,
                "level": school.level,
                "level_name": LEVELS[school.level],
                "ward_code": school.ward_code,
                "ward_name": ward_name(school.ward_code, school.ward_on),
                "lon": school.lon,
                "lat": school.lat,
                "capacity": school.capacity,
                "students": st["students"],
                "classes": st["classes"],
                "average_class": round(st["students"] / st["classes"], 1) if st["classes"] else None,
                "over_norm": st["over_norm"],
                "online_or_blended": st["online"] + st["blended"],
                "fee_billed_vnd": billed,
                "fee_paid_vnd": paid,
                "fee_rate": rate,
                "attendance_rate": percent(present, marked),
                "devices": devices.get(school.id, 0),
            }
        )
    return rows


def overview(db: Database, *, actor: Actor, settings: Settings) -> dict[str, Any]:
    """The department's view: every school's figures and the totals by level and for the city."""
    if not is_department(actor, settings):
        raise Forbidden("Chỉ cơ quan quản lý giáo dục xem được số liệu toàn thành phố.")
    today = clock.today(settings)
    rows = school_figures(db, settings, on=today)
    with db.session() as s:
        year = year_on(s, today)
    return {
        "year": year.name,
        "on": today,
        "schools": rows,
        "levels": totals_by_level(rows),
        "city": totals(rows),
    }


def totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Sums and rates over some schools' rows."""
    students = sum(r["students"] for r in rows)
    classes = sum(r["classes"] for r in rows)
    billed = sum(r["fee_billed_vnd"] for r in rows)
    paid = sum(r["fee_paid_vnd"] for r in rows)
    devices = sum(r["devices"] for r in rows)
    fee_rate = percent(paid, billed)
    average = round(students / classes, 1) if classes else None
    share = percent(sum(r["online_or_blended"] for r in rows), classes)
    per_1000 = round(1000 * devices / students, 1) if students else None
    return {
        "schools": len(rows),
        "students": students,
        "classes": classes,
        "average_class": average,
        "over_norm": sum(r["over_norm"] for r in rows),
        "online_or_blended": sum(r["online_or_blended"] for r in rows),
        "online_share": share,
        "fee_billed_vnd": billed,
        "fee_paid_vnd": paid,
        "fee_rate": fee_rate,
        "devices": devices,
        "devices_per_1000": per_1000,
    }


def totals_by_level(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The totals of each level."""
    return [
        {"level": lvl, "level_name": name, **totals([r for r in rows if r["level"] == lvl])}
        for lvl, name in LEVELS.items()
    ]


# a school's dot on the department's map by its fee collection rate: (from this %, colour, Vietnamese legend
# label), highest first, and the dot of a school with nothing due yet; shared by the map and its legend
FEE_RATE_BANDS = (
    (95.0, "#2b8a3e", "Trường thu đạt từ 95%"),
    (85.0, "#f59f00", "Trường thu từ 85% đến dưới 95%"),
    (float("-inf"), "#d9480f", "Trường thu dưới 85%"),
)
NO_FEE_RATE = ("#868e96", "Trường chưa có khoản thu đến hạn")


def fee_rate_colour(rate: float | None) -> str:
    """The colour of a school's dot for its fee collection rate."""
    if rate is None:
        return NO_FEE_RATE[0]
    return next(colour for lowest, colour, _ in FEE_RATE_BANDS if rate >= lowest)


def fee_rate_legend() -> list[dict[str, str]]:
    """The department map's legend: one entry per colour a school's dot can take."""
    return [
        {"layer": "schools", "label": label, "colour": colour, "shape": "dot"}
        for colour, label in [*((colour, label) for _, colour, label in FEE_RATE_BANDS), NO_FEE_RATE]
    ]


def schools_geojson(rows: list[dict[str, Any]], locale: str = "vi") -> dict[str, Any]:
    """The schools as GeoJSON points with their figures, for the department's map; the map's pop-up shows
    `students_text` and `fee_rate_text`, written in `locale` (the page's language)."""
    keep = ("code", "name", "level", "level_name", "ward_name", "students", "fee_rate", "classes", "capacity")
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
                "properties": {k: r[k] for k in keep}
                | {
                    "students_text": number(r["students"], None, locale),
                    "fee_rate_text": percent_text(r["fee_rate"], 1, locale),
                    "colour": fee_rate_colour(r["fee_rate"]),
                },
            }
            for r in rows
        ],
    }
