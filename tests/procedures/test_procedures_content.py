"""The catalogue's real content: at least 40 full definitions, valid forms, and placeholders that say so."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator

from smartcity.accounts import service as accounts
from smartcity.core.security import Actor
from smartcity.procedures import service
from smartcity.procedures.catalogue import MISSING_PARTS, build_catalogue, read_full_definitions

SYSTEM = Actor.system("test")
PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
NAMED_FIRST = {
    "Cấp giấy chứng nhận số nhà",
    "Cấp giấy phép xây dựng nhà ở riêng lẻ",
    "Đăng ký khai sinh",
    "Đăng ký kết hôn",
    "Đăng ký khai tử",
    "Cấp bản sao Trích lục hộ tịch",
    "Đăng ký thành lập hộ kinh doanh",
}


@pytest.fixture
def loaded(db):
    """The database with the city's catalogue loaded."""
    service.load_city_catalogue(db, actor=SYSTEM)
    return db


def _full(db):
    codes = [p.code for p in service.list_procedures(db, full_only=True, limit=500).items]
    return [service.get_procedure(db, code) for code in codes]


def test_the_pack_defines_at_least_forty_procedures_in_full_and_keeps_the_published_levels():
    records = build_catalogue()
    full = [r for r in records if not r["is_placeholder"]]
    assert len(full) >= 40 and len(full) == len(read_full_definitions())
    assert {r["name"] for r in full} >= NAMED_FIRST
    assert len(records) == 278
    levels = Counter(r["level"] for r in records)
    assert levels[4] == 157 and levels[3] == 43
    names = [r["name"] for r in records]
    codes = [r["code"] for r in records]
    assert len(set(names)) == len(names) and len(set(codes)) == len(codes)


def test_every_full_definition_has_fields_papers_time_legal_basis_and_result(loaded):
    full = _full(loaded)
    assert len(full) >= 40
    for p in full:
        assert p.form_schema["properties"] and p.form_schema["required"], p.code
        assert set(p.form_schema["required"]) <= set(p.form_schema["properties"]), p.code
        assert any(d.required for d in p.required_documents), p.code
        assert p.processing_note and p.legal_basis and p.result_type, p.code
        assert p.result_schema["required"] and p.result_schema["properties"], p.code
        assert p.name_en, p.code
        for fee in p.fees:
            assert fee.amount_vnd > 0 or "cần đối chiếu" in (fee.note or ""), (p.code, fee.name)


def test_every_full_form_and_result_is_a_valid_json_schema(loaded):
    for p in _full(loaded):
        Draft202012Validator.check_schema(p.form_schema)
        Draft202012Validator.check_schema(p.result_schema)
        assert p.form_schema["type"] == "object" and p.form_schema.get("title")


def test_certification_fees_follow_the_national_tariff(loaded):
    copy = service.get_procedure(loaded, "TDM-CT-002")
    assert [f.amount_vnd for f in copy.fees] == [2000]
    signature = service.get_procedure(loaded, "TDM-CT-004")
    assert [f.amount_vnd for f in signature.fees] == [10000]
    guardianship = service.get_procedure(loaded, "TDM-HT-010")
    assert guardianship.fees == [] and "điều 11" in guardianship.legal_basis


