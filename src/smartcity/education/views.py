"""Pages of the education domain: the department's map of schools, the school's own pages (classes,
attendance, fees, assets and stock-take, imports), and the parent's pages in the citizen space."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from smartcity.core import clock
from smartcity.core.errors import Forbidden, ValidationFailed
from smartcity.core.i18n import get_translations
from smartcity.core.pages import PageParams
from smartcity.education import asset_views, family_views, labels, service
from smartcity.education.api import read_xlsx
from smartcity.education.schemas import (
    AttendanceMark,
    AttendanceSheet,
    ExemptionGrant,
    GuardianLink,
    TransferCreate,
)
from smartcity.education.service.common import RELATIONS, SCHOOL_ROLES, education_settings
from smartcity.education.views_common import CSRF, _attempt, _back, _page
from smartcity.web.deps import DbDep, PageUserDep, SettingsDep
from smartcity.web.forms import notice, refusal_messages
from smartcity.web.templating import request_locale

router = APIRouter()
MOVED = {"/static/js/education-map.js": "/education/static/education-map.js"}
PUBLIC_LINKS = ({"label": "Con tôi ở trường", "href": "/con-toi", "place": "personal"},)
STAFF_LINKS = (
    {
        "label": "Giáo dục: 57 trường công lập",
        "href": "/can-bo/giao-duc",
        "roles": ("specialist", "head", "leader"),
        "units": ("SGDDT-", "TDM-GDDT", None),  # the department (settings' default units) or city-wide
    },
    {
        "label": "Trường của tôi",
        "href": "/can-bo/giao-duc/truong",
        "roles": SCHOOL_ROLES,
        "units": (service.school_org_unit(""),),  # a school's own staff
    },
)


SCHOOL_SECTIONS = ("hoc-phi", "tai-san")  # the school's pages "Trường của tôi" may go straight to
WARD_LINE = ("#8a94a6", "Ranh giới phường (gần đúng)")  # the wards on the department's map, and its legend


Month = Annotated[str, Form()]  # a month "YYYY-MM" from a form

# ------------------------------------------------------------------------------------------ department


@router.get("/can-bo/giao-duc", response_class=HTMLResponse)
def department(request: Request, db: DbDep, settings: SettingsDep, actor: PageUserDep) -> Response:
    """All 57 schools on a map and in a table: enrolment, class sizes, fee collection, attendance, devices."""
    data = service.overview(db, actor=actor, settings=settings)
    locale = request_locale(request)
    levels = labels.level_names(locale)
    schools = [s | {"level_name": levels.get(s["level"], s["level_name"])} for s in data["schools"]]
    return _page(
        request,
        "department.html",
        {
            **data,
            "norms": service.NORM_BASIS,
            "base_map_style_url": settings.base_map_style_url,
            "geojson": service.schools_geojson(schools, locale),
            "legend": [
                *service.fee_rate_legend(),
                {"layer": "wards-line", "label": WARD_LINE[1], "colour": WARD_LINE[0], "shape": "line"},
            ],
            "ward_line_colour": WARD_LINE[0],
            "on_text": service.dmy(data["on"]),
        },
    )


# ------------------------------------------------------------------------------------------ school staff


@router.get("/can-bo/giao-duc/truong", response_class=HTMLResponse)
def my_schools(request: Request, db: DbDep, actor: PageUserDep, muc: str = "") -> Response:
    """The schools the signed-in person works at (straight to it when there is one), each at its page `muc`
    names ("hoc-phi": fees, "tai-san": assets; the school's home otherwise): where the staff page's work
    list sends a school's staff."""
    schools = service.my_schools(db, actor=actor)
    section = f"/{muc}" if muc in SCHOOL_SECTIONS else ""
    if len(schools) == 1:
        return RedirectResponse(f"/can-bo/giao-duc/truong/{schools[0]['code']}{section}", status_code=303)
    if not schools:
        raise Forbidden("Tài khoản của bạn chưa được phân công ở trường nào.")
    return _page(request, "my_schools.html", {"schools": schools, "section": section})


@router.get("/can-bo/giao-duc/truong/{code}", response_class=HTMLResponse)
def school_home(
    request: Request, db: DbDep, settings: SettingsDep, actor: PageUserDep, code: str, q: str = ""
) -> Response:
    """The school's home: its classes this year, staff (searched by the beginnings of the words of a name)
    and, for its own staff, the way to classes, fees, assets and imports; the department reads it only."""
    classes = service.list_classes(db, actor=actor, school_code=code)
    on_staff = service.on_school_staff(db, actor=actor, school_code=code)
    begins = education_settings(settings).school_day_starts
    staff = service.list_staff(db, actor=actor, school_code=code)
    query = q.strip()[:100]
    shown = service.list_staff(db, actor=actor, school_code=code, query=query) if query else staff
    year = service.current_year(db, settings)
    enrolled = sum(c["enrolled"] for c in classes)
    modes = {
        name: sum(1 for c in classes if c["teaching_mode"] == mode) for mode, name in service.MODES.items()
    }
    return _page(
        request,
        "school.html",
        {
            "school": service.get_school(db, code),
            "classes": classes,
            "on_staff": on_staff,
            "marked_today": service.classes_marked_today(
                db, settings=settings, class_ids=[c["id"] for c in classes]
            )
            if clock.today(settings) <= year["ends_on"]  # none in the summer holidays
            else None,
            "lessons_begun": service.school_day_started(settings),
            "lessons_begin": f"{begins.hour}:{begins.minute:02d}",
            "staff": staff,
            "shown_staff": shown,
            "q": query,
            "year": year,
            "enrolled": enrolled,
            "over_norm": sum(1 for c in classes if c["over_norm"]),
            "modes": modes,
        },
    )


@router.get("/can-bo/giao-duc/lop/{class_id}", response_class=HTMLResponse)
def class_page(
    request: Request, db: DbDep, settings: SettingsDep, actor: PageUserDep, class_id: int
) -> Response:
    """A class: its students (personal numbers masked), today's attendance sheet, the timetable."""
    cls, school = service.class_with_school(db, actor=actor, class_id=class_id)
    students = service.class_students(db, actor=actor, settings=settings, class_id=class_id)
    today = clock.today(settings)
    if today.isoweekday() == 7:  # no school on Sunday: the sheet of the day before
        today -= timedelta(days=1)
    return _page(
        request,
        "class.html",
        {
            "cls": cls,
            "school": school,
            "students": students,
            "timetable": service.class_timetable(db, actor=actor, class_id=class_id),
            "today": today.isoformat(),
            "today_text": service.dmy(today),
            "statuses": service.ATTENDANCE,
            "marked": service.class_attendance(db, actor=actor, class_id=class_id, day=today),
            "timetable_grid": service.timetable_grid,
        },
    )


@router.post("/can-bo/giao-duc/lop/{class_id}/diem-danh", dependencies=CSRF)
async def attendance(
    request: Request, db: DbDep, settings: SettingsDep, actor: PageUserDep, class_id: int
) -> Response:
    """Save the attendance sheet (every student listed with a status)."""
    form = await request.form()
    day = date.fromisoformat(str(form.get("day") or clock.today(settings).isoformat()))
    marks = [
        AttendanceMark(student_id=int(key[7:]), status=str(value))
        for key, value in form.items()
        if key.startswith("status_") and value != "present"
    ]
    sheet = AttendanceSheet(day=day, marks=marks)
    await run_in_threadpool(
        lambda: service.record_attendance(db, actor=actor, settings=settings, class_id=class_id, sheet=sheet)
    )
    return RedirectResponse(f"/can-bo/giao-duc/lop/{class_id}?msg=attendance", status_code=303)


@router.get("/can-bo/giao-duc/truong/{code}/hoc-phi", response_class=HTMLResponse)
def fees(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    actor: PageUserDep,
    code: str,
    thang: str | None = None,
    trang: int = 1,
) -> Response:
    """Fees of the school: bill a month, the month's invoices, arrears, the month's reconciliation."""
    month = thang if thang and len(thang) == 7 else clock.today(settings).strftime("%Y-%m")
    invoices = service.list_invoices(
        db,
        actor=actor,
        settings=settings,
        school_code=code,
        paging=PageParams.for_page(trang, 50),
        period=month,
    )
    return _page(
        request,
        "fees.html",
        {
            "school": service.get_school(db, code),
            "month": month,
            "month_text": f"{month[5:]}/{month[:4]}",
            "invoices": invoices,
            "arrears": service.arrears(db, actor=actor, settings=settings, school_code=code)[:100],
            "report": service.reconciliation(
                db, actor=actor, settings=settings, school_code=code, month=month
            ),
            "rates": service.fee_rates(service.current_year(db, settings)["name"]),
            "error": notice(request),
        },
    )


@router.post("/can-bo/giao-duc/truong/{code}/hoc-phi/lap-hoa-don", dependencies=CSRF)
def issue(
    request: Request, db: DbDep, settings: SettingsDep, actor: PageUserDep, code: str, thang: Month
) -> Response:
    """Bill every student of the school for the month."""
    return _attempt(
        request,
        f"/can-bo/giao-duc/truong/{code}/hoc-phi",
        lambda: service.issue_invoices(db, actor=actor, settings=settings, school_code=code, period=thang),
        "invoiced",
        thang=thang,
    )


@router.post("/can-bo/giao-duc/truong/{code}/hoc-phi/khoa-so", dependencies=CSRF)
def close_month(
    request: Request, db: DbDep, settings: SettingsDep, actor: PageUserDep, code: str, thang: Month
) -> Response:
    """Close a finished month's reconciliation."""
    return _attempt(
        request,
        f"/can-bo/giao-duc/truong/{code}/hoc-phi",
        lambda: service.close_month(db, actor=actor, settings=settings, school_code=code, month=thang),
        "month_closed",
        thang=thang,
    )


@router.get("/can-bo/giao-duc/hoa-don/{number}", response_class=HTMLResponse)
def invoice_page(
    request: Request, db: DbDep, settings: SettingsDep, actor: PageUserDep, number: str
) -> Response:
    """An invoice with its lines and legal bases, payments and the counter form."""
    invoice = service.get_invoice(db, actor=actor, settings=settings, number=number)
    return _page(request, "invoice.html", {"invoice": invoice, "error": notice(request)})


@router.post("/can-bo/giao-duc/hoa-don/{number}/thu-tien", dependencies=CSRF)
def counter(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    actor: PageUserDep,
    number: str,
    so_tien: Annotated[int, Form(title="Số tiền", gt=0)],
    nguoi_nop: Annotated[str, Form(title="Người nộp", min_length=2, max_length=120)],
) -> Response:
    """Money received at the counter; a receipt follows."""
    return _attempt(
        request,
        f"/can-bo/giao-duc/hoa-don/{number}",
        lambda: service.record_counter_payment(
            db, actor=actor, settings=settings, number=number, amount_vnd=so_tien, payer=nguoi_nop
        ),
        "counter",
    )


# ------------------------------------------------------------------------------------------ a student's file


@router.get("/can-bo/giao-duc/hoc-sinh/{code}", response_class=HTMLResponse)
def student_page(
    request: Request, db: DbDep, settings: SettingsDep, actor: PageUserDep, code: str
) -> Response:
    """A student's file for the school: parents, exemptions, moves, invoices and the office's forms."""
    student = service.get_student(db, actor=actor, settings=settings, code=code)
    if "exemptions" not in student:  # the child's parent: their own page
        return RedirectResponse(f"/con-toi/{code}", status_code=303)
    year = service.current_year(db, settings)["name"]
    return _page(
        request,
        "student.html",
        {
            "student": student,
            "school": service.get_school(db, student["school_code"]),
            "invoices": service.student_invoices(db, actor=actor, code=code)[:12],
            "targets": service.transfer_targets(db, actor=actor, code=code),
            "categories": service.categories(),
            "relations": RELATIONS,
            "year_text": year.replace("-", "–"),
            "today": clock.today(settings).isoformat(),
            "error": notice(request),
        },
    )


@router.post("/can-bo/giao-duc/hoc-sinh/{code}/phu-huynh", dependencies=CSRF)
def link_parent(
    request: Request,
    db: DbDep,
    actor: PageUserDep,
    code: str,
    tai_khoan: Annotated[str, Form(max_length=64)],
    quan_he: Annotated[str, Form(max_length=20)],
) -> Response:
    """Link a citizen account as the child's parent or guardian."""
    url = f"/can-bo/giao-duc/hoc-sinh/{code}"
    if quan_he not in RELATIONS or len(tai_khoan.strip()) < 3:
        return _back(request, url, error="Hãy nhập tên đăng nhập của phụ huynh và chọn quan hệ với học sinh.")
    link = GuardianLink(username=tai_khoan.strip(), relation=quan_he)
    return _attempt(
        request, url, lambda: service.link_guardian(db, actor=actor, code=code, data=link), "linked"
    )


@router.post("/can-bo/giao-duc/hoc-sinh/{code}/mien-giam", dependencies=CSRF)
def exempt(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    actor: PageUserDep,
    code: str,
    dien: Annotated[str, Form(max_length=40)],
    minh_chung: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """Record the student's exemption or reduction category for this school year."""
    url = f"/can-bo/giao-duc/hoc-sinh/{code}"
    if len(minh_chung.strip()) < 3:
        return _back(request, url, error="Hãy ghi giấy tờ làm căn cứ (ví dụ: số sổ hộ nghèo, giấy xác nhận).")
    grant = ExemptionGrant(
        year=service.current_year(db, settings)["name"], category=dien, evidence=minh_chung.strip()
    )
    return _attempt(
        request, url, lambda: service.grant_exemption(db, actor=actor, code=code, data=grant), "exempted"
    )


@router.post("/can-bo/giao-duc/hoc-sinh/{code}/chuyen-truong", dependencies=CSRF)
def move_student(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    actor: PageUserDep,
    code: str,
    lop_den: Annotated[str, Form(title="Lớp chuyển đến", max_length=60)],
    ngay: Annotated[date, Form(title="Ngày")],
    ly_do: Annotated[str, Form(title="Lý do", max_length=300)] = "",
) -> Response:
    """Move the student to a class of another school; the records follow them."""
    url = f"/can-bo/giao-duc/hoc-sinh/{code}"
    school_code, _, class_id = lop_den.partition("/")
    if not class_id.isdigit():
        return _back(request, url, error="Hãy chọn lớp ở trường đến.")
    student = service.get_student(db, actor=actor, settings=settings, code=code)
    move = TransferCreate(
        to_school=school_code, to_class_id=int(class_id), on_date=ngay, reason=ly_do.strip()
    )
    answer = _attempt(
        request,
        url,
        lambda: service.transfer_student(db, actor=actor, settings=settings, code=code, data=move),
        "transferred",
    )
    if "error=" in answer.headers["location"] or not student.get("class_id"):
        return answer
    return _back(request, f"/can-bo/giao-duc/lop/{student['class_id']}", msg="transferred")


# ------------------------------------------------------------------------------------------ an asset


@router.get("/can-bo/giao-duc/truong/{code}/nhap", response_class=HTMLResponse)
def import_form(request: Request, db: DbDep, actor: PageUserDep, code: str) -> Response:
    """Forms to import a student list or an asset list from XLSX."""
    service.require_on_staff(db, actor=actor, school_code=code)
    return _page(request, "import.html", {"school": service.get_school(db, code), "errors": [], "done": ""})


@router.post("/can-bo/giao-duc/truong/{code}/nhap", response_class=HTMLResponse, dependencies=CSRF)
async def import_file(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    actor: PageUserDep,
    code: str,
    loai: Annotated[str, Form(title="Loại dữ liệu", pattern="^(hoc-sinh|tai-san)$")],
    file: Annotated[UploadFile, File(title="Tệp nhập")],
) -> Response:
    """Import all rows or none; every bad row shown with its number."""
    content = await read_xlsx(file, settings)
    importer = service.import_students if loai == "hoc-sinh" else service.import_assets
    school = await run_in_threadpool(service.get_school, db, code)
    try:
        rows = await run_in_threadpool(
            lambda: importer(db, actor=actor, settings=settings, school_code=code, content=content)
        )
    except ValidationFailed as exc:
        return _page(
            request,
            "import.html",
            {"school": school, "errors": refusal_messages(exc), "done": ""},
            status_code=422,
        )
    _ = get_translations(request_locale(request), "education").gettext
    done = _("Đã nhập %(rows)s dòng học sinh.") if loai == "hoc-sinh" else _("Đã nhập %(rows)s dòng tài sản.")
    return _page(request, "import.html", {"school": school, "errors": [], "done": done % {"rows": rows}})


# ------------------------------------------------------------------------------------------ parents


router.include_router(asset_views.router)
router.include_router(family_views.router)
