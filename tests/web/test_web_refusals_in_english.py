"""An English page says its refusals and errors in English: every refusal a role check gives and every
Vietnamese sentence raised as Forbidden has its English words, and the error page shows them."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import APIRouter, Query
from fastapi.testclient import TestClient

from smartcity.core.errors import Forbidden
from smartcity.core.i18n import get_translations, written_in_vietnamese
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
