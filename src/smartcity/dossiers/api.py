"""JSON API of the dossiers: `/api/v1/dossiers` (create, list, detail, actions, files, documents, lookup)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from smartcity.core.errors import BadRequest, Forbidden, ValidationFailed
from smartcity.core.pages import PagingDep
from smartcity.core.security import Actor
from smartcity.dossiers import service
from smartcity.dossiers.forms import submit_in_worker, uploads_of
from smartcity.dossiers.schemas import (
    ActionRequest,
    AttachmentRead,
    DossierCreate,
    DossierDetail,
    DossierPage,
    LookupRequest,
    LookupResult,
    RatingIn,
)
from smartcity.web.deps import current_actor, get_db, get_settings, require_actor, require_role_in
from smartcity.web.responses import pdf_response

router = APIRouter(prefix="/api/v1/dossiers", tags=["dossiers"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The city's figures are for the heads, leaders and operators of the units that handle dossiers.
Oversight = Annotated[
    Actor,
    Depends(
        require_role_in(("head", "leader", "operator"), service.STAFF_UNITS, refusal=service.STAFF_REFUSAL)
    ),
]
DOCUMENT_KINDS = (
    "^(receipt|supplement_request|refusal|apology|control_sheet|payment_receipt|result|result_unsigned)$"
)


async def _creation(request: Request) -> tuple[DossierCreate, list[service.Upload]]:
    """The dossier and its files, from JSON or from multipart (a `data` JSON part and `file_<code>` parts)."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        raw = form.get("data")
        if not isinstance(raw, str):
            raise ValidationFailed.for_field("data", "a JSON part named 'data' is required")
        uploads = await uploads_of(form)
    else:
        raw, uploads = (await request.body()).decode("utf-8", errors="replace"), []
    try:
        return DossierCreate.model_validate_json(raw), uploads
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise BadRequest("The dossier is not valid JSON") from exc
        errors = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        raise ValidationFailed(
            "; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors
        ) from exc


@router.post(
    "",
    response_model=DossierDetail,
    status_code=201,
    summary="Submit a dossier",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": DossierCreate.model_json_schema()},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"data": {"type": "string", "description": "DossierCreate as JSON"}},
                        "additionalProperties": {"type": "string", "format": "binary"},
                    }
                },
            }
        }
    },
)
async def create(
    request: Request,
    actor: Annotated[Actor, Depends(require_actor)],
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    channel: Annotated[str, Query(pattern="^(online|counter)$")] = "online",
) -> Response:
    """Online (citizen, state 1) or at the counter (clerk, state 2); files as `file_<document code>`.

    Send `Idempotency-Key`: a repeat with the same key returns the same dossier (200) and creates nothing.
    """
    data, uploads = await _creation(request)
    detail, created = await submit_in_worker(
        request, actor, data, uploads, channel=channel, idempotency_key=idempotency_key
    )
    return JSONResponse(
        detail.model_dump(mode="json"),
        status_code=201 if created else 200,
        headers={"Location": f"/api/v1/dossiers/{detail.code}"},
    )


@router.get("", response_model=DossierPage, summary="List dossiers")
def list_dossiers(
    request: Request,
    actor: Annotated[Actor, Depends(require_actor)],
    paging: PagingDep,
    state: Annotated[int | None, Query(ge=1, le=10)] = None,
    procedure: Annotated[str | None, Query(max_length=40)] = None,
    unit: Annotated[str | None, Query(max_length=64)] = None,
    deadline: Annotated[str | None, Query(pattern="^(within|due_soon|overdue|paused)$")] = None,
    queue: Annotated[bool, Query(description="Only dossiers awaiting an action of the caller")] = False,
    q: Annotated[str | None, Query(max_length=80, description="Part of the dossier code")] = None,
    cursor: Annotated[
        str | None,
        Query(max_length=200, description="`next_cursor` of the previous page (instead of offset)"),
    ] = None,
) -> DossierPage:
    """Own dossiers for citizens; the dossiers of their units for staff. Long lists: follow `next_cursor`;
    past a few thousand rows `total` is an estimate (`estimated`)."""
    return service.list_dossiers(
        get_db(request),
        actor=actor,
        settings=get_settings(request),
        state=state,
        procedure=procedure,
        unit=unit,
        deadline=deadline,
        queue=queue,
        q=q,
        limit=paging.limit,
        offset=paging.offset,
        cursor=cursor,
    )


@router.post("/lookup", response_model=LookupResult, summary="Public lookup by code and second factor")
def lookup(request: Request, body: LookupRequest) -> LookupResult:
    """State, timeline and due date; never the applicant's personal data."""
    return service.lookup(
        get_db(request),
        settings=get_settings(request),
        code=body.code,
        second_factor=body.second_factor,
        client=request.client.host if request.client else "unknown",
    )


@router.get("/statistics", summary="Statistics by procedure, field, unit or month (JSON or XLSX)")
def statistics(
    request: Request,
    actor: Oversight,
    by: Annotated[str, Query(pattern="^(procedure|field|unit|month|all)$")] = "procedure",
    format: Annotated[str, Query(pattern="^(json|xlsx)$")] = "json",
    date_from: Annotated[date | None, Query(description="Submitted on or after (local date)")] = None,
    date_to: Annotated[date | None, Query(description="Submitted on or before (local date)")] = None,
) -> Any:
    """Received, finished early/on time/late, open in time/overdue, online share, payments, satisfaction."""
    from smartcity.dossiers import stats

    rows = stats.statistics(
        get_db(request), settings=get_settings(request), by=by, date_from=date_from, date_to=date_to
    )
    if format == "xlsx":
        return Response(
            stats.statistics_xlsx(rows, title=f"Thống kê hồ sơ theo {by}"),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="thong-ke-{by}.xlsx"'},
        )
    return rows


