"""Storage of FHIR resources: every version kept, the JSON encrypted, search columns in clear."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from smartcity.core.crypto import Keys, decrypt_personal, encrypt_personal
from smartcity.core.db import utcnow
from smartcity.health.fhir.access import Caller
from smartcity.health.fhir.extract import columns, fold
from smartcity.health.fhir.outcome import FhirError
from smartcity.health.fhir.validate import validate
from smartcity.health.models import FhirResource, PatientConflict

MATCHED_FIELDS = ("birthDate", "gender", "name")


@dataclass(frozen=True)
class StoreContext:
    """What a write needs: the session, the key, the national ID system, who writes and the wards."""

    session: Session
    secret: Keys
    national_system: str
    caller: Caller
    wards: dict[str, str]  # folded ward name ("PHUONG PHU LOI") → ward code, valid today
    today: date
    conflicts: list[PatientConflict] = field(default_factory=list)  # kept even if the write fails


@dataclass(frozen=True)
class Stored:
    """A resource version as served: its JSON (with id and meta), version and time."""

    resource: dict[str, Any]
    version: int
    last_updated: datetime

    @property
    def reference(self) -> str:
        """Type/id."""
        return f"{self.resource['resourceType']}/{self.resource['id']}"

    @property
    def etag(self) -> str:
        """The weak ETag of this version."""
        return f'W/"{self.version}"'


def instant(moment: datetime) -> str:
    """A FHIR instant in UTC."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def served(secret: Keys, row: FhirResource) -> Stored:
    """The resource a row holds, decrypted, with its id and meta."""
    resource = json.loads(decrypt_personal(secret, row.content))
    resource["id"] = row.logical_id
    meta = dict(resource.get("meta") or {})
    meta.update(versionId=str(row.version), lastUpdated=instant(row.last_updated))
    resource["meta"] = meta
    return Stored(resource=resource, version=row.version, last_updated=row.last_updated)


def current_row(session: Session, resource_type: str, logical_id: str) -> FhirResource | None:
    """The current version's row of a resource, None if it does not exist."""
    return session.scalar(
        select(FhirResource).where(
            FhirResource.resource_type == resource_type,
            FhirResource.logical_id == logical_id,
            FhirResource.is_current.is_(True),
        )
    )


def read(session: Session, secret: Keys, resource_type: str, logical_id: str) -> Stored:
    """The current version of a resource (404 OperationOutcome if unknown)."""
    row = current_row(session, resource_type, logical_id)
    if row is None:
        raise FhirError.of(404, f"{resource_type}/{logical_id} is not known", code="not-found")
    return served(secret, row)


def vread(session: Session, secret: Keys, resource_type: str, logical_id: str, version: int) -> Stored:
    """One version of a resource."""
    row = session.scalar(
        select(FhirResource).where(
            FhirResource.resource_type == resource_type,
            FhirResource.logical_id == logical_id,
            FhirResource.version == version,
        )
    )
    if row is None:
        raise FhirError.of(404, f"{resource_type}/{logical_id} has no version {version}", code="not-found")
    return served(secret, row)


def history(session: Session, secret: Keys, resource_type: str, logical_id: str) -> list[Stored]:
    """Every version of a resource, newest first."""
    rows = session.scalars(
        select(FhirResource)
        .where(FhirResource.resource_type == resource_type, FhirResource.logical_id == logical_id)
        .order_by(FhirResource.version.desc())
    ).all()
    if not rows:
        raise FhirError.of(404, f"{resource_type}/{logical_id} is not known", code="not-found")
    return [served(secret, r) for r in rows]


def _check_references(ctx: StoreContext, resource: dict[str, Any]) -> None:
    """References to a patient or an organisation must point at a stored resource."""
    found = columns(ctx.secret, resource)
    for element, reference in (
        ("patient", found.patient_ref),
        *(("organization", r) for r in found.org_refs),
    ):
        if reference is None:
            continue
        kind, _, logical_id = reference.partition("/")
        if current_row(ctx.session, kind, logical_id.split("/_history")[0]) is None:
            raise FhirError.of(
                422,
                f"{reference} is not known here (send it first, or in the same transaction)",
                code="not-found",
                expression=f"{resource['resourceType']}.{element}",
            )


def _check_system_writes(ctx: StoreContext, resource: dict[str, Any], existing: FhirResource | None) -> None:
    """A registered system writes only for its own Organization."""
    org = ctx.caller.system_org
    if org is None:
        return
    own = f"Organization/{org}"
    kind = resource["resourceType"]
    if kind == "Organization" and resource.get("id") != org:
        raise FhirError.of(
            403,
            "A system may only update its own Organization",
            code="forbidden",
            expression="Organization.id",
        )
    for reference in columns(ctx.secret, resource).org_refs:
        if reference != own:
            raise FhirError.of(
                403,
                f"A system writes only for {own}, not {reference}",
                code="forbidden",
                expression=f"{kind}",
            )
    if existing is not None and existing.owner_org != org and kind != "Organization":
        raise FhirError.of(403, f"{kind}/{existing.logical_id} was not written by {own}", code="forbidden")


