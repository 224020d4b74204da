"""The staff page's work list for education: a school's office sees its pupils owing fees past due and its
open stock-takes, its leaders every class not yet marked today, a homeroom teacher only her classes, the
department the city's pupils owing fees; each link opens for that person, and no school's work counts for
another's staff."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

from sqlalchemy import delete, select, update

from smartcity.accounts import service as accounts_service
from smartcity.city import service as city_service
from smartcity.core import clock
from smartcity.education import service
from smartcity.education.config import EducationSettings
from smartcity.education.models import (
    Attendance,
    Invoice,
    School,
    SchoolClass,
    SchoolYear,
    Staff,
    Stocktake,
)
from smartcity.education.schemas import AttendanceSheet
from tests.education.conftest import PASSWORD, SYSTEM
from tests.education.test_education_pages import SCHOOL, _sign_in

OTHER = "THCS-CHUVANAN"
ARREARS, UNMARKED, STOCKTAKES = "Học sinh nợ phí quá hạn", "Lớp chưa điểm danh hôm nay", "Đợt kiểm kê"
CITY_ARREARS = "Học sinh toàn thành phố nợ phí quá hạn"


def _school_day(db, settings, monkeypatch) -> date:  # type: ignore[no-untyped-def]
    """The latest working day of the school year up to today, made today for the test, its lessons begun
    (whatever the hour the test runs at)."""
    year = service.current_year(db, settings)
    calendar = city_service.working_calendar(db, settings=settings)
    day = min(clock.today(settings), year["ends_on"])
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    monkeypatch.setattr(clock, "today", lambda settings=None: day)
    begun = settings.section(EducationSettings).model_copy(update={"school_day_starts": time.min})
    settings.set_section(begun)
    return day


def _school_ids(db, *codes: str) -> list[int]:  # type: ignore[no-untyped-def]
    with db.session() as s:
        return list(s.scalars(select(School.id).where(School.code.in_(codes))))


def _work_waiting(db, settings, day: date, *codes: str) -> None:  # type: ignore[no-untyped-def]
    """At these schools: no class marked on `day`, an invoice past due, last year's stock-take open again."""
    ids = _school_ids(db, *codes)
    with db.session() as s, s.begin():
        classes = select(SchoolClass.id).where(SchoolClass.school_id.in_(ids))
        s.execute(delete(Attendance).where(Attendance.day == day, Attendance.class_id.in_(classes)))
        for school_id in ids:
            invoice = s.scalar(
                select(Invoice.id).where(Invoice.school_id == school_id, Invoice.status == "open").limit(1)
            )
            s.execute(update(Invoice).where(Invoice.id == invoice).values(due_on=day - timedelta(days=1)))
        s.execute(update(Stocktake).where(Stocktake.school_id.in_(ids)).values(status="open"))


def _work(client) -> str:  # type: ignore[no-untyped-def]
    return client.get("/can-bo").text.split('id="work"')[1].split("</section>")[0]


def _count(work: str, label: str) -> tuple[int, str] | None:
    """The count the work list shows for a label and the item's link (None when the item is not shown)."""
    found = re.search(rf'href="([^"]+)"><strong class="work-count">([\d.]+)</strong> {label}', work)
    return (int(found.group(2).replace(".", "")), found.group(1)) if found else None


def _arrears(db, settings, day: date, code: str) -> int:  # type: ignore[no-untyped-def]
    return len(service.arrears(db, actor=SYSTEM, settings=settings, school_code=code, on=day))


def test_the_principal_sees_her_schools_work_and_not_another_schools(demo, client, settings, monkeypatch):
    day = _school_day(demo, settings, monkeypatch)
    _work_waiting(demo, settings, day, SCHOOL, OTHER)
    _sign_in(client, "hieutruong.phuhoa1")
    work = _work(client)

    owing = _arrears(demo, settings, day, SCHOOL)
    assert owing >= 1 and _arrears(demo, settings, day, OTHER) >= 1
    assert _count(work, ARREARS) == (owing, "/can-bo/giao-duc/truong?muc=hoc-phi#no-qua-han")
    classes = len(service.list_classes(demo, actor=SYSTEM, school_code=SCHOOL))
    assert _count(work, UNMARKED) == (classes, "/can-bo/giao-duc/truong")
    assert _count(work, STOCKTAKES + " tài sản chưa khóa sổ") == (1, "/can-bo/giao-duc/truong?muc=tai-san")
    assert CITY_ARREARS not in work
    assert 'class="urgent"><a href="/can-bo/giao-duc/truong?muc=hoc-phi#no-qua-han"' in work

    fees = client.get("/can-bo/giao-duc/truong?muc=hoc-phi")
    assert fees.status_code == 200 and fees.url.path == f"/can-bo/giao-duc/truong/{SCHOOL}/hoc-phi"
    # the list the link's anchor names
    assert f'"no-qua-han">Danh sách nợ phí quá hạn <small class="muted">({owing})' in fees.text
    assets = client.get("/can-bo/giao-duc/truong?muc=tai-san")
    assert assets.status_code == 200 and assets.url.path == f"/can-bo/giao-duc/truong/{SCHOOL}/tai-san"
    assert "đang kiểm kê" in assets.text
    home = client.get("/can-bo/giao-duc/truong?muc=khac")  # an unknown page: the school's home
    assert home.status_code == 200 and home.url.path == f"/can-bo/giao-duc/truong/{SCHOOL}"


