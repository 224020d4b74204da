"""FHIR errors as OperationOutcome: every error names the element and the problem."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FHIR_JSON = "application/fhir+json"
FHIR_XML = "application/fhir+xml"


@dataclass(frozen=True)
class Issue:
    """One OperationOutcome issue: what went wrong (code), where (expression) and in words."""

    diagnostics: str
    code: str = "invalid"
    expression: str | None = None
    severity: str = "error"

    def to_json(self) -> dict[str, Any]:
        """The issue as FHIR JSON."""
        body: dict[str, Any] = {"severity": self.severity, "code": self.code, "diagnostics": self.diagnostics}
        if self.expression:
            body["expression"] = [self.expression]
        return body


@dataclass
class FhirError(Exception):
    """An error answered with an HTTP status and an OperationOutcome."""

    status: int
    issues: list[Issue] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(
        cls, status: int, diagnostics: str, *, code: str = "invalid", expression: str | None = None
    ) -> FhirError:
        """An error with one issue."""
        return cls(status, [Issue(diagnostics, code=code, expression=expression)])

    def __str__(self) -> str:
        return "; ".join(i.diagnostics for i in self.issues)

    def prefixed(self, prefix: str) -> FhirError:
        """The same error with each issue's expression placed under `prefix` (a Bundle entry)."""
        issues = [
            Issue(i.diagnostics, code=i.code, severity=i.severity, expression=_join(prefix, i.expression))
            for i in self.issues
        ]
        return FhirError(self.status, issues, self.headers)


def _join(prefix: str, expression: str | None) -> str:
    if not expression:
        return prefix
    head, _, rest = expression.partition(".")
    return (
        f"{prefix}.resource" + (f".{rest}" if rest else "")
        if head[:1].isupper()
        else f"{prefix}.{expression}"
    )


def operation_outcome(issues: list[Issue]) -> dict[str, Any]:
    """An OperationOutcome resource with these issues."""
    return {"resourceType": "OperationOutcome", "issue": [i.to_json() for i in issues]}


STATUS_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    410: "deleted",
    412: "conflict",
    415: "not-supported",
    422: "processing",
    429: "throttled",
}


def issue_code_for(status: int) -> str:
    """The OperationOutcome issue code that goes with an HTTP status."""
    return STATUS_CODES.get(status, "exception")
