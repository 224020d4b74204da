"""Personal data at rest: a known applicant, reporter and staff member (a user account and a school's staff
record) are nowhere in clear — not in the database file (every row, on PostgreSQL), not in a backup, not in
the audit log — while the lookups by phone, ID number, name and part of a name still work; `keys rotate`
re-encrypts everything under a new key without losing a value."""

from __future__ import annotations

import json
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from smartcity.accounts import service as accounts
from smartcity.core import clock
from smartcity.core.backup import backup
from smartcity.core.clock import now
from smartcity.core.config import Settings
from smartcity.core.crypto import KeyRing, decrypt_personal, key_id_of
from smartcity.core.db import Base, Database
from smartcity.core.keys import key_usage, retire, rotate
from smartcity.core.security import Actor
from smartcity.dossiers import service as dossiers
from smartcity.dossiers.models import Dossier
from smartcity.dossiers.schemas import DossierCreate
from smartcity.education import service as education
from smartcity.education.schemas import SchoolCreate, SchoolYearCreate, StaffCreate
from smartcity.feedback import service as feedback
from smartcity.feedback.schemas import ReportCreate
from smartcity.procedures import service as procedures
from smartcity.procedures.catalogue import build_catalogue
from tests.dossiers.dossier_fixtures import HOUSE, house_form, house_uploads

SYSTEM = Actor.system("personal-data-test")
NAME = "Trịnh Thị Bích Ngọc"
PHONE = "0987654321"
EMAIL = "bichngoc.trinh@example.vn"
ID_NUMBER = "074195012345"
ADDRESS = "27 Đường Yersin, Phú Cường"
PHU_CUONG = (106.6519, 10.9805)
STAFF_NAME = "Võ Thị Thanh Tuyền"  # a user account and a school's staff record
STAFF_EMAIL = "thanhtuyen.vo@example.vn"
STAFF_USER = "tuyen.vt"
STAFF_PASSWORD = "a long staff passphrase 2026"
SCHOOL = "TH-ATREST"


def _needles() -> dict[str, list[bytes]]:
    """Each known value in the byte forms it could be stored as (UTF-8, and JSON's \\u escapes)."""
    forms: dict[str, list[bytes]] = {}
    for label, value in {
        "name": NAME,
        "phone": PHONE,
        "email": EMAIL,
        "id": ID_NUMBER,
        "address": ADDRESS,
        "staff name": STAFF_NAME,
        "staff email": STAFF_EMAIL,
    }.items():
        forms[label] = [value.encode(), json.dumps(value).strip('"').encode()]
    forms["phone"].append(b"0987 654 321")
    return forms


def _found_in(data: bytes) -> list[str]:
    return sorted({label for label, forms in _needles().items() for form in forms if form in data})


def _every_row_as_text(db: Database) -> bytes:
    """Every value of every table as text, as a reader with database access sees it."""
    parts = []
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                parts.append(repr(tuple(row)).encode())
    return b"\n".join(parts)


def _raw_database_bytes(db: Database) -> bytes:
    """The SQLite file and its write-ahead log, byte for byte."""
    path = Path(make_url(db.url).database or "")
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def _backup_bytes(db: Database, folder: Path) -> bytes:
    """Every file of the backup; a PostgreSQL dump (compressed) is first turned back into its SQL text."""
    data = b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
    dump = folder / "database.pgdump"
    if dump.exists():
        data += subprocess.run(
            ["pg_restore", "--file=-", str(dump)],
            check=True,
            capture_output=True,
        ).stdout
    return data


