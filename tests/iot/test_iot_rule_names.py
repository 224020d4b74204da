"""An alarm's sentence says its rule's name as a phrase: the demo's rules, which the catalogue translates,
read in English on English pages; a name an operator gave, with no catalogue entry, stays as written."""

from __future__ import annotations

import html

from smartcity.core.db import Database
from smartcity.core.i18n import get_translations, phrase_from_json, written_in_vietnamese
from smartcity.iot import service
from smartcity.iot.demo import DEMO_RULES
from smartcity.iot.pipeline import Envelope
from smartcity.iot.schemas import RuleCreate
from tests.iot.conftest import OPERATOR, SYSTEM, message

FULL = next(rule for rule in DEMO_RULES if rule.name == "Thùng rác ngầm sắp đầy")
OWN = FULL.model_copy(update={"name": "Thùng khu B đầy", "key": "fillingLevel"})  # an operator's name


def _raise(db: Database, rule: RuleCreate, device_id: str) -> str:
    """`rule` on a full underground bin: its alarm's sentence in English."""
    service.create_rule(db, actor=SYSTEM, data=rule)
    service.ingest(
        db, envelopes=[Envelope(message(f"{device_id}-1", {"fillingLevel": 97}), device_id=device_id)]
    )
    alarm = next(a for a in service.list_alarms(db)[0] if a.device_id == device_id)
    return phrase_from_json(alarm.message_phrase).in_language(get_translations("en", "iot").gettext, "en")


def test_every_demo_rule_has_an_english_name():
    words = get_translations("en", "iot").gettext
    for rule in DEMO_RULES:
        english = words(rule.name)
        assert english != rule.name and not written_in_vietnamese(english), rule.name


def test_an_alarm_of_a_demo_rule_reads_in_english_and_an_operators_rule_as_named(
    client, act_as, add_device, db
):
    add_device("G-1", "waste_container")
    add_device("G-2", "waste_container")
    assert _raise(db, FULL, "G-1") == "Underground container nearly full: Fill level = 97 (threshold > 90)"
    assert _raise(db, OWN, "G-2") == "Thùng khu B đầy: Fill level = 97 (threshold > 90)"
    stored = {a.device_id: a.message for a in service.list_alarms(db)[0]}
    assert (
        stored["G-1"] == "Thùng rác ngầm sắp đầy: Mức đầy = 97 (ngưỡng > 90)"
    )  # the stored text: Vietnamese

    act_as(OPERATOR)
    english = html.unescape(client.get("/can-bo/canh-bao-thiet-bi?lang=en").text)
    assert "Underground container nearly full: Fill level = 97 (threshold > 90)" in english
    assert "Thùng khu B đầy: Fill level = 97" in english and "Thùng rác ngầm sắp đầy" not in english
    vietnamese = html.unescape(client.get("/can-bo/canh-bao-thiet-bi?lang=vi").text)
    assert "Thùng rác ngầm sắp đầy: Mức đầy = 97 (ngưỡng > 90)" in vietnamese
    assert "Underground container" not in vietnamese