@router.get("/ratings", summary="Satisfaction by unit, procedure, official or month")
def ratings_summary(
    request: Request,
    actor: Oversight,
    by: Annotated[str, Query(pattern="^(unit|procedure|official|month)$")] = "unit",
) -> list[dict[str, Any]]:
    """Ratings counted by level per group, with the share satisfied or better, best first."""
    from smartcity.dossiers import ratings

    return ratings.summary(get_db(request), by=by)


@router.get("/register.pdf", summary="The dossier register (form 06) of an intake unit for a month")
def register(
    request: Request,
    actor: Annotated[Actor, Depends(require_actor)],
    unit: Annotated[str, Query(max_length=64)],
    month: Annotated[str, Query(pattern=r"^[1-9]\d{3}-(0[1-9]|1[0-2])$")],
) -> Response:
    """Landscape A4 PDF listing the dossiers the unit received in the month."""
    from smartcity.dossiers.documents import register_pdf

    if not (actor.has_role("clerk", unit) or actor.has_role("head", unit) or actor.has_role("leader", unit)):
        raise Forbidden(f"The register of {unit} is for its clerks, heads and leaders")
    first = date.fromisoformat(f"{month}-01")
    rows = service.register_rows(get_db(request), unit=unit, month=first)
    return Response(
        register_pdf(rows, unit=unit, period=first.strftime("%m/%Y")), media_type="application/pdf"
    )


@router.get("/{code}", response_model=DossierDetail, summary="One dossier")
def detail(code: str, request: Request, actor: Annotated[Actor, Depends(require_actor)]) -> DossierDetail:
    """The dossier with its state, due dates and the actions the caller may take now."""
    return service.get_dossier(get_db(request), actor=actor, settings=get_settings(request), code=code)


@router.post("/{code}/actions/{action}", response_model=DossierDetail, summary="Take an action")
def take_action(
    code: str,
    action: str,
    request: Request,
    actor: Annotated[Actor, Depends(require_actor)],
    body: ActionRequest | None = None,
) -> DossierDetail:
    """Receive, assign, process, review, decide, return, refuse, request_supplement, supplement, pay, ..."""
    payload = body.model_dump(mode="json", exclude_none=True) if body else {}
    return service.act(
        get_db(request),
        actor=actor,
        settings=get_settings(request),
        code=code,
        action=action,
        payload=payload,
    )


@router.post(
    "/{code}/attachments",
    response_model=list[AttachmentRead],
    status_code=201,
    summary="Add files (before intake or for a supplement)",
)
async def attach(
    code: str, request: Request, actor: Annotated[Actor, Depends(require_actor)]
) -> list[AttachmentRead]:
    """Multipart parts named `file_<document code>`."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise BadRequest("Send the files as multipart/form-data")
    uploads = await uploads_of(await request.form())
    return await run_in_threadpool(
        lambda: service.add_attachments(
            get_db(request), actor=actor, settings=get_settings(request), code=code, uploads=uploads
        )
    )


@router.get("/{code}/attachments/{attachment_id}", summary="Download an attached file")
def attachment(
    code: str, attachment_id: int, request: Request, actor: Annotated[Actor, Depends(require_actor)]
) -> Response:
    """The file as uploaded."""
    meta, content = service.attachment_content(
        get_db(request),
        actor=actor,
        settings=get_settings(request),
        code=code,
        attachment_id=attachment_id,
    )
    return Response(content, media_type=meta.content_type)


@router.get("/{code}/documents/{kind}.pdf", summary="A process document or the result, as PDF")
def document(
    code: str,
    kind: Annotated[str, Path(pattern=DOCUMENT_KINDS)],
    request: Request,
    actor: Annotated[Actor, Depends(current_actor)],
) -> Response:
    """receipt (01), supplement_request (02), refusal (03), apology (04), control_sheet (05), result."""
    if not actor.is_authenticated:
        from smartcity.core.errors import Unauthorized

        raise Unauthorized("Log in to download the dossier's documents")
    pdf = service.document_pdf(
        get_db(request), actor=actor, settings=get_settings(request), code=code, kind=kind
    )
    return pdf_response(pdf, f"{code}-{kind}.pdf")


@router.post("/{code}/rating", status_code=201, summary="Rate the service (the applicant, after the result)")
def rate(
    code: str, body: RatingIn, request: Request, actor: Annotated[Actor, Depends(require_actor)]
) -> dict:
    """Three levels overall and by indicator; once per dossier."""
    from smartcity.dossiers import ratings

    return ratings.rate(get_db(request), actor=actor, code=code, rating=body)


@router.post(
    "/{code}/payments", status_code=201, summary="Start an online payment of the fees (the applicant)"
)
def start_payment(code: str, request: Request, actor: Annotated[Actor, Depends(require_actor)]) -> dict:
    """The gateway URL to send the payer's browser to (the sandbox gateway unless configured)."""
    from smartcity.dossiers import payments

    url = payments.start_payment(
        get_db(request),
        actor=actor,
        settings=get_settings(request),
        code=code,
        return_url=str(request.url_for("payment_return")),
    )
    return {"redirect_url": url}


@router.get("/payments/sandbox/ipn", summary="Server callback of the sandbox payment gateway")
def payment_ipn(request: Request) -> dict:
    """Verify the signed callback and settle once; forged or replayed callbacks are refused and logged."""
    from smartcity.dossiers import payments

    verdict = payments.handle_callback(
        get_db(request),
        settings=get_settings(request),
        params=dict(request.query_params),
        channel="ipn",
    )
    return {"RspCode": verdict.response_code, "Message": verdict.message}
