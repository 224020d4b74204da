"""Lighting demo and pages: tonight's times on the group page, a ticket a crew closes through the pages."""

from __future__ import annotations

import re
from datetime import timedelta

from smartcity.core import clock
from smartcity.core.pages import PageParams
from smartcity.core.security import Actor
from smartcity.iot import service as iot_service
from smartcity.lighting import demo, service
from tests.lighting.conftest import CITIZEN, OPERATOR


def test_demo_inventory_and_the_group_page(db, settings, client, act_as) -> None:  # type: ignore[no-untyped-def]
    summary = demo.load_demo(db, settings=settings, actor=Actor.system("demo"))  # timed in bench/, not here
    assert (
        demo.load_demo(db, settings=settings, actor=Actor.system("demo"))
        == "lighting inventory already there"
    )
    assert "72 lights" in summary
    # the broken lamp was found by the night's check; healthy lamps raised nothing
    active = service.list_tickets(db, paging=PageParams(), state="active").items
    assert [(t.asset_id, t.fault) for t in active] == [(demo.BROKEN, "lamp_failure")]
    assert len(service.list_tickets(db, paging=PageParams(), state="closed").items) == 3
    # energy for every day of the last week, with savings from dimming
    rows = service.energy(
        db,
        by="street",
        period="day",
        since=clock.today(settings) - timedelta(days=8),
        until=clock.today(settings),
    )
    assert len({r.period for r in rows}) >= 7 and all(r.kwh <= r.baseline_kwh * 1.05 for r in rows)
    # nothing is dated after now
    now = clock.now()
    states = iot_service.latest_state(db, device_ids=[light.id for light in service.list_lights(db)])
    assert all(seen <= now for values in states.values() for _v, seen in values.values())
    act_as(OPERATOR)
    assert client.get("/can-bo/chieu-sang").status_code == 200
    group = service.get_group(db, group_id="G-BD-1")
    moment = service.moment_for(db, group=group, now=now)
    page = client.get("/can-bo/chieu-sang/nhom/G-BD-1")
    assert page.status_code == 200
    on_text = clock.local(moment.plan.on_at, settings).strftime("%H:%M %d/%m/%Y")
    off_text = clock.local(moment.plan.off_at, settings).strftime("%H:%M %d/%m/%Y")
    assert re.search(rf'id="switch-on">{on_text}<', page.text) and re.search(
        rf'id="switch-off">{off_text}<', page.text
    )
    english = client.get("/can-bo/chieu-sang/nhom/G-BD-1", params={"lang": "en"})
    assert "Switch on" in english.text and "Override the schedule for one night" in english.text
    entity = client.get(
        "/ngsi-ld/v1/entities/urn:ngsi-ld:StreetlightGroup:G-BD-1", params={"options": "keyValues"}
    ).json()
    assert entity["dateNextSwitchingOn"][:16] == clock.local(moment.plan.on_at, settings).isoformat()[:16]


def test_operator_overrides_tonight_and_closes_a_ticket(db, settings, client, act_as) -> None:  # type: ignore[no-untyped-def]
    demo.load_demo(db, settings=settings, actor=Actor.system("demo"))
    act_as(OPERATOR)
    group = service.get_group(db, group_id="G-YS-1")
    night = service.moment_for(db, group=group, now=clock.now()).plan.night
    answer = client.post(
        "/can-bo/chieu-sang/nhom/G-YS-1/dieu-chinh",
        data={"night": night.isoformat(), "name": "Lễ hội đường phố", "level": "100", "off_at": "04:30"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert service.plan_for(db, group=group, night=night).reason == "Điều chỉnh của cán bộ: Lễ hội đường phố"
    again = client.post(
        "/can-bo/chieu-sang/nhom/G-YS-1/dieu-chinh",
        data={"night": night.isoformat(), "name": "Trùng", "level": "50"},
        headers={"Accept": "text/html"},
    )
    assert again.status_code == 409 and "mâu thuẫn" in again.text
    [ticket] = service.list_tickets(db, paging=PageParams(), state="active").items
    page = client.get(f"/can-bo/chieu-sang/phieu/{ticket.id}")
    assert "Đèn không có dòng điện khi phải sáng" in page.text
    client.post(f"/can-bo/chieu-sang/phieu/{ticket.id}/giao", data={"crew": "Tổ sửa chữa chiếu sáng số 2"})
    client.post(f"/can-bo/chieu-sang/phieu/{ticket.id}/ghi-chu", data={"text": "Thay bộ nguồn"})
    done = client.post(
        f"/can-bo/chieu-sang/phieu/{ticket.id}/dong", data={"resolution": "Đã thay bộ nguồn LED"}
    )
    assert done.status_code == 200 and "Đã xong" in done.text
    assert service.get_ticket(db, ticket_id=ticket.id).state == "closed"


def test_lighting_pages_need_an_operator(db, settings, client, act_as) -> None:  # type: ignore[no-untyped-def]
    act_as(CITIZEN)
    assert client.get("/can-bo/chieu-sang").status_code == 403
    assert client.get("/api/v1/lighting/tickets").status_code == 403
