"""Camera pages for operators: map and events (acknowledge), a camera's lanes and events, snapshots."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartcity.cameras import service
from smartcity.core import clock
from smartcity.core.security import Actor
from smartcity.web.deps import DbDep, SettingsDep, require_role_in, scoped_link
from smartcity.web.templating import render

router = APIRouter(include_in_schema=False)
MOVED = {"/static/js/camera-map.js": "/cameras/static/camera-map.js"}
STAFF_LINKS = (
    scoped_link("Camera giao thông và an ninh", "/can-bo/camera", ("operator",), service.OPERATOR_UNITS),
)
Operator = Annotated[
    Actor, Depends(require_role_in(("operator",), service.OPERATOR_UNITS, refusal=service.OPERATOR_REFUSAL))
]
KINDS = {"traffic": "Camera giao thông", "security": "Camera an ninh"}
KIND_COLOURS = {"traffic": "#1565c0", "security": "#6a1b9a"}  # the map's dot and its legend, by kind
CHART_W, CHART_H = 640, 140


@router.get("/can-bo/camera", response_class=HTMLResponse)
def overview(request: Request, db: DbDep, settings: SettingsDep, actor: Operator) -> HTMLResponse:
    """Cameras on a map and the events to handle."""
    cameras = service.list_cameras(db)
    events = service.list_events(db, limit=50)
    names = {c.id: c.name for c in cameras}
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [c.lon, c.lat]},
            "properties": {"id": c.id, "colour": KIND_COLOURS[c.kind]},
        }
        for c in cameras
    ]
    return render(
        request,
        "cameras/overview.html",
        {
            "cameras": cameras,
            "events": events,
            "names": names,
            "event_names": service.EVENT_NAMES,
            "kinds": KINDS,
            "features": features,
            "legend": [
                {"layer": "cameras", "label": KINDS[kind], "colour": colour, "shape": "dot"}
                for kind, colour in KIND_COLOURS.items()
            ],
            "base_map_style_url": settings.base_map_style_url,
        },
    )


def _bars(flow: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not flow:
        return []
    top = max((r["vehicles"] or 0) for r in flow) or 1
    width = CHART_W / len(flow)
    return [
        {
            "x": round(i * width, 1),
            "w": round(max(width - 1, 1), 1),
            "h": round((r["vehicles"] or 0) / top * (CHART_H - 10), 1),
            "slow": r["speed"] is not None and r["speed"] < 15,
            "title": f"{clock.local(r['start']).strftime('%d/%m %H:00')}: {int(r['vehicles'] or 0)} xe",
        }
        for i, r in enumerate(flow)
    ]


@router.get("/can-bo/camera/{camera_id}", response_class=HTMLResponse)
def camera_page(camera_id: str, request: Request, db: DbDep, actor: Operator) -> HTMLResponse:
    """A camera: its stream address (for allowed roles), flow per lane over 48 hours, its events."""
    camera = service.get_camera(db, camera_id=camera_id)
    flows = service.lane_flow(db, camera=camera, since=clock.now() - timedelta(hours=48))
    return render(
        request,
        "cameras/camera.html",
        {
            "camera": camera,
            "kinds": KINDS,
            "show_stream": service.may_see_streams(db, actor),
            "lanes": {lane: _bars(flow) for lane, flow in flows.items()},
            "events": service.list_events(db, camera_id=camera.id, limit=30),
            "event_names": service.EVENT_NAMES,
            "w": CHART_W,
            "h": CHART_H,
        },
    )


@router.post("/can-bo/camera/su-kien/{event_id}/xac-nhan")
def acknowledge(event_id: int, db: DbDep, actor: Operator) -> RedirectResponse:
    """Acknowledge an event, then back to the events."""
    service.acknowledge_event(db, actor=actor, event_id=event_id)
    return RedirectResponse("/can-bo/camera", status_code=303)


@router.get("/can-bo/camera/su-kien/{event_id}/anh")
def snapshot(event_id: int, db: DbDep, actor: Operator) -> Response:
    """An event's snapshot (each view is audited)."""
    content, media_type = service.view_snapshot(db, actor=actor, event_id=event_id)
    return Response(content, media_type=media_type, headers={"Cache-Control": "no-store"})
