"""Indicators of the public schools for the operations centre: pupils per school and level, class sizes
against the national norms, attendance, fee collection, learning devices per 1,000 pupils, online share."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from smartcity.city import service as city_service
from smartcity.core.db import Database
from smartcity.core.errors import NotFound
from smartcity.core.kpis import Indicator, KpiContext, KpiValue
from smartcity.education import service


def _rows(db: Database, context: KpiContext) -> list[dict[str, Any]]:
    """The schools' figures on the context's day, made once for all indicators of the pass."""
    return context.reuse(("education.school_figures", context.on), lambda: _school_figures(db, context))


def _school_figures(db: Database, context: KpiContext) -> list[dict[str, Any]]:
    try:
        return service.school_figures(db, context.settings, on=context.on)
    except NotFound:  # no school year yet
        return []


def _by_ward(
    rows: list[dict[str, Any]], context: KpiContext, value: Callable[[list[dict[str, Any]]], KpiValue]
) -> list[KpiValue]:
    """The city's value, then one per ward valid on the day (schools by their ward of record)."""
    out = [value(rows)]
    wards = set(city_service.ward_codes_on(context.on))
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row["ward_code"] in wards:
            grouped[row["ward_code"]].append(row)
    for ward, ward_rows in sorted(grouped.items()):
        item = value(ward_rows)
        out.append(KpiValue(item.value, ward=ward, numerator=item.numerator, denominator=item.denominator))
    return out


def _ratio_of(
    part: str, whole: str, scale: float = 100.0
) -> Callable[[Database, KpiContext], list[KpiValue]]:
    """The sum of one figure over the sum of another (× scale), for the city and each ward."""

    def value(rows: list[dict[str, Any]]) -> KpiValue:
        return KpiValue.share(sum(r[part] for r in rows), sum(r[whole] for r in rows), scale=scale, digits=1)

    return lambda db, context: _by_ward(_rows(db, context), context, value)


def _students(db: Database, context: KpiContext) -> list[KpiValue]:
    """Pupils enrolled this school year."""

    def value(rows: list[dict[str, Any]]) -> KpiValue:
        total = sum(r["students"] for r in rows)
        return KpiValue(float(total) if rows else None, numerator=total, denominator=len(rows))

    return _by_ward(_rows(db, context), context, value)


def _per_school(level: str | None) -> Callable[[Database, KpiContext], list[KpiValue]]:
    def compute(db: Database, context: KpiContext) -> list[KpiValue]:
        """Pupils per school (of one level, or all), in whole pupils."""

        def value(rows: list[dict[str, Any]]) -> KpiValue:
            chosen = [r for r in rows if level is None or r["level"] == level]
            total = sum(r["students"] for r in chosen)
            return KpiValue.share(total, len(chosen), scale=1.0, digits=0)

        return _by_ward(_rows(db, context), context, value)

    return compute


def _within_norm(db: Database, context: KpiContext) -> list[KpiValue]:
    """Classes within the charter's largest class size, in percent."""

    def value(rows: list[dict[str, Any]]) -> KpiValue:
        classes = sum(r["classes"] for r in rows)
        within = classes - sum(r["over_norm"] for r in rows)
        return KpiValue.share(within, classes, digits=1)

    return _by_ward(_rows(db, context), context, value)


def _attendance(db: Database, context: KpiContext) -> list[KpiValue]:
    """Present or late over all attendance marks of the period, in percent (the city)."""
    start, end = context.local_days()
    present, marked = service.attendance_rate(db, start=start, end=end)
    return [KpiValue.share(present, marked, digits=1)]


