"""Bodies the investment API accepts."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class DecisionIn(BaseModel):
    """An approval or adjustment decision."""

    kind: str = Field(pattern="^(approval|adjustment)$")
    number: str = Field(min_length=1, max_length=60)
    signed_on: date
    signer: str = Field(min_length=1, max_length=200)
    total_investment: int = Field(gt=0)


class MilestoneIn(BaseModel):
    """A step of the schedule."""

    name: str = Field(min_length=1, max_length=200)
    planned_on: date
    actual_on: date | None = None


class ProgressIn(BaseModel):
    """Physical progress on a day."""

    reported_on: date
    percent: int = Field(ge=0, le=100)


class ContractIn(BaseModel):
    """A contract and its guarantees (million VND)."""

    number: str = Field(min_length=1, max_length=60)
    contractor: str = Field(min_length=1, max_length=200)
    value: int = Field(gt=0)
    signed_on: date
    ends_on: date
    performance_guarantee: int = Field(default=0, ge=0)
    performance_guarantee_until: date | None = None
    advance_guarantee: int = Field(default=0, ge=0)
    advance_guarantee_until: date | None = None


class DelayIn(BaseModel):
    """A delay and its reason."""

    reported_on: date
    days: int = Field(gt=0)
    reason: str = Field(min_length=1, max_length=500)


class MediumTermIn(BaseModel):
    """Capital of a medium-term plan from one source."""

    period: str = Field(pattern="^(2021-2025|2026-2030)$")
    source: str = Field(max_length=20)
    amount: int = Field(gt=0)


class AdjustmentIn(BaseModel):
    """A change to the year's capital from one source."""

    year: int = Field(ge=2000, le=2100)
    source: str = Field(max_length=20)
    amount: int
    decided_on: date
    reason: str = Field(default="", max_length=300)


class ExtensionIn(BaseModel):
    """Permission to carry a year's capital to 31 December of the next year."""

    plan_year: int = Field(ge=2000, le=2100)
    decision_number: str = Field(min_length=1, max_length=60)
    decided_on: date


class SettlementIn(BaseModel):
    """A final settlement."""

    settled_value: int = Field(gt=0)
    settled_on: date
    decision_number: str = Field(min_length=1, max_length=60)
