"""The portal's use cases: editorial posts (news, announcements, pages), one search, the citizen's space."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, time
from typing import Any

from sqlalchemy import or_, select

from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.db import Database, get_or_404, utcnow
from smartcity.core.errors import Conflict, NotFound, ValidationFailed, found_or_404
from smartcity.core.files import StoredFile
from smartcity.core.i18n import Phrase, in_language
from smartcity.core.pages import Page, PageParams, count_and_slice
from smartcity.core.search import CitizenSection, SearchHit
from smartcity.core.security import Actor
from smartcity.core.text import fold
from smartcity.core.uow import UnitOfWork
from smartcity.domains import collect
from smartcity.portal.models import Post
from smartcity.portal.schemas import PostInput, PostRead

IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")
# The city portal's news is written by the people's committees (UBND-: the city's until 1 July 2025, each
# ward's since; the demo's editor is the head of the demo ward's office) and by the city's Culture and
# Information division (TDM-VHTT, until 30 June 2025). Their heads and leaders (PortalSettings.editor_roles),
# city-wide holders and the admin edit it; a school's head or a health station's does not.
EDITOR_UNITS = ("UBND-", "TDM-VHTT")
EDITOR_REFUSAL = (
    "Tin tức của cổng thông tin do lãnh đạo Ủy ban nhân dân thành phố, phường "
    "và Phòng Văn hóa và Thông tin biên tập."
)
_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """A URL slug from Vietnamese text: "Thông báo nghỉ Tết" → "thong-bao-nghi-tet"."""
    return _SLUG.sub("-", fold(text)).strip("-")[:120] or "bai-viet"


def _read(post: Post) -> PostRead:
    return PostRead.model_validate(post, from_attributes=True)


def _published_at(data: PostInput, settings: Settings, current: datetime | None) -> datetime | None:
    if not data.publish:
        return None
    if data.published_on is None:
        return current or utcnow()
    if data.published_on > clock.today(settings):
        raise ValidationFailed.for_field("published_on", "Ngày đăng không được ở tương lai.")
    return datetime.combine(data.published_on, time(8, 0), clock.city_zone(settings))


def _apply(post: Post, data: PostInput, settings: Settings) -> None:
    for name in ("kind", "title_vi", "title_en", "summary_vi", "summary_en", "body_vi", "body_en"):
        setattr(
            post,
            name,
            getattr(data, name).strip() if isinstance(getattr(data, name), str) else getattr(data, name),
        )
    post.image_alt_vi, post.image_alt_en = data.image_alt_vi.strip(), data.image_alt_en.strip()
    post.published_at = _published_at(data, settings, post.published_at)
    post.status = "published" if data.publish else "draft"


def _snapshot(post: Post) -> dict[str, Any]:
    return {"slug": post.slug, "kind": post.kind, "status": post.status, "title_vi": post.title_vi}


def _check_image(data: PostInput, image: StoredFile | None, current: str | None) -> None:
    if (image is not None or current) and not data.image_alt_vi.strip():
        raise ValidationFailed.for_field(
            "image_alt_vi", "Ảnh cần có mô tả thay thế (cho người không nhìn thấy ảnh)."
        )


def create_post(
    db: Database, *, actor: Actor, settings: Settings, data: PostInput, image: StoredFile | None = None
) -> PostRead:
    """Write a new post (a draft unless `publish`); its slug from the title unless given."""
    _check_image(data, image, None)
    slug = data.slug or slugify(data.title_vi)
    with UnitOfWork(db, actor) as uow:
        if uow.session.scalar(select(Post.id).where(Post.slug == slug)) is not None:
            raise Conflict(Phrase("Đã có bài viết với đường dẫn {slug}.", slug=repr(slug)))
        post = Post(slug=slug, author=actor.name)
        _apply(post, data, settings)
        if image is not None:
            post.image_sha256, post.image_type = image.sha256, image.media_type
        uow.session.add(post)
        uow.session.flush()
        uow.audit("portal.post_created", "portal_post", post.id, after=_snapshot(post))
        return _read(post)


def update_post(
    db: Database,
    *,
    actor: Actor,
    settings: Settings,
    post_id: int,
    data: PostInput,
    image: StoredFile | None = None,
    remove_image: bool = False,
) -> PostRead:
    """Change a post: its words, its image, draft or published (and when)."""
    with UnitOfWork(db, actor) as uow:
        post = get_or_404(uow.session, Post, post_id, f"No post {post_id}")
        _check_image(data, image, None if remove_image else post.image_sha256)
        before = _snapshot(post)
        if data.slug and data.slug != post.slug:
            if uow.session.scalar(select(Post.id).where(Post.slug == data.slug)) is not None:
                raise Conflict(Phrase("Đã có bài viết với đường dẫn {slug}.", slug=repr(data.slug)))
            post.slug = data.slug
        _apply(post, data, settings)
        if remove_image:
            post.image_sha256, post.image_type = None, None
        if image is not None:
            post.image_sha256, post.image_type = image.sha256, image.media_type
        uow.audit("portal.post_updated", "portal_post", post.id, before=before, after=_snapshot(post))
        uow.session.flush()
        return _read(post)


def delete_post(db: Database, *, actor: Actor, post_id: int) -> None:
    """Remove a post."""
    with UnitOfWork(db, actor) as uow:
        post = get_or_404(uow.session, Post, post_id, f"No post {post_id}")
        uow.audit("portal.post_deleted", "portal_post", post.id, before=_snapshot(post))
        uow.session.delete(post)


def get_post(db: Database, post_id: int) -> PostRead:
    """A post by id (drafts too: for editors)."""
    with db.session() as s:
        post = get_or_404(s, Post, post_id, f"No post {post_id}")
        return _read(post)


def _visible() -> Any:
    return (Post.status == "published") & (Post.published_at <= utcnow())


def published_post(db: Database, slug: str, *, kind: Sequence[str] | None = None) -> PostRead:
    """A published post by slug (a draft or a future date is NotFound)."""
    query = select(Post).where(Post.slug == slug, _visible())
    if kind:
        query = query.where(Post.kind.in_(list(kind)))
    with db.session() as s:
        post = found_or_404(s.scalar(query), f"No published post {slug!r}")
        return _read(post)


def list_posts(
    db: Database,
    *,
    paging: PageParams,
    kinds: Sequence[str] = ("news", "announcement"),
    published_only: bool = True,
    q: str = "",
) -> Page[PostRead]:
    """Posts newest first: published ones for the public, every one for editors; `q` in the titles."""
    query = select(Post).where(Post.kind.in_(list(kinds)))
    if published_only:
        query = query.where(_visible())
    if q.strip():
        like = f"%{q.strip()}%"
        query = query.where(or_(Post.title_vi.ilike(like), Post.title_en.ilike(like)))
    with db.session() as s:
        order = (Post.published_at.desc().nulls_first(), Post.id.desc())
        rows, total = count_and_slice(s, query, *order, limit=paging.limit, offset=paging.offset)
        return Page.of([_read(p) for p in rows], total=total, paging=paging)


def image_of(db: Database, sha256: str, *, published_only: bool = True) -> str:
    """The media type of a (published) post's image with this digest; NotFound when no such post."""
    query = select(Post.image_type).where(Post.image_sha256 == sha256)
    if published_only:
        query = query.where(_visible())
    with db.session() as s:
        media_type = s.scalar(query.limit(1))
    if media_type is None:
        raise NotFound("No such image")
    return media_type


