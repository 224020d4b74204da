"""The portal's pages: the home, one search, news and pages, contacts, the citizen's space, the news desk."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from smartcity.core import clock
from smartcity.core.db import Database
from smartcity.core.errors import AppError, Forbidden
from smartcity.core.files import StoredFile, file_store
from smartcity.core.malware import Intake
from smartcity.core.pages import PageParams
from smartcity.core.security import Actor
from smartcity.portal import service
from smartcity.portal.config import PortalSettings
from smartcity.portal.schemas import PostInput, PostRead
from smartcity.web.deps import ActorDep, DbDep, SettingsDep, login_redirect, scoped_link, verify_csrf
from smartcity.web.forms import form_mistakes, refusal_sentence
from smartcity.web.templating import render, request_locale

router = APIRouter(include_in_schema=False)
PUBLIC_LINKS = (
    {"label": "Tin tức", "href": "/tin-tuc"},
    {"label": "Liên hệ", "href": "/lien-he"},
    {"label": "Trang của tôi", "href": "/cua-toi", "place": "personal"},
)
STAFF_LINKS = (
    scoped_link("Tin tức và thông báo", "/can-bo/tin-tuc", ("leader", "head"), service.EDITOR_UNITS),
)
PAGE_SIZE = 10
KIND_NAMES = {"news": "Tin tức", "announcement": "Thông báo", "page": "Trang thông tin"}
MORE_LINKS = {"Thủ tục hành chính": "/thu-tuc?q=", "Dữ liệu mở": "/du-lieu-mo?q="}  # a kind's own search
QUICK_LINKS = (
    ("Tìm thủ tục hành chính", "Thành phần hồ sơ, phí, thời hạn; nộp trực tuyến", "/thu-tuc"),
    ("Tra cứu hồ sơ", "Hồ sơ của bạn đang ở đâu", "/tra-cuu"),
    ("Gửi phản ánh", "Ổ gà, đèn hỏng, rác, ngập... ảnh và vị trí", "/phan-anh/gui"),
    ("Bản đồ quy hoạch", "Quy hoạch tại thửa đất hoặc địa chỉ", "/ban-do-quy-hoach"),
    ("Dữ liệu mở", "Số liệu của thành phố để tải về", "/du-lieu-mo"),
    ("Bản đồ thành phố", "Các phường trước và sau {day}", "/ban-do"),  # {day}: the reorganisation
    ("Cảnh báo công cộng", "Tai nạn, cháy, ngập đang xảy ra và điều cần làm", "/canh-bao"),
    ("Chất lượng không khí", "Chỉ số VN_AQI tại các trạm quan trắc", "/moi-truong"),
    ("Công trình đầu tư công", "Dự án, tiến độ thi công và giải ngân", "/cong-trinh"),
    ("Tình hình dịch bệnh", "Số ca bệnh truyền nhiễm theo phường và theo ngày", "/dich-benh"),
)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, db: DbDep, settings: SettingsDep) -> HTMLResponse:
    """The home: one search, the common tasks, hotline 1022, announcements and news."""
    section = settings.section(PortalSettings)
    news = service.list_posts(db, paging=PageParams(limit=section.home_news), kinds=("news",))
    notices = service.list_posts(db, paging=PageParams(limit=3), kinds=("announcement",))
    return render(
        request,
        "portal/home.html",
        {
            "news": news.items,
            "notices": notices.items,
            "quick_links": QUICK_LINKS,
            "hotline": section.contacts[0],
        },
    )


@router.get("/tim-kiem", response_class=HTMLResponse)
def search_page(
    request: Request, db: DbDep, settings: SettingsDep, q: Annotated[str, Query(max_length=200)] = ""
) -> HTMLResponse:
    """One search across procedures, reports, planning, news and datasets (with or without diacritics)."""
    groups = service.search(db, settings, q, request_locale(request)) if q.strip() else {}
    limit = settings.section(PortalSettings).search_per_kind
    shown = {kind: hits[:limit] for kind, hits in groups.items()}
    total = sum(len(h) for h in groups.values())
    counts = {kind: len(hits) for kind, hits in groups.items()}
    more = {kind: f"{MORE_LINKS[kind[0]]}{quote(q)}" for kind in groups if kind[0] in MORE_LINKS}
    context = {"q": q, "groups": shown, "total": total, "counts": counts, "more": more}
    return render(request, "portal/search.html", context)


@router.get("/tin-tuc", response_class=HTMLResponse)
def news_list(request: Request, db: DbDep, page: Annotated[int, Query(ge=1, le=10000)] = 1) -> HTMLResponse:
    """News and announcements, newest first."""
    result = service.list_posts(db, paging=PageParams.for_page(page, PAGE_SIZE))
    pages = max(1, (result.total + PAGE_SIZE - 1) // PAGE_SIZE)
    return render(
        request,
        "portal/news_list.html",
        {"result": result, "page": page, "pages": pages, "kind_names": KIND_NAMES},
    )


@router.get("/tin-tuc/anh/{sha256}")
def post_image(sha256: str, db: DbDep, settings: SettingsDep, actor: ActorDep) -> Response:
    """The image of a published post (of any post, for editors)."""
    media_type = service.image_of(db, sha256, published_only=not _may_edit(actor, settings))
    content = file_store(settings, "portal").get(sha256)
    return Response(content, media_type=media_type, headers={"Cache-Control": "max-age=86400"})


@router.get("/tin-tuc/{slug}", response_class=HTMLResponse)
def news_page(request: Request, slug: str, db: DbDep) -> HTMLResponse:
    """One news item or announcement."""
    post = service.published_post(db, slug, kind=("news", "announcement"))
    return render(request, "portal/post.html", {"post": post, "kind_names": KIND_NAMES})


@router.get("/trang/{slug}", response_class=HTMLResponse)
def standing_page(request: Request, slug: str, db: DbDep) -> HTMLResponse:
    """A standing page (about the city, guides)."""
    post = service.published_post(db, slug, kind=("page",))
    return render(request, "portal/post.html", {"post": post, "kind_names": KIND_NAMES})


@router.get("/lien-he", response_class=HTMLResponse)
def contacts(request: Request, settings: SettingsDep) -> HTMLResponse:
    """Hotline 1022 and the city's contacts."""
    return render(request, "portal/contacts.html", {"contacts": settings.section(PortalSettings).contacts})


