"""The demo generator and the CLI: reports inside the city, handled, counted in the statistics."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from typer.testing import CliRunner

from smartcity.accounts import service as accounts_service
from smartcity.core.security import Actor
from smartcity.feedback import service
from smartcity.feedback.demo import generate
from smartcity.feedback.stats import report_statistics
from tests.feedback.conftest import OPERATOR, SECRET, SYSTEM


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


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_the_demo_citizens_own_reports_are_hers_in_her_ward_and_not_in_the_future(
    city, settings, report_data
):
    from smartcity.accounts.demo import load_demo as load_accounts
    from smartcity.core.demo import DEMO_CITIZEN
    from smartcity.feedback.demo import HER_REPORTS, load_demo
    from smartcity.feedback.models import Report

    load_accounts(city, settings=settings, actor=SYSTEM)
    service.submit_report(city, actor=SYSTEM, data=report_data(), secret=SECRET)  # the year is "there"
    assert load_demo(city, settings=settings, actor=SYSTEM).endswith("3 of the demo citizen added")
    user = accounts_service.get_user_by_username(city, DEMO_CITIZEN.username)
    her = Actor(kind="user", name=user.username, user_id=user.id, roles=frozenset({("citizen", None)}))
    mine, total = service.list_reports(
        city, actor=her, filters=service.ReportFilter(reporter_user_id=user.id, public_only=False), limit=10
    )
    assert total == len(HER_REPORTS) == 3  # what /cua-toi lists as "Phản ánh của tôi"
    now = datetime.now(UTC)
    with city.session() as s:
        rows = s.scalars(select(Report).where(Report.reporter_user_id == user.id)).all()
        assert {r.ward_code for r in rows} == {DEMO_CITIZEN.ward_code}  # near her home, in her ward
        assert all(r.channel == "web" and r.submitted_by == f"user:{user.username}" for r in rows)
        # resolved, rated by her and closed since; being handled; just received
        assert {r.status for r in rows} == {"closed", "in_progress", "new"}
        rated = next(r for r in rows if r.status == "closed")
        assert rated.rating == 3 and _aware(rated.resolved_at) < _aware(rated.rated_at) < _aware(
            rated.closed_at
        )
        assert _aware(rated.closed_at) < now - timedelta(days=30)
        assert min(_aware(r.submitted_at) for r in rows) < now - timedelta(days=30)  # a past, not only today
    for report in mine:
        read = service.get_report(city, actor=her, code=report.code)
        assert _aware(read.submitted_at) <= now
        assert all(_aware(step.at) <= now for step in read.steps)
    # a second load of the demo adds nothing
    assert load_demo(city, settings=settings, actor=SYSTEM) == "4 reports already there"
