"""Pages of the GIS domain: the public planning map (works without JavaScript for lookups) and the
OGC API Features (JSON and HTML, in `ogc.py`)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from smartcity.core.errors import AppError, NotFound
from smartcity.gis import planning
from smartcity.gis.ogc import router as ogc_router
from smartcity.web.templating import render

router = APIRouter()
PUBLIC_LINKS = ({"label": "Bản đồ quy hoạch", "href": "/ban-do-quy-hoach"},)
router.include_router(ogc_router)
STATIC_DIR = Path(__file__).resolve().parent / "static"


@router.get("/ban-do-quy-hoach", response_class=HTMLResponse, include_in_schema=False)
def planning_map(request: Request, parcel: str | None = None, address: str | None = None) -> HTMLResponse:
    """The public planning map: layers to switch, click for the planning sheet, search by parcel/address."""
    info, error = None, None
    if parcel or address:
        try:
            info = planning.planning_lookup(
                request.app.state.db, parcel=parcel or None, address=address or None
            )
        except AppError as exc:
            error = exc.detail
    return render(
        request,
        "gis/planning_map.html",
        {
            "info": info,
            "error": error,
            "parcel": parcel or "",
            "address": address or "",
            "base_map_style_url": request.app.state.settings.base_map_style_url,
        },
    )


@router.get("/gis/static/{name}", include_in_schema=False)
def static(name: str) -> FileResponse:
    """The GIS pages' scripts."""
    path = STATIC_DIR / name
    if "/" in name or not path.is_file():
        raise NotFound(f"No file {name}")
    return FileResponse(path, headers={"Cache-Control": "public, max-age=3600"})
