"""The GIS part of the portal's one search: planning zones (code, land use, plan) and register addresses."""

from __future__ import annotations

from urllib.parse import quote

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.errors import AppError
from smartcity.core.i18n import get_translations
from smartcity.core.search import SearchHit
from smartcity.core.text import fold
from smartcity.gis import planning
from smartcity.gis.layers import PLANNING_ZONES
from smartcity.gis.service import query_features

MAX_ZONES = 5000
MAX_HITS = 10


def _zone_hits(db: Database, query: str, locale: str = "vi") -> list[SearchHit]:
    zone = get_translations(locale, "gis").gettext("Ô quy hoạch")
    words = fold(query).split()
    hits = []
    page = query_features(db, slug=PLANNING_ZONES, limit=MAX_ZONES, count=False)
    for feature in page.features:
        p = feature.properties
        text = fold(" ".join(str(p.get(k) or "") for k in ("zone_code", "land_use_name", "plan_name")))
        if words and all(w in text for w in words):
            exact = fold(str(p.get("zone_code") or "")) == fold(query)
            hits.append(
                SearchHit(
                    kind_vi="Quy hoạch",
                    kind_en="Planning",
                    title=f"{zone} {p.get('zone_code')} — {p.get('land_use_name') or ''}".strip(" —"),
                    url=f"/ogc/collections/{PLANNING_ZONES}/items/{quote(feature.id)}?f=html",
                    summary=str(p.get("plan_name") or ""),
                    score=2.0 if exact else 1.0,
                )
            )
    return sorted(hits, key=lambda h: -h.score)[:MAX_HITS]


def _address_hit(db: Database, query: str, locale: str = "vi") -> list[SearchHit]:
    """The register's address when the query reads like "12A Đường N5"."""
    if not any(ch.isdigit() for ch in query[:6]):
        return []
    try:
        found = planning.find_address(db, query)
    except AppError:
        return []
    return [
        SearchHit(
            kind_vi="Địa chỉ",
            kind_en="Address",
            title=f"{found.house_number} {found.street_name}",
            url=f"/ban-do-quy-hoach?address={quote(query)}",
            summary=get_translations(locale, "gis").gettext("Thông tin quy hoạch tại địa chỉ này"),
            score=2.0,
        )
    ]


def search(db: Database, query: str, settings: Settings, locale: str) -> list[SearchHit]:
    """Planning zones whose code, land use or plan contains every word, and an exact register address; our
    words in the page's language (a zone's land use and plan are the plan's own)."""
    try:
        return _address_hit(db, query, locale) + _zone_hits(db, query, locale)
    except AppError:  # the planning layer is not there (a city without GIS data)
        return []


SEARCH = search
