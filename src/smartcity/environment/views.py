"""Environment pages: air quality and water levels on a map (public), a station, flood events (staff)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from smartcity.core import clock
from smartcity.core.numbers import number
from smartcity.environment import aqi, service
from smartcity.environment.models import Station
from smartcity.web.deps import DbDep, SettingsDep, UserDep, require_role_in, scoped_link
from smartcity.web.templating import render, request_locale

router = APIRouter(include_in_schema=False)
MOVED = {"/static/js/environment-map.js": "/environment/static/environment-map.js"}
PUBLIC_LINKS = ({"label": "Chất lượng không khí", "href": "/moi-truong", "place": "city"},)
STAFF_LINKS = (
    scoped_link("Ngập nước đường phố", "/can-bo/moi-truong/ngap", ("operator",), service.OPERATOR_UNITS),
)
operator = require_role_in(("operator",), service.OPERATOR_UNITS, refusal=service.OPERATOR_REFUSAL)
STATE_NAMES = {"rising": "Nước đang lên", "flooded": "Đường ngập", "receded": "Đã rút"}
CHART_W, CHART_H = 640, 160
# a flood gauge on the map (state -> colour, Vietnamese legend label), and a station without readings; the air
# stations take the colour of their VN_AQI band (aqi.BANDS). Shared by the map's features and its legend.
GAUGE_STATES: dict[str, tuple[str, str]] = {
    "normal": ("#1a73e8", "Cảm biến ngập: bình thường"),
    "rising": ("#f29900", "Cảm biến ngập: nước đang lên"),
    "flooded": ("#d93025", "Cảm biến ngập: đường ngập"),
}
NO_READING = ("#9e9e9e", "Trạm chưa có số liệu")


def _feature(station: Station, latest: Any, floods: dict[str, Any], locale: str) -> dict[str, Any]:
    props: dict[str, Any] = {"id": station.id, "name": station.name, "kind": station.kind}
    if station.kind == "air" and latest is not None:
        band = aqi.BANDS_BY_CODE[latest.band]
        props |= {"aqi": latest.aqi, "colour": band.hex, "label": f"{latest.aqi} – {band.name_vi}"}
    elif station.kind == "flood":
        event = floods.get(station.id)
        state = "flooded" if event and event.state == "flooded" else "rising" if event else "normal"
        props |= {
            "colour": GAUGE_STATES[state][0],
            "label": f"{number(station.last_level_cm, 0, locale)} cm",
        }
    else:
        props |= {"colour": NO_READING[0], "label": "Chưa có số liệu"}
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [station.lon, station.lat]},
        "properties": props,
    }


@router.get("/moi-truong", response_class=HTMLResponse)
def overview(request: Request, db: DbDep, settings: SettingsDep) -> HTMLResponse:
    """Every station on a map with its VN_AQI colour band, and the water level of every flood gauge."""
    stations = service.list_stations(db)
    latest = service.latest_aqi(db)
    locale = request_locale(request)
    floods = {e.station_id: e for e in service.flood_events(db, open_only=True)}
    rows = [
        {
            "station": s,
            "aqi": latest.get(s.id),
            "band": aqi.BANDS_BY_CODE[latest[s.id].band] if s.id in latest else None,
            "until": latest[s.id].hour + timedelta(hours=1) if s.id in latest else None,
        }
        for s in stations
        if s.kind == "air"
    ]
    gauges = [
        {"station": s, "event": floods.get(s.id), "level": number(s.last_level_cm, 0, locale)}
        for s in stations
        if s.kind == "flood"
    ]
    return render(
        request,
        "environment/overview.html",
        {
            "rows": rows,
            "gauges": gauges,
            "bands": aqi.BANDS,
            "states": STATE_NAMES,
            "points": [_feature(s, latest.get(s.id), floods, locale) for s in stations],
            "legend": [
                {"layer": "stations", "label": label, "colour": colour, "shape": "dot"}
                for colour, label in [*GAUGE_STATES.values(), NO_READING]
            ],
            "base_map_style_url": settings.base_map_style_url,
        },
    )


def _bars(rows: list[Any], label: Any) -> list[dict[str, Any]]:
    """Bars of an AQI chart: x, width, height and colour of each value (SVG coordinates)."""
    if not rows:
        return []
    top = max(100, max(r.aqi for r in rows))
    width = CHART_W / len(rows)
    return [
        {
            "x": round(i * width, 1),
            "w": round(max(width - 1, 1), 1),
            "h": round(r.aqi / top * (CHART_H - 20), 1),
            "colour": aqi.BANDS_BY_CODE[r.band].hex,
            "title": f"{label(r)}: {r.aqi} ({aqi.BANDS_BY_CODE[r.band].name_vi})",
        }
        for i, r in enumerate(rows)
    ]


def _level_line(points: list[dict[str, Any]], station: Station) -> dict[str, Any]:
    """An SVG polyline of water levels with the alert and danger lines (-100..+50 cm)."""
    low, high = -100.0, 50.0

    def y(value: float) -> float:
        clamped = min(max(value, low), high)
        return round((high - clamped) / (high - low) * CHART_H, 1)

    count = max(len(points) - 1, 1)
    line = " ".join(f"{round(i / count * CHART_W, 1)},{y(p['avg'])}" for i, p in enumerate(points))
    return {
        "line": line,
        "alert": y(station.alert_level_cm or 0),
        "danger": y(station.danger_level_cm or 0),
        "road": y(0),
    }


@router.get("/moi-truong/tram/{station_id}", response_class=HTMLResponse)
def station_page(station_id: str, request: Request, db: DbDep, settings: SettingsDep) -> HTMLResponse:
    """A station: its VN_AQI now with advice, 48 hours and 7 days of AQI; or a gauge's levels and events."""
    station = service.get_station(db, station_id=station_id)
    now = clock.now()
    context: dict[str, Any] = {
        "station": station,
        "states": STATE_NAMES,
        "w": CHART_W,
        "h": CHART_H,
    }
    if station.kind == "air":
        hours = service.hourly_history(db, station_id=station.id, since=now - timedelta(hours=48))
        days = service.daily_history(
            db, station_id=station.id, since=clock.today(settings) - timedelta(days=7)
        )
        latest = hours[-1] if hours else None
        context |= {
            "latest": latest,
            "until": latest.hour + timedelta(hours=1) if latest else None,
            "band": aqi.BANDS_BY_CODE[latest.band] if latest else None,
            "labels": aqi.POLLUTANT_LABELS,
            "hour_bars": _bars(hours, lambda r: clock.local(r.hour, settings).strftime("%d/%m %H:00")),
            "day_bars": _bars(days, lambda r: r.day.strftime("%d/%m/%Y")),
            "days": days,
            "today": clock.today(settings),
            "notes": service.quality_notes(db, station_id=station.id, limit=10),
            "bands_by_code": aqi.BANDS_BY_CODE,
        }
    else:
        levels = service.level_history(db, station_id=station.id, since=now - timedelta(hours=48))
        context |= {
            "chart": _level_line(levels, station) if levels else None,
            "events": service.flood_events(db, station_id=station.id),
            "notes": service.quality_notes(db, station_id=station.id, limit=10),
        }
    return render(request, "environment/station.html", context)


@router.get(
    "/can-bo/moi-truong/ngap",
    response_class=HTMLResponse,
    dependencies=[Depends(operator)],
)
def flood_board(request: Request, db: DbDep) -> HTMLResponse:
    """Operators' board of flood events: open ones first, with acknowledgement."""
    events = service.flood_events(db)
    stations = {s.id: s for s in service.list_stations(db, kind="flood")}
    events.sort(key=lambda e: (e.state == "receded", -e.started_at.timestamp()))
    return render(
        request,
        "environment/floods.html",
        {"events": events, "stations": stations, "states": STATE_NAMES},
    )


@router.post("/can-bo/moi-truong/ngap/{event_id}/xac-nhan", dependencies=[Depends(operator)])
def acknowledge(event_id: int, db: DbDep, actor: UserDep) -> RedirectResponse:
    """Acknowledge a flood event, then back to the board."""
    service.acknowledge_flood(db, actor=actor, event_id=event_id)
    return RedirectResponse("/can-bo/moi-truong/ngap", status_code=303)
