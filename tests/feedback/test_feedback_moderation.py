"""Moderation: personal numbers out of public text, photos re-encoded without metadata, limits."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from smartcity.core.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from smartcity.feedback.moderation import REDACTED, clean_image, scrub_text
from tests.feedback.conftest import jpeg_with_gps

LIMITS = {"max_bytes": 1024 * 1024, "max_pixels": 4_000_000, "max_side": 512}


@pytest.mark.parametrize(
    "text",
    [
        "Gọi tôi 0912345678 nhé",
        "SĐT: 0912 345 678",
        "ĐT +84 912.345.678",
        "số 84912345678",
        "CCCD 074203012345",
        "CCCD 074 203 012 345",
        "CMND 280123456",
        "mail lan.tran@example.vn",
    ],
)
def test_personal_numbers_are_removed(text):
    cleaned = scrub_text(text)
    assert REDACTED in cleaned
    assert not any(ch.isdigit() for ch in cleaned.split(REDACTED)[-1] + cleaned.split(REDACTED)[0][-3:])


@pytest.mark.parametrize(
    "text",
    [
        "Gọi tổng đài 1022 hoặc 0274.1022",
        "Nhà số 12/3 đường 30/4, khu phố 5",
        "Năm 2025 có 14 phường",
        "Trùng với phản ánh PA-250915-000001.",  # a report's code is public
    ],
)
def test_ordinary_numbers_stay(text):
    assert scrub_text(text) == text


def test_a_report_code_stays_and_a_number_beside_it_goes():
    said = scrub_text("Xem PA-250915-000001, gọi 0912 345 678 hoặc 074203012345.")
    assert said == f"Xem PA-250915-000001, gọi {REDACTED} hoặc {REDACTED}."


def test_photo_loses_gps_and_camera_but_keeps_its_picture():
    original = jpeg_with_gps((800, 600))
    assert b"Secret Camera" in original
    cleaned = clean_image(original, **LIMITS)
    assert b"Secret Camera" not in cleaned.data and b"Exif" not in cleaned.data
    image = Image.open(io.BytesIO(cleaned.data))
    assert image.format == "JPEG" and not image.getexif() and "exif" not in image.info
    assert (cleaned.width, cleaned.height) == (512, 384)  # longer side brought down to max_side
    red, green, blue = image.getpixel((10, 10))
    assert red > 150 and green < 80 and blue < 80


def test_png_with_text_chunks_is_re_encoded():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Nguyễn Văn A 0912345678")
    out = io.BytesIO()
    Image.new("RGBA", (40, 30), (0, 0, 255, 128)).save(out, format="PNG", pnginfo=info)
    cleaned = clean_image(out.getvalue(), **LIMITS)
    assert cleaned.content_type == "image/jpeg" and b"Author" not in cleaned.data


def test_bad_uploads_are_refused():
    with pytest.raises(UnsupportedMediaType):
        clean_image(b"%PDF-1.7 this is a document", **LIMITS)
    with pytest.raises(PayloadTooLarge):
        clean_image(jpeg_with_gps() + b"\0" * (LIMITS["max_bytes"] + 1), **LIMITS)
    with pytest.raises(ValidationFailed):
        clean_image(b"", **LIMITS)
    big = io.BytesIO()
    Image.new("L", (3000, 3000)).save(big, format="PNG")
    with pytest.raises(PayloadTooLarge):
        clean_image(big.getvalue(), max_bytes=10_000_000, max_pixels=1_000_000, max_side=512)
    truncated = jpeg_with_gps((400, 300))[:300]
    with pytest.raises((ValidationFailed, UnsupportedMediaType)):
        clean_image(truncated, **LIMITS)
