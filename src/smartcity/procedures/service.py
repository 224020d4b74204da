"""Use cases of the procedures domain: the catalogue, its search, import and export."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from smartcity.accounts import service as accounts
from smartcity.accounts.schemas import OrgUnitRead
from smartcity.core.db import Database
from smartcity.core.errors import BadRequest, NotFound, UnsupportedMediaType, ValidationFailed
from smartcity.core.i18n import get_translations, in_language
from smartcity.core.security import Actor
from smartcity.core.sheets import xlsx
from smartcity.core.text import fold, search_terms
from smartcity.core.uow import UnitOfWork
from smartcity.procedures.catalogue import build_catalogue
from smartcity.procedures.events import CatalogueImported
from smartcity.procedures.models import Procedure
from smartcity.procedures.schemas import (
    ImportReport,
    ProcedureBase,
    ProcedurePage,
    ProcedureRead,
    ProcedureSummary,
)
from smartcity.procedures.workflows import Step as Step
from smartcity.procedures.workflows import template as template
from smartcity.procedures.workflows import workflow_names as workflow_names

COLUMNS = tuple(ProcedureBase.model_fields)
ProcedureQuery = Select[Procedure]
JSON_COLUMNS = ("fees", "required_documents", "form_schema", "result_schema")
BOOL_COLUMNS = ("interlinked", "is_placeholder", "active")
MAX_IMPORT_BYTES = 20 * 1024 * 1024


# ---------------------------------------------------------------- reads


def _same(words: str) -> str:
    return words


def processing_time(days: int, gettext: Callable[[str], str] = _same) -> str:
    """The time limit as a page and the site search word it: "trong ngày" for 0, else "N ngày làm việc";
    `gettext` translates the words (a page's `_`)."""
    if days == 0:
        return gettext("trong ngày")
    return f"{days} {gettext('ngày làm việc')}"


def _fee_total(procedure: Procedure) -> int:
    return sum(int(fee.get("amount_vnd", 0)) for fee in procedure.fees or [])


def _read(procedure: Procedure) -> ProcedureRead:
    read = ProcedureRead.model_validate(procedure)
    read.fee_total_vnd = _fee_total(procedure)
    read.online = procedure.level >= 3
    return read


def _summary(procedure: Procedure) -> ProcedureSummary:
    summary = ProcedureSummary.model_validate(procedure)
    summary.fee_total_vnd = _fee_total(procedure)
    return summary


def get_procedure(db: Database, code: str) -> ProcedureRead:
    """The procedure with this code; NotFound otherwise."""
    with db.session() as s:
        procedure = s.scalar(select(Procedure).where(Procedure.code == code))
        if procedure is None:
            raise NotFound(f"No procedure with code {code!r}")
        return _read(procedure)


def list_procedures(
    db: Database,
    *,
    q: str | None = None,
    level: int | None = None,
    field: str | None = None,
    agency: str | None = None,
    online_scope: str | None = None,
    full_only: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> ProcedurePage:
    """Active procedures matching a search (with or without diacritics) and filters, with the total."""
    query: ProcedureQuery = select(Procedure).where(Procedure.active.is_(True))
    if level is not None:
        query = query.where(Procedure.level == level)
    if field:
        query = query.where((Procedure.field_code == field) | (Procedure.field == field))
    if agency:
        query = query.where(Procedure.agency_code == agency)
    if online_scope:
        query = query.where(Procedure.online_scope == online_scope)
    if full_only:
        query = query.where(Procedure.is_placeholder.is_(False))
    with db.session() as s:
        query, total = _matching(s, query, q or "")
        rows = s.scalars(
            query.order_by(Procedure.is_placeholder, Procedure.field_code, Procedure.code)
            .limit(limit)
            .offset(offset)
        )
        return ProcedurePage(items=[_summary(p) for p in rows], total=total, limit=limit, offset=offset)


def _count(session: Session, query: ProcedureQuery) -> int:
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def _matching(session: Session, query: ProcedureQuery, q: str) -> tuple[ProcedureQuery, int]:
    """Narrow by the search: the whole phrase if anything contains it, else every word anywhere."""
    terms = search_terms(q)
    if not terms:
        return query, _count(session, query)
    phrase = query.where(Procedure.search_text.contains(" ".join(terms), autoescape=True))
    total = _count(session, phrase)
    if total or len(terms) == 1:
        return phrase, total
    for term in terms:
        query = query.where(Procedure.search_text.contains(term, autoescape=True))
    return query, _count(session, query)


def list_fields(db: Database) -> list[dict[str, Any]]:
    """The fields (lĩnh vực) of the active catalogue with their procedure counts."""
    query = (
        select(Procedure.field_code, Procedure.field, func.count())
        .where(Procedure.active.is_(True))
        .group_by(Procedure.field_code, Procedure.field)
        .order_by(Procedure.field)
    )
    with db.session() as s:
        return [{"code": c, "name": n, "count": k} for c, n, k in s.execute(query)]


def field_name(name: str, locale: str) -> str:
    """A field's name in the page's language (its English is a msgid of the procedures catalogue)."""
    return str(get_translations(locale, "procedures").pgettext("lĩnh vực thủ tục", name))


def list_agencies(db: Database) -> list[dict[str, Any]]:
    """The deciding agencies of the active catalogue with their procedure counts (WARD = ward committees)."""
    query = (
        select(Procedure.agency_code, func.count())
        .where(Procedure.active.is_(True))
        .group_by(Procedure.agency_code)
        .order_by(Procedure.agency_code)
    )
    with db.session() as s:
        return [{"code": c, "count": k} for c, k in s.execute(query)]


def agency_names(db: Database, codes: Iterable[str], locale: str = "vi") -> dict[str, str]:
    """The names of these deciding agencies (org units, active or not; English where asked and known).

    WARD (each ward's people's committee) and codes no org unit has are left out: the page words those."""
    names: dict[str, str] = {}
    for code in set(codes) - {"WARD"}:
        unit = accounts.get_org_unit(db, code)
        if unit is not None:
            names[code] = in_language(unit.name, unit.name_en, locale)
    return names


def ward_receives(procedure: ProcedureRead, units_in_office: Collection[str]) -> bool:
    """Whether the ward the applicant chooses receives a dossier of this procedure: the ward's own procedure,
    or one whose agency is not in office (the city's departments since the 2025 reorganisation)."""
    return procedure.agency_code == "WARD" or procedure.agency_code not in units_in_office


@dataclass(frozen=True)
class Handling:
    """Who handles a procedure on a day: the applicant's ward, or an agency by name; and, where the ward took
    it over from an agency that left office, that agency's name and last day."""

    by_ward: bool
    name: str | None = None
    formerly: str | None = None
    formerly_until: date | None = None


def handling(db: Database, procedure: ProcedureRead, *, on: date, locale: str = "vi") -> Handling:
    """Who handles the procedure on `on`, by the rule that routes its dossiers (`ward_receives`)."""
    in_office = {u.code for u in accounts.list_org_units(db, on=on)}
    unit = None if procedure.agency_code == "WARD" else accounts.get_org_unit(db, procedure.agency_code)
    if not ward_receives(procedure, in_office):
        return Handling(by_ward=False, name=_unit_name(db, unit, locale) if unit else None)
    if unit is None:
        return Handling(by_ward=True)
    return Handling(by_ward=True, formerly=_unit_name(db, unit, locale), formerly_until=unit.valid_to)


def _unit_name(db: Database, unit: OrgUnitRead, locale: str) -> str:
    """A unit's name with its committee's where it is a department ("Phòng Tư pháp, Ủy ban nhân dân thành
    phố Thủ Dầu Một"): a department's name alone does not say whose it is."""
    name = in_language(unit.name, unit.name_en, locale)
    parent = accounts.get_org_unit(db, unit.parent_code) if unit.parent_code else None
    return f"{name}, {in_language(parent.name, parent.name_en, locale)}" if parent else name


def level_counts(db: Database) -> dict[int, int]:
    """How many active procedures are at each online level."""
    query = select(Procedure.level, func.count()).where(Procedure.active.is_(True)).group_by(Procedure.level)
    with db.session() as s:
        return {int(level): int(count) for level, count in s.execute(query)}


def completeness_counts(db: Database) -> dict[str, int]:
    """How many active procedures have a full definition and how many are still placeholders."""
    query = (
        select(Procedure.is_placeholder, func.count())
        .where(Procedure.active.is_(True))
        .group_by(Procedure.is_placeholder)
    )
    with db.session() as s:
        counts = {bool(placeholder): int(count) for placeholder, count in s.execute(query)}
    return {"full": counts.get(False, 0), "placeholder": counts.get(True, 0)}


# ---------------------------------------------------------------- writes


def _search_text(record: ProcedureBase) -> str:
    return fold(" ".join([record.code, record.name, record.name_en or "", record.field]))


def _values(record: ProcedureBase) -> dict[str, Any]:
    values = record.model_dump(mode="json")
    values["search_text"] = _search_text(record)
    return values


def _snapshot(procedure: Procedure) -> dict[str, Any]:
    return {column: getattr(procedure, column) for column in COLUMNS}


def _validated(records: Iterable[dict[str, Any]]) -> list[ProcedureBase]:
    valid, errors = [], []
    seen: set[str] = set()
    for row, raw in enumerate(records, start=1):
        try:
            record = ProcedureBase.model_validate(raw)
        except ValidationError as exc:
            errors += [
                {"field": f"row {row}." + ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
                for e in exc.errors()
            ]
            continue
        if record.code in seen:
            errors.append({"field": f"row {row}.code", "message": f"duplicate code {record.code}"})
        seen.add(record.code)
        valid.append(record)
    if errors:
        raise ValidationFailed(f"{len(errors)} problems in the catalogue; nothing imported", errors=errors)
    return valid


def _upsert_one(session: Session, uow: UnitOfWork, record: ProcedureBase, report: ImportReport) -> None:
    values = _values(record)
    procedure = session.scalar(select(Procedure).where(Procedure.code == record.code))
    if procedure is None:
        procedure = Procedure(**values)
        session.add(procedure)
        session.flush()
        uow.audit("procedure.created", "procedure", record.code, after=_snapshot(procedure))
        report.created += 1
        return
    before = _snapshot(procedure)
    if all(getattr(procedure, key) == value for key, value in values.items()):
        report.unchanged += 1
        return
    for key, value in values.items():
        setattr(procedure, key, value)
    uow.audit("procedure.updated", "procedure", record.code, before=before, after=_snapshot(procedure))
    report.updated += 1


def upsert_procedures(
    db: Database, *, actor: Actor, records: Iterable[dict[str, Any]], source: str = "api"
) -> ImportReport:
    """Create or update procedures by code, all or nothing (422 naming each bad row and field)."""
    valid = _validated(records)
    report = ImportReport()
    with UnitOfWork(db, actor) as uow:
        for record in valid:
            _upsert_one(uow.session, uow, record, report)
        uow.publish(
            CatalogueImported(
                source=source, created=report.created, updated=report.updated, unchanged=report.unchanged
            )
        )
    return report


def load_city_catalogue(db: Database, *, actor: Actor, pack: str = "thu-dau-mot") -> ImportReport:
    """Load (or reload) the catalogue the city pack ships; safe to run again."""
    try:
        records = build_catalogue(pack)
    except FileNotFoundError as exc:
        raise NotFound(str(exc)) from exc
    return upsert_procedures(db, actor=actor, records=records, source=f"pack:{pack}")


# ---------------------------------------------------------------- import and export


def _all_records(db: Database) -> list[dict[str, Any]]:
    with db.session() as s:
        rows = s.scalars(select(Procedure).order_by(Procedure.code))
        return [ProcedureBase.model_validate(_snapshot(p)).model_dump(mode="json") for p in rows]


def _cell(column: str, value: Any) -> Any:
    if column in JSON_COLUMNS:
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return ""
    return value


def export_catalogue(db: Database, *, fmt: str = "xlsx") -> bytes:
    """The whole catalogue as XLSX or CSV (UTF-8), one procedure a row, nested values as JSON."""
    rows = [[_cell(c, record[c]) for c in COLUMNS] for record in _all_records(db)]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
        return buffer.getvalue().encode("utf-8-sig")
    if fmt != "xlsx":
        raise BadRequest("The export format must be xlsx or csv")
    return xlsx([COLUMNS, *rows], title="Thủ tục hành chính")


def _parse_value(column: str, value: Any, row: int) -> Any:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    if column in JSON_COLUMNS and isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValidationFailed.for_field(f"row {row}.{column}", f"not valid JSON: {exc.msg}") from exc
    if column in BOOL_COLUMNS and isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "x", "có")
    return value


def _rows_to_records(header: list[Any], rows: Iterable[list[Any]]) -> list[dict[str, Any]]:
    names = [str(h).strip() if h is not None else "" for h in header]
    missing = {
        "code",
        "name",
        "field",
        "field_code",
        "level",
        "processing_days",
        "agency_code",
        "result_type",
        "workflow",
    } - set(names)
    if missing:
        raise ValidationFailed(
            f"Missing columns: {', '.join(sorted(missing))}",
            errors=[{"field": m, "message": "column missing"} for m in sorted(missing)],
        )
    records = []
    for row_number, row in enumerate(rows, start=1):
        if not any(v not in (None, "") for v in row):
            continue
        record = {}
        for name, value in zip(names, row, strict=False):
            if name in COLUMNS:
                parsed = _parse_value(name, value, row_number)
                if parsed is not None:
                    record[name] = parsed
        records.append(record)
    return records


def parse_catalogue(filename: str, content: bytes) -> list[dict[str, Any]]:
    """Read a catalogue file (.xlsx or .csv) into procedure dicts; nothing is stored."""
    if len(content) > MAX_IMPORT_BYTES:
        raise BadRequest(f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB")
    lower = filename.lower()
    if lower.endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise BadRequest("A CSV catalogue must be UTF-8") from exc
        rows = list(csv.reader(io.StringIO(text)))
        if not rows:
            raise BadRequest("The file is empty")
        return _rows_to_records(rows[0], rows[1:])
    if lower.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise BadRequest(f"The file is not a readable XLSX workbook ({type(exc).__name__})") from exc
        sheet = workbook.worksheets[0]
        table = [list(r) for r in sheet.iter_rows(values_only=True)]
        if not table:
            raise BadRequest("The workbook is empty")
        return _rows_to_records(table[0], table[1:])
    raise UnsupportedMediaType("Import a .xlsx or .csv file")


def import_catalogue(db: Database, *, actor: Actor, filename: str, content: bytes) -> ImportReport:
    """Import a catalogue file: every row valid or nothing stored."""
    return upsert_procedures(db, actor=actor, records=parse_catalogue(filename, content), source=filename)
