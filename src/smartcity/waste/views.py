"""Waste collection pages: containers and today's routes on a map, plan today, route sheet (PDF), the
crew's phone page, alarms."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartcity.core.security import Actor
from smartcity.waste import service
from smartcity.waste.schemas import CollectionCreate
from smartcity.waste.sheet import route_sheet
from smartcity.web.deps import DbDep, SettingsDep, require_role_in, scoped_link
from smartcity.web.templating import render

router = APIRouter(include_in_schema=False)
MOVED = {"/static/js/waste-map.js": "/waste/static/waste-map.js"}
STAFF_LINKS = (
    scoped_link("Thu gom rác thông minh", "/can-bo/thu-gom", ("operator",), service.OPERATOR_UNITS),
)
Operator = Annotated[
    Actor, Depends(require_role_in(("operator",), service.OPERATOR_UNITS, refusal=service.OPERATOR_REFUSAL))
]
ROUTE_COLOURS = ("#1565c0", "#2e7d32", "#c62828", "#6a1b9a", "#ef6c00", "#00838f")


# a container's fill on the map: (below this %, colour, Vietnamese label); shared by the map and its legend
FILL_BANDS = (
    (60.0, "#2e7d32", "Thùng đầy dưới 60%"),
    (85.0, "#f9a825", "Thùng đầy 60–85%"),
    (float("inf"), "#c62828", "Thùng đầy từ 85% trở lên"),
)
NO_FILL = ("#9e9e9e", "Thùng chưa có số liệu")
DEPOT = ("#000000", "Bãi xe")
ROUTE_LABEL = "Lộ trình thu gom (mỗi xe một màu, như trong bảng kế hoạch)"


def _fill_colour(fill: float | None) -> str:
    if fill is None:
        return NO_FILL[0]
    return next(colour for below, colour, _ in FILL_BANDS if fill < below)


def _legend(colours: list[str]) -> list[dict[str, str]]:
    """The map's legend: containers by fill, the routes drawn today, the depots."""
    items = [
        {"layer": "containers", "label": label, "colour": colour, "shape": "dot"}
        for colour, label in [(colour, label) for _, colour, label in FILL_BANDS] + [NO_FILL]
    ]
    routes = [{"layer": "routes", "label": ROUTE_LABEL, "colour": c, "shape": "line"} for c in colours[:1]]
    return [*items, *routes, {"layer": "depots", "label": DEPOT[1], "colour": DEPOT[0], "shape": "dot"}]


@router.get("/can-bo/thu-gom", response_class=HTMLResponse)
def overview(request: Request, db: DbDep, settings: SettingsDep, actor: Operator) -> HTMLResponse:
    """Containers coloured by fill, today's plan with its routes, and active alarms."""
    containers = service.list_containers(db)
    values = service.latest(db, [c.id for c in containers])
    plan = service.current_plan(db)
    routes = service.routes_of(db, plan_id=plan.id) if plan else []
    depots = service.list_depots(db)
    features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [c.lon, c.lat]},
            "properties": {"kind": "container", "colour": _fill_colour(values[c.id].get("fillingLevel"))},
        }
        for c in containers
    ]
    vehicle_depot = {v.id: v.depot_id for v in service.list_vehicles(db)}
    depot_by_id = {d.id: d for d in depots}
    for i, route in enumerate(routes):
        depot = depot_by_id[vehicle_depot[route.vehicle_id]]
        line = [[depot.lon, depot.lat], *[[s["lon"], s["lat"]] for s in route.stops], [depot.lon, depot.lat]]
        colour = ROUTE_COLOURS[i % len(ROUTE_COLOURS)]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": line},
                "properties": {"kind": "route", "colour": colour},
            }
        )
    features += [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [d.lon, d.lat]},
            "properties": {"kind": "depot", "colour": DEPOT[0]},
        }
        for d in depots
    ]
    names = {c.id: c.name for c in containers}
    route_colours = [f["properties"]["colour"] for f in features if f["properties"]["kind"] == "route"]
    return render(
        request,
        "waste/overview.html",
        {
            "containers": containers,
            "values": values,
            "plan": plan,
            "routes": list(zip(routes, ROUTE_COLOURS * 3, strict=False)),
            "names": names,
            "alarms": service.list_alarms(db),
            "alarm_names": service.ALARM_NAMES,
            "kinds": service.KINDS,
            "waste_kinds": service.WASTE_KINDS,
            "features": features,
            "legend": _legend(route_colours),
            "base_map_style_url": settings.base_map_style_url,
            "hhmm": service.hhmm,
        },
    )


@router.post("/can-bo/thu-gom/ke-hoach")
def plan_today(db: DbDep, settings: SettingsDep, actor: Operator) -> RedirectResponse:
    """Plan today's collection now (forecasts and routes), then back to the map."""
    service.plan_day(db, actor=actor, day=service.next_round_day(db))
    return RedirectResponse("/can-bo/thu-gom", status_code=303)


@router.get("/can-bo/thu-gom/tuyen/{route_id}.pdf")
def sheet(route_id: int, db: DbDep, actor: Operator) -> Response:
    """The printable route sheet."""
    route = service.get_route(db, route_id=route_id)
    plan = service.get_plan(db, plan_id=route.plan_id)
    vehicle = next(v for v in service.list_vehicles(db) if v.id == route.vehicle_id)
    depot = next(d for d in service.list_depots(db) if d.id == vehicle.depot_id)
    pdf = route_sheet(plan, route, vehicle_name=vehicle.name, depot_name=depot.name)
    headers = {"Content-Disposition": f'inline; filename="lo-trinh-{route_id}.pdf"'}
    return Response(pdf, media_type="application/pdf", headers=headers)


@router.get("/can-bo/thu-gom/tuyen/{route_id}", response_class=HTMLResponse)
def phone_page(route_id: int, request: Request, db: DbDep, actor: Operator) -> HTMLResponse:
    """The crew's page on a phone: stops in order, a button to record each emptying, a map link."""
    route = service.get_route(db, route_id=route_id)
    return render(
        request,
        "waste/route.html",
        {
            "route": route,
            "done": service.emptied_on_route(db, route_id=route_id),
            "hhmm": service.hhmm,
        },
    )


@router.post("/can-bo/thu-gom/tuyen/{route_id}/da-do")
def emptied(
    route_id: int, db: DbDep, actor: Operator, container_id: Annotated[str, Form()]
) -> RedirectResponse:
    """Record a container emptied on a route."""
    route = service.get_route(db, route_id=route_id)
    data = CollectionCreate(container_id=container_id, vehicle_id=route.vehicle_id, route_id=route_id)
    service.record_collection(db, actor=actor, data=data)
    return RedirectResponse(f"/can-bo/thu-gom/tuyen/{route_id}", status_code=303)


@router.post("/can-bo/thu-gom/canh-bao/{alarm_id}/xac-nhan")
def acknowledge(alarm_id: int, db: DbDep, actor: Operator) -> RedirectResponse:
    """Acknowledge a container alarm."""
    service.acknowledge_alarm(db, actor=actor, alarm_id=alarm_id)
    return RedirectResponse("/can-bo/thu-gom", status_code=303)
