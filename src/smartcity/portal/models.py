"""Tables of the portal: the editorial posts (news, announcements, pages) in Vietnamese and English."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.db import Base, TimestampMixin, UTCDateTime


class Post(TimestampMixin, Base):
    """A news item, an announcement or a standing page; a draft until published at a date."""

    __tablename__ = "portal_posts"
    __table_args__ = (Index("ix_portal_posts_status_published", "status", "published_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)  # news | announcement | page
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft | published
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    title_vi: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300), default="")
    summary_vi: Mapped[str] = mapped_column(Text, default="")
    summary_en: Mapped[str] = mapped_column(Text, default="")
    body_vi: Mapped[str] = mapped_column(Text, default="")
    body_en: Mapped[str] = mapped_column(Text, default="")
    image_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    image_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    image_alt_vi: Mapped[str] = mapped_column(String(300), default="")
    image_alt_en: Mapped[str] = mapped_column(String(300), default="")
    author: Mapped[str] = mapped_column(String(200), default="")
