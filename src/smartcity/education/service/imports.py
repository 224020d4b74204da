"""Import of student and asset lists from XLSX as schools keep them: every bad row reported by its number,
and nothing stored unless every row is good."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select

from smartcity.core import clock, sheets
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.errors import ValidationFailed
from smartcity.core.i18n import Phrase
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.education.models import SchoolClass, Student
from smartcity.education.schemas import AssetCreate, StudentCreate
from smartcity.education.service.assets import _insert, depreciation_classes
from smartcity.education.service.common import (
    ASSET_CATEGORIES,
    CONDITIONS,
    education_settings,
    id_hash,
    require_school_staff,
    school_by_code,
    year_on,
)
from smartcity.education.service.students import _new_student

STUDENT_HEADERS = ("Họ và tên", "Ngày sinh (dd/mm/yyyy)", "Giới tính (Nam/Nữ)", "Mã định danh", "Lớp")
ASSET_HEADERS = (
    "Tên tài sản",
    "Nhóm (Thiết bị/Nội thất/Công nghệ thông tin)",
    "Nhóm hao mòn",
    "Số lượng",
    "Đơn giá (đồng)",
    "Ngày đưa vào sử dụng (dd/mm/yyyy)",
    "Tình trạng (Tốt/Khá/Kém/Hỏng)",
    "Thiết bị học tập (Có/Không)",
)


def _template(headers: tuple[str, ...], example: tuple[Any, ...], title: str) -> bytes:
    return sheets.xlsx([headers, example], title=title)


def student_template() -> bytes:
    """The XLSX template of a student list."""
    return _template(
        STUDENT_HEADERS, ("Nguyễn Văn An", "15/03/2020", "Nam", "074220001234", "1A1"), "Danh sách học sinh"
    )


def asset_template() -> bytes:
    """The XLSX template of an asset list."""
    example = (
        "Máy vi tính để bàn phòng tin học",
        "Công nghệ thông tin",
        "Máy vi tính để bàn, xách tay, máy tính bảng",
        20,
        14500000,
        "15/08/2025",
        "Tốt",
        "Có",
    )
    return _template(ASSET_HEADERS, example, "Danh sách tài sản")


def _rows(content: bytes, width: int, settings: Settings) -> Iterator[tuple[int, list[Any]]]:
    """(row number, cells) of the first sheet's data rows; blank rows skipped."""
    limit = education_settings(settings).max_import_rows
    try:
        sheet = sheets.first_sheet(content)
    except Exception as exc:  # openpyxl raises many kinds on a file that is not XLSX
        raise ValidationFailed.for_field("file", "Tệp không phải bảng tính XLSX hợp lệ.") from exc
    for number, values in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
        cells = [*list(values or ()), *([None] * width)][:width]
        if all(v in (None, "") for v in cells):
            continue
        if number - 1 > limit:
            raise ValidationFailed.for_field("file", Phrase("Tệp có quá {limit} dòng.", limit=limit))
        yield number, [v.strip() if isinstance(v, str) else v for v in cells]


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return datetime.strptime(str(value or "").strip(), "%d/%m/%Y").date()
    except ValueError:
        return None


def _pydantic_message(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())


def _fail(errors: list[dict[str, str]]) -> None:
    if errors:
        raise ValidationFailed("; ".join(e["message"] for e in errors), errors=errors)


def _collect(
    rows: Iterator[tuple[int, list[Any]]], parse: Callable[[list[Any]], Any]
) -> tuple[list[tuple[int, Any]], list[dict[str, str]]]:
    good, errors = [], []
    for number, cells in rows:
        try:
            good.append((number, parse(cells)))
        except (ValueError, ValidationError) as exc:
            message = _pydantic_message(exc) if isinstance(exc, ValidationError) else str(exc)
            errors.append({"field": f"row {number}", "message": f"Dòng {number}: {message}."})
    return good, errors


# ------------------------------------------------------------------------------------------ students


