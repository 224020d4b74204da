"""Pages of the GIS domain: the public planning map (works without JavaScript for lookups) and the
OGC API Features (JSON and HTML, in `ogc.py`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from smartcity.core.errors import AppError, Forbidden, NotFound
from smartcity.core.security import Actor
from smartcity.gis import editor, feature_writes, planning
from smartcity.gis import store as service
from smartcity.gis.layers import LAND_USE_COLOURS, LAND_USE_NAMES
from smartcity.gis.ogc import router as ogc_router
from smartcity.web.deps import ActorDep, get_db, get_settings, login_redirect, scoped_link, verify_csrf
from smartcity.web.forms import refusal_sentence
from smartcity.web.templating import render

router = APIRouter()
# Staff pages moved under /can-bo (old addresses redirect permanently).
MOVED = {"/staff/gis/ban-do-chinh-sua": "/can-bo/ban-do-chinh-sua"}
PUBLIC_LINKS = ({"label": "Bản đồ quy hoạch", "href": "/ban-do-quy-hoach"},)
EDITOR_PATH = "/can-bo/ban-do-chinh-sua"
STAFF_LINKS = (
    scoped_link(
        "Chỉnh sửa bản đồ (thửa đất, quy hoạch, địa chỉ)",
        EDITOR_PATH,
        service.EDITOR_ROLES,
        service.EDITOR_UNITS,
    ),
)
router.include_router(ogc_router)


@router.get("/ban-do-quy-hoach", response_class=HTMLResponse, include_in_schema=False)
def planning_map(request: Request, parcel: str | None = None, address: str | None = None) -> HTMLResponse:
    """The public planning map: layers to switch, click for the planning sheet, search by parcel/address."""
    info, error = None, None
    if parcel or address:
        try:
            info = planning.planning_lookup(get_db(request), parcel=parcel or None, address=address or None)
        except AppError as exc:
            error = refusal_sentence(exc)
    legend = [
        {"code": code, "name": LAND_USE_NAMES[code], "colour": colour}
        for code, colour in LAND_USE_COLOURS.items()
    ]
    return render(
        request,
        "gis/planning_map.html",
        {
            "info": info,
            "error": error,
            "parcel": parcel or "",
            "address": address or "",
            "base_map_style_url": get_settings(request).base_map_style_url,
            "legend": legend,
            "land_use_names": LAND_USE_NAMES,
        },
    )


@router.get("/ban-do-quy-hoach/thong-tin", response_class=HTMLResponse, include_in_schema=False)
def planning_panel(
    request: Request,
    lon: float | None = None,
    lat: float | None = None,
    parcel: str | None = None,
    address: str | None = None,
) -> HTMLResponse:
    """The planning map's side panel for a point, a parcel or an address (written by the server, in words)."""
    db = get_db(request)
    try:
        info = planning.planning_lookup(db, lon=lon, lat=lat, parcel=parcel or None, address=address or None)
    except AppError as exc:
        return render(request, "gis/planning_info.html", {"info": None, "error": refusal_sentence(exc)})
    return render(request, "gis/planning_info.html", {"info": info, "land_use_names": LAND_USE_NAMES})


def _editor_denied(request: Request, actor: Actor) -> Response | None:
    if not actor.is_authenticated:
        return login_redirect(EDITOR_PATH)
    if not service.is_editor(actor):
        error = Forbidden(service.EDITOR_REFUSAL)
        return render(request, "error.html", {"error": error}, status_code=403)
    return None


def _editor_page(
    request: Request, *, layer: str, feature_id: str, error: AppError | None = None, saved: bool = False
) -> Response:
    db = get_db(request)
    layers = [item for item in service.list_layers(db) if item.provider == "store"]
    chosen = next((item for item in layers if item.slug == layer), layers[0] if layers else None)
    feature, history = None, []
    if chosen is not None and feature_id.isdigit():
        feature = service.get_feature(db, slug=chosen.slug, feature_id=feature_id, published_only=False)
        history = feature_writes.feature_history(db, slug=chosen.slug, feature_id=int(feature_id))
    context: dict[str, Any] = {
        "layers": layers,
        "layer": chosen,
        "feature": feature,
        "history": list(reversed(history)),
        "error": error,
        "saved": saved,
        "editor_path": EDITOR_PATH,
        "base_map_style_url": get_settings(request).base_map_style_url,
    }
    return render(request, "gis/editor.html", context, status_code=error.status if error else 200)


@router.get(EDITOR_PATH, response_class=HTMLResponse, include_in_schema=False)
def map_editor(
    request: Request, actor: ActorDep, layer: str = "land-parcels", id: str = "", saved: bool = False
) -> Response:
    """The staff map editor: pick a feature, correct its attributes (or move a point), see its history."""
    return _editor_denied(request, actor) or _editor_page(request, layer=layer, feature_id=id, saved=saved)


@router.post(EDITOR_PATH, include_in_schema=False, dependencies=[Depends(verify_csrf)])
async def save_correction(request: Request, actor: ActorDep) -> Response:
    """Save a correction from the editor form, with its reason; back to the feature on success."""
    denied = _editor_denied(request, actor)
    if denied is not None:
        return denied
    form = {key: str(value) for key, value in (await request.form()).items()}
    return await run_in_threadpool(_save_correction, request, actor, form)


def _save_correction(request: Request, actor: Actor, form: dict[str, str]) -> Response:
    """Save the form's correction (in a worker thread): the editor page with the error if refused."""
    slug, feature_id = form.get("layer", ""), form.get("feature_id", "")
    db = get_db(request)
    try:
        layer = service.get_layer(db, slug)
        if not feature_id.isdigit():
            raise NotFound(f"No feature {feature_id!r} in {slug}")
        feature = service.get_feature(db, slug=slug, feature_id=feature_id, published_only=False)
        change = editor.correction_from_form(layer, feature, form)
        feature_writes.update_feature(
            db,
            actor=actor,
            slug=slug,
            feature_id=int(feature_id),
            properties=change.properties,
            geometry=change.geometry,
            expected_version=change.expected_version,
            reason=change.reason,
        )
    except AppError as exc:
        return _editor_page(request, layer=slug, feature_id=feature_id, error=exc)
    query = urlencode({"layer": slug, "id": feature_id, "saved": "1"})
    return RedirectResponse(f"{EDITOR_PATH}?{query}", status_code=303)
