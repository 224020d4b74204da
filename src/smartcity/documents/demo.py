"""Demo data of official documents: the ward's documents in every state, its outgoing register, and a
neighbouring ward registered as an agency on this same platform, so that delivery and receipts really run
over the exchange API once the server (and its in-process worker) is up."""

from __future__ import annotations

import io
import random
from datetime import date, datetime, time, timedelta

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from sqlalchemy import func, select

from smartcity.accounts import service as accounts
from smartcity.city import service as city
from smartcity.city.service import WorkingCalendar
from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.security import Actor
from smartcity.documents import attachments, exchange, rendering, service
from smartcity.documents.models import Document
from smartcity.documents.schemas import AgencyIn, DocumentCreate
from smartcity.signing import service as signing

WARD = "UBND-25747-HCM"
NEIGHBOUR = "UBND-25750-HCM"
STAFF = {"specialist": "chuyenvien", "head": "truongphong", "leader": "lanhdao", "clerk": "motcua"}
# (type, subject, how far it goes, delivered to the neighbouring ward, drafted how many working days ago):
# the older a document, the further it went; those issued are numbered in the order of their dates.
DOCUMENTS = (
    ("QĐ", "Về việc ban hành Kế hoạch chỉnh trang đô thị năm 2026", "issued", True, 18),
    ("KH", "Kế hoạch phòng, chống thiên tai và tìm kiếm cứu nạn năm 2026", "issued", False, 14),
    ("CV", "Về việc phối hợp thu gom rác thải trên tuyến đường Bạch Đằng", "issued", True, 10),
    ("TB", "Thông báo lịch tiếp công dân tháng 12 năm 2026", "signed", False, 7),
    ("GM", "Giấy mời họp giao ban công tác đô thị tháng 12", "approved", False, 5),
    ("BC", "Báo cáo kết quả giải quyết thủ tục hành chính quý IV", "submitted", False, 4),
    ("TTr", "Tờ trình đề nghị phê duyệt dự toán sửa chữa trụ sở", "returned", False, 2),
    ("QĐ", "Về việc thành lập Tổ kiểm tra trật tự xây dựng", "draft", False, 1),
)
# When each step is done: (working days after the draft, hour in the city); the minutes vary. Drafted in the
# morning and sent up that afternoon, approved (or returned) the next day, signed and issued the day after.
SCHEDULE = {
    "draft": (0, 8),
    "submitted": (0, 14),
    "approved": (1, 9),
    "returned": (1, 10),
    "signed": (2, 8),
    "issued": (2, 14),
}
BODY = (
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025;\n"
    "Xét đề nghị của bộ phận chuyên môn,\n"
    "Điều 1. Nội dung văn bản mẫu dùng cho dữ liệu trình diễn của nền tảng.\n"
    "Điều 2. Văn bản có hiệu lực kể từ ngày ký."
)
STEPS = ("draft", "submitted", "approved", "signed", "issued")
ANNEX_TITLE = "PHỤ LỤC: DANH MỤC TUYẾN ĐƯỜNG CHỈNH TRANG NĂM 2026"
ANNEX_STREETS = ("Đường Bạch Đằng", "Đường Trần Hưng Đạo", "Đường Đinh Bộ Lĩnh", "Đường Văn Công Khai")


def _annex_pdf() -> bytes:
    """A one-page annex (phụ lục) for the first decision: the streets the plan covers."""
    rendering.font_family()
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setFont(f"{rendering.FAMILY}-Bold", 13)
    page.drawCentredString(A4[0] / 2, A4[1] - 150, ANNEX_TITLE)
    page.setFont(rendering.FAMILY, 12)
    for index, street in enumerate(ANNEX_STREETS, start=1):
        page.drawString(90, A4[1] - 185 - 22 * index, f"{index}. {street}")
    page.showPage()
    page.save()
    return buffer.getvalue()


def _actors(db: Database) -> dict[str, Actor] | None:
    found = {}
    for role, username in STAFF.items():
        user = accounts.get_user_by_username(db, username)
        if user is None:
            return None
        found[role] = accounts.actor_for_user(db, user.id)
    return found


def _agencies(db: Database, *, settings: Settings, actor: Actor) -> str:
    neighbour = accounts.get_org_unit(db, NEIGHBOUR)
    ward = accounts.get_org_unit(db, WARD)
    if neighbour is None or ward is None:
        return "org units missing"
    if not any(
        c.status == "active" for c in signing.list_certificates(db, kind="organisation", holder=NEIGHBOUR)
    ):
        signing.issue_organisation_certificate(
            db, actor=actor, org_unit_code=NEIGHBOUR, name=neighbour.name, settings=settings
        )
    endpoint = settings.public_base_url.rstrip("/")
    for unit in (neighbour, ward):
        exchange.upsert_agency(
            db, actor=actor, data=AgencyIn(code=unit.code, name=unit.name, endpoint=endpoint)
        )
    return neighbour.name


