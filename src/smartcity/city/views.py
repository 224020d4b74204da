"""The city map page (/ban-do): wards before and after the 2025 reorganisation (the portal owns /)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import pass_context
from jinja2.runtime import Context

from smartcity.city.service import city_name, map_centre, name_in_english, reorganisation_date, units_on
from smartcity.core import clock
from smartcity.web.deps import DbDep, SettingsDep
from smartcity.web.templating import ENVIRONMENT, render

router = APIRouter(include_in_schema=False)
MOVED = {"/static/js/city-map.js": "/city/static/city-map.js"}


@pass_context
def place(context: Context, name: str | None) -> str:
    """Jinja filter: an administrative unit's name in the page's language ("Phú Lợi Ward" in English)."""
    if not name:
        return ""
    return name_in_english(name) if context.get("locale") == "en" else name


@pass_context
def city_name_in_page(context: Context) -> str:
    """Jinja global `city_name()`: the city's name, from its pack, in the page's language."""
    return city_name(locale=context.get("locale") or "vi")


ENVIRONMENT.filters["place"] = place
ENVIRONMENT.globals["map_centre"] = lambda: ",".join(str(c) for c in map_centre())
ENVIRONMENT.globals["city_name"] = city_name_in_page
ENVIRONMENT.globals["reorganisation_day"] = reorganisation_date


@router.get("/ban-do", response_class=HTMLResponse)
def city_map(request: Request, db: DbDep, settings: SettingsDep) -> HTMLResponse:
    """The city on a map with its wards, before and after the 2025 reorganisation."""
    reorganised = reorganisation_date(settings.city)
    today = clock.today(settings)
    on = reorganised - timedelta(days=1) if request.query_params.get("period") == "before" else today
    wards = units_on(db, on=on, level="ward")
    return render(
        request,
        "city/home.html",
        {
            "wards": wards,
            "on": on,
            "period": "before" if on < reorganised else "now",
            "base_map_style_url": settings.base_map_style_url,
        },
    )
