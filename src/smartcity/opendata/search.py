"""The catalogue's part of the portal's one search: datasets by title, description and keywords."""

from __future__ import annotations

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.i18n import in_language
from smartcity.core.search import SearchHit
from smartcity.core.text import fold, matches
from smartcity.opendata import service


def search(db: Database, query: str, settings: Settings, locale: str) -> list[SearchHit]:
    """Datasets whose words contain every word of the query (diacritics ignored), titled in the page's
    language."""
    hits = []
    for d in service.all_datasets():
        text = " ".join([d.name, d.title_vi, d.title_en, d.description_vi, *d.keywords])
        if matches(text, query):
            exact = fold(query) in fold(d.title_vi)
            hits.append(
                SearchHit(
                    kind_vi="Dữ liệu mở",
                    kind_en="Open data",
                    title=in_language(d.title_vi, d.title_en, locale),
                    url=f"/du-lieu-mo/{d.name}",
                    summary=in_language(d.description_vi, d.description_en, locale),
                    score=2.0 if exact else 1.0,
                )
            )
    return hits


SEARCH = search
