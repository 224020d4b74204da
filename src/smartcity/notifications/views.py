"""The in-page inbox of notifications: /can-bo/thong-bao."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartcity.core.pages import PageParams
from smartcity.notifications import service
from smartcity.web.deps import ActorDep, DbDep, PageUserDep, verify_csrf
from smartcity.web.templating import render

router = APIRouter(include_in_schema=False)
STAFF_LINKS = (
    {
        "label": "Thông báo của tôi",
        "href": "/can-bo/thong-bao",
        "roles": ("operator", "head", "leader", "specialist", "clerk"),
    },
)


@router.get("/can-bo/thong-bao", response_class=HTMLResponse)
def inbox(request: Request, db: DbDep, actor: PageUserDep, page: int = 1) -> Response:
    """My notifications, newest first, unacknowledged ones marked."""
    listing = service.inbox(db, actor=actor, paging=PageParams.for_page(page, 30))
    return render(request, "notifications/inbox.html", {"page": listing})


@router.post("/can-bo/thong-bao/{message_id}/xac-nhan", dependencies=[Depends(verify_csrf)])
def acknowledge(message_id: int, db: DbDep, actor: ActorDep) -> Response:
    """Acknowledge a notification."""
    service.acknowledge(db, actor=actor, message_id=message_id)
    return RedirectResponse("/can-bo/thong-bao", status_code=303)
