"""The portal's shell pages: the home page with the city map."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from smartcity.city.service import today_local, units_on
from smartcity.web.templating import render

router = APIRouter(include_in_schema=False)

REORGANISATION_DATE = date(2025, 7, 1)
BEFORE_REORGANISATION = date(2025, 6, 30)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    """Home page: the city on a map with its wards, before and after the 2025 reorganisation."""
    settings = request.app.state.settings
    db = request.app.state.db
    today = today_local(settings.timezone)
    on = BEFORE_REORGANISATION if request.query_params.get("period") == "before" else today
    wards = units_on(db, on=on, level="ward")
    return render(
        request,
        "home.html",
        {
            "wards": wards,
            "on": on,
            "period": "before" if on < REORGANISATION_DATE else "now",
            "base_map_style_url": settings.base_map_style_url,
        },
    )
