"""Helpers shared by tests: signing in through the login page, a live server, a real browser."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import uvicorn

CSRF_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token carried by a page's forms (the test fails when the page has none)."""
    found = CSRF_TOKEN.search(html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: Any, username: str, password: str, next_url: str = "/") -> None:
    """Sign a test client in through the login page, as a browser does; the login must succeed (303)."""
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": next_url},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-unsafe-swiftshader",
    "--use-angle=swiftshader",
]


def pdfsig_trusting(root_pem: str, pdf: bytes, folder: Path) -> str:
    """What poppler's pdfsig says of `pdf`, with an NSS database in `folder` that trusts only `root_pem`:
    an independent verifier that knows nothing of the platform but its root certificate."""
    from tests.conftest import service_missing

    if not shutil.which("pdfsig") or not shutil.which("certutil"):
        service_missing("pdfsig (poppler-utils) and certutil (libnss3-tools) are needed")
    nss = folder / "nss"
    if not nss.exists():
        nss.mkdir(parents=True)
        root = folder / "root.pem"
        root.write_text(root_pem)
        subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True)
        subprocess.run(
            ["certutil", "-A", "-d", f"sql:{nss}", "-n", "root", "-t", "C,C,C", "-i", str(root)], check=True
        )
    path = folder / "checked.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        ["pdfsig", "-nssdir", f"sql:{nss}", "-no-ocsp", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout + result.stderr


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_once_on_sqlite(db: Any, what: str = "the browser test") -> None:
    """Skip on PostgreSQL: live-server and browser tests run once, on the embedded default."""
    if db.dialect != "sqlite":
        pytest.skip(f"{what} runs once, on the embedded default (SQLite)")


@contextmanager
def served(app: Any) -> Iterator[str]:
    """Serve `app` with uvicorn on a free loopback port; yields its base URL and stops it afterwards."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the test server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def chromium_browser() -> Iterator[Any]:
    """Debian's headless Chromium through Playwright (skipped, or failed in CI, when it is missing)."""
    from tests.conftest import service_missing

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        service_missing("Chromium is not installed (apt-get install chromium; .ci/run does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def chromium_page(*, width: int = 1280, height: int = 900) -> Iterator[Any]:
    """A fresh page in headless Chromium, Vietnamese locale."""
    with chromium_browser() as browser:
        context = browser.new_context(locale="vi-VN", viewport={"width": width, "height": height})
        try:
            yield context.new_page()
        finally:
            context.close()


DATA_BLOCK_TYPES = ("application/json", "application/ld+json")  # data blocks: never executed, allowed by CSP
URL_ATTRIBUTES = ("href", "src", "action", "formaction")


class _InlineScripts(HTMLParser):
    """What a Content-Security-Policy without 'unsafe-inline' would block in one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.findings: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        kind = (values.get("type") or "").strip().lower()
        if tag == "script" and "src" not in values and kind not in DATA_BLOCK_TYPES:
            self.findings.append(f"inline <script> at line {self.getpos()[0]}")
        for name, value in attrs:
            if name.startswith("on"):
                self.findings.append(f"inline handler <{tag} {name}=…> at line {self.getpos()[0]}")
            elif name in URL_ATTRIBUTES and (value or "").strip().lower().startswith("javascript:"):
                self.findings.append(f"javascript: URL in <{tag} {name}> at line {self.getpos()[0]}")


def inline_scripts(html: str) -> list[str]:
    """The inline scripts, inline event handlers and javascript: URLs of `html` (empty when CSP-clean)."""
    parser = _InlineScripts()
    parser.feed(html)
    parser.close()
    return parser.findings


def script_sources(policy: str) -> list[str]:
    """The sources a Content-Security-Policy value allows scripts from (script-src, else default-src)."""
    directives: dict[str, list[str]] = {}
    for directive in policy.split(";"):
        words = directive.split()
        if words:  # the first of two same-named directives counts, as in browsers
            directives.setdefault(words[0].lower(), words[1:])
    return directives.get("script-src", directives.get("default-src", []))


def simulate_until(simulation: Any, done: Any, *, limit_seconds: float = 60) -> Any:
    """Run a device simulation until `done(report)` holds (or the limit passes): by what the devices did,
    not by a clock, so a busy machine only takes longer. Returns the report."""
    stop = threading.Event()

    def watch() -> None:
        deadline = time.monotonic() + limit_seconds
        while not done(simulation.report) and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()

    threading.Thread(target=watch, daemon=True).start()
    return simulation.run(stop)
