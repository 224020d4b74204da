"""Public datasets of the public schools: aggregates only (schools, enrolment by ward and level, fee
collection by school and month, learning devices) — never a child, never a name of a pupil."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.datasets import WARD, Column, Dataset, point_features, rate, suppress_small
from smartcity.core.db import Database
from smartcity.core.errors import NotFound
from smartcity.education import service


def _figures(db: Database, settings: Settings) -> list[dict[str, Any]]:
    try:
        return service.school_figures(db, settings, on=clock.today(settings))
    except NotFound:
        return []


def _schools(db: Database, settings: Settings) -> Iterable[dict[str, Any]]:
    """Every school's public fields with its enrolment and classes this year."""
    figures = {r["code"]: r for r in _figures(db, settings)}
    for school in service.list_schools(db):
        row = figures.get(school["code"], {})
        yield {
            "code": school["code"],
            "name": school["name"],
            "level": school["level_name"],
            "ward": school["ward_name"],
            "address": school["address"],
            "phone": school["phone"],
            "capacity": school["capacity"],
            "students": suppress_small(row.get("students")),
            "classes": row.get("classes"),
            "lon": school["lon"],
            "lat": school["lat"],
        }


def _features(db: Database, settings: Settings) -> dict[str, Any]:
    """The schools as GeoJSON points with their public fields."""
    return point_features((row.pop("lon"), row.pop("lat"), row) for row in _schools(db, settings))


def _by_ward_level(db: Database, settings: Settings) -> Iterable[dict[str, Any]]:
    """Schools, pupils, classes and classes above the norm by ward and level."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in _figures(db, settings):
        groups[(row["ward_name"], row["level_name"])].append(row)
    for (ward, level), rows in sorted(groups.items()):
        yield {
            "ward": ward,
            "level": level,
            "schools": len(rows),
            "students": suppress_small(sum(r["students"] for r in rows)),
            "classes": sum(r["classes"] for r in rows),
            "classes_over_norm": sum(r["over_norm"] for r in rows),
        }


def _collection(db: Database, settings: Settings) -> Iterable[dict[str, Any]]:
    """Billed and collected money per school and month."""
    for row in service.collection_by_month(db):
        share = rate(row["collected_vnd"], row["billed_vnd"])
        yield {**row, "invoices": suppress_small(row["invoices"]), "rate": share}


def _devices(db: Database, settings: Settings) -> Iterable[dict[str, Any]]:
    """Learning devices and pupils per school."""
    for row in _figures(db, settings):
        yield {
            "code": row["code"],
            "name": row["name"],
            "devices": row["devices"],
            "students": suppress_small(row["students"]),
            "per_1000": rate(row["devices"], row["students"], per=1000),
        }


def _year(db: Database, settings: Settings) -> tuple[date | None, date | None]:
    try:
        year = service.current_year(db, settings)
    except NotFound:
        return None, None
    return year["starts_on"], clock.today(settings)


DATASETS: list[Dataset] = [
    Dataset(
        name="education-schools",
        title_vi="Các trường công lập (mầm non, tiểu học, THCS)",
        title_en="Public schools (preschool, primary, lower secondary)",
        description_vi="Trường công lập: cấp học, phường, địa chỉ, vị trí, quy mô và sĩ số năm học hiện tại.",
        description_en="Public schools: level, ward, address, location, capacity and this year's enrolment.",
        themes=("EDUC", "GOVE"),
        keywords=("trường học", "giáo dục", "schools"),
        frequency="monthly",
        columns=(
            Column("code", "Mã trường", "Code"),
            Column("name", "Tên trường", "Name"),
            Column("level", "Cấp học", "Level"),
            WARD,
            Column("address", "Địa chỉ", "Address"),
            Column("phone", "Điện thoại", "Phone"),
            Column("capacity", "Quy mô (học sinh)", "Capacity (pupils)", "integer"),
            Column("students", "Học sinh", "Pupils", "integer"),
            Column("classes", "Số lớp", "Classes", "integer"),
            Column("lon", "Kinh độ", "Longitude", "number"),
            Column("lat", "Vĩ độ", "Latitude", "number"),
        ),
        rows=_schools,
        features=_features,
        temporal=_year,
    ),
    Dataset(
        name="education-enrolment-by-ward-level",
        title_vi="Học sinh theo phường và cấp học",
        title_en="Pupils by ward and level",
        description_vi="Số trường, học sinh, lớp và lớp vượt sĩ số quy định theo phường và cấp học.",
        description_en="Schools, pupils, classes and classes above the class-size norm by ward and level.",
        themes=("EDUC", "SOCI"),
        keywords=("sĩ số", "học sinh", "enrolment"),
        frequency="monthly",
        columns=(
            WARD,
            Column("level", "Cấp học", "Level"),
            Column("schools", "Số trường", "Schools", "integer"),
            Column("students", "Học sinh", "Pupils", "integer"),
            Column("classes", "Số lớp", "Classes", "integer"),
            Column("classes_over_norm", "Lớp vượt sĩ số", "Classes above the norm", "integer"),
        ),
        rows=_by_ward_level,
        temporal=_year,
    ),
    Dataset(
        name="education-fee-collection",
        title_vi="Thu các khoản tại trường theo tháng",
        title_en="School fee collection by month",
        description_vi="Số hóa đơn, số tiền phải thu và đã thu theo trường và tháng.",
        description_en="Invoices, money billed and collected by school and month.",
        themes=("EDUC", "ECON"),
        keywords=("học phí", "khoản thu", "fees"),
        frequency="monthly",
        columns=(
            Column("school_code", "Mã trường", "School code"),
            Column("school_name", "Tên trường", "School"),
            Column("month", "Tháng", "Month"),
            Column("invoices", "Số hóa đơn", "Invoices", "integer"),
            Column("billed_vnd", "Phải thu (đồng)", "Billed (VND)", "integer"),
            Column("collected_vnd", "Đã thu (đồng)", "Collected (VND)", "integer"),
            Column("rate", "Tỷ lệ thu (%)", "Collection rate (%)", "number"),
        ),
        rows=_collection,
        temporal=_year,
    ),
    Dataset(
        name="education-learning-devices",
        title_vi="Thiết bị học tập theo trường",
        title_en="Learning devices by school",
        description_vi="Máy tính, máy tính bảng dùng cho học sinh đang sử dụng và số trên 1.000 học sinh.",
        description_en="Computers and tablets in use by pupils, and per 1,000 pupils.",
        themes=("EDUC", "TECH"),
        keywords=("thiết bị", "chuyển đổi số", "devices"),
        frequency="monthly",
        columns=(
            Column("code", "Mã trường", "Code"),
            Column("name", "Tên trường", "Name"),
            Column("devices", "Thiết bị học tập", "Learning devices", "integer"),
            Column("students", "Học sinh", "Pupils", "integer"),
            Column("per_1000", "Trên 1.000 học sinh", "Per 1,000 pupils", "number"),
        ),
        rows=_devices,
    ),
]
