"""JSON API of official documents at /api/v1/documents: drafts, transitions, signing, issue, registers."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from smartcity.core.errors import BadRequest
from smartcity.core.security import Actor
from smartcity.documents import attachments, exchange, kinds, service
from smartcity.documents.config import get_documents_settings
from smartcity.documents.schemas import (
    AgencyIn,
    AgencyRead,
    Assignment,
    AttachmentRead,
    Comment,
    DeliveryRead,
    DocumentCreate,
    DocumentPage,
    DocumentRead,
    DocumentUpdate,
    Envelope,
    HistoryRead,
    IncomingRead,
    RegisterEntryRead,
)
from smartcity.web.deps import get_db, get_settings, require_actor
from smartcity.web.responses import pdf_response
from smartcity.web.uploads import read_pdf_upload

api = APIRouter(prefix="/api/v1/documents", tags=["documents"])
router = APIRouter()

ActorDep = Annotated[Actor, Depends(require_actor)]


def signing_with(request: Request) -> service.Signing:
    """The settings signing needs, from the application."""
    return service.Signing(settings=get_settings(request))


@api.get("/types", summary="Kinds of documents (Decree 30/2020, Appendix III)")
def document_types() -> list[dict[str, Any]]:
    """Code, abbreviation used in symbols (none for công văn), name and printed title."""
    return [vars(kind) for kind in kinds.document_types().values()]


@api.post("", response_model=DocumentRead, status_code=201, summary="Write a draft")
def create(request: Request, body: DocumentCreate, actor: ActorDep) -> DocumentRead:
    """Staff of the issuing office write a draft."""
    return service.create_draft(get_db(request), actor=actor, data=body)


@api.get("", response_model=DocumentPage, summary="List and search documents")
def list_documents(
    request: Request,
    actor: ActorDep,
    q: str | None = None,
    state: str | None = None,
    office: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> DocumentPage:
    """Documents of the caller's offices; `q` matches number, subject and body with or without diacritics."""
    items, total = service.list_documents(
        get_db(request), actor=actor, q=q, state=state, office_code=office, limit=limit, offset=offset
    )
    return DocumentPage(items=items, total=total, limit=limit, offset=offset)


@api.get("/sign-queue", response_model=list[DocumentRead], summary="Documents waiting for my signature")
def sign_queue(request: Request, actor: ActorDep) -> list[DocumentRead]:
    """Approved documents naming the caller as signer."""
    return service.sign_queue(get_db(request), actor=actor)


@api.get("/issue-queue", response_model=list[DocumentRead], summary="Signed documents waiting for issue")
def issue_queue(request: Request, actor: ActorDep) -> list[DocumentRead]:
    """Signed documents of the records offices the caller works in."""
    return service.issue_queue(get_db(request), actor=actor)


@api.get("/registers/{register_name}", response_model=list[RegisterEntryRead], summary="A register")
def register(
    request: Request,
    register_name: Literal["outgoing", "incoming"],
    actor: ActorDep,
    office: str | None = None,
    year: int | None = None,
    q: str | None = None,
) -> list[RegisterEntryRead]:
    """The outgoing (sổ văn bản đi) or incoming (sổ văn bản đến) register, newest number first."""
    return service.register(
        get_db(request), actor=actor, register_name=register_name, office_code=office, year=year, q=q
    )


@api.get("/exchange/agencies", response_model=list[AgencyRead], summary="Agencies we exchange with")
def agencies(request: Request, actor: ActorDep) -> list[AgencyRead]:
    """Every registered agency (code, name, endpoint)."""
    return exchange.list_agencies(get_db(request))


@api.put("/exchange/agencies/{code}", response_model=AgencyRead, summary="Register an agency")
def put_agency(request: Request, code: str, body: AgencyIn, actor: ActorDep) -> AgencyRead:
    """Administrators register another agency or platform instance and its exchange endpoint."""
    if body.code != code:
        raise BadRequest("The code in the path and in the body differ.")
    return exchange.upsert_agency(get_db(request), actor=actor, data=body)


