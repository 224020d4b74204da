"""The search columns of a resource: hashed identifiers and names, dates, references, codes, status."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from smartcity.core.crypto import Keys, blind_index
from smartcity.core.text import fold as fold_text

WARD_EXTENSION = "http://thudaumot.gov.vn/fhir/StructureDefinition/address-ward"
PARENT_EXTENSION = "http://thudaumot.gov.vn/fhir/StructureDefinition/contact-identifier"
TOKEN_LENGTH = 24
DATE_ELEMENTS = {
    "Encounter": ("period.start",),
    "Immunization": ("occurrenceDateTime",),
    "Observation": ("effectiveDateTime", "effectivePeriod.start", "issued"),
    "Condition": ("onsetDateTime", "recordedDate"),
}
PATIENT_ELEMENTS = {
    "Encounter": "subject",
    "Immunization": "patient",
    "Observation": "subject",
    "Condition": "subject",
}
ORG_ELEMENTS = {
    "Patient": ("managingOrganization",),
    "Encounter": ("serviceProvider",),
    "Location": ("managingOrganization",),
    "Organization": ("partOf",),
}
CODE_ELEMENTS = {
    "Encounter": ("type", "class"),
    "Immunization": ("vaccineCode",),
    "Observation": ("code",),
    "Condition": ("code",),
    "Organization": ("type",),
    "Location": ("type",),
}


@dataclass
class Columns:
    """What a resource contributes to the search columns."""

    identifiers: str = ""
    name_tokens: str = ""
    guardian_tokens: str = ""
    birthdate: date | None = None
    gender: str | None = None
    ward_hint: tuple[str | None, list[str]] = (None, [])  # (ward code, address words) to resolve a ward
    clinical_date: date | None = None
    patient_ref: str | None = None
    org_ref: str | None = None
    codes: str = ""
    status: str | None = None
    org_refs: list[str] = field(default_factory=list)


def fold(text: str) -> str:
    """Upper case without diacritics (Đ as D), to compare Vietnamese words."""
    return fold_text(text).upper()


def token(secret: Keys, value: str) -> str:
    """The keyed hash of a value as stored in a token column."""
    return blind_index(secret, value)[:TOKEN_LENGTH]


def joined(tokens: Iterable[str]) -> str:
    """Tokens as a column value: spaced, with a space at both ends (so LIKE '% t %' finds whole tokens)."""
    unique = list(dict.fromkeys(t for t in tokens if t))
    return f" {' '.join(unique)} " if unique else ""


def identifier_tokens(secret: Keys, identifiers: list[dict[str, Any]]) -> list[str]:
    """Hashes of `system|value` and of `value` alone for each identifier."""
    tokens = []
    for identifier in identifiers:
        value = str(identifier.get("value") or "").strip()
        if value:
            tokens += [token(secret, f"{identifier.get('system', '')}|{value}"), token(secret, f"|{value}")]
    return tokens


def name_words(resource: dict[str, Any]) -> list[str]:
    """The words of a resource's names (HumanName parts, or the name string of an organisation)."""
    names = resource.get("name")
    words: list[str] = []
    if isinstance(names, str):
        words = names.split()
    elif isinstance(names, list):
        for name in names:
            parts = [name.get("family") or "", *(name.get("given") or []), name.get("text") or ""]
            words += " ".join(parts).split()
    for alias in resource.get("alias") or []:
        words += str(alias).split()
    return [fold(w) for w in words if w.strip()]


def name_tokens(secret: Keys, words: Iterable[str]) -> list[str]:
    """Hashes of folded name words."""
    return [token(secret, "name:" + fold(w)) for w in words]


def _get(resource: dict[str, Any], dotted: str) -> Any:
    value: Any = resource
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _date(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) < 4:
        return None
    text = value[:10]
    text += {4: "-01-01", 7: "-01"}.get(len(text), "")
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _codes(concepts: Any) -> list[str]:
    flat: list[dict[str, Any]] = []
    for item in concepts if isinstance(concepts, list) else [concepts]:
        flat += item if isinstance(item, list) else [item] if isinstance(item, dict) else []
    tokens = []
    for concept in flat:
        codings = concept.get("coding") or [] if "coding" in concept else [concept]
        for coding in codings:
            code = coding.get("code")
            if code:
                tokens += [f"{coding.get('system', '')}|{code}", code]
    return tokens


def _ward_hint(resource: dict[str, Any]) -> tuple[str | None, list[str]]:
    texts = []
    for address in resource.get("address") or []:
        for extension in address.get("extension") or []:
            if extension.get("url") == WARD_EXTENSION:
                coding = extension.get("valueCoding") or {}
                code = coding.get("code") or extension.get("valueCode")
                if code:
                    return str(code), []
        texts += [address.get("text") or "", *(address.get("line") or []), address.get("district") or ""]
    return None, [t for t in texts if t]


def _guardians(secret: Keys, resource: dict[str, Any]) -> list[str]:
    tokens = []
    for contact in resource.get("contact") or []:
        for extension in contact.get("extension") or []:
            if extension.get("url") == PARENT_EXTENSION and extension.get("valueIdentifier"):
                tokens += identifier_tokens(secret, [extension["valueIdentifier"]])[:1]
    return tokens


def _org_refs(resource_type: str, resource: dict[str, Any]) -> list[str]:
    refs = [(_get(resource, e) or {}).get("reference") for e in ORG_ELEMENTS.get(resource_type, ())]
    for performer in resource.get("performer") or []:
        actor = performer.get("actor") if "actor" in performer else performer
        refs.append((actor or {}).get("reference"))
    return [r for r in refs if isinstance(r, str) and r.startswith("Organization/")]


def columns(secret: Keys, resource: dict[str, Any]) -> Columns:
    """Every search column of `resource`."""
    kind = resource["resourceType"]
    found = Columns(
        identifiers=joined(identifier_tokens(secret, resource.get("identifier") or [])),
        gender=resource.get("gender"),
        birthdate=_date(resource.get("birthDate")),
        codes=joined(_codes([_get(resource, e) for e in CODE_ELEMENTS.get(kind, ()) if _get(resource, e)])),
        org_refs=_org_refs(kind, resource),
    )
    if kind in ("Patient", "Practitioner", "Organization", "Location"):
        found.name_tokens = joined(name_tokens(secret, name_words(resource)))
    if kind == "Patient":
        found.guardian_tokens = joined(_guardians(secret, resource))
        found.ward_hint = _ward_hint(resource)
        found.status = "active" if resource.get("active", True) else "inactive"
    else:
        status = resource.get("status")
        if kind == "Condition":
            status = next(iter(_codes(resource.get("clinicalStatus"))[1::2]), None)
        found.status = status if isinstance(status, str) else None
    for element in DATE_ELEMENTS.get(kind, ()):
        found.clinical_date = found.clinical_date or _date(_get(resource, element))
    reference = (_get(resource, PATIENT_ELEMENTS.get(kind, "-")) or {}).get("reference")
    if isinstance(reference, str) and reference.startswith("Patient/"):
        found.patient_ref = reference.split("/_history")[0]
    found.org_ref = found.org_refs[0] if found.org_refs else None
    return found
