"""An incident keeps the title the platform wrote (an alarm's rule and device, an urgent report, a camera's
event, the demo's scenarios) as a phrase, so that the centre's pages and map say it in their language; an
operator's own title stays as typed, and the stored title (API, CAP, reports) stays Vietnamese. Migration 0033
adds the column."""

from __future__ import annotations

import html
import re

import sqlalchemy as sa
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import select

from smartcity.cameras.events import CameraEventReported
from smartcity.core import clock
from smartcity.core.db import Database
from smartcity.core.i18n import get_translations, said, written_in_vietnamese
from smartcity.core.migrate import alembic_config
from smartcity.core.pages import PageParams
from smartcity.feedback.events import UrgentReportFlagged
from smartcity.ioc import demo, handlers
from smartcity.ioc import service as ioc
from smartcity.ioc.models import Incident
from smartcity.iot import service as iot
from smartcity.iot.demo import DEMO_RULES
from smartcity.iot.pipeline import Envelope
from smartcity.iot.schemas import DeviceCreate
from tests.ioc.conftest import SYSTEM, YERSIN
from tests.ioc.test_ioc_pages import browser
from tests.support import csrf_of

ALARM_VI, ALARM_EN = "Thùng rác ngầm sắp đầy — G-BD-1-02", "Underground container nearly full — G-BD-1-02"
REPORT = "PA-261208-0007"
REPORT_VI, REPORT_EN = f"Phản ánh khẩn {REPORT}", f"Urgent report {REPORT}"
CAMERA = "Camera ngã tư Yersin"  # a name, as it is
TYPED = "Cháy kho hàng"  # an operator's own title (words the catalogue happens to translate)


def _bin_alarm(db: Database, device_id: str, lon: float) -> None:
    """A demo rule's alarm on a full underground bin (a waste-overflow incident)."""
    location = {"type": "Point", "coordinates": [lon, YERSIN[1]]}
    iot.register_device(
        db, actor=SYSTEM, data=DeviceCreate(id=device_id, type="waste_container", location=location)
    )
    body = {"msg_id": f"{device_id}-full", "ts": clock.now().isoformat(), "values": {"fillingLevel": 97}}
    iot.ingest(db, envelopes=[Envelope(body, device_id=device_id)])


def _urgent_report(db: Database) -> None:
    """An urgent 1022 report flagged to the centre, away from the bins."""
    flagged = UrgentReportFlagged(
        report_id=7,
        code=REPORT,
        category_code="khan-cap",
        unit_code=None,
        ward_code=None,
        lon=YERSIN[0] + 0.03,
        lat=YERSIN[1],
        flagged_by="test",
        at=clock.now().isoformat(),
    )
    handlers.incident_from_report(flagged, db)


def _camera(db: Database, event_id: int, title_vi: str, lon: float) -> None:
    """A camera saw a fire."""
    seen = CameraEventReported(
        event_id=event_id,
        camera_id=f"CAM-{event_id}",
        camera_name=CAMERA,
        category="security",
        kind="fire",
        title_vi=title_vi,
        severity="Severe",
        occurred_at=clock.now().isoformat(),
        lon=lon,
        lat=YERSIN[1],
    )
    handlers.incident_from_camera(seen, db)


def _codes(db: Database) -> dict[str, str]:
    """The incidents by their stored title: {title: code}."""
    return {i.title: i.code for i in ioc.list_incidents(db, paging=PageParams()).items}


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def _heading(client: TestClient, code: str, lang: str) -> tuple[str, str]:
    """The incident page's title (the browser's) and heading, in `lang`."""
    page = html.unescape(client.get(f"/can-bo/dieu-hanh/su-co/{code}?lang={lang}").text)
    heading = re.search(r"<h1>(.*?) <span", page)
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    assert heading and title
    return title.group(1).strip(), heading.group(1)


def _recent(client: TestClient, lang: str) -> str:
    """The centre's list of recent incidents, as text."""
    return _text(client.get(f"/ioc?lang={lang}").text.split('id="recent"')[1].split("</ul>")[0])


def _operator(app) -> TestClient:  # type: ignore[no-untyped-def]
    return browser(app, "vanhanh", [("operator", None)])


