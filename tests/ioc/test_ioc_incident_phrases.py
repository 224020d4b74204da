"""An incident keeps the platform's own sentences (steps' outcomes, timeline lines) as phrases, so that its
page says them in the page's language; a person's words and lines written before stay as they are."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from smartcity.accounts import service as accounts_service
from smartcity.core.db import Database
from smartcity.core.i18n import written_in_vietnamese
from smartcity.ioc import service
from smartcity.ioc.models import Incident, IncidentEntry, IncidentStep
from smartcity.ioc.schemas import EventIn
from smartcity.iot import schemas as iot_schemas
from smartcity.iot import service as iot_service
from tests.ioc.conftest import PASSWORD, SYSTEM, YERSIN
from tests.ioc.test_ioc_incidents import OPERATOR, accident

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TITLE = "Va chạm xe máy"  # content: the incident's title, as it came
OTHER_TITLE = "Xe tải lật trên đường Yersin"  # content: a merged event's title
NOTE = "Đội cứu hộ đã tới hiện trường"  # an operator's words
OUTCOME = "Đã phong toả một làn đường"  # an operator's outcome of a step
OLD_LINE = "Dòng nhật ký cũ, chưa có cụm từ"  # a line written before phrases were kept


def _operator(app) -> TestClient:  # type: ignore[no-untyped-def]
    client = TestClient(app, headers={"Accept": "text/html"})
    accounts_service.create_user(
        app.state.db, actor=SYSTEM, username="vanhanh", password=PASSWORD, roles=[("operator", None)]
    )
    token = CSRF.search(client.get("/login").text).group(1)  # type: ignore[union-attr]
    response = client.post(
        "/login",
        data={"username": "vanhanh", "password": PASSWORD, "csrf_token": token, "next": "/ioc"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return client


def _handled_incident(db: Database, settings) -> str:  # type: ignore[no-untyped-def]
    """An incident opened by an operator, merged, its automated and notification steps run, escalated,
    acknowledged and taken up, a step done by hand, a note and an old line on its timeline."""
    iot_service.register_device(
        db,
        actor=SYSTEM,
        data=iot_schemas.DeviceCreate(
            id="SL-P1",
            type="streetlight",
            location=iot_schemas.GeoPoint(coordinates=(YERSIN[0] + 0.0005, YERSIN[1])),
        ),
    )
    opened, _ = service.receive_event(
        db, actor=OPERATOR, settings=settings, data=accident(source="manual", title=TITLE, radius_m=200)
    )
    code = opened.code
    graver = EventIn(
        type="traffic_accident", severity=4, lon=YERSIN[0], lat=YERSIN[1], source="camera", source_ref="cam-9"
    )
    assert service.receive_event(db, actor=SYSTEM, settings=settings, data=graver)[1]
    same = accident(source="alarm", source_ref="alarm:77", title=OTHER_TITLE)
    assert service.receive_event(db, actor=SYSTEM, settings=settings, data=same)[1]
    service.run_due_steps(db, settings=settings, now=opened.opened_at + timedelta(minutes=6))
    due = service.get_incident(db, code=code).ack_due_at
    assert due is not None
    assert service.escalate_overdue(db, settings=settings, now=due + timedelta(seconds=1)) == [code]
    service.transition(db, actor=OPERATOR, settings=settings, code=code, to="acknowledged")
    service.transition(db, actor=OPERATOR, settings=settings, code=code, to="active", note=NOTE)
    manual = next(s for s in service.get_incident(db, code=code).steps if s.kind == "manual")
    service.complete_step(db, actor=OPERATOR, code=code, step_id=manual.id, outcome=OUTCOME)
    service.add_note(db, actor=OPERATOR, code=code, text=NOTE)
    with db.session() as s:
        incident_id = s.scalar(select(Incident.id).where(Incident.code == code))
        s.add(IncidentEntry(incident_id=incident_id, kind="step", text=OLD_LINE, actor="system", data={}))
        s.commit()
    return code


def _parts(page: str) -> tuple[str, str]:
    """The playbook's steps and the timeline of an incident's page, as text."""
    main = html.unescape(page.split("<main>")[1])
    steps = main.split('class="steps">')[1].split("</ol>")[0]
    timeline = main.split('class="timeline">')[1].split("</ol>")[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", steps)), re.sub(r"<[^>]+>", "\n", timeline)


def _titles_and_outcomes(page: str) -> list[str]:
    """The steps' titles and the outcomes of those done, as the page shows them."""
    steps = html.unescape(page.split('class="steps">')[1].split("</ol>")[0])
    titles = re.findall(r"<strong>\d+\. (.*?)</strong>", steps)
    return titles + [o.strip() for o in re.findall(r"✔ \d\d:\d\d \d\d/\d\d — ([^<]*)", steps)]


