"""Tables of public investment: projects, yearly capital plans per source, disbursements by date."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.db import Base, JSONType, TimestampMixin

_ID = BigInteger().with_variant(Integer, "sqlite")


class Project(TimestampMixin, Base):
    """A public investment project (dự án đầu tư công); money in million VND."""

    __tablename__ = "investment_projects"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    group: Mapped[str] = mapped_column(String(20), default="C")  # national | A | B | C
    kind: Mapped[str] = mapped_column(String(40), default="road")
    investor: Mapped[str] = mapped_column(String(200), default="")
    phase: Mapped[str] = mapped_column(String(20), default="implementation")
    programme: Mapped[str] = mapped_column(String(40), default="")  # e.g. "2016-2020-province"
    total_investment: Mapped[int] = mapped_column(BigInteger, default=0)
    ward_codes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    geometry: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    start_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    expected_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    progress_percent: Mapped[int] = mapped_column(Integer, default=0)


class CapitalPlan(TimestampMixin, Base):
    """Capital planned for a project in a year from one funding source (million VND)."""

    __tablename__ = "investment_capital_plans"
    __table_args__ = (Index("ix_investment_plans_year_source", "year", "source"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("investment_projects.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(BigInteger)


class Disbursement(TimestampMixin, Base):
    """Money paid out on a project on a date, charged to a plan year and source (million VND)."""

    __tablename__ = "investment_disbursements"
    __table_args__ = (Index("ix_investment_disb_year_source", "plan_year", "source"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("investment_projects.id", ondelete="CASCADE"))
    plan_year: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(20))
    paid_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
