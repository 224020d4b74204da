"""An alarm keeps its message as a phrase, so the staff pages say it in their language; migration 0031 adds
the column (alarms raised before keep their text)."""

from __future__ import annotations

import html
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from smartcity.core.db import Database, utcnow
from smartcity.core.migrate import upgrade
from smartcity.iot import service
from smartcity.iot.models import Alarm
from smartcity.iot.pipeline import Envelope
from smartcity.iot.schemas import RuleCreate
from tests.iot.conftest import OPERATOR, SYSTEM, message

SMOKE = RuleCreate(name="Khói xe", kind="threshold", key="co", params={"op": ">", "value": 1000})
SILENT = RuleCreate(name="Mất kết nối", kind="no_data", params={"minutes": 15}, severity="low")


def _page(client, path: str) -> str:  # type: ignore[no-untyped-def]
    return html.unescape(client.get(path).text)


def _raise_both(db: Database) -> None:
    """A threshold alarm (a value with thousands and decimals) and a no-data alarm on an air sensor."""
    now = utcnow()
    for rule in (SMOKE, SILENT):
        service.create_rule(db, actor=SYSTEM, data=rule)
    service.ingest(db, envelopes=[Envelope(message("m1", {"co": 1234.5}, ts=now), device_id="AQ-1")])
    service.check_silent_devices(db, now=now)
    service.check_silent_devices(db, now=now + timedelta(minutes=20))


def test_an_alarm_is_said_in_the_pages_language(client, act_as, add_device, db):
    add_device("AQ-1", "air_quality")
    _raise_both(db)
    act_as(OPERATOR)

    english = _page(client, "/can-bo/canh-bao-thiet-bi?lang=en")
    assert "Khói xe: Carbon monoxide (CO) = 1,234.5 (threshold > 1,000)" in english
    assert "Connection lost: no data received for 15 minutes" in english  # a demo rule's name, translated
    assert "ngưỡng" not in english and "không nhận được" not in english and "Cacbon monoxit" not in english
    device = _page(client, "/can-bo/thiet-bi/AQ-1?lang=en")
    assert "Khói xe: Carbon monoxide (CO) = 1,234.5 (threshold > 1,000)" in device

    vietnamese = _page(client, "/can-bo/canh-bao-thiet-bi?lang=vi")
    assert "Khói xe: Cacbon monoxit (CO) = 1.234,5 (ngưỡng > 1.000)" in vietnamese
    assert "Mất kết nối: không nhận được dữ liệu trong 15 phút" in vietnamese
    assert "threshold" not in vietnamese and "Carbon monoxide" not in vietnamese


def test_the_stored_text_stays_vietnamese_and_the_phrase_stays_off_the_api(client, act_as, add_device, db):
    add_device("AQ-1", "air_quality")
    service.create_rule(db, actor=SYSTEM, data=SMOKE)
    service.ingest(db, envelopes=[Envelope(message("m1", {"co": 1234.5}), device_id="AQ-1")])
    alarm = service.list_alarms(db)[0][0]
    assert alarm.message == "Khói xe: Cacbon monoxit (CO) = 1.234,5 (ngưỡng > 1.000)"
    assert alarm.message_phrase == {
        "template": "{rule}: {key} {verdict}",
        "parts": {
            "rule": {"template": "Khói xe", "parts": {}},  # a name as written: no catalogue entry, as it is
            "key": {"template": "Cacbon monoxit (CO)", "parts": {}},
            "verdict": {
                "template": "= {value} (ngưỡng {op} {limit})",
                "parts": {"value": 1234.5, "op": ">", "limit": 1000.0},
            },
        },
    }
    act_as(OPERATOR)
    api = client.get("/api/v1/iot/alarms").json()
    assert "message_phrase" not in str(api)


def test_the_live_feed_says_a_raised_alarm_in_the_listening_pages_language(add_device, db):
    from smartcity.core.outbox import bus
    from smartcity.ioc.live import said_in

    add_device("AQ-1", "air_quality")
    service.create_rule(db, actor=SYSTEM, data=SMOKE)
    raised: list[dict] = []
    stop = bus.listen(
        lambda event: raised.append(event.to_payload()) if event.name == "iot.AlarmRaised" else None
    )
    try:
        service.ingest(db, envelopes=[Envelope(message("m1", {"co": 1234.5}), device_id="AQ-1")])
    finally:
        stop()
    assert [said_in(payload, "en")["message"] for payload in raised] == [
        "Khói xe: Carbon monoxide (CO) = 1,234.5 (threshold > 1,000)"
    ]
    assert raised[0]["message"] == "Khói xe: Cacbon monoxit (CO) = 1.234,5 (ngưỡng > 1.000)"


def test_an_alarm_raised_before_it_kept_a_phrase_shows_its_text(client, act_as, add_device, db):
    add_device("AQ-1", "air_quality")
    service.create_rule(db, actor=SYSTEM, data=SMOKE)
    service.ingest(db, envelopes=[Envelope(message("m1", {"co": 1234.5}), device_id="AQ-1")])
    before = "Khói xe: Cacbon monoxit (CO) = 1.234,5 (ngưỡng > 1.000)"
    with db.engine.begin() as connection:
        connection.execute(sa.update(Alarm).values(message=before, message_phrase=sa.null()))
    act_as(OPERATOR)
    assert before in _page(client, "/can-bo/canh-bao-thiet-bi?lang=en")


def test_migration_0031_adds_the_message_phrase_column(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(db, "0030")
    assert "message_phrase" not in {c["name"] for c in sa.inspect(db.engine).get_columns("iot_alarms")}
    upgrade(db, "0031")
    columns = {c["name"]: c for c in sa.inspect(db.engine).get_columns("iot_alarms")}
    assert "message_phrase" in columns and columns["message_phrase"]["nullable"]
    db.dispose()


def test_an_alarm_without_a_message_reads_as_a_dash_not_a_catalogue_header():
    from smartcity.core.i18n import get_translations
    from smartcity.iot.wording import alarm_message

    said = get_translations("en", "iot").gettext(alarm_message("", None))
    assert said == "—"
