"""The printed route sheet of a vehicle: stops in order with arrival, container, load, a column to sign."""

from __future__ import annotations

from reportlab.lib import colors
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from smartcity.core.numbers import number
from smartcity.core.pdf import build_pdf, sans_fonts, styles
from smartcity.waste.models import Plan, Route


def route_sheet(plan: Plan, route: Route, *, vehicle_name: str, depot_name: str) -> bytes:
    """A4 PDF of one route (in Vietnamese)."""
    style = styles()
    fonts = sans_fonts()
    rows = [["#", "Giờ đến", "Điểm thu gom", "Tải sau điểm (kg)", "Đã đổ (ký)"]]
    for i, stop in enumerate(route.stops, start=1):
        rows.append(
            [str(i), stop["arrival"], Paragraph(stop["name"], style["small"]), number(stop["load_kg"], 0), ""]
        )
    table = Table(rows, colWidths=[22, 50, 250, 90, 70], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), fonts.regular),
                ("FONTNAME", (0, 0), (-1, 0), fonts.bold),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    summary = (
        f"Xe {route.vehicle_id} ({vehicle_name}) — xuất phát từ {depot_name}. "
        f"Quãng đường {number(route.distance_km, 1)} km, tải {number(route.load_kg, 0)} kg, "
        f"{len(route.stops)} điểm, từ {route.start_min // 60:02d}:{route.start_min % 60:02d} "
        f"đến {route.end_min // 60:02d}:{route.end_min % 60:02d}."
    )
    flowables = [
        Paragraph("PHIẾU LỘ TRÌNH THU GOM RÁC", style["title"]),
        Paragraph(f"Ngày {plan.day:%d/%m/%Y} — kế hoạch số {plan.id}", style["center"]),
        Spacer(1, 8),
        Paragraph(summary, style["body"]),
        Spacer(1, 8),
        table,
        Spacer(1, 16),
        Paragraph("Tài xế ký tên: ............................................", style["body"]),
    ]
    return build_pdf(flowables, title=f"Lộ trình {route.vehicle_id} ngày {plan.day:%d/%m/%Y}")