def test_incidents_from_an_alarm_and_an_urgent_report_are_titled_in_the_pages_language(app, city, settings):
    iot.create_rule(
        city, actor=SYSTEM, data=next(r for r in DEMO_RULES if r.name.startswith("Thùng rác ngầm"))
    )
    _bin_alarm(city, "G-BD-1-02", YERSIN[0])
    _bin_alarm(city, "G-BD-1-03", YERSIN[0] + 0.0005)  # nearby: joins the same incident
    _urgent_report(city)
    codes = _codes(city)
    assert codes.keys() == {ALARM_VI, REPORT_VI}  # the stored titles stay Vietnamese
    staff = _operator(app)

    code = codes[ALARM_VI]
    assert _heading(staff, code, "en") == (f"{code} — {ALARM_EN}", ALARM_EN)
    assert _heading(staff, codes[REPORT_VI], "en")[1] == REPORT_EN
    merged = "Another event (source: device alarm): Underground container nearly full — G-BD-1-03"
    assert merged in _text(staff.get(f"/can-bo/dieu-hanh/su-co/{code}?lang=en").text)
    listing = _text(staff.get("/can-bo/dieu-hanh/su-co?lang=en").text)
    assert ALARM_EN in listing and REPORT_EN in listing and "Thùng rác" not in listing
    assert ALARM_EN in _recent(staff, "en") and REPORT_EN in _recent(staff, "en")
    shown = staff.get("/api/v1/ioc/map/incidents?lang=en").json()["features"]
    assert {f["properties"]["title"] for f in shown} == {ALARM_EN, REPORT_EN}
    assert {f["properties"]["state_name"] for f in shown} == {"New"}

    assert _heading(staff, code, "vi") == (f"{code} — {ALARM_VI}", ALARM_VI)
    assert _heading(staff, codes[REPORT_VI], "vi")[1] == REPORT_VI
    listing = _text(staff.get("/can-bo/dieu-hanh/su-co?lang=vi").text)
    assert ALARM_VI in listing and REPORT_VI in listing and "Underground" not in listing
    assert ALARM_VI in _recent(staff, "vi") and REPORT_VI in _recent(staff, "vi")
    shown = staff.get("/api/v1/ioc/map/incidents").json()["features"]
    assert {f["properties"]["title"] for f in shown} == {ALARM_VI, REPORT_VI}

    answer = staff.get(f"/api/v1/ioc/incidents/{code}?lang=en").json()  # the API: the stored text only
    assert answer["title"] == ALARM_VI and "title_phrase" not in answer
    assert "title_phrase" not in str(staff.get("/api/v1/ioc/incidents").json())


def test_an_operators_title_stays_as_typed(app, city, settings):
    staff = _operator(app)
    token = csrf_of(staff.get("/can-bo/dieu-hanh/su-co").text)
    form = {"type": "fire", "severity": "3", "lon": str(YERSIN[0]), "lat": str(YERSIN[1]), "title": TYPED}
    opened = staff.post("/can-bo/dieu-hanh/su-co", data=form | {"csrf_token": token}, follow_redirects=False)
    assert opened.status_code == 303
    code = _codes(city)[TYPED]
    assert _heading(staff, code, "en")[1] == TYPED  # not "Warehouse fire"
    assert TYPED in _text(staff.get("/can-bo/dieu-hanh/su-co?lang=en").text)
    with city.session() as s:
        assert s.scalar(select(Incident.title_phrase).where(Incident.code == code)) is None


def test_a_camera_events_title_reads_in_english_where_it_is_the_cameras_words(app, city, settings):
    _camera(city, 1, f"Cháy — {CAMERA}", YERSIN[0])
    _camera(city, 2, "Cháy lớn ở chợ", YERSIN[0] + 0.05)  # not the words it saw: kept as it came
    codes = _codes(city)
    staff = _operator(app)
    assert _heading(staff, codes[f"Cháy — {CAMERA}"], "en")[1] == f"Fire — {CAMERA}"
    assert _heading(staff, codes[f"Cháy — {CAMERA}"], "vi")[1] == f"Cháy — {CAMERA}"
    assert _heading(staff, codes["Cháy lớn ở chợ"], "en")[1] == "Cháy lớn ở chợ"


def test_the_demos_incidents_read_in_english(city, settings):
    assert demo.load_incidents(city, settings=settings, actor=SYSTEM) > 30
    english = get_translations("en", "ioc").gettext
    with city.session() as s:
        rows = list(s.scalars(select(Incident)))
    for row in rows:
        assert row.title_phrase is not None, row.title
        assert said(row.title, row.title_phrase) == row.title  # in Vietnamese: the stored title
        what, where = english(said(row.title, row.title_phrase)).split(" — ")
        assert not written_in_vietnamese(what) and where not in row.title, row.title  # the street in English


def test_migration_0033_adds_the_title_phrase_column(city, settings):
    """Down to 0032 and up again: the column comes back empty, the titles kept."""
    _urgent_report(city)
    config = alembic_config(city.url)
    config.attributes["settings"] = settings
    city.engine.dispose()
    command.downgrade(config, "0032")
    assert "title_phrase" not in {c["name"] for c in sa.inspect(city.engine).get_columns("ioc_incidents")}
    command.upgrade(config, "head")
    columns = {c["name"]: c for c in sa.inspect(city.engine).get_columns("ioc_incidents")}
    assert columns["title_phrase"]["nullable"]
    with city.session() as s:
        assert s.execute(select(Incident.title, Incident.title_phrase)).all() == [(REPORT_VI, None)]