@pytest.fixture
def filled(db: Database, settings: Settings) -> tuple[str, str]:
    """The city, a dossier of the known applicant and a report of the known reporter: (dossier, report)."""
    from smartcity.city.loader import load_city_pack

    load_city_pack(db, pack="thu-dau-mot", actor=SYSTEM)
    procedures.upsert_procedures(db, actor=SYSTEM, records=build_catalogue()[:6])
    applicant = {"name": NAME, "id_number": ID_NUMBER, "phone": PHONE, "email": EMAIL, "address": ADDRESS}
    detail, _ = dossiers.submit_dossier(
        db,
        actor=SYSTEM,
        settings=settings,
        data=DossierCreate(procedure_code=HOUSE, form=house_form(), applicant=applicant),
        uploads=house_uploads(),
        channel="counter",
        now=now() - timedelta(days=1),
    )
    report = feedback.submit_report(
        db,
        actor=SYSTEM,
        secret=settings.personal_keys,
        data=ReportCreate(
            category_code="ha-tang",
            description="Ổ gà lớn giữa đường, xe máy dễ té.",
            lon=PHU_CUONG[0],
            lat=PHU_CUONG[1],
            address="Đường Bạch Đằng",
            reporter_name=NAME,
            reporter_phone=PHONE,
            reporter_email=EMAIL,
        ),
    ).report
    _add_staff_member(db, settings)
    return detail.code, report.code


def _add_staff_member(db: Database, settings: Settings) -> None:
    """The known staff member: a user account (clerk of a school) and the school's staff record."""
    education.upsert_school(
        db,
        actor=SYSTEM,
        settings=settings,
        data=SchoolCreate(
            code=SCHOOL, name="Trường Tiểu học Kiểm Thử", level="primary", lon=PHU_CUONG[0], lat=PHU_CUONG[1]
        ),
    )
    today = clock.today(settings)
    first = today.year if today.month >= 8 else today.year - 1  # the school year of today
    education.ensure_year(
        db,
        actor=SYSTEM,
        data=SchoolYearCreate(
            name=f"{first}-{first + 1}",
            starts_on=date(first, 8, 15),
            second_term_starts_on=date(first + 1, 1, 15),
            ends_on=date(first + 1, 8, 14),
        ),
    )
    unit = education.school_org_unit(SCHOOL)
    accounts.create_user(
        db,
        actor=SYSTEM,
        username=STAFF_USER,
        password=STAFF_PASSWORD,
        full_name=STAFF_NAME,
        email=STAFF_EMAIL,
        roles=[("clerk", unit)],
    )
    for name, email, username in (
        (STAFF_NAME, STAFF_EMAIL, STAFF_USER),
        ("Võ Văn Thành", "thanh.vv@example.vn", None),
    ):
        education.add_staff(
            db,
            actor=SYSTEM,
            school_code=SCHOOL,
            data=StaffCreate(full_name=name, role="clerk", email=email, username=username),
        )


def _staff_searches_work(db: Database) -> None:
    """Staff are found by the beginnings of the words of their name, and the accounts by whole address."""
    for query in ("vo thi", "VÕ TH TUY", "tuyen"):
        assert [u.username for u in accounts.list_users(db, query=query).items] == [STAFF_USER]
        staff = education.list_staff(db, actor=SYSTEM, school_code=SCHOOL, query=query)
        assert [(p["full_name"], p["email"]) for p in staff] == [(STAFF_NAME, STAFF_EMAIL)]
    both = education.list_staff(db, actor=SYSTEM, school_code=SCHOOL, query="vo th")
    assert [p["full_name"] for p in both] == ["Võ Văn Thành", STAFF_NAME]  # by given name: Thành, Tuyền
    assert [u.username for u in accounts.list_users(db, query=STAFF_EMAIL.upper()).items] == [STAFF_USER]
    assert accounts.get_user_by_username(db, STAFF_USER).email == STAFF_EMAIL  # type: ignore[union-attr]