def _citizen(app, db) -> TestClient:
    accounts.create_user(db, actor=SYSTEM, username="dan", password=PASSWORD, roles=[("citizen", None)])
    client = TestClient(app)
    token = CSRF.search(client.get("/login").text).group(1)
    response = client.post(
        "/login",
        data={"username": "dan", "password": PASSWORD, "csrf_token": token, "next": "/ho-so"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return client


def test_every_full_form_renders_on_the_submission_page(app, loaded):
    citizen = _citizen(app, loaded)
    for p in _full(loaded):
        page = citizen.get(f"/ho-so/nop/{p.code}")
        assert page.status_code == 200, p.code
        assert 'id="submit-form"' in page.text and 'id="not-open"' not in page.text, p.code
        for name in p.form_schema["properties"]:
            assert f'name="f_{name}"' in page.text, (p.code, name)


def test_the_english_submission_form_says_the_procedures_papers_are_vietnamese_only(app, loaded):
    citizen = _citizen(app, loaded)
    english = citizen.get("/ho-so/nop/TDM-BTXH-004", params={"lang": "en"}).text
    assert "papers are named in Vietnamese only" in english  # its form's fields are in English
    assert 'id="vietnamese-only"' not in citizen.get("/ho-so/nop/TDM-BTXH-004", params={"lang": "vi"}).text


def test_a_placeholder_says_what_is_missing_and_is_not_open_online(app, client, loaded):
    placeholder = service.list_procedures(loaded, q="chung thuc chu ky nguoi dich", limit=1).items[0]
    assert placeholder.is_placeholder
    page = client.get(f"/thu-tuc/{placeholder.code}")
    assert page.status_code == 200
    for part in MISSING_PARTS:
        assert part in page.text
    assert "Chưa mở nộp hồ sơ trực tuyến" in page.text and 'id="submit-online"' not in page.text
    submit = _citizen(app, loaded).get(f"/ho-so/nop/{placeholder.code}")
    assert 'id="not-open"' in submit.text and 'id="submit-form"' not in submit.text
    full = client.get("/thu-tuc/TDM-HT-013")
    assert 'id="not-filled-in"' not in full.text and 'id="submit-online"' in full.text


def test_the_catalogue_page_counts_full_and_placeholder_procedures(client, loaded):
    counts = service.completeness_counts(loaded)
    assert counts["full"] >= 40 and counts["full"] + counts["placeholder"] == 278
    page = client.get("/thu-tuc")
    stated = f"{counts['full']} thủ tục đã có đủ thông tin; {counts['placeholder']} thủ tục đang cập nhật"
    assert stated in page.text


def test_a_full_definition_must_keep_the_code_of_the_placeholder_it_replaces(tmp_path, monkeypatch):
    from smartcity.procedures import catalogue

    pack = tmp_path / "thu-dau-mot"
    pack.mkdir()
    source = catalogue.DATA_DIR / "thu-dau-mot"
    for path in source.glob("*.json"):
        (pack / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(catalogue, "DATA_DIR", tmp_path)
    assert len(build_catalogue()) == 278
    civil = pack / "full-02-ho-tich.json"
    moved = civil.read_text(encoding="utf-8").replace('"TDM-HT-004"', '"TDM-HT-099"')
    civil.write_text(moved, encoding="utf-8")
    with pytest.raises(ValueError, match="must keep its catalogue code"):
        build_catalogue()


def test_a_placeholder_takes_no_online_dossier_even_by_a_hand_made_request(loaded, settings):
    from smartcity.city.loader import load_city_pack
    from smartcity.core.errors import Conflict
    from smartcity.dossiers import service as dossiers
    from smartcity.dossiers.schemas import DossierCreate

    load_city_pack(loaded, pack="thu-dau-mot", actor=SYSTEM)
    listed = service.list_procedures(loaded, limit=500).items
    placeholder = next(p for p in listed if p.is_placeholder and p.level >= 3)
    citizen = Actor(kind="user", name="dan", user_id=1, roles=frozenset({("citizen", None)}))
    data = DossierCreate(procedure_code=placeholder.code, form={}, applicant={"name": "Nguyễn Văn An"})
    with pytest.raises(Conflict, match="chưa nhận hồ sơ trực tuyến"):
        dossiers.submit_dossier(loaded, actor=citizen, settings=settings, data=data, uploads=[])


# An author's note in English inside a text a citizen reads: "(check against the province's decision)".
ENGLISH_NOTE = re.compile(
    r"\((?:check|verify|confirm|to be|see|todo|tbd|fixme|note)\b[^()]*\)"
    r"|\([^()]*\b(?:the|against|confirmed|in force|unverified)\b[^()]*\)",
    re.IGNORECASE,
)


def _texts(value, path=()):  # type: ignore[no-untyped-def]
    """Every string in a catalogue file with where it sits; the English fields (`name_en`) left out."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if not str(key).endswith("_en"):
                yield from _texts(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _texts(inner, (*path, index))
    elif isinstance(value, str):
        yield path, value


def test_the_catalogue_data_carries_no_english_note_in_its_vietnamese_texts():
    import json

    from smartcity.procedures.catalogue import DATA_DIR

    files = sorted(DATA_DIR.rglob("*.json"))
    assert files
    found = [
        (path.name, where, text)
        for path in files
        for where, text in _texts(json.loads(path.read_text(encoding="utf-8")))
        if where != ("note",) and ENGLISH_NOTE.search(text)  # the file's own note is for its authors
    ]
    assert not found, found
    assert ENGLISH_NOTE.search("5 ngày làm việc (check against the province's decision).")
    assert ENGLISH_NOTE.search("Nghị định 15/2021/NĐ-CP (see the Construction Law 2025).")
    assert not ENGLISH_NOTE.search(
        "Nghị định 15/2021/NĐ-CP (cần đối chiếu Luật Xây dựng 2025, hiệu lực từ 2026)."
    )
    assert not ENGLISH_NOTE.search("Giấy tờ tùy thân (CCCD hoặc hộ chiếu)")


def test_the_procedure_page_marks_what_is_not_yet_confirmed_in_vietnamese(client, loaded):
    page = client.get("/thu-tuc/TDM-QLDT-001")
    assert page.status_code == 200
    assert "(cần đối chiếu" not in page.text and "chưa xác nhận" in page.text  # marked, not the editors' note
    assert "check against" not in page.text
