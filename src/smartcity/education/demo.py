"""Demo data: the city's 57 public schools with this school year's classes, staff, a SAMPLE of student
records, fees billed since September, payments, attendance, assets with last year's stock-take, and
timetables; nothing dated after today (no register of today before its lessons begin).

Enrolment is whole: every class carries the count the school reports (about 65,000 pupils over the 57
schools, as in Thủ Dầu Một), but only `demo_students_per_class` student records are written per class
(one class, 3A2 of Tiểu học Phú Hòa 1, in full) so that the demo loads in seconds. Fee collection and
attendance rates are computed on those records and so stand for the schools' rates. Names, addresses,
counts and money are synthetic; see data/README.md for which school names are believed real.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from smartcity.accounts import service as accounts_service
from smartcity.city import service as city_service
from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.demo import (
    DEMO_CITIZEN,
    DemoPerson,
    demo_children,
    demo_password,
    id_number,
    person_name,
    school_year_start,
)
from smartcity.core.security import Actor
from smartcity.core.text import fold
from smartcity.core.uow import UnitOfWork
from smartcity.education.config import EducationSettings
from smartcity.education.demo_fees_assets import FeesAndAssets, _table
from smartcity.education.models import (
    Attendance,
    Enrolment,
    Guardian,
    School,
    SchoolClass,
    SchoolYear,
    Staff,
    Student,
    StudentExemption,
    Term,
    TimetableSlot,
)
from smartcity.education.service.attendance import school_day_started
from smartcity.education.service.common import LEVEL_GRADES, class_norm, id_hash, reference, seal
from smartcity.education.service.schools import (
    DEPARTMENT_UNIT,
    index_staff_names,
    school_org_unit,
    sealed_staff,
)
from smartcity.education.service.students import PRESCHOOL_GROUPS, student_code
from smartcity.education.service.timetable import mode_of

SEED = 57
EMAIL_DOMAIN = "edu.thudaumot.example"  # a reserved example domain: demo addresses reach nobody
SHOWCASE = {"preschool": "MN-HOAMAI", "primary": "TH-PHUHOA1", "lower_secondary": "THCS-CHUVANAN"}
FULL_CLASS = ("TH-PHUHOA1", "3A2")
# A class's size: drawn around the norm less this margin, with this spread (pupils), so that most classes
# keep to the charter's maximum and a realistic minority (about 7% city-wide) is over it.
CLASS_MARGIN = {"preschool": 4, "primary": 3, "lower_secondary": 4}
CLASS_SPREAD = 2.5


def children_classes(today: date) -> tuple[tuple[str, str, DemoPerson], ...]:
    """The demo citizen's children at school (core.demo): her son in 3A2 of Phú Hòa 1 (the class loaded in
    full), her daughter in Lá 1 of Hoa Mai; the baby is not at school yet."""
    son, daughter, _baby = demo_children(today)
    return (("TH-PHUHOA1", "3A2", son), ("MN-HOAMAI", "Lá 1", daughter))


DEMO_USERS = (
    ("giaoduc", "Phan Thị Ngọc Hà", "specialist", DEPARTMENT_UNIT),
    ("hieutruong.phuhoa1", "Trần Văn Bình", "head", school_org_unit("TH-PHUHOA1")),
    ("ketoan.phuhoa1", "Lê Thị Thu Trang", "clerk", school_org_unit("TH-PHUHOA1")),
    (
        "giaovien.phuhoa1",
        "Võ Thị Mỹ Dung",
        "specialist",
        school_org_unit("TH-PHUHOA1"),
    ),
)
SUBJECTS = {
    "preschool": ("Hoạt động học", "Làm quen chữ cái", "Âm nhạc", "Vận động", "Tạo hình"),
    "primary": (
        "Tiếng Việt",
        "Toán",
        "Tiếng Anh",
        "Tự nhiên và Xã hội",
        "Đạo đức",
        "Âm nhạc",
        "Giáo dục thể chất",
    ),
    "lower_secondary": (
        "Ngữ văn",
        "Toán",
        "Tiếng Anh",
        "Khoa học tự nhiên",
        "Lịch sử và Địa lý",
        "Tin học",
        "GDCD",
    ),
}


def _school_year(today: date) -> tuple[str, date, date, date]:
    """The school year containing today: (name, first day 5 September, second term, last day 31 May)."""
    first_day = school_year_start(today)
    first_year = first_day.year
    return (
        f"{first_year}-{first_year + 1}",
        first_day,
        date(first_year + 1, 1, 18),
        date(first_year + 1, 5, 31),
    )


def _slug(text: str) -> str:
    return "".join(c for c in fold(text) if c.isalnum() and c.isascii())


def staff_email(name: str, school_code: str, seen: set[str]) -> str:
    """A staff member's official address from their name ("binh.tv.thphuhoa1@…"), one not in `seen`."""
    words = name.split()
    parts = _slug(words[-1]) + "." + "".join(_slug(w)[0] for w in words[:-1])
    slug, n = _slug(school_code), 2
    email = f"{parts}.{slug}@{EMAIL_DOMAIN}"
    while email in seen:  # a namesake at the school: the next number
        email, n = f"{parts}{n}.{slug}@{EMAIL_DOMAIN}", n + 1
    seen.add(email)
    return email


