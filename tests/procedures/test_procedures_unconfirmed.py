"""A public procedure page shows the catalogue's facts not yet confirmed without the editors' notes
"(cần đối chiếu …)": each such item carries a "chưa xác nhận" mark and the page says once what it means; the
stored record (and the API) keeps the notes. Every online level reads with its words."""

from __future__ import annotations

import html
import re

import pytest

from smartcity.core.security import Actor
from smartcity.procedures import service
from smartcity.procedures.catalogue import SCOPE_BY_LEVEL, build_catalogue, read_full_definitions
from smartcity.procedures.public_text import (
    LEVEL_NAMES,
    online_words,
    shown_texts,
    split_confirmation,
)
from smartcity.procedures.schemas import ProcedureRead

SYSTEM = Actor.system("test")
NOTE = "cần đối chiếu"
SENTENCE = "chưa được đối chiếu với quyết định công bố thủ tục hành chính"
MARK = '<span class="badge unconfirmed">'
# Procedures of the city pack the page tests load: marked items in the time, a fee and the legal basis, one
# with nothing marked, and placeholders of each online level.
PAGE_CODES = {"TDM-BTXH-002", "TDM-HT-008", "TDM-HT-034", "TDM-HT-001"}


def _texts(record: dict) -> list[str]:
    fees = [text for fee in record["fees"] for text in (fee["name"], fee.get("note") or "")]
    return [record.get("processing_note") or "", *fees, record.get("legal_basis") or ""]


def _read(code: str) -> ProcedureRead:
    record = next(r for r in build_catalogue() if r["code"] == code)
    return ProcedureRead.model_validate({**record, "id": 1})


def test_every_editors_note_of_the_catalogue_is_taken_out_and_marked():
    texts = [text for record in read_full_definitions() for text in _texts(record)]
    noted = [text for text in texts if NOTE in text]
    assert len(noted) >= 50  # the catalogue's real notes, not a made-up case
    for text in texts:
        shown, marked = split_confirmation(text)
        assert marked == (NOTE in text), text
        assert NOTE not in shown and "()" not in shown and "  " not in shown, shown
        assert shown == shown.strip() and not shown.startswith(("(", ",", ";", ".")), shown
        if not marked:
            assert shown == text.strip()  # a text without a note is left as it is


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (  # the note closes the text, after a reference in brackets: the reference stays, the full stop too
            "2 ngày làm việc kể từ ngày nhận đủ hồ sơ (Luật Hộ tịch 2014, điều 22) (cần đối chiếu).",
            "2 ngày làm việc kể từ ngày nhận đủ hồ sơ (Luật Hộ tịch 2014, điều 22).",
        ),
        (  # the note opens a fee's note
            "(cần đối chiếu) mức do HĐND tỉnh quyết định theo Thông tư 85/2019/TT-BTC",
            "mức do HĐND tỉnh quyết định theo Thông tư 85/2019/TT-BTC",
        ),
        (  # the note says what to check against, inside a sentence
            "Mức theo nghị quyết HĐND tỉnh (cần đối chiếu trước khi áp dụng); miễn khi đăng ký trực tuyến",
            "Mức theo nghị quyết HĐND tỉnh; miễn khi đăng ký trực tuyến",
        ),
        (  # a step of the applicant's in brackets is no note
            "Bản sao Giấy chứng nhận quyền sử dụng đất (xuất trình bản chính để đối chiếu)",
            "Bản sao Giấy chứng nhận quyền sử dụng đất (xuất trình bản chính để đối chiếu)",
        ),
        (None, ""),
    ],
)
def test_a_text_is_split_into_what_a_page_shows_and_whether_it_needs_confirming(text, shown):
    assert split_confirmation(text) == (shown, shown != (text or "").strip())


def test_the_items_of_a_procedure_are_marked_one_by_one():
    social = shown_texts(_read("TDM-BTXH-002"))  # the time and the legal basis noted, no fee
    assert social.processing_note.needs_confirmation and social.legal_basis.needs_confirmation
    assert social.processing_note.text.startswith("UBND phường xét duyệt")
    assert (
        "khoảng 20 ngày làm việc. Mức chuẩn trợ giúp xã hội 500.000 đồng/tháng" in social.processing_note.text
    )
    assert social.fees == [] and social.any_unconfirmed
    remarriage = shown_texts(_read("TDM-HT-008"))  # only the fee's note
    assert [f.needs_confirmation for f in remarriage.fees] == [True]
    assert not remarriage.processing_note.needs_confirmation and not remarriage.legal_basis.needs_confirmation
    birth = shown_texts(_read("TDM-HT-001"))
    assert not birth.any_unconfirmed


