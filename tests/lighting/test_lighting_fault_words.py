"""A fault's evidence says itself in the page's language: each finding's sentence has its English."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta

from smartcity.core.i18n import get_translations
from smartcity.core.pages import PageParams
from smartcity.lighting import service
from smartcity.lighting.config import LightingSettings
from smartcity.lighting.faults import DESCRIPTIONS, cabinet_faults
from tests.lighting.conftest import OPERATOR, report


def _names(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_findings_sentence_has_its_english_with_the_same_measurements() -> None:
    english = get_translations("en", "lighting").gettext
    for finding, template in DESCRIPTIONS.items():
        assert english(template) != template, finding
        assert _names(english(template)) == _names(template), finding


def test_a_cabinets_supply_lost_reads_in_english_with_its_voltage() -> None:
    now = datetime(2025, 7, 1, 12, tzinfo=UTC)
    state = {"doorOpen": (True, now), "voltage": (12.4, now)}
    faults = {f.kind: f.description for f in cabinet_faults(state, now=now, env=LightingSettings())}
    assert faults["supply_lost"] == "Điện áp nguồn cấp tủ chỉ còn 12 V: mất điện lưới."
    english = get_translations("en", "lighting").gettext
    assert english(faults["supply_lost"]) == "The cabinet's supply voltage is down to 12 V: mains power lost."


def test_the_ticket_page_says_the_fault_in_the_pages_language(db, settings, street, client, act_as) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC).replace(microsecond=0)
    report(db, "TU-BD", now, {"doorOpen": True})
    service.detect_faults(db, now=now + timedelta(minutes=1))
    [ticket] = [
        t
        for t in service.list_tickets(db, paging=PageParams(), state="active").items
        if t.fault == "cabinet_door_open"
    ]
    act_as(OPERATOR)
    english = client.get(f"/can-bo/chieu-sang/phieu/{ticket.id}", params={"lang": "en"}).text
    assert "The sensor reports the control cabinet door open." in english
    assert "Cảm biến báo cửa tủ" not in english
    vietnamese = client.get(f"/can-bo/chieu-sang/phieu/{ticket.id}", params={"lang": "vi"}).text
    assert "Cảm biến báo cửa tủ điều khiển đang mở." in vietnamese
