"""Signature appearances per Decree 30/2020: blue signature image, red seal over its left third,
and the text stamp for attachments (number, symbol, ISO 8601 time) at the top right of page 1."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from pyhanko.pdf_utils import layout
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.stamp import StaticStampStyle

SIGNATURE_BLUE = (0, 45, 160, 255)
SEAL_RED = (210, 20, 35, 255)
STAMP_INK = (20, 30, 90, 255)

Box = tuple[float, float, float, float]

DEFAULT_SIGNATURE_BOX: Box = (340.0, 90.0, 520.0, 170.0)  # bottom right of an A4 page, in points
ATTACHMENT_STAMP_SIZE = (230.0, 62.0)
ATTACHMENT_MARGIN = 24.0


@dataclass(frozen=True)
class Placement:
    """Where a visible signature goes: page index (negative counts from the end) and box in points."""

    page: int
    box: Box


@lru_cache(maxsize=16)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if Path(path).exists():
        return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def signature_image(full_name: str, *, font_path: Path) -> Image.Image:
    """A blue, transparent handwritten-looking signature of the name (used if none was uploaded)."""
    image = Image.new("RGBA", (600, 240), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    font = _font(str(font_path), 64)
    short = full_name.split()[-1] if full_name.split() else full_name
    draw.text((40, 50), short, font=font, fill=SIGNATURE_BLUE)
    points = [(30 + x * 5.4, 170 + 18 * math.sin(x / 9.0)) for x in range(100)]
    draw.line(points, fill=SIGNATURE_BLUE, width=5)
    return image


def seal_image(organisation: str, *, font_path: Path, centre_text: str = "★") -> Image.Image:
    """A red round seal with the organisation's name around the rim (used if none was uploaded)."""
    size = 400
    image = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, size - 8, size - 8), outline=SEAL_RED, width=12)
    draw.ellipse((78, 78, size - 78, size - 78), outline=SEAL_RED, width=5)
    _rim_text(image, organisation.upper(), font_path=font_path, radius=size / 2 - 50)
    font = _font(str(font_path), 90)
    draw.text((size / 2, size / 2), centre_text, font=font, fill=SEAL_RED, anchor="mm")
    return image


def _rim_text(image: Image.Image, text: str, *, font_path: Path, radius: float) -> None:
    font = _font(str(font_path), 30)
    centre = image.width / 2
    span = min(300.0, 11.0 * len(text))  # degrees of the arc the text takes
    for index, char in enumerate(text):
        angle = -90 - span / 2 + span * (index + 0.5) / max(len(text), 1)
        glyph = Image.new("RGBA", (44, 44), (255, 255, 255, 0))
        ImageDraw.Draw(glyph).text((22, 22), char, font=font, fill=SEAL_RED, anchor="mm")
        glyph = glyph.rotate(-(angle + 90), resample=Image.Resampling.BICUBIC)
        x = centre + radius * math.cos(math.radians(angle)) - 22
        y = centre + radius * math.sin(math.radians(angle)) - 22
        image.alpha_composite(glyph, (int(x), int(y)))


def attachment_stamp_image(lines: list[str], *, font_path: Path) -> Image.Image:
    """The organisation's text stamp for attachments: no picture, just who, number/symbol and time."""
    width, height = 920, 248
    image = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.rectangle((2, 2, width - 3, height - 3), outline=STAMP_INK, width=4)
    font = _font(str(font_path), 40)
    for index, line in enumerate(lines[:4]):
        draw.text((22, 18 + index * 56), line, font=font, fill=STAMP_INK)
    return image


def attachment_stamp_lines(
    *, organisation: str, number: str | None, symbol: str | None, signed_at: datetime
) -> list[str]:
    """The text of the attachment stamp: organisation, `Số: number/symbol`, ISO 8601 Vietnam time."""
    lines = [f"Ký bởi: {organisation}"]
    if number or symbol:
        lines.append("Số, ký hiệu: " + "/".join(p for p in (number, symbol) if p))
    lines.append("Thời gian ký: " + signed_at.isoformat(timespec="seconds"))
    return lines


def image_style(image: Image.Image) -> StaticStampStyle:
    """A pyHanko stamp style that draws only this (transparent) image, scaled into the box."""
    return StaticStampStyle(
        background=PdfImage(image),
        border_width=0,
        background_opacity=1.0,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins.uniform(0),
        ),
    )


def page_size(reader: PdfFileReader, page_ix: int) -> tuple[float, float]:
    """Width and height in points of a page (its MediaBox)."""
    page_ref, _resources = reader.find_page_for_modification(page_ix)
    box = [float(v) for v in page_ref.get_object().get("/MediaBox", [0, 0, 595, 842])]
    return box[2] - box[0], box[3] - box[1]


def page_count(reader: PdfFileReader) -> int:
    """Number of pages."""
    return int(reader.root["/Pages"]["/Count"])


def attachment_placement(reader: PdfFileReader) -> Placement:
    """Top right of page 1, inside the margin."""
    width, height = page_size(reader, 0)
    stamp_w, stamp_h = ATTACHMENT_STAMP_SIZE
    right, top = width - ATTACHMENT_MARGIN, height - ATTACHMENT_MARGIN
    return Placement(page=0, box=(right - stamp_w, top - stamp_h, right, top))


def _page_index(reader: PdfFileReader, page_ref: object) -> int | None:
    for index in range(page_count(reader)):
        ref, _resources = reader.find_page_for_modification(index)
        if ref == page_ref:
            return index
    return None


def last_visible_signature(reader: PdfFileReader) -> Placement | None:
    """The page and box of the last filled signature field that has a visible widget."""
    found: Placement | None = None
    for _name, _value, field_ref in enumerate_sig_fields(reader, filled_status=True):
        field = field_ref.get_object()
        rect = [float(v) for v in field.get("/Rect", [0, 0, 0, 0])]
        if rect[2] - rect[0] <= 1 or rect[3] - rect[1] <= 1:
            continue
        page = _page_index(reader, field.raw_get("/P")) if "/P" in field else None
        found = Placement(page=page if page is not None else -1, box=(rect[0], rect[1], rect[2], rect[3]))
    return found


def seal_box_over(signature_box: Box) -> Box:
    """A square seal a little taller than the signature, its right edge a third into the signature."""
    x1, y1, x2, y2 = signature_box
    size = (y2 - y1) * 1.15
    right = x1 + (x2 - x1) / 3
    centre_y = (y1 + y2) / 2
    return (right - size, centre_y - size / 2, right, centre_y + size / 2)