def _ward(ctx: StoreContext, hint: tuple[str | None, list[str]]) -> str | None:
    code, texts = hint
    if code:
        return code if code in ctx.wards.values() else None
    for text in texts:
        folded = fold(text)
        for name, ward_code in ctx.wards.items():
            if name in folded:
                return ward_code
    return None


def _national_token(ctx: StoreContext, resource: dict[str, Any]) -> str | None:
    from smartcity.health.fhir.extract import token

    for identifier in resource.get("identifier") or []:
        if identifier.get("system") == ctx.national_system and identifier.get("value"):
            return token(ctx.secret, f"{ctx.national_system}|{identifier['value']}")
    return None


def find_by_identifier(ctx: StoreContext, resource_type: str, identifier_token: str) -> list[FhirResource]:
    """Current resources carrying an identifier (by its keyed hash)."""
    return list(
        ctx.session.scalars(
            select(FhirResource).where(
                FhirResource.resource_type == resource_type,
                FhirResource.is_current.is_(True),
                FhirResource.identifiers.like(f"% {identifier_token} %"),
            )
        )
    )


def _same_person(ctx: StoreContext, resource: dict[str, Any], existing: FhirResource) -> list[str]:
    """The elements in which an incoming Patient differs from the stored one with its identifier."""
    stored = served(ctx.secret, existing).resource
    differ = []
    for element in MATCHED_FIELDS:
        mine, theirs = resource.get(element), stored.get(element)
        if element == "name":
            mine = sorted({fold(n.get("family", "")) for n in mine or []})
            theirs = sorted({fold(n.get("family", "")) for n in theirs or []})
        if mine and theirs and mine != theirs:
            differ.append(f"Patient.{element}")
    return differ


def record_conflict(
    ctx: StoreContext, resource: dict[str, Any], existing: FhirResource, fields: list[str]
) -> None:
    """List a same-identifier, different-details Patient for a person to settle (nothing merged)."""
    ctx.conflicts.append(
        PatientConflict(
            patient_id=existing.logical_id,
            fields=fields,
            source=ctx.caller.label,
            incoming=encrypt_personal(ctx.secret, json.dumps(resource, ensure_ascii=False)),
        )
    )


def _duplicate_patient(ctx: StoreContext, resource: dict[str, Any], logical_id: str | None) -> None:
    national = _national_token(ctx, resource)
    if resource["resourceType"] != "Patient" or national is None:
        return
    others = [r for r in find_by_identifier(ctx, "Patient", national) if r.logical_id != logical_id]
    if others:
        fields = _same_person(ctx, resource, others[0])
        if fields:
            record_conflict(ctx, resource, others[0], fields)
        raise FhirError.of(
            409,
            f"Patient/{others[0].logical_id} already has this citizen ID; use a conditional create "
            "(If-None-Exist) or update it"
            + (f" (details differ in {', '.join(fields)}: listed for review)" if fields else ""),
            code="duplicate",
            expression="Patient.identifier",
        )


def _row(
    ctx: StoreContext, resource: dict[str, Any], logical_id: str, version: int, existing: FhirResource | None
) -> FhirResource:
    return FhirResource(**_values(ctx, resource, logical_id, version, existing))


def _values(
    ctx: StoreContext, resource: dict[str, Any], logical_id: str, version: int, existing: FhirResource | None
) -> dict[str, Any]:
    resource = {**resource, "id": logical_id}
    meta = {
        k: v for k, v in (resource.pop("meta", None) or {}).items() if k not in ("versionId", "lastUpdated")
    }
    if meta:
        resource["meta"] = meta
    found = columns(ctx.secret, resource)
    ward = _ward(ctx, found.ward_hint) if resource["resourceType"] == "Patient" else None
    return dict(
        resource_type=resource["resourceType"],
        logical_id=logical_id,
        version=version,
        is_current=True,
        last_updated=utcnow(),
        content=encrypt_personal(ctx.secret, json.dumps(resource, ensure_ascii=False, separators=(",", ":"))),
        identifiers=found.identifiers,
        name_tokens=found.name_tokens,
        guardian_tokens=found.guardian_tokens,
        birthdate=found.birthdate,
        gender=found.gender,
        ward_code=ward,
        ward_on=ctx.today if ward else None,
        clinical_date=found.clinical_date,
        patient_ref=found.patient_ref,
        org_ref=found.org_ref,
        codes=found.codes,
        status=found.status,
        owner_org=ctx.caller.system_org or (existing.owner_org if existing else None),
    )


