"""What may be shown publicly: text without phone or ID numbers, photos re-encoded without metadata."""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from smartcity.core.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from smartcity.core.i18n import Phrase

REDACTED = "[đã ẩn]"
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "MPO"})

# 12-digit citizen ID (CCCD), possibly written in groups: 074 2 03 012345 / 074.203.012.345
_CITIZEN_ID = re.compile(r"(?<!\d)\d{3}[ .-]?\d{3}[ .-]?\d{3}[ .-]?\d{3}(?!\d)")
# Vietnamese phone numbers: 0 or +84/84 then 9-10 digits, with optional spaces, dots or dashes.
_PHONE = re.compile(r"(?<![\d+])(?:\+84|84|0)(?:[ .-]?\d){8,10}(?!\d)")
# The old 9-digit ID card (CMND).
_OLD_ID = re.compile(r"(?<!\d)\d{9}(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


# The platform's own report codes (PA-yymmdd-number) are public, and the ID pattern would take their digits.
_REPORT_CODE = re.compile(r"(PA-\d{6}-\d{6,})")


def scrub_text(text: str) -> str:
    """The text with citizen ID numbers, phone numbers and e-mail addresses replaced by a marker (a report's
    code stays as written)."""
    pieces = _REPORT_CODE.split(text)  # the codes stand at the odd places
    return "".join(piece if place % 2 else _scrubbed(piece) for place, piece in enumerate(pieces))


def _scrubbed(text: str) -> str:
    for pattern in (_CITIZEN_ID, _PHONE, _OLD_ID, _EMAIL):
        text = pattern.sub(REDACTED, text)
    return text


@dataclass(frozen=True)
class CleanImage:
    """A photo after moderation: JPEG bytes without metadata, and its size."""

    data: bytes
    width: int
    height: int
    content_type: str = "image/jpeg"

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the cleaned bytes."""
        return hashlib.sha256(self.data).hexdigest()


def _open_image(data: bytes, max_pixels: int) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED_FORMATS:
                raise UnsupportedMediaType(
                    "Định dạng ảnh này không được nhận; vui lòng gửi ảnh JPEG hoặc PNG."
                )
            if image.width * image.height > max_pixels:
                raise PayloadTooLarge(
                    Phrase("Ảnh quá lớn (quá {pixels} điểm ảnh).", pixels=float(max_pixels))
                )
            image.load()
    except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise UnsupportedMediaType("Tệp gửi lên không phải là ảnh (JPEG, PNG).") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ValidationFailed.for_field(
            "media", "Không đọc được ảnh; vui lòng chụp hoặc chọn ảnh khác."
        ) from exc
    return image


def clean_image(data: bytes, *, max_bytes: int, max_pixels: int, max_side: int) -> CleanImage:
    """Check size and type, apply the EXIF orientation, drop every metadata block, re-encode as JPEG."""
    if not data:
        raise ValidationFailed.for_field("media", "Tệp ảnh rỗng.")
    if len(data) > max_bytes:
        raise PayloadTooLarge(Phrase("Mỗi ảnh tối đa {kilobytes} KB.", kilobytes=max_bytes // 1024))
    image = _open_image(data, max_pixels)
    image = ImageOps.exif_transpose(image) or image
    image = image.convert("RGB")
    image.thumbnail((max_side, max_side))
    pixels = Image.new("RGB", image.size)
    pixels.paste(image)  # a fresh image carries no info, EXIF, ICC or XMP from the upload
    out = io.BytesIO()
    pixels.save(out, format="JPEG", quality=85, optimize=True)
    return CleanImage(out.getvalue(), pixels.width, pixels.height)
