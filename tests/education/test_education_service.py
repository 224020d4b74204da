"""The education service beneath the pages: demo data, access to children's records, transfers,
attendance, promotion, depreciation, indicators, public datasets and the citizen's space."""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from smartcity.core import clock
from smartcity.core.errors import Forbidden, NotFound, ValidationFailed
from smartcity.core.kpis import KpiContext
from smartcity.core.security import Actor
from smartcity.core.text import fold
from smartcity.education import service
from smartcity.education.citizen_space import SECTIONS
from smartcity.education.datasets import DATASETS
from smartcity.education.kpis import INDICATORS
from smartcity.education.models import (
    Asset,
    Attendance,
    FeePayment,
    Invoice,
    School,
    SchoolClass,
    Student,
)
from smartcity.education.schemas import (
    AttendanceMark,
    AttendanceSheet,
    PromotionRun,
    SchoolYearCreate,
    TransferCreate,
)
from smartcity.education.service.schools import school_org_unit
from tests.education.conftest import SYSTEM


def _staff(code: str, role: str = "clerk") -> Actor:
    return Actor(
        kind="user", name=f"{role}-{code}", user_id=9_000, roles=frozenset({(role, school_org_unit(code))})
    )


def test_demo_is_whole_dated_up_to_today_and_idempotent(demo, settings):
    from smartcity.education.demo import load_demo

    today = clock.today(settings)
    with demo.session() as s:
        assert s.scalar(select(func.count()).select_from(School)) == 57
        assert 60_000 <= s.scalar(select(func.sum(SchoolClass.enrolled_count))) <= 70_000
        assert s.scalar(select(func.max(Attendance.day))) <= today
        assert s.scalar(select(func.max(Invoice.issued_on))) <= today
        assert s.scalar(select(func.max(Asset.acquired_on))) <= today
        assert s.scalar(select(func.max(FeePayment.paid_at))) <= datetime.now(UTC)
        names = {n for (n,) in s.execute(select(School.name))}
    assert {"Trường THCS Chu Văn An", "Trường Tiểu học Phú Hòa 1"} <= names
    started = time.monotonic()
    assert load_demo(demo, settings=settings, actor=SYSTEM) == "already loaded"
    assert time.monotonic() - started < 1


def test_most_demo_classes_keep_to_the_norm_and_a_minority_is_over_it(demo):
    from smartcity.education.service.common import class_norm

    with demo.session() as s:
        sizes = select(School.level, SchoolClass.grade, SchoolClass.enrolled_count).join(School)
        rows = s.execute(sizes).all()
    over = sum(1 for level, grade, count in rows if count > class_norm(level, grade))
    assert 0 < over < 0.15 * len(rows)
    showcase = service.list_classes(demo, actor=SYSTEM, school_code="TH-PHUHOA1")
    assert 0 < sum(1 for c in showcase if c["over_norm"]) < len(showcase) / 4


def test_every_staff_members_address_is_made_from_their_own_name(demo):
    """Given name, initials, school: Trần Văn Bình of TH-PHUHOA1 is binh.tv.thphuhoa1 (a namesake: tv2)."""
    checked = 0
    for school in service.list_schools(demo):
        school_slug = re.sub(r"[^a-z0-9]", "", fold(school["code"]))
        for person in service.list_staff(demo, actor=SYSTEM, school_code=school["code"]):
            words = [re.sub(r"[^a-z0-9]", "", fold(w)) for w in person["full_name"].split()]
            local = rf"{re.escape(words[-1])}\.{''.join(w[0] for w in words[:-1])}\d*\.{school_slug}"
            assert re.fullmatch(local, person["email"].split("@")[0]), (person["full_name"], person["email"])
            checked += 1
    assert checked > 57 * 6
    principal = service.list_staff(demo, actor=SYSTEM, school_code="TH-PHUHOA1", query="Trần Văn Bình")
    assert [p["email"].split("@")[0] for p in principal if p["role"] == "principal"] == ["binh.tv.thphuhoa1"]


def test_every_school_lies_in_a_ward_of_today_and_pages_name_it(demo):
    for school in service.list_schools(demo):
        assert school["ward_name"].startswith("Phường ")


