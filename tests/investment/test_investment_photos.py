"""Site photos: upload through the API (JPEG/PNG, size-limited), thumbnail, project page and map."""

from __future__ import annotations

import io
from datetime import date

from PIL import Image

from smartcity.investment import photos, service
from tests.investment.conftest import SYSTEM


def _png(width: int = 800, height: int = 600) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(out, format="PNG")
    return out.getvalue()


def _project(db) -> int:
    data = {"code": "DA-ANH-1", "name": "Trường tiểu học Phú Lợi", "start_date": date(2025, 3, 1)}
    return service.create_project(db, actor=SYSTEM, data=data)


def test_photo_upload_thumbnail_list_map_and_page(client, city, settings, login):
    headers = login("ketoan", ("specialist", None))
    pid = _project(city)
    form = {"taken_on": "2026-11-20", "lon": "106.66", "lat": "10.98", "caption": "Đổ bê tông sàn tầng 2"}
    response = client.post(
        f"/api/v1/investment/projects/{pid}/photos",
        headers=headers,
        data=form,
        files={"file": ("a.png", _png(), "image/png")},
    )
    assert response.status_code == 201, response.text
    page = client.get(f"/api/v1/investment/projects/{pid}/photos").json()
    assert page["total"] == 1 and page["items"][0]["taken_on_text"] == "20/11/2026"
    thumb = client.get(page["items"][0]["thumb_url"])
    assert thumb.headers["content-type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumb.content)).size) == 320
    full = client.get(page["items"][0]["url"])
    assert full.content == _png() and full.headers["content-type"] == "image/png"
    points = [
        f
        for f in client.get(f"/api/v1/investment/projects/{pid}/geojson").json()["features"]
        if f["geometry"]["type"] == "Point"
    ]
    assert points[0]["geometry"]["coordinates"] == [106.66, 10.98]
    with city.session() as session:
        from smartcity.investment.models import SitePhoto

        row = session.get(SitePhoto, page["items"][0]["id"])
        assert photos.photo_store(settings).exists(row.sha256) and photos.photo_store(settings).exists(
            row.thumb_sha256
        )
    leader = login("lanhdao", ("leader", None))
    html = client.get(f"/can-bo/dau-tu/du-an/{pid}", headers=leader).text
    assert "Đổ bê tông sàn tầng 2" in html and page["items"][0]["thumb_url"] in html


def test_photo_rejects_other_types_large_files_and_half_places(client, city, login):
    headers = login("ketoan", ("specialist", None))
    pid = _project(city)
    url = f"/api/v1/investment/projects/{pid}/photos"
    form = {"taken_on": "2026-11-20"}
    gif = client.post(url, headers=headers, data=form, files={"file": ("a.gif", b"GIF89a" + b"0" * 100)})
    assert gif.status_code == 415
    big = b"\xff\xd8\xff" + b"0" * (photos.MAX_PHOTO_BYTES + 1)
    assert client.post(url, headers=headers, data=form, files={"file": ("a.jpg", big)}).status_code == 413
    broken = client.post(
        url, headers=headers, data=form, files={"file": ("a.jpg", b"\xff\xd8\xff" + b"0" * 50)}
    )
    assert broken.status_code == 422
    half = client.post(url, headers=headers, data={**form, "lon": "106.6"}, files={"file": ("a.png", _png())})
    assert half.status_code == 422
    citizen = login("congdan", ("citizen", None))
    assert client.post(url, headers=citizen, data=form, files={"file": ("a.png", _png())}).status_code == 403
    assert client.get(f"/api/v1/investment/projects/{pid}/photos").json()["total"] == 0


def test_demo_works_under_way_have_dated_located_photos(demo, settings):
    from smartcity.core import clock

    with demo.session() as session:
        from sqlalchemy import select

        from smartcity.investment.models import Project

        live = list(session.scalars(select(Project.id).where(Project.phase == "implementation")))
    store = photos.photo_store(settings)
    for pid in live:
        items = photos.list_photos(demo, project_id=pid).items
        assert len(items) == 2 and all(p["lon"] is not None for p in items)
        assert all(date.fromisoformat(p["taken_on"]) <= clock.today(settings) for p in items)
        content, media_type = photos.photo_content(
            demo, settings=settings, photo_id=items[0]["id"], thumb=True
        )
        assert media_type == "image/jpeg" and max(Image.open(io.BytesIO(content)).size) <= 320
    assert store.root.exists()
