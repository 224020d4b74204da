"""An English page says its refusals and errors in English: every refusal a role check gives and every
Vietnamese sentence raised as Forbidden has its English words, and the error page shows them."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import APIRouter, Query
from fastapi.testclient import TestClient

from smartcity.core.errors import Conflict, Forbidden, ValidationFailed
from smartcity.core.i18n import Phrase, get_translations, phrase_from_json, written_in_vietnamese
from smartcity.core.security import Actor
from smartcity.web.deps import current_actor

SOURCE = Path(__file__).resolve().parents[2] / "src" / "smartcity"
CITIZEN = Actor(kind="user", name="dan", user_id=2, roles=frozenset({("citizen", None)}))
HTML = {"accept": "text/html"}


def _sentences(select: str) -> Iterator[tuple[str, str]]:
    """(where, sentence) for each constant sentence of the source: `select` "refusal" takes the values of
    names ending in REFUSAL and of `refusal=` arguments; "forbidden" the Vietnamese `Forbidden("…")`."""
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            found: list[ast.expr] = []
            if select == "refusal" and isinstance(node, ast.Assign):
                if any(isinstance(t, ast.Name) and t.id.endswith("REFUSAL") for t in node.targets):
                    found.append(node.value)
            elif select == "refusal" and isinstance(node, ast.keyword) and node.arg == "refusal":
                found.append(node.value)
            elif (
                select == "forbidden"
                and isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "Forbidden"
                and node.args
            ):
                found.append(node.args[0])
            for value in found:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    yield f"{path.relative_to(SOURCE)}:{value.lineno}", value.value


def test_every_refusal_constant_has_english_words():
    english = get_translations("en").gettext
    refusals = dict(_sentences("refusal"))
    assert len(refusals) >= 12  # the departments' refusals are found, not silently none
    untranslated = {where: s for where, s in refusals.items() if written_in_vietnamese(english(s))}
    assert not untranslated


def test_every_vietnamese_forbidden_sentence_has_english_words():
    english = get_translations("en").gettext
    said = {where: s for where, s in _sentences("forbidden") if written_in_vietnamese(s)}
    assert said
    assert not {where: s for where, s in said.items() if written_in_vietnamese(english(s))}


@pytest.fixture
def citizen(app) -> Iterator[None]:  # type: ignore[no-untyped-def]
    app.dependency_overrides[current_actor] = lambda: CITIZEN
    yield
    app.dependency_overrides.pop(current_actor, None)


@pytest.mark.parametrize(
    ("path", "english"),
    [
        ("/can-bo/chieu-sang", "This is for operators of the Operations Centre"),  # require_role_in
        ("/can-bo/ho-so", "This is for staff of the city and ward People"),  # require_page_role
    ],
)
def test_an_english_page_refused_by_a_role_check_says_why_in_english(client, citizen, path, english):
    refused = client.get(path, params={"lang": "en"}, headers=HTML)
    assert refused.status_code == 403
    main = refused.text.split("<main")[1]
    assert english in main and "Việc này dành cho" not in main
    vietnamese = client.get(path, params={"lang": "vi"}, headers=HTML)
    assert vietnamese.status_code == 403 and "Việc này dành cho cán bộ" in vietnamese.text


def test_a_services_vietnamese_refusal_and_a_forms_mistakes_read_in_english(app):
    router = APIRouter()

    @router.get("/thu/cam")
    def refuse() -> None:
        raise Forbidden("Chỉ người gửi phản ánh mới mở lại được phản ánh này.")

    @router.get("/thu/so")
    def number(n: int = Query()) -> dict[str, int]:
        return {"n": n}

    app.include_router(router)
    client = TestClient(app)
    refused = client.get("/thu/cam?lang=en", headers=HTML)
    assert refused.status_code == 403
    assert "Only the person who sent the report may reopen it." in refused.text
    mistaken = client.get("/thu/so?n=abc&lang=en", headers=HTML)
    assert mistaken.status_code == 422 and "Must be a whole number." in mistaken.text
    assert "Phải là một số nguyên." in client.get("/thu/so?n=abc&lang=vi", headers=HTML).text
    # the API keeps its problem details as they were
    problem = client.get("/thu/cam?lang=en").json()
    assert problem["detail"] == "Chỉ người gửi phản ánh mới mở lại được phản ánh này."


def _phrase_templates() -> Iterator[tuple[str, str]]:
    """(where, template) for each constant template of a `Phrase(...)` or `Phrase.of(...)` in the source."""
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            func = node.func
            named = isinstance(func, ast.Name) and func.id == "Phrase"
            of = (
                isinstance(func, ast.Attribute)
                and func.attr == "of"
                and getattr(func.value, "id", "") == "Phrase"
            )
            if not (named or of):
                continue
            values = [node.args[0]]
            if isinstance(node.args[0], ast.IfExp):
                values = [node.args[0].body, node.args[0].orelse]
            for value in values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    yield f"{path.relative_to(SOURCE)}:{value.lineno}", value.value


def test_every_sentence_with_variable_parts_has_english_words_that_keep_its_parts():
    english = get_translations("en").gettext
    said = {where: t for where, t in _phrase_templates() if written_in_vietnamese(t)}
    assert len(said) >= 40  # the services' refusals with variable parts are found, not silently none
    untranslated = {where: t for where, t in said.items() if written_in_vietnamese(english(t))}
    assert not untranslated
    parts = re.compile(r"\{(\w*)\}")
    assert not {w: t for w, t in said.items() if set(parts.findall(t)) != set(parts.findall(english(t)))}


def test_a_phrase_reads_in_the_pages_language_with_its_digits():
    closed = Phrase("Phiếu {ticket} đã đóng.", ticket=7)
    assert closed == "Phiếu 7 đã đóng." and closed.template == "Phiếu {ticket} đã đóng."
    assert get_translations("en").gettext(closed) == "Ticket 7 is closed."
    assert get_translations("vi").gettext(closed) == "Phiếu 7 đã đóng."
    big = Phrase("Ảnh quá lớn (quá {pixels} điểm ảnh).", pixels=40_000_000.0)
    assert big == "Ảnh quá lớn (quá 40.000.000 điểm ảnh)."
    assert get_translations("en").gettext(big) == "The photo is too large (more than 40,000,000 pixels)."
    # carried in a link (a notice after a form) and read back whole, words nested in it too
    joined = Phrase.joined(
        [Phrase("{title}: {message}", title=Phrase.of("Hạn mới"), message=closed), "Tệp rỗng."]
    )
    carried = phrase_from_json(json.loads(json.dumps(joined.to_json())))
    assert carried == joined == "Hạn mới: Phiếu 7 đã đóng. Tệp rỗng."
    assert get_translations("en").gettext(carried) == "New due date: Ticket 7 is closed. The file is empty."


def test_a_refusal_with_a_variable_part_and_a_mistake_with_a_number_read_in_the_pages_language(app):
    router = APIRouter()

    @router.get("/thu/phieu")
    def closed() -> None:
        raise Conflict(Phrase("Phiếu {ticket} đã đóng.", ticket=7))

    @router.get("/thu/muc")
    def level(n: float = Query(ge=2.5, title="Mức sáng")) -> dict[str, float]:
        return {"n": n}

    @router.get("/thu/truong")
    def fields() -> None:
        raise ValidationFailed.for_field(
            "lane", Phrase("Camera này có {lanes} làn; không có làn {lane}.", lanes=2, lane=5)
        )

    app.include_router(router)
    client = TestClient(app)
    refused = client.get("/thu/phieu?lang=en", headers=HTML)
    assert (
        refused.status_code == 409 and "Ticket 7 is closed." in refused.text and "Phiếu 7" not in refused.text
    )
    assert "Phiếu 7 đã đóng." in client.get("/thu/phieu?lang=vi", headers=HTML).text
    assert client.get("/thu/phieu").json()["detail"] == "Phiếu 7 đã đóng."  # the API's problem as it was
    mistaken = client.get("/thu/muc?n=1&lang=en", headers=HTML)
    assert (
        mistaken.status_code == 422
        and ": Must be 2.5 or more." in mistaken.text
        and "2,5" not in mistaken.text
    )
    assert "Mức sáng: Phải từ 2,5 trở lên." in client.get("/thu/muc?n=1&lang=vi", headers=HTML).text
    lanes = client.get("/thu/truong?lang=en", headers=HTML)
    assert "This camera has 2 lanes; there is no lane 5." in lanes.text
    assert "Camera này có 2 làn; không có làn 5." in client.get("/thu/truong?lang=vi", headers=HTML).text