def _lookups_work(db: Database, settings: Settings, dossier_code: str, report_code: str) -> None:
    keys = settings.personal_keys
    for factor in (PHONE, ID_NUMBER):
        assert (
            dossiers.lookup(db, settings=settings, code=dossier_code, second_factor=factor).code
            == dossier_code
        )
    staff_search = dossiers.list_dossiers(db, actor=SYSTEM, settings=settings, q=NAME.upper())
    assert [d.code for d in staff_search.items] == [dossier_code]
    detail = dossiers.get_dossier(db, actor=SYSTEM, settings=settings, code=dossier_code)
    assert detail.applicant_name == NAME and detail.applicant_id_masked == "*********345"
    by_phone = feedback.reports_by_phone(db, actor=SYSTEM, phone="+84 987 654 321", secret=keys)
    assert [r.code for r in by_phone] == [report_code]
    contact = feedback.read_contact(db, actor=SYSTEM, code=report_code, secret=keys)
    assert (contact.name, contact.phone, contact.email) == (NAME, PHONE, EMAIL)
    with db.session() as s:
        row = s.scalar(select(Dossier).where(Dossier.code == dossier_code))
        assert row is not None and row.applicant_email(keys) == EMAIL
        assert decrypt_personal(keys, row.applicant_address_encrypted or "") == ADDRESS
    _staff_searches_work(db)


def test_known_personal_data_is_in_clear_neither_in_the_database_nor_in_a_backup(
    db, settings, filled, tmp_path
):
    dossier_code, report_code = filled
    assert _found_in(_every_row_as_text(db)) == []
    if db.is_sqlite:
        raw = _raw_database_bytes(db)
        assert len(raw) > 100_000 and _found_in(raw) == []
    target = tmp_path / "backup"
    backup(db, settings, target)
    copied = _backup_bytes(db, target)
    assert len(copied) > 10_000 and _found_in(copied) == []
    _lookups_work(db, settings, dossier_code, report_code)


def test_the_check_would_see_a_value_in_clear(db, settings, filled, tmp_path):
    """The search above is not blind: a clear value written into a row is found in the file and the backup."""
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE feedback_reports SET address = :a"), {"a": ADDRESS})
    assert _found_in(_every_row_as_text(db)) == ["address"]
    if db.is_sqlite:
        assert "address" in _found_in(_raw_database_bytes(db))
    backup(db, settings, tmp_path / "backup")
    assert _found_in(_backup_bytes(db, tmp_path / "backup")) == ["address"]


def test_rotation_re_encrypts_every_value_and_the_old_key_can_then_be_retired(db, settings, filled):
    dossier_code, report_code = filled
    before = key_usage(db, settings.personal_keys)
    assert before["v1"] >= 9 and before["other"] == 0

    report = rotate(db, settings)
    assert report.primary == "k2" and report.reencrypted == before["v1"] and report.remaining == 0
    ring = settings.personal_keys
    assert ring.primary == "k2" and set(ring.keys) == {"k2"}
    assert key_usage(db, ring) == {"v1": 0, "k2": before["v1"], "other": 0}
    _lookups_work(db, settings, dossier_code, report_code)  # blind indexes are unchanged
    with db.session() as s:
        row = s.scalar(select(Dossier).where(Dossier.code == dossier_code))
        assert row is not None and key_id_of(row.applicant_name_encrypted) == "k2"
        with pytest.raises(ValueError, match="unknown personal-data key"):
            row.applicant_name(KeyRing(settings.resolved_secret_key))  # the old ring alone cannot read it

    assert retire(db, settings) == ["v1"]
    assert settings.personal_keys.retired == {"v1"}
    _lookups_work(db, settings, dossier_code, report_code)
    second = rotate(db, settings)
    assert second.primary == "k3" and second.reencrypted == before["v1"] and second.remaining == 0
    _lookups_work(db, settings, dossier_code, report_code)


def test_values_written_under_the_old_key_during_a_rotation_stay_readable(db, settings, filled):
    """A process that sealed a value with the old key (before it saw the new ring) loses nothing: the value
    is readable, and `retire` re-encrypts it before dropping the old key."""
    dossier_code, report_code = filled
    rotate(db, settings)
    late = KeyRing(settings.resolved_secret_key)  # what a process still holding the old ring seals with
    from smartcity.core.crypto import encrypt_personal

    with db.session() as s, s.begin():
        row = s.scalar(select(Dossier).where(Dossier.code == dossier_code))
        assert row is not None
        row.applicant_name_encrypted = encrypt_personal(late, NAME)
    assert key_usage(db, settings.personal_keys)["v1"] == 1
    _lookups_work(db, settings, dossier_code, report_code)
    assert retire(db, settings) == ["v1"]
    assert key_usage(db, settings.personal_keys)["v1"] == 0
    _lookups_work(db, settings, dossier_code, report_code)


