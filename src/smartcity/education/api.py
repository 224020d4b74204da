"""JSON API of the education domain at /api/v1/education: thin — parse, call the service, return."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.errors import PayloadTooLarge, UnsupportedMediaType
from smartcity.core.i18n import Phrase
from smartcity.core.pages import Page, PagingDep
from smartcity.core.security import Actor
from smartcity.core.sheets import XLSX_MEDIA_TYPE as XLSX
from smartcity.education import service
from smartcity.education.schemas import (
    AssetCreate,
    AssetTransfer,
    AssetWriteOff,
    AttendanceSheet,
    ClassCreate,
    CounterPayment,
    ExemptionGrant,
    GuardianLink,
    InvoiceRun,
    PromotionRun,
    ReconciliationClose,
    SchoolCreate,
    StaffCreate,
    StocktakeCount,
    StocktakeOpen,
    StudentCreate,
    StudentLookup,
    TimetableSlotIn,
    TransferCreate,
)
from smartcity.education.service.common import education_settings
from smartcity.web.deps import DbDep, SettingsDep, UserDep

router = APIRouter(prefix="/api/v1/education", tags=["education"])
PERIOD = r"^20[0-9]{2}-(0[1-9]|1[0-2])$"

# ------------------------------------------------------------------------------------------ public


@router.get("/schools", summary="The public schools (public fields)")
def schools(db: DbDep, level: str | None = None) -> list[dict[str, Any]]:
    """Every school with level, ward (by name), address, place, capacity and contacts."""
    return service.list_schools(db, level=level)


@router.get("/schools/{code}", summary="One school (public fields)")
def school(db: DbDep, code: str) -> dict[str, Any]:
    """One school's public fields."""
    return service.get_school(db, code)


@router.get("/fees/rates", summary="Fee amounts per school year and level, with notes")
def rates(year: str | None = None) -> list[dict[str, Any]]:
    """Amounts per year, fee and level (illustrative ones marked checked=false)."""
    return service.fee_rates(year)


@router.get("/fees/types", summary="Fee types with their legal basis")
def fee_types() -> list[dict[str, Any]]:
    """The fee types."""
    return list(service.fee_types().values())


@router.get("/fees/categories", summary="Exemption and reduction categories with their legal basis")
def categories() -> list[dict[str, Any]]:
    """The categories and their rules."""
    return service.categories()


# ------------------------------------------------------------------------------------------ department


@router.get("/overview", summary="The department's view of every school (aggregates)")
def overview(db: DbDep, settings: SettingsDep, actor: UserDep) -> dict[str, Any]:
    """Enrolment, classes, class sizes, fee collection, attendance, devices for each school and in total."""
    return service.overview(db, actor=actor, settings=settings)


@router.get("/overview.geojson", summary="The schools on the map with enrolment and fee collection")
def overview_geojson(db: DbDep, settings: SettingsDep, actor: UserDep) -> dict[str, Any]:
    """GeoJSON points of the schools for the department's map."""
    return service.schools_geojson(service.overview(db, actor=actor, settings=settings)["schools"])


@router.post("/schools", status_code=201, summary="Register or update a school (the department)")
def save_school(data: SchoolCreate, db: DbDep, settings: SettingsDep, actor: UserDep) -> dict[str, Any]:
    """The school's ward of record is the ward containing its place today."""
    service.upsert_school(db, actor=actor, settings=settings, data=data)
    return service.get_school(db, data.code)


# ------------------------------------------------------------------------------------------ schools


@router.get("/schools/{code}/classes", summary="The school's classes of a year (school staff)")
def classes(db: DbDep, actor: UserDep, code: str, year: str | None = None) -> list[dict[str, Any]]:
    """Classes with enrolment against the national norm and how they are taught."""
    return service.list_classes(db, actor=actor, school_code=code, year=year)


@router.post("/schools/{code}/classes", status_code=201, summary="Open a class (school office)")
def create_class(db: DbDep, actor: UserDep, code: str, data: ClassCreate) -> dict[str, int]:
    """A new class of the school in a year."""
    return {"id": service.create_class(db, actor=actor, school_code=code, data=data)}


