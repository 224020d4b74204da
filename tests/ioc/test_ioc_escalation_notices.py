"""An incident nobody acknowledges calls each role of its chain once, with a notice saying which incident,
where and for how long it waited, in the page's language; a playbook's notice says its task and incident;
the demo's timers ran at their own past moments."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from smartcity.core import clock
from smartcity.core.db import Database
from smartcity.core.i18n import Phrase, get_translations, phrase_from_json
from smartcity.core.outbox import OutboxMessage
from smartcity.core.pages import PageParams
from smartcity.core.security import Actor
from smartcity.ioc import demo, service
from smartcity.ioc.models import IncidentEntry, IncidentStep
from smartcity.ioc.schemas import EventIn
from smartcity.ioc.service.incidents import titled
from smartcity.ioc.service.playbook import duration_words
from smartcity.notifications import service as notifications
from smartcity.notifications.models import Message
from smartcity.web.deps import current_actor
from tests.ioc.conftest import LEADER, SYSTEM, YERSIN

HUYNH_VAN_LUY = (106.6668, 10.9717)
CRASH = "Va chạm giữa xe tải và xe máy"  # a demo scenario: its words are in the catalogue


def _crash(settings, where: tuple[float, float], street: str, at: datetime):  # type: ignore[no-untyped-def]
    title = titled(CRASH, Phrase.of(street))
    data = EventIn(
        type="traffic_accident",
        severity=4,
        lon=where[0],
        lat=where[1],
        source="camera",
        title=title,
        occurred_at=at,
    )
    return data, title


def _open(db: Database, settings, where, street, at):  # type: ignore[no-untyped-def]
    data, title = _crash(settings, where, street, at)
    incident, merged = service.receive_event(
        db, actor=SYSTEM, settings=settings, data=data, now=at, title_phrase=title
    )
    assert not merged
    return incident


def _payloads(db: Database, event: str) -> list[dict[str, Any]]:
    with db.session() as s:
        rows = s.scalars(
            select(OutboxMessage).where(OutboxMessage.event_type == event).order_by(OutboxMessage.id)
        )
        return [row.payload for row in rows]


def _english(phrase: dict[str, Any]) -> str:
    return get_translations("en", "notifications").gettext(phrase_from_json(phrase))


def test_each_role_of_the_chain_is_called_once_per_incident_with_a_notice_of_its_own(city, settings):
    start = clock.now() - timedelta(hours=3)
    yersin = _open(city, settings, YERSIN, "ngã tư Yersin – Cách Mạng Tháng Tám", start)
    luy = _open(city, settings, HUYNH_VAN_LUY, "đường Huỳnh Văn Lũy", start + timedelta(minutes=2))
    # The worker's timer every 30 seconds for two hours, and again at the same moments (a second worker).
    moment = start
    while moment < start + timedelta(hours=2):
        service.escalate_overdue(city, settings=settings, now=moment)
        service.escalate_overdue(city, settings=settings, now=moment)
        moment += timedelta(seconds=30)
    escalations = _payloads(city, "ioc.IncidentEscalated")
    called = sorted((p["code"], p["level"], p["role"]) for p in escalations)
    assert called == sorted(
        (code, level, role)
        for code in (yersin.code, luy.code)
        for level, role in ((1, "head"), (2, "leader"))
    )  # the leader, the chain's top, is not called again at each further deadline
    for code in (yersin.code, luy.code):
        detail = service.get_incident(city, code=code)
        assert detail.escalation_level == 2
        assert len([e for e in detail.timeline if e.kind == "escalation"]) == 2

    # What the leader is told: which incident, where, since when and for how long, each notice its own.
    to_leader = {p["code"]: p for p in escalations if p["role"] == "leader"}
    subjects = {p["subject"] for p in to_leader.values()}
    assert len(subjects) == 2
    assert to_leader[yersin.code]["subject"] == (
        f"[Chuyển cấp 2] {CRASH} — ngã tư Yersin – Cách Mạng Tháng Tám: chưa được tiếp nhận sau 20 phút"
    )
    assert to_leader[luy.code]["subject"] == (
        f"[Chuyển cấp 2] {CRASH} — đường Huỳnh Văn Lũy: chưa được tiếp nhận sau 20 phút"
    )
    body = to_leader[luy.code]["body"]
    opened = clock.local(luy.opened_at, settings).strftime("%H:%M %d/%m/%Y")
    assert body == (
        f"Sự cố {luy.code} (mức độ Nghiêm trọng) tại Phường Thủ Dầu Một mở lúc {opened} vẫn chưa được tiếp "
        "nhận sau 20 phút. Chuyển lên: Lãnh đạo."
    )
    assert "leader" not in body and "role:" not in body and "+00:00" not in body

    # In the leader's inbox: one notice per incident for its level, dated when the deadline passed.
    inbox = notifications.inbox(city, actor=LEADER, paging=PageParams(page=1, size=100)).items
    escalated = [m for m in inbox if m.link.endswith((yersin.code, luy.code)) and m.urgent]
    assert sorted(m.link.rsplit("/", 1)[1] for m in escalated) == sorted([yersin.code, luy.code])
    assert max(m.created_at for m in escalated) < start + timedelta(minutes=25)


def test_an_escalation_notice_reads_in_english(city, settings):
    start = clock.now() - timedelta(hours=2)
    incident = _open(city, settings, HUYNH_VAN_LUY, "đường Huỳnh Văn Lũy", start)
    service.escalate_overdue(city, settings=settings, now=start + timedelta(minutes=75))
    (notice,) = _payloads(city, "ioc.IncidentEscalated")
    opened = clock.local(incident.opened_at, settings).strftime("%H:%M %d/%m/%Y")
    subject, body = _english(notice["subject_phrase"]), _english(notice["body_phrase"])
    assert subject == (
        "[Escalated, level 1] Collision between a truck and a motorbike — Huỳnh Văn Lũy Street: "
        "not acknowledged after 1 hour 15 minutes"
    )
    assert body == (
        f"Incident {incident.code} (severity Severe) in Thủ Dầu Một Ward, opened at {opened}, has still not "
        "been acknowledged after 1 hour 15 minutes. Escalated to: Head of unit."
    )
    assert str(phrase_from_json(notice["subject_phrase"])) == notice["subject"]


@pytest.mark.parametrize(
    ("elapsed", "vietnamese", "english"),
    [
        (timedelta(seconds=20), "1 phút", "1 minute"),
        (timedelta(minutes=45, seconds=59), "45 phút", "45 minutes"),
        (timedelta(hours=1), "1 giờ", "1 hour"),
        (timedelta(hours=2, minutes=1), "2 giờ 1 phút", "2 hours 1 minute"),
        (timedelta(days=1, minutes=50), "1 ngày", "1 day"),
        (timedelta(days=3, hours=4, minutes=5), "3 ngày 4 giờ", "3 days 4 hours"),
    ],
)
def test_a_waiting_time_is_said_in_words(elapsed, vietnamese, english):
    said = duration_words(elapsed)
    assert str(said) == vietnamese
    assert get_translations("en", "ioc").gettext(said) == english


def test_a_playbooks_notice_says_its_task_and_incident_in_the_pages_language(city, settings):
    start = clock.now() - timedelta(hours=1)
    incident = _open(city, settings, HUYNH_VAN_LUY, "đường Huỳnh Văn Lũy", start)
    service.run_due_steps(city, settings=settings, now=start + timedelta(minutes=6))
    (notice,) = [p for p in _payloads(city, "ioc.PlaybookNotificationDue") if p["code"] == incident.code]
    opened = clock.local(incident.opened_at, settings).strftime("%H:%M %d/%m/%Y")
    assert notice["subject"] == (
        "Việc theo kịch bản: Báo Cảnh sát giao thông và Trung tâm cấp cứu 115 — "
        f"{CRASH} — đường Huỳnh Văn Lũy"
    )
    assert notice["body"] == (
        f"Sự cố {incident.code} (mức độ Nghiêm trọng) mở lúc {opened}. Bước 2 của kịch bản xử lý; "
        "đơn vị thực hiện: Công an thành phố."
    )
    assert _english(notice["subject_phrase"]) == (
        "Playbook task: Notify the traffic police and the 115 emergency centre — "
        "Collision between a truck and a motorbike — Huỳnh Văn Lũy Street"
    )
    assert _english(notice["body_phrase"]) == (
        f"Incident {incident.code} (severity Severe) opened at {opened}. Step 2 of the response playbook; "
        "carried out by: City police."
    )
    assert notice["at"] == (start + timedelta(minutes=6)).isoformat()


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_the_demos_timers_ran_at_their_own_past_moments(pki, settings):
    before = clock.now()
    demo.load_incidents(pki, settings=settings, actor=SYSTEM)
    with pki.session() as s:
        steps = {step.id: step for step in s.scalars(select(IncidentStep))}
        ran = [step for step in steps.values() if step.done_by == "system:ioc.playbook"]
        entries = list(s.scalars(select(IncidentEntry)))
        messages = list(s.scalars(select(Message)))
    # Each notification and automated step ran when it was due, not when the demo was loaded.
    assert len(ran) >= 20
    assert all(step.done_at == step.due_at for step in ran)
    assert min(step.done_at for step in ran) < before - timedelta(days=7)  # type: ignore[type-var]
    notices = [m for m in messages if m.dedup_key.startswith("step:")]
    assert notices
    for message in notices:
        step = steps[int(message.dedup_key.split(":")[1].split("|")[0])]
        assert message.created_at == step.due_at
    # Escalations happened at the deadlines missed, before the incident was acknowledged, in the past.
    escalations = [e for e in entries if e.kind == "escalation"]
    assert escalations
    assert all(e.at <= before for e in escalations)
    for entry in escalations:
        acknowledged = [e.at for e in entries if e.incident_id == entry.incident_id and e.kind == "state"]
        assert all(entry.at <= at for at in acknowledged)
    called = [m for m in messages if m.dedup_key.startswith("esc:SC-")]
    assert called and max(m.created_at for m in called) <= before
    assert max(e.at for e in entries) <= clock.now()
    assert max(m.created_at for m in messages) <= clock.now()


def _inbox_subjects(app, client, actor, lang: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The subjects on a person's notifications page in `lang`."""
    app.dependency_overrides[current_actor] = lambda: actor
    try:
        page = client.get(f"/can-bo/thong-bao?lang={lang}")
    finally:
        app.dependency_overrides.pop(current_actor, None)
    assert page.status_code == 200
    table = page.text.split('id="inbox"', 1)[1].split("</table>", 1)[0]
    subjects = []
    for cell in re.findall(r"</td>\s*<td>(.*?)</td>", table, re.S):
        if '<br><span class="muted">' in cell:
            subject = re.sub(r'<span class="badge">.*?</span>', "", cell.split('<br><span class="muted">')[0])
            subjects.append(html.unescape(re.sub(r"<[^>]+>", "", subject)).strip())
    return subjects


