"""The managing unit reports progress and adds site photos from the project page (refusals in Vietnamese)."""

from __future__ import annotations

from datetime import date, timedelta

from smartcity.core import clock
from smartcity.investment import service
from tests.investment.conftest import CSRF, SYSTEM, sign_in_page
from tests.investment.test_investment_photos import _png


def test_progress_and_a_site_photo_from_the_project_page(client, city, settings):
    pid = service.create_project(
        city,
        actor=SYSTEM,
        data={"code": "DA-TRANG-1", "name": "Đường Bạch Đằng", "start_date": date(2025, 3, 1)},
    )
    sign_in_page(client, city, "bqlda")
    url = f"/can-bo/dau-tu/du-an/{pid}"
    token = CSRF.search(client.get(url).text).group(1)
    today = clock.today(settings)

    too_much = client.post(
        f"{url}/tien-do", data={"csrf_token": token, "ngay": today.isoformat(), "phan_tram": 140}
    )
    assert "Tiến độ phải từ 0 đến 100%" in too_much.text
    later = (today + timedelta(days=1)).isoformat()
    future = client.post(f"{url}/tien-do", data={"csrf_token": token, "ngay": later, "phan_tram": 40})
    assert "không được ở tương lai" in future.text
    done = client.post(
        f"{url}/tien-do", data={"csrf_token": token, "ngay": today.isoformat(), "phan_tram": 45}
    )
    assert "Đã ghi nhận báo cáo tiến độ" in done.text and "45%" in done.text

    not_an_image = client.post(
        f"{url}/anh",
        data={"csrf_token": token, "ngay_chup": today.isoformat()},
        files={"file": ("a.png", b"not an image", "image/png")},
    )
    assert 'id="error"' in not_an_image.text and service.get_project(city, pid)
    added = client.post(
        f"{url}/anh",
        data={"csrf_token": token, "ngay_chup": today.isoformat(), "ghi_chu": "Thảm nhựa lớp 1"},
        files={"file": ("a.png", _png(), "image/png")},
    )
    assert "Đã thêm ảnh hiện trường" in added.text and "Thảm nhựa lớp 1" in added.text
    assert added.text.count('class="inv-photo"') == 1  # the refused file left nothing behind
