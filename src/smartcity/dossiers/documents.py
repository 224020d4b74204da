"""PDF documents of the one-stop process (forms 01–06, Circular 01/2018/TT-VPCP) and the results.

A4, Vietnamese text in DejaVu Sans. Results go through a `ResultIssuer`: `UnsignedResultIssuer` now; the
signing service will provide one that signs (PAdES) behind the same interface.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol
from xml.sax.saxutils import escape

import segno
from reportlab.graphics.shapes import Circle, Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from smartcity.city import service as city
from smartcity.core import clock
from smartcity.core.numbers import number
from smartcity.core.pdf import sans_fonts
from smartcity.dossiers.models import Dossier
from smartcity.dossiers.schemas import TimelineEntry
from smartcity.dossiers.states import state_name

FORM_TITLES = {
    "receipt": ("Mẫu số 01", "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"),
    "supplement_request": ("Mẫu số 02", "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ"),
    "refusal": ("Mẫu số 03", "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ"),
    "apology": ("Mẫu số 04", "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"),
    "control_sheet": ("Mẫu số 05", "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ"),
    "payment_receipt": ("", "BIÊN NHẬN THU PHÍ, LỆ PHÍ"),
}


def _dong(amount: int | None) -> str:
    """An amount as official papers write it: "1.250.000 đồng" (the đồng in words, not the ₫ sign)."""
    return f"{number(amount or 0, 0)} đồng"


def _fonts() -> tuple[str, str]:
    """The sans faces of every form (set up once, in core.pdf)."""
    fonts = sans_fonts()
    return fonts.regular, fonts.bold


def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = _fonts()
    return {
        "body": ParagraphStyle("body", fontName=regular, fontSize=11, leading=15),
        "small": ParagraphStyle("small", fontName=regular, fontSize=9, leading=12),
        "center": ParagraphStyle("center", fontName=regular, fontSize=11, leading=15, alignment=1),
        "title": ParagraphStyle(
            "title", fontName=bold, fontSize=14, leading=19, alignment=1, spaceBefore=8, spaceAfter=8
        ),
        "bold_center": ParagraphStyle("bold_center", fontName=bold, fontSize=11, leading=15, alignment=1),
    }


def _p(text: str, style: str = "body") -> Paragraph:
    return Paragraph(escape(text), _styles()[style])


def _local(moment: datetime | None) -> str:
    return clock.local(moment).strftime("%H:%M ngày %d/%m/%Y") if moment else "—"


def _day(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else "—"


def _header(unit: str, form_number: str | None = None) -> list[Flowable]:
    _fonts()
    left = [_p(unit.upper(), "bold_center"), _p("———", "center")]
    right = [
        _p("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "bold_center"),
        _p("Độc lập - Tự do - Hạnh phúc", "bold_center"),
    ]
    table = Table([[left, right]], colWidths=[75 * mm, 100 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    flow: list[Flowable] = []
    if form_number:
        flow.append(_p(form_number, "small"))
    flow.append(table)
    return flow


def qr_image(url: str, size_mm: float = 30) -> Image:
    """A QR code of the URL as a PDF image."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=6, border=2)
    buffer.seek(0)
    return Image(buffer, width=size_mm * mm, height=size_mm * mm)


def _build(flow: Sequence[Flowable], *, title: str, wide: bool = False) -> bytes:
    out = io.BytesIO()
    size = landscape(A4) if wide else A4
    document = SimpleDocTemplate(
        out,
        pagesize=size,
        leftMargin=20 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=title,
        author="Nền tảng đô thị thông minh",
        lang="vi",
    )
    document.build(list(flow))
    return out.getvalue()