def load_demo(db: Database, *, settings: Settings, actor: Actor) -> str:
    """Load the schools and their year once (idempotent); returns what was loaded."""
    with db.session() as s:
        if s.scalar(select(func.count()).select_from(School)):
            return "already loaded"
    today = clock.today(settings)
    rng = random.Random(SEED)
    accounts_service.upsert_org_units(
        db,
        actor=actor,
        units=[
            {
                "code": DEPARTMENT_UNIT,
                "name": "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh",
                "name_en": "Hồ Chí Minh City Department of Education and Training",
                "kind": "department",
                "valid_from": city_service.reorganisation_date().isoformat(),
            }
        ],
    )
    schools = _schools(db, actor, today)
    users = _users(db, settings, actor)
    per_class = settings.section(EducationSettings).demo_students_per_class
    school_day = city_service.working_calendar(db, settings=settings).is_working_day
    with UnitOfWork(db, actor) as uow:
        s = uow.session
        years = _years(s, today)
        builder = _Builder(s, settings, rng, today, years, schools, users, per_class)
        builder.register_days = attendance_days(
            today, school_day, since=years["current"].starts_on, today_started=school_day_started(settings)
        )
        summary = builder.run()
        uow.audit("education.demo.loaded", "education", "demo", after=summary)
    return ", ".join(f"{k}: {v:,}".replace(",", ".") for k, v in summary.items())


def attendance_days(
    today: date, school_day: Callable[[date], bool], *, since: date, today_started: bool, count: int = 10
) -> list[date]:
    """The days the demo's registers were taken: the last `count` school days (the city's working days, no
    weekend or holiday) of the year since `since`, newest first; today only once its lessons have begun."""
    days: list[date] = []
    day = today if today_started else today - timedelta(days=1)
    while len(days) < count and day >= since:
        if school_day(day):
            days.append(day)
        day -= timedelta(days=1)
    return days


def _schools(db: Database, actor: Actor, today: date) -> list[School]:
    """The 57 schools of the data file, their ward of record today and their org units."""
    data = reference("schools.json")["schools"]
    wards = {}
    for item in data:
        ward = city_service.ward_at(db, lon=item["lon"], lat=item["lat"], on=today)
        if ward is None:
            raise RuntimeError(f"{item['name']} is outside the city; fix data/schools.json")
        wards[item["code"]] = ward.code
    accounts_service.upsert_org_units(
        db,
        actor=actor,
        units=[
            {
                "code": school_org_unit(i["code"]),
                "name": i["name"],
                "kind": "school",
                "parent_code": DEPARTMENT_UNIT,
                "admin_unit_code": wards[i["code"]],
            }
            for i in data
        ],
    )
    with UnitOfWork(db, actor) as uow:
        rows = [
            School(
                code=i["code"],
                name=i["name"],
                level=i["level"],
                org_unit_code=school_org_unit(i["code"]),
                ward_code=wards[i["code"]],
                ward_on=today,
                address=i["address"],
                lon=i["lon"],
                lat=i["lat"],
                capacity=i["capacity"],
                phone=i["phone"],
                email=f"{i['code'].lower()}@{EMAIL_DOMAIN}",
                name_source=i["name_source"],
            )
            for i in data
        ]
        uow.session.add_all(rows)
        uow.session.flush()
        uow.audit("education.schools.loaded", "education", "schools", after={"schools": len(rows)})
        uow.session.expunge_all()
    return rows


def _users(db: Database, settings: Settings, actor: Actor) -> dict[str, int]:
    """The demo's department officer, school staff and the parent (the portal's demo citizen)."""
    ids = {}
    parent = (DEMO_CITIZEN.username, DEMO_CITIZEN.full_name, "citizen", None)
    for username, full_name, role, unit in (*DEMO_USERS, parent):
        user = accounts_service.get_user_by_username(db, username)
        if user is None:
            user = accounts_service.create_user(
                db,
                actor=actor,
                username=username,
                password=demo_password(settings),
                full_name=full_name,
                phone=DEMO_CITIZEN.phone if username == DEMO_CITIZEN.username else None,
                roles=[(role, unit)],
            )
        ids[username] = user.id
    return ids