@api.post("/exchange/envelopes", summary="Receive an envelope from another agency")
def receive(request: Request, body: Envelope) -> dict[str, Any]:
    """No login: the envelope's seal is the credential. Answers with a receipt sealed by the receiving
    office; the same envelope again gets the same receipt."""
    return exchange.receive(get_db(request), body=body.model_dump(), signing_with=signing_with(request))


@api.get("/incoming/{incoming_id}", response_model=IncomingRead, summary="A received document")
def incoming(request: Request, incoming_id: int, actor: ActorDep) -> IncomingRead:
    """A document received from another agency, with our receipt."""
    return exchange.incoming(get_db(request), actor=actor, incoming_id=incoming_id)


@api.post("/incoming/{incoming_id}/assign", response_model=IncomingRead, summary="Assign a handling unit")
def assign(request: Request, incoming_id: int, body: Assignment, actor: ActorDep) -> IncomingRead:
    """Name the unit that handles a received document (also written in the incoming register)."""
    return exchange.assign_handling_unit(
        get_db(request), actor=actor, incoming_id=incoming_id, handling_unit=body.handling_unit
    )


@api.get("/incoming/{incoming_id}/pdf", summary="The received signed PDF", response_class=Response)
def incoming_pdf(request: Request, incoming_id: int, actor: ActorDep) -> Response:
    """The signed PDF as received."""
    return pdf_response(
        exchange.incoming_pdf(get_db(request), actor=actor, incoming_id=incoming_id), f"den-{incoming_id}.pdf"
    )


@api.get(
    "/incoming/{incoming_id}/attachments",
    response_model=list[AttachmentRead],
    summary="Attachments received with a document",
)
def incoming_attachments(request: Request, incoming_id: int, actor: ActorDep) -> list[AttachmentRead]:
    """The attachments as the sender sealed them (hashes and seals checked on arrival)."""
    return exchange.incoming_attachments(get_db(request), actor=actor, incoming_id=incoming_id)


@api.get(
    "/incoming/{incoming_id}/attachments/{attachment_id}/pdf",
    summary="A received attachment's PDF",
    response_class=Response,
)
def incoming_attachment_pdf(
    request: Request, incoming_id: int, attachment_id: int, actor: ActorDep
) -> Response:
    """One received attachment, sealed by the sending agency."""
    content, filename = exchange.incoming_attachment_pdf(
        get_db(request), actor=actor, incoming_id=incoming_id, attachment_id=attachment_id
    )
    return pdf_response(content, filename)


@api.get("/{document_id}", response_model=DocumentRead, summary="One document")
def get_document(request: Request, document_id: int, actor: ActorDep) -> DocumentRead:
    """A document of the caller's office."""
    return service.get_document(get_db(request), actor=actor, document_id=document_id)


@api.put("/{document_id}", response_model=DocumentRead, summary="Rewrite a draft")
def update(request: Request, document_id: int, body: DocumentUpdate, actor: ActorDep) -> DocumentRead:
    """The author changes a draft or a returned document."""
    return service.update_draft(get_db(request), actor=actor, document_id=document_id, data=body)


@api.get("/{document_id}/history", response_model=list[HistoryRead], summary="Steps of the flow")
def history(request: Request, document_id: int, actor: ActorDep) -> list[HistoryRead]:
    """Who did what, when, with which comment."""
    return service.history(get_db(request), actor=actor, document_id=document_id)


@api.get("/{document_id}/pdf", summary="The document's PDF", response_class=Response)
def pdf(request: Request, document_id: int, actor: ActorDep, preview: bool = False) -> Response:
    """The latest PDF (approved, signed or issued); `preview=true` lays out a draft."""
    db = get_db(request)
    content = (
        service.preview_pdf(db, actor=actor, document_id=document_id)
        if preview
        else service.document_pdf(db, actor=actor, document_id=document_id)
    )
    return pdf_response(content, f"van-ban-{document_id}.pdf")


@api.post("/{document_id}/submit", response_model=DocumentRead, summary="Send a draft for approval")
def submit(request: Request, document_id: int, actor: ActorDep, body: Comment | None = None) -> DocumentRead:
    """Draft or returned → submitted."""
    return service.submit(
        get_db(request), actor=actor, document_id=document_id, comment=(body or Comment()).comment
    )


