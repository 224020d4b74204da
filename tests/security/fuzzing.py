"""OpenAPI-driven fuzzing in process (schemathesis over the ASGI app) as one role: no answer is a 5xx, and
every successful answer matches the schema it documents. Shared by test_fuzz.py (SQLite) and
test_fuzz_postgresql.py (PostgreSQL), two files so that two xdist workers run them side by side.

Bounded for CI: a few generated requests per operation (SMARTCITY_FUZZ_EXAMPLES, default 2), derandomised so
that both engines get the same requests. The figures per role and engine are printed (`-s` shows them) and
appended as JSON lines to the file SMARTCITY_FUZZ_REPORT names.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings

from tests.security.conftest import RoleApp

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is in the dev extra")

EXAMPLES = int(os.environ.get("SMARTCITY_FUZZ_EXAMPLES", "2"))
# Operations whose success would end the fuzzing session itself, or that stream without end.
SKIPPED = {
    ("POST", "/api/v1/auth/logout"),
    ("POST", "/api/v1/auth/token/revoke"),
    ("GET", "/api/v1/ioc/stream"),
}


@dataclass
class Tally:
    """What one role's fuzzing saw: requests sent, server errors and schema mismatches by operation."""

    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)


class Shielded:
    """The app as a server runs it: an exception after its 500 is kept here, not raised to the client."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.errors: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        except Exception as error:
            self.errors.append(f"{type(error).__name__}: {str(error)[:200]}")


def _fuzz_operation(operation: Any, headers: dict[str, str], tally: Tally, app: Shielded) -> None:
    """Send EXAMPLES generated requests to one operation and tally the answers."""
    from schemathesis.specs.openapi.checks import response_schema_conformance

    label = f"{operation.method.upper()} {operation.path}"

    @hypothesis_settings(
        max_examples=EXAMPLES,
        phases=[Phase.generate],
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        app.errors.clear()
        response = case.call(headers=headers, timeout=None)  # untimed: a busy CI host must not fail it
        tally.requests += 1
        tally.statuses[response.status_code] += 1
        if response.status_code >= 500:
            cause = app.errors[-1] if app.errors else response.text[:200]
            tally.server_errors.append(
                f"{label} → {response.status_code} ({cause}): {case.as_curl_command()}"
            )
            return
        if 200 <= response.status_code < 300:
            try:
                case.validate_response(response, checks=[response_schema_conformance])
            except Exception as failure:
                tally.mismatches.append(f"{label} → {response.status_code}: {str(failure)[:300]}")

    run()


def fuzz_as(role_app: RoleApp, role: str) -> Tally:
    """Fuzz every operation of the OpenAPI as `role` and report the figures (printed, and to the report)."""
    headers = role_app.headers(role)
    shielded = Shielded(role_app.app)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", shielded)
    tally = Tally()
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        _fuzz_operation(operation, headers, tally, shielded)
    engine = role_app.db.dialect
    print(
        f"\nfuzz {role} on {engine}: {tally.requests} requests, {len(tally.server_errors)} 5xx, "
        f"{len(tally.mismatches)} schema mismatches; statuses {dict(sorted(tally.statuses.items()))}"
    )
    if os.environ.get("SMARTCITY_FUZZ_REPORT"):
        figures = {"role": role, "engine": engine, "requests": tally.requests}
        figures.update({"5xx": len(tally.server_errors), "mismatches": len(tally.mismatches)})
        with open(os.environ["SMARTCITY_FUZZ_REPORT"], "a", encoding="utf-8") as report:
            report.write(json.dumps({**figures, "statuses": tally.statuses}) + "\n")
    return tally


def assert_no_server_error_nor_mismatch(tally: Tally) -> None:
    """The fuzzing sent requests, and none met a 5xx or an answer outside its documented schema."""
    assert tally.requests > 0
    assert not tally.server_errors, "\n".join(tally.server_errors)
    assert not tally.mismatches, "\n".join(tally.mismatches)