@router.get("/schools/{code}/staff", summary="The school's staff and official e-mail addresses")
def staff(
    db: DbDep,
    actor: UserDep,
    code: str,
    q: Annotated[str | None, Query(max_length=100, description="Beginnings of words of the name")] = None,
) -> list[dict[str, Any]]:
    """Staff with their roles, by given name; `q` keeps those whose name has a word beginning with each of
    its words (diacritics and case ignored)."""
    return service.list_staff(db, actor=actor, school_code=code, query=q)


@router.post("/schools/{code}/staff", status_code=201, summary="Add a member of staff (school office)")
def add_staff(db: DbDep, actor: UserDep, code: str, data: StaffCreate) -> dict[str, int]:
    """A member of staff with an official e-mail address."""
    return {"id": service.add_staff(db, actor=actor, school_code=code, data=data)}


@router.post("/schools/{code}/students", status_code=201, summary="Enrol a student (school office)")
def enrol(db: DbDep, settings: SettingsDep, actor: UserDep, code: str, data: StudentCreate) -> dict[str, Any]:
    """The child's identifiers are stored encrypted; the answer names the student's code."""
    return service.enrol_student(db, actor=actor, settings=settings, school_code=code, data=data)


@router.post("/schools/{code}/promotion", summary="End of year: promote the school's students")
def promote(db: DbDep, actor: UserDep, code: str, data: PromotionRun) -> dict[str, int]:
    """How many were promoted, held back and completed the level."""
    return service.promote(db, actor=actor, school_code=code, data=data)


async def read_xlsx(file: UploadFile, settings: Any) -> bytes:
    """The uploaded spreadsheet: 413 past the limit (reading stops there), 415 unless it is an XLSX file."""
    limit = education_settings(settings).max_import_bytes
    content = bytearray()
    while chunk := await file.read(64 * 1024):
        content += chunk
        if len(content) > limit:
            raise PayloadTooLarge(Phrase("Tệp quá lớn (tối đa {mb} MB).", mb=round(limit / 1_048_576, 1)))
    if not bytes(content[:4]) == b"PK\x03\x04":
        raise UnsupportedMediaType("Chỉ nhận bảng tính XLSX.")
    return bytes(content)


async def _import(
    file: UploadFile, db: Database, settings: Settings, actor: Actor, code: str, importer: Callable[..., int]
) -> dict[str, int]:
    """An XLSX list read within its limit, then imported into the school (all or nothing) off the loop."""
    content = await read_xlsx(file, settings)
    call = partial(importer, db, actor=actor, settings=settings, school_code=code, content=content)
    return {"imported": await run_in_threadpool(call)}


@router.post("/schools/{code}/students/import", summary="Import a student list from XLSX (all or nothing)")
async def import_students(
    db: DbDep, settings: SettingsDep, actor: UserDep, code: str, file: Annotated[UploadFile, File()]
) -> dict[str, int]:
    """Every bad row is reported with its number; nothing is stored unless all rows are good."""
    return await _import(file, db, settings, actor, code, service.import_students)


@router.get("/templates/students.xlsx", summary="The XLSX template of a student list")
def student_template() -> Response:
    """Headers and one example row."""
    return Response(service.student_template(), media_type=XLSX)


@router.get("/templates/assets.xlsx", summary="The XLSX template of an asset list")
def asset_template() -> Response:
    """Headers and one example row."""
    return Response(service.asset_template(), media_type=XLSX)


# ------------------------------------------------------------------------------------------ students


@router.get("/classes/{class_id}/students", summary="The students of a class (school staff; audited)")
def class_students(db: DbDep, settings: SettingsDep, actor: UserDep, class_id: int) -> list[dict[str, Any]]:
    """Names and masked personal numbers."""
    return service.class_students(db, actor=actor, settings=settings, class_id=class_id)


@router.put("/classes/{class_id}/attendance", summary="A class's attendance on a day (school staff)")
def attendance(
    db: DbDep, settings: SettingsDep, actor: UserDep, class_id: int, sheet: AttendanceSheet
) -> dict[str, int]:
    """Absences and late arrivals; everyone else present. Counts by status."""
    return service.record_attendance(db, actor=actor, settings=settings, class_id=class_id, sheet=sheet)