def test_childrens_identifiers_are_sealed_and_found_by_keyed_hash(demo, settings):
    with demo.session() as s:
        student = s.scalar(select(Student).limit(1))
        assert student.personal_id_enc and student.personal_id_hash and "074" not in student.personal_id_enc
        school = s.get(School, student.school_id)
    record = service.get_student(demo, actor=_staff(school.code), settings=settings, code=student.code)
    found = service.find_by_personal_id(
        demo, actor=_staff(school.code), settings=settings, personal_id=record["personal_id"]
    )
    assert found["code"] == student.code
    other = next(s for s in service.list_schools(demo) if s["code"] != school.code)["code"]
    with pytest.raises(NotFound):  # another school's staff do not learn that the child exists
        service.get_student(demo, actor=_staff(other), settings=settings, code=student.code)
    department = Actor(
        kind="user", name="dept", user_id=9_001, roles=frozenset({("specialist", "SGDDT-HCM")})
    )
    with pytest.raises(NotFound):
        service.get_student(demo, actor=department, settings=settings, code=student.code)
    classes = service.list_classes(demo, actor=department, school_code=school.code)  # the school's overview
    with pytest.raises(Forbidden):  # but not its children
        service.class_students(demo, actor=department, settings=settings, class_id=classes[0]["id"])


def _class(db, code: str, grade: int) -> dict:
    return next(c for c in service.list_classes(db, actor=SYSTEM, school_code=code) if c["grade"] == grade)


def test_transfer_moves_the_student_and_the_counts(demo, settings):
    source, target = _class(demo, "TH-PHUHOA1", 3), _class(demo, "TH-PHULOI", 3)
    student = service.class_students(demo, actor=SYSTEM, settings=settings, class_id=source["id"])[0]
    service.transfer_student(
        demo,
        actor=_staff("TH-PHULOI"),
        settings=settings,
        code=student["code"],
        data=TransferCreate(
            to_school="TH-PHULOI",
            to_class_id=target["id"],
            on_date=clock.today(settings),
            reason="Chuyển nơi ở",
        ),
    )
    assert _class(demo, "TH-PHUHOA1", 3)["enrolled"] == source["enrolled"] - 1
    assert _class(demo, "TH-PHULOI", 3)["enrolled"] == target["enrolled"] + 1
    moved = service.get_student(demo, actor=_staff("TH-PHULOI"), settings=settings, code=student["code"])
    assert moved["school_code"] == "TH-PHULOI"
    with pytest.raises(ValidationFailed):  # a class of another grade is refused
        service.transfer_student(
            demo,
            actor=_staff("TH-PHULOI"),
            settings=settings,
            code=student["code"],
            data=TransferCreate(
                to_school="TH-PHUHOA1",
                to_class_id=_class(demo, "TH-PHUHOA1", 4)["id"],
                on_date=clock.today(settings),
            ),
        )


def test_attendance_marks_everyone_and_refuses_strangers_and_the_future(demo, settings):
    cls = _class(demo, "TH-PHUHOA1", 1)
    students = service.class_students(demo, actor=SYSTEM, settings=settings, class_id=cls["id"])
    day = clock.today(settings)
    while day.isoweekday() == 7:
        day -= timedelta(days=1)
    counts = service.record_attendance(
        demo,
        actor=_staff("TH-PHUHOA1", "specialist"),
        settings=settings,
        class_id=cls["id"],
        sheet=AttendanceSheet(
            day=day, marks=[AttendanceMark(student_id=students[0]["id"], status="excused")]
        ),
    )
    assert counts["excused"] == 1 and counts["present"] == len(students) - 1
    with pytest.raises(ValidationFailed):
        service.record_attendance(
            demo,
            actor=SYSTEM,
            settings=settings,
            class_id=cls["id"],
            sheet=AttendanceSheet(day=day, marks=[AttendanceMark(student_id=10**9, status="late")]),
        )
    with pytest.raises(ValidationFailed):
        service.record_attendance(
            demo,
            actor=SYSTEM,
            settings=settings,
            class_id=cls["id"],
            sheet=AttendanceSheet(day=day + timedelta(days=2)),
        )


def test_the_current_term_is_the_one_today_falls_in(demo, settings, monkeypatch):
    year = service.current_year(demo, settings)
    first, second = year["terms"]
    assert first["starts_on"] == year["starts_on"] and second["ends_on"] == year["ends_on"]
    for day, name, number in (
        (first["starts_on"] + timedelta(days=90), "Học kỳ I", 1),  # early December
        (second["starts_on"], "Học kỳ II", 2),
    ):
        monkeypatch.setattr(clock, "today", lambda settings=None, day=day: day)
        now = service.current_year(demo, settings)
        assert (now["name"], now["term"], now["term_number"]) == (year["name"], name, number)