def test_migration_0021_encrypts_the_applicants_already_stored_and_loses_nothing(tmp_path):
    """A database with dossiers of clear applicants (schema 0020) is encrypted in place by 0021; the
    downgrade gives the same clear values back."""
    from sqlalchemy import inspect

    from smartcity.core.migrate import upgrade

    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    settings = Settings(
        data_dir=tmp_path / "var", database_url=db.url, secret_key="migration-test", log_json=False
    )
    db.bind_settings(settings)
    upgrade(db, "0020")
    columns = {c["name"]: c for c in inspect(db.engine).get_columns("dossiers")}
    filler = {
        "INTEGER": 1,
        "BOOLEAN": False,
        "DATE": "2026-01-02",
        "DATETIME": "2026-01-02 03:04:05",
        "JSON": "[]",
    }
    row = {
        name: filler.get(str(c["type"]).split("(")[0], "x")
        for name, c in columns.items()
        if not c["nullable"] and name != "id"
    }
    clear = [
        {
            **row,
            "code": f"D-{n}",
            "applicant_name": f"{NAME} {n}",
            "applicant_email": EMAIL,
            "applicant_address": None,
        }
        for n in range(3)
    ]
    with db.engine.begin() as conn:
        names = ", ".join(clear[0])
        conn.execute(
            text(f"INSERT INTO dossiers ({names}) VALUES ({', '.join(':' + k for k in clear[0])})"), clear
        )
    upgrade(db, "0021")
    assert _found_in(_raw_database_bytes(db)) == []
    keys = settings.personal_keys
    with db.session() as s:
        rows = list(s.scalars(select(Dossier).order_by(Dossier.code)))
    assert [(r.applicant_name(keys), r.applicant_email(keys)) for r in rows] == [
        (f"{NAME} {n}", EMAIL) for n in range(3)
    ]
    assert rows[0].applicant_address_encrypted is None
    found = dossiers.list_dossiers(db, actor=SYSTEM, settings=settings, q=f"{NAME} 1")
    assert [d.code for d in found.items] == ["D-1"]

    from alembic import command

    from smartcity.core.migrate import alembic_config

    with db.engine.begin() as connection:
        config = alembic_config(db.url)
        config.attributes.update(connection=connection, settings=settings)
        command.downgrade(config, "0020")
    with db.engine.connect() as conn:
        back = conn.execute(text("SELECT applicant_name, applicant_email FROM dossiers ORDER BY code")).all()
    assert [tuple(r) for r in back] == [(f"{NAME} {n}", EMAIL) for n in range(3)]
    db.dispose()


def test_the_keys_commands_rotate_and_retire_through_the_cli(db, settings, filled, tmp_path):
    """`smartcity keys status|rotate|retire` on the same database and data directory as the settings."""
    from typer.testing import CliRunner

    from smartcity.cli import app
    from smartcity.core.config import get_settings

    env = {
        "SMARTCITY_DATABASE_URL": db.url,
        "SMARTCITY_SECRET_KEY": settings.resolved_secret_key,
        "SMARTCITY_DATA_DIR": str(settings.data_dir),
        "SMARTCITY_LOG_JSON": "false",
    }

    def run(*args: str) -> str:
        get_settings.cache_clear()
        result = CliRunner().invoke(app, ["keys", *args], env=env)
        get_settings.cache_clear()
        assert result.exit_code == 0, result.output
        return " ".join(result.output.split())

    sealed = key_usage(db, settings.personal_keys)["v1"]
    assert f"v1 (primary): {sealed}" in run("status")
    assert f"Primary key k2: {sealed} values re-encrypted, 0 left under old keys" in run("rotate")
    assert "Retired keys: v1" in run("retire")
    assert f"k2 (primary): {sealed}" in run("status")
    dossier_code, report_code = filled
    _lookups_work(db, settings, dossier_code, report_code)  # the running platform reads the new ring


