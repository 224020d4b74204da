"""Tables of the procedures domain: the catalogue of administrative procedures."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.db import Base, JSONType, TimestampMixin


class Procedure(TimestampMixin, Base):
    """One administrative procedure: what to bring, how long, how much, who decides, what comes out."""

    __tablename__ = "procedures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(500))
    name_en: Mapped[str | None] = mapped_column(String(500), nullable=True)
    field: Mapped[str] = mapped_column(String(200), index=True)
    field_code: Mapped[str] = mapped_column(String(20), index=True)
    level: Mapped[int] = mapped_column(Integer, index=True)
    online_scope: Mapped[str | None] = mapped_column(String(20), nullable=True)
    authority_level: Mapped[str] = mapped_column(String(20), default="city")
    processing_days: Mapped[int] = mapped_column(Integer)
    processing_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    fees: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    required_documents: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    form_schema: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    result_schema: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    agency_code: Mapped[str] = mapped_column(String(64), index=True)
    result_type: Mapped[str] = mapped_column(String(300))
    workflow: Mapped[str] = mapped_column(String(40))
    interlinked: Mapped[bool] = mapped_column(Boolean, default=False)
    is_placeholder: Mapped[bool] = mapped_column(Boolean, default=True)
    search_text: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
