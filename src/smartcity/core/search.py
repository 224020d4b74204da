"""The contracts between the domains and the portal: search hits and sections of the citizen's own space.

A domain joins the portal's one search with a search.py offering
`SEARCH: Callable[[Database, str, Settings, str], list[SearchHit]]`, and the citizen's own space (/cua-toi)
with a citizen_space.py offering
`SECTIONS: list[Callable[[Database, Actor, Settings, str], CitizenSection | None]]`.
The last argument of both is the page's language ("vi" or "en"): the domain writes its words (a hit's title
and summary, every text of a section) in that language, translating them with its own catalogue
(`core.i18n.get_translations(locale, "<domain>")`); the portal shows them as they come and translates none.
Data stay as they are (a procedure's official name, a person's, a report's text).
Both are collected by name (`smartcity.domains.collect`), so a domain that lands later joins by adding a file.
Compare words with `smartcity.core.text.fold` / `matches` (diacritics and case ignored).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class SearchHit:
    """One thing found: what it is (kind, e.g. "Thủ tục hành chính", in both languages: the API gives both),
    its title and a line of text in the language asked for, its page."""

    kind_vi: str
    kind_en: str
    title: str
    url: str
    summary: str = ""
    score: float = 1.0  # higher first; 1.0 an ordinary match, 2.0 an exact code or title
    when: date | datetime | None = None


@dataclass(frozen=True)
class CitizenItem:
    """One of the citizen's own things: a dossier, a report, a payment... Its title and status are in the
    page's language (a title that is data, a procedure's official name, stays as it is). A section whose
    items have a `code` shows it first, as the link; one without codes links the title (a child's name).
    The date column is shown only when some item of the section has a `when`."""

    title: str
    url: str
    status: str = ""
    when: date | datetime | None = None
    code: str = ""


@dataclass(frozen=True)
class CitizenSection:
    """A section of the citizen's space, given by one domain, every text in the page's language: its title,
    what it says when it has no items (`empty`), the link to all of them (`more_label`, needed with
    `more_url`) and its actions, each (label, url). Sections show by `position`, then in the domains' order;
    what a citizen comes for (dossiers, reports) keeps 0 and their account's own details come last."""

    title: str
    items: tuple[CitizenItem, ...]
    empty: str
    more_url: str = ""
    more_label: str = ""
    actions: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    position: int = 0

    def __post_init__(self) -> None:
        if self.more_url and not self.more_label:
            raise ValueError(f"The section {self.title!r} links to {self.more_url} without a label")