@pytest.fixture
def some_procedures(db):
    """A few procedures of the city pack: the ones the tests read, and placeholders of levels 2 and 1."""
    records = build_catalogue()
    wanted = [r for r in records if r["code"] in PAGE_CODES]
    for level in (2, 1):
        wanted.append(next(r for r in records if r["is_placeholder"] and r["level"] == level))
    service.upsert_procedures(db, actor=SYSTEM, records=wanted)
    return {level: r["code"] for r in wanted for level in (r["level"],) if r["is_placeholder"]}


def test_the_public_page_marks_the_items_and_says_once_what_the_mark_means(client, db, some_procedures):
    page = html.unescape(client.get("/thu-tuc/TDM-BTXH-002").text)
    assert NOTE not in page
    assert page.count(MARK) == 2  # the processing time and the legal basis
    assert page.count(SENTENCE) == 1 and "vui lòng hỏi Bộ phận Một cửa trước khi nộp hồ sơ" in page
    assert "khoảng 20 ngày làm việc. Mức chuẩn trợ giúp xã hội" in page
    fee_page = html.unescape(client.get("/thu-tuc/TDM-HT-034").text)
    assert NOTE not in fee_page and fee_page.count(MARK) == 2  # the time and the fee
    fee_row = re.search(r"Phí, lệ phí</th><td>(.*?)</td>", fee_page, re.S)
    assert fee_row and MARK in fee_row.group(1)
    clean = html.unescape(client.get("/thu-tuc/TDM-HT-001").text)
    assert MARK not in clean and SENTENCE not in clean
    english = html.unescape(client.get("/thu-tuc/TDM-BTXH-002", params={"lang": "en"}).text)
    assert NOTE not in english and "not confirmed" in english and "chưa xác nhận" not in english
    assert "has not yet been checked against the official decision" in english
    assert "please ask the One-Stop Desk before you apply" in english


def test_the_stored_record_and_the_api_keep_the_editors_notes(client, db, some_procedures):
    client.get("/thu-tuc/TDM-BTXH-002")
    assert NOTE in (service.get_procedure(db, "TDM-BTXH-002").legal_basis or "")
    raw = client.get("/api/v1/procedures/TDM-BTXH-002")
    assert raw.status_code == 200 and NOTE in raw.json()["legal_basis"]


def test_every_online_level_has_its_words():
    assert {level: online_words(level, SCOPE_BY_LEVEL.get(level)) for level in (4, 3, 2, 1)} == {
        4: "toàn trình",
        3: "một phần",
        2: "thông tin trực tuyến",
        1: "thông tin trực tuyến",
    }
    assert online_words(4, "mot_phan") == "một phần"  # the Decree 42 scope says, where it differs
    for level, name in LEVEL_NAMES.items():  # the filter's names say the same words
        assert name == f"Mức độ {level} — {online_words(level, SCOPE_BY_LEVEL.get(level))}"


def test_the_catalogue_list_words_every_level_in_both_languages(client, db, some_procedures):
    page = html.unescape(client.get("/thu-tuc").text)
    cells = re.findall(r"<td>([1-4]) · ([^<]*)</td>", page)
    assert {level: words for level, words in cells} == {
        "4": "toàn trình",
        "3": "một phần",
        "2": "thông tin trực tuyến",
        "1": "thông tin trực tuyến",
    }
    assert ">Mức độ 2 — thông tin trực tuyến</option>" in page
    english = html.unescape(client.get("/thu-tuc", params={"lang": "en"}).text)
    cells = dict(re.findall(r"<td>([1-4]) · ([^<]*)</td>", english))
    assert cells == {
        "4": "fully online",
        "3": "partly online",
        "2": "information online only",
        "1": "information online only",
    }
    assert ">Level 2 — information online only</option>" in english
    level_two = html.unescape(client.get(f"/thu-tuc/{some_procedures[2]}", params={"lang": "vi"}).text)
    assert "<td>2 · thông tin trực tuyến</td>" in level_two