def test_the_incident_page_says_the_platforms_sentences_in_english(app, city, settings):
    code = _handled_incident(city, settings)
    staff = _operator(app)

    english = staff.get(f"/can-bo/dieu-hanh/su-co/{code}?lang=en").text
    steps, timeline = _parts(english)
    assert "Full-brightness (100%) command sent to 1 streetlight(s)" in steps
    assert "Notice sent to: Operations-centre operator; Head of unit" in steps
    assert "Verify on camera and direct the teams on site" in steps  # the playbook's titles
    assert "City police" in steps and "Công an thành phố" not in english  # its units, and who is in charge
    assert OUTCOME in steps  # the operator's words stay theirs
    assert "Incident opened (source: operator)" in timeline
    assert "Another event (source: camera): Traffic accident (severity raised to 4)" in timeline
    assert f"Another event (source: device alarm): {OTHER_TITLE}" in timeline
    assert "Step 3 carried out automatically: Switch the streetlights around the scene" in timeline
    assert "Step 2 carried out automatically: Notify the traffic police" in timeline
    assert "Not acknowledged in time: escalated to level 1 (Head of unit)" in timeline
    assert "New → Acknowledged" in timeline and f"Acknowledged → In progress: {NOTE}" in timeline
    assert "Step 1 done: Verify on camera and direct the teams on site" in timeline
    assert OLD_LINE in timeline  # no phrase kept: its text
    shown = _titles_and_outcomes(english)
    assert len(shown) == 5 + 3 and OUTCOME in shown  # five titles, three steps done
    assert [text for text in shown if written_in_vietnamese(text)] == [OUTCOME]
    lines = [line.strip() for line in timeline.split("\n") if line.strip()]
    content = (OTHER_TITLE, NOTE, OLD_LINE)
    said = [line for line in lines if written_in_vietnamese(line) and not any(c in line for c in content)]
    assert said == []
    assert "Mở sự cố" not in timeline and "Đã gửi" not in steps and "Mới →" not in timeline

    steps_vi, timeline_vi = _parts(staff.get(f"/can-bo/dieu-hanh/su-co/{code}?lang=vi").text)
    assert "Đã gửi lệnh sáng 100% tới 1 đèn" in steps_vi and OUTCOME in steps_vi
    assert "Đã gửi thông báo tới: Nhân viên vận hành IOC; Trưởng phòng, đơn vị" in steps_vi
    assert "Xác minh qua camera và điều phối lực lượng tại chỗ" in steps_vi
    assert "Mở sự cố từ nhân viên vận hành" in timeline_vi
    assert "Thêm một sự kiện từ camera: Tai nạn giao thông (mức độ nâng lên 4)" in timeline_vi
    assert f"Thêm một sự kiện từ cảnh báo thiết bị: {OTHER_TITLE}" in timeline_vi
    assert "Bước 3 tự thực hiện: Bật sáng tối đa đèn đường quanh hiện trường. Đã gửi lệnh" in timeline_vi
    assert "Quá hạn tiếp nhận: chuyển cấp 1 (Trưởng phòng, đơn vị)" in timeline_vi
    assert "Mới → Đã tiếp nhận" in timeline_vi and f"Đã tiếp nhận → Đang xử lý: {NOTE}" in timeline_vi
    assert OLD_LINE in timeline_vi


def test_the_stored_text_stays_vietnamese_and_the_phrase_sits_beside_it(city, settings):
    code = _handled_incident(city, settings)
    detail = service.get_incident(city, code=code)
    texts = [e.text for e in detail.timeline]
    assert texts[0] == "Mở sự cố từ nhân viên vận hành"
    assert "Mới → Đã tiếp nhận" in texts and "Quá hạn tiếp nhận: chuyển cấp 1 (Trưởng phòng, đơn vị)" in texts
    notice = next(s for s in detail.steps if s.kind == "notification")
    assert notice.outcome == "Đã gửi thông báo tới: Nhân viên vận hành IOC; Trưởng phòng, đơn vị"
    with city.session() as s:
        entries = {e.text: e.data for e in s.scalars(select(IncidentEntry))}
        steps = {
            st.kind: st for st in s.scalars(select(IncidentStep).where(IncidentStep.done_at.is_not(None)))
        }
    merged = entries[f"Thêm một sự kiện từ cảnh báo thiết bị: {OTHER_TITLE}"]
    assert merged["source_ref"] == "alarm:77"  # the entry's own data kept
    assert merged["phrase"]["template"] == "Thêm một sự kiện từ {source}: {what}"
    assert merged["phrase"]["parts"]["what"] == OTHER_TITLE  # content, not a msgid
    assert entries[f"Đã tiếp nhận → Đang xử lý: {NOTE}"]["phrase"]["parts"]["note"] == NOTE
    assert "phrase" not in entries[NOTE] and "phrase" not in entries[OLD_LINE]
    assert steps["automated"].outcome_phrase == {
        "template": "Đã gửi lệnh sáng 100% tới {count} đèn",
        "parts": {"count": 1},
    }
    assert steps["manual"].outcome == OUTCOME and steps["manual"].outcome_phrase is None
    sent = detail.model_dump(mode="json")  # the API's answer: the kept phrases are for pages only
    assert "data" not in sent["timeline"][0] and "outcome_phrase" not in sent["steps"][0]
