"""The feedback part of the portal's one search: public reports by code, text, category, place."""

from __future__ import annotations

from sqlalchemy import select

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.i18n import get_translations, in_language
from smartcity.core.search import SearchHit
from smartcity.core.text import fold
from smartcity.feedback.models import Category, Report
from smartcity.feedback.moderation import scrub_text
from smartcity.feedback.service import STATUS_NAMES

RECENT = 5000  # the most recent public reports searched by text
MAX_HITS = 10


def _hit(report: Report, category: str, score: float, locale: str = "vi") -> SearchHit:
    status = (
        get_translations(locale, "feedback").gettext(STATUS_NAMES[report.status])
        if report.status in STATUS_NAMES
        else ""
    )
    return SearchHit(
        kind_vi="Phản ánh",
        kind_en="Citizen report",
        title=f"{category} — {report.ward_name or scrub_text(report.address)}".strip(" —"),
        url=f"/phan-anh/{report.code}",
        summary=f"{report.code} · {status} · {report.public_description[:160]}",
        score=score,
        when=report.submitted_at,
    )


def search(db: Database, query: str, settings: Settings, locale: str) -> list[SearchHit]:
    """Public reports: the one with this code, else those whose text, category or ward has every word; the
    category and the status in the page's language (the report's text is the reporter's)."""
    words = fold(query).split()
    if not words:
        return []
    public = select(Report).where(Report.is_public.is_(True), Report.status != "merged")
    with db.session() as s:
        categories = s.execute(select(Category.code, Category.name, Category.name_en)).all()
        names = {code: name for code, name, _en in categories}
        shown = {code: in_language(name, name_en, locale) for code, name, name_en in categories}
        by_code = s.scalar(public.where(Report.code == query.strip().upper()))
        if by_code is not None:
            return [_hit(by_code, shown.get(by_code.category_code, ""), 3.0, locale)]
        hits = []
        for report in s.scalars(public.order_by(Report.submitted_at.desc()).limit(RECENT)):
            category = names.get(report.category_code, "")
            text = fold(" ".join([report.public_description, category, report.ward_name]))
            if all(w in text for w in words):
                hits.append(_hit(report, shown.get(report.category_code, ""), 1.0, locale))
                if len(hits) >= MAX_HITS:
                    break
    return hits


SEARCH = search
