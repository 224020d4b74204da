"""The demo: documents in every state, and two deliveries that reach the neighbouring ward over this very
platform's exchange API once it is served."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from smartcity.accounts import demo as accounts_demo
from smartcity.accounts import service as accounts
from smartcity.core import config as core_config
from smartcity.core.demo import demo_password
from smartcity.documents import demo, exchange, service, tasks
from smartcity.documents.schemas import AgencyIn
from smartcity.signing import demo as signing_demo
from tests.conftest import TEST_SECRET
from tests.documents.conftest import SYSTEM, make_user
from tests.documents.test_documents_pages import _login
from tests.dossiers.dossier_fixtures import ORG_CHART
from tests.support import csrf_of, served


@pytest.fixture
def process_settings(settings, monkeypatch) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """The worker's task reads the process-wide settings: point them at this test's data and secret."""
    monkeypatch.setenv("SMARTCITY_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SMARTCITY_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("SMARTCITY_DATABASE_URL", settings.database_url or "")
    monkeypatch.setenv("SMARTCITY_SIGNING_ROOT_KEY_BITS", "2048")
    core_config.get_settings.cache_clear()
    yield
    core_config.get_settings.cache_clear()


def test_demo_documents_are_loaded_once_and_delivered_over_the_api(
    db, settings, app, process_settings
) -> None:  # type: ignore[no-untyped-def]
    units = json.loads(ORG_CHART.read_text(encoding="utf-8"))["org_units"]
    accounts.upsert_org_units(db, actor=SYSTEM, units=units)
    accounts_demo.load_demo(db, settings=settings, actor=SYSTEM)
    signing_demo.load_demo(db, settings=settings, actor=SYSTEM)
    summary = demo.load_demo(db, settings=settings, actor=SYSTEM)
    assert "8 documents" in summary
    assert demo.load_demo(db, settings=settings, actor=SYSTEM) == "documents already there"
    items, _total = service.list_documents(db, actor=SYSTEM)
    assert Counter(d.state for d in items) == Counter(
        {"issued": 3, "signed": 1, "approved": 1, "submitted": 1, "returned": 1, "draft": 1}
    )
    outgoing = service.register(db, actor=SYSTEM, register_name="outgoing")
    assert sorted(e.number_symbol for e in outgoing) == ["01/QĐ-UBND", "02/KH-UBND", "03/UBND-VP"]

    with served(app) as base:  # the demo's agencies point at this platform's public address
        for agency in exchange.list_agencies(db):
            exchange.upsert_agency(
                db, actor=SYSTEM, data=AgencyIn(**{**agency.model_dump(), "endpoint": base})
            )
        assert tasks.deliver(db) == 2
    incoming = service.register(db, actor=SYSTEM, register_name="incoming", office_code=demo.NEIGHBOUR)
    assert sorted(e.number for e in incoming) == [1, 2]
    annexes = {
        e.number_symbol: exchange.incoming_attachments(db, actor=SYSTEM, incoming_id=e.incoming_id)
        for e in incoming
    }
    assert [a.filename for a in annexes["01/QĐ-UBND"]] == ["Phu-luc-Danh-muc-tuyen-duong.pdf"]
    assert annexes["03/UBND-VP"] == []

    make_user(db, "vanthu.phuloi", "Lý Thị Thu", [("clerk", demo.NEIGHBOUR)])
    client, _token = _login(app, "vanthu.phuloi")
    page = client.get(f"/can-bo/van-ban/den/{incoming[0].incoming_id}")
    assert page.status_code == 200 and "Tất cả chữ ký đều hợp lệ" in page.text
    assert incoming[0].number_symbol in page.text
    first = next(e for e in incoming if e.number_symbol == "01/QĐ-UBND")
    with_annex = client.get(f"/can-bo/van-ban/den/{first.incoming_id}").text
    assert "Phu-luc-Danh-muc-tuyen-duong.pdf" in with_annex and 'data-verdict="valid"' in with_annex
    record = page.text.split('id="incoming"')[1].split("</table>")[0]
    assert "Mã phiếu gửi" not in record and "<code>" not in record  # an internal id is no field
    assert 'id="technical-reference"' in page.text
    assert client.get("/can-bo/van-ban/den/999999").status_code == 404
    token = csrf_of(page.text)
    assigned = client.post(
        f"/can-bo/van-ban/den/{incoming[0].incoming_id}/assign",
        data={"csrf_token": token, "handling_unit": "Văn phòng HĐND và UBND"},
    )
    assert assigned.status_code == 200 and "Đã giao đơn vị xử lý." in assigned.text
    entries = service.register(db, actor=SYSTEM, register_name="incoming", office_code=demo.NEIGHBOUR)
    assert {e.handling_unit for e in entries if e.incoming_id == incoming[0].incoming_id} == {
        "Văn phòng HĐND và UBND"
    }
    make_user(db, "vanthu.tdm", "Nguyễn Văn Tư", [("clerk", demo.WARD)])  # the sending ward's records office
    outsider, token = _login(app, "vanthu.tdm")
    refused = outsider.post(
        f"/can-bo/van-ban/den/{incoming[0].incoming_id}/assign",
        data={"csrf_token": token, "handling_unit": "X"},
    )
    assert refused.status_code == 403

    # the ward's pages name the demo staff by their full names, never by username
    leader = TestClient(app)
    token = csrf_of(leader.get("/login").text)
    leader.post(
        "/login",
        data={"username": "lanhdao", "password": demo_password(settings), "csrf_token": token, "next": "/"},
    )
    queue = leader.get("/can-bo/van-ban/cho-ky").text.split('id="sign-queue"')[1].split("</table>")[0]
    assert "Trần Văn Hùng" in queue and "Lê Thị Hồng" in queue
    assert "chuyenvien" not in queue and "truongphong" not in queue
    assert re.search(r"<td>[A-ZĐ]{2}</td>", queue) is None  # the kind by its name, not its code
    approved = next(d for d in items if d.state == "approved")
    document = leader.get(f"/can-bo/van-ban/{approved.id}").text.split('id="document"')[1]
    document = document.split("</table>")[0]
    assert "Người soạn</th><td>Trần Văn Hùng" in document and "chuyenvien" not in document
