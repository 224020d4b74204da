"""The official document as an A4 PDF in the layout of Decree 30/2020, Appendix I, in Liberation Serif.

The number and the date are not known when the leader signs: they are text form fields (digits only)
that the records office fills at issue (`numbering_fields.fill`), a change that PAdES validators accept
after an approval signature as form filling.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from smartcity.core.pdf import SERIF, serif_family
from smartcity.documents.form_fields import FIELD_BASELINE

FAMILY = SERIF  # registered by core.pdf.serif_family()
# Appendix I margins: top and bottom 20-25 mm, left 30-35 mm, right 15-20 mm.
MARGINS = {"top": 20 * mm, "bottom": 20 * mm, "left": 30 * mm, "right": 15 * mm}
FIELD_FONT = "Times-Roman"  # field appearances hold digits only: a standard font suffices
NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
NUMBER_FIELD = "so_van_ban"
DATE_FIELDS = ("ngay", "thang", "nam")
SIGNATURE_HEIGHT = 28 * mm
SIGNATURE_WIDTH = 60 * mm


def font_family() -> str:
    """Register the serif family with Vietnamese glyphs (Liberation Serif 2, else DejaVu Serif)."""
    return serif_family()


@dataclass(frozen=True)
class Layout:
    """What the page shows, already worded; the number and date are left as fields."""

    parent_organisation: str
    organisation: str
    symbol: str  # the part after the number, e.g. "QĐ-UBND"
    place: str
    type_title: str | None  # "QUYẾT ĐỊNH"; None for an official letter (công văn)
    subject: str
    body: Sequence[str]
    signer_authority: str  # "TM. ỦY BAN NHÂN DÂN" / "KT. CHỦ TỊCH"
    signer_title: str  # "CHỦ TỊCH" / "PHÓ CHỦ TỊCH"
    signer_name: str
    recipients: Sequence[str] = field(default_factory=tuple)
    urgency: str | None = None  # "KHẨN", "THƯỢNG KHẨN", "HỎA TỐC"
    secrecy: str | None = None  # "MẬT", "TỐI MẬT", "TUYỆT MẬT"


@dataclass(frozen=True)
class Rendered:
    """The PDF and where the leader's signature goes (page index, box in points)."""

    pdf: bytes
    signature_page: int
    signature_box: tuple[float, float, float, float]


class _FieldLine(Flowable):
    """One centred line mixing text and empty text fields (name, width in points)."""

    def __init__(
        self, parts: Sequence[str | tuple[str, float]], *, font: str, size: float, width: float
    ) -> None:
        super().__init__()
        self.parts, self.font, self.size, self.width, self.height = parts, font, size, width, size * 1.5

    def _part_width(self, part: str | tuple[str, float]) -> float:
        return part[1] if isinstance(part, tuple) else pdfmetrics.stringWidth(part, self.font, self.size)

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        """Fixed width and one line of height."""
        return self.width, self.height

    def draw(self) -> None:
        """Draw the text pieces and place the fields between them."""
        total = sum(self._part_width(p) for p in self.parts)
        x, baseline = (self.width - total) / 2, self.size * 0.4
        for part in self.parts:
            if isinstance(part, tuple):
                self.canv.acroForm.textfield(
                    name=part[0],
                    value="",
                    x=x,
                    y=baseline - self.size * FIELD_BASELINE,
                    width=part[1],
                    height=self.size * 1.3,
                    relative=True,
                    borderWidth=0,
                    fillColor=None,
                    borderColor=None,
                    textColor=colors.black,
                    fontName=FIELD_FONT,
                    fontSize=self.size,
                    maxlen=8,
                    annotationFlags="print",
                )
            else:
                self.canv.setFont(self.font, self.size)
                self.canv.drawString(x, baseline, part)
            x += self._part_width(part)


class _Rule(Flowable):
    """A short centred horizontal rule (under the organisation, the motto and the subject)."""

    def __init__(self, length: float, width: float) -> None:
        super().__init__()
        self.length, self.width, self.height = length, width, 4

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        """The column's width, a few points high."""
        return self.width, self.height

    def draw(self) -> None:
        """Draw the rule."""
        self.canv.setLineWidth(0.6)
        start = (self.width - self.length) / 2
        self.canv.line(start, self.height - 1, start + self.length, self.height - 1)


class _SignatureSpace(Flowable):
    """Empty room for the signature image; remembers where it landed on the page."""

    def __init__(self, width: float, height: float, sink: dict[str, Any]) -> None:
        super().__init__()
        self.width, self.height, self.sink = width, height, sink

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        """The room asked for."""
        return self.width, self.height

    def draw(self) -> None:
        """Record the absolute box and the page."""
        box_width = min(self.width, SIGNATURE_WIDTH)
        x0, y0 = self.canv.absolutePosition((self.width - box_width) / 2, 0)
        self.sink["page"] = self.canv.getPageNumber() - 1
        self.sink["box"] = (x0, y0, x0 + box_width, y0 + self.height)


