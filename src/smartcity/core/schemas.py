"""Pydantic bases shared by every domain's schemas.py."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

CITIZEN_ID_PATTERN = r"^[0-9]{12}$"
"""A personal ID number (số định danh cá nhân, on the căn cước card): 12 digits."""


class RowModel(BaseModel):
    """A schema read from an ORM row or any object with the same attributes (`model_validate(row)`)."""

    model_config = ConfigDict(from_attributes=True)


class StrictModel(BaseModel):
    """A schema of input that refuses fields it does not know (422 naming them)."""

    model_config = ConfigDict(extra="forbid")
