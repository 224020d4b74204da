# ruff: noqa: E501  (HTML and JavaScript of the reference page)
"""Benchmark: time to first draw of every map page on the demo data, beside a bare map page in the same run.

    PYTHONPATH=src .venv/bin/python bench/map_draw.py [--data-dir DIR] [--runs 5]

The demo data is loaded as `smartcity demo` loads it (`prepare_demo`: city pack and every domain's demo)
into a fresh data directory (or DIR, kept and reused when given), then one uvicorn process serves the
platform and, as static files, the reference: a bare MapLibre page that draws the same base-map GeoJSON
(districts and streets) and as many points as the measured page drew of its own features, with no
page around it. Each page is opened in headless Chromium (signed in as a staff member holding the roles
the staff maps need); the figure is `data-map-drawn`, which `web/static/js/base-map.js` sets at the first
`idle` of the map once the page's own layers exist (ms since navigation start), median of the runs after
one warm-up load; page and reference loads alternate. Target: first draw within 2 s. Nothing is asserted; the ratio is printed.
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
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 2000
BENCH_USER = "bench-maps"
BENCH_PASSWORD = "bench-maps-password"  # noqa: S105  (a throw-away user in a throw-away database)
BENCH_ROLES = [("operator", None), ("leader", None), ("specialist", None), ("admin", None)]
MAP_PAGES = {
    "/ban-do": "#map",
    "/ban-do-quy-hoach": "#plan-map",
    "/phan-anh": "#fb-map",
    "/can-bo/thiet-bi": "#iot-map",
    "/ioc": "#ioc-map",
    "/can-bo/ban-do-chinh-sua?layer=streets": "#edit-map",
    "/can-bo/chieu-sang": "#lighting-map",
    "/can-bo/camera": "#camera-map",
    "/can-bo/thu-gom": "#waste-map",
    "/moi-truong": "#env-map",
    "/can-bo/giao-duc": "#edu-map",
    "/cong-trinh": "#inv-map",
}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
REFERENCE_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>reference</title>
<link rel="stylesheet" href="/static/vendor/maplibre-gl/maplibre-gl.css">
<style>html,body{margin:0} #map{width:100%;height:600px}</style></head>
<body><div id="map"></div>
<script src="/static/vendor/maplibre-gl/maplibre-gl.js"></script>
<script src="reference.js"></script></body></html>"""
REFERENCE_SCRIPT = """(function () {
  var box = document.getElementById("map"), n = new URLSearchParams(location.search).get("n");
  var map = new maplibregl.Map({ container: box, center: [106.66, 11.0], zoom: 12,
    style: { version: 8, sources: { base: { type: "geojson", data: location.origin + "/bench-reference/base.geojson" } }, layers: [
      { id: "bg", type: "background", paint: { "background-color": "#e8edf2" } },
      { id: "areas", type: "fill", source: "base", filter: ["==", ["geometry-type"], "Polygon"], paint: { "fill-color": "#f1efe8" } },
      { id: "lines", type: "line", source: "base", paint: { "line-color": "#9aa5b1" } }] } });
  map.on("load", function () {
    map.addSource("points", { type: "geojson", data: location.origin + "/bench-reference/points-" + n + ".geojson" });
    map.addLayer({ id: "points", type: "circle", source: "points", paint: { "circle-radius": 4, "circle-color": "#d1242f" } });
    map.on("idle", function done() {
      map.off("idle", done);
      box.dataset.mapDrawn = String(Math.round(performance.now()));
    });
  });
}());"""


def serve(data_dir: str, port: int, reference_dir: str) -> None:
    """The platform on the demo data, plus the reference files under /bench-reference (runs in a subprocess)."""
    import uvicorn
    from fastapi.staticfiles import StaticFiles

    from smartcity.core.config import Settings
    from smartcity.web.app import create_app

    settings = Settings(data_dir=Path(data_dir), log_json=False)
    app = create_app(settings)
    app.mount("/bench-reference", StaticFiles(directory=reference_dir), name="bench-reference")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def prepare(data_dir: Path) -> float:
    """Load the demo data (as `smartcity demo`) and the bench user; seconds taken (0 when already there)."""
    from rich.console import Console

    from smartcity.accounts import service as accounts_service
    from smartcity.core.config import Settings
    from smartcity.core.db import Database
    from smartcity.core.security import Actor
    from smartcity.demo import prepare_demo

    marker = data_dir / "bench-maps-ready"
    if marker.exists():
        return 0.0
    settings = Settings(data_dir=data_dir, log_json=False)
    started = time.perf_counter()
    prepare_demo(settings, console=Console(quiet=True))
    db = Database(settings.resolved_database_url, settings=settings)
    try:
        accounts_service.create_user(
            db, actor=Actor.system("bench"), username=BENCH_USER, password=BENCH_PASSWORD, roles=BENCH_ROLES
        )
    finally:
        db.dispose()
    marker.write_text("ok", encoding="utf-8")
    return time.perf_counter() - started


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_reference(reference_dir: Path, base: dict[str, Any]) -> None:
    """The bare page, its script and the base map."""
    reference_dir.mkdir(parents=True, exist_ok=True)
    (reference_dir / "index.html").write_text(REFERENCE_PAGE, encoding="utf-8")
    (reference_dir / "reference.js").write_text(REFERENCE_SCRIPT, encoding="utf-8")
    (reference_dir / "base.geojson").write_text(json.dumps(base), encoding="utf-8")