INDICATORS: list[Indicator] = [
    Indicator(
        code="education.students",
        name_vi="Học sinh các trường công lập",
        name_en="Pupils in public schools",
        unit="count",
        formula_vi="Tổng sĩ số các lớp của năm học hiện tại (mầm non, tiểu học, THCS công lập)",
        formula_en="Pupils in the classes of the current school year "
        "(public preschools, primary and lower secondary schools)",
        direction="up",
        compute=_students,
        iso_reference="ISO 37120:2018, 6.1 (cần đối chiếu)",  # (check): the clause is not verified
    ),
    *[
        Indicator(
            code=f"education.students_per_school{suffix}",
            name_vi=f"Học sinh bình quân mỗi trường{name_vi}",
            name_en=f"Pupils per school{name_en}",
            unit="count",
            formula_vi=f"Tổng học sinh / số trường{name_vi}, làm tròn đến từng học sinh",
            formula_en=f"All pupils / number of schools{name_en}, rounded to whole pupils",
            direction="down",
            compute=_per_school(level),
        )
        for level, suffix, name_vi, name_en in (
            (None, "", "", ""),
            ("preschool", "_preschool", " mầm non", " (preschool)"),
            ("primary", "_primary", " tiểu học", " (primary)"),
            ("lower_secondary", "_lower_secondary", " THCS", " (lower secondary)"),
        )
    ],
    Indicator(
        code="education.classes_within_norm",
        name_vi="Lớp học đúng sĩ số quy định",
        name_en="Classes within the national class-size norm",
        unit="%",
        formula_vi="Lớp có sĩ số không vượt mức tối đa của điều lệ trường (mầm non theo nhóm tuổi; "
        "tiểu học 35; THCS 45) / tổng số lớp × 100",
        formula_en="Classes no larger than the school charter's maximum (preschool: by age group; "
        "primary: 35; lower secondary: 45) / all classes × 100",
        direction="up",
        compute=_within_norm,
        target=100.0,
    ),
    Indicator(
        code="education.attendance_rate",
        name_vi="Tỷ lệ chuyên cần của học sinh",
        name_en="Pupil attendance rate",
        unit="%",
        formula_vi="Lượt có mặt (kể cả đi muộn) / tổng lượt điểm danh trong kỳ × 100",
        formula_en="Attendances (late arrivals included) / roll calls in the period × 100",
        direction="up",
        compute=_attendance,
        target=97.0,
        thresholds=(95.0,),
    ),
    Indicator(
        code="education.fee_collection_rate",
        name_vi="Tỷ lệ thu các khoản đến hạn tại trường",
        name_en="Collection rate of school fees fallen due",
        unit="%",
        formula_vi="Số tiền đã thu trên các hóa đơn năm học đã đến hạn / số tiền của các hóa đơn đó × 100",
        formula_en="Amount collected on the school year's invoices fallen due "
        "/ amount of those invoices × 100",
        direction="up",
        compute=_ratio_of("fee_paid_vnd", "fee_billed_vnd"),  # collected over billed
        target=98.0,
        thresholds=(90.0,),
    ),
    Indicator(
        code="education.learning_devices_per_1000",
        name_vi="Thiết bị học tập trên 1.000 học sinh",
        name_en="Learning devices per 1,000 pupils",
        unit="per 1000",
        formula_vi="Máy tính, máy tính bảng dùng cho học sinh đang sử dụng / số học sinh × 1.000",
        formula_en="Computers and tablets in use by pupils / pupils × 1,000",
        direction="up",
        compute=_ratio_of("devices", "students", 1000.0),
        iso_reference="ISO 37122:2019, 6.4 (cần đối chiếu)",  # (check): the clause is not verified
        frequency="monthly",
    ),
    Indicator(
        code="education.online_or_blended_share",
        name_vi="Lớp học trực tuyến hoặc kết hợp",
        name_en="Classes taught online or blended",
        unit="%",
        formula_vi="Lớp có tiết học trực tuyến trong thời khóa biểu (hoặc báo cáo dạy trực tuyến, kết hợp) "
        "/ tổng số lớp × 100",
        formula_en="Classes with online lessons on their timetable (or reported as taught online "
        "or blended) / all classes × 100",
        direction="up",
        compute=_ratio_of("online_or_blended", "classes"),
        frequency="monthly",
    ),
]