@router.get("/classes/{class_id}/timetable", summary="A class's weekly timetable")
def timetable(db: DbDep, actor: UserDep, class_id: int) -> list[dict[str, Any]]:
    """Lessons with teacher, mode and online-session link."""
    return service.class_timetable(db, actor=actor, class_id=class_id)


@router.put("/classes/{class_id}/timetable", summary="Set a lesson of the timetable (school staff)")
def set_slot(db: DbDep, actor: UserDep, class_id: int, data: TimetableSlotIn) -> dict[str, str]:
    """The class's teaching mode after the change."""
    return service.set_slot(db, actor=actor, class_id=class_id, data=data)


@router.post("/students/lookup", summary="Find a child by personal number (school staff; transfers)")
def lookup(db: DbDep, settings: SettingsDep, actor: UserDep, data: StudentLookup) -> dict[str, Any]:
    """The student's code and current school, found by the keyed hash of the number."""
    return service.find_by_personal_id(db, actor=actor, settings=settings, personal_id=data.personal_id)


@router.get("/students/{code}", summary="A student's record (school staff, or the child's parent)")
def student(db: DbDep, settings: SettingsDep, actor: UserDep, code: str) -> dict[str, Any]:
    """Read audited; the personal number is masked for parents."""
    return service.get_student(db, actor=actor, settings=settings, code=code)


@router.get("/students/{code}/attendance", summary="A student's attendance (staff or parent)")
def student_attendance(
    db: DbDep, settings: SettingsDep, actor: UserDep, code: str, since: date | None = None
) -> list[dict[str, Any]]:
    """Days and statuses since a day (default: 30 days ago)."""
    start = since or clock.today(settings).fromordinal(clock.today(settings).toordinal() - 30)
    return service.student_attendance(db, actor=actor, code=code, since=start)


@router.get("/students/{code}/invoices", summary="A student's invoices (staff or parent)")
def student_invoices(db: DbDep, actor: UserDep, code: str) -> list[dict[str, Any]]:
    """Newest first, with receipt numbers."""
    return service.student_invoices(db, actor=actor, code=code)


@router.get("/students/{code}/timetable", summary="The timetable of a student's class (staff or parent)")
def student_timetable(db: DbDep, actor: UserDep, code: str) -> list[dict[str, Any]]:
    """Lessons with online-session links."""
    return service.student_timetable(db, actor=actor, code=code)


@router.post("/students/{code}/transfer", summary="Move a student to another school (school office)")
def transfer(
    db: DbDep, settings: SettingsDep, actor: UserDep, code: str, data: TransferCreate
) -> dict[str, str]:
    """The student's records follow them."""
    service.transfer_student(db, actor=actor, settings=settings, code=code, data=data)
    return {"status": "transferred"}


@router.post("/students/{code}/guardians", status_code=201, summary="Link a citizen account as parent")
def link_guardian(db: DbDep, actor: UserDep, code: str, data: GuardianLink) -> dict[str, str]:
    """The parent then sees the child's fees, attendance and timetable."""
    service.link_guardian(db, actor=actor, code=code, data=data)
    return {"status": "linked"}


@router.post("/students/{code}/exemptions", status_code=201, summary="Grant an exemption category")
def grant_exemption(db: DbDep, actor: UserDep, code: str, data: ExemptionGrant) -> dict[str, str]:
    """Applied to the invoices billed afterwards."""
    service.grant_exemption(db, actor=actor, code=code, data=data)
    return {"status": "granted"}


@router.get("/children", summary="The signed-in parent's children")
def children(db: DbDep, settings: SettingsDep, actor: UserDep) -> list[dict[str, Any]]:
    """The children linked to the caller's account."""
    return service.children_of(db, actor=actor, settings=settings)


# ------------------------------------------------------------------------------------------ fees


