"""E-forms rendered from a procedure's JSON Schema, and HTML form values turned back into typed data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from smartcity.core.security import Actor
from smartcity.dossiers import service
from smartcity.dossiers.schemas import DossierCreate, DossierDetail
from smartcity.web.deps import get_db, get_settings

FILE_PREFIX = "file_"


@dataclass(frozen=True)
class Field:
    """One input of an e-form."""

    name: str
    title: str
    kind: str  # text, date, number, integer, select, checkbox, lines, email
    required: bool
    options: list[tuple[str, str]]
    default: Any = None
    closed: tuple[str, ...] = ()  # choices shown but not open to choose (a ward receiving no dossier online)


def fields_of(
    schema: dict[str, Any],
    ward_options: list[tuple[str, str]] | None = None,
    closed_wards: tuple[str, ...] = (),
) -> list[Field]:
    """The inputs of a JSON Schema object, in order; ward_code offers the wards valid today when given, and
    shows `closed_wards` (their names) as choices not open to choose."""
    required = set(schema.get("required", []))
    fields = []
    for name, spec in schema.get("properties", {}).items():
        options = [
            (str(o["const"]), str(o.get("title", o["const"]))) for o in spec.get("oneOf", []) if "const" in o
        ]
        options += [(str(v), str(v)) for v in spec.get("enum", [])]
        is_ward = name == "ward_code" and ward_options is not None
        if is_ward:
            options = ward_options or []
        kind = _kind(spec, bool(options) or is_ward)  # no ward to offer is an empty choice, never free text
        closed = closed_wards if is_ward else ()
        fields.append(
            Field(name, spec.get("title", name), kind, name in required, options, spec.get("default"), closed)
        )
    return fields


def _kind(spec: dict[str, Any], has_options: bool) -> str:
    if has_options:
        return "select"
    kind = spec.get("type", "string")
    if kind == "string":
        return {"date": "date", "email": "email"}.get(spec.get("format", ""), "text")
    if kind == "array":
        return "lines"
    if kind == "boolean":
        return "checkbox"
    return str(kind)


def coerce(schema: dict[str, Any], values: dict[str, str], prefix: str = "") -> dict[str, Any]:
    """Typed data from submitted strings (empty values left out, so that `required` names them)."""
    data: dict[str, Any] = {}
    for name, spec in schema.get("properties", {}).items():
        raw = values.get(prefix + name)
        kind = spec.get("type", "string")
        if kind == "boolean":
            data[name] = raw in ("on", "true", "1")
            continue
        if raw is None or str(raw).strip() == "":
            continue
        text = str(raw).strip()
        data[name] = _typed(kind, text)
    return data


def _typed(kind: str, text: str) -> Any:
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text.replace(",", "."))
    except ValueError:
        return text  # the schema names the field as not a number
    if kind == "array":
        return [line.strip() for line in text.splitlines() if line.strip()]
    return text


async def uploads_of(form: FormData) -> list[service.Upload]:
    """The files of a submission or a supplement: parts named `file_<document code>`.

    A part with neither a name nor content is a file input left empty by a browser and is skipped; an empty
    file that was chosen is kept, for the service to refuse next to its field.
    """
    uploads = []
    for name, value in form.multi_items():
        if not (isinstance(value, UploadFile) and name.startswith(FILE_PREFIX)):
            continue
        content = await value.read()
        if value.filename or content:
            uploads.append(
                service.Upload(
                    document_code=name[len(FILE_PREFIX) :],
                    filename=value.filename or "file",
                    content_type=value.content_type or "application/octet-stream",
                    content=content,
                )
            )
    return uploads


async def submit_in_worker(
    request: Request,
    actor: Actor,
    data: DossierCreate,
    uploads: list[service.Upload],
    *,
    channel: str,
    idempotency_key: str | None,
) -> tuple[DossierDetail, bool]:
    """Submit a dossier in a worker thread (page and API): its detail and whether it is new."""
    return await run_in_threadpool(
        lambda: service.submit_dossier(
            get_db(request),
            actor=actor,
            settings=get_settings(request),
            data=data,
            uploads=uploads,
            channel=channel,
            idempotency_key=idempotency_key,
        )
    )
