"""The /verify page in a real headless Chromium: upload a signed PDF, read the verdict."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from tests.conftest import service_missing
from tests.signing.conftest import LEADER, CityPki, sign

pytestmark = pytest.mark.browser
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


@pytest.fixture
def live_server(app, db) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app on a free loopback port (SQLite only: the page does not depend on the database)."""
    if db.dialect != "sqlite":
        pytest.skip("the browser test runs once, on the embedded default (SQLite)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the test server did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_upload_a_signed_pdf_and_see_the_signature(
    city_pki: CityPki, live_server: str, pdf: bytes, tmp_path: Path
) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        service_missing("Chromium is not installed (apt-get install chromium; .ci/run does it)")
    from playwright.sync_api import sync_playwright

    signed = tmp_path / "ket-qua.pdf"
    signed.write_bytes(sign(city_pki, pdf, signer_username=LEADER, level="B-T").pdf)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(locale="vi-VN")
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{live_server}/verify")
        assert "Kiểm tra chữ ký số" in page.inner_text("h1")
        page.set_input_files("input[name=file]", str(signed))
        page.click("button[type=submit]")
        page.wait_for_selector("#verdict")
        assert page.get_attribute("#verdict", "data-verdict") == "valid"
        assert "Nguyễn Văn An" in page.inner_text("section.signature h2")
        browser.close()
    assert errors == []