@router.post("/schools/{code}/invoices", status_code=201, summary="Bill the school's students for a month")
def issue_invoices(
    db: DbDep, settings: SettingsDep, actor: UserDep, code: str, data: InvoiceRun
) -> dict[str, int]:
    """Once per student and month; how many invoices and their total."""
    return service.issue_invoices(db, actor=actor, settings=settings, school_code=code, period=data.period)


@router.get("/schools/{code}/invoices", summary="The school's invoices")
def invoices(
    db: DbDep,
    settings: SettingsDep,
    actor: UserDep,
    paging: PagingDep,
    code: str,
    period: Annotated[str | None, Query(pattern=PERIOD)] = None,
    status: Annotated[str | None, Query(pattern="^(open|paid|cancelled)$")] = None,
) -> Page[dict[str, Any]]:
    """Newest month first."""
    return service.list_invoices(
        db, actor=actor, settings=settings, school_code=code, paging=paging, period=period, status=status
    )


@router.get("/invoices/{number}", summary="An invoice with lines, legal bases and payments")
def invoice(db: DbDep, settings: SettingsDep, actor: UserDep, number: str) -> dict[str, Any]:
    """School staff or the child's parent."""
    return service.get_invoice(db, actor=actor, settings=settings, number=number)


@router.post("/invoices/{number}/payments/counter", status_code=201, summary="Money received at the school")
def counter_payment(
    db: DbDep, settings: SettingsDep, actor: UserDep, number: str, data: CounterPayment
) -> dict[str, Any]:
    """The receipt number and what is still owed."""
    return service.record_counter_payment(
        db, actor=actor, settings=settings, number=number, amount_vnd=data.amount_vnd, payer=data.payer
    )


@router.post("/invoices/{number}/payments/online", status_code=201, summary="Start paying online (parent)")
def online_payment(
    db: DbDep, settings: SettingsDep, actor: UserDep, request: Request, number: str
) -> dict[str, str]:
    """The payment provider's address to send the payer's browser to (the sandbox unless configured)."""
    url = service.start_online_payment(
        db,
        actor=actor,
        settings=settings,
        number=number,
        return_url=str(request.url_for("education_payment_return")),
    )
    return {"payment_url": url}


@router.get("/payments/ipn", summary="Server callback of the payment provider")
def payment_ipn(db: DbDep, settings: SettingsDep, request: Request) -> dict[str, str]:
    """Verified, settled once, logged; answers the gateway's response code."""
    verdict = service.handle_callback(db, settings=settings, params=dict(request.query_params), channel="ipn")
    return {"RspCode": verdict.response_code, "Message": verdict.message}


@router.get("/receipts/{number}.pdf", summary="A receipt as PDF (school staff or the child's parent)")
def receipt(db: DbDep, settings: SettingsDep, actor: UserDep, number: str) -> Response:
    """The receipt of one payment."""
    pdf = service.receipt_pdf(db, actor=actor, settings=settings, receipt_number=number)
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{number}.pdf"'}
    )


@router.get("/schools/{code}/arrears", summary="Students owing fees past the due date")
def arrears(db: DbDep, settings: SettingsDep, actor: UserDep, code: str) -> list[dict[str, Any]]:
    """Most owed first."""
    return service.arrears(db, actor=actor, settings=settings, school_code=code)


@router.get("/schools/{code}/reconciliation", summary="A month's reconciliation of the school")
def reconciliation(
    db: DbDep, settings: SettingsDep, actor: UserDep, code: str, month: Annotated[str, Query(pattern=PERIOD)]
) -> dict[str, Any]:
    """Billed, received by channel, unconfirmed and mismatched items, what is owed."""
    return service.reconciliation(db, actor=actor, settings=settings, school_code=code, month=month)


@router.post("/schools/{code}/reconciliation", status_code=201, summary="Close a month (school office)")
def close_month(
    db: DbDep, settings: SettingsDep, actor: UserDep, code: str, data: ReconciliationClose
) -> dict[str, Any]:
    """Refused while the month does not balance."""
    return service.close_month(db, actor=actor, settings=settings, school_code=code, month=data.month)


# ------------------------------------------------------------------------------------------ assets


