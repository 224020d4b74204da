"""Validation of incoming resources with the `fhir.resources` models (R4B, accepting these R4 ones)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import pydantic

from smartcity.core.schemas import CITIZEN_ID_PATTERN
from smartcity.health.fhir.outcome import FhirError, Issue

SUPPORTED_TYPES = (
    "Patient",
    "Encounter",
    "Immunization",
    "Observation",
    "Condition",
    "Organization",
    "Location",
    "Practitioner",
)
GENDERS = ("male", "female", "other", "unknown")
CCCD = re.compile(CITIZEN_ID_PATTERN)
REFERENCE = re.compile(
    r"^(?:urn:uuid:[0-9a-fA-F-]{36}|[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64}(?:/_history/\d+)?)$"
)
ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


@lru_cache(maxsize=16)
def model_class(resource_type: str) -> Any:
    """The fhir.resources model of a resource type, imported on first use (about 30 MiB a process)."""
    from fhir.resources.R4B import get_fhir_model_class

    return get_fhir_model_class(resource_type)


def _path(resource_type: str, loc: tuple[Any, ...]) -> str:
    path = resource_type
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def check_type(resource: Any, expected: str | None = None) -> str:
    """The resource's type, which must be supported (and be `expected` when given)."""
    if not isinstance(resource, dict):
        raise FhirError.of(400, "The body must be a JSON object (a FHIR resource)", code="structure")
    resource_type = resource.get("resourceType")
    if not isinstance(resource_type, str) or not resource_type:
        raise FhirError.of(400, "resourceType is missing", code="required", expression="resourceType")
    if expected is not None and resource_type != expected:
        raise FhirError.of(
            400, f"resourceType is {resource_type!r}, the URL says {expected!r}", expression="resourceType"
        )
    if resource_type not in SUPPORTED_TYPES:
        raise FhirError.of(404, f"Resource type {resource_type} is not supported here", code="not-supported")
    return resource_type


def validate(resource: Any, *, expected: str | None = None, national_system: str = "") -> dict[str, Any]:
    """Validate a resource against its FHIR model and our rules; returns it as normalised JSON."""
    resource_type = check_type(resource, expected)
    try:
        model = model_class(resource_type).model_validate(resource)
    except pydantic.ValidationError as exc:
        issues = [
            Issue(
                f"{error['msg']}",
                code=_issue_code(error["type"]),
                expression=_path(resource_type, error["loc"]),
            )
            for error in exc.errors()
        ]
        raise FhirError(400, issues) from None
    data: dict[str, Any] = model.model_dump(mode="json", exclude_none=True)
    issues = _rules(resource_type, data, national_system)
    if issues:
        raise FhirError(400, issues)
    return data


def _issue_code(error_type: str) -> str:
    if error_type == "missing":
        return "required"
    if error_type == "extra_forbidden":
        return "structure"
    return "value"


def _rules(resource_type: str, data: dict[str, Any], national_system: str) -> list[Issue]:
    """Rules the models do not check: codes from required value sets, the citizen ID, references."""
    issues: list[Issue] = []
    if "id" in data and not ID.match(str(data["id"])):
        issues.append(
            Issue(
                "id must be 1–64 letters, digits, '-' or '.'", code="value", expression=f"{resource_type}.id"
            )
        )
    gender = data.get("gender")
    if gender is not None and gender not in GENDERS:
        issues.append(
            Issue(
                f"gender must be one of {', '.join(GENDERS)}",
                code="code-invalid",
                expression=f"{resource_type}.gender",
            )
        )
    for index, identifier in enumerate(data.get("identifier") or []):
        if identifier.get("system") == national_system and not CCCD.match(str(identifier.get("value", ""))):
            issues.append(
                Issue(
                    "the citizen ID (căn cước công dân) must be 12 digits",
                    code="value",
                    expression=f"{resource_type}.identifier[{index}].value",
                )
            )
    issues.extend(_references(resource_type, data))
    return issues


def _references(path: str, value: Any) -> list[Issue]:
    issues: list[Issue] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                if not REFERENCE.match(item) and not item.startswith("#"):
                    issues.append(
                        Issue(
                            f"reference {item!r} is not Type/id or urn:uuid",
                            code="value",
                            expression=f"{path}.reference",
                        )
                    )
            elif key != "contained":
                issues.extend(_references(f"{path}.{key}", item))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            issues.extend(_references(f"{path}[{index}]", item))
    return issues
