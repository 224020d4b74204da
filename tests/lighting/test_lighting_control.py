"""A group's lights switch on at tonight's dusk and off at dawn for its coordinates, confirmed by the
lamps' reported state; a lamp failure opens a ticket that a crew closes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from smartcity.core.errors import Conflict, ValidationFailed
from smartcity.core.outbox import OutboxMessage
from smartcity.core.pages import PageParams
from smartcity.iot import service as iot_service
from smartcity.lighting import service
from smartcity.lighting.schedule import ScheduleSpec, night_plan
from smartcity.lighting.schemas import ExceptionCreate, ScheduleCreate
from tests.lighting.conftest import LAT, LON, OPERATOR, STEPS, SYSTEM, lamps_follow, report

NIGHT = date(2026, 12, 5)


def _plan(settings):  # type: ignore[no-untyped-def]
    from smartcity.core.clock import city_zone

    return night_plan(ScheduleSpec.from_data(STEPS), lat=LAT, lon=LON, night=NIGHT, zone=city_zone(settings))


def _commands(db, device_id: str) -> list:  # type: ignore[no-untyped-def]
    return [(c.name, c.params) for c in reversed(iot_service.list_commands(db, device_id=device_id))]


def test_switch_on_at_dusk_and_off_at_dawn(db, settings, street, client, act_as) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(settings)
    assert service.plan_for(db, group=street, night=NIGHT).on_at == plan.on_at
    service.apply_schedules(db, now=plan.on_at - timedelta(minutes=1))  # before dusk: off
    assert _commands(db, "DEN-BD-1") == [("dim", {"dimLevel": 0})]
    assert service.apply_schedules(db, now=plan.on_at - timedelta(seconds=30)) == 0  # nothing changes
    service.apply_schedules(db, now=plan.on_at + timedelta(seconds=30))
    assert _commands(db, "DEN-BD-1")[-1] == ("dim", {"dimLevel": 100})
    assert _commands(db, "TU-BD")[-1] == ("switch", {"state": "on"})
    # not confirmed until the lamps report the new level
    assert service.confirm_states(db, now=plan.on_at + timedelta(minutes=1)) == 0
    assert "0/3" in service.get_group(db, group_id="G-BD-1").confirmation
    lamps_follow(db, plan.on_at + timedelta(minutes=2), 100)
    assert service.confirm_states(db, now=plan.on_at + timedelta(minutes=3)) == 1
    assert service.get_group(db, group_id="G-BD-1").confirmed_at is not None
    # 23:00 dims to 60, 01:00 to 40, dawn switches off
    for at, level in plan.steps[1:]:
        service.apply_schedules(db, now=at + timedelta(seconds=5))
        assert _commands(db, "DEN-BD-2")[-1] == ("dim", {"dimLevel": level})
    service.apply_schedules(db, now=plan.off_at + timedelta(seconds=5))
    assert _commands(db, "DEN-BD-3")[-1] == ("dim", {"dimLevel": 0})
    assert _commands(db, "TU-BD")[-1] == ("switch", {"state": "off"})
    # tonight's times are in the group's NGSI-LD entity and on its page
    act_as(OPERATOR)
    entity = client.get(
        "/ngsi-ld/v1/entities/urn:ngsi-ld:StreetlightGroup:G-BD-1", params={"options": "keyValues"}
    ).json()
    assert entity["type"] == "StreetlightGroup"
    assert entity["refStreetlightControlCabinet"] == "urn:ngsi-ld:StreetlightControlCabinet:TU-BD"
    assert entity["powerState"] == "off" and entity["dimLevel"] == 0


def test_the_confirmation_reads_in_the_pages_language(db, settings, street, client, act_as) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(settings)
    service.apply_schedules(db, now=plan.on_at + timedelta(seconds=30))
    act_as(OPERATOR)
    sent = "Level 100% sent to 3 lights; waiting for them to report back."
    assert sent in client.get("/can-bo/chieu-sang", params={"lang": "en"}).text
    service.confirm_states(db, now=plan.on_at + timedelta(minutes=1))
    assert (
        "0 of 3 lights reported the right level, 100%."
        in client.get("/can-bo/chieu-sang/nhom/G-BD-1", params={"lang": "en"}).text
    )
    lamps_follow(db, plan.on_at + timedelta(minutes=2), 100)
    service.confirm_states(db, now=plan.on_at + timedelta(minutes=3))
    # the API and the Vietnamese page keep the Vietnamese sentence; the English page says it in English
    assert service.get_group(db, group_id="G-BD-1").confirmation == "Tất cả 3 đèn đã báo đúng mức 100 %."
    vietnamese = client.get("/can-bo/chieu-sang", params={"lang": "vi"}).text
    english = client.get("/can-bo/chieu-sang", params={"lang": "en"}).text
    assert "Tất cả 3 đèn đã báo đúng mức 100 %." in vietnamese
    assert "All 3 lights reported the right level, 100%." in english and "đã báo đúng mức" not in english
    assert "All 3 lights reported" in client.get("/can-bo/chieu-sang/nhom/G-BD-1", params={"lang": "en"}).text


def test_a_confirmation_is_read_back_with_its_numbers_written_the_pages_way() -> None:
    from smartcity.core.i18n import get_translations
    from smartcity.lighting.service.control import confirmation_in_words

    said = confirmation_in_words("Tất cả 1.250 đèn đã báo đúng mức 70 %.")
    assert said == "Tất cả 1.250 đèn đã báo đúng mức 70 %."
    assert (
        get_translations("en", "lighting").gettext(said) == "All 1,250 lights reported the right level, 70%."
    )
    assert (
        get_translations("en", "lighting").gettext(
            confirmation_in_words("1250/1300 đèn đã báo đúng mức 0 %.")
        )
        == "1,250 of 1,300 lights reported the right level, 0%."
    )
    assert confirmation_in_words("Đèn đã báo.") == "Đèn đã báo." and confirmation_in_words(None) == ""


def test_group_entity_carries_tonights_times(db, settings, street, client, act_as) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(settings)
    service.apply_schedules(db, now=plan.on_at + timedelta(minutes=1))
    act_as(OPERATOR)
    entity = client.get(
        "/ngsi-ld/v1/entities/urn:ngsi-ld:StreetlightGroup:G-BD-1", params={"options": "keyValues"}
    ).json()
    on_local = plan.on_at.strftime("%H:%M")
    off_local = plan.off_at.strftime("%H:%M")
    assert entity["switchingOnHours"] == f"{on_local}-{off_local}"
    assert entity["dateNextSwitchingOn"].startswith(f"2026-12-05T{on_local}")
    assert entity["dateNextSwitchingOff"].startswith(f"2026-12-06T{off_local}")
    light = client.get(
        "/ngsi-ld/v1/entities/urn:ngsi-ld:Streetlight:DEN-BD-1", params={"options": "keyValues"}
    ).json()
    assert light["refStreetlightGroup"] == "urn:ngsi-ld:StreetlightGroup:G-BD-1"


def test_override_tonight(db, settings, street) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(settings)
    service.add_exception(
        db,
        actor=OPERATOR,
        data=ExceptionCreate(group_id="G-BD-1", night=NIGHT, name="Tiết kiệm điện", level=50, off_at="04:00"),
    )
    tonight = service.plan_for(db, group=street, night=NIGHT)
    assert tonight.reason == "Điều chỉnh của cán bộ: Tiết kiệm điện"
    service.apply_schedules(db, now=plan.on_at + timedelta(minutes=1))
    assert _commands(db, "DEN-BD-1")[-1] == ("dim", {"dimLevel": 50})
    with pytest.raises(Conflict, match="05/12/2026"):
        service.add_exception(
            db, actor=OPERATOR, data=ExceptionCreate(night=NIGHT, name="Toàn thành phố", level=70)
        )
    with pytest.raises(ValidationFailed):
        service.add_exception(db, actor=OPERATOR, data=ExceptionCreate(night=NIGHT, name="Không nói gì"))


def test_conflicting_schedule_is_refused_in_words(db, settings) -> None:  # type: ignore[no-untyped-def]
    bad = {"steps": [{"at": "23:00", "level": 60}, {"at": "23:00", "level": 40}]}
    with pytest.raises(ValidationFailed, match="trùng giờ"):
        service.create_schedule(db, actor=SYSTEM, data=ScheduleCreate(name="Sai", spec=bad))
    assert service.list_schedules(db) == []


def test_lamp_failure_opens_a_ticket_a_crew_closes(db, settings, street) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(settings)
    service.apply_schedules(db, now=plan.on_at + timedelta(seconds=30))
    lamps_follow(db, plan.on_at + timedelta(minutes=20), 100, broken=("DEN-BD-2",))
    opened = service.detect_faults(db, now=plan.on_at + timedelta(minutes=21))
    assert opened == 1
    [ticket] = service.list_tickets(db, paging=PageParams(), state="active").items
    assert (ticket.asset_id, ticket.fault, ticket.state) == ("DEN-BD-2", "lamp_failure", "open")
    assert "0 W" in ticket.description
    # the same fault again does not open a second ticket
    lamps_follow(db, plan.on_at + timedelta(minutes=25), 100, broken=("DEN-BD-2",))
    assert service.detect_faults(db, now=plan.on_at + timedelta(minutes=26)) == 0
    with pytest.raises(ValidationFailed):
        service.close_ticket(db, actor=OPERATOR, ticket_id=ticket.id, resolution="?")
    service.assign_ticket(db, actor=OPERATOR, ticket_id=ticket.id, crew="Tổ sửa chữa chiếu sáng số 1")
    service.add_note(db, actor=OPERATOR, ticket_id=ticket.id, text="Đã đến hiện trường, thay bộ nguồn LED.")
    closed = service.close_ticket(db, actor=OPERATOR, ticket_id=ticket.id, resolution="Thay bộ nguồn 120 W")
    assert closed.state == "closed" and closed.closed_by and len(closed.notes) == 3
    with db.session() as s:
        names = [m.event_type for m in s.query(OutboxMessage)]
    assert "lighting.FaultDetected" in names and "lighting.TicketClosed" in names


def test_cabinet_faults_and_daylight(db, settings, street) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(settings)
    noon = plan.on_at.replace(hour=12, minute=0)
    report(db, "TU-BD", noon, {"doorOpen": True, "voltage": 12.0, "contactorState": "off"})
    lamps_follow(db, noon, 100)  # lamps burning at noon
    service.apply_schedules(db, now=noon)
    assert service.detect_faults(db, now=noon + timedelta(minutes=1)) == 5
    faults = {t.fault for t in service.list_tickets(db, paging=PageParams(), state="active").items}
    assert faults == {"cabinet_door_open", "supply_lost", "on_in_daylight"}


def test_no_false_alarm_for_healthy_dimmed_lamps(db, settings, street) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(settings)
    at = plan.steps[1][0] + timedelta(minutes=30)  # 23:30, dimmed to 60 %
    service.apply_schedules(db, now=at)
    lamps_follow(db, at, 60)
    assert service.detect_faults(db, now=at + timedelta(minutes=1)) == 0
    # right after a switch the lamps have a grace period
    lamps_follow(db, plan.on_at + timedelta(minutes=1), 0)
    assert service.detect_faults(db, now=plan.on_at + timedelta(minutes=2)) == 0


def test_energy_and_savings(db, settings, street) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(settings)
    # hourly reports through the night at the plan's level
    at = plan.on_at.replace(minute=30) if plan.on_at.minute < 30 else plan.on_at + timedelta(minutes=5)
    while at < plan.off_at:
        lamps_follow(db, at, plan.level_at(at))
        at += timedelta(hours=1)
    day = date(2026, 12, 6)
    assert service.compute_energy(db, day=day) == 3
    [row] = service.energy(db, by="group", period="day", since=day, until=day)
    assert row.kwh < row.baseline_kwh and row.saving_pct is not None and 20 < row.saving_pct < 70