def test_promotion_moves_up_a_grade_and_the_last_grade_completes(demo, settings):
    year = service.current_year(demo, settings)
    start = year["starts_on"]
    following = f"{start.year + 1}-{start.year + 2}"
    service.ensure_year(
        demo,
        actor=SYSTEM,
        data=SchoolYearCreate(
            name=following,
            starts_on=date(start.year + 1, 9, 5),
            ends_on=date(start.year + 2, 5, 31),
            second_term_starts_on=date(start.year + 2, 1, 18),
        ),
    )
    held = service.class_students(
        demo, actor=SYSTEM, settings=settings, class_id=_class(demo, "THCS-CHUVANAN", 6)["id"]
    )[0]["id"]
    result = service.promote(
        demo,
        actor=_staff("THCS-CHUVANAN", "head"),
        school_code="THCS-CHUVANAN",
        data=PromotionRun(from_year=year["name"], to_year=following, held_back=[held]),
    )
    assert result["repeated"] == 1 and result["graduated"] >= 1 and result["promoted"] > 10
    nxt = service.list_classes(demo, actor=SYSTEM, school_code="THCS-CHUVANAN", year=following)
    assert {c["grade"] for c in nxt} == {6, 7, 8, 9} and service.next_class_name(
        "lower_secondary", 6, "6A3"
    ) == "7A3"
    assert service.next_class_name("preschool", 3, "Mầm 2") == "Chồi 2"
    assert (
        service.promote(
            demo,
            actor=SYSTEM,
            school_code="THCS-CHUVANAN",
            data=PromotionRun(from_year=year["name"], to_year=following),
        )
        == {}
    )


def test_straight_line_depreciation_by_months_and_tools_not_depreciated():
    computer = Asset(
        unit_value_vnd=15_000_000, quantity=2, depreciation_class="computer", acquired_on=date(2024, 1, 10)
    )
    value = service.depreciation(computer, date(2026, 12, 31))  # 36 months at 20 % a year: 60 %
    assert value == {
        "original": 30_000_000,
        "accumulated": 18_000_000,
        "remaining": 12_000_000,
        "yearly": 6_000_000,
    }
    assert service.depreciation(computer, date(2030, 1, 1))["remaining"] == 0
    chair = Asset(
        unit_value_vnd=1_900_000, quantity=20, depreciation_class="furniture", acquired_on=date(2020, 1, 1)
    )
    assert service.depreciation(chair, date(2026, 1, 1))["accumulated"] == 0


def test_primary_tuition_is_free_and_categories_reduce_with_their_basis():
    lines = service.invoice_lines(
        year="2024-2025",
        level="lower_secondary",
        month=10,
        categories=["labour_accident_parent"],
        insurance_month=10,
    )
    tuition = next(line for line in lines if line["fee"] == "tuition")
    assert tuition["amount"] == 300_000 and tuition["reduction"] == 150_000
    primary = service.invoice_lines(
        year="2026-2027", level="primary", month=10, categories=["poor_household"], insurance_month=10
    )
    by_fee = {line["fee"]: line for line in primary}
    assert by_fee["tuition"]["amount"] == 0 and by_fee["health_insurance"]["net"] == 0
    assert "health_insurance" not in {
        line["fee"]
        for line in service.invoice_lines(
            year="2026-2027", level="primary", month=11, categories=[], insurance_month=10
        )
    }
    assert all(rule["legal_basis"] for c in service.categories() for rule in c["rules"])


def test_indicators_compute_for_the_city_and_its_wards(demo, settings):
    now = datetime.now(UTC)
    context = KpiContext(settings=settings, start=now - timedelta(days=30), end=now, on=clock.today(settings))
    values = {i.code: i.compute(demo, context) for i in INDICATORS}
    assert 60_000 <= values["education.students"][0].value <= 70_000
    assert len(values["education.students"]) == 6  # the city and its five wards
    assert 0 < values["education.classes_within_norm"][0].value < 100
    assert 90 < values["education.attendance_rate"][0].value <= 100
    assert 80 < values["education.fee_collection_rate"][0].value < 100
    assert values["education.learning_devices_per_1000"][0].value > 10
    assert (
        values["education.students_per_school_primary"][0].value
        > values["education.students_per_school_preschool"][0].value
    )


def test_the_indicators_of_one_pass_read_the_schools_table_once_per_day(demo, settings, monkeypatch):
    now = datetime.now(UTC)
    today = clock.today(settings)
    alone = {
        i.code: i.compute(
            demo, KpiContext(settings=settings, start=now - timedelta(days=1), end=now, on=today)
        )
        for i in INDICATORS
    }
    reads: list[date] = []
    real = service.school_figures
    monkeypatch.setattr(
        service, "school_figures", lambda db, s, *, on: reads.append(on) or real(db, s, on=on)
    )
    shared: dict = {}
    yesterday = today - timedelta(days=1)
    for on in (today, yesterday):
        context = KpiContext(settings=settings, start=now - timedelta(days=1), end=now, on=on, shared=shared)
        together = {i.code: i.compute(demo, context) for i in INDICATORS}
        if on == today:
            assert together == alone  # sharing the table changes no value
    assert reads == [today, yesterday]