def _grid(rows: list[list[Any]], widths: list[float], header: bool = True) -> Table:
    _fonts()
    styled = [[c if isinstance(c, Flowable) else _p(str(c), "small") for c in row] for row in rows]
    table = Table(styled, colWidths=[w * mm for w in widths], repeatRows=1 if header else 0)
    commands = [("GRID", (0, 0), (-1, -1), 0.5, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")))
    table.setStyle(TableStyle(commands))
    return table


def _signature(role: str) -> list[Flowable]:
    table = Table(
        [["", [_p(role, "bold_center"), _p("(Ký, ghi rõ họ tên)", "center")]]], colWidths=[85 * mm, 90 * mm]
    )
    return [Spacer(1, 8 * mm), table]


# ---------------------------------------------------------------- forms 01–05


def _applicant_lines(dossier: Dossier, applicant: str, *, with_code: bool = True) -> list[Flowable]:
    return [
        *([_p(f"Mã hồ sơ: {dossier.code}")] if with_code else []),
        _p(f"Tiếp nhận hồ sơ của: {applicant}"),
        _p(
            f"Số định danh cá nhân: {dossier.applicant_id_masked or '—'}     "
            f"Điện thoại: {dossier.applicant_phone_masked or '—'}"
        ),
        _p(f"Nội dung yêu cầu giải quyết: {dossier.procedure_name}"),
    ]


def _receipt(dossier: Dossier, applicant: str, *, base_url: str, **_: Any) -> list[Flowable]:
    lookup = f"{base_url.rstrip('/')}/tra-cuu?code={dossier.code}"
    qr = qr_image(lookup)
    top = Table(
        [
            [
                [
                    _p(f"Mã hồ sơ: {dossier.code}"),
                    _p(f"Kênh nộp: {'trực tuyến' if dossier.channel == 'online' else 'trực tiếp'}"),
                    _p("Quét mã QR để tra cứu tình trạng hồ sơ.", "small"),
                    _p(lookup, "small"),
                ],
                qr,
            ]
        ],
        colWidths=[140 * mm, 35 * mm],
    )
    return [
        top,
        *_applicant_lines(dossier, applicant, with_code=False),
        _p(f"Thời gian nhận hồ sơ: {_local(dossier.received_at)}"),
        _p(
            f"Thời gian giải quyết: {dossier.processing_days} ngày làm việc"
            if dossier.processing_days
            else "Thời gian giải quyết: trong ngày"
        ),
        _p(f"Ngày hẹn trả kết quả: {_day(dossier.apology_due_date or dossier.due_date)}"),
        _p(f"Lệ phí: {_dong(dossier.fee_vnd)}"),
        _p("Vào Sổ theo dõi hồ sơ, Quyển số: 01"),
        *_signature("NGƯỜI TIẾP NHẬN HỒ SƠ"),
    ]


def _supplement(
    dossier: Dossier, applicant: str, *, timeline: Sequence[TimelineEntry], **_: Any
) -> list[Flowable]:
    reason = next((t.note for t in reversed(timeline) if t.action == "request_supplement"), None)
    return [
        *_applicant_lines(dossier, applicant),
        _p("Hồ sơ cần bổ sung, hoàn thiện các nội dung sau:"),
        _p(reason or "—"),
        _p("Thời gian chờ bổ sung không tính vào thời hạn giải quyết."),
        _p("Lý do: theo quy định của thủ tục hành chính."),
        *_signature("NGƯỜI HƯỚNG DẪN"),
    ]


def _refusal(dossier: Dossier, applicant: str, **_: Any) -> list[Flowable]:
    return [
        *_applicant_lines(dossier, applicant),
        _p("Cơ quan, đơn vị từ chối tiếp nhận hồ sơ với lý do:"),
        _p(dossier.outcome_reason or "—"),
        _p("Xin thông báo để ông/bà được biết và thực hiện."),
        *_signature("NGƯỜI TIẾP NHẬN HỒ SƠ"),
    ]


def _apology(
    dossier: Dossier, applicant: str, *, timeline: Sequence[TimelineEntry], **_: Any
) -> list[Flowable]:
    reason = next((t.note for t in reversed(timeline) if t.action == "apologise"), None)
    return [
        *_applicant_lines(dossier, applicant),
        _p(f"Ngày hẹn trả kết quả ban đầu: {_day(dossier.due_date)}"),
        _p(f"Lý do chậm trễ: {reason or '—'}"),
        _p("Cơ quan, đơn vị xin lỗi ông/bà và hẹn lại ngày trả kết quả:"),
        _p(_day(dossier.apology_due_date), "bold_center"),
        *_signature("THỦ TRƯỞNG CƠ QUAN, ĐƠN VỊ"),
    ]


def _control_sheet(
    dossier: Dossier,
    applicant: str,
    *,
    timeline: Sequence[TimelineEntry],
    steps_due: dict[str, date],
    **_: Any,
) -> list[Flowable]:
    rows: list[list[Any]] = [["Tên cơ quan / người", "Thời gian", "Bước", "Hạn của bước", "Kết quả"]]
    for entry in timeline:
        rows.append(
            [
                entry.actor or entry.unit or "—",
                _local(entry.at),
                entry.action,
                _day(steps_due.get(entry.step or "")),
                state_name(entry.to_state),
            ]
        )
    return [
        _p(f"Mã hồ sơ: {dossier.code}    Ngày hẹn trả: {_day(dossier.apology_due_date or dossier.due_date)}"),
        _p(f"Thủ tục: {dossier.procedure_name}"),
        Spacer(1, 3 * mm),
        _grid(rows, [45, 35, 30, 28, 37]),
    ]


def _payment_receipt(dossier: Dossier, applicant: str, **_: Any) -> list[Flowable]:
    method = (
        "trực tuyến (cổng thanh toán thử nghiệm)" if dossier.paid_online else "trực tiếp tại Bộ phận Một cửa"
    )
    return [
        *_applicant_lines(dossier, applicant),
        _p(f"Số tiền: {_dong(dossier.fee_vnd)}"),
        _p(f"Hình thức nộp: {method}"),
        _p(f"Thời gian nộp: {_local(dossier.paid_at)}"),
        _p("Biên nhận này không thay thế biên lai thu phí, lệ phí theo mẫu của Bộ Tài chính.", "small"),
    ]


FORM_BUILDERS: dict[str, Callable[..., list[Flowable]]] = {
    "receipt": _receipt,
    "supplement_request": _supplement,
    "refusal": _refusal,
    "apology": _apology,
    "control_sheet": _control_sheet,
    "payment_receipt": _payment_receipt,
}


def process_form(
    kind: str,
    dossier: Dossier,
    *,
    applicant: str,
    timeline: Sequence[TimelineEntry],
    steps_due: dict[str, date],
    base_url: str,
    unit_names: Mapping[str, str] | None = None,
) -> bytes:
    """Form 01–05 of the one-stop process for a dossier, as PDF (units named when names are given);
    `applicant` is the applicant's decrypted name."""
    number, title = FORM_TITLES[kind]
    body = FORM_BUILDERS[kind](dossier, applicant, timeline=timeline, steps_due=steps_due, base_url=base_url)
    unit = (unit_names or {}).get(dossier.intake_unit, dossier.intake_unit)
    return _build([*_header(unit, number), _p(title, "title"), *body], title=f"{title} {dossier.code}")


def register_pdf(dossiers: Sequence[tuple[Dossier, str]], *, unit: str, period: str) -> bytes:
    """Form 06, the dossier register (sổ theo dõi hồ sơ) of a unit over a period, landscape A4, from
    (dossier, the applicant's decrypted name) pairs."""
    rows: list[list[Any]] = [
        ["STT", "Mã hồ sơ", "Thủ tục", "Người nộp", "Ngày nhận", "Hẹn trả", "Tình trạng"]
    ]
    for index, (d, applicant) in enumerate(dossiers, start=1):
        rows.append(
            [
                index,
                d.code,
                d.procedure_name,
                applicant,
                _local(d.received_at),
                _day(d.apology_due_date or d.due_date),
                state_name(d.state),
            ]
        )
    flow = [
        *_header(unit, "Mẫu số 06"),
        _p("SỔ THEO DÕI HỒ SƠ", "title"),
        _p(f"Kỳ: {period}", "center"),
        Spacer(1, 3 * mm),
        _grid(rows, [12, 55, 70, 45, 35, 25, 25]),
    ]
    return _build(flow, title=f"Sổ theo dõi hồ sơ {unit} {period}", wide=True)


# ---------------------------------------------------------------- results


def location_map(lat: float | None, lon: float | None) -> Drawing:
    """A schematic location map: the point in a 1 km frame with a north arrow and its coordinates."""
    regular, _bold = _fonts()
    drawing = Drawing(80 * mm, 60 * mm)
    drawing.add(Rect(0, 0, 80 * mm, 60 * mm, strokeColor=colors.black, fillColor=colors.HexColor("#f4f7f2")))
    for i in range(1, 4):
        drawing.add(Line(i * 20 * mm, 0, i * 20 * mm, 60 * mm, strokeColor=colors.HexColor("#cccccc")))
        drawing.add(Line(0, i * 15 * mm, 80 * mm, i * 15 * mm, strokeColor=colors.HexColor("#cccccc")))
    drawing.add(Circle(40 * mm, 30 * mm, 2.5 * mm, fillColor=colors.red, strokeColor=colors.darkred))
    drawing.add(String(72 * mm, 52 * mm, "B", fontName=regular, fontSize=10))
    drawing.add(Line(73.5 * mm, 44 * mm, 73.5 * mm, 51 * mm, strokeColor=colors.black))
    label = f"{lat:.6f}, {lon:.6f} (WGS 84)" if lat is not None and lon is not None else "Chưa có tọa độ"
    drawing.add(String(3 * mm, 3 * mm, label, fontName=regular, fontSize=8))
    drawing.add(String(3 * mm, 55 * mm, "Sơ đồ vị trí (khung 1 km, gần đúng)", fontName=regular, fontSize=8))
    return drawing


def ward_label(code: str | None, on: datetime | None) -> str:
    """The ward's name on the day (the 2025 reorganisation kept five codes for the new wards)."""
    if not code:
        return "—"
    day = clock.local_date(on) if on is not None else clock.today()
    return city.unit_name_on(code, day) or code


def _rows(pairs: list[tuple[str, Any]]) -> Table:
    return _grid([[k, "—" if v in (None, "") else v] for k, v in pairs], [65, 110], header=False)


def _certificate(
    title: str, pairs: list[tuple[str, Any]], *after: Flowable, subtitle: str | None = None
) -> list[Flowable]:
    """A result: its title (and subtitle), its table of fields, then what follows the table."""
    return [_p(title, "title"), *([_p(subtitle, "center")] if subtitle else []), _rows(pairs), *after]


def _house_number(d: Dossier, applicant: str, form: dict[str, Any], r: dict[str, Any]) -> list[Flowable]:
    side = {"odd_left": "số lẻ, bên trái", "even_right": "số chẵn, bên phải"}.get(r.get("side", ""), "")
    return _certificate(
        "GIẤY CHỨNG NHẬN SỐ NHÀ",
        [
            ("Chủ sở hữu", form.get("owner_name")),
            ("Số nhà", r.get("house_number")),
            ("Đường", form.get("street")),
            ("Phường", ward_label(d.ward_code, d.decided_at)),
            ("Phía", side),
            ("Tờ bản đồ số / thửa đất số", f"{form.get('map_sheet')} / {form.get('parcel_number')}"),
        ],
        Spacer(1, 4 * mm),
        location_map(form.get("latitude"), form.get("longitude")),
        _p(
            "Số nhà được đánh theo nguyên tắc số lẻ bên trái, số chẵn bên phải tính từ điểm đầu tuyến đường "
            "(Thông tư 08/2024/TT-BXD).",
            "small",
        ),
    )


def _construction(d: Dossier, applicant: str, form: dict[str, Any], r: dict[str, Any]) -> list[Flowable]:
    return _certificate(
        "GIẤY PHÉP XÂY DỰNG",
        [
            ("Số giấy phép", r.get("permit_number")),
            ("Cấp cho", applicant),
            ("Địa điểm xây dựng", form.get("site_address")),
            ("Phường", ward_label(d.ward_code, d.decided_at)),
            (
                "Lô đất",
                f"tờ {form.get('map_sheet')}, thửa {form.get('parcel_number')}, "
                f"{form.get('land_area_m2')} m²",
            ),
            ("Diện tích xây dựng tầng 1", f"{form.get('footprint_m2')} m²"),
            ("Tổng diện tích sàn", f"{form.get('total_floor_area_m2')} m²"),
            ("Số tầng / chiều cao", f"{form.get('floors')} tầng / {form.get('height_m')} m"),
            ("Điều kiện kèm theo", r.get("conditions")),
        ],
        _p(
            f"Giấy phép có hiệu lực khởi công trong {r.get('valid_months', 12)} tháng kể từ ngày cấp.",
            "small",
        ),
        subtitle="(Sử dụng cho nhà ở riêng lẻ)",
    )


def _birth(d: Dossier, applicant: str, form: dict[str, Any], r: dict[str, Any]) -> list[Flowable]:
    return _certificate(
        "GIẤY KHAI SINH",
        [
            ("Họ, chữ đệm, tên", form.get("child_name")),
            ("Ngày sinh", form.get("date_of_birth")),
            ("Giới tính", {"nam": "Nam", "nu": "Nữ"}.get(form.get("sex", ""), "")),
            ("Dân tộc / Quốc tịch", f"{form.get('ethnicity')} / {form.get('nationality')}"),
            ("Nơi sinh", form.get("place_of_birth")),
            ("Số định danh cá nhân", r.get("personal_id_number")),
            ("Họ tên mẹ", form.get("mother_name")),
            ("Họ tên cha", form.get("father_name")),
            ("Số đăng ký", r.get("book_number")),
        ],
    )


def _marriage(d: Dossier, applicant: str, form: dict[str, Any], r: dict[str, Any]) -> list[Flowable]:
    return _certificate(
        "GIẤY CHỨNG NHẬN KẾT HÔN",
        [
            ("Họ tên chồng", form.get("husband_name")),
            ("Ngày sinh", form.get("husband_date_of_birth")),
            ("Họ tên vợ", form.get("wife_name")),
            ("Ngày sinh", form.get("wife_date_of_birth")),
            ("Số đăng ký", r.get("book_number")),
        ],
    )


def _death(d: Dossier, applicant: str, form: dict[str, Any], r: dict[str, Any]) -> list[Flowable]:
    return _certificate(
        "TRÍCH LỤC KHAI TỬ",
        [
            ("Họ tên người chết", form.get("deceased_name")),
            ("Ngày sinh", form.get("deceased_date_of_birth")),
            ("Ngày chết", form.get("date_of_death")),
            ("Nơi chết", form.get("place_of_death")),
            ("Nguyên nhân", form.get("cause_of_death")),
            ("Số đăng ký", r.get("book_number")),
        ],
    )


def _business(d: Dossier, applicant: str, form: dict[str, Any], r: dict[str, Any]) -> list[Flowable]:
    return _certificate(
        "GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH",
        [
            ("Mã số hộ kinh doanh", r.get("registration_number")),
            ("Tên hộ kinh doanh", form.get("business_name")),
            ("Địa điểm kinh doanh", form.get("address")),
            ("Ngành, nghề", "; ".join(form.get("business_lines", []))),
            ("Vốn kinh doanh", _dong(form.get("capital_vnd", 0))),
            ("Số lao động", form.get("employees")),
            ("Chủ hộ kinh doanh", applicant),
        ],
    )


def _generic(d: Dossier, applicant: str, form: dict[str, Any], r: dict[str, Any]) -> list[Flowable]:
    return _certificate(
        "VĂN BẢN GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH",
        [
            ("Thủ tục", d.procedure_name),
            ("Người đề nghị", applicant),
            ("Nội dung", form.get("request")),
            ("Số văn bản", r.get("result_number")),
        ],
    )


RESULT_BUILDERS: dict[str, Callable[[Dossier, str, dict[str, Any], dict[str, Any]], list[Flowable]]] = {
    "TDM-QLDT-001": _house_number,
    "TDM-QLDT-002": _construction,
    "TDM-HT-001": _birth,
    "TDM-HT-002": _marriage,
    "TDM-HT-003": _death,
    "TDM-HKD-001": _business,
}
NUMBER_FIELDS = ("house_number", "permit_number", "book_number", "registration_number", "result_number")


class ResultIssuer(Protocol):
    """Produces the result document of a decided dossier: (PDF bytes, its number)."""

    def issue(
        self,
        dossier: Dossier,
        form: dict[str, Any],
        unit_names: Mapping[str, str] | None = None,
        *,
        applicant: str,
    ) -> tuple[bytes, str | None]:
        """The result PDF and its number (`applicant`: the applicant's decrypted name)."""
        ...


class UnsignedResultIssuer:
    """Results as unsigned PDFs (until the signing service provides a signing issuer)."""

    def issue(
        self,
        dossier: Dossier,
        form: dict[str, Any],
        unit_names: Mapping[str, str] | None = None,
        *,
        applicant: str,
    ) -> tuple[bytes, str | None]:
        """The result PDF generated from the dossier's form and result data, unsigned."""
        result = dict(dossier.result_data or {})
        builder = RESULT_BUILDERS.get(dossier.procedure_code, _generic)
        number = next((str(result[f]) for f in NUMBER_FIELDS if result.get(f)), None)
        decided = _local(dossier.decided_at)
        flow = [
            *_header((unit_names or {}).get(dossier.deciding_unit, dossier.deciding_unit)),
            *builder(dossier, applicant, form, result),
            Spacer(1, 4 * mm),
            _p(f"Mã hồ sơ: {dossier.code}. Quyết định lúc {decided}.", "small"),
            *_signature("NGƯỜI CÓ THẨM QUYỀN"),
        ]
        return _build(flow, title=f"Kết quả {dossier.code}"), number


_ISSUER: ResultIssuer = UnsignedResultIssuer()


def result_issuer() -> ResultIssuer:
    """The issuer in use."""
    return _ISSUER
