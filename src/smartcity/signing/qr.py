"""The verification QR code printed on a document before it is signed (it leads to /kiem-tra-chu-ky/<id>)."""

from __future__ import annotations

import io
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont
from pyhanko.pdf_utils import layout
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.stamp import StaticContentStamp

from smartcity.signing.appearance import image_style

QR_BOX = (40, 36, 300, 84)  # x, y, width, height in points: bottom left of the last page
CAPTION = ("Quét mã QR để kiểm tra chữ ký số", "và xem bản gốc của văn bản:")


def _font(path: Path, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(str(path), size)
    except OSError:
        return ImageFont.load_default()


def qr_label(url: str, *, font_path: Path) -> Image.Image:
    """An image: the QR code of `url` and, beside it, a Vietnamese caption with the address."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=8, border=1)
    buffer.seek(0)
    code = Image.open(buffer).convert("RGBA")
    height = code.height
    label = Image.new("RGBA", (int(height * 300 / 84), height), (255, 255, 255, 0))
    label.paste(code, (0, 0))
    draw = ImageDraw.Draw(label)
    size = max(12, height // 9)
    font, small = _font(font_path, size), _font(font_path, int(size * 0.55))
    x, y = height + size // 2, size
    for line in CAPTION:
        draw.text((x, y), line, font=font, fill="black")
        y += int(size * 1.4)
    draw.text((x, y + size // 3), url, font=small, fill="black")
    return label


def add_verification_qr(pdf: bytes, url: str, *, font_path: Path) -> bytes:
    """The PDF with the QR code of `url` stamped at the bottom left of its last page (incremental update)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    last = int(writer.root["/Pages"]["/Count"]) - 1
    x, y, width, height = QR_BOX
    stamp = StaticContentStamp(
        writer,
        image_style(qr_label(url, font_path=font_path)),
        layout.BoxConstraints(width=width, height=height),
    )
    stamp.apply(last, x, y)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
