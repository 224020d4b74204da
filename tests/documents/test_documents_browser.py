"""In headless Chromium, the whole path of an official document through the pages: the specialist drafts,
the head approves, the leader signs from the sign queue, the records office issues (number, seal) and sends
it to another agency — here another office of this same platform — which answers with a signed receipt."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smartcity.documents import exchange
from smartcity.documents.schemas import AgencyIn
from smartcity.signing import service as signing
from tests.documents.conftest import SYSTEM, Office, annex_pdf, setup_office
from tests.dossiers.dossier_fixtures import PASSWORD
from tests.support import chromium_browser, run_once_on_sqlite, served

pytestmark = pytest.mark.browser
OTHER = "UBND-25750-HCM"
SHOTS = Path("/tmp/documents-screens")  # noqa: S108 - screenshots for a person to look at, not read back


@pytest.fixture
def live(app, db, settings) -> Iterator[tuple[str, Office]]:  # type: ignore[no-untyped-def]
    """The app on a free port with the ward's staff, keys, and another office as a registered agency."""
    run_once_on_sqlite(db)
    office = setup_office(db, settings)
    signing.issue_organisation_certificate(
        db,
        actor=SYSTEM,
        org_unit_code=OTHER,
        name="UBND phường Phú Lợi",
        settings=settings,
        signing_settings=office.signing.signing_settings,
    )
    with served(app) as url:
        exchange.upsert_agency(
            db, actor=SYSTEM, data=AgencyIn(code=OTHER, name="UBND phường Phú Lợi", endpoint=url)
        )
        exchange.upsert_agency(
            db,
            actor=SYSTEM,
            data=AgencyIn(code="UBND-25747-HCM", name="UBND phường Thủ Dầu Một", endpoint=url),
        )
        yield url, office


def _page(browser: Any, base: str, username: str) -> Any:
    page = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{base}/login?next=/can-bo/van-ban")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/can-bo/van-ban")
    return page


def _press(page: Any, selector: str) -> None:
    """Click a button that posts a form and wait until the answering page has loaded, not only begun to."""
    page.click(selector)
    page.wait_for_load_state()


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_document_goes_from_draft_to_delivered_through_the_pages(live, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, office = live
    with chromium_browser() as browser:
        drafter = _page(browser, base, "chuyenvien")
        errors: list[str] = []
        drafter.on("pageerror", lambda exc: errors.append(str(exc)))
        drafter.goto(f"{base}/can-bo/van-ban/moi")
        drafter.select_option("#type_code", "QĐ")
        drafter.fill("#subject", "Về việc ban hành Kế hoạch chỉnh trang đô thị năm 2026")
        drafter.fill("#body", "Căn cứ Luật Tổ chức chính quyền địa phương;\nĐiều 1. Ban hành kế hoạch.")
        drafter.fill("#recipients", "Như Điều 3\nUBND Thành phố")
        drafter.check(f"input[name=external_agencies][value={OTHER}]")
        signers = drafter.locator("#signer_username option").all_inner_texts()
        assert "Phạm Minh Tuấn — Lãnh đạo (Ủy ban nhân dân phường Thủ Dầu Một)" in signers
        assert not [text for text in signers if "lanhdao" in text or "phochutich" in text]
        _press(drafter, "#draft-form button[type=submit]")  # no signer chosen
        error = drafter.locator("#form-error").inner_text()
        assert error == "Vui lòng chọn người ký văn bản."  # refused in Vietnamese, kept values
        assert drafter.input_value("#subject").startswith("Về việc ban hành")
        drafter.select_option(
            "#signer_username", label="Phạm Minh Tuấn — Lãnh đạo (Ủy ban nhân dân phường Thủ Dầu Một)"
        )
        _shot(drafter, "1-draft-form")
        drafter.click("#draft-form button[type=submit]")
        drafter.wait_for_selector("#document[data-state=draft]")
        doc_url = drafter.url.split("?")[0]
        annex = tmp_path / "Phụ lục I.pdf"
        annex.write_bytes(annex_pdf())
        drafter.set_input_files("#attachment-file", str(annex))
        _press(drafter, "#attachment-form button[type=submit]")
        assert drafter.locator("#attachments tr.attachment[data-sealed=false]").count() == 1
        _shot(drafter, "1b-draft-with-attachment")
        _press(drafter, "button[data-action=submit]")
        assert drafter.locator("#state").inner_text() == "Chờ duyệt"

        head = _page(browser, base, "truongphong")
        head.goto(doc_url)
        _press(head, "button[data-action=approve]")
        assert head.locator("#state").inner_text() == "Chờ ký"

        intruder = _page(browser, base, "phochutich")  # a leader, but not the named signer
        intruder.goto(doc_url)
        assert intruder.locator("button[data-action=sign]").count() == 0

        leader = _page(browser, base, "lanhdao")
        leader.goto(f"{base}/can-bo/van-ban/cho-ky")
        _shot(leader, "2-sign-queue")
        _press(leader, "#sign-queue button[data-action=sign]")
        assert leader.locator("#state").inner_text() == "Đã ký, chờ ban hành"

        clerk = _page(browser, base, "vanthu")
        clerk.goto(f"{base}/can-bo/van-ban/cho-ky")
        _press(clerk, "#issue-queue button[data-action=issue]")
        assert clerk.locator("#number-symbol").inner_text() == "01/QĐ-UBND"
        assert clerk.locator("#signatures [data-verdict=valid]").count() == 1
        assert clerk.locator("#signatures tr.signature[data-holds=true]").count() == 2
        assert clerk.locator("#attachments tr.attachment[data-sealed=true] [data-verdict=valid]").count() == 1
        _press(clerk, "button[data-action=send]")
        delivered = clerk.locator("#deliveries tr.delivery[data-status=delivered]").count()
        assert delivered == 1, clerk.locator("#deliveries").inner_text()  # the clerk's page says why not
        _shot(clerk, "3-issued-and-delivered")

        clerk.goto(f"{base}/can-bo/van-ban/so/di")
        assert "01/QĐ-UBND" in clerk.locator("#register").inner_text()
        _shot(clerk, "4-outgoing-register")
        clerk.goto(f"{base}/can-bo/van-ban?q=chinh+trang")
        assert clerk.locator("#documents tbody tr[data-id]").count() == 1
        assert not errors, errors
    incoming = office.db  # the receiving office is on this platform: its incoming register has the document
    from smartcity.documents import service

    entries = service.register(incoming, actor=SYSTEM, register_name="incoming", office_code=OTHER)
    assert [(e.number, e.number_symbol) for e in entries] == [(1, "01/QĐ-UBND")]
    received = exchange.incoming_attachments(incoming, actor=SYSTEM, incoming_id=entries[0].incoming_id)
    assert [a.filename for a in received] == ["Phu-luc-I.pdf"]
