"""The procedures part of the portal's one search: the catalogue, with or without diacritics."""

from __future__ import annotations

from functools import partial

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.i18n import get_translations
from smartcity.core.search import SearchHit
from smartcity.procedures.service import list_procedures, processing_time

MAX_HITS = 10


def search(db: Database, query: str, settings: Settings, locale: str) -> list[SearchHit]:
    """Active procedures matching the query (the catalogue's own search); an exact code first. The name is
    the catalogue's (data); the field and the time limit are in the page's language."""
    if not query.strip():
        return []
    translations = get_translations(locale, "procedures")
    words = translations.gettext
    field = partial(translations.pgettext, "lĩnh vực thủ tục")  # a field's name, "Dân tộc": "Ethnic affairs"
    page = list_procedures(db, q=query, limit=MAX_HITS)
    return [
        SearchHit(
            kind_vi="Thủ tục hành chính",
            kind_en="Administrative procedure",
            title=p.name,
            url=f"/thu-tuc/{p.code}",
            summary=f"{field(p.field)} · {processing_time(p.processing_days, words)}",
            score=3.0 if p.code.lower() == query.strip().lower() else 1.5,
        )
        for p in page.items
    ]


SEARCH = search
