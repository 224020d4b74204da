"""Street-lighting pages for operators: map and groups, a group's night (times, steps, override), tickets."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from smartcity.core import clock
from smartcity.core.db import Database
from smartcity.core.numbers import number
from smartcity.core.pages import PageParams
from smartcity.core.security import Actor
from smartcity.iot import service as iot_service
from smartcity.lighting import service
from smartcity.lighting.config import LightingSettings
from smartcity.lighting.faults import FAULT_NAMES
from smartcity.lighting.schedule import EVENT_NAMES
from smartcity.lighting.schemas import ExceptionCreate
from smartcity.lighting.service.control import confirmation_in_words
from smartcity.web.deps import DbDep, SettingsDep, require_role_in, scoped_link
from smartcity.web.templating import render, request_locale

router = APIRouter(include_in_schema=False)
MOVED = {"/static/js/lighting-map.js": "/lighting/static/lighting-map.js"}
STAFF_LINKS = (
    scoped_link("Chiếu sáng công cộng", "/can-bo/chieu-sang", ("operator",), service.OPERATOR_UNITS),
    scoped_link(
        "Phiếu sửa chữa đèn đường", "/can-bo/chieu-sang/phieu", ("operator",), service.OPERATOR_UNITS
    ),
)
Operator = Annotated[
    Actor, Depends(require_role_in(("operator",), service.OPERATOR_UNITS, refusal=service.OPERATOR_REFUSAL))
]
CHART_W, CHART_H = 640, 160


def _group_rows(db: Database, now: datetime) -> list[dict[str, Any]]:
    open_tickets = service.list_tickets(db, paging=PageParams(limit=500), state="active").items
    per_group: dict[str | None, int] = {}
    for ticket in open_tickets:
        per_group[ticket.group_id] = per_group.get(ticket.group_id, 0) + 1
    rows = []
    for group in service.list_groups(db):
        moment = service.moment_for(db, group=group, now=now)
        rows.append(
            {
                "group": group,
                "plan": moment.plan,
                "lights": len(service.list_lights(db, group_id=group.id)),
                "tickets": per_group.get(group.id, 0),
                "confirmation": confirmation_in_words(group.confirmation),
            }
        )
    return rows


# state of a light on the overview map -> (colour, Vietnamese legend label); the map and its legend share it
LIGHT_STATES: dict[str, tuple[str, str]] = {
    "on": ("#f2b01e", "Đèn đang sáng"),
    "off": ("#607d8b", "Đèn đang tắt"),
    "broken": ("#d93025", "Đèn hỏng, chờ sửa"),
}


def _light_legend() -> list[dict[str, str]]:
    """One legend entry per state a light can have on the map."""
    return [
        {"layer": "lights", "label": label, "colour": colour, "shape": "dot"}
        for colour, label in LIGHT_STATES.values()
    ]


def _features(db: Database) -> list[dict[str, Any]]:
    lights = service.list_lights(db)
    states = iot_service.latest_state(db, device_ids=[light.id for light in lights])
    broken = {
        t.asset_id for t in service.list_tickets(db, paging=PageParams(limit=500), state="active").items
    }
    features = []
    for light in lights:
        power = states.get(light.id, {}).get("powerConsumption", (None, None))[0]
        state = "broken" if light.id in broken else ("on" if power and power > 5 else "off")
        colour = LIGHT_STATES[state][0]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [light.lon, light.lat]},
                "properties": {"id": light.id, "group": light.group_id, "colour": colour},
            }
        )
    return features


@router.get("/can-bo/chieu-sang", response_class=HTMLResponse)
def overview(request: Request, db: DbDep, settings: SettingsDep, actor: Operator) -> HTMLResponse:
    """The lights on a map, every group with tonight's times and state, energy of the last seven days."""
    today = clock.today(settings)
    energy = service.energy(db, by="street", period="day", since=today - timedelta(days=7), until=today)
    streets: dict[str, list[float]] = {}
    for row in energy:
        streets.setdefault(row.key, [0.0, 0.0])
        streets[row.key][0] += row.kwh
        streets[row.key][1] += row.baseline_kwh
    return render(
        request,
        "lighting/overview.html",
        {
            "rows": _group_rows(db, clock.now()),
            "points": _features(db),
            "legend": _light_legend(),
            "base_map_style_url": settings.base_map_style_url,
            "streets": streets,
        },
    )


def _energy_bars(rows: list[Any], locale: str) -> list[dict[str, Any]]:
    if not rows:
        return []
    top = max(max(r.baseline_kwh, r.kwh) for r in rows) or 1
    width = CHART_W / len(rows)
    bars = []
    for i, row in enumerate(rows):
        label = datetime.strptime(row.period, "%Y-%m-%d").strftime("%d/%m")
        bars.append(
            {
                "x": round(i * width, 1),
                "w": round(width * 0.8, 1),
                "base": round(row.baseline_kwh / top * (CHART_H - 20), 1),
                "used": round(row.kwh / top * (CHART_H - 20), 1),
                "label": label,
                "title": f"{label}: {number(row.kwh, 1, locale)} kWh / "
                f"{number(row.baseline_kwh, 1, locale)} kWh",
            }
        )
    return bars


