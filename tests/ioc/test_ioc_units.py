"""The operations centre is the work of its own staff and of the ward committees, not of a school."""

from __future__ import annotations

from fastapi.testclient import TestClient

from smartcity.accounts import service as accounts_service
from tests.ioc.conftest import SYSTEM, login
from tests.ioc.test_ioc_pages import browser

SCHOOL = "TRUONG-TH-PHUHOA1"  # Trường Tiểu học Phú Hòa 1
WARD = "UBND-25747-HCM"  # Ủy ban nhân dân phường Thủ Dầu Một


def _with_school(db) -> None:  # type: ignore[no-untyped-def]
    accounts_service.upsert_org_units(
        db, actor=SYSTEM, units=[{"code": SCHOOL, "name": "Trường Tiểu học Phú Hòa 1", "kind": "school"}]
    )


def test_a_schools_head_may_not_read_or_run_the_centre(app, pki):
    _with_school(pki)
    client = TestClient(app)
    headers = login(client, "hieutruong", [("head", SCHOOL)])
    for path in ("/api/v1/ioc/incidents", "/api/v1/ioc/indicators"):
        refused = client.get(path, headers=headers)
        assert refused.status_code == 403, path
        assert refused.headers["content-type"].startswith("application/problem+json")
    stage = client.put("/api/v1/ioc/stage", headers=headers, json={"stage": 2, "reason": "Thử"})
    assert stage.status_code == 403
    page = browser(app, "hieutruong.trang", [("head", SCHOOL)])
    refused_page = page.get("/can-bo/dieu-hanh/su-co")
    assert refused_page.status_code == 403 and "Ủy ban nhân dân các phường" in refused_page.text
    home = page.get("/can-bo").text
    assert "/can-bo/dieu-hanh/su-co" not in home and 'href="/ioc"' not in home


def test_a_wards_operator_and_the_centres_staff_run_it(app, pki):
    client = TestClient(app)
    for username, roles in (
        ("vanhanh.phuong", [("operator", WARD)]),
        ("vanhanh.ioc", [("operator", "TDM-IOC")]),
    ):
        headers = login(client, username, roles)
        assert client.get("/api/v1/ioc/incidents", headers=headers).status_code == 200, username
    page = browser(app, "lanhdao.phuong", [("leader", WARD)])
    assert page.get("/can-bo/dieu-hanh/su-co").status_code == 200
    assert 'href="/ioc"' in page.get("/can-bo").text
