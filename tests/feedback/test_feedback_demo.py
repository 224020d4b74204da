"""The demo generator and the CLI: reports inside the city, handled, counted in the statistics."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from typer.testing import CliRunner

from smartcity.feedback import service
from smartcity.feedback.demo import generate
from smartcity.feedback.stats import report_statistics
from tests.feedback.conftest import OPERATOR, SECRET


def test_generated_reports_are_routed_handled_and_counted(city):
    summary = generate(city, days=4, per_day=4, seed=7, secret=SECRET, end=date(2025, 7, 2))
    assert summary.reports > 0 and summary.skipped == 0
    items, total = service.list_reports(
        city, actor=OPERATOR, filters=service.ReportFilter(public_only=False), limit=500
    )
    assert total == summary.reports
    units = {r.unit_code for r in items}
    assert any(u.endswith("-HCM") for u in units)  # 1-2 July 2025: the new wards
    assert any(not u.endswith("-HCM") for u in units)  # 29-30 June 2025: the old city
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    stats = report_statistics(
        city, start=datetime(2025, 6, 1, tzinfo=zone), end=datetime(2025, 7, 3, tzinfo=zone)
    )
    assert stats.total == summary.reports and stats.resolved == summary.resolved


def test_cli_lists_categories_and_runs_the_timers(city, monkeypatch):
    from smartcity import cli

    monkeypatch.setattr("smartcity.feedback.cli.open_database", lambda settings=None: city)
    runner = CliRunner()
    listed = runner.invoke(cli.app, ["feedback", "categories"])
    assert listed.exit_code == 0 and "ha-tang" in listed.output
    escalated = runner.invoke(cli.app, ["feedback", "escalate"])
    assert escalated.exit_code == 0 and "Escalated 0 reports" in escalated.output
    assert runner.invoke(cli.app, ["feedback", "close-resolved"]).exit_code == 0