@router.get("/can-bo/chieu-sang/nhom/{group_id}", response_class=HTMLResponse)
def group_page(
    group_id: str, request: Request, db: DbDep, settings: SettingsDep, actor: Operator
) -> HTMLResponse:
    """A group: tonight's switch-on and -off for its place, the dimming steps, lights, override, energy."""
    group = service.get_group(db, group_id=group_id)
    now = clock.now()
    moment = service.moment_for(db, group=group, now=now)
    lights = service.list_lights(db, group_id=group.id)
    states = iot_service.latest_state(db, device_ids=[light.id for light in lights])
    today = clock.today(settings)
    energy = service.energy(
        db, by="group", period="day", since=today - timedelta(days=7), until=today, group_id=group.id
    )
    schedule = service.get_schedule(db, schedule_id=group.schedule_id)
    return render(
        request,
        "lighting/group.html",
        {
            "group": group,
            "confirmation": confirmation_in_words(group.confirmation),
            "plan": moment.plan,
            "schedule": schedule,
            "events": EVENT_NAMES,
            "lights": lights,
            "states": states,
            "exceptions": service.list_exceptions(db, since=today - timedelta(days=1), group_id=group.id),
            "tickets": service.list_tickets(db, paging=PageParams(limit=20), group_id=group.id).items,
            "faults": FAULT_NAMES,
            "ticket_states": service.TICKET_STATES,
            "bars": _energy_bars(energy, request_locale(request)),
            "energy": energy,
            "w": CHART_W,
            "h": CHART_H,
            "tonight": moment.plan.night,
        },
    )


@router.post("/can-bo/chieu-sang/nhom/{group_id}/dieu-chinh")
def override_tonight(
    group_id: str,
    db: DbDep,
    actor: Operator,
    night: Annotated[date, Form(title="Đêm")],
    name: Annotated[str, Form()],
    level: Annotated[str, Form()] = "",
    on_at: Annotated[str, Form()] = "",
    off_at: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Override a group's schedule for one night (level and/or times), then back to the group."""
    data = ExceptionCreate(
        group_id=group_id,
        night=night,
        kind="override",
        name=name,
        level=int(level) if level.strip() else None,
        on_at=on_at or None,
        off_at=off_at or None,
    )
    service.add_exception(db, actor=actor, data=data)
    service.apply_schedules(db)
    return RedirectResponse(f"/can-bo/chieu-sang/nhom/{group_id}", status_code=303)


@router.post("/can-bo/chieu-sang/ngoai-le/{exception_id}/xoa")
def remove_override(
    exception_id: int, db: DbDep, actor: Operator, group_id: Annotated[str, Form()]
) -> RedirectResponse:
    """Remove an override, then back to the group."""
    service.remove_exception(db, actor=actor, exception_id=exception_id)
    service.apply_schedules(db)
    return RedirectResponse(f"/can-bo/chieu-sang/nhom/{group_id}", status_code=303)


@router.get("/can-bo/chieu-sang/phieu", response_class=HTMLResponse)
def tickets(
    request: Request, db: DbDep, actor: Operator, state: str = "active", page: int = 1
) -> HTMLResponse:
    """Maintenance tickets: open and assigned first."""
    found = service.list_tickets(db, paging=PageParams.for_page(page), state=state or None)
    return render(
        request,
        "lighting/tickets.html",
        {"page": found, "faults": FAULT_NAMES, "states": service.TICKET_STATES, "state": state},
    )


@router.get("/can-bo/chieu-sang/phieu/{ticket_id}", response_class=HTMLResponse)
def ticket_page(
    ticket_id: int, request: Request, db: DbDep, settings: SettingsDep, actor: Operator
) -> HTMLResponse:
    """A ticket with its work notes and the crew's actions: assign, note, close."""
    ticket = service.get_ticket(db, ticket_id=ticket_id)
    return render(
        request,
        "lighting/ticket.html",
        {
            "ticket": ticket,
            "faults": FAULT_NAMES,
            "states": service.TICKET_STATES,
            "crews": settings.section(LightingSettings).crews,
            "group": service.get_group(db, group_id=ticket.group_id) if ticket.group_id else None,
        },
    )


@router.post("/can-bo/chieu-sang/phieu/{ticket_id}/giao")
def assign(
    ticket_id: int,
    db: DbDep,
    actor: Operator,
    crew: Annotated[str, Form()],
    due_on: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Assign a ticket to a crew."""
    due = date.fromisoformat(due_on) if due_on else None
    service.assign_ticket(db, actor=actor, ticket_id=ticket_id, crew=crew, due_on=due)
    return RedirectResponse(f"/can-bo/chieu-sang/phieu/{ticket_id}", status_code=303)


@router.post("/can-bo/chieu-sang/phieu/{ticket_id}/ghi-chu")
def note(ticket_id: int, db: DbDep, actor: Operator, text: Annotated[str, Form()]) -> RedirectResponse:
    """Add a work note."""
    service.add_note(db, actor=actor, ticket_id=ticket_id, text=text)
    return RedirectResponse(f"/can-bo/chieu-sang/phieu/{ticket_id}", status_code=303)


@router.post("/can-bo/chieu-sang/phieu/{ticket_id}/dong")
def close(ticket_id: int, db: DbDep, actor: Operator, resolution: Annotated[str, Form()]) -> RedirectResponse:
    """Close a ticket with what was done."""
    service.close_ticket(db, actor=actor, ticket_id=ticket_id, resolution=resolution)
    return RedirectResponse(f"/can-bo/chieu-sang/phieu/{ticket_id}", status_code=303)