def _style(
    name: str,
    *,
    size: float = 13,
    bold: bool = False,
    italic: bool = False,
    align: int = TA_CENTER,
    leading: float | None = None,
    **extra: Any,
) -> ParagraphStyle:
    font = FAMILY + ("-BoldItalic" if bold and italic else "-Bold" if bold else "-Italic" if italic else "")
    return ParagraphStyle(
        name, fontName=font, fontSize=size, leading=leading or size * 1.25, alignment=align, **extra
    )


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _two_columns(left: list[Flowable], right: list[Flowable], left_width: float, right_width: float) -> Table:
    """Two top-aligned columns side by side, without padding (the header and the closing)."""
    table = Table([[left, right]], colWidths=[left_width, right_width])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def _header(layout: Layout, left_width: float, right_width: float) -> Table:
    size = 13
    left: list[Flowable] = []
    if layout.parent_organisation:
        left.append(_p(layout.parent_organisation.upper(), _style("parent", size=12.5)))
    left.append(_p(layout.organisation.upper(), _style("org", size=12.5, bold=True)))
    left.append(Spacer(1, 3))
    left.append(_Rule(left_width / 3, left_width))
    left.append(Spacer(1, 4))
    left.append(
        _FieldLine(
            ["Số: ", (NUMBER_FIELD, 11 * mm), f"/{layout.symbol}"], font=FAMILY, size=size, width=left_width
        )
    )
    if layout.type_title is None:
        left.append(_p(f"V/v {layout.subject}", _style("vv", size=12)))
    if layout.urgency:
        left.append(Spacer(1, 4))
        left.append(_p(layout.urgency.upper(), _style("urgency", size=13, bold=True)))
    right: list[Flowable] = [
        _p(NATION, _style("nation", size=12, bold=True)),
        _p(MOTTO, _style("motto", size=13.5, bold=True)),
        _Rule(pdfmetrics.stringWidth(MOTTO, f"{FAMILY}-Bold", 13.5), right_width),
        Spacer(1, 4),
        _FieldLine(
            [
                f"{layout.place}, ngày ",
                (DATE_FIELDS[0], 7 * mm),
                " tháng ",
                (DATE_FIELDS[1], 7 * mm),
                " năm ",
                (DATE_FIELDS[2], 11 * mm),
            ],
            font=f"{FAMILY}-Italic",
            size=size,
            width=right_width,
        ),
    ]
    return _two_columns(left, right, left_width, right_width)


def _closing(layout: Layout, left_width: float, right_width: float, sink: dict[str, Any]) -> Table:
    heading = _style("to", size=12, bold=True, italic=True, align=TA_LEFT)
    recipients: list[Flowable] = [_p("Nơi nhận:", heading)]
    for index, name in enumerate(layout.recipients):
        ending = "." if index == len(layout.recipients) - 1 else ";"
        recipients.append(_p(f"- {name}{ending}", _style("to_item", size=11, align=TA_LEFT)))
    signer: list[Flowable] = []
    for line in (layout.signer_authority, layout.signer_title):
        if line:
            signer.append(_p(line.upper(), _style("authority", size=13, bold=True)))
    signer.append(_SignatureSpace(right_width, SIGNATURE_HEIGHT, sink))
    signer.append(_p(layout.signer_name, _style("signer", size=13, bold=True)))
    return _two_columns(recipients, signer, left_width, right_width)


def render(layout: Layout) -> Rendered:
    """Lay the document out on A4 and return the PDF with the signature's place."""
    font_family()
    width = A4[0] - MARGINS["left"] - MARGINS["right"]
    left_width, right_width = width * 0.42, width * 0.58
    sink: dict[str, Any] = {}
    story: list[Flowable] = [_header(layout, left_width, right_width), Spacer(1, 14)]
    if layout.secrecy:
        story.append(_p(layout.secrecy.upper(), _style("secret", size=13, bold=True, align=TA_LEFT)))
    if layout.type_title is not None:
        story.append(_p(layout.type_title.upper(), _style("type", size=14, bold=True)))
        story.append(_p(layout.subject, _style("subject", size=14, bold=True)))
        story.append(Spacer(1, 8))
        story.append(_Rule(width / 6, width))
        story.append(Spacer(1, 10))
    body = _style("body", size=14, align=TA_JUSTIFY, leading=14 * 1.3, firstLineIndent=10 * mm, spaceAfter=6)
    story.extend(_p(paragraph, body) for paragraph in layout.body if paragraph.strip())
    story.extend([Spacer(1, 12), _closing(layout, left_width, right_width, sink)])
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGINS["left"],
        rightMargin=MARGINS["right"],
        topMargin=MARGINS["top"],
        bottomMargin=MARGINS["bottom"],
        title=layout.subject,
        author=layout.organisation,
        creator="smartcity documents",
    )
    document.build(story)
    return Rendered(pdf=buffer.getvalue(), signature_page=sink["page"], signature_box=sink["box"])
