"""The one-stop shop's statistics page for those who oversee it: by procedure, field, unit or month, and
the same as XLSX."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from smartcity.accounts import service as accounts
from smartcity.core.errors import AppError
from smartcity.core.i18n import in_language
from smartcity.core.security import Actor
from smartcity.dossiers import ratings, service, stats
from smartcity.procedures import service as procedures
from smartcity.web.deps import get_db, get_settings, require_page_role
from smartcity.web.templating import render, request_locale

router = APIRouter(include_in_schema=False)
GROUP_WORDS = {
    "procedure": "thủ tục",
    "field": "lĩnh vực",
    "unit": "đơn vị",
    "month": "tháng",
    "all": "tổng hợp",
}
STATISTICS_ROLES = ("head", "leader", "operator", "admin")
# The statistics are the work of the units that handle dossiers (service.STAFF_UNITS): a school's head holds
# a role, but must not read the city's figures.
OversightPage = Annotated[
    Actor,
    Depends(require_page_role(*STATISTICS_ROLES, units=service.STAFF_UNITS, refusal=service.STAFF_REFUSAL)),
]


@router.get("/can-bo/thong-ke", response_class=HTMLResponse)
def statistics_page(
    request: Request,
    actor: OversightPage,
    by: Annotated[str, Query(pattern="^(procedure|field|unit|month|all)$")] = "field",
    xlsx: Annotated[bool, Query()] = False,
) -> Response:
    """Statistics by procedure, field, unit or month; the same as XLSX."""
    db = get_db(request)
    rows = stats.statistics(db, settings=get_settings(request), by=by)
    if xlsx:
        body = stats.statistics_xlsx(rows, title=f"Thống kê hồ sơ theo {GROUP_WORDS[by]}")
        return Response(
            body,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="thong-ke-{by}.xlsx"'},
        )
    english = request_locale(request) == "en"
    unit_names = _group_names(db, "unit", [], english)  # the satisfaction table's, and the rows' when by unit
    keys = [str(row["key"]) for row in rows]
    return render(
        request,
        "dossiers/stats.html",
        {
            "rows": rows,
            "by": by,
            "headers": stats.HEADERS_VI,
            "names": unit_names if by == "unit" else _group_names(db, by, keys, english),
            "satisfaction": ratings.summary(db, by="unit"),
            "unit_names": unit_names,
        },
    )


def _unit_name_with_end(unit: Any, english: bool) -> str:
    name = in_language(unit.name, unit.name_en, "en" if english else "vi")
    if not unit.valid_to:
        return str(name)
    return f"{name} ({'until' if english else 'đến'} {unit.valid_to.strftime('%d/%m/%Y')})"


def _group_names(db: Any, by: str, keys: list[str], english: bool = False) -> dict[str, str]:
    """The statistics' groups as people name them (units and fields in the page's language): units, fields and
    procedures by name, months as MM/YYYY."""
    if by == "unit":  # a unit of before the reorganisation says so: two wards may share a name
        return {unit.code: _unit_name_with_end(unit, english) for unit in accounts.list_org_units(db)}
    if by == "field":
        locale = "en" if english else "vi"
        return {str(f["code"]): procedures.field_name(f["name"], locale) for f in procedures.list_fields(db)}
    if by == "month":
        return {key: f"{key[5:7]}/{key[:4]}" for key in keys if len(key) == 7}
    if by == "all":
        return {key: "All" if english else "Tất cả" for key in keys}
    names = {}
    for key in keys:
        try:
            names[key] = procedures.get_procedure(db, key).name
        except AppError:
            continue
    return names
