"""A refused temperature check-in says so in a full sentence, keeps what was typed, and on the staff board
says whose check-in it was."""

from __future__ import annotations

import html

from smartcity.core.security import Actor
from smartcity.health import service
from tests.health.conftest import bearer, patient


def _html(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "text/html"}


def _case(client, db, settings, user_token) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    _, manager = user_token("health_manager")
    pid = client.post(
        "/fhir/R4/Patient",
        json=patient("074190006666", "Hồ", "Ngọc Mai", "1991-06-06", ward="25768"),
        headers=bearer(manager),
    ).json()["id"]
    case_id = service.open_case(
        db, settings, actor=Actor.system("t"), patient_id=pid, disease="covid-19", kind="case"
    )
    return pid, case_id


def test_the_citizen_reads_a_sentence_and_keeps_the_typed_value(client, db, settings, user_token) -> None:  # type: ignore[no-untyped-def]
    pid, case_id = _case(client, db, settings, user_token)
    citizen_id, citizen = user_token("citizen")
    service.link_person(db, actor=Actor.system("t"), user_id=citizen_id, patient_id=pid)
    form = {"case_id": case_id, "temperature": "ba bảy", "symptoms": ["ho"]}
    bad = client.post("/suc-khoe/khai-bao", data=form, headers=_html(citizen), follow_redirects=False)
    page = html.unescape(bad.text)
    assert bad.status_code == 422 and "Nhiệt độ phải là một số, ví dụ 37,2." in page
    assert 'value="ba bảy" aria-invalid="true"' in page and 'value="ho" checked' in page
    client.cookies.set("lang", "en")
    english = html.unescape(client.post("/suc-khoe/khai-bao", data=form, headers=_html(citizen)).text)
    assert "The temperature must be a number, for example 37.2." in english and "Nhiệt độ phải" not in english


def test_the_staff_board_says_whose_check_in_failed(client, db, settings, user_token) -> None:  # type: ignore[no-untyped-def]
    _, case_id = _case(client, db, settings, user_token)
    _, worker = user_token("health_worker", "TYT-25768")
    form = {"action": "checkin", "case_id": case_id, "temperature": "49"}
    bad = client.post("/can-bo/y-te/cach-ly", data=form, headers=_html(worker), follow_redirects=False)
    page = html.unescape(bad.text)
    assert bad.status_code == 422
    assert "Chưa ghi được khai báo của Hồ Ngọc Mai. Nhiệt độ cơ thể phải từ 34 đến 43 °C." in page
    assert 'value="49" aria-invalid="true"' in page
    client.cookies.set("lang", "en")
    english = client.post("/can-bo/y-te/cach-ly", data={**form, "temperature": "x"}, headers=_html(worker))
    said = html.unescape(english.text)
    assert "The check-in for Hồ Ngọc Mai was not recorded. The temperature must be a number" in said
