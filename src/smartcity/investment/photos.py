"""Site photos of a project: the image in the file store (with a thumbnail), its date and place in a row."""

from __future__ import annotations

import io
from datetime import date
from functools import partial
from typing import Any

import anyio
from sqlalchemy import func, select

from smartcity.core.config import Settings
from smartcity.core.db import Database, get_or_404
from smartcity.core.errors import NotFound, ValidationFailed
from smartcity.core.files import AsyncReadable, FileStore, StoredFile, file_store
from smartcity.core.malware import Intake
from smartcity.core.pages import Page, PageParams
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.investment.models import Project, SitePhoto
from smartcity.investment.tracking import vn_date

MAX_PHOTO_BYTES = 8 << 20
PHOTO_TYPES = ("image/jpeg", "image/png")
THUMB_SIZE = (320, 320)


def photo_store(settings: Settings) -> FileStore:
    """Where the site photos live."""
    return file_store(settings, "investment-photos")


def thumbnail(content: bytes) -> bytes | None:
    """A JPEG thumbnail of at most 320×320, or None when Pillow is missing or cannot read the image."""
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:  # pragma: no cover - Pillow is a dependency, the photo still works without it
        return None
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.thumbnail(THUMB_SIZE)
            out = io.BytesIO()
            image.convert("RGB").save(out, format="JPEG", quality=80)
            return out.getvalue()
    except (UnidentifiedImageError, OSError):
        return None


async def upload_photo(
    db: Database,
    *,
    settings: Settings,
    actor: Actor,
    project_id: int,
    file: AsyncReadable,
    taken_on: date,
    lon: float | None = None,
    lat: float | None = None,
    caption: str = "",
) -> int:
    """Store an uploaded photo (screened, JPEG or PNG within its limit) and record it as `add_photo` does;
    returns its id."""
    intake = Intake(db, actor, "investment.photo")
    stored = await photo_store(settings).save_upload(
        file, max_bytes=MAX_PHOTO_BYTES, allowed_types=PHOTO_TYPES, intake=intake
    )
    record = partial(add_photo, db, settings=settings, actor=actor, project_id=project_id, stored=stored)
    return await anyio.to_thread.run_sync(
        partial(record, taken_on=taken_on, lon=lon, lat=lat, caption=caption)
    )


def add_photo(
    db: Database,
    *,
    settings: Settings,
    actor: Actor,
    project_id: int,
    stored: StoredFile,
    taken_on: date,
    lon: float | None,
    lat: float | None,
    caption: str,
) -> int:
    """Record a stored photo of the site with its date and place; returns its id."""
    if (lon is None) != (lat is None) or (lon is not None and not (-180 <= lon <= 180 and -90 <= lat <= 90)):  # type: ignore[operator]
        raise ValidationFailed.for_field("lon", "Vị trí ảnh cần đủ kinh độ và vĩ độ hợp lệ.")
    store = photo_store(settings)
    thumb = thumbnail(store.get(stored.sha256))
    if thumb is None:
        raise ValidationFailed.for_field("file", "Không đọc được ảnh; chỉ nhận ảnh JPEG hoặc PNG.")
    with UnitOfWork(db, actor) as uow:
        if uow.session.get(Project, project_id) is None:
            raise NotFound("Không có dự án này.")
        row = SitePhoto(
            project_id=project_id,
            sha256=stored.sha256,
            thumb_sha256=store.put(thumb),
            media_type=str(stored.media_type),
            taken_on=taken_on,
            lon=lon,
            lat=lat,
            caption=caption.strip(),
        )
        uow.session.add(row)
        uow.session.flush()
        uow.audit("investment.photo.create", "investment_photo", row.id, after={"project": project_id})
        return int(row.id)


def photo_item(row: SitePhoto) -> dict[str, Any]:
    """A photo's public fields and links."""
    return {
        "id": row.id,
        "taken_on": row.taken_on.isoformat(),
        "taken_on_text": vn_date(row.taken_on),
        "lon": row.lon,
        "lat": row.lat,
        "caption": row.caption,
        "url": f"/api/v1/investment/photos/{row.id}",
        "thumb_url": f"/api/v1/investment/photos/{row.id}/thumb",
    }


def list_photos(db: Database, *, project_id: int, paging: PageParams | None = None) -> Page[dict[str, Any]]:
    """A project's photos, newest first."""
    paging = paging or PageParams(limit=100)
    with db.session() as session:
        where = SitePhoto.project_id == project_id
        total = session.scalar(select(func.count()).select_from(SitePhoto).where(where)) or 0
        rows = session.scalars(
            select(SitePhoto)
            .where(where)
            .order_by(SitePhoto.taken_on.desc(), SitePhoto.id.desc())
            .limit(paging.limit)
            .offset(paging.offset)
        )
        items = [photo_item(row) for row in rows]
    return Page.of(items, total=int(total), paging=paging)


def photo_content(db: Database, *, settings: Settings, photo_id: int, thumb: bool) -> tuple[bytes, str]:
    """The bytes and media type of a photo or its thumbnail."""
    with db.session() as session:
        row = get_or_404(session, SitePhoto, photo_id, "Không có ảnh này.")
        digest, media_type = (
            (row.thumb_sha256, "image/jpeg") if thumb and row.thumb_sha256 else (row.sha256, row.media_type)
        )
    return photo_store(settings).get(digest), media_type


def photo_features(db: Database, *, project_id: int) -> list[dict[str, Any]]:
    """The project's located photos as GeoJSON points for its map."""
    return [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [p["lon"], p["lat"]]},
            "properties": {**p, "photo": True},
        }
        for p in list_photos(db, project_id=project_id).items
        if p["lon"] is not None
    ]
