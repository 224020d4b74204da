"""Daily and monthly operations reports: indicators against targets, incidents, alerts; PDF and XLSX."""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle
from sqlalchemy import func, select

from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.errors import ValidationFailed
from smartcity.core.kpis import Indicator
from smartcity.core.numbers import number
from smartcity.core.pdf import build_pdf, sans_fonts, styles
from smartcity.ioc.catalogue import SEVERITIES, STATES, TYPES, UNIT_WORDS
from smartcity.ioc.models import CapAlert, Incident, IndicatorValue
from smartcity.ioc.service.indicators import _midnight, catalogue, level_of

LEVEL_VI = {"ok": "Đạt", "warning": "Cần theo dõi", "critical": "Báo động", "none": "Chưa có số liệu"}


@dataclass(frozen=True)
class ReportData:
    """What a report says: the period, indicator rows, incidents and alert counts."""

    kind: str
    label: str
    start: datetime
    end: datetime
    indicators: list[dict[str, Any]]
    incidents: list[Incident]
    by_day: list[tuple[str, int]]
    alerts: int


def period(kind: str, key: str, settings: Settings) -> tuple[str, datetime, datetime]:
    """The label and [start, end) of "daily" 2026-12-04 or "monthly" 2026-11, in the city's days."""
    try:
        if kind == "daily":
            day = date.fromisoformat(key)
            return (
                f"ngày {day:%d/%m/%Y}",
                _midnight(day, settings),
                _midnight(day + timedelta(days=1), settings),
            )
        if kind == "monthly":
            first = date.fromisoformat(f"{key}-01")
            following = (first + timedelta(days=32)).replace(day=1)
            return f"tháng {first:%m/%Y}", _midnight(first, settings), _midnight(following, settings)
    except ValueError as exc:
        raise ValidationFailed.for_field(
            "period", "a date 2026-12-04 (daily) or a month 2026-11 (monthly)"
        ) from exc
    raise ValidationFailed.for_field("kind", "daily or monthly")


def gather(db: Database, *, settings: Settings, kind: str, key: str) -> ReportData:
    """Collect the figures of a report."""
    label, start, end = period(kind, key, settings)
    with db.session() as s:
        incidents = list(
            s.scalars(
                select(Incident)
                .where(Incident.opened_at >= start, Incident.opened_at < end)
                .order_by(Incident.opened_at)
            )
        )
        alerts = (
            s.scalar(
                select(func.count())
                .select_from(CapAlert)
                .where(CapAlert.sent_at >= start, CapAlert.sent_at < end)
            )
            or 0
        )
        s.expunge_all()
    rows = [_indicator_row(db, indicator, kind, start, end) for indicator in catalogue(db)]
    days = Counter(clock.local_date(i.opened_at, settings).strftime("%d/%m") for i in incidents)
    return ReportData(kind, label, start, end, rows, incidents, sorted(days.items()), alerts)


def _indicator_row(
    db: Database, indicator: Indicator, kind: str, start: datetime, end: datetime
) -> dict[str, Any]:
    """The indicator's city value for the report's period: the month's value, or the day's (hourly: last)."""
    frequency = (
        "monthly"
        if kind == "monthly"
        else ("daily" if indicator.frequency == "monthly" else indicator.frequency)
    )
    with db.session() as s:
        value = s.scalar(
            select(IndicatorValue.value)
            .where(
                IndicatorValue.code == indicator.code,
                IndicatorValue.frequency == frequency,
                IndicatorValue.value.is_not(None),
                IndicatorValue.ward_code == "",
                IndicatorValue.period_start >= start,
                IndicatorValue.period_start < end,
            )
            .order_by(IndicatorValue.period_start.desc())
            .limit(1)
        )
    level = level_of(indicator, value) if value is not None else "none"
    return {"indicator": indicator, "value": value, "level": level}


def _with_unit(value: float | None, indicator: Indicator) -> str:
    """A figure to two decimals at most with its unit (Vietnamese), or a dash."""
    return "—" if value is None else f"{number(value, max_digits=2)} {_unit(indicator)}".strip()


