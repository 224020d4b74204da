"""Home quarantine: periods from configuration, check-ins, missed check-ins and warnings alert the right
ward's health station, clusters reach the operations centre, release; public aggregates suppressed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from smartcity.accounts import service as accounts_service
from smartcity.core import clock
from smartcity.core.errors import Forbidden
from smartcity.core.outbox import OutboxMessage
from smartcity.core.security import Actor
from smartcity.health import service, tasks
from tests.health.conftest import bearer, patient

TODAY = date(2026, 11, 20)


def _person(client, token: str, cccd: str, ward: str) -> str:  # type: ignore[no-untyped-def]
    response = client.post(
        "/fhir/R4/Patient",
        json=patient(cccd, "Phan", "Văn Tú", "1980-01-01", ward=ward),
        headers=bearer(token),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _events(db, name: str) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    with db.session() as s:
        return [m.payload for m in s.scalars(select(OutboxMessage).where(OutboxMessage.event_type == name))]


def test_missed_checkin_alerts_the_persons_ward(client, db, settings, user_token) -> None:  # type: ignore[no-untyped-def]
    _, manager = user_token("health_manager")
    in_phu_loi = _person(client, manager, "074180000001", "25750")
    in_tdm = _person(client, manager, "074180000002", "25747")
    worker_id, worker = user_token("health_worker", "TYT-25750")
    start = TODAY - timedelta(days=2)
    made = client.post(
        "/api/v1/health/quarantine/cases",
        json={
            "patient_id": in_phu_loi,
            "disease": "covid-19",
            "kind": "contact",
            "start_date": start.isoformat(),
        },
        headers=bearer(worker),
    )
    assert made.status_code == 201, made.text
    case_id = made.json()["id"]
    other = service.open_case(
        db,
        settings,
        actor=Actor.system("t"),
        patient_id=in_tdm,
        disease="covid-19",
        kind="contact",
        start=start,
    )
    for day in (start, start + timedelta(days=1)):
        service.check_in(
            db, settings, actor=Actor.system("t"), case_id=other, temperature=36.8, symptoms=[], day=day
        )
    checked = client.post(
        f"/api/v1/health/quarantine/cases/{case_id}/checkins",
        json={"temperature": 36.9, "symptoms": [], "day": start.isoformat()},
        headers=bearer(worker),
    )
    assert checked.status_code == 201 and checked.json() == {"warning": False}

    assert service.find_missed_checkins(db, settings, on=TODAY) == 1  # start+1 was missed, only in Phú Lợi
    assert service.find_missed_checkins(db, settings, on=TODAY) == 0  # once
    board = client.get("/api/v1/health/quarantine/board", headers=bearer(worker)).json()
    assert [row["case_id"] for row in board] == [case_id]
    assert board[0]["open_alerts"][0]["kind"] == "missed_checkin"
    assert board[0]["open_alerts"][0]["day"] == (start + timedelta(days=1)).isoformat()
    events = _events(db, "health.QuarantineAlertRaised")
    assert [(e["ward_code"], e["kind"]) for e in events] == [("25750", "missed_checkin")]
    # the ward station's health workers are told by name (in the inbox at once), nobody else
    from sqlalchemy import select

    from smartcity.notifications.models import Message

    with db.session() as s:
        told = [(m.recipient, m.channel, m.link) for m in s.scalars(select(Message))]
    username = accounts_service.get_user(db, worker_id).username
    assert told == [(f"user:{username}", "in-page", "/can-bo/y-te/cach-ly")]
    _, elsewhere = user_token("health_worker", "TYT-25747")
    assert (
        client.get("/api/v1/health/quarantine/board", headers=bearer(elsewhere)).json()[0]["case_id"] == other
    )
    other_ward = client.post(f"/api/v1/health/quarantine/cases/{case_id}/release", headers=bearer(elsewhere))
    assert other_ward.status_code == 404  # another ward's case, as if there were none
    assert (
        client.post(f"/api/v1/health/quarantine/cases/{case_id}/release", headers=bearer(worker)).status_code
        == 204
    )
    assert client.get("/api/v1/health/quarantine/board", headers=bearer(worker)).json() == []


def test_warning_symptoms_alert_and_the_person_checks_in_themselves(client, db, settings, user_token) -> None:  # type: ignore[no-untyped-def]
    _, manager = user_token("health_manager")
    pid = _person(client, manager, "074180000003", "25771")
    today = clock.today(settings)
    case_id = service.open_case(
        db,
        settings,
        actor=Actor.system("t"),
        patient_id=pid,
        disease="measles",
        kind="case",
        start=today - timedelta(days=1),
    )
    citizen_id, citizen = user_token("citizen")
    _, stranger = user_token("citizen")
    service.link_person(db, actor=Actor.system("t"), user_id=citizen_id, patient_id=pid)
    body = {"temperature": 39.2, "symptoms": ["ho"]}
    yesterday = {**body, "day": (today - timedelta(days=1)).isoformat()}
    assert (
        client.post(
            f"/api/v1/health/quarantine/cases/{case_id}/checkins", json=yesterday, headers=bearer(citizen)
        ).status_code
        == 422
    )
    assert (
        client.post(
            f"/api/v1/health/quarantine/cases/{case_id}/checkins", json=body, headers=bearer(stranger)
        ).status_code
        == 404  # someone else's case, as if there were none
    )
    warned = client.post(
        f"/api/v1/health/quarantine/cases/{case_id}/checkins", json=body, headers=bearer(citizen)
    )
    assert warned.status_code == 201 and warned.json() == {"warning": True}
    assert [e["kind"] for e in _events(db, "health.QuarantineAlertRaised")] == ["warning_symptoms"]
    hot = client.post(
        f"/api/v1/health/quarantine/cases/{case_id}/checkins",
        json={"temperature": 50},
        headers=bearer(citizen),
    )
    assert hot.status_code == 422
    with pytest.raises(Forbidden):
        service.release_case(
            db,
            actor=Actor(kind="user", name="c", user_id=citizen_id, roles=frozenset({("citizen", None)})),
            case_id=case_id,
        )


def test_periods_come_from_configuration(db, settings, city) -> None:  # type: ignore[no-untyped-def]
    from smartcity.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        service.open_case(
            db, settings, actor=Actor.system("t"), patient_id="x", disease="plague", kind="case"
        )
    with pytest.raises(ValidationFailed):  # dengue: no quarantine for contacts
        service.open_case(
            db, settings, actor=Actor.system("t"), patient_id="x", disease="dengue", kind="contact"
        )


def test_clusters_reach_the_operations_centre_and_public_counts_are_suppressed(
    client, db, settings, user_token
) -> None:  # type: ignore[no-untyped-def]
    _, manager = user_token("health_manager")
    for n in range(6):
        pid = _person(client, manager, f"07418100{n:04d}", "25768" if n < 5 else "25760")
        service.open_case(
            db,
            settings,
            actor=Actor.system("t"),
            patient_id=pid,
            disease="hfmd",
            kind="case",
            start=TODAY - timedelta(days=n % 3),
        )
    assert service.detect_clusters(db, settings, on=TODAY) == 1
    assert service.detect_clusters(db, settings, on=TODAY) == 0
    [event] = _events(db, "health.CasesClustered")
    assert event["ward_code"] == "25768" and event["cases"] == 5 and event["disease"] == "hfmd"
    counts = service.case_map(db, on=TODAY)
    assert counts["25768"] == 5 and counts["25760"] is None and counts["25747"] == 0
    curve = dict(service.epidemic_curve(db, start=TODAY - timedelta(days=2), end=TODAY))
    assert all(value is None or value == 0 or value >= 5 for value in curve.values())
    assert (
        sum(
            v or 0
            for v in dict(
                service.epidemic_curve(db, start=TODAY - timedelta(days=2), end=TODAY, public=False)
            ).values()
        )
        == 6
    )


def test_tasks_are_registered(db, settings, city) -> None:  # type: ignore[no-untyped-def]
    assert set(tasks.TASKS) == {"health.missed_checkins", "health.clusters", "health.reminders"}
    assert tasks.missed_checkins(db) == 0
