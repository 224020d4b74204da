"""The demo's past (every state, a signed alert, nothing in the future) and the live feed."""

from __future__ import annotations

import json
import threading

import httpx
from sqlalchemy import func, select

from smartcity.core import clock
from smartcity.ioc import demo, service
from smartcity.ioc.catalogue import STATES
from smartcity.ioc.models import CapAlert, Incident, IncidentEntry, IndicatorValue
from tests.ioc.conftest import SYSTEM, YERSIN, login
from tests.support import run_once_on_sqlite, served


def test_the_demo_shows_a_working_centre_from_the_first_page(pki, settings):
    summary = demo.load_demo(pki, settings=settings, actor=SYSTEM)  # its time: bench/demo_first_page.py
    assert "incidents" in summary
    counts = service.counts_by_state(pki)
    assert set(counts) == set(STATES) and sum(counts.values()) >= 35
    now = clock.now()
    with pki.session() as s:
        assert s.scalar(select(func.count()).select_from(CapAlert)) >= 1
        assert s.scalar(select(func.max(Incident.opened_at))) <= now
        assert s.scalar(select(func.max(IncidentEntry.at))) <= now
        assert s.scalar(select(func.max(CapAlert.sent_at))) <= now
        assert s.scalar(select(func.max(IndicatorValue.period_start))) <= now
        months = s.scalar(
            select(func.count(func.distinct(IndicatorValue.period_start))).where(
                IndicatorValue.frequency == "monthly"
            )
        )
        assert months == 13  # twelve complete months and the one running
    assert service.current_stage(pki)[0] == 1
    assert demo.load_demo(pki, settings=settings, actor=SYSTEM) == "already there"


def test_the_live_feed_delivers_an_incident_without_reloading(app, client, city, settings):
    run_once_on_sqlite(city, "the live-server test")
    operator = login(client, "vanhanh", [("operator", None)])
    frames: list[tuple[str, dict]] = []
    connected = threading.Event()

    def listen(base: str) -> None:
        with (
            httpx.Client(base_url=base, headers=operator, timeout=10) as http,
            http.stream("GET", "/api/v1/ioc/stream") as response,
        ):
            assert response.headers["content-type"].startswith("text/event-stream")
            name = None
            for line in response.iter_lines():
                if line.startswith("retry:"):
                    connected.set()
                if line.startswith("event: "):
                    name = line[7:]
                if line.startswith("data: ") and name:
                    frames.append((name, json.loads(line[6:])))
                    if name == "ioc.IncidentOpened":
                        return

    with served(app) as base:
        thread = threading.Thread(target=listen, args=(base,), daemon=True)
        thread.start()
        assert connected.wait(5)
        event = {
            "type": "traffic_accident",
            "severity": 4,
            "lon": YERSIN[0],
            "lat": YERSIN[1],
            "source": "camera",
            "title": "Va chạm",
        }
        assert httpx.post(f"{base}/api/v1/ioc/events", json=event, headers=operator).status_code == 201
        thread.join(5)
    assert frames and frames[-1][0] == "ioc.IncidentOpened" and frames[-1][1]["title"] == "Va chạm"
    assert client.get("/api/v1/ioc/stream").status_code == 401


def test_the_command_line_computes_and_writes_a_report(city, settings, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from smartcity import cli

    monkeypatch.setattr("smartcity.ioc.cli.open_database", lambda settings=None: city)
    runner = CliRunner()
    computed = runner.invoke(cli.app, ["ioc", "compute", "--code", "feedback.reports"])
    assert computed.exit_code == 0 and "Computed 4 indicator periods" in computed.output
    assert runner.invoke(cli.app, ["ioc", "timers"]).exit_code == 0
    out = tmp_path / "bao-cao.pdf"
    day = clock.today(settings).isoformat()
    written = runner.invoke(cli.app, ["ioc", "report", "daily", day, "--out", str(out)])
    assert written.exit_code == 0 and out.read_bytes().startswith(b"%PDF")