def test_staff_are_found_by_part_of_their_name_through_the_api_and_the_page(db, settings, client):
    from smartcity.city.loader import load_city_pack

    load_city_pack(db, pack="thu-dau-mot", actor=SYSTEM)
    _add_staff_member(db, settings)
    accounts.create_user(
        db, actor=SYSTEM, username="qt.timkiem", password=STAFF_PASSWORD, roles=[("admin", None)]
    )

    def bearer(username: str) -> dict[str, str]:
        token = accounts.login_for_token(
            db, settings=settings, username=username, password=STAFF_PASSWORD, client_ip="10.8.8.8"
        ).access_token
        return {"Authorization": f"Bearer {token}"}

    users = client.get("/api/v1/accounts/users", params={"q": "vo thi th"}, headers=bearer("qt.timkiem"))
    assert users.status_code == 200, users.text
    assert [(u["username"], u["full_name"], u["email"]) for u in users.json()["items"]] == [
        (STAFF_USER, STAFF_NAME, STAFF_EMAIL)
    ]
    staff = client.get(
        f"/api/v1/education/schools/{SCHOOL}/staff", params={"q": "TUYÊ"}, headers=bearer(STAFF_USER)
    )
    assert staff.status_code == 200, staff.text
    assert [(p["full_name"], p["email"]) for p in staff.json()] == [(STAFF_NAME, STAFF_EMAIL)]

    login = client.get("/login").text
    csrf = login.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/login", data={"username": STAFF_USER, "password": STAFF_PASSWORD, "csrf_token": csrf})
    everyone = client.get(f"/can-bo/giao-duc/truong/{SCHOOL}")
    assert everyone.status_code == 200 and STAFF_NAME in everyone.text and "Võ Văn Thành" in everyone.text
    found = client.get(f"/can-bo/giao-duc/truong/{SCHOOL}", params={"q": "vo thi thanh"}).text
    assert STAFF_NAME in found and STAFF_EMAIL in found and "Võ Văn Thành" not in found
    assert 'value="vo thi thanh"' in found
    nobody = client.get(f"/can-bo/giao-duc/truong/{SCHOOL}", params={"q": "nguyen"}).text
    content = nobody.split("<main>", 1)[1]  # the header names the signed-in person, who is on this staff
    assert "Không có cán bộ nào có tên như vậy." in content and STAFF_NAME not in content


def _filled_row(table: sa.Table, values: dict[str, Any]) -> dict[str, Any]:
    """`values`, and a plain value for every other required column without a default."""
    fillers = {
        int: 1,
        bool: False,
        float: 1.0,
        date: date(2026, 1, 2),
        datetime: datetime(2026, 1, 2, 3, 4, 5),
    }
    row = dict(values)
    for column in table.columns:
        if column.name in row or column.nullable or column.primary_key or column.server_default is not None:
            continue
        try:
            kind = column.type.python_type
        except NotImplementedError:
            kind = str
        row[column.name] = {dict: {}, list: []}.get(kind, fillers.get(kind, "x"))
    return row


def _insert_clear_people(db: Database) -> dict[str, int]:
    """At schema 0022: three users and three school staff members in clear, a class whose homeroom teacher is
    one of them (the staff table is rebuilt on SQLite: the reference must survive). Returns the ids."""
    with db.engine.begin() as conn:
        meta = sa.MetaData()
        table = {
            n: sa.Table(n, meta, autoload_with=conn)
            for n in (
                "users",
                "education_schools",
                "education_school_years",
                "education_staff",
                "education_classes",
            )
        }

        def insert(table_name: str, /, **values: Any) -> int:
            row = _filled_row(table[table_name], values)
            return int(conn.execute(table[table_name].insert().values(row)).inserted_primary_key[0])

        users = [
            insert("users", username=f"u{n}", full_name=f"{STAFF_NAME} {n}", email=f"{n}.{STAFF_EMAIL}")
            for n in range(3)
        ]
        insert("users", username="nameless", full_name="", email=None)
        school = insert("education_schools", code="TH-MIG", org_unit_code="TRUONG-TH-MIG")
        year = insert("education_school_years", name="2026-2027")
        staff = [
            insert(
                "education_staff",
                school_id=school,
                full_name=f"{STAFF_NAME} {n}",
                email=f"{n}.{STAFF_EMAIL}",
                role="teacher",
                active=True,
            )
            for n in range(3)
        ]
        klass = insert(
            "education_classes", school_id=school, year_id=year, name="1A1", homeroom_teacher_id=staff[1]
        )
    return {"user": users[1], "staff": staff[1], "class": klass}


