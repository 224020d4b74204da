"""The contracts between the domains and the portal: search hits and sections of the citizen's own space.

A domain joins the portal's one search with a search.py offering
`SEARCH: Callable[[Database, str, Settings], list[SearchHit]]`, and the citizen's own space (/cua-toi) with a
citizen_space.py offering `SECTIONS: list[Callable[[Database, Actor, Settings], CitizenSection | None]]`.
Both are collected by name (`smartcity.domains.collect`), so a domain that lands later joins by adding a file.
Compare words with `smartcity.core.text.fold` / `matches` (diacritics and case ignored).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class SearchHit:
    """One thing found: what it is (kind, e.g. "Thủ tục hành chính"), its title, a line of text, its page."""

    kind_vi: str
    kind_en: str
    title: str
    url: str
    summary: str = ""
    score: float = 1.0  # higher first; 1.0 an ordinary match, 2.0 an exact code or title
    when: date | datetime | None = None


@dataclass(frozen=True)
class CitizenItem:
    """One of the citizen's own things: a dossier, a report, a payment..."""

    title: str
    url: str
    status: str = ""
    when: date | datetime | None = None
    code: str = ""


@dataclass(frozen=True)
class CitizenSection:
    """A section of the citizen's space, given by one domain."""

    title_vi: str
    title_en: str
    items: tuple[CitizenItem, ...]
    more_url: str = ""
    more_label_vi: str = "Xem tất cả"
    empty_vi: str = "Chưa có."
    actions: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (label, url)