def test_datasets_are_aggregates_without_children(demo, settings):
    for dataset in DATASETS:
        rows = list(dataset.rows(demo, settings))
        assert rows, dataset.name
        assert {c.name for c in dataset.columns} >= set(rows[0]) - {"lon", "lat"}
        text = str(rows)
        assert "HS0" not in text and "personal" not in text
    schools = next(d for d in DATASETS if d.name == "education-schools")
    assert len(schools.features(demo, settings)["features"]) == 57


def test_the_parent_sees_their_children_in_the_citizen_space(demo, settings):
    from smartcity.accounts import service as accounts_service

    parent = accounts_service.get_user_by_username(demo, "congdan")
    actor = Actor(kind="user", name="congdan", user_id=parent.id, roles=frozenset({("citizen", None)}))
    section = SECTIONS[0](demo, actor, settings, "vi")
    assert section is not None and len(section.items) == 2 and section.items[0].url.startswith("/con-toi/HS")
    assert section.title == "Con tôi ở trường" and " — lớp " in section.items[0].title
    children = service.children_of(demo, actor=actor, settings=settings)
    for item, child in zip(section.items, children, strict=True):  # led by the child's name, not a code
        assert item.title.startswith(child["full_name"] + " — ") and not item.code and item.when is None
        assert item.status.startswith(("Còn phải nộp", "Không còn khoản nào phải nộp"))
    english = SECTIONS[0](demo, actor, settings, "en")
    assert english is not None and english.title == "My children at school"
    assert " — class " in english.items[0].title
    assert english.more_label == "School fees, attendance, timetable"
    stranger = Actor(kind="user", name="x", user_id=10**6, roles=frozenset())
    assert SECTIONS[0](demo, stranger, settings, "vi") is None


def test_the_parents_children_at_school_are_the_declared_family(demo, settings):
    """Her son and daughter at school are core.demo's (the health record's): names, birth dates and ID
    numbers; Nguyễn, their father's name; born apart, before today, in the years their classes are for."""
    from smartcity.accounts import service as accounts_service
    from smartcity.core.demo import DEMO_CITIZEN, demo_children, school_year_start

    parent = accounts_service.get_user_by_username(demo, DEMO_CITIZEN.username)
    assert parent is not None and parent.full_name == "Đỗ Thị Lan"
    actor = Actor(kind="user", name="congdan", user_id=parent.id, roles=frozenset({("citizen", None)}))
    mine = service.children_of(demo, actor=actor, settings=settings)
    today = clock.today(settings)
    son, daughter, _baby = demo_children(today)
    assert [(c["full_name"], c["birth_date"], c["class_name"], c["school_code"]) for c in mine] == [
        ("Nguyễn Minh Khang", son.birth, "3A2", "TH-PHUHOA1"),
        ("Nguyễn Ngọc Bảo Vy", daughter.birth, "Lá 1", "MN-HOAMAI"),
    ]
    first = school_year_start(today).year
    assert son.birth.year == first - 8 and daughter.birth.year == first - 5  # class 3; Lá, the 5-year-olds
    assert daughter.birth - son.birth >= timedelta(days=270) and daughter.birth <= today
    for child, declared in zip(mine, (son, daughter), strict=True):
        record = service.get_student(demo, actor=SYSTEM, settings=settings, code=child["code"])
        assert record["personal_id"] == declared.id_number and record["full_name"].startswith("Nguyễn ")


def test_command_line_lists_schools_and_bills_a_month(demo, settings, monkeypatch):
    from typer.testing import CliRunner

    from smartcity.core import commands
    from smartcity.education import cli

    monkeypatch.setattr(commands, "open_database", lambda: demo)
    monkeypatch.setattr(demo, "dispose", lambda: None)
    runner = CliRunner()
    listed = runner.invoke(cli.app, ["schools"])
    assert listed.exit_code == 0 and "57 trường" in listed.output
    month = clock.today(settings).strftime("%Y-%m")
    billed = runner.invoke(cli.app, ["bill", month, "--school", "TH-PHUHOA1"])
    assert billed.exit_code == 0 and "0 hóa đơn" in billed.output  # the demo billed this month already