@router.get("/cua-toi", response_class=HTMLResponse)
def citizen_space(request: Request, db: DbDep, settings: SettingsDep, actor: ActorDep) -> Response:
    """The signed-in citizen's own space: their dossiers, reports and what later domains add."""
    if not actor.is_authenticated or actor.user_id is None:
        return login_redirect(request.url.path)
    sections = service.citizen_sections(db, actor, settings, request_locale(request))
    return render(request, "portal/citizen_space.html", {"sections": sections})


# --- the news desk (staff) -------------------------------------------------------------------------


def _may_edit(actor: Actor, settings: Any) -> bool:
    """An editor role (PortalSettings.editor_roles) held city-wide or in one of service.EDITOR_UNITS."""
    roles = settings.section(PortalSettings).editor_roles
    return any(actor.has_role_in(role, service.EDITOR_UNITS) for role in roles)


def _editor(request: Request, actor: Actor, settings: Any) -> Response | None:
    """None when the caller may edit; else a redirect to log in, or 403."""
    if not actor.is_authenticated:
        return login_redirect(request.url.path)
    if not _may_edit(actor, settings):
        raise Forbidden(service.EDITOR_REFUSAL)
    return None


@router.get("/can-bo/tin-tuc", response_class=HTMLResponse)
def desk(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    actor: ActorDep,
    page: Annotated[int, Query(ge=1, le=10000)] = 1,
    q: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """Every post, drafts included, newest first."""
    if (denied := _editor(request, actor, settings)) is not None:
        return denied
    result = service.list_posts(
        db,
        paging=PageParams.for_page(page, 30),
        kinds=("news", "announcement", "page"),
        published_only=False,
        q=q,
    )
    return render(
        request, "portal/desk.html", {"result": result, "q": q, "kind_names": KIND_NAMES, "page": page}
    )


def _form_page(
    request: Request, post: PostRead | None, values: dict[str, Any], errors: list[str], status: int = 200
) -> HTMLResponse:
    return render(
        request,
        "portal/edit.html",
        {"post": post, "values": values, "errors": errors, "kind_names": KIND_NAMES},
        status_code=status,
    )


@router.get("/can-bo/tin-tuc/moi", response_class=HTMLResponse)
def new_post_form(request: Request, settings: SettingsDep, actor: ActorDep) -> Response:
    """An empty form for a new post."""
    if (denied := _editor(request, actor, settings)) is not None:
        return denied
    return _form_page(request, None, {"kind": "news"}, [])


def _values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    values["publish"] = form.get("publish") == "1"
    values["published_on"] = values.get("published_on") or None
    return values


async def _image(form: FormData, settings: Any, db: Database, actor: Actor) -> StoredFile | None:
    upload = form.get("image")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    limit = settings.section(PortalSettings).max_image_bytes
    return await file_store(settings, "portal").save_upload(
        upload,
        max_bytes=limit,
        allowed_types=service.IMAGE_TYPES,
        intake=Intake(db, actor, "portal.image", field_name="image"),
    )


# The form's fields by their labels, for its mistakes ("Tiêu đề (tiếng Việt): Phải có ít nhất 3 ký tự.").
FIELD_TITLES = {
    "kind": "Loại bài",
    "title_vi": "Tiêu đề (tiếng Việt)",
    "title_en": "Tiêu đề (tiếng Anh)",
    "slug": "Đường dẫn",
    "summary_vi": "Tóm tắt (tiếng Việt)",
    "summary_en": "Tóm tắt (tiếng Anh)",
    "body_vi": "Nội dung (tiếng Việt)",
    "body_en": "Nội dung (tiếng Anh)",
    "image_alt_vi": "Mô tả ảnh cho người không nhìn thấy (tiếng Việt)",
    "image_alt_en": "Mô tả ảnh (tiếng Anh)",
    "published_on": "Ngày đăng",
}


def _messages(request: Request, exc: ValidationError | AppError) -> list[str]:
    """What the form says of a refused post: each mistake by its field's label, in the page's language."""
    if isinstance(exc, ValidationError):
        return form_mistakes(request, exc, FIELD_TITLES, "portal")
    return exc.sentences_for_people or [refusal_sentence(exc)]


@router.post("/can-bo/tin-tuc/moi", dependencies=[Depends(verify_csrf)])
async def create_post(request: Request, db: DbDep, settings: SettingsDep, actor: ActorDep) -> Response:
    """Save a new post (a draft, or published at a date), then go back to the desk."""
    if (denied := _editor(request, actor, settings)) is not None:
        return denied
    form = await request.form()
    values = _values(form)
    try:
        data = PostInput(**values)
        image = await _image(form, settings, db, actor)
        await run_in_threadpool(
            lambda: service.create_post(db, actor=actor, settings=settings, data=data, image=image)
        )
    except (ValidationError, AppError) as exc:
        return _form_page(request, None, values, _messages(request, exc), status=422)
    return RedirectResponse("/can-bo/tin-tuc", status_code=303)


@router.get("/can-bo/tin-tuc/{post_id}", response_class=HTMLResponse)
def edit_post_form(
    request: Request, post_id: int, db: DbDep, settings: SettingsDep, actor: ActorDep
) -> Response:
    """The form with a post's words, image and status."""
    if (denied := _editor(request, actor, settings)) is not None:
        return denied
    post = service.get_post(db, post_id)
    values = post.model_dump()
    values["publish"] = post.status == "published"
    values["published_on"] = (
        clock.local_date(post.published_at, settings).isoformat() if post.published_at else ""
    )
    return _form_page(request, post, values, [])


@router.post("/can-bo/tin-tuc/{post_id}", dependencies=[Depends(verify_csrf)])
async def update_post(
    request: Request, post_id: int, db: DbDep, settings: SettingsDep, actor: ActorDep
) -> Response:
    """Save a post's changes, then go back to the desk."""
    if (denied := _editor(request, actor, settings)) is not None:
        return denied
    post = await run_in_threadpool(service.get_post, db, post_id)
    form = await request.form()
    values = _values(form)
    try:
        data = PostInput(**values)
        image = await _image(form, settings, db, actor)
        await run_in_threadpool(
            lambda: service.update_post(
                db,
                actor=actor,
                settings=settings,
                post_id=post_id,
                data=data,
                image=image,
                remove_image=form.get("remove_image") == "1",
            )
        )
    except (ValidationError, AppError) as exc:
        return _form_page(request, post, values, _messages(request, exc), status=422)
    return RedirectResponse("/can-bo/tin-tuc", status_code=303)


@router.post("/can-bo/tin-tuc/{post_id}/xoa", dependencies=[Depends(verify_csrf)])
def delete_post(
    request: Request, post_id: int, db: DbDep, settings: SettingsDep, actor: ActorDep
) -> Response:
    """Remove a post."""
    if (denied := _editor(request, actor, settings)) is not None:
        return denied
    service.delete_post(db, actor=actor, post_id=post_id)
    return RedirectResponse("/can-bo/tin-tuc", status_code=303)
