"""One place that sets up PDF fonts (with Vietnamese glyphs), paragraph styles and the A4 page.

    from smartcity.core.pdf import sans_fonts, serif_family, styles, a4_document

`sans_fonts()` registers DejaVu Sans for forms, receipts and sheets; `serif_family()` registers
Liberation Serif 2 (Times New Roman's metrics) for official documents, DejaVu Serif as fallback.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont, TTFontFile
from reportlab.platypus import SimpleDocTemplate

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
LIBERATION_SERIF = (
    "LiberationSerif-Regular",
    "LiberationSerif-Bold",
    "LiberationSerif-Italic",
    "LiberationSerif-BoldItalic",
)
SERIF_CHOICES = (
    ("liberation2", Path("/usr/share/fonts/truetype/liberation2"), LIBERATION_SERIF),
    ("liberation", Path("/usr/share/fonts/truetype/liberation"), LIBERATION_SERIF),
    ("dejavu", DEJAVU, ("DejaVuSerif", "DejaVuSerif-Bold", "DejaVuSerif-Italic", "DejaVuSerif-BoldItalic")),
)
VIETNAMESE_SAMPLE = "ỦỞẠỊƯưĐđẫỹộ"
SERIF = "DocSerif"
SANS, SANS_BOLD = "DejaVuSans", "DejaVuSans-Bold"


@dataclass(frozen=True)
class Fonts:
    """The registered names of a regular and a bold face."""

    regular: str
    bold: str


@lru_cache(maxsize=1)
def sans_fonts() -> Fonts:
    """Register DejaVu Sans (regular, bold) once and return the names to use."""
    regular, bold = DEJAVU / "DejaVuSans.ttf", DEJAVU / "DejaVuSans-Bold.ttf"
    if not regular.exists():
        raise RuntimeError("DejaVu Sans is missing: install fonts-dejavu-core")
    pdfmetrics.registerFont(TTFont(SANS, str(regular)))
    pdfmetrics.registerFont(TTFont(SANS_BOLD, str(bold if bold.exists() else regular)))
    return Fonts(SANS, SANS_BOLD)


def _covers_vietnamese(path: Path) -> bool:
    glyphs = TTFontFile(str(path)).charToGlyph
    return all(ord(ch) in glyphs for ch in VIETNAMESE_SAMPLE)


@lru_cache(maxsize=1)
def serif_family() -> str:
    """Register the first serif family with Vietnamese glyphs as "DocSerif"; return which one it was."""
    for kind, folder, names in SERIF_CHOICES:
        paths = [folder / f"{name}.ttf" for name in names]
        if all(p.exists() for p in paths) and _covers_vietnamese(paths[0]):
            for suffix, path in zip(("", "-Bold", "-Italic", "-BoldItalic"), paths, strict=True):
                pdfmetrics.registerFont(TTFont(SERIF + suffix, str(path)))
            pdfmetrics.registerFontFamily(
                SERIF,
                normal=SERIF,
                bold=f"{SERIF}-Bold",
                italic=f"{SERIF}-Italic",
                boldItalic=f"{SERIF}-BoldItalic",
            )
            return kind
    raise RuntimeError("No serif font with Vietnamese glyphs: install fonts-liberation2 (or fonts-dejavu)")


def styles() -> dict[str, ParagraphStyle]:
    """The sans paragraph styles of forms, receipts and reports: body, small, center, title, heading."""
    fonts = sans_fonts()
    return {
        "body": ParagraphStyle("body", fontName=fonts.regular, fontSize=11, leading=15),
        "small": ParagraphStyle("small", fontName=fonts.regular, fontSize=9, leading=12),
        "center": ParagraphStyle("center", fontName=fonts.regular, fontSize=11, leading=15, alignment=1),
        "title": ParagraphStyle(
            "title", fontName=fonts.bold, fontSize=14, leading=19, alignment=1, spaceBefore=8, spaceAfter=8
        ),
        "heading": ParagraphStyle(
            "heading", fontName=fonts.bold, fontSize=12, leading=16, spaceBefore=6, spaceAfter=4
        ),
    }


def a4_document(
    buffer: io.BytesIO, *, title: str, margins_mm: float = 18, **kwargs: Any
) -> SimpleDocTemplate:
    """An A4 portrait document writing into `buffer`, with equal margins and a title in its metadata."""
    margin = margins_mm * mm
    return SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin,
        title=title,
        **kwargs,
    )


def build_pdf(flowables: list[Any], *, title: str, **kwargs: Any) -> bytes:
    """Lay `flowables` out on A4 pages and return the PDF's bytes."""
    buffer = io.BytesIO()
    a4_document(buffer, title=title, **kwargs).build(flowables)
    return buffer.getvalue()