def _working_days_before(calendar: WorkingCalendar, day: date, count: int) -> date:
    """The working day `count` working days before `day`."""
    for _ in range(count):
        day -= timedelta(days=1)
        while not calendar.is_working_day(day):
            day -= timedelta(days=1)
    return day


def _timeline(
    calendar: WorkingCalendar, rng: random.Random, drafted_ago: int, now: datetime
) -> dict[str, datetime]:
    """When each step of a document is done (SCHEDULE), from its draft `drafted_ago` working days before
    today, in office hours; none later than a minute ago."""
    drafted = _working_days_before(calendar, clock.local_date(now), drafted_ago)
    latest = now - timedelta(minutes=1)
    return {
        step: min(
            datetime.combine(
                calendar.add_working_days(drafted, later), time(hour, rng.randint(0, 59)), calendar.zone
            ),
            latest,
        )
        for step, (later, hour) in SCHEDULE.items()
    }


def _advance(
    db: Database,
    staff: dict[str, Actor],
    doc_id: int,
    target: str,
    settings: Settings,
    times: dict[str, datetime],
) -> None:
    how = service.Signing(settings=settings)
    if target == "returned":
        service.submit(db, actor=staff["specialist"], document_id=doc_id, at=times["submitted"])
        service.return_draft(
            db,
            actor=staff["head"],
            document_id=doc_id,
            comment="Bổ sung căn cứ pháp lý và dự toán chi tiết.",
            at=times["returned"],
        )
        return
    steps = {
        "submitted": lambda: service.submit(
            db, actor=staff["specialist"], document_id=doc_id, at=times["submitted"]
        ),
        "approved": lambda: service.approve(
            db, actor=staff["head"], document_id=doc_id, comment="Đồng ý trình ký.", at=times["approved"]
        ),
        "signed": lambda: service.sign(
            db, actor=staff["leader"], document_id=doc_id, signing_with=how, at=times["signed"]
        ),
        "issued": lambda: service.issue(
            db, actor=staff["clerk"], document_id=doc_id, signing_with=how, at=times["issued"]
        ),
    }
    for step in STEPS[1 : STEPS.index(target) + 1]:
        steps[step]()


def load_demo(db: Database, *, settings: Settings, actor: Actor) -> str:
    """Documents in every state (three issued, two of them to be delivered to the neighbouring ward), each
    with a past: drafted some working days ago, its steps hours and days apart."""
    with db.session() as s:
        if (s.scalar(select(func.count()).select_from(Document)) or 0) > 0:
            return "documents already there"
    staff = _actors(db)
    if staff is None or not signing.pki_status(db).initialised:
        return "skipped: the demo staff or the city PKI are missing"
    neighbour = _agencies(db, settings=settings, actor=actor)
    calendar, rng, now = city.working_calendar(db, settings=settings), random.Random(30), clock.now()
    for type_code, subject, target, deliver, drafted_ago in DOCUMENTS:
        times = _timeline(calendar, rng, drafted_ago, now)
        data = DocumentCreate(
            type_code=type_code,
            office_code=WARD,
            subject=subject,
            body=BODY,
            recipients=["Như trên", "Thường trực Đảng ủy phường"],
            external_agencies=[NEIGHBOUR] if deliver else [],
            retention="10 năm",
            file_code="HS-VP-2026-01",
            signer_username=STAFF["leader"],
            drafting_unit_abbr="VP" if type_code == "CV" else "",
        )
        doc = service.create_draft(db, actor=staff["specialist"], data=data, at=times["draft"])
        if (type_code, target) == ("QĐ", "issued"):
            attachments.add(
                db,
                actor=staff["specialist"],
                document_id=doc.id,
                filename="Phụ lục - Danh mục tuyến đường.pdf",
                content=_annex_pdf(),
                content_type="application/pdf",
            )
        _advance(db, staff, doc.id, target, settings, times)
    return (
        f"{len(DOCUMENTS)} documents (3 issued, the first with a sealed annex); "
        f"2 envelopes to {neighbour} wait for the worker, "
        f"which delivers them to this platform's exchange API at {settings.public_base_url}"
    )