def write_points(reference_dir: Path, count: int) -> None:
    """A static GeoJSON file of `count` points spread over the city (the reference's own layer)."""
    rng = random.Random(count)
    points = [
        {
            "type": "Feature",
            "geometry": {
                "type": "Point",
                "coordinates": [106.60 + rng.random() * 0.12, 10.95 + rng.random() * 0.12],
            },
            "properties": {"n": n},
        }
        for n in range(count)
    ]
    (reference_dir / f"points-{count}.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": points}), encoding="utf-8"
    )


def first_draw(page: Any, url: str, selector: str, timeout_ms: int) -> tuple[float, int] | None:
    """Load a page; (ms from navigation start to the map's first draw, features drawn), or None."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.goto(url, wait_until="commit")
    try:
        element = page.wait_for_selector(f"{selector}[data-map-drawn]", state="attached", timeout=timeout_ms)
    except PlaywrightTimeout:  # a page that never draws is reported, not raised
        return None
    assert element is not None
    features = element.get_attribute("data-map-features") or "0"
    return float(element.get_attribute("data-map-drawn") or "nan"), int(features)


def measure(base_url: str, reference_dir: Path, runs: int, timeout_ms: int) -> list[dict[str, Any]]:
    """Each map page and the reference with as many points as the page drew, loads interleaved (so both
    see the same machine load); median ms of the runs after one warm-up load of each."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    results: list[dict[str, Any]] = []
    write_reference(reference_dir, httpx.get(base_url + "/api/v1/gis/base-map.geojson", timeout=60).json())
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
        page = context.new_page()
        page.goto(base_url + "/login")
        page.fill("input[name=username]", BENCH_USER)
        page.fill("input[name=password]", BENCH_PASSWORD)
        page.locator("form[action='/login'] button[type=submit]").first.click()
        page.wait_for_load_state()
        for path, selector in MAP_PAGES.items():
            warm = first_draw(page, base_url + path, selector, timeout_ms)
            row: dict[str, Any] = {"path": path, "ms": None, "features": 0, "reference_ms": None}
            if warm is not None:
                features = max(1, warm[1])
                write_points(reference_dir, features)
                reference_url = f"{base_url}/bench-reference/index.html?n={features}"
                first_draw(page, reference_url, "#map", timeout_ms)
                pairs = [
                    (
                        first_draw(page, base_url + path, selector, timeout_ms),
                        first_draw(page, reference_url, "#map", timeout_ms),
                    )
                    for _ in range(runs)
                ]
                drawn = [p[0] for p, _ in pairs if p is not None]
                bare = [r[0] for _, r in pairs if r is not None]
                row.update(
                    features=features,
                    ms=statistics.median(drawn) if drawn else None,
                    reference_ms=statistics.median(bare) if bare else None,
                )
            results.append(row)
        browser.close()
    return results


def run(data_dir: Path | None = None, runs: int = 5, timeout_ms: int = 60_000) -> list[dict[str, Any]]:
    """Prepare the demo, serve it, measure every map page beside the reference; rows for bench/run.py."""
    folder = Path(tempfile.mkdtemp(prefix="map-bench-"))
    data_dir = data_dir or folder / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    seconds = prepare(data_dir)
    if seconds:
        print(f"demo data loaded in {seconds:.0f} s")
    reference_dir = folder / "reference"
    reference_dir.mkdir()
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "SMARTCITY_LOG_JSON": "false",
    }
    env.pop("SMARTCITY_DATABASE_URL", None)
    code = f"from bench import map_draw; map_draw.serve({str(data_dir)!r}, {port}, {str(reference_dir)!r})"
    server = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)  # noqa: S603
    base_url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.25)
        results = measure(base_url, reference_dir, runs, timeout_ms)
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
    return [
        {
            "bench": f"map first draw {r['path'][:36]} ({r['features']:,} feat.) ms",
            "figure": round(r["ms"]) if r["ms"] is not None else -1,
            "reference": round(r["reference_ms"]) if r["reference_ms"] is not None else -1,
            "reference_name": "bare MapLibre page, same base map + as many points, static files",
            "ratio": round(r["ms"] / r["reference_ms"], 2) if r["ms"] and r["reference_ms"] else None,
            "target": f"< {TARGET_MS}",
        }
        for r in results
    ]


def main() -> None:
    """Measure and print each page beside the reference, with the ratio and the 2 s target."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, help="Keep the demo data here and reuse it on the next run")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows = run(args.data_dir, args.runs)
    print(f"{'map page':62} {'first draw':>11} {'reference':>10} {'ratio':>6}  target")
    for row in rows:
        figure = "not drawn" if row["figure"] < 0 else f"{row['figure']:,} ms"
        reference = "—" if row["reference"] < 0 else f"{row['reference']:,} ms"
        ratio = "" if row["ratio"] is None else f"{row['ratio']:.2f}"
        met = "met" if 0 <= row["figure"] < TARGET_MS else "NOT met"
        print(f"{row['bench']:62} {figure:>11} {reference:>10} {ratio:>6}  < {TARGET_MS} ms: {met}")
    print(f"reference: {rows[0]['reference_name'] if rows else ''}")


if __name__ == "__main__":
    main()
