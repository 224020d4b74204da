"""The verification QR code stamped on results before they are signed."""

from __future__ import annotations

from pathlib import Path

import segno

from smartcity.signing import pades
from smartcity.signing.qr import add_verification_qr, qr_label

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
URL = "http://verify.test/kiem-tra-chu-ky/0123456789abcdef0123456789abcdef"


def _modules(url: str) -> list[list[bool]]:
    return [[bool(cell) for cell in row] for row in segno.make(url, error="m").matrix]


def test_the_label_holds_the_qr_code_of_the_url_module_by_module():
    label = qr_label(URL, font_path=FONT).convert("L")
    expected = _modules(URL)
    scale, border = 8, 1
    read = [
        [
            label.getpixel(((border + x) * scale + scale // 2, (border + y) * scale + scale // 2)) < 128
            for x in range(len(expected))
        ]
        for y in range(len(expected))
    ]
    assert read == expected
    assert read != _modules(URL.replace("0123", "9999"))


def test_the_stamped_pdf_is_still_a_pdf_with_one_more_revision(pdf):
    stamped = add_verification_qr(pdf, URL, font_path=FONT)
    assert stamped.startswith(pdf)  # an incremental update: the original bytes are untouched
    reader = pades.open_pdf(stamped, max_bytes=10_000_000)
    assert reader.xrefs.total_revisions == 2 and int(reader.root["/Pages"]["/Count"]) == 1