def _class_row(html: str, class_id: int) -> str:
    found = re.search(rf'<tr><td><a href="/can-bo/giao-duc/lop/{class_id}">.*?</tr>', html)
    assert found, f"class {class_id} is not on the school's page"
    return found.group(0)


def test_classes_are_listed_as_a_school_reads_them(demo):
    classes = service.list_classes(demo, actor=SYSTEM, school_code=SCHOOL)
    names = [c["name"] for c in classes if c["grade"] == 1]
    assert names.index("1A2") < names.index("1A10")  # not 1A1, 1A10, 1A11, 1A2


def test_a_teacher_sees_only_her_classes_not_yet_marked(demo, client, settings, monkeypatch):
    day = _school_day(demo, settings, monkeypatch)
    _work_waiting(demo, settings, day, SCHOOL, OTHER)
    teacher = accounts_service.get_user_by_username(demo, "giaovien.phuhoa1")
    year = service.current_year(demo, settings)["name"]
    with demo.session() as s:
        mine = list(
            s.scalars(
                select(SchoolClass.id)
                .join(Staff, Staff.id == SchoolClass.homeroom_teacher_id)
                .join(SchoolYear, SchoolYear.id == SchoolClass.year_id)
                .where(Staff.user_id == teacher.id, SchoolYear.name == year)
            )
        )
    assert len(mine) == 1
    _sign_in(client, "giaovien.phuhoa1")
    work = _work(client)
    assert _count(work, UNMARKED) == (1, "/can-bo/giao-duc/truong")  # not the school's other classes
    assert ARREARS not in work and STOCKTAKES not in work  # the office's work, not a teacher's
    home = client.get("/can-bo/giao-duc/truong")
    assert home.status_code == 200 and "Chưa điểm danh" in _class_row(home.text, mine[0])  # which one, said

    sheet = AttendanceSheet(day=day, marks=[])
    service.record_attendance(demo, actor=SYSTEM, settings=settings, class_id=mine[0], sheet=sheet)
    assert UNMARKED not in _work(client)
    assert "Đã điểm danh" in _class_row(client.get("/can-bo/giao-duc/truong").text, mine[0])
    principal = accounts_service.get_user_by_username(demo, "hieutruong.phuhoa1")
    as_principal = accounts_service.actor_for_user(demo, principal.id)
    classes = len(service.list_classes(demo, actor=SYSTEM, school_code=SCHOOL))
    assert service.count_unmarked_classes(demo, actor=as_principal, settings=settings) == classes - 1


def test_the_department_sees_the_citys_pupils_owing_fees(demo, client, settings, monkeypatch):
    day = _school_day(demo, settings, monkeypatch)
    _work_waiting(demo, settings, day, SCHOOL, OTHER)
    _sign_in(client, "giaoduc")
    work = _work(client)
    city = sum(_arrears(demo, settings, day, school["code"]) for school in service.list_schools(demo))
    assert city > _arrears(demo, settings, day, SCHOOL)
    assert _count(work, CITY_ARREARS) == (city, "/can-bo/giao-duc")
    assert not any(_count(work, label) for label in (ARREARS, UNMARKED, STOCKTAKES))
    assert client.get("/can-bo/giao-duc").status_code == 200


def test_nothing_is_waiting_on_a_day_off_or_for_staff_of_no_school(demo, settings):
    sunday = clock.today(settings) - timedelta(days=clock.today(settings).isoweekday() % 7)
    lead = accounts_service.get_user_by_username(demo, "hieutruong.phuhoa1")
    principal = accounts_service.actor_for_user(demo, lead.id)
    assert service.count_unmarked_classes(demo, actor=principal, settings=settings, on=sunday) == 0
    ward = accounts_service.actor_for_user(
        demo,
        accounts_service.create_user(
            demo, actor=SYSTEM, username="motcua.x", password=PASSWORD, roles=[("head", "UBND-25747-HCM")]
        ).id,
    )
    assert service.count_in_arrears(demo, actor=ward, settings=settings) == 0
    assert service.count_unmarked_classes(demo, actor=ward, settings=settings) == 0
    assert service.count_open_stocktakes(demo, actor=ward) == 0


def test_staff_of_several_schools_choose_the_school_and_land_on_the_page_asked_for(demo, client):
    units = [("clerk", service.school_org_unit(code)) for code in (SCHOOL, OTHER)]
    _sign_in(client, "ketoan.hai.truong", *units)
    listed = client.get("/can-bo/giao-duc/truong?muc=tai-san").text
    for code in (SCHOOL, OTHER):
        assert f'href="/can-bo/giao-duc/truong/{code}/tai-san"' in listed
    plain = client.get("/can-bo/giao-duc/truong?muc=../../x").text  # only the school's own pages
    assert f'href="/can-bo/giao-duc/truong/{SCHOOL}"' in plain and "../../x" not in plain
