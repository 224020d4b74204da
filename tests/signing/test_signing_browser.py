"""The /kiem-tra-chu-ky page in a real headless Chromium: upload a signed PDF, read the verdict."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.signing.conftest import LEADER, CityPki, sign
from tests.support import chromium_page, run_once_on_sqlite, served

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server(app, db) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app on a free loopback port (SQLite only: the page does not depend on the database)."""
    run_once_on_sqlite(db)
    with served(app) as url:
        yield url


def test_upload_a_signed_pdf_and_see_the_signature(
    city_pki: CityPki, live_server: str, pdf: bytes, tmp_path: Path
) -> None:
    signed = tmp_path / "ket-qua.pdf"
    signed.write_bytes(sign(city_pki, pdf, signer_username=LEADER, level="B-T").pdf)
    with chromium_page() as page:
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{live_server}/kiem-tra-chu-ky")
        assert "Kiểm tra chữ ký số" in page.inner_text("h1")
        page.set_input_files("input[name=file]", str(signed))
        page.click("button[type=submit]")
        page.wait_for_selector("#verdict")
        assert page.get_attribute("#verdict", "data-verdict") == "valid"
        assert "Nguyễn Văn An" in page.inner_text("section.signature h2")
    assert errors == []
