"""Tables of public investment: projects, decisions, capital plans, disbursements, progress, photos."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import BigInteger, Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.db import Base, IdType, JSONType, TimestampMixin


class Project(TimestampMixin, Base):
    """A public investment project (dự án đầu tư công); money in million VND."""

    __tablename__ = "investment_projects"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
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

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("investment_projects.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(BigInteger)


class Disbursement(TimestampMixin, Base):
    """Money paid out on a project on a date, charged to a plan year and source (million VND)."""

    __tablename__ = "investment_disbursements"
    __table_args__ = (Index("ix_investment_disb_year_source", "plan_year", "source"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("investment_projects.id", ondelete="CASCADE"))
    plan_year: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(20))
    paid_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)


class _OfProject:
    """A row of a project's record: its own id and the project's, deleted with the project (first columns,
    as the migrations made them)."""

    id: Mapped[int] = mapped_column(IdType, primary_key=True, sort_order=-2)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("investment_projects.id", ondelete="CASCADE"), index=True, sort_order=-1
    )


class Decision(_OfProject, TimestampMixin, Base):
    """An approval or adjustment decision of a project; the latest one fixes its total investment."""

    __tablename__ = "investment_decisions"

    kind: Mapped[str] = mapped_column(String(20))  # approval | adjustment
    number: Mapped[str] = mapped_column(String(60))
    signed_on: Mapped[date] = mapped_column(Date)
    signer: Mapped[str] = mapped_column(String(200))
    total_investment: Mapped[int] = mapped_column(BigInteger)


class Milestone(_OfProject, TimestampMixin, Base):
    """A step of a project's schedule with its planned and actual dates."""

    __tablename__ = "investment_milestones"

    name: Mapped[str] = mapped_column(String(200))
    planned_on: Mapped[date] = mapped_column(Date)
    actual_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class ProgressReport(_OfProject, TimestampMixin, Base):
    """Physical progress of a project in percent, as reported on a day."""

    __tablename__ = "investment_progress_reports"

    reported_on: Mapped[date] = mapped_column(Date)
    percent: Mapped[int] = mapped_column(Integer)


class Contract(_OfProject, TimestampMixin, Base):
    """A contract with a contractor, with its performance and advance guarantees (million VND)."""

    __tablename__ = "investment_contracts"

    number: Mapped[str] = mapped_column(String(60))
    contractor: Mapped[str] = mapped_column(String(200))
    value: Mapped[int] = mapped_column(BigInteger)
    signed_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    performance_guarantee: Mapped[int] = mapped_column(BigInteger, default=0)
    performance_guarantee_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    advance_guarantee: Mapped[int] = mapped_column(BigInteger, default=0)
    advance_guarantee_until: Mapped[date | None] = mapped_column(Date, nullable=True)


class Delay(_OfProject, TimestampMixin, Base):
    """A delay of a project: how many days and why."""

    __tablename__ = "investment_delays"

    reported_on: Mapped[date] = mapped_column(Date)
    days: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(500))


class MediumTermPlan(_OfProject, TimestampMixin, Base):
    """Capital of a five-year medium-term plan for a project from one source (million VND)."""

    __tablename__ = "investment_medium_term_plans"

    period: Mapped[str] = mapped_column(String(9))  # 2021-2025 | 2026-2030
    source: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(BigInteger)


class CapitalAdjustment(_OfProject, TimestampMixin, Base):
    """A change in the year to a project's allocated capital from one source (million VND, signed)."""

    __tablename__ = "investment_capital_adjustments"

    year: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(BigInteger)
    decided_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(300), default="")


class CarryOverExtension(_OfProject, TimestampMixin, Base):
    """Permission to disburse a year's capital until 31 December of the next year (Law 2019, art. 68)."""

    __tablename__ = "investment_carry_over_extensions"

    plan_year: Mapped[int] = mapped_column(Integer)
    decision_number: Mapped[str] = mapped_column(String(60))
    decided_on: Mapped[date] = mapped_column(Date)


class Settlement(TimestampMixin, Base):
    """The final settlement of a completed project (million VND)."""

    __tablename__ = "investment_settlements"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("investment_projects.id", ondelete="CASCADE"), unique=True
    )
    settled_value: Mapped[int] = mapped_column(BigInteger)
    settled_on: Mapped[date] = mapped_column(Date)
    decision_number: Mapped[str] = mapped_column(String(60))


class SitePhoto(_OfProject, TimestampMixin, Base):
    """A photo of the site: the file lives in the file store, here only its digest, date and place."""

    __tablename__ = "investment_site_photos"

    sha256: Mapped[str] = mapped_column(String(64))
    thumb_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    media_type: Mapped[str] = mapped_column(String(40))
    taken_on: Mapped[date] = mapped_column(Date)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    caption: Mapped[str] = mapped_column(String(300), default="")
