"""Operator pages: device list and map, device page (live values, chart, commands), alarms. Thin."""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartcity.city import service as city_service
from smartcity.core import clock as core_clock
from smartcity.core.db import utcnow
from smartcity.core.errors import AppError, Forbidden, Unauthorized
from smartcity.core.security import Actor
from smartcity.iot import service, wording
from smartcity.iot.auth import current_actor
from smartcity.iot.device_types import device_types, get_device_type
from smartcity.iot.schemas import CommandCreate
from smartcity.web.deps import get_db, get_settings
from smartcity.web.templating import render

router = APIRouter(include_in_schema=False)
# Staff pages moved under /can-bo (old addresses redirect permanently).
MOVED = {
    "/iot/devices": "/can-bo/thiet-bi",
    "/iot/alarms": "/can-bo/canh-bao-thiet-bi",
    "/static/js/iot-devices.js": "/iot/static/iot-devices.js",
    "/static/js/iot-device-live.js": "/iot/static/iot-device-live.js",
}
STAFF_LINKS = (
    {"label": "Thiết bị IoT", "href": "/can-bo/thiet-bi", "roles": ("operator",)},
    {"label": "Cảnh báo thiết bị", "href": "/can-bo/canh-bao-thiet-bi", "roles": ("operator",)},
)
PAGE_SIZE = 100
CHART_WIDTH, CHART_HEIGHT = 640, 180


def clock(request: Request) -> dict[str, Any]:
    """The city's zone (settings.timezone), for the live refresh writing times in it; and the words for
    the codes the pages show (iot.wording)."""
    zone = core_clock.city_zone(get_settings(request))
    return {"zone_name": zone.key, "words": wording}


def ward_names(request: Request, codes: Any) -> dict[str, str]:
    """The names of the wards with these codes today ("Phường Thủ Dầu Một"); a code the city pack does not
    know today is left out (the page shows a dash, never the code)."""
    today = core_clock.today(get_settings(request))
    names = {code: city_service.unit_name_on(code, today) for code in set(codes) if code}
    return {code: name for code, name in names.items() if name}


def _operator(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
    if not actor.is_authenticated:
        raise Unauthorized("Vui lòng đăng nhập bằng tài khoản cán bộ vận hành.")
    if not actor.has_role("operator"):
        raise Forbidden("Trang này dành cho nhân viên vận hành của Trung tâm điều hành (IOC).")
    return actor


Operator = Annotated[Actor, Depends(_operator)]


@router.get("/can-bo/thiet-bi", response_class=HTMLResponse)
def devices_page(
    request: Request,
    actor: Operator,
    type: str | None = None,
    status: str | None = None,
    q: str | None = None,
    offset: int = 0,
) -> HTMLResponse:
    """Devices in a table and on a map, with their last report and rejected messages."""
    db = get_db(request)
    where = service.DeviceFilter(type=type or None, status=status or None, q=q or None)
    items, total = service.list_devices(db, where=where, limit=PAGE_SIZE, offset=max(offset, 0))
    health = service.device_health(db, device_ids=[d.id for d in items])
    open_alarms = service.alarmed_device_ids(db)
    return render(
        request,
        "iot/devices.html",
        {
            "devices": items,
            "health": health,
            "total": total,
            "offset": offset,
            "page_size": PAGE_SIZE,
            "types": device_types(),
            "filters": {"type": type or "", "status": status or "", "q": q or ""},
            "open_alarms": open_alarms,
            "ward_names": ward_names(request, (d.ward_code for d in items)),
            "base_map_style_url": get_settings(request).base_map_style_url,
            **clock(request),
        },
    )


@router.get("/can-bo/thiet-bi/ban-do.geojson")
def devices_map(
    request: Request,
    actor: Operator,
    type: str | None = None,
    status: str | None = None,
    q: str | None = None,
) -> Response:
    """Every located device the list's filter matches (not only the listed page), for the page's map."""
    db = get_db(request)
    where = service.DeviceFilter(type=type or None, status=status or None, q=q or None)
    alarmed = service.alarmed_device_ids(db)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"id": device_id, "type": kind, "alarm": device_id in alarmed},
        }
        for device_id, kind, lon, lat in service.device_points(db, where=where)
    ]
    body = json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":"))
    return Response(body, media_type="application/geo+json")


