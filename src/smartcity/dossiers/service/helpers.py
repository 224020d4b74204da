"""Helpers: part of the dossiers service (see __init__)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema import ValidationError as JsonSchemaError
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from smartcity.accounts import service as accounts
from smartcity.city import service as city
from smartcity.city.service import WorkingCalendar
from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import (
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)
from smartcity.core.files import sniff_type
from smartcity.core.i18n import Phrase
from smartcity.core.malware import Intake, screen
from smartcity.core.security import Actor
from smartcity.dossiers.config import DossierSettings
from smartcity.dossiers.models import (
    Dossier,
    DossierCodeCounter,
    DossierEvent,
)
from smartcity.dossiers.schemas import (
    DossierCreate,
)
from smartcity.dossiers.service.common import Upload
from smartcity.procedures import service as procedures
from smartcity.procedures.schemas import ProcedureRead


def calendar_for(db: Database, settings: Settings | None = None) -> WorkingCalendar:
    """The city's working calendar (holidays, swaps, local exceptions, afternoon cut-off)."""
    return city.working_calendar(db, settings=settings)


def _local_today(calendar: WorkingCalendar) -> date:
    return calendar.local_date(utcnow())


WRONG_FILE_TYPE = "Loại tệp không được nhận, hoặc nội dung tệp không đúng loại ghi trên tên tệp."
_KINDS = {"number": "một số", "integer": "một số nguyên", "string": "chữ", "boolean": "có hoặc không"}


def _said_in_vietnamese(error: JsonSchemaError) -> str:
    """What an e-form field's mistake is, in words a citizen reads beside the field."""
    limit = error.validator_value
    countable = isinstance(limit, int | float) and not isinstance(limit, bool)
    amount = float(limit) if countable else ""  # written as the page's language writes numbers
    match error.validator:
        case "required":
            return "Chưa điền."
        case "type":
            kinds = limit if isinstance(limit, list) else [limit]
            return Phrase(
                "Phải là {kinds}.", kinds=_either([Phrase(_KINDS.get(str(k), str(k))) for k in kinds])
            )
        case "enum" | "const":
            return "Chọn một trong các giá trị cho sẵn."
        case "minimum":
            return Phrase("Phải từ {amount} trở lên.", amount=amount)
        case "exclusiveMinimum":
            return Phrase("Phải lớn hơn {amount}.", amount=amount)
        case "maximum":
            return Phrase("Không được lớn hơn {amount}.", amount=amount)
        case "exclusiveMaximum":
            return Phrase("Phải nhỏ hơn {amount}.", amount=amount)
        case "minLength":
            return Phrase("Cần ít nhất {amount} ký tự.", amount=amount)
        case "maxLength":
            return Phrase("Không quá {amount} ký tự.", amount=amount)
        case "format" if limit == "date":
            return "Ngày chưa hợp lệ."
        case "x-not-future":
            return "Không được sau ngày hôm nay."
        case "minItems":
            return Phrase("Cần ít nhất {amount} mục.", amount=amount)
        case "maxItems":
            return Phrase("Không quá {amount} mục.", amount=amount)
        case "additionalProperties":
            return "Có thông tin không thuộc tờ khai của thủ tục."
    return "Chưa đúng định dạng."


def _either(words: list[Phrase]) -> Phrase:
    """ "a hoặc b hoặc c" (in English "a or b or c"), each word translated on its own."""
    said = words[0]
    for word in words[1:]:
        said = Phrase("{first} hoặc {second}", first=said, second=word)
    return said


NOT_FUTURE = "x-not-future"  # an e-form keyword: a date of something that has happened (a birth, a death)


def _validator(schema: dict[str, Any]) -> Any:
    """A JSON Schema 2020-12 validator of e-forms, knowing `x-not-future` (not after today in the city)."""
    today = clock.today()

    def not_future(validator: Any, wanted: Any, instance: Any, schema: dict[str, Any]) -> Any:
        if wanted and isinstance(instance, str):
            try:
                day = date.fromisoformat(instance)
            except ValueError:
                return  # the format check says so
            if day > today:
                yield JsonSchemaError(f"{instance} is after today")

    kind = validators.extend(Draft202012Validator, {NOT_FUTURE: not_future})
    return kind(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _form_errors(schema: dict[str, Any], data: dict[str, Any], prefix: str = "form") -> list[dict[str, str]]:
    validator = _validator(schema)
    errors = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        path = [str(p) for p in error.absolute_path]
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else ""
            path.append(missing)
        errors.append({"field": ".".join([prefix, *path]), "message": _said_in_vietnamese(error)})
    return errors


def validate_form(procedure: ProcedureRead, form: dict[str, Any]) -> None:
    """422 naming each field of the e-form that does not match the procedure's schema."""
    errors = _form_errors(procedure.form_schema, form)
    if errors:
        raise ValidationFailed(
            "The form does not match the procedure's e-form: " + "; ".join(e["field"] for e in errors),
            errors=errors,
        )


def _unit_for_ward(units: Sequence[accounts.OrgUnitRead], ward_code: str | None, on: date) -> str:
    if not ward_code:
        raise ValidationFailed.for_field("ward_code", "Chọn phường nơi giải quyết hồ sơ.")
    for unit in units:
        if unit.kind == "ward_committee" and unit.admin_unit_code == ward_code:
            return unit.code
    raise ValidationFailed.for_field(
        "ward_code",
        Phrase("Phường đã chọn không có bộ phận tiếp nhận hồ sơ ngày {day}.", day=on.strftime("%d/%m/%Y")),
    )


def resolve_units(
    db: Database, procedure: ProcedureRead, ward_code: str | None, on: date
) -> tuple[str, str, str]:
    """(intake, processing, deciding) org units for a dossier of this procedure filed on `on`."""
    units = accounts.list_org_units(db, on=on)
    by_code = {u.code: u for u in units}
    if procedures.ward_receives(procedure, by_code):
        ward = _unit_for_ward(units, ward_code, on)
        return ward, ward, ward
    agency = by_code[procedure.agency_code]
    deciding = agency.parent_code if agency.parent_code in by_code else agency.code
    intake = next(
        (u.code for u in units if u.parent_code == deciding and u.code.endswith("-MOTCUA")), agency.code
    )
    return intake, agency.code, deciding


def _next_code(session: Session, pattern: str, unit: str, day: date) -> str:
    """The next dossier code of a unit and day: a counter row that only ever goes up."""
    scope = f"{unit}:{day.isoformat()}"
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(DossierCodeCounter).values(scope=scope, value=0).on_conflict_do_nothing())
    value = session.execute(
        update(DossierCodeCounter)
        .where(DossierCodeCounter.scope == scope)
        .values(value=DossierCodeCounter.value + 1)
        .returning(DossierCodeCounter.value)
    ).scalar_one()
    return pattern.format(unit=unit, yymmdd=day.strftime("%y%m%d"), yyyy=day.year, seq=value)