def import_students(
    db: Database, *, actor: Actor, settings: Settings, school_code: str, content: bytes
) -> int:
    """Enrol the students of an XLSX list in this year's classes: all rows or none. Returns rows stored."""
    with db.session() as s:
        school = school_by_code(s, school_code)
        require_school_staff(actor, school, office=True)
        year = year_on(s, clock.today(settings))
        classes = dict(
            s.execute(
                select(SchoolClass.name, SchoolClass.id).where(
                    SchoolClass.school_id == school.id, SchoolClass.year_id == year.id
                )
            ).all()
        )

    def parse(cells: list[Any]) -> StudentCreate:
        name, born, sex, personal_id, class_name = cells
        born_on = _date(born)
        if born_on is None:
            raise ValueError(f"ngày sinh «{born or ''}» không đúng dạng dd/mm/yyyy")
        if str(class_name or "") not in classes:
            raise ValueError(f"không có lớp «{class_name or ''}» năm học {year.name}")
        sex_code = {"nam": "M", "nữ": "F", "nu": "F"}.get(str(sex or "").strip().lower())
        if sex_code is None:
            raise ValueError(f"giới tính «{sex or ''}» phải là Nam hoặc Nữ")
        return StudentCreate(
            full_name=str(name or ""),
            birth_date=born_on,
            sex=sex_code,
            personal_id=str(personal_id).strip() if personal_id not in (None, "") else None,
            class_id=classes[str(class_name)],
        )

    good, errors = _collect(_rows(content, len(STUDENT_HEADERS), settings), parse)
    errors += _duplicate_ids(db, settings, good)
    _fail(errors)
    if not good:
        raise ValidationFailed.for_field("file", "Tệp không có dòng học sinh nào.")
    with UnitOfWork(db, actor) as uow:
        school = school_by_code(uow.session, school_code)
        bad = []
        for number, data in good:
            try:
                _new_student(uow.session, settings, school, data)
            except ValidationFailed as exc:
                bad.append(
                    {
                        "field": f"row {number}",
                        "message": f"Dòng {number}: {exc.errors[0]['message'] if exc.errors else exc.detail}",
                    }
                )
        _fail(bad)  # raising here rolls back every row already added
        uow.audit("education.students.imported", "school", school_code, after={"rows": len(good)})
    return len(good)


def _duplicate_ids(
    db: Database, settings: Settings, good: list[tuple[int, StudentCreate]]
) -> list[dict[str, str]]:
    """Rows whose personal number repeats an earlier row or a child already on record."""
    errors: list[dict[str, str]] = []
    seen: dict[str, int] = {}
    hashes = {number: id_hash(settings, d.personal_id) for number, d in good if d.personal_id}
    with db.session() as s:
        known = set(
            s.scalars(
                select(Student.personal_id_hash).where(Student.personal_id_hash.in_(list(hashes.values())))
            )
        )
    for number, hashed in hashes.items():
        if hashed in known:
            errors.append(
                {
                    "field": f"row {number}",
                    "message": Phrase(
                        "Dòng {row}: mã định danh đã có hồ sơ học sinh (hãy chuyển trường).", row=number
                    ),
                }
            )
        elif hashed in seen:
            errors.append(
                {
                    "field": f"row {number}",
                    "message": Phrase(
                        "Dòng {row}: mã định danh trùng với dòng {other}.", row=number, other=seen[hashed]
                    ),
                }
            )
        seen.setdefault(hashed, number)
    return errors


# ------------------------------------------------------------------------------------------ assets


def _class_code(value: Any) -> str:
    text = str(value or "").strip()
    for code, klass in depreciation_classes().items():
        if text.casefold() in (code.casefold(), str(klass["name"]).casefold()):
            return code
    raise ValueError(f"nhóm hao mòn «{text}» không có trong danh mục")


def import_assets(db: Database, *, actor: Actor, settings: Settings, school_code: str, content: bytes) -> int:
    """Receive the items of an XLSX list into the school's register: all rows or none."""
    with db.session() as s:
        school = school_by_code(s, school_code)
        require_school_staff(actor, school, office=True)
    categories = {v.casefold(): k for k, v in ASSET_CATEGORIES.items()}
    conditions = {v.casefold(): k for k, v in CONDITIONS.items()}
    today = clock.today(settings)

    def parse(cells: list[Any]) -> AssetCreate:
        name, category, klass, quantity, value, acquired, condition, device = cells
        acquired_on = _date(acquired)
        if acquired_on is None or acquired_on > today:
            raise ValueError(f"ngày đưa vào sử dụng «{acquired or ''}» không hợp lệ")
        if str(category or "").casefold() not in categories:
            raise ValueError(f"nhóm «{category or ''}» không hợp lệ")
        if str(condition or "Tốt").casefold() not in conditions:
            raise ValueError(f"tình trạng «{condition}» không hợp lệ")
        if not isinstance(quantity, int | float) or not isinstance(value, int | float):
            raise ValueError("số lượng và đơn giá phải là số")
        return AssetCreate(
            name=str(name or ""),
            category=categories[str(category).casefold()],
            depreciation_class=_class_code(klass),
            quantity=int(quantity),
            unit_value_vnd=int(value),
            acquired_on=acquired_on,
            condition=conditions[str(condition or "Tốt").casefold()],
            learning_device=str(device or "").strip().casefold() in ("có", "co", "x", "yes"),
        )

    good, errors = _collect(_rows(content, len(ASSET_HEADERS), settings), parse)
    _fail(errors)
    if not good:
        raise ValidationFailed.for_field("file", "Tệp không có dòng tài sản nào.")
    with UnitOfWork(db, actor) as uow:
        school = school_by_code(uow.session, school_code)
        for _number, data in good:
            _insert(uow.session, school.id, data, actor)
        uow.audit("education.assets.imported", "school", school_code, after={"rows": len(good)})
    return len(good)
