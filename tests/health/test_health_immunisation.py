"""The TCMR schedule as data, a child's status, overdue lists by ward, reminders to parents, coverage."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from smartcity.accounts import service as accounts_service
from smartcity.core import clock
from smartcity.core.outbox import OutboxMessage
from smartcity.core.security import Actor
from smartcity.health import service
from smartcity.health.events import ImmunisationReminderDue
from smartcity.health.service.immunisation import child_schedule, vaccine_coding
from smartcity.notifications import handlers as notification_handlers
from smartcity.notifications.models import Message
from tests.health.conftest import NATIONAL, bearer, patient

BORN = date(2026, 1, 10)


def test_schedule_is_data_with_ages_and_intervals() -> None:
    doses = {(d.vaccine, d.dose): d for d in service.schedule()}
    assert doses[("VGB0", 1)].age == 0 and doses[("VGB0", 1)].latest == 1
    assert [doses[("DPT-VGB-HIB", n)].age for n in (1, 2, 3)] == [60, 90, 120]
    assert doses[("DPT-VGB-HIB", 2)].min_interval == 28
    assert doses[("SOI", 1)].age == 270 and doses[("MR", 1)].age == 540 and doses[("DPT4", 1)].age == 540
    assert ("VNNB", 3) in doses and ("BCG", 1) in doses and ("IPV", 2) in doses


def test_child_status_respects_minimum_intervals() -> None:
    given = {"VGB0": [BORN], "BCG": [BORN + timedelta(days=3)], "DPT-VGB-HIB": [BORN + timedelta(days=100)]}
    status = {
        (s.dose.vaccine, s.dose.dose): s for s in child_schedule(BORN, given, BORN + timedelta(days=110))
    }
    assert status[("VGB0", 1)].state == "given"
    assert status[("DPT-VGB-HIB", 2)].due == BORN + timedelta(days=128)  # 28 days after dose 1, not day 90
    assert status[("DPT-VGB-HIB", 2)].state == "upcoming"
    assert status[("OPV", 1)].state == "overdue"  # due at 60 days, 30 days' grace passed at day 110
    early = {(s.dose.vaccine, s.dose.dose): s for s in child_schedule(BORN, given, BORN + timedelta(days=80))}
    assert early[("OPV", 1)].state == "due" and early[("IPV", 1)].state == "upcoming"
    later = {
        (s.dose.vaccine, s.dose.dose): s for s in child_schedule(BORN, given, BORN + timedelta(days=200))
    }
    assert later[("OPV", 1)].state == "overdue" and later[("SOI", 1)].state == "upcoming"


def test_overdue_list_reminders_and_the_parents_view(client, db, settings, user_token) -> None:  # type: ignore[no-untyped-def]
    _, manager = user_token("health_manager")
    parent = client.post(
        "/fhir/R4/Patient",
        json=patient("074190006666", "Ngô", "Thị Hoa", "1992-02-02"),
        headers=bearer(manager),
    ).json()["id"]
    contact = [
        {
            "relationship": [
                {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "MTH"}]}
            ],
            "extension": [
                {
                    "url": "http://thudaumot.gov.vn/fhir/StructureDefinition/contact-identifier",
                    "valueIdentifier": {"system": NATIONAL, "value": "074190006666"},
                }
            ],
            "name": {"family": "Ngô", "given": ["Thị", "Hoa"]},
        }
    ]
    born = date.today() - timedelta(days=150)
    child = client.post(
        "/fhir/R4/Patient",
        json=patient("074326000001", "Ngô", "Bảo An", born.isoformat(), contact=contact),
        headers=bearer(manager),
    ).json()["id"]
    shot = {
        "resourceType": "Immunization",
        "status": "completed",
        "vaccineCode": vaccine_coding("VGB0"),
        "patient": {"reference": f"Patient/{child}"},
        "occurrenceDateTime": born.isoformat(),
    }
    assert client.post("/fhir/R4/Immunization", json=shot, headers=bearer(manager)).status_code == 201
    parent_user = accounts_service.create_user(
        db,
        actor=Actor.system("t"),
        username="ngothihoa",
        password="correct horse battery",
        email="hoa@example.vn",
        phone="0912345678",
        roles=[("citizen", None)],
        secret=settings.resolved_secret_key,
    ).id
    service.link_person(db, actor=Actor.system("t"), user_id=parent_user, patient_id=parent)
    assert service.children_of_user(db, parent_user) == [child]

    overdue = service.overdue_children(db, settings, on=date.today(), wards={"25747"})
    assert [c.patient_id for c in overdue] == [child]
    assert {s.dose.vaccine for s in overdue[0].overdue} >= {"BCG", "DPT-VGB-HIB", "OPV"}
    assert "VGB0" not in {s.dose.vaccine for s in overdue[0].overdue}
    assert overdue[0].name == "Ngô Bảo An"
    assert service.overdue_children(db, settings, on=date.today(), wards={"25750"}) == []

    other_parent, _ = user_token("citizen")
    service.link_person(
        db, actor=Actor.system("t"), user_id=other_parent, patient_id=parent
    )  # a second account
    service.set_consent(
        db, actor=Actor.system("t"), user_id=parent_user, purpose="immunisation-reminders", given=True
    )
    zone = clock.city_zone(settings)
    night = datetime.combine(date.today(), time(23, 30), tzinfo=zone)
    assert service.send_reminders(db, settings, on=date.today(), now=night) == 0  # nobody is woken up
    morning = datetime.combine(date.today(), time(9, 0), tzinfo=zone)
    sent = service.send_reminders(db, settings, on=date.today(), now=morning)
    assert sent >= 5
    assert service.send_reminders(db, settings, on=date.today(), now=morning) == 0  # once a dose
    with db.session() as s:
        events = [
            m.payload
            for m in s.scalars(
                select(OutboxMessage).where(OutboxMessage.event_type == "health.ImmunisationReminderDue")
            )
        ]
    assert len(events) == sent and all(e["guardian_user_ids"] == [parent_user] for e in events)
    with db.session() as s:
        messages = s.scalars(select(Message).order_by(Message.id)).all()
    by_channel = {kind: [m for m in messages if m.channel == kind] for kind in ("in-page", "email", "sms")}
    assert {m.recipient for m in by_channel["in-page"]} == {"user:ngothihoa"}  # not the unconsented account
    assert {m.recipient for m in by_channel["email"]} == {"email:hoa@example.vn"}
    assert {m.recipient for m in by_channel["sms"]} == {"sms:0912345678"}
    assert all(len(found) == sent for found in by_channel.values()), "one message a dose and channel"
    assert all(m.status == "sent" and m.link == "/suc-khoe" for m in messages)
    assert all("Ngô" not in m.body and "074" not in m.body for m in messages), "no name or ID in a message"
    assert any("BCG" in m.subject and "quá hạn" in m.body for m in by_channel["in-page"])
    replay = ImmunisationReminderDue.from_payload(events[0])
    notification_handlers.immunisation_reminder(replay, db)  # an outbox replay sends nothing twice
    with db.session() as s:
        assert len(s.scalars(select(Message)).all()) == len(messages)

    coverage = {(c.vaccine, c.dose, c.ward_code): c for c in service.immunisation_coverage(db, date.today())}
    assert coverage[("VGB0", 1, None)].vaccinated == 1 and coverage[("BCG", 1, None)].vaccinated == 0
