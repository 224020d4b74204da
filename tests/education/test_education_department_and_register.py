"""The department opens each school's overview from its list, read-only; today's register is not claimed
before lessons begin nor on a day off (the page and the demo); pupils per school are whole pupils."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, select

from smartcity.accounts import service as accounts_service
from smartcity.city import service as city_service
from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.kpis import KpiContext
from smartcity.education import kpis, service
from smartcity.education.config import EducationSettings
from smartcity.education.demo import attendance_days
from smartcity.education.models import Attendance, School, SchoolClass
from smartcity.education.service import attendance as attendance_service
from tests.conftest import CHEAP_HASHER, TEST_SECRET
from tests.education.conftest import SYSTEM
from tests.education.test_education_pages import SCHOOL, _sign_in
from tests.education.test_education_worklist import _school_day

BROWSER = {"Accept": "text/html"}
HCM = ZoneInfo("Asia/Ho_Chi_Minh")  # the test settings' time zone


def _settings(tmp_path: Path) -> Settings:
    """Settings of a city on Vietnam time, without a database (for what needs none)."""
    return Settings(
        data_dir=tmp_path / "var", database_url="sqlite:///unused.db", secret_key=TEST_SECRET, log_json=False
    ).set_section(EducationSettings())


def _classes_table(html: str) -> str:
    return html.split('id="classes"')[1].split("</table>")[0]


# ------------------------------------------------------------------------------------------ the department


def test_the_department_opens_each_school_from_its_list_and_only_reads_it(demo, client):
    _sign_in(client, "giaoduc")
    listing = client.get("/can-bo/giao-duc").text
    linked = re.findall(r'<tr data-code="([^"]+)"><td><a href="/can-bo/giao-duc/truong/\1">', listing)
    assert len(linked) == 57 and SCHOOL in linked

    page = client.get(f"/can-bo/giao-duc/truong/{SCHOOL}", headers=BROWSER)
    assert page.status_code == 200
    assert ">3A2<" in page.text and "@edu.thudaumot.example" in page.text  # its classes and its staff
    assert 'id="department-view"' in page.text and "Các trường công lập trên địa bàn" in page.text
    # none of the school's own work: no class sheet to mark, no fees, assets or imports
    assert "/can-bo/giao-duc/lop/" not in page.text
    for section in ("hoc-phi", "tai-san", "nhap"):
        assert f"/can-bo/giao-duc/truong/{SCHOOL}/{section}" not in page.text
    class_id = service.list_classes(client.app.state.db, actor=SYSTEM, school_code=SCHOOL)[0]["id"]
    assert client.get(f"/can-bo/giao-duc/lop/{class_id}", headers=BROWSER).status_code == 403
    assert client.get(f"/can-bo/giao-duc/truong/{SCHOOL}/hoc-phi", headers=BROWSER).status_code == 403
    assert client.get(f"/can-bo/giao-duc/truong/{SCHOOL}/nhap", headers=BROWSER).status_code == 403

    client.cookies.set("lang", "en")
    english = client.get(f"/can-bo/giao-duc/truong/{SCHOOL}").text
    assert "The city&#39;s public schools" in english or "The city's public schools" in english
    assert "Các trường công lập trên địa bàn" not in english


def test_the_schools_staff_keep_their_work_and_others_stay_out(demo, client):
    _sign_in(client, "ketoan.phuhoa1")
    page = client.get(f"/can-bo/giao-duc/truong/{SCHOOL}").text
    assert f"/can-bo/giao-duc/truong/{SCHOOL}/hoc-phi" in page and "/can-bo/giao-duc/lop/" in page
    assert 'id="department-view"' not in page
    client.cookies.clear()
    _sign_in(client, "motcua.z", ("head", "UBND-25747-HCM"))  # neither the school's staff nor the department
    refused = client.get(f"/can-bo/giao-duc/truong/{SCHOOL}", headers=BROWSER)
    assert refused.status_code == 403 and "cơ quan quản lý giáo dục được xem trang này" in refused.text


# ------------------------------------------------------------------------------------------ today's register


def test_lessons_begin_at_seven_in_the_city(tmp_path):
    settings = _settings(tmp_path)
    today = clock.today(settings)
    at = lambda hour, minute, day=today: datetime.combine(day, time(hour, minute), HCM)  # noqa: E731
    assert not service.school_day_started(settings, at=at(2, 17))
    assert not service.school_day_started(settings, at=at(6, 59))
    assert service.school_day_started(settings, at=at(7, 0))
    assert service.school_day_started(settings, at=at(7, 0).astimezone(UTC))  # a stored (UTC) moment
    assert service.school_day_started(settings, at=at(0, 5, today + timedelta(days=1)))  # today is past
    later = settings.set_section(EducationSettings(school_day_starts=time(13, 30)))
    assert not service.school_day_started(later, at=at(10, 0))


def test_the_demo_takes_no_register_before_lessons_nor_on_a_day_off():
    monday, holiday = date(2025, 4, 28), date(2025, 4, 30)  # 30 April and 1 May: holidays
    school_day = lambda day: day.isoweekday() <= 5 and day not in (holiday, date(2025, 5, 1))  # noqa: E731
    before = attendance_days(monday, school_day, since=date(2024, 9, 5), today_started=False)
    assert monday not in before and len(before) == 10
    assert all(school_day(day) for day in before) and before == sorted(before, reverse=True)
    assert before[0] == date(2025, 4, 25)  # the Friday before
    after = attendance_days(monday, school_day, since=date(2024, 9, 5), today_started=True)
    assert after[0] == monday and after[1:] == before[:-1]
    friday = attendance_days(date(2025, 5, 2), school_day, since=date(2024, 9, 5), today_started=True)
    assert friday[:3] == [date(2025, 5, 2), date(2025, 4, 29), date(2025, 4, 28)]  # not 30 April, 1 May
    sunday = attendance_days(date(2025, 5, 4), school_day, since=date(2024, 9, 5), today_started=True)
    assert sunday[0] == date(2025, 5, 2)
    assert attendance_days(date(2025, 9, 5), school_day, since=date(2025, 9, 5), today_started=False) == []


def test_the_demo_loaded_before_lessons_has_no_register_of_today(db, settings, monkeypatch):
    if not db.is_sqlite:
        pytest.skip("the demo's loading is the same on both databases; once is enough")
    from smartcity.city.loader import load_city_pack
    from smartcity.education import demo as education_demo

    load_city_pack(db, pack="thu-dau-mot", actor=SYSTEM)
    calendar = city_service.working_calendar(db, settings=settings)
    day = clock.today(settings)  # a working day of the school year (not the summer holidays)...
    while not calendar.is_working_day(day) or day.month in (6, 7, 8) or (day.month == 9 and day.day < 20):
        day -= timedelta(days=1)
    monkeypatch.setattr(clock, "today", lambda settings=None: day)
    monkeypatch.setattr(education_demo, "school_day_started", lambda settings, at=None: False)  # ...at 02:17
    monkeypatch.setattr(accounts_service, "_hasher", CHEAP_HASHER)
    settings.set_section(EducationSettings(demo_students_per_class=1))
    education_demo.load_demo(db, settings=settings, actor=SYSTEM)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Attendance).where(Attendance.day == day)) == 0
        assert s.scalar(select(func.max(Attendance.day))) < day


def test_the_school_page_claims_no_register_before_lessons_or_on_a_day_off(
    demo, client, settings, monkeypatch
):
    day = _school_day(demo, settings, monkeypatch)
    with demo.session() as s, s.begin():
        school = select(School.id).where(School.code == SCHOOL).scalar_subquery()
        classes = select(SchoolClass.id).where(SchoolClass.school_id == school)
        s.execute(delete(Attendance).where(Attendance.day == day, Attendance.class_id.in_(classes)))
    _sign_in(client, "ketoan.phuhoa1")

    lead = accounts_service.get_user_by_username(demo, "hieutruong.phuhoa1")
    principal = accounts_service.actor_for_user(demo, lead.id)
    classes = len(service.list_classes(demo, actor=SYSTEM, school_code=SCHOOL))
    settings.set_section(
        settings.section(EducationSettings).model_copy(update={"school_day_starts": time(7)})
    )

    for started in (attendance_service, service):  # 02:17: the service's and the page's clock
        monkeypatch.setattr(started, "school_day_started", lambda settings, at=None: False)
    early = client.get(f"/can-bo/giao-duc/truong/{SCHOOL}").text
    table = _classes_table(early)
    assert "Chưa vào giờ học" in table and "Chưa điểm danh" not in table and "Đã điểm danh" not in table
    assert "Các lớp điểm danh khi vào giờ học, từ 7:00." in early
    assert service.count_unmarked_classes(demo, actor=principal, settings=settings) == 0  # no work yet

    for started in (attendance_service, service):  # 09:00
        monkeypatch.setattr(started, "school_day_started", lambda settings, at=None: True)
    table = _classes_table(client.get(f"/can-bo/giao-duc/truong/{SCHOOL}").text)
    assert "Chưa điểm danh" in table and "Chưa vào giờ học" not in table
    assert service.count_unmarked_classes(demo, actor=principal, settings=settings) == classes

    sunday = day - timedelta(days=day.isoweekday() % 7 or 7)
    monkeypatch.setattr(clock, "today", lambda settings=None: sunday)
    off = client.get(f"/can-bo/giao-duc/truong/{SCHOOL}").text
    assert "Điểm danh hôm nay" not in off and "Đã điểm danh" not in off and "Chưa điểm danh" not in off
    assert "Hôm nay không có buổi học (ngày nghỉ), không điểm danh." in off


# ------------------------------------------------------------------------------------------ indicators


def test_pupils_per_school_are_whole_pupils(tmp_path, monkeypatch):
    rows = [
        {"level": "primary", "students": 1000, "ward_code": "A"},
        {"level": "primary", "students": 1373, "ward_code": "A"},
        {"level": "preschool", "students": 463, "ward_code": "B"},
        {"level": "preschool", "students": 464, "ward_code": "B"},
        {"level": "preschool", "students": 462, "ward_code": "B"},
    ]
    monkeypatch.setattr(kpis, "_rows", lambda db, context: rows)
    monkeypatch.setattr(kpis.city_service, "ward_codes_on", lambda on: ["A", "B"])
    now = datetime.now(UTC)
    context = KpiContext(
        settings=_settings(tmp_path), start=now - timedelta(days=1), end=now, on=date.today()
    )
    every = {i.code: i for i in kpis.INDICATORS}
    city, ward_a, ward_b = every["education.students_per_school"].compute(None, context)  # type: ignore[arg-type]
    assert city.value == 752.0 and city.numerator == 3762 and city.denominator == 5  # 752.4 before
    assert ward_a.value == 1186.0 and ward_b.value == 463.0  # 1.186,5 and 463 to the whole pupil
    (primary, *_) = every["education.students_per_school_primary"].compute(None, context)  # type: ignore[arg-type]
    assert primary.value == float(round(primary.value)) == 1186.0
