"""The portal's contracts with the domains (search hits, citizen-space sections) and its own forms.

A domain joins the portal's one search with a search.py offering
`SEARCH: Callable[[Database, str, Settings], list[SearchHit]]`, and the citizen's own space (/cua-toi) with a
citizen_space.py offering `SECTIONS: list[Callable[[Database, Actor, Settings], CitizenSection | None]]`.
Both are collected by name (`smartcity.domains.collect`), so a domain that lands later joins by adding a file.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from pydantic import BaseModel, Field

KINDS = ("news", "announcement", "page")
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case text without diacritics (đ → d), spaces collapsed: how every search compares words."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", stripped.lower()).strip()


def matches(text: str, query: str) -> bool:
    """True when every word of the query is in the text, diacritics and case ignored (empty query: True)."""
    folded = fold(text)
    return all(word in folded for word in fold(query).split(" ") if word)


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


class PostInput(BaseModel):
    """What an editor writes: a news item, an announcement or a page, in Vietnamese (English optional)."""

    kind: str = Field(pattern="^(news|announcement|page)$")
    slug: str = Field(default="", max_length=160, pattern="^[a-z0-9-]*$")
    title_vi: str = Field(min_length=3, max_length=300)
    title_en: str = Field(default="", max_length=300)
    summary_vi: str = Field(default="", max_length=1000)
    summary_en: str = Field(default="", max_length=1000)
    body_vi: str = Field(default="", max_length=50_000)
    body_en: str = Field(default="", max_length=50_000)
    image_alt_vi: str = Field(default="", max_length=300)
    image_alt_en: str = Field(default="", max_length=300)
    publish: bool = False
    published_on: date | None = None


class PostRead(BaseModel):
    """A post as pages show it."""

    id: int
    slug: str
    kind: str
    status: str
    published_at: datetime | None
    title_vi: str
    title_en: str
    summary_vi: str
    summary_en: str
    body_vi: str
    body_en: str
    image_sha256: str | None
    image_alt_vi: str
    image_alt_en: str
    author: str
    updated_at: datetime

    def title(self, locale: str) -> str:
        """The title in the page's language (Vietnamese when no English was written)."""
        return self.title_en if locale == "en" and self.title_en else self.title_vi

    def summary(self, locale: str) -> str:
        """The summary in the page's language."""
        return self.summary_en if locale == "en" and self.summary_en else self.summary_vi

    def paragraphs(self, locale: str) -> list[str]:
        """The body in the page's language, as paragraphs (blank lines separate them)."""
        body = self.body_en if locale == "en" and self.body_en else self.body_vi
        return [p.strip() for p in body.replace("\r\n", "\n").split("\n\n") if p.strip()]

    def image_alt(self, locale: str) -> str:
        """The image's text alternative in the page's language."""
        return self.image_alt_en if locale == "en" and self.image_alt_en else self.image_alt_vi