def screen_uploads(db: Database, actor: Actor, uploads: Sequence[Upload]) -> None:
    """Scan every file for malware before any is read further or stored (422 infected, 503 unscanned)."""
    for upload in uploads:
        intake = Intake(db, actor, "dossiers.attachment", field_name=f"attachments.{upload.document_code}")
        screen(intake, upload.content)


def _megabytes(config: DossierSettings) -> float:
    return round(config.max_attachment_bytes / 1_048_576, 1)


def _check_uploads(procedure: ProcedureRead, uploads: Sequence[Upload], config: DossierSettings) -> None:
    """Refuse (before anything is stored) files that are unknown, too big, of the wrong type or too many."""
    known = {d.code for d in procedure.required_documents}
    if len(uploads) > config.max_attachments:
        raise PayloadTooLarge(Phrase("Mỗi hồ sơ đính kèm tối đa {count} tệp.", count=config.max_attachments))
    for upload in uploads:
        field = f"attachments.{upload.document_code}"
        if upload.document_code not in known:
            raise ValidationFailed.for_field(field, "Giấy tờ này không thuộc thành phần hồ sơ của thủ tục.")
        if len(upload.content) > config.max_attachment_bytes:
            raise PayloadTooLarge(
                f"{upload.filename}: larger than {config.max_attachment_bytes} bytes",
                errors=[
                    {
                        "field": field,
                        "message": Phrase("Tệp quá lớn (tối đa {mb} MB).", mb=_megabytes(config)),
                    }
                ],
            )
        if not upload.content:
            raise ValidationFailed.for_field(field, "Tệp rỗng.")
        real = sniff_type(upload.content)
        if real is None or real not in config.allowed_types or upload.content_type.split(";")[0] != real:
            raise UnsupportedMediaType(
                f"{upload.filename}: only {', '.join(config.allowed_types)} are accepted, and the file "
                f"must be what it says it is",
                errors=[{"field": field, "message": WRONG_FILE_TYPE}],
            )


def _check_required(procedure: ProcedureRead, uploads: Sequence[Upload], paper: Sequence[str]) -> None:
    have = {u.document_code for u in uploads} | set(paper)
    missing = [d for d in procedure.required_documents if d.required and d.code not in have]
    if missing:
        raise ValidationFailed(
            "Required documents are missing: " + "; ".join(d.name for d in missing),
            errors=[{"field": f"attachments.{d.code}", "message": "Chưa đính kèm."} for d in missing],
        )


def _request_hash(data: DossierCreate, uploads: Sequence[Upload], channel: str) -> str:
    body = {
        "data": data.model_dump(mode="json"),
        "channel": channel,
        "files": sorted((u.document_code, hashlib.sha256(u.content).hexdigest()) for u in uploads),
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _existing(db: Database, actor: Actor, key: str) -> Dossier | None:
    with db.session() as s:
        return s.scalar(
            select(Dossier).where(Dossier.created_by == actor.label, Dossier.idempotency_key == key)
        )


def _timeline(
    session: Session,
    dossier: Dossier,
    action: str,
    from_state: int | None,
    actor: Actor,
    unit: str | None,
    note: str | None,
    at: datetime,
) -> None:
    session.add(
        DossierEvent(
            dossier_id=dossier.id,
            action=action,
            from_state=from_state,
            to_state=dossier.state,
            step=dossier.step,
            actor=actor.label,
            unit=unit,
            note=note,
            at=at,
        )
    )


def _snapshot(dossier: Dossier) -> dict[str, Any]:
    return {
        "state": dossier.state,
        "step": dossier.step,
        "due_date": str(dossier.due_date or ""),
        "processing_unit": dossier.processing_unit,
        "apology_due_date": str(dossier.apology_due_date or ""),
    }


def _normal_phone(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    return "0" + digits[2:] if digits.startswith("84") and len(digits) >= 11 else digits