# --- one search, the citizen's space ---------------------------------------------------------------


def _post_hits(db: Database, query: str, locale: str = "vi") -> list[SearchHit]:
    words = fold(query).split()
    hits = []
    with db.session() as s:
        rows = s.scalars(select(Post).where(_visible()).order_by(Post.published_at.desc()).limit(500)).all()
        for post in rows:
            text = fold(" ".join([post.title_vi, post.summary_vi, post.body_vi, post.title_en]))
            if words and all(w in text for w in words):
                prefix = "/trang/" if post.kind == "page" else "/tin-tuc/"
                hits.append(
                    SearchHit(
                        "Tin tức",
                        "News",
                        in_language(post.title_vi, post.title_en, locale),
                        f"{prefix}{post.slug}",
                        in_language(post.summary_vi, post.summary_en, locale),
                        1.0,
                        post.published_at,
                    )
                )
    return hits


def search(
    db: Database, settings: Settings, query: str, locale: str = "vi"
) -> dict[tuple[str, str], list[SearchHit]]:
    """Everything the domains find for the query, grouped by kind (Vietnamese, English), best first; each
    hit's title and summary in `locale`."""
    query = query.strip()[:200]
    if not fold(query):
        return {}
    hits = _post_hits(db, query, locale)
    for _domain, find in collect("search", "SEARCH"):
        hits.extend(find(db, query, settings, locale))
    grouped: dict[tuple[str, str], list[SearchHit]] = {}
    for hit in sorted(hits, key=lambda h: -h.score):
        grouped.setdefault((hit.kind_vi, hit.kind_en), []).append(hit)
    return dict(sorted(grouped.items(), key=lambda item: -item[1][0].score))


def citizen_sections(db: Database, actor: Actor, settings: Settings, locale: str) -> list[CitizenSection]:
    """The sections every domain gives the signed-in citizen's own space, written in `locale` by each."""
    sections = []
    for _domain, providers in collect("citizen_space", "SECTIONS"):
        for provide in providers:
            section = provide(db, actor, settings, locale)
            if section is not None:
                sections.append(section)
    return sorted(sections, key=lambda section: section.position)  # a stable sort keeps the domains' order
