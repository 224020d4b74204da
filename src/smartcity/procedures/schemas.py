"""Pydantic models of the procedures domain."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from smartcity.core.pages import Page
from smartcity.core.schemas import RowModel, StrictModel
from smartcity.procedures.workflows import TEMPLATES

ONLINE_SCOPES = ("toan_trinh", "mot_phan")
AUTHORITY_LEVELS = ("city", "ward")


def _without_labels(value: Any) -> Any:
    """The schema with titles and descriptions emptied (they do not change its validity)."""
    if isinstance(value, dict):
        return {
            k: ("" if k in ("title", "description") and isinstance(v, str) else _without_labels(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_without_labels(v) for v in value]
    return value


@lru_cache(maxsize=1024)
def schema_problem(schema_json: str) -> str | None:
    """Why a JSON Schema (as canonical JSON) is not a valid object schema, or None if it is."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    schema = json.loads(schema_json)
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return f"not a valid JSON Schema: {exc.message}"
    if schema.get("type") != "object":
        return "the schema must describe an object"
    return None


class Fee(StrictModel):
    """A fee or charge (phí, lệ phí) of a procedure, in đồng."""

    name: str = Field(min_length=1, max_length=300)
    amount_vnd: int = Field(ge=0, le=1_000_000_000)
    note: str | None = Field(default=None, max_length=500)


class RequiredDocument(StrictModel):
    """A document of the dossier (thành phần hồ sơ) with the originals and copies needed."""

    code: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    name: str = Field(min_length=1, max_length=500)
    originals: int = Field(default=1, ge=0, le=20)
    copies: int = Field(default=0, ge=0, le=20)
    required: bool = True


class ProcedureBase(BaseModel):
    """The fields of a procedure as the catalogue (and its XLSX/CSV form) carries them."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(pattern=r"^[A-Za-z0-9.\-]{2,40}$")
    name: str = Field(min_length=3, max_length=500)
    name_en: str | None = Field(default=None, max_length=500)
    field: str = Field(min_length=2, max_length=200)
    field_code: str = Field(pattern=r"^[A-Z]{1,20}$")
    level: int = Field(ge=1, le=4, description="Online level on the old scale (Decree 43/2011): 1–4")
    online_scope: str | None = Field(default=None, description="Decree 42/2022: toan_trinh or mot_phan")
    authority_level: str = Field(default="city", description="city or ward")
    processing_days: int = Field(ge=0, le=365, description="Working days; 0 = the same day")
    processing_note: str | None = Field(default=None, max_length=2000)
    fees: list[Fee] = Field(default_factory=list)
    required_documents: list[RequiredDocument] = Field(default_factory=list)
    form_schema: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    result_schema: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    legal_basis: str = Field(default="", max_length=4000)
    agency_code: str = Field(min_length=2, max_length=64, description="Deciding org unit, or WARD")
    result_type: str = Field(min_length=2, max_length=300)
    workflow: str = Field(description=f"One of {', '.join(TEMPLATES)}")
    interlinked: bool = Field(default=False, description="Liên thông: may be transferred between agencies")
    is_placeholder: bool = True
    notes: str | None = Field(default=None, max_length=4000)
    active: bool = True

    @field_validator("online_scope")
    @classmethod
    def _scope(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if value not in ONLINE_SCOPES:
            raise ValueError(f"must be one of {', '.join(ONLINE_SCOPES)} or empty")
        return value

    @field_validator("authority_level")
    @classmethod
    def _authority(cls, value: str) -> str:
        if value not in AUTHORITY_LEVELS:
            raise ValueError(f"must be one of {', '.join(AUTHORITY_LEVELS)}")
        return value

    @field_validator("workflow")
    @classmethod
    def _workflow(cls, value: str) -> str:
        if value not in TEMPLATES:
            raise ValueError(f"unknown workflow template; use one of {', '.join(TEMPLATES)}")
        return value

    @field_validator("form_schema", "result_schema")
    @classmethod
    def _schema(cls, value: dict[str, Any]) -> dict[str, Any]:
        problem = schema_problem(json.dumps(_without_labels(value), sort_keys=True))
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _levels_agree(self) -> ProcedureBase:
        expected = {4: "toan_trinh", 3: "mot_phan"}.get(self.level)
        if self.level >= 3 and self.online_scope is None:
            self.online_scope = expected
        if self.level <= 2 and self.online_scope is not None:
            raise ValueError("levels 1 and 2 are not online services: leave online_scope empty")
        codes = [d.code for d in self.required_documents]
        if len(codes) != len(set(codes)):
            raise ValueError("required document codes must be unique")
        return self


class ProcedureRead(ProcedureBase):
    """A procedure as the API shows it."""

    model_config = ConfigDict(from_attributes=True, extra="ignore")

    id: int
    fee_total_vnd: int = 0
    online: bool = False


class ProcedureSummary(RowModel):
    """A procedure in a list."""

    code: str
    name: str
    field: str
    field_code: str
    level: int
    online_scope: str | None
    authority_level: str
    agency_code: str
    processing_days: int
    fee_total_vnd: int = 0
    is_placeholder: bool


ProcedurePage = Page[ProcedureSummary]


class ImportReport(BaseModel):
    """What an import or a catalogue load changed."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        """Every row seen."""
        return self.created + self.updated + self.unchanged
