"""The printable planning information sheet (phiếu thông tin quy hoạch): A4 PDF with a map extract."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from shapely.geometry.base import BaseGeometry

from smartcity.core.numbers import number
from smartcity.core.pdf import sans_fonts
from smartcity.gis.geo import to_metric
from smartcity.gis.layers import LAND_USE_COLOURS
from smartcity.gis.schemas import PlanningInfo


@dataclass(frozen=True)
class MapLayer:
    """Geometries to draw in the map extract, with their style."""

    geometries: Sequence[tuple[BaseGeometry, str]]  # (WGS 84 geometry, fill colour or "")
    stroke: str
    width: float


def _fonts() -> tuple[str, str]:
    fonts = sans_fonts()
    return fonts.regular, fonts.bold


def zone_colour(land_use: str) -> str:
    """The map colour of a land-use code."""
    return LAND_USE_COLOURS.get(land_use, "#dddddd")


def render_sheet(
    info: PlanningInfo, *, layers: Sequence[MapLayer], extent: BaseGeometry, issued: date, url: str = ""
) -> bytes:
    """The sheet as PDF bytes: what was asked, the parcel, the zones and rules, wards, and the map."""
    regular, bold = _fonts()
    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle("Phiếu thông tin quy hoạch")
    pdf.setAuthor("Nền tảng đô thị thông minh")
    width, height = A4
    y = height - 20 * mm
    pdf.setFont(bold, 14)
    pdf.drawCentredString(width / 2, y, "PHIẾU THÔNG TIN QUY HOẠCH")
    y -= 6 * mm
    pdf.setFont(regular, 9)
    pdf.drawCentredString(
        width / 2, y, "Planning information sheet — cấp ngày " + issued.strftime("%d/%m/%Y")
    )
    if info.synthetic:
        y -= 6 * mm
        pdf.setFillColor(colors.HexColor("#b00020"))
        pdf.setFont(bold, 10)
        pdf.drawCentredString(
            width / 2, y, "DỮ LIỆU MÔ PHỎNG — không có giá trị pháp lý (synthetic demo data)"
        )
        pdf.setFillColor(colors.black)
    y = _facts(pdf, info, y - 10 * mm, regular, bold)
    map_height = min(130 * mm, y - 30 * mm)
    _map(pdf, layers, extent, (20 * mm, y - map_height, width - 40 * mm, map_height), regular)
    pdf.setFont(regular, 7)
    notes = [*info.notes, "Ranh giới phường là gần đúng (approximate ward areas).", url]
    for index, note in enumerate(n for n in notes if n):
        pdf.drawString(20 * mm, 14 * mm - index * 3.5 * mm, note[:150])
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _facts(pdf: Canvas, info: PlanningInfo, y: float, regular: str, bold: str) -> float:
    rows: list[tuple[str, str]] = [("Vị trí (WGS 84)", f"{info.lat:.6f}, {info.lon:.6f}")]
    if info.address:
        rows.append(("Địa chỉ", f"{info.address.house_number} {info.address.street_name}"))
    if info.parcel:
        p = info.parcel
        rows += [
            ("Thửa đất", f"Tờ bản đồ số {p.map_sheet}, thửa số {p.parcel_number}"),
            ("Diện tích, loại đất", f"{number(p.area_m2, 1)} m², {p.land_use_code}"),
        ]
    if info.ward_of_record:
        w = info.ward_of_record
        rows.append(("Phường (theo hồ sơ)", f"{w.name} ({w.code}), ngày {w.on.strftime('%d/%m/%Y')}"))
    if info.ward_today:
        w = info.ward_today
        rows.append(("Phường (hiện nay)", f"{w.name} ({w.code})"))
    for zone in info.zones:
        share = f" — {zone.share_pct:.0f}% thửa đất" if zone.share_pct is not None else ""
        rows.append((f"Ô quy hoạch {zone.zone_code}", f"{zone.land_use_code} {zone.land_use_name}{share}"))
        rows.append(
            ("  Chỉ tiêu", _rules(zone.max_coverage_pct, zone.max_floors, zone.max_height_m, zone.max_far))
        )
        rows.append(("  Đồ án quy hoạch", zone.plan_name))
        rows.append(("  Phê duyệt", zone.approval))
    if not info.zones:
        rows.append(("Quy hoạch", "Không có ô quy hoạch tại vị trí này"))
    for label, value in rows:
        pdf.setFont(bold, 9)
        pdf.drawString(20 * mm, y, label)
        pdf.setFont(regular, 9)
        pdf.drawString(65 * mm, y, value[:95])
        y -= 5.5 * mm
    return y - 4 * mm


def _rules(coverage: float | None, floors: int | None, height: float | None, far: float | None) -> str:
    parts = []
    if coverage is not None:
        parts.append(f"mật độ XD ≤ {coverage:g}%")
    if floors is not None:
        parts.append(f"tầng cao ≤ {floors}")
    if height is not None:
        parts.append(f"chiều cao ≤ {height:g} m")
    if far is not None:
        parts.append(f"HSSDĐ ≤ {far:g}")
    return ", ".join(parts) or "—"


def _map(
    pdf: Canvas,
    layers: Sequence[MapLayer],
    extent: BaseGeometry,
    frame: tuple[float, float, float, float],
    font: str,
) -> None:
    x0, y0, w, h = frame
    minx, miny, maxx, maxy = to_metric(extent).bounds
    scale = min(w / max(maxx - minx, 1.0), h / max(maxy - miny, 1.0))
    pdf.saveState()
    pdf.rect(x0, y0, w, h)
    clip = pdf.beginPath()
    clip.rect(x0, y0, w, h)
    pdf.clipPath(clip, stroke=0, fill=0)

    def project(geometry: BaseGeometry) -> list[list[tuple[float, float]]]:
        metric = to_metric(geometry)
        rings = []
        for part in getattr(metric, "geoms", [metric]):
            if part.geom_type == "Polygon":
                rings.append(
                    [(x0 + (x - minx) * scale, y0 + (y - miny) * scale) for x, y in part.exterior.coords]
                )
            elif part.geom_type == "LineString":
                rings.append([(x0 + (x - minx) * scale, y0 + (y - miny) * scale) for x, y in part.coords])
        return rings

    for layer in layers:
        pdf.setStrokeColor(colors.HexColor(layer.stroke))
        pdf.setLineWidth(layer.width)
        for geometry, fill in layer.geometries:
            for ring in project(geometry):
                path = pdf.beginPath()
                path.moveTo(*ring[0])
                for point in ring[1:]:
                    path.lineTo(*point)
                if fill:
                    path.close()
                    pdf.setFillColor(colors.HexColor(fill))
                pdf.drawPath(path, stroke=1, fill=1 if fill else 0)
    pdf.restoreState()
    _scale_bar(pdf, x0 + 4 * mm, y0 + 4 * mm, scale, font)
    pdf.setFont(font, 9)
    pdf.drawCentredString(x0 + w - 8 * mm, y0 + h - 8 * mm, "B ↑")


def _scale_bar(pdf: Canvas, x: float, y: float, scale: float, font: str) -> None:
    metres = 50 if scale * 50 > 15 * mm else 100 if scale * 100 > 15 * mm else 500
    pdf.setLineWidth(2)
    pdf.setStrokeColor(colors.black)
    pdf.line(x, y, x + metres * scale, y)
    pdf.setFont(font, 7)
    pdf.drawString(x, y + 2 * mm, f"{metres} m")
