"""A message the platform composes keeps its sentences as phrases, so the staff notifications page says them
in its language; the stored text (sent by e-mail and SMS, read by the API) stays Vietnamese, and a message
stored before phrases were kept shows its text as it is."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from smartcity.core.i18n import written_in_vietnamese
from smartcity.core.pages import PageParams
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.ioc import service as ioc_service
from smartcity.ioc.events import IndicatorComputed, OperationsReportReady
from smartcity.ioc.schemas import EventIn
from smartcity.notifications import service
from smartcity.notifications.channels import MockSmsProvider
from smartcity.notifications.models import Message

SYSTEM = Actor.system("test")
HEAD = Actor(kind="user", name="truongphong", user_id=1, roles=frozenset({("head", None)}))
LEADER = Actor(kind="user", name="lanhdao", user_id=2, roles=frozenset({("leader", None)}))
CELL = re.compile(r"</td>\s*<td>(?P<cell>.*?)</td>", re.S)
AT = r"\d\d:\d\d \d\d/\d\d/\d{4}"


def _inbox(client, lang: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """The (subject, body) of every message on the notifications page in `lang`."""
    page = client.get(f"/can-bo/thong-bao?lang={lang}")
    assert page.status_code == 200
    table = page.text.split('id="inbox"', 1)[1].split("</table>", 1)[0]
    rows = []
    for cell in (m["cell"] for m in CELL.finditer(table) if '<span class="muted">' in m["cell"]):
        subject, body = cell.split('<br><span class="muted">', 1)
        subject = re.sub(r"<span class=\"badge\">.*?</span>", "", subject)
        rows.append(tuple(html.unescape(re.sub(r"<[^>]+>", "", text)).strip() for text in (subject, body)))
    return rows  # type: ignore[return-value]


def _one(rows: list[tuple[str, str]], start: str) -> tuple[str, str]:
    """The one message whose subject begins with `start`."""
    found = {row for row in rows if row[0].startswith(start)}
    assert len(found) == 1, (start, rows)
    return found.pop()


def _ours_in_english(subject: str, body: str, *content: str) -> None:
    """No Vietnamese words of ours are left once the content (a title) is taken out."""
    for said in (subject, body):
        for text in content:
            said = said.replace(text, "")
        assert not written_in_vietnamese(said), said


def _fire(city, settings):  # type: ignore[no-untyped-def]
    incident, _ = ioc_service.receive_event(
        city,
        actor=SYSTEM,
        settings=settings,
        data=EventIn(
            type="fire", severity=5, lon=106.6525, lat=10.9805, source="camera", title="Cháy kho hàng"
        ),
    )
    return incident


@pytest.mark.usefixtures("escalating")
def test_a_new_severe_incident_and_its_unacknowledged_escalation_read_in_the_pages_language(
    city, settings, client, act_as
):
    incident = _fire(city, settings)
    code = incident.code
    act_as(HEAD)
    subject, body = _one(_inbox(client, "en"), "New severe incident:")
    assert subject == f"New severe incident: {code} Cháy kho hàng"
    assert re.fullmatch(rf"Severity: Extreme; Type: Fire; At: {AT}; Source: Surveillance camera", body), body
    _ours_in_english(subject, body, "Cháy kho hàng")
    subject, body = _one(_inbox(client, "vi"), "Sự cố nghiêm trọng mới:")
    assert subject == f"Sự cố nghiêm trọng mới: {code} Cháy kho hàng"
    assert re.fullmatch(
        rf"Mức độ: Đặc biệt nghiêm trọng; Loại: Cháy nổ; Lúc: {AT}; Nguồn: Camera giám sát", body
    ), body

    message = next(
        m for m in service.inbox(city, actor=HEAD, paging=PageParams()).items if m.subject.startswith("Sự cố")
    )
    assert service.escalate_unacknowledged(
        city, settings=settings, now=message.created_at + timedelta(minutes=11)
    )
    act_as(LEADER)
    subject, body = _one(_inbox(client, "en"), "[Unacknowledged]")
    assert subject == f"[Unacknowledged] New severe incident: {code} Cháy kho hàng"
    assert re.fullmatch(rf"Severity: Extreme; Type: Fire; At: {AT}; Source: Surveillance camera", body), body
    _ours_in_english(subject, body, "Cháy kho hàng")
    subject, body = _one(_inbox(client, "vi"), "[Chưa xác nhận]")
    assert subject == f"[Chưa xác nhận] Sự cố nghiêm trọng mới: {code} Cháy kho hàng"
    assert body.startswith("Mức độ: Đặc biệt nghiêm trọng; Loại: Cháy nổ; Lúc: ")


def test_an_incident_escalated_along_its_chain_reads_in_the_pages_language(city, settings, client, act_as):
    incident, _ = ioc_service.receive_event(
        city,
        actor=SYSTEM,
        settings=settings,
        data=EventIn(
            type="flooding", severity=3, lon=106.6525, lat=10.9805, source="sensor", title="Ngập sâu"
        ),
    )
    assert incident.ack_due_at is not None
    ioc_service.escalate_overdue(city, settings=settings, now=incident.ack_due_at + timedelta(seconds=1))
    act_as(HEAD)
    subject, body = _one(_inbox(client, "en"), "[Escalated, level 1]")
    assert subject == "[Escalated, level 1] Ngập sâu: not acknowledged after 30 minutes"
    assert re.fullmatch(
        rf"Incident {incident.code} \(severity Moderate\) in Thủ Dầu Một Ward, opened at {AT}, has still not "
        r"been acknowledged after 30 minutes\. Escalated to: Head of unit\.",
        body,
    ), body
    _ours_in_english(subject, body, "Ngập sâu", "Thủ Dầu Một")
    subject, body = _one(_inbox(client, "vi"), "[Chuyển cấp 1]")
    assert subject == "[Chuyển cấp 1] Ngập sâu: chưa được tiếp nhận sau 30 phút"
    assert body.startswith(f"Sự cố {incident.code} (mức độ Trung bình) tại Phường Thủ Dầu Một mở lúc "), body


def test_an_operations_report_reads_in_the_pages_language(city, client, act_as):
    for kind, period in (("daily", "2026-12-05"), ("monthly", "2026-11")):
        with UnitOfWork(city, SYSTEM) as uow:
            uow.publish(
                OperationsReportReady(
                    kind=kind,
                    period=period,
                    path=f"/can-bo/dieu-hanh/bao-cao/{kind}/{period}.pdf",
                    recipients=("role:head",),
                    at="2026-12-06T00:00:00",
                )
            )
    act_as(HEAD)
    english = _inbox(client, "en")
    ready = "The report is ready (PDF, with an XLSX copy); click the title to download it."
    assert _one(english, "Daily") == ("Daily operations report, 05/12/2026", ready)
    assert _one(english, "Monthly") == ("Monthly operations report, 11/2026", ready)
    for subject, body in english:
        _ours_in_english(subject, body)
    vietnamese = _inbox(client, "vi")
    ready = "Báo cáo đã sẵn sàng (PDF, có bản XLSX); bấm vào tiêu đề để tải về."
    assert _one(vietnamese, "Báo cáo vận hành ngày") == ("Báo cáo vận hành ngày 05/12/2026", ready)
    assert _one(vietnamese, "Báo cáo vận hành tháng") == ("Báo cáo vận hành tháng 11/2026", ready)


def test_an_indicator_at_its_critical_level_reads_in_the_pages_language(city, client, act_as):
    noon = "2026-11-20T05:00:00+00:00"
    with UnitOfWork(city, SYSTEM) as uow:
        uow.publish(
            IndicatorComputed(
                code="feedback.share_within_deadline",
                frequency="daily",
                period_start=noon,
                value=61.5,
                target=95.0,
                level="critical",
                at=noon,
            )
        )
    act_as(HEAD)
    subject, body = _one(_inbox(client, "en"), "Indicator at the critical level:")
    assert body == "Value 61.5 (period 20/11/2026), level: critical."
    _ours_in_english(subject, body)
    subject, body = _one(_inbox(client, "vi"), "Chỉ số ở mức báo động:")
    assert subject == "Chỉ số ở mức báo động: Tỷ lệ phản ánh xử lý đúng hạn"
    assert body == "Giá trị 61,5 (kỳ 20/11/2026) ở mức báo động."


def test_the_stored_text_stays_vietnamese_and_the_phrase_stays_off_the_api(city, settings, client, act_as):
    texts_before = len(MockSmsProvider.outbox)
    incident = _fire(city, settings)
    with city.session() as s:
        stored = s.scalars(
            sa.select(Message).where(Message.channel == "in-page", Message.subject.startswith("Sự cố"))
        ).first()
    assert stored is not None
    assert stored.subject == f"Sự cố nghiêm trọng mới: {incident.code} Cháy kho hàng"
    assert stored.subject_phrase == {
        "template": "{rule}: {what}",
        "parts": {
            "rule": {"template": "Sự cố nghiêm trọng mới", "parts": {}},
            "what": f"{incident.code} Cháy kho hàng",
        },
    }
    assert stored.body.startswith("Mức độ: Đặc biệt nghiêm trọng; Loại: Cháy nổ;")
    assert stored.body_phrase is not None
    texts = [text for _to, text in MockSmsProvider.outbox[texts_before:]]
    assert any("Sự cố nghiêm trọng mới" in t and "Mức độ: Đặc biệt nghiêm trọng" in t for t in texts), texts
    act_as(HEAD)
    api = client.get("/api/v1/notifications/inbox").json()
    assert any(m["subject"] == stored.subject and m["body"] == stored.body for m in api["items"])
    assert "_phrase" not in str(api)
    assert "_phrase" not in str(
        client.get("/api/v1/openapi.json").json()["components"]["schemas"]["MessageRead"]
    )


def test_a_message_stored_before_phrases_or_in_a_persons_words_shows_its_text(city, settings, client, act_as):
    _fire(city, settings)
    service.notify(
        city,
        settings=settings,
        recipients=["role:head"],
        subject="Họp giao ban lúc 14:00 {phòng 2}",
        body="Anh chị mang theo báo cáo tuần.",
        dedup_key="own-words",
    )
    with city.engine.begin() as connection:
        connection.execute(sa.update(Message).values(subject_phrase=sa.null(), body_phrase=sa.null()))
    act_as(HEAD)
    english = _inbox(client, "en")
    _subject, body = _one(english, "Sự cố nghiêm trọng mới:")
    assert body.startswith("Mức độ: Đặc biệt nghiêm trọng; Loại: Cháy nổ; Lúc: ")
    assert _one(english, "Họp") == ("Họp giao ban lúc 14:00 {phòng 2}", "Anh chị mang theo báo cáo tuần.")
