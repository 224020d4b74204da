"""Public catalogue pages: search and filter the procedures, read one procedure."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from smartcity.core import clock
from smartcity.procedures import service
from smartcity.procedures.catalogue import MISSING_PARTS
from smartcity.procedures.public_text import LEVEL_NAMES, online_words, shown_texts
from smartcity.procedures.workflows import template
from smartcity.web.deps import get_db, get_settings
from smartcity.web.pager import pager_pages
from smartcity.web.templating import render, request_locale

router = APIRouter(include_in_schema=False)
PUBLIC_LINKS = ({"label": "Thủ tục hành chính", "href": "/thu-tuc"},)
PAGE_SIZE = 20


@router.get("/thu-tuc", response_class=HTMLResponse)
def catalogue(
    request: Request,
    q: Annotated[str | None, Query(max_length=200)] = None,
    field: Annotated[str | None, Query(max_length=200)] = None,
    level: Annotated[str | None, Query(max_length=2)] = None,
    agency: Annotated[str | None, Query(max_length=64)] = None,
    page: Annotated[int, Query(ge=1, le=10000)] = 1,
) -> HTMLResponse:
    """The catalogue with search (with or without diacritics) and filters by field, level and agency."""
    db = get_db(request)
    level_value = int(level) if level and level.isdigit() and 1 <= int(level) <= 4 else None
    result = service.list_procedures(
        db,
        q=q,
        level=level_value,
        field=field or None,
        agency=agency or None,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    pages = max(1, (result.total + PAGE_SIZE - 1) // PAGE_SIZE)
    agencies = service.list_agencies(db)
    kept = {"q": q or "", "field": field or "", "level": level_value or "", "agency": agency or ""}
    return render(
        request,
        "procedures/list.html",
        {
            "result": result,
            "q": q or "",
            "field": field or "",
            "level": level_value,
            "agency": agency or "",
            "page": page,
            "pages": pages,
            "pager": pager_pages(page, pages),
            "page_query": urlencode({k: v for k, v in kept.items() if v}),
            "fields": service.list_fields(db),
            "agencies": agencies,
            "agency_names": service.agency_names(db, [a["code"] for a in agencies], request_locale(request)),
            "processing_time": service.processing_time,
            "level_names": LEVEL_NAMES,
            "online_words": online_words,
            "level_counts": service.level_counts(db),
            "completeness": service.completeness_counts(db),
        },
    )


@router.get("/thu-tuc/{code}", response_class=HTMLResponse)
def procedure_page(request: Request, code: str) -> HTMLResponse:
    """One procedure: documents, fees, time, legal basis, workflow; a link to submit online."""
    db = get_db(request)
    procedure = service.get_procedure(db, code)
    return render(
        request,
        "procedures/detail.html",
        {
            "p": procedure,
            "steps": template(procedure.workflow),
            "online_words": online_words,
            "shown": shown_texts(procedure),  # the texts without the editors' notes, each item marked
            "missing_parts": MISSING_PARTS,
            "handling": service.handling(
                db, procedure, on=clock.today(get_settings(request)), locale=request_locale(request)
            ),
            "processing_time": service.processing_time,
        },
    )
