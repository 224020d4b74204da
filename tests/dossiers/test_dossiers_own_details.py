"""The e-form fills in the applicant's own details from the signed-in account (the name, phone and e-mail; the
phone's read is audited), never someone else's fields nor at the counter; and its ward is chosen among the
city's wards, each named as a ward."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from smartcity.accounts import service as accounts
from smartcity.core.audit import AuditEntry
from smartcity.procedures import service as procedures
from smartcity.procedures.catalogue import build_catalogue
from tests.dossiers.dossier_fixtures import BIRTH, HOUSE, PASSWORD, SYSTEM
from tests.dossiers.test_dossiers_pages import _login

NAME, PHONE, EMAIL, ID_NUMBER = "Đỗ Thị Lan", "0912034517", "lan.do@example.vn", "074190012482"
# The city's five wards since 1 July 2025, by code (shared/data/ward_reorganization_2025.json).
WARDS = ["Phường Thủ Dầu Một", "Phường Phú Lợi", "Phường Bình Dương", "Phường Phú An", "Phường Chánh Hiệp"]


def _value(page: str, name: str) -> str | None:
    found = re.search(rf'<input id="{name}" name="{name}"[^>]*?value="([^"]*)"', page)
    return html.unescape(found.group(1)) if found else None


def _citizen(db) -> int:
    user = accounts.create_user(
        db,
        actor=SYSTEM,
        username="lan",
        password=PASSWORD,
        full_name=NAME,
        phone=PHONE,
        email=EMAIL,
        roles=[("citizen", None)],
    )
    return user.id


def _phone_reads(db, user_id: int, action: str = "user.phone_read") -> list[AuditEntry]:
    with db.session() as s:
        query = select(AuditEntry).where(AuditEntry.action == action, AuditEntry.entity_id == str(user_id))
        return list(s.scalars(query))


def test_the_form_fills_in_the_applicants_own_details_from_the_account(app, db, people):
    user_id = _citizen(db)
    citizen, _token = _login(app, "lan")
    page = citizen.get(f"/ho-so/nop/{BIRTH}").text
    assert _value(page, "applicant_name") == NAME
    assert _value(page, "applicant_phone") == PHONE
    assert _value(page, "applicant_email") == EMAIL
    assert _value(page, "applicant_id") == ""  # the person has not given their ID number yet
    for someone_else in ("f_child_name", "f_mother_name", "f_father_name", "f_mother_id_number"):
        assert _value(page, someone_else) == "", someone_else  # the child's and the parents' stay empty
    reads = _phone_reads(db, user_id)
    assert len(reads) == 1 and PHONE not in str(reads[0].after or "")  # the read is logged, not the number

    accounts.update_user(db, actor=SYSTEM, user_id=user_id, changes={"citizen_id": ID_NUMBER})  # on her page
    again = citizen.get(f"/ho-so/nop/{BIRTH}").text
    assert _value(again, "applicant_id") == ID_NUMBER and _value(again, "f_mother_id_number") == ""
    assert len(_phone_reads(db, user_id, "user.citizen_id_read")) == 1  # that read is logged too


def test_the_details_stay_editable_and_the_counter_fills_in_nobodys(app, db, people):
    _citizen(db)
    citizen, token = _login(app, "lan")
    changed = citizen.post(
        f"/ho-so/nop/{BIRTH}",
        data={"applicant_name": "Đỗ Văn Bình", "applicant_phone": "", "csrf_token": token},
    )
    assert changed.status_code == 422  # the form back with what the person typed, not the account's
    assert (
        _value(changed.text, "applicant_name") == "Đỗ Văn Bình"
        and _value(changed.text, "applicant_phone") == ""
    )
    clerk, _ = _login(app, "wclerk")  # a clerk at the counter files for the person in front of them
    counter = clerk.get(f"/ho-so/nop/{BIRTH}", params={"counter": "1"}).text
    assert _value(counter, "applicant_name") == "" and _value(counter, "applicant_phone") == ""


def _ward_select(page: str) -> str:
    select_ = re.search(r'<select[^>]*name="f_ward_code".*?</select>', html.unescape(page), re.S)
    assert select_, "the ward is chosen from a list"
    return select_.group(0)


def test_the_ward_is_chosen_among_the_citys_wards_each_named_as_a_ward(app, people):
    citizen, _ = _login(app, "citizen1")
    birth = _ward_select(citizen.get(f"/ho-so/nop/{BIRTH}").text)  # received by the ward itself
    assert "Ủy ban nhân dân" not in birth
    assert re.findall(r'<option value="(\d+)" >([^<]*)</option>', birth) == [("25747", "Phường Thủ Dầu Một")]
    closed = re.findall(r"<option disabled>([^<]*)</option>", birth)  # the four wards nobody staffs here
    assert closed == [f"{ward} — chưa nhận hồ sơ thủ tục này trực tuyến" for ward in WARDS[1:]]
    english = _ward_select(citizen.get(f"/ho-so/nop/{BIRTH}", params={"lang": "en"}).text)
    assert ">Thủ Dầu Một Ward</option>" in english
    assert "<option disabled>Phú Lợi Ward — does not take this procedure online yet</option>" in english


def test_with_the_demos_ward_teams_every_ward_takes_the_procedure_online(app, db, settings, people):
    from smartcity.accounts import demo as accounts_demo

    accounts_demo.load_demo(db, settings=settings, actor=SYSTEM)
    citizen, _ = _login(app, "citizen1")
    birth = _ward_select(citizen.get(f"/ho-so/nop/{BIRTH}").text)
    assert "disabled" not in birth
    assert sorted(
        name for _code, name in re.findall(r'<option value="(\d+)" >([^<]*)</option>', birth)
    ) == sorted(WARDS)


def test_the_ward_receives_what_the_city_departments_received_before_july_2025(app, db, people):
    citizen, _ = _login(app, "citizen1")
    house = _ward_select(citizen.get(f"/ho-so/nop/{HOUSE}", params={"lang": "vi"}).text)
    assert re.findall(r'<option value="(\d+)" >', house) == ["25747"]  # its department is gone: the ward's
    office = {"code": "SO-XD", "name": "Sở Xây dựng", "kind": "department", "valid_from": "2025-07-01"}
    accounts.upsert_org_units(db, actor=SYSTEM, units=[office])
    record = next(r for r in build_catalogue() if r["code"] == HOUSE)
    procedures.upsert_procedures(db, actor=SYSTEM, records=[{**record, "agency_code": "SO-XD"}])
    anywhere = _ward_select(citizen.get(f"/ho-so/nop/{HOUSE}").text)  # an office in charge: any ward's house
    assert re.findall(r'<option value="\d+" >([^<]*)</option>', anywhere) == WARDS
    assert "<option disabled>" not in anywhere
