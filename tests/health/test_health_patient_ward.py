"""The staff's patient page names the person's ward the way the page's language writes it."""

from __future__ import annotations

import html

from smartcity.health import service
from tests.health.conftest import bearer, patient


def _html(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "text/html"}


def test_the_patient_page_names_the_ward_in_the_pages_language(client, db, user_token) -> None:  # type: ignore[no-untyped-def]
    _, manager = user_token("health_manager")
    service.ensure_population(db)
    person = patient("074190007778", "Lê", "Văn Hùng", "1985-02-03", ward="25760")
    pid = client.post("/fhir/R4/Patient", json=person, headers=bearer(manager)).json()["id"]
    _, worker = user_token("health_worker", "TYT-25760")
    page = f"/can-bo/y-te/benh-nhan/{pid}"
    english = html.unescape(client.get(page, params={"lang": "en"}, headers=_html(worker)).text)
    assert "Ward: Bình Dương Ward" in english and "Phường Bình Dương" not in english
    vietnamese = html.unescape(client.get(page, params={"lang": "vi"}, headers=_html(worker)).text)
    assert "Phường: Phường Bình Dương" in vietnamese