def _migrate(db: Database, settings: Settings, revision: str, *, down: bool = False) -> None:
    from alembic import command

    from smartcity.core.migrate import alembic_config, rewrite

    with db.engine.begin() as connection:
        config = alembic_config(db.url)
        config.attributes.update(connection=connection, settings=settings, rewrite_tables=set())
        (command.downgrade if down else command.upgrade)(config, revision)
    rewrite(db, config.attributes["rewrite_tables"])


def test_migration_0023_encrypts_the_users_and_staff_already_stored_and_loses_nothing(db, settings):
    """Users and school staff in clear (schema 0022) are encrypted in place by 0023, searchable by part of
    their name, with the references to staff members intact; the downgrade gives the clear values back."""
    from smartcity.education.models import SchoolClass, Staff

    _migrate(db, settings, "0022", down=True)
    try:
        ids = _insert_clear_people(db)
        _migrate(db, settings, "head")  # 0023 encrypts; later migrations leave these tables alone
        assert _found_in(_every_row_as_text(db)) == []
        if db.is_sqlite:
            assert _found_in(_raw_database_bytes(db)) == []
        keys = settings.personal_keys
        user = accounts.get_user(db, ids["user"])
        assert (user.full_name, user.email) == (f"{STAFF_NAME} 1", f"1.{STAFF_EMAIL}")
        assert accounts.get_user_by_username(db, "nameless").full_name == ""  # type: ignore[union-attr]
        assert [u.username for u in accounts.list_users(db, query="vo thi th 1").items] == ["u1"]
        assert accounts.list_users(db, query="tuyen").total == 3
        assert [u.username for u in accounts.list_users(db, query=f"1.{STAFF_EMAIL}").items] == ["u1"]
        staff = education.list_staff(db, actor=SYSTEM, school_code="TH-MIG", query="thanh tuy 1")
        assert [(p["id"], p["full_name"], p["email"]) for p in staff] == [
            (ids["staff"], f"{STAFF_NAME} 1", f"1.{STAFF_EMAIL}")
        ]
        with db.session() as s:
            assert s.get(SchoolClass, ids["class"]).homeroom_teacher_id == ids["staff"]  # type: ignore[union-attr]
            assert s.get(Staff, ids["staff"]).full_name(keys) == f"{STAFF_NAME} 1"  # type: ignore[union-attr]

        _migrate(db, settings, "0022", down=True)
        with db.engine.connect() as conn:
            users = conn.execute(text("SELECT username, full_name, email FROM users ORDER BY username")).all()
            people = conn.execute(text("SELECT full_name, email FROM education_staff ORDER BY id")).all()
            homeroom = conn.execute(text("SELECT homeroom_teacher_id FROM education_classes")).scalar_one()
        assert [tuple(r) for r in users] == [("nameless", "", None)] + [
            (f"u{n}", f"{STAFF_NAME} {n}", f"{n}.{STAFF_EMAIL}") for n in range(3)
        ]
        assert [tuple(r) for r in people] == [(f"{STAFF_NAME} {n}", f"{n}.{STAFF_EMAIL}") for n in range(3)]
        assert homeroom == ids["staff"]
    finally:
        if not db.is_sqlite:  # the next tests find the tables empty and the schema at head
            with db.engine.begin() as conn:
                conn.execute(text("TRUNCATE users, education_schools, education_school_years CASCADE"))
        _migrate(db, settings, "head")
