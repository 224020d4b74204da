"""Jinja2 environment for every domain's pages, with Babel translations and the page shell."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.dates import format_date
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context

from smartcity.core import clock, numbers
from smartcity.core.demo import demo_data_still_loading
from smartcity.core.i18n import get_translations, in_language, negotiate_locale, said
from smartcity.domains import DOMAINS, collect

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def _build_environment() -> Environment:
    folders = [PACKAGE_DIR / "web" / "templates"]
    folders += [PACKAGE_DIR / domain / "templates" for domain in DOMAINS]
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(f)) for f in folders if f.exists()]),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["local_datetime"] = local_datetime
    env.filters["day"] = day_in_words
    env.filters["number"] = number
    env.filters["vnd"] = vnd
    env.filters["percent"] = percent
    env.filters["actor_name"] = str  # accounts.views puts the names of people in its place
    env.filters["place"] = lambda name: name or ""  # city.views: a unit's name in the page's language
    env.globals["in_language"] = text_in_language
    env.globals["said"] = said  # a stored sentence: its kept phrase, else its text (translate it with _())
    env.globals["map_centre"] = lambda: ""  # city.views: "longitude,latitude" where the city's maps open
    env.globals["city_name"] = lambda: ""  # city.views: the city's name from its pack, in the page's language
    return env


@pass_context
def day_in_words(context: Context, day: date) -> str:
    """Jinja: a day as a sentence of the page's language writes it ("01/07/2025", "1 July 2025")."""
    english = context.get("locale") == "en"
    return format_date(day, "d MMMM y" if english else "dd/MM/y", locale="en_US" if english else "vi")


@pass_context
def text_in_language(context: Context, vietnamese: str, english: str | None) -> str:
    """Jinja: a text kept in both languages, as the page's language reads it (`core.i18n.in_language`)."""
    return in_language(vietnamese, english, context.get("locale") or "vi")


@pass_context
def number(context: Context, value: float | int | None, digits: int | None = None) -> str:
    """A number written the page's way (core.numbers.number: Vietnamese 1.234,5); `digits` fixes the decimals;
    None is a dash."""
    return numbers.number(value, digits, context.get("locale"))


@pass_context
def vnd(context: Context, value: float | int | None) -> str:
    """An amount of đồng written the page's way (core.numbers.money_vnd: Vietnamese 1.250.000 ₫)."""
    return numbers.money_vnd(value, context.get("locale"))


@pass_context
def percent(context: Context, value: float | int | None, digits: int | None = 1) -> str:
    """A percentage (88.7 means 88.7 per cent) written the page's way (core.numbers.percent: Vietnamese
    88,7%)."""
    return numbers.percent(value, digits, context.get("locale"))


@pass_context
def local_datetime(context: Context, value: datetime | str | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """A stored (UTC) timestamp, or its ISO 8601 text, written in the city's time zone (settings.timezone);
    naive means UTC."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return clock.local(value, context.get("settings")).strftime(fmt)


ENVIRONMENT = _build_environment()


@lru_cache(maxsize=1)
def public_links() -> list[dict[str, str]]:
    """The public navigation: every domain's `views.PUBLIC_LINKS` ({"label": Vietnamese, "href": path, and
    "place": "main" (the default: the header's menu), "city" (what the city tells: alerts, air, projects) or
    "personal" (a signed-in person's own pages)); the footer lists them all, grouped by place."""
    return [dict(link) for _domain, links in collect("views", "PUBLIC_LINKS") for link in links]


PLACES = ("main", "city", "personal")


@lru_cache(maxsize=1)
def links_by_place() -> dict[str, list[dict[str, str]]]:
    """The public links grouped by their place, in PLACES' order (a link names none: the header's menu);
    worked out once, like `public_links`, not on every page."""
    grouped: dict[str, list[dict[str, str]]] = {place: [] for place in PLACES}
    for link in public_links():
        grouped[link.get("place", "main")].append(link)
    return grouped


def request_locale(request: Request) -> str:
    """The language of the page for this request."""
    return negotiate_locale(request.query_params.get("lang"), request.cookies.get("lang"))


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    """Render a page in the request's language with the shell's common context."""
    locale = request_locale(request)
    # A domain's templates live under "<domain>/"; its own catalogue wins for its pages.
    translations = get_translations(locale, template.split("/", 1)[0] if "/" in template else "web")
    page_context: dict[str, Any] = {
        "request": request,
        "locale": locale,
        "_": translations.gettext,
        "gettext": translations.gettext,
        "ngettext": translations.ngettext,
        "pgettext": translations.pgettext,  # a word in one sense: pgettext("lĩnh vực thủ tục", p.field)
        "settings": request.app.state.settings,
        "user": getattr(request.state, "user_view", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "public_links": links_by_place(),
        "demo_loading": demo_data_still_loading(request.app.state.settings.data_dir),
    }
    page_context.update(context or {})
    html = ENVIRONMENT.get_template(template).render(page_context)
    response = HTMLResponse(html, status_code=status_code)
    if request.query_params.get("lang") == locale:
        response.set_cookie("lang", locale, max_age=365 * 86400, samesite="lax")
    return response
