"""The portal's own forms and reads (news, announcements, pages); its contracts with the domains (search
hits, citizen-space sections) are in core/search.py."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from smartcity.core.i18n import in_language

KINDS = ("news", "announcement", "page")


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
        return in_language(self.title_vi, self.title_en, locale)

    def summary(self, locale: str) -> str:
        """The summary in the page's language."""
        return in_language(self.summary_vi, self.summary_en, locale)

    def paragraphs(self, locale: str) -> list[str]:
        """The body in the page's language, as paragraphs (blank lines separate them)."""
        body = in_language(self.body_vi, self.body_en, locale)
        return [p.strip() for p in body.replace("\r\n", "\n").split("\n\n") if p.strip()]

    def image_alt(self, locale: str) -> str:
        """The image's text alternative in the page's language."""
        return in_language(self.image_alt_vi, self.image_alt_en, locale)
