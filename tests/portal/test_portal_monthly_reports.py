"""The portal's demo news of the last months: the one-stop shop's and the 1022 hotline's monthly reports,
their figures those of the dossiers' and the reports' statistics (`dossiers.stats`, `feedback.stats`), never
dated after today, made once."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from babel.numbers import format_decimal
from sqlalchemy import select

from smartcity.core import clock
from smartcity.core.security import Actor
from smartcity.dossiers import demo as dossiers_demo
from smartcity.dossiers import service as dossiers
from smartcity.feedback import demo as feedback_demo
from smartcity.feedback.stats import report_statistics
from smartcity.portal import demo
from smartcity.portal.models import Post

SYSTEM = Actor.system("portal-test")


def vi(number: float) -> str:
    return format_decimal(number, format="#,##0.#", locale="vi_VN")


def en(number: float) -> str:
    return format_decimal(number, format="#,##0.#", locale="en")


def _posts(db) -> dict[str, Post]:  # type: ignore[no-untyped-def]
    with db.session() as s:
        return {p.slug: p for p in s.scalars(select(Post))}


def _month_end(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def test_the_reported_months_are_whole_past_months_published_on_the_third() -> None:
    months = demo.reported_months(date(2026, 12, 6))
    assert months[0] == (date(2026, 6, 1), date(2026, 7, 3))
    assert months[-1] == (date(2026, 11, 1), date(2026, 12, 3)) and len(months) == 6
    before_the_third = demo.reported_months(date(2026, 12, 2))  # November's is not out yet
    assert before_the_third[-1] == (date(2026, 10, 1), date(2026, 11, 3)) and len(before_the_third) == 5
    assert demo.reported_months(date(2027, 1, 3))[-1] == (date(2026, 12, 1), date(2027, 1, 3))


def test_monthly_reports_tell_the_statistics_of_the_months_with_data(public_city, settings) -> None:  # type: ignore[no-untyped-def]
    db = public_city
    today = clock.today(settings)
    demo.load_demo(db, settings=settings, actor=SYSTEM)
    before = _posts(db)
    assert not [slug for slug in before if "-thang-" in slug], "no data yet: no monthly report"

    # About four months of dossiers and forty days of reports: the older of the six months have none.
    dossiers_demo.seed_demo_dossiers(db, settings=settings, count=80, years=0.3, seed=5)
    feedback_demo.generate(db, days=40, per_day=3, seed=9, secret=settings.personal_keys)
    summary = demo.load_demo(db, settings=settings, actor=SYSTEM)
    posts = _posts(db)
    made = {slug: post for slug, post in posts.items() if slug not in before}
    assert summary == f"{len(made)} posts"

    zone = clock.city_zone(settings)
    empty_months = 0
    for month, published in demo.reported_months(today):
        when = f"{month.month}-{month.year}"
        rows = dossiers.statistics(
            db, settings=settings, by="all", date_from=month, date_to=_month_end(month)
        )
        post = made.get(f"ket-qua-giai-quyet-thu-tuc-thang-{when}")
        if not rows or not rows[0]["received"]:
            assert post is None
            empty_months += 1
        else:
            row = rows[0]
            assert post is not None and post.kind == "news" and post.status == "published"
            assert clock.local_date(post.published_at, settings) == published <= today
            assert f"tháng {month.month}/{month.year}: {vi(row['received'])} hồ sơ tiếp nhận" in post.title_vi
            assert f"{vi(row['online_share'] * 100)}% hồ sơ nộp trực tuyến" in post.summary_vi
            assert f"{en(row['received'])} applications received" in post.title_en
            if row["early"] + row["on_time"] + row["late"]:
                assert f"{vi(row['on_time_share'] * 100)}% giải quyết đúng hạn" in post.title_vi
                assert f"{en(row['on_time_share'] * 100)}% settled on time" in post.title_en
                assert f"{vi(row['late'])} quá hạn" in post.body_vi
        start = datetime.combine(month, datetime.min.time(), zone)
        end = datetime.combine(_month_end(month) + timedelta(days=1), datetime.min.time(), zone)
        figures = report_statistics(db, start=start, end=end - timedelta(microseconds=1))
        hotline = made.get(f"duong-day-nong-1022-thang-{when}")
        if not figures.total:
            assert hotline is None
            empty_months += 1
            continue
        assert hotline is not None and clock.local_date(hotline.published_at, settings) == published
        assert f"tháng {month.month}/{month.year}: {vi(figures.total)} phản ánh" in hotline.title_vi
        assert f"{en(figures.total)} reports" in hotline.title_en
        if figures.resolved:  # the share as the indicator rounds it (KpiValue.share), then to one decimal
            percent = round(100 * figures.resolved_within_deadline / figures.resolved, 2)
            assert f"{vi(percent)}% xử lý đúng hạn" in hotline.title_vi
            assert f"{en(percent)}% resolved on time" in hotline.title_en
            within = vi(figures.resolved_within_deadline)
            assert (
                f"Đã xử lý xong {vi(figures.resolved)} phản ánh, trong đó {within} phản ánh"
                in hotline.body_vi
            )
    assert made and empty_months >= 2, "months with and months without data"
    assert all(clock.local_date(p.published_at, settings) <= today for p in posts.values())
    assert all(p.body_en and p.summary_en for p in made.values())

    assert demo.load_demo(db, settings=settings, actor=SYSTEM) == "0 posts"
    assert _posts(db).keys() == posts.keys()


def test_the_deferred_demo_data_loads_the_portal_again_last(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`smartcity demo` loads the portal before the server starts (the news of the first page) and again
    after the others' demo data, which its monthly reports are made of."""
    from rich.console import Console

    from smartcity import demo as city_demo
    from smartcity.core.config import Settings
    from smartcity.domains import DOMAINS

    chosen: list[str] = []

    def deferred(_db: object, *, only, **_kwargs: object) -> None:  # type: ignore[no-untyped-def]
        chosen.extend(domain for domain in DOMAINS if only(domain))

    monkeypatch.setattr(city_demo, "_wait_for", lambda *_args, **_kwargs: True)
    monkeypatch.setattr(city_demo, "load_domain_demos", deferred)
    monkeypatch.setattr(city_demo, "publish_open_data", lambda *_args, **_kwargs: None)
    monkeypatch.setattr("smartcity.core.audit.anchor_audit_chain", lambda _db: None)
    settings = Settings(
        data_dir=tmp_path / "var", secret_key="demo-test-secret", log_json=False, _env_file=None
    )
    done: list[bool] = []
    city_demo.load_deferred_demos(
        settings, base_url="http://x", console=Console(quiet=True), then=lambda: done.append(True)
    ).join(timeout=60)
    assert done and "portal" in chosen and "dossiers" in chosen and "feedback" in chosen
    assert "accounts" not in chosen and "procedures" not in chosen  # the other first-page domains are done
    ordered = sorted(chosen, key=lambda domain: domain in city_demo.SUMMARISING_DOMAINS)
    assert ordered.index("portal") > max(ordered.index(d) for d in chosen if d not in ("portal", "ioc"))