def test_the_leaders_inbox_says_the_centres_notices_in_english(app, client, city, settings):
    start = clock.now() - timedelta(hours=1)
    incident = _open(city, settings, HUYNH_VAN_LUY, "đường Huỳnh Văn Lũy", start)
    service.run_due_steps(city, settings=settings, now=start + timedelta(minutes=6))
    service.escalate_overdue(city, settings=settings, now=start + timedelta(minutes=11))
    service.escalate_overdue(city, settings=settings, now=start + timedelta(minutes=22))
    subjects = _inbox_subjects(app, client, LEADER, "en")
    title = "Collision between a truck and a motorbike — Huỳnh Văn Lũy Street"
    assert f"[Escalated, level 2] {title}: not acknowledged after 22 minutes" in subjects
    assert incident.code not in " ".join(subjects)
    head = Actor(kind="user", name="truongphong", user_id=9003, roles=frozenset({("head", None)}))
    subjects = _inbox_subjects(app, client, head, "en")
    assert f"[Escalated, level 1] {title}: not acknowledged after 11 minutes" in subjects
    assert f"Playbook task: Notify the traffic police and the 115 emergency centre — {title}" in subjects


def test_the_incident_lists_column_names_one_incident_and_its_title_many(app, city, settings):
    from tests.ioc.test_ioc_pages import browser

    _open(city, settings, YERSIN, "ngã tư Yersin – Cách Mạng Tháng Tám", clock.now() - timedelta(minutes=5))
    staff = browser(app, "vanhanh", [("operator", None)])
    english = staff.get("/can-bo/dieu-hanh/su-co?lang=en").text
    head = english.split("<thead>", 1)[1].split("</thead>", 1)[0]
    assert "<th>Incident</th>" in head and "Incidents" not in head
    assert re.search(r"<h1>Incidents <span", english)
    vietnamese = staff.get("/can-bo/dieu-hanh/su-co?lang=vi").text
    assert "<th>Sự cố</th>" in vietnamese.split("<thead>", 1)[1].split("</thead>", 1)[0]