def _write(
    ctx: StoreContext, resource: dict[str, Any], logical_id: str, version: int, existing: FhirResource | None
) -> Stored:
    if existing is not None:
        ctx.session.execute(
            update(FhirResource).where(FhirResource.id == existing.id).values(is_current=False)
        )
    row = _row(ctx, resource, logical_id, version, existing)
    ctx.session.add(row)
    ctx.session.flush()
    return served(ctx.secret, row)


def create(
    ctx: StoreContext, resource: dict[str, Any], *, resource_type: str, logical_id: str | None = None
) -> Stored:
    """Validate and store a new resource (a server-assigned id unless `logical_id` is given)."""
    data = validate(resource, expected=resource_type, national_system=ctx.national_system)
    new_id = logical_id or uuid.uuid4().hex
    _check_system_writes(ctx, {**data, "id": new_id}, None)
    _check_references(ctx, data)
    _duplicate_patient(ctx, data, None)
    return _write(ctx, data, new_id, 1, None)


def conditional_match(ctx: StoreContext, resource_type: str, criteria: str) -> list[FhirResource]:
    """Resources matching an If-None-Exist query (identifier=system|value)."""
    from urllib.parse import parse_qsl

    from smartcity.health.fhir.extract import token

    pairs = parse_qsl(criteria.split("?", 1)[-1], keep_blank_values=True)
    if not pairs or any(name != "identifier" for name, _ in pairs):
        raise FhirError.of(
            400,
            "If-None-Exist supports identifier=system|value only",
            code="not-supported",
            expression="If-None-Exist",
        )
    matches: set[int] = set()
    rows: dict[int, FhirResource] = {}
    for index, (_, value) in enumerate(pairs):
        system, bar, code = value.partition("|")
        tok = token(ctx.secret, f"{system}|{code}" if bar else f"|{value}")
        found = {r.id: r for r in find_by_identifier(ctx, resource_type, tok)}
        rows.update(found)
        matches = set(found) if index == 0 else matches & set(found)
    return [rows[i] for i in sorted(matches)]


def conditional_create(
    ctx: StoreContext,
    resource: dict[str, Any],
    *,
    resource_type: str,
    criteria: str,
    logical_id: str | None = None,
) -> tuple[Stored, bool]:
    """Create unless a resource matches `criteria`; returns (resource, created). Never merges people."""
    data = validate(resource, expected=resource_type, national_system=ctx.national_system)
    matches = conditional_match(ctx, resource_type, criteria)
    if len(matches) > 1:
        raise FhirError.of(
            412,
            f"{len(matches)} resources match {criteria!r}",
            code="multiple-matches",
            expression="If-None-Exist",
        )
    if matches:
        if resource_type == "Patient":
            fields = _same_person(ctx, data, matches[0])
            if fields:
                record_conflict(ctx, data, matches[0], fields)
        return served(ctx.secret, matches[0]), False
    return create(ctx, data, resource_type=resource_type, logical_id=logical_id), True


def update_resource(
    ctx: StoreContext,
    resource: dict[str, Any],
    *,
    resource_type: str,
    logical_id: str,
    if_match: str | None = None,
) -> tuple[Stored, bool]:
    """Store a new version (or create with this id); returns (resource, created). If-Match W/"n" checked."""
    data = validate(resource, expected=resource_type, national_system=ctx.national_system)
    if data.get("id") != logical_id:
        raise FhirError.of(
            400,
            f"The resource's id ({data.get('id')!r}) must be the URL's id ({logical_id!r})",
            expression=f"{resource_type}.id",
        )
    existing = current_row(ctx.session, resource_type, logical_id)
    if if_match is not None:
        wanted = if_match.strip().removeprefix("W/").strip('"')
        if existing is None or str(existing.version) != wanted:
            raise FhirError.of(
                412, f"The current version is not {wanted}", code="conflict", expression="If-Match"
            )
    _check_system_writes(ctx, data, existing)
    _check_references(ctx, data)
    _duplicate_patient(ctx, data, logical_id)
    version = existing.version + 1 if existing else 1
    return _write(ctx, data, logical_id, version, existing), existing is None


def load_trusted(ctx: StoreContext, resources: list[dict[str, Any]]) -> int:
    """Store new resources the platform built itself (demo loader) in one batch, without re-validating."""
    rows = [_values(ctx, r, r.get("id") or uuid.uuid4().hex, 1, None) for r in resources]
    for start in range(0, len(rows), 2000):
        ctx.session.execute(insert(FhirResource), rows[start : start + 2000])
    return len(resources)