@api.post("/{document_id}/approve", response_model=DocumentRead, summary="Approve a draft")
def approve(request: Request, document_id: int, actor: ActorDep, body: Comment | None = None) -> DocumentRead:
    """Submitted → approved (the PDF is laid out for signing)."""
    return service.approve(
        get_db(request), actor=actor, document_id=document_id, comment=(body or Comment()).comment
    )


@api.post("/{document_id}/return", response_model=DocumentRead, summary="Return a draft with a comment")
def return_draft(request: Request, document_id: int, body: Comment, actor: ActorDep) -> DocumentRead:
    """Submitted or approved → returned to the author."""
    return service.return_draft(get_db(request), actor=actor, document_id=document_id, comment=body.comment)


@api.post("/{document_id}/sign", response_model=DocumentRead, summary="Sign (the named official only)")
def sign(request: Request, document_id: int, actor: ActorDep) -> DocumentRead:
    """Approved → signed: the named official's visible PAdES signature. 403 for anyone else, 409 otherwise."""
    return service.sign(
        get_db(request), actor=actor, document_id=document_id, signing_with=signing_with(request)
    )


@api.post("/{document_id}/issue", response_model=DocumentRead, summary="Number, seal and register")
def issue(request: Request, document_id: int, actor: ActorDep) -> DocumentRead:
    """Signed → issued by the records office: number and date filled in, organisation seal, register entry."""
    return service.issue(
        get_db(request), actor=actor, document_id=document_id, signing_with=signing_with(request)
    )


@api.get("/{document_id}/deliveries", response_model=list[DeliveryRead], summary="Envelopes and receipts")
def deliveries(request: Request, document_id: int, actor: ActorDep) -> list[DeliveryRead]:
    """Where each envelope of a document stands, with the receipt once acknowledged."""
    service.get_document(get_db(request), actor=actor, document_id=document_id)
    return exchange.deliveries(get_db(request), document_id=document_id)


@api.post("/{document_id}/send", response_model=list[DeliveryRead], summary="Send pending envelopes now")
def send(request: Request, document_id: int, actor: ActorDep) -> list[DeliveryRead]:
    """The records office sends at once instead of waiting for the worker's retry."""
    return exchange.send_now(
        get_db(request), actor=actor, document_id=document_id, signing_with=signing_with(request)
    )


@api.post(
    "/{document_id}/attachments", response_model=AttachmentRead, status_code=201, summary="Add an attachment"
)
async def add_attachment(request: Request, document_id: int, actor: ActorDep) -> AttachmentRead:
    """The author adds a PDF (multipart field `file`, or an application/pdf body with `?filename=`) to a
    draft; 413 past the size limit, 415 for anything but a PDF, 409 once the draft is submitted."""
    upload = await read_pdf_upload(request, limit=get_documents_settings().max_attachment_bytes)
    return await run_in_threadpool(
        attachments.add,
        get_db(request),
        actor=actor,
        document_id=document_id,
        filename=upload.filename or request.query_params.get("filename"),
        content=upload.pdf,
        content_type=None,
    )


@api.get("/{document_id}/attachments", response_model=list[AttachmentRead], summary="The attachments")
def list_attachments(request: Request, document_id: int, actor: ActorDep) -> list[AttachmentRead]:
    """A document's attachments in the order they were added; `sealed` once the document is issued."""
    return attachments.list_for(get_db(request), actor=actor, document_id=document_id)


@api.get(
    "/{document_id}/attachments/{attachment_id}/pdf", summary="An attachment's PDF", response_class=Response
)
def attachment_pdf(request: Request, document_id: int, attachment_id: int, actor: ActorDep) -> Response:
    """The attachment as uploaded, or sealed by the records office once the document is issued."""
    content, filename = attachments.pdf_of(
        get_db(request), actor=actor, document_id=document_id, attachment_id=attachment_id
    )
    return pdf_response(content, filename)


@api.delete("/{document_id}/attachments/{attachment_id}", status_code=204, summary="Remove an attachment")
def remove_attachment(request: Request, document_id: int, attachment_id: int, actor: ActorDep) -> Response:
    """The author removes an attachment from a draft or a returned document."""
    attachments.remove(get_db(request), actor=actor, document_id=document_id, attachment_id=attachment_id)
    return Response(status_code=204)


router.include_router(api)
