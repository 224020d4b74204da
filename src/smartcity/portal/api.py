"""The portal's JSON API: the one search and the published news (for the city's app and other sites)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query

from smartcity.core.pages import Page, PagingDep
from smartcity.portal import service
from smartcity.portal.schemas import PostRead
from smartcity.web.deps import DbDep, SettingsDep

router = APIRouter(prefix="/api/v1/portal", tags=["portal"])


@router.get("/search", summary="One search across procedures, reports, planning, news and datasets")
def search(
    db: DbDep, settings: SettingsDep, q: Annotated[str, Query(min_length=1, max_length=200)]
) -> dict[str, Any]:
    """Everything the domains find for `q` (with or without diacritics), best kinds first."""
    groups = service.search(db, settings, q)
    results = [
        {**asdict(hit), "when": hit.when.isoformat() if hit.when else None}
        for hits in groups.values()
        for hit in hits
    ]
    return {"query": q, "count": len(results), "results": results}


@router.get("/posts", summary="Published news and announcements, newest first")
def posts(db: DbDep, paging: PagingDep) -> Page[PostRead]:
    """Published news and announcements (drafts and future dates are not listed)."""
    return service.list_posts(db, paging=paging)