def _years(s: Session, today: date) -> dict[str, SchoolYear]:
    """Last year and this year, with their terms."""
    name, first, second, last = _school_year(today)
    previous = (
        f"{first.year - 1}-{first.year}",
        date(first.year - 1, 9, 5),
        date(first.year, 1, 15),
        date(first.year, 5, 31),
    )
    years = {}
    for key, (year_name, start, term2, end) in (
        ("previous", previous),
        ("current", (name, first, second, last)),
    ):
        year = SchoolYear(name=year_name, starts_on=start, ends_on=end)
        s.add(year)
        s.flush()
        s.add_all(
            [
                Term(
                    year_id=year.id,
                    number=1,
                    name="Học kỳ I",
                    starts_on=start,
                    ends_on=term2 - timedelta(days=1),
                ),
                Term(year_id=year.id, number=2, name="Học kỳ II", starts_on=term2, ends_on=end),
            ]
        )
        years[key] = year
    return years


class _Builder(FeesAndAssets):
    """Writes one school year's worth of rows in bulk."""

    def __init__(
        self,
        s: Session,
        settings: Settings,
        rng: random.Random,
        today: date,
        years: dict[str, SchoolYear],
        schools: list[School],
        users: dict[str, int],
        per_class: int,
    ) -> None:
        self.s, self.settings, self.rng, self.today = s, settings, rng, today
        self.year = years["current"]
        self.schools = {sc.code: self.s.merge(sc) for sc in schools}
        self.users, self.per_class = users, per_class
        self.register_days: list[date] = []  # the days of the attendance written (`attendance_days`)
        self.summary: dict[str, int] = {}

    def run(self) -> dict[str, int]:
        """Every part, in order."""
        classes = self.classes()
        self.staff(classes)
        students = self.students(classes)
        self.attendance(students)
        self.fees(students)
        self.assets()
        self.timetables(classes)
        self.summary["schools"] = len(self.schools)
        return self.summary

    # -------------------------------------------------------------- classes and staff

    def classes(self) -> dict[str, list[SchoolClass]]:
        """Classes per grade sized from each school's capacity (its enrolment drawn first, so the city's
        total does not hang on the class sizes): most classes a few pupils under the norm, a minority above
        it (about one in fifteen city-wide, more in the crowded primary schools)."""
        out: dict[str, list[SchoolClass]] = {}
        total = 0
        targets = {
            code: school.capacity * self.rng.uniform(0.88, 1.04) for code, school in self.schools.items()
        }
        for code, school in self.schools.items():
            target = targets[code]
            grades = LEVEL_GRADES[school.level]
            rows = []
            for grade in grades:
                norm = class_norm(school.level, grade)
                mean = norm - CLASS_MARGIN[school.level]
                weight = 0.25 if (school.level == "preschool" and grade == 2) else 1.0
                share = target * weight / (len(grades) - (0.75 if school.level == "preschool" else 0))
                for index in range(max(1, round(share / mean))):
                    count = max(8, round(self.rng.gauss(mean, CLASS_SPREAD)))
                    rows.append(
                        SchoolClass(
                            school_id=school.id,
                            year_id=self.year.id,
                            grade=grade,
                            name=self._name(school.level, grade, index),
                            enrolled_count=count,
                        )
                    )
            self.s.add_all(rows)
            out[school.code] = rows
            total += sum(r.enrolled_count for r in rows)
        self.s.flush()
        self.summary["classes"] = sum(len(v) for v in out.values())
        self.summary["pupils"] = total
        return out

    @staticmethod
    def _name(level: str, grade: int, index: int) -> str:
        if level == "preschool":
            return f"{PRESCHOOL_GROUPS[grade]} {index + 1}"
        return f"{grade}A{index + 1}"

    def staff(self, classes: dict[str, list[SchoolClass]]) -> None:
        """Leaders, office and a homeroom teacher per class, with official e-mail addresses."""
        rows: list[dict[str, Any]] = []
        for code, school in self.schools.items():
            people = [
                ("principal", ""),
                ("vice_principal", ""),
                ("accountant", ""),
                ("clerk", ""),
                ("equipment", ""),
                ("nurse", ""),
            ]
            people += [("teacher", self.rng.choice(SUBJECTS[school.level])) for _ in classes[code]]
            for role, subject in people:
                sex = self.rng.choice("MFFF")
                name = person_name(self.rng, female=sex == "F")
                rows.append({"school_id": school.id, "full_name": name, "role": role, "subject": subject})
        demo = {
            "hieutruong.phuhoa1": "principal",
            "ketoan.phuhoa1": "accountant",
            "giaovien.phuhoa1": "teacher",
        }
        for username, role in demo.items():
            row = next(
                r
                for r in rows
                if r["school_id"] == self.schools["TH-PHUHOA1"].id
                and r["role"] == role
                and "user_id" not in r
            )
            row["user_id"] = self.users[username]
            row["full_name"] = next(u[1] for u in DEMO_USERS if u[0] == username)
        keys = self.settings.personal_keys
        names = [row.pop("full_name") for row in rows]
        schools, seen = {school.id: code for code, school in self.schools.items()}, set[str]()
        for row, name in zip(rows, names, strict=True):  # addresses from the names kept, demo users' too
            email = staff_email(name, schools[row["school_id"]], seen)
            row |= sealed_staff(keys, full_name=name, email=email)
        staff = list(self.s.scalars(insert(Staff).returning(Staff, sort_by_parameter_order=True), rows))
        index_staff_names(self.s, keys, [(p.id, name) for p, name in zip(staff, names, strict=True)])
        teachers: dict[int, list[Staff]] = defaultdict(list)
        for person in staff:
            if person.role == "teacher":
                teachers[person.school_id].append(person)
        for code, school_classes in classes.items():
            for cls, teacher in zip(school_classes, teachers[self.schools[code].id], strict=False):
                cls.homeroom_teacher_id = teacher.id
        self.summary["staff"] = len(staff)

    # -------------------------------------------------------------- students

    def students(self, classes: dict[str, list[SchoolClass]]) -> list[dict[str, Any]]:
        """A sample of student records per class (one class in full), enrolled since the first day."""
        people: list[tuple[SchoolClass, School, str, str, DemoPerson | None]] = []
        for code, school_classes in classes.items():
            school = self.schools[code]
            for cls in school_classes:
                full = (code, cls.name) == FULL_CLASS
                for _ in range(cls.enrolled_count if full else min(self.per_class, cls.enrolled_count)):
                    sex = self.rng.choice("MF")
                    people.append((cls, school, person_name(self.rng, female=sex == "F"), sex, None))
        for code, class_name, hers in children_classes(self.today):
            cls = next(c for c in classes[code] if c.name == class_name)
            people.append((cls, self.schools[code], hers.full_name, "F" if hers.female else "M", hers))
            cls.enrolled_count += 1
        rows: list[dict[str, Any]] = []
        meta: list[dict[str, Any]] = []
        for n, (cls, school, name, sex, child) in enumerate(people):
            if child is None:
                born = self._birth(school.level, cls.grade, sex)
                personal_id = id_number(born, female=sex == "F", serial=self.rng.randrange(10**6))
            else:  # the demo citizen's child: born as core.demo says, in the year their grade is for
                born, personal_id = child.birth, child.id_number
            rows.append(
                {
                    "code": f"tmp-{n}",
                    "school_id": school.id,
                    "name_enc": seal(self.settings, name),
                    "birth_date_enc": seal(self.settings, born.isoformat()),
                    "personal_id_enc": seal(self.settings, personal_id),
                    "personal_id_hash": id_hash(self.settings, personal_id),
                    "sex": sex,
                }
            )
            meta.append({"class": cls, "school": school, "name": name, "hers": child is not None})
        self._unique_ids(rows, kept=sum(1 for m in meta if m["hers"]))
        ids = list(self.s.scalars(insert(Student).returning(Student.id, sort_by_parameter_order=True), rows))
        for student_id, m in zip(ids, meta, strict=True):
            m["id"] = student_id
        self._codes(meta)
        self.s.execute(
            _table(Enrolment).insert(),
            [
                {
                    "student_id": m["id"],
                    "class_id": m["class"].id,
                    "year_id": self.year.id,
                    "starts_on": self.year.starts_on,
                }
                for m in meta
            ],
        )
        self._parents(meta)
        self._exemptions(meta)
        self.summary["student_records"] = len(meta)
        return meta

    def _codes(self, meta: list[dict[str, Any]]) -> None:
        """Each student's code from their id (as the service gives it)."""
        statement = update(Student).where(Student.id == bindparam("sid")).values(code=bindparam("new_code"))
        self.s.connection().execute(
            statement, [{"sid": m["id"], "new_code": student_code(m["id"])} for m in meta]
        )

    def _unique_ids(self, rows: list[dict[str, Any]], kept: int) -> None:
        """A random number drawn twice is drawn again; the last `kept` rows (the demo citizen's children,
        whose numbers are hers to declare) keep theirs."""
        mine = rows[len(rows) - kept :]
        seen: set[str] = {row["personal_id_hash"] for row in mine}
        for row in rows[: len(rows) - kept]:
            while row["personal_id_hash"] in seen:  # a random number drawn twice: draw another
                personal_id = f"0742{self.rng.randrange(10**8):08d}"
                row["personal_id_enc"] = seal(self.settings, personal_id)
                row["personal_id_hash"] = id_hash(self.settings, personal_id)
            seen.add(row["personal_id_hash"])

    def _birth(self, level: str, grade: int, sex: str) -> date:
        age = grade + (0 if level == "preschool" else 5)  # grade 1 in the calendar year a child turns 6
        year = self.year.starts_on.year - age
        return date(year, 1, 1) + timedelta(days=self.rng.randrange(365))

    def _parents(self, meta: list[dict[str, Any]]) -> None:
        rows = [
            {
                "student_id": m["id"],
                "user_id": self.users[DEMO_CITIZEN.username],
                "relation": "mother",
                "linked_by": "system:demo",
            }
            for m in meta
            if m["hers"]
        ]
        self.s.execute(insert(Guardian), rows)

    def _exemptions(self, meta: list[dict[str, Any]]) -> None:
        weights = (
            ("poor_household", 2),
            ("near_poor", 3),
            ("merit_family", 1),
            ("disabled", 1),
            ("labour_accident_parent", 1),
        )
        rows = []
        for m in meta:
            if self.rng.random() < 0.06:
                category = self.rng.choices([c for c, _ in weights], [w for _, w in weights])[0]
                rows.append(
                    {
                        "student_id": m["id"],
                        "year_id": self.year.id,
                        "category": category,
                        "evidence": "Giấy chứng nhận của UBND phường (bản sao)",
                        "granted_by": "system:demo",
                    }
                )
                m["categories"] = [category]
        if rows:
            self.s.execute(insert(StudentExemption), rows)

    # -------------------------------------------------------------- attendance

    def attendance(self, meta: list[dict[str, Any]]) -> None:
        """The registers of the last ten school days (`register_days`)."""
        days = self.register_days
        statuses, weights = ("present", "excused", "unexcused", "late"), (955, 28, 7, 10)
        rows = [
            {
                "student_id": m["id"],
                "class_id": m["class"].id,
                "day": d,
                "status": self.rng.choices(statuses, weights)[0],
            }
            for m in meta
            for d in days
        ]
        if rows:  # none on the school year's first morning
            self.s.execute(_table(Attendance).insert(), rows)
        self.summary["attendance_marks"] = len(rows)

    # -------------------------------------------------------------- timetables

    def timetables(self, classes: dict[str, list[SchoolClass]]) -> None:
        """Weekly timetables for one school of each level (some lessons online); the other schools report
        how each class is taught."""
        rows: list[dict[str, Any]] = []
        for level, code in SHOWCASE.items():
            subjects = SUBJECTS[level]
            for index, cls in enumerate(classes[code]):
                online_subject = "Tiếng Anh" if index % 6 == 1 and level != "preschool" else None
                for weekday in range(1, 6):
                    for period in range(1, 5):
                        subject = subjects[(weekday + period + index) % len(subjects)]
                        online = online_subject is not None and subject == online_subject
                        rows.append(
                            {
                                "class_id": cls.id,
                                "weekday": weekday,
                                "period": period,
                                "subject": subject,
                                "teacher_id": cls.homeroom_teacher_id,
                                "mode": "online" if online else "in_person",
                                "online_url": f"https://hoctructuyen.{EMAIL_DOMAIN}/{code.lower()}/{_slug(cls.name)}"
                                if online
                                else "",
                            }
                        )
                cls.teaching_mode = mode_of([r["mode"] for r in rows if r["class_id"] == cls.id])
        self.s.execute(insert(TimetableSlot), rows)
        for code, school_classes in classes.items():
            if code in SHOWCASE.values():
                continue
            for cls in school_classes:
                draw = self.rng.random()
                cls.teaching_mode = "online" if draw < 0.004 else "blended" if draw < 0.05 else "in_person"
        self.summary["timetable_lessons"] = len(rows)
