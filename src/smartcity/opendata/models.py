"""Tables of the open-data catalogue: the generated resource files and their use."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.db import Base, UTCDateTime, utcnow


class GeneratedResource(Base):
    """The latest generated file of one resource of a dataset (CSV, XLSX, GeoJSON), in the file store."""

    __tablename__ = "opendata_resources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[str] = mapped_column(String(160), unique=True)
    dataset: Mapped[str] = mapped_column(String(120), index=True)
    format: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UsageHit(Base):
    """One use of a dataset: a download of a resource or a call of the catalogue's API naming it."""

    __tablename__ = "opendata_usage"
    __table_args__ = (Index("ix_opendata_usage_dataset_at", "dataset", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))  # download | api
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
