# ruff: noqa: E501  (HTML and JavaScript of the reference page, long report lines)
"""Benchmark: the operations centre's live view under load, beside bare references in the same server.

One uvicorn process serves the platform on a SQLite file holding N devices (default 20,000), plus two
references: a bare Starlette SSE endpoint (/bench/sse) and a bare MapLibre page with the same points
(/bench/map). A producer thread in the server emits events at R per second (default 50): each is handed to
the platform's event bus exactly as a committed unit of work hands it (`bus.dispatched`), reaching the
centre's hub and /api/v1/ioc/stream; the same payload goes to the bare endpoint's queues. A client reads
both streams for D seconds and reports the delivery latency (event created -> frame read) p50/p99 of each.
It also times the devices layer (/api/v1/ioc/map/devices) and, with --browser, the frame time of the /ioc
page in headless Chromium (requestAnimationFrame intervals while the feed runs) beside the bare map page.

    .venv/bin/python bench/ioc_live.py [--devices 20000] [--rate 50] [--seconds 20] [--browser]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

CENTRE = (106.66, 11.0)


def serve(db_path: str, port: int, devices: int, rate: float) -> None:
    """The platform app with an operator caller, the references and the producer (runs in a subprocess)."""
    import asyncio

    import uvicorn
    from sqlalchemy import insert
    from starlette.responses import HTMLResponse, StreamingResponse

    from smartcity.core.config import Settings
    from smartcity.core.db import Database
    from smartcity.core.migrate import upgrade
    from smartcity.core.outbox import bus
    from smartcity.core.security import Actor
    from smartcity.ioc.events import IncidentEventMerged
    from smartcity.iot.models import Device
    from smartcity.web.app import create_app
    from smartcity.web.deps import current_actor

    db = Database(f"sqlite:///{db_path}")
    upgrade(db)
    rng = random.Random(1)
    rows = [
        {
            "id": f"SL-{n:05d}",
            "type": "streetlight",
            "status": "active",
            "tags": [],
            "mqtt_username": f"SL-{n:05d}",
            "password_hash": "!",
            "lon": CENTRE[0] + rng.uniform(-0.06, 0.06),
            "lat": CENTRE[1] + rng.uniform(-0.06, 0.06),
        }
        for n in range(devices)
    ]
    with db.write_session() as s:
        for start in range(0, len(rows), 5000):
            s.execute(insert(Device), rows[start : start + 5000])
    settings = Settings(database_url=db.url, secret_key="bench-only", log_json=False)  # noqa: S106
    app = create_app(settings, db)
    operator = Actor(kind="user", name="bench", user_id=1, roles=frozenset({("operator", None)}))
    app.dependency_overrides[current_actor] = lambda: operator
    bare: list[tuple[Any, asyncio.Queue[str]]] = []

    async def bare_stream() -> Any:
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=1000)
        entry = (asyncio.get_running_loop(), queue)
        bare.append(entry)
        try:
            yield "retry: 3000\n\n"
            while True:
                yield await queue.get()
        finally:
            bare.remove(entry)

    @app.get("/bench/sse", include_in_schema=False)
    async def bench_sse() -> StreamingResponse:
        return StreamingResponse(bare_stream(), media_type="text/event-stream")

    @app.get("/bench/map", include_in_schema=False)
    def bench_map() -> HTMLResponse:
        return HTMLResponse(BARE_MAP)

    def produce() -> None:
        n = 0
        while True:
            n += 1
            event = IncidentEventMerged(
                incident_id=n, code=f"SC-BENCH-{n}", source="camera", event_count=n, severity=3, at=""
            )
            bus.dispatched(event)  # what a committed unit of work does: listeners -> the centre's hub
            frame = f"event: bench\ndata: {json.dumps({'n': n, '_sent': time.time()})}\n\n"
            for loop, queue in list(bare):
                loop.call_soon_threadsafe(queue.put_nowait, frame)
            time.sleep(1.0 / rate)

    threading.Thread(target=produce, daemon=True).start()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


BARE_MAP = """<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="/static/vendor/maplibre-gl/maplibre-gl.css"></head><body style="margin:0">
<div id="m" style="width:1200px;height:700px"></div><script src="/static/vendor/maplibre-gl/maplibre-gl.js"></script>
<script>var map = new maplibregl.Map({container: "m", style: {version: 8, sources: {}, layers: [
{id: "bg", type: "background", paint: {"background-color": "#eef2f6"}}]}, center: [106.66, 11.0], zoom: 11.2});
map.on("load", function () { fetch("/api/v1/ioc/map/devices").then(function (r) { return r.json(); }).then(function (d) {
map.addSource("d", {type: "geojson", data: d}); map.addLayer({id: "d", type: "circle", source: "d",
paint: {"circle-radius": 2, "circle-color": "#2da44e"}}); document.body.dataset.ready = "true"; }); });</script></body></html>"""


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def read_stream(url: str, seconds: float, out: list[float]) -> None:
    """Read an SSE stream for `seconds`, appending each frame's delivery latency in milliseconds."""
    deadline = time.time() + seconds
    with httpx.Client(timeout=seconds + 10) as client, client.stream("GET", url) as response:
        for line in response.iter_lines():
            if line.startswith("data: "):
                sent = json.loads(line[6:]).get("_sent")
                if sent:
                    out.append((time.time() - sent) * 1000)
            if time.time() > deadline:
                return


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) of the values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def frame_times(base: str, path: str, ready: str, seconds: float) -> list[float]:
    """requestAnimationFrame intervals (ms) of a page in headless Chromium, once it is ready."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    args = ["--no-sandbox", "--disable-gpu", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=args)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(base + path)
        page.wait_for_selector(ready, state="attached", timeout=120000)
        times = page.evaluate(
            """(ms) => new Promise((done) => { const out = []; let last = performance.now(); const end = last + ms;
               function tick(t) { out.push(t - last); last = t; if (t < end) { requestAnimationFrame(tick); } else { done(out); } }
               requestAnimationFrame(tick); })""",
            seconds * 1000,
        )
        browser.close()
    return list(times)[1:]


def main() -> None:
    """Start the server, measure, print the figures side by side."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=20000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--browser", action="store_true")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ioc-bench-"))
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent / "src")}
    code = f"import bench_ioc; bench_ioc.serve({str(folder / 'bench.db')!r}, {port}, {options.devices}, {options.rate})"
    shutil.copy(__file__, folder / "bench_ioc.py")
    server = subprocess.Popen([sys.executable, "-c", code], cwd=folder, env=env)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.25)
        started = time.perf_counter()
        layer = httpx.get(f"{base}/api/v1/ioc/map/devices", timeout=120)
        layer_ms = (time.perf_counter() - started) * 1000
        centre: list[float] = []
        reference: list[float] = []
        readers = [
            threading.Thread(target=read_stream, args=(f"{base}/api/v1/ioc/stream", options.seconds, centre)),
            threading.Thread(target=read_stream, args=(f"{base}/bench/sse", options.seconds, reference)),
        ]
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join()
        print(f"devices: {options.devices}, events/s: {options.rate:g}, seconds: {options.seconds:g}")
        print(
            f"devices layer: {len(layer.json()['features'])} features, {len(layer.content) / 1e6:.1f} MB, {layer_ms:.0f} ms"
        )
        print(f"{'SSE delivery latency (ms)':28} {'frames':>7} {'p50':>8} {'p99':>8}")
        for name, values in (("centre /api/v1/ioc/stream", centre), ("bare Starlette SSE", reference)):
            print(f"{name:28} {len(values):7d} {percentile(values, 50):8.2f} {percentile(values, 99):8.2f}")
        if options.browser:
            live = frame_times(base, "/ioc", "#ioc-map[data-ready=true]", 5)
            bare = frame_times(base, "/bench/map", "body[data-ready=true]", 5)
            print(f"{'browser frame time (ms)':28} {'frames':>7} {'p50':>8} {'p99':>8}")
            for name, values in (("/ioc live view + feed", live), ("bare MapLibre, same points", bare)):
                print(
                    f"{name:28} {len(values):7d} {statistics.median(values):8.2f} {percentile(values, 99):8.2f}"
                )
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