@router.get("/can-bo/thiet-bi/{device_id}", response_class=HTMLResponse)
def device_page(device_id: str, request: Request, actor: Operator, key: str | None = None) -> HTMLResponse:
    """One device: latest values (refreshed live), a 48-hour chart, commands, alarms."""
    db = get_db(request)
    device = service.get_device(db, device_id=device_id)
    kind = get_device_type(device.type)
    state = service.latest_state(db, device_ids=[device_id])[device_id]
    numeric = [k.name for k in kind.keys if k.kind == "number"]
    chart_key = key if key in numeric else next((k for k in numeric if k in state), None)
    series = (
        service.aggregates(
            db, device_id=device_id, key=chart_key, interval="hour", start=utcnow() - timedelta(hours=48)
        )
        if chart_key
        else []
    )
    return render(
        request,
        "iot/device.html",
        {
            "device": device,
            "kind": kind,
            "state": state,
            "chart_key": chart_key,
            "numeric_keys": numeric,
            "chart": chart_points(series),
            "commands": service.list_commands(db, device_id=device_id, limit=20),
            "alarms": service.list_alarms(db, device_id=device_id, limit=20)[0],
            "rejections": service.rejections(db, device_id=device_id),
            "ward_names": ward_names(request, [device.ward_code]),
            "message": request.query_params.get("message"),
            **clock(request),
        },
    )


def chart_points(series: list[dict[str, Any]]) -> dict[str, Any] | None:
    """An SVG polyline of hourly averages with its min/max labels (no JavaScript needed)."""
    values = [(p["start"], p["avg"]) for p in series if p["avg"] is not None]
    if len(values) < 2:
        return None
    low, high = min(v for _, v in values), max(v for _, v in values)
    span = (high - low) or 1.0
    first, last = values[0][0].timestamp(), values[-1][0].timestamp()
    width = (last - first) or 1.0
    points = " ".join(
        f"{(t.timestamp() - first) / width * CHART_WIDTH:.1f},"
        f"{CHART_HEIGHT - (v - low) / span * CHART_HEIGHT:.1f}"
        for t, v in values
    )
    return {
        "points": points,
        "low": low,
        "high": high,
        "start": values[0][0],
        "end": values[-1][0],
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
    }


@router.post("/can-bo/thiet-bi/{device_id}/commands")
def post_command(
    device_id: str,
    request: Request,
    actor: Operator,
    name: Annotated[str, Form()],
    value: Annotated[str, Form()] = "",
) -> Response:
    """The command panel: dim to a level or switch on/off."""
    params: dict[str, Any] = {}
    if name == "dim":
        params = {"dimLevel": float(value) if value.replace(".", "", 1).isdigit() else value}
    elif name == "switch":
        params = {"state": value}
    try:
        data = CommandCreate(name=name, params=params, device_ids=[device_id])
        service.send_commands(get_db(request), actor=actor, data=data)
        message = "sent"
    except (AppError, ValueError):
        message = "rejected"
    return RedirectResponse(f"/can-bo/thiet-bi/{quote(device_id)}?message={message}", status_code=303)


@router.get("/can-bo/canh-bao-thiet-bi", response_class=HTMLResponse)
def alarms_page(request: Request, actor: Operator, state: str = "open") -> HTMLResponse:
    """Open (or all) alarms, newest first, with acknowledge and clear buttons."""
    wanted = None if state == "all" else state
    items, total = service.list_alarms(get_db(request), state=wanted, limit=200)
    context = {"alarms": items, "total": total, "state": state, **clock(request)}
    return render(request, "iot/alarms.html", context)


@router.post("/can-bo/canh-bao-thiet-bi/{alarm_id}/{action}")
def alarm_action(alarm_id: int, action: str, request: Request, actor: Operator) -> Response:
    """Acknowledge or clear an alarm from the alarm page."""
    act = {"acknowledge": service.acknowledge_alarm, "clear": service.clear_alarm}.get(action)
    if act is not None:
        with contextlib.suppress(AppError):  # already cleared or gone: the list shows the current state
            act(get_db(request), actor=actor, alarm_id=alarm_id)
    return RedirectResponse("/can-bo/canh-bao-thiet-bi", status_code=303)
