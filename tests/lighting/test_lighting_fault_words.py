"""A fault's evidence says itself in the page's language: each finding's sentence has its English."""

from __future__ import annotations

import html
import string
from datetime import UTC, datetime, timedelta

from smartcity.core.i18n import get_translations, written_in_vietnamese
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
    report(db, "TU-BD", now, {"doorOpen": True, "voltage": 12.4})
    service.detect_faults(db, now=now + timedelta(minutes=1))
    tickets = {t.fault: t for t in service.list_tickets(db, paging=PageParams(), state="active").items}
    act_as(OPERATOR)
    said = {  # a fixed sentence, and one with a measurement in it (not found whole in a catalogue)
        "cabinet_door_open": (
            "The sensor reports the control cabinet door open.",
            "Cảm biến báo cửa tủ điều khiển đang mở.",
        ),
        "supply_lost": (
            "The cabinet's supply voltage is down to 12 V: mains power lost.",
            "Điện áp nguồn cấp tủ chỉ còn 12 V: mất điện lưới.",
        ),
    }
    for fault, (in_english, in_vietnamese) in said.items():
        page = f"/can-bo/chieu-sang/phieu/{tickets[fault].id}"
        english = html.unescape(client.get(page, params={"lang": "en"}).text)
        assert in_english in english and in_vietnamese not in english
        assert in_vietnamese in client.get(page, params={"lang": "vi"}).text


def test_the_demos_past_tickets_say_their_evidence_in_english(db) -> None:  # type: ignore[no-untyped-def]
    from smartcity.core.i18n import said
    from smartcity.lighting.demo import _past_tickets

    _past_tickets(db, datetime.now(UTC))
    english = get_translations("en", "lighting").gettext
    tickets = service.list_tickets(db, paging=PageParams()).items
    evidence = {t.fault: english(said(t.description, t.description_phrase)) for t in tickets}
    assert evidence["power_out_of_range"] == (
        "The lamp draws 290 W, above the 200 W of a 100 % level (rated power 200 W)."
    )
    assert all(not written_in_vietnamese(sentence) for sentence in evidence.values()), evidence