@router.get("/schools/{code}/assets", summary="The school's asset register with depreciation")
def assets(db: DbDep, actor: UserDep, code: str, on: date | None = None) -> dict[str, Any]:
    """Items in use with original value, depreciation to date and remaining value; totals."""
    rows = service.list_assets(db, actor=actor, school_code=code, on=on)
    return {"items": rows, "totals": service.register_totals(rows)}


@router.post("/schools/{code}/assets", status_code=201, summary="Receive an item into the register")
def add_asset(
    db: DbDep, settings: SettingsDep, actor: UserDep, code: str, data: AssetCreate
) -> dict[str, Any]:
    """The item's code in the school's register."""
    return service.add_asset(db, actor=actor, settings=settings, school_code=code, data=data)


@router.post("/schools/{code}/assets/import", summary="Import an asset list from XLSX (all or nothing)")
async def import_assets(
    db: DbDep, settings: SettingsDep, actor: UserDep, code: str, file: Annotated[UploadFile, File()]
) -> dict[str, int]:
    """Every bad row is reported with its number; nothing is stored unless all rows are good."""
    return await _import(file, db, settings, actor, code, service.import_assets)


@router.get("/assets/{asset_id}/movements", summary="An item's history in the register")
def asset_movements(db: DbDep, actor: UserDep, asset_id: int) -> list[dict[str, Any]]:
    """Received, transferred, written off, stock-take differences."""
    return service.movements(db, actor=actor, asset_id=asset_id)


@router.post("/assets/{asset_id}/transfer", summary="Move units of an item to another school")
def transfer_asset(
    db: DbDep, settings: SettingsDep, actor: UserDep, asset_id: int, data: AssetTransfer
) -> dict[str, Any]:
    """The code of the item at the receiving school."""
    return service.transfer_asset(db, actor=actor, settings=settings, asset_id=asset_id, data=data)


@router.post("/assets/{asset_id}/write-off", summary="Write off units of an item")
def write_off(
    db: DbDep, settings: SettingsDep, actor: UserDep, asset_id: int, data: AssetWriteOff
) -> dict[str, Any]:
    """What remains in the register."""
    return service.write_off(db, actor=actor, settings=settings, asset_id=asset_id, data=data)


@router.get("/schools/{code}/stocktakes", summary="The school's stock-takes")
def stocktakes(db: DbDep, actor: UserDep, code: str) -> list[dict[str, Any]]:
    """Newest first."""
    return service.stocktakes(db, actor=actor, school_code=code)


@router.post("/schools/{code}/stocktakes", status_code=201, summary="Open the year's stock-take")
def open_stocktake(
    db: DbDep, settings: SettingsDep, actor: UserDep, code: str, data: StocktakeOpen
) -> dict[str, Any]:
    """One line per item in use."""
    take_id = service.open_stocktake(db, actor=actor, settings=settings, school_code=code, data=data)
    return service.get_stocktake(db, actor=actor, stocktake_id=take_id)


@router.get("/stocktakes/{stocktake_id}", summary="A stock-take with its lines")
def stocktake(db: DbDep, actor: UserDep, stocktake_id: int) -> dict[str, Any]:
    """Book, counted, difference and explanation per item."""
    return service.get_stocktake(db, actor=actor, stocktake_id=stocktake_id)


@router.put("/stocktakes/{stocktake_id}/items/{asset_id}", summary="Record what was found for one item")
def count_item(
    db: DbDep, actor: UserDep, stocktake_id: int, asset_id: int, data: StocktakeCount
) -> dict[str, str]:
    """Counted quantity, condition and the explanation of any difference."""
    service.count_item(db, actor=actor, stocktake_id=stocktake_id, asset_id=asset_id, data=data)
    return {"status": "counted"}


@router.post("/stocktakes/{stocktake_id}/close", summary="Apply the stock-take to the register")
def close_stocktake(db: DbDep, actor: UserDep, stocktake_id: int) -> dict[str, Any]:
    """Refused (422, every item named) while an item is uncounted or a difference unexplained."""
    return service.close_stocktake(db, actor=actor, stocktake_id=stocktake_id)