def report_pdf(db: Database, *, settings: Settings, kind: str, key: str) -> bytes:
    """The operations report as an A4 PDF with a chart of incidents by day."""
    data = gather(db, settings=settings, kind=kind, key=key)
    st, fonts = styles(), sans_fonts()
    title = f"Báo cáo vận hành {data.label}"
    story: list[Any] = [
        Paragraph("TRUNG TÂM ĐIỀU HÀNH ĐÔ THỊ THÔNG MINH THỦ DẦU MỘT", st["center"]),
        Paragraph(title.upper(), st["title"]),
        Paragraph("1. Chỉ số", st["heading"]),
        _table(
            [["Chỉ số", "Giá trị", "Mục tiêu", "Đánh giá"]]
            + [
                [
                    Paragraph(r["indicator"].name_vi, st["small"]),
                    _with_unit(r["value"], r["indicator"]),
                    number(r["indicator"].target, max_digits=2),
                    LEVEL_VI[str(r["level"])],
                ]
                for r in data.indicators
            ],
            fonts.regular,
            fonts.bold,
            (235, 80, 70, 105),
        ),
        Paragraph("2. Sự cố", st["heading"]),
        Paragraph(_incident_summary(data), st["body"]),
    ]
    if data.by_day:
        story += [Spacer(1, 6), _chart(data.by_day, fonts.regular)]
    story.append(
        _table(
            [["Mã", "Loại", "Mức độ", "Trạng thái", "Mở lúc"]]
            + [
                [
                    Paragraph(text, st["small"])
                    for text in (
                        i.code,
                        TYPES[i.type].name_vi,
                        SEVERITIES[i.severity][0],
                        STATES[i.state][0],
                        clock.local(i.opened_at, settings).strftime("%d/%m/%Y %H:%M"),
                    )
                ]
                for i in data.incidents[:200]
            ],
            fonts.regular,
            fonts.bold,
            (88, 118, 95, 100, 90),
        )
    )
    story += [
        Paragraph("3. Cảnh báo công cộng (CAP)", st["heading"]),
        Paragraph(f"Số cảnh báo đã phát: {data.alerts}", st["body"]),
    ]
    return build_pdf(story, title=title)


def _unit(indicator: Indicator) -> str:
    return UNIT_WORDS["vi"].get(indicator.unit, indicator.unit)


def _incident_summary(data: ReportData) -> str:
    total = len(data.incidents)
    by_state = Counter(i.state for i in data.incidents)
    parts = ", ".join(f"{STATES[s][0].lower()}: {n}" for s, n in by_state.most_common())
    return f"Tổng số sự cố mở trong kỳ: {total}" + (f" ({parts})." if parts else ".")


def _table(rows: list[list[Any]], regular: str, bold: str, widths: tuple[int, ...]) -> Table:
    table = Table(rows, colWidths=list(widths), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), regular, 9),
                ("FONT", (0, 0), (-1, 0), bold, 9),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef7")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _chart(by_day: list[tuple[str, int]], font: str) -> Drawing:
    drawing = Drawing(480, 160)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 25, 420, 120
    chart.data = [[n for _d, n in by_day]]
    chart.categoryAxis.categoryNames = [d for d, _n in by_day]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = colors.HexColor("#1f6feb")
    drawing.add(chart)
    return drawing


def report_xlsx(db: Database, *, settings: Settings, kind: str, key: str) -> bytes:
    """The operations report as an XLSX workbook: indicators, incidents, a bar chart of incidents by day."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference

    data = gather(db, settings=settings, kind=kind, key=key)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Chỉ số"
    sheet.append([f"Báo cáo vận hành {data.label}"])
    sheet.append(["Mã", "Chỉ số", "Đơn vị", "Giá trị", "Mục tiêu", "Đánh giá", "Tham chiếu ISO"])
    for r in data.indicators:
        ind = r["indicator"]
        sheet.append(
            [
                ind.code,
                ind.name_vi,
                ind.unit,
                r["value"],
                ind.target,
                LEVEL_VI[str(r["level"])],
                ind.iso_reference or "",
            ]
        )
    incidents = workbook.create_sheet("Sự cố")
    incidents.append(["Mã", "Loại", "Mức độ", "Trạng thái", "Mở lúc", "Số sự kiện gộp"])
    for i in data.incidents:
        incidents.append(
            [
                i.code,
                TYPES[i.type].name_vi,
                i.severity,
                STATES[i.state][0],
                clock.local(i.opened_at, settings).strftime("%d/%m/%Y %H:%M"),
                i.event_count,
            ]
        )
    days = workbook.create_sheet("Theo ngày")
    days.append(["Ngày", "Số sự cố"])
    for day, n in data.by_day:
        days.append([day, n])
    if data.by_day:
        chart = BarChart()
        chart.title = "Sự cố theo ngày"
        chart.add_data(
            Reference(days, min_col=2, min_row=1, max_row=len(data.by_day) + 1), titles_from_data=True
        )
        chart.set_categories(Reference(days, min_col=1, min_row=2, max_row=len(data.by_day) + 1))
        days.add_chart(chart, "D2")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
