"""JSON API of the procedure catalogue: `/api/v1/procedures`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from smartcity.core.db import Database
from smartcity.core.pages import MAX_LIMIT, MAX_OFFSET
from smartcity.core.security import Actor
from smartcity.core.sheets import XLSX_MEDIA_TYPE
from smartcity.procedures import service
from smartcity.procedures.schemas import ImportReport, ProcedurePage, ProcedureRead
from smartcity.web.deps import get_db, require_role

router = APIRouter(prefix="/api/v1/procedures", tags=["procedures"])

MEDIA = {"xlsx": XLSX_MEDIA_TYPE, "csv": "text/csv"}


@router.get("", response_model=ProcedurePage, summary="Search the catalogue")
def list_procedures(
    db: Annotated[Database, Depends(get_db)],
    q: Annotated[str | None, Query(max_length=200, description="Words, with or without diacritics")] = None,
    level: Annotated[int | None, Query(ge=1, le=4)] = None,
    field: Annotated[str | None, Query(max_length=200, description="Field code (e.g. HT) or name")] = None,
    agency: Annotated[str | None, Query(max_length=64, description="Deciding org unit code, or WARD")] = None,
    online_scope: Annotated[str | None, Query(pattern="^(toan_trinh|mot_phan)$")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> ProcedurePage:
    """Procedures matching the search and filters, a page at a time, with the total count."""
    return service.list_procedures(
        db,
        q=q,
        level=level,
        field=field,
        agency=agency,
        online_scope=online_scope,
        limit=limit,
        offset=offset,
    )


@router.get("/fields", summary="Fields of the catalogue")
def fields(db: Annotated[Database, Depends(get_db)]) -> list[dict[str, Any]]:
    """The fields (lĩnh vực) with their procedure counts."""
    return service.list_fields(db)


@router.get("/agencies", summary="Deciding agencies")
def agencies(db: Annotated[Database, Depends(get_db)]) -> list[dict[str, Any]]:
    """The deciding agencies with their procedure counts."""
    return service.list_agencies(db)


@router.get("/levels", summary="Procedures by online level")
def levels(db: Annotated[Database, Depends(get_db)]) -> dict[str, int]:
    """How many procedures are at each online level (1–4)."""
    return {str(k): v for k, v in sorted(service.level_counts(db).items())}


@router.get("/export", summary="Export the catalogue as XLSX or CSV")
def export(
    db: Annotated[Database, Depends(get_db)], format: Annotated[str, Query(pattern="^(xlsx|csv)$")] = "xlsx"
) -> Response:
    """The whole catalogue as a spreadsheet (the same columns `import` reads)."""
    body = service.export_catalogue(db, fmt=format)
    headers = {"Content-Disposition": f'attachment; filename="thu-tuc-hanh-chinh.{format}"'}
    return Response(body, media_type=MEDIA[format], headers=headers)


@router.post("/import", response_model=dict, summary="Import a catalogue file (admin)")
async def import_file(
    request: Request,
    file: UploadFile,
    actor: Annotated[Actor, Depends(require_role("admin"))],
) -> dict[str, int]:
    """Create or update procedures from an XLSX or CSV file; every row valid or nothing stored."""
    content = await file.read(service.MAX_IMPORT_BYTES + 1)
    report: ImportReport = await run_in_threadpool(
        lambda: service.import_catalogue(
            get_db(request), actor=actor, filename=file.filename or "", content=content
        )
    )
    return report.model_dump()


@router.get("/{code}", response_model=ProcedureRead, summary="One procedure")
def get_procedure(code: str, db: Annotated[Database, Depends(get_db)]) -> ProcedureRead:
    """The full definition of a procedure: documents, fees, e-form schema, workflow."""
    return service.get_procedure(db, code)
