"""FHIR search: the parameters each type supports, mapped onto the search columns; paging and _include."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from smartcity.core.clock import city_zone
from smartcity.core.config import Settings
from smartcity.core.crypto import Keys
from smartcity.health.fhir.access import Caller
from smartcity.health.fhir.extract import fold, token
from smartcity.health.fhir.outcome import FhirError
from smartcity.health.fhir.store import Stored, served
from smartcity.health.fhir.validate import SUPPORTED_TYPES
from smartcity.health.models import FhirResource

COMMON = {
    "_id": ("token", "The resource's logical id"),
    "_lastUpdated": ("date", "When the resource was last changed"),
    "identifier": ("token", "An identifier (system|value or value)"),
}
PARAMS: dict[str, dict[str, tuple[str, str]]] = {
    "Patient": {
        "name": ("string", "A whole word of a name (case and diacritics ignored)"),
        "family": ("string", "A whole word of a name"),
        "given": ("string", "A whole word of a name"),
        "birthdate": ("date", "Date of birth"),
        "gender": ("token", "male | female | other | unknown"),
        "organization": ("reference", "Managing organisation"),
        "active": ("token", "true | false"),
    },
    "Encounter": {
        "patient": ("reference", "The patient"),
        "subject": ("reference", "The patient"),
        "date": ("date", "Start of the encounter"),
        "status": ("token", "Encounter status"),
        "type": ("token", "Encounter type or class"),
        "service-provider": ("reference", "The organisation responsible"),
    },
    "Immunization": {
        "patient": ("reference", "The vaccinated patient"),
        "date": ("date", "When the vaccine was given"),
        "status": ("token", "completed | entered-in-error | not-done"),
        "vaccine-code": ("token", "The vaccine (TCMR code or CVX)"),
        "performer": ("reference", "The organisation that vaccinated"),
    },
    "Observation": {
        "patient": ("reference", "The patient"),
        "subject": ("reference", "The patient"),
        "date": ("date", "Effective date"),
        "code": ("token", "What was observed (LOINC...)"),
        "status": ("token", "Observation status"),
    },
    "Condition": {
        "patient": ("reference", "The patient"),
        "subject": ("reference", "The patient"),
        "code": ("token", "The condition (ICD-10...)"),
        "clinical-status": ("token", "active | recurrence | relapse | inactive | remission | resolved"),
        "onset-date": ("date", "Onset or recorded date"),
    },
    "Organization": {"name": ("string", "A whole word of the name"), "type": ("token", "Organisation type")},
    "Location": {
        "name": ("string", "A whole word of the name"),
        "organization": ("reference", "Managing organisation"),
        "type": ("token", "Location type"),
    },
    "Practitioner": {
        "name": ("string", "A whole word of a name"),
        "family": ("string", "A whole word of a name"),
        "given": ("string", "A whole word of a name"),
    },
}
INCLUDES = {
    "Patient": ("Patient:organization",),
    "Encounter": ("Encounter:patient", "Encounter:subject", "Encounter:service-provider"),
    "Immunization": ("Immunization:patient", "Immunization:performer"),
    "Observation": ("Observation:patient", "Observation:subject"),
    "Condition": ("Condition:patient", "Condition:subject"),
    "Location": ("Location:organization",),
}
SORTS = {
    "_lastUpdated": FhirResource.last_updated,
    "_id": FhirResource.logical_id,
    "birthdate": FhirResource.birthdate,
    "date": FhirResource.clinical_date,
}
CONTROL = ("_count", "_offset", "_sort", "_include", "_format", "_total", "_summary", "_elements", "_pretty")
PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb")


def params_for(resource_type: str) -> dict[str, tuple[str, str]]:
    """The search parameters of a type (common ones included)."""
    return {**COMMON, **PARAMS[resource_type]}


@dataclass
class Query:
    """A parsed search: conditions, order, paging and includes."""

    conditions: list[ColumnElement[bool]] = field(default_factory=list)
    order: list[Any] = field(default_factory=list)
    count: int = 20
    offset: int = 0
    includes: list[str] = field(default_factory=list)
    summary_count: bool = False
    used: list[tuple[str, str]] = field(default_factory=list)  # parameters applied (for the self link)


def _date_range(value: str, name: str, settings: Settings) -> tuple[str, date]:
    prefix = value[:2] if value[:2] in PREFIXES else "eq"
    text = value[2:] if value[:2] in PREFIXES else value
    try:
        if len(text) == 4:
            return prefix, date(int(text), 1, 1)
        if len(text) == 7:
            return prefix, date(int(text[:4]), int(text[5:7]), 1)
        if len(text) > 10:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return prefix, (moment.astimezone(city_zone(settings)) if moment.tzinfo else moment).date()
        return prefix, date.fromisoformat(text)
    except ValueError:
        raise FhirError.of(
            400, f"{name}: {value!r} is not a FHIR date", code="value", expression=name
        ) from None


def _precision_end(value: str, start: date) -> date:
    text = value[2:] if value[:2] in PREFIXES else value
    if len(text) == 4:
        return date(start.year + 1, 1, 1)
    if len(text) == 7:
        return date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return start + timedelta(days=1)


def _date_condition(column: Any, value: str, name: str, settings: Settings) -> ColumnElement[bool]:
    prefix, start = _date_range(value, name, settings)
    end = _precision_end(value, start)
    if column is FhirResource.last_updated:
        zone = city_zone(settings)
        start_v: Any = datetime.combine(start, time(), zone)
        end_v: Any = datetime.combine(end, time(), zone)
    else:
        start_v, end_v = start, end
    if prefix == "eq":
        return and_(column >= start_v, column < end_v)
    if prefix == "ne":
        return or_(column < start_v, column >= end_v)
    if prefix in ("gt", "sa"):
        return column >= end_v
    if prefix in ("lt", "eb"):
        return column < start_v
    if prefix == "ge":
        return column >= start_v
    return column < end_v  # le


def _like_any(column: Any, tokens: list[str]) -> ColumnElement[bool]:
    return or_(*(column.like(f"% {t} %") for t in tokens))


def _reference(value: str, target: str) -> str:
    value = value.split("/_history")[0]
    if value.startswith("http"):
        value = "/".join(value.rstrip("/").split("/")[-2:])
    return value if "/" in value else f"{target}/{value}"


def _token_values(value: str) -> list[str]:
    return [v for v in value.split(",") if v]


def _condition(
    resource_type: str, name: str, value: str, secret: Keys, settings: Settings
) -> ColumnElement[bool]:
    kind = params_for(resource_type)[name][0]
    if name == "_id":
        return FhirResource.logical_id.in_(_token_values(value))
    if kind == "date":
        column = (
            FhirResource.last_updated
            if name == "_lastUpdated"
            else (FhirResource.birthdate if name == "birthdate" else FhirResource.clinical_date)
        )
        return _date_condition(column, value, name, settings)
    if name == "identifier":
        tokens = []
        for item in _token_values(value):
            system, bar, code = item.partition("|")
            tokens.append(token(secret, f"{system}|{code}" if bar else f"|{item}"))
        return _like_any(FhirResource.identifiers, tokens)
    if kind == "string":
        words = fold(value.replace(",", " ")).split()
        if not words:
            raise FhirError.of(400, f"{name} needs a value", expression=name)
        return and_(*(FhirResource.name_tokens.like(f"% {token(secret, 'name:' + w)} %") for w in words))
    if name == "gender":
        return FhirResource.gender.in_(_token_values(value))
    if name in ("status", "clinical-status"):
        return FhirResource.status.in_(_token_values(value))
    if name == "active":
        return FhirResource.status == ("inactive" if value == "false" else "active")
    if name in ("code", "vaccine-code", "type"):
        return _like_any(FhirResource.codes, _token_values(value))
    if name in ("patient", "subject"):
        return FhirResource.patient_ref.in_([_reference(v, "Patient") for v in _token_values(value)])
    return FhirResource.org_ref.in_([_reference(v, "Organization") for v in _token_values(value)])


def parse(
    resource_type: str,
    items: list[tuple[str, str]],
    *,
    secret: Keys,
    settings: Settings,
    default_count: int,
    max_count: int,
    strict: bool = False,
) -> Query:
    """Parse search parameters (repeated: AND; commas: OR). Unknown ones: ignored, or 400 if strict."""
    query = Query(count=default_count)
    known = params_for(resource_type)
    for raw_name, value in items:
        if raw_name in CONTROL:
            _control(query, resource_type, raw_name, value, max_count)
        elif raw_name in known:
            query.conditions.append(_condition(resource_type, raw_name, value, secret, settings))
            query.used.append((raw_name, value))
        elif strict:
            raise FhirError.of(
                400,
                f"Search parameter {raw_name!r} is not supported for {resource_type}",
                code="not-supported",
                expression=raw_name,
            )
    return query


def _number(value: str, name: str) -> int:
    if not value.isdigit():
        raise FhirError.of(400, f"{name} must be a whole number", code="value", expression=name)
    return int(value)


def _control(query: Query, resource_type: str, name: str, value: str, max_count: int) -> None:
    if name == "_count":
        query.count = min(_number(value, name), max_count)
        query.used.append((name, str(query.count)))
    elif name == "_offset":
        query.offset = _number(value, name)
    elif name == "_summary" and value == "count":
        query.summary_count = True
        query.used.append((name, value))
    elif name == "_sort":
        for key in value.split(","):
            column = SORTS.get(key.lstrip("-"))
            if column is None:
                raise FhirError.of(
                    400,
                    f"_sort by {key!r} is not supported (one of {', '.join(SORTS)})",
                    code="not-supported",
                    expression="_sort",
                )
            query.order.append(column.desc() if key.startswith("-") else column.asc())
        query.used.append((name, value))
    elif name == "_include":
        if value not in INCLUDES.get(resource_type, ()) and value != "*":
            raise FhirError.of(
                400,
                f"_include={value} is not supported for {resource_type}",
                code="not-supported",
                expression="_include",
            )
        query.includes.append(value)
        query.used.append((name, value))
    elif name == "_format":
        query.used.append((name, value))  # the paging links keep the format asked for


def _base(resource_type: str, query: Query) -> Select[Any]:
    return select(FhirResource).where(
        FhirResource.resource_type == resource_type, FhirResource.is_current.is_(True), *query.conditions
    )


def run(
    session: Session, secret: Keys, resource_type: str, query: Query
) -> tuple[list[Stored], int, list[Stored]]:
    """The page of matches, the total and the included resources."""
    if resource_type not in SUPPORTED_TYPES:
        raise FhirError.of(404, f"Resource type {resource_type} is not supported here", code="not-supported")
    base = _base(resource_type, query)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    if query.summary_count:
        return [], total, []
    order = (
        [*query.order, FhirResource.last_updated.desc(), FhirResource.id.desc()]
        if not query.order
        else [*query.order, FhirResource.id.asc()]
    )
    rows = session.scalars(base.order_by(*order).offset(query.offset).limit(query.count)).all()
    matches = [served(secret, r) for r in rows]
    return matches, total, _included(session, secret, rows, query.includes)


def _included(session: Session, secret: Keys, rows: Any, includes: list[str]) -> list[Stored]:
    references: set[str] = set()
    for include in includes:
        target = include.split(":")[-1]
        for row in rows:
            ref = row.patient_ref if target in ("patient", "subject", "*") else row.org_ref
            if ref:
                references.add(ref)
            if target == "*" and row.org_ref:
                references.add(row.org_ref)
    found = []
    for reference in sorted(references):
        kind, _, logical_id = reference.partition("/")
        row = session.scalar(
            select(FhirResource).where(
                FhirResource.resource_type == kind,
                FhirResource.logical_id == logical_id,
                FhirResource.is_current.is_(True),
            )
        )
        if row is not None:
            found.append(served(secret, row))
    return found


PERSONAL = ("Patient", "Encounter", "Immunization", "Observation", "Condition")


def scope(resource_type: str, caller: Caller) -> list[ColumnElement[bool]]:
    """What a caller may see of a type: a health worker, their wards' people; a system, what it wrote."""
    if resource_type not in PERSONAL:
        return []
    if caller.system_org is not None:
        return [FhirResource.owner_org == caller.system_org]
    if caller.wards is None:
        return []
    if resource_type == "Patient":
        return [FhirResource.ward_code.in_(caller.wards)]
    people = aliased(FhirResource)
    in_wards = select(literal("Patient/") + people.logical_id).where(
        people.resource_type == "Patient", people.is_current.is_(True), people.ward_code.in_(caller.wards)
    )
    return [FhirResource.patient_ref.in_(in_wards)]


def visible(session: Session, caller: Caller, resource_type: str, logical_id: str) -> bool:
    """Whether the caller may read this resource (404 is answered otherwise, revealing nothing)."""
    conditions = scope(resource_type, caller)
    if not conditions:
        return True
    found = session.scalar(
        select(FhirResource.id)
        .where(
            FhirResource.resource_type == resource_type,
            FhirResource.logical_id == logical_id,
            *conditions,
        )
        .limit(1)
    )
    return found is not None
