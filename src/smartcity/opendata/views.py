"""Pages of the open-data catalogue: the list with search and filters, a page per dataset, downloads."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from smartcity.core.datasets import Column
from smartcity.core.i18n import written_in_vietnamese
from smartcity.core.text import matches
from smartcity.opendata import service
from smartcity.opendata.ckan import THEMES
from smartcity.web.deps import DbDep, SettingsDep
from smartcity.web.templating import render, request_locale

router = APIRouter(include_in_schema=False)
PUBLIC_LINKS = ({"label": "Dữ liệu mở", "href": "/du-lieu-mo"},)
FREQUENCY_NAMES = {
    "daily": "Hằng ngày",
    "weekly": "Hằng tuần",
    "monthly": "Hằng tháng",
    "quarterly": "Hằng quý",
    "annual": "Hằng năm",
    "irregular": "Không định kỳ",
}


# An ISO month ("2024-12") or day ("2024-12-05") written alone in a text column, and nothing else.
ISO_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def preview_cell(column: Column, text: str) -> Any:
    """A CSV cell as the page writes it: integer and number columns as numbers, date columns as dates
    (the page formats them the Vietnamese way); in a text column, a cell that is exactly an ISO month as
    "12/2024" and exactly an ISO day as a date; the text itself when it is not what the column declares.
    The files keep ISO dates and plain numbers."""
    if text == "":
        return ""
    try:
        if column.type == "integer":
            return int(text)
        if column.type == "number":
            return Decimal(text)
        if column.type == "date":
            return date.fromisoformat(text[:10])
        if column.type == "string":
            if month := ISO_MONTH.fullmatch(text):
                return f"{month[2]}/{month[1]}"
            if ISO_DAY.fullmatch(text):
                return date.fromisoformat(text)
    except (ValueError, InvalidOperation):
        return text
    return text


def keywords_in_language(keywords: Iterable[str], locale: str) -> list[str]:
    """The keywords a page in `locale` shows: on a Vietnamese page those written in Vietnamese (with its
    letters), on an English page those without; codes with no small letters ("AQI", "1022", "TTHC") on
    both. The catalogue's files and APIs keep every keyword."""
    shown = []
    for keyword in keywords:
        vietnamese = written_in_vietnamese(keyword)
        code = keyword == keyword.upper() and not vietnamese
        if code or vietnamese == (locale != "en"):
            shown.append(keyword)
    return shown


def _publisher_names(settings: Any, infos: list[Any], locale: str) -> dict[str, str]:
    """The publishers' names in the page's language, by slug."""
    return {i.publisher: service.publisher_name(settings, i.publisher, locale) for i in infos}


@router.get("/du-lieu-mo", response_class=HTMLResponse)
def catalogue_page(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    q: Annotated[str, Query(max_length=200)] = "",
    theme: Annotated[str, Query(max_length=10)] = "",
) -> HTMLResponse:
    """Every dataset, searchable without diacritics and filtered by theme."""
    base = settings.public_url(str(request.base_url))
    infos = service.catalogue(db, settings, base)
    used_themes = sorted({t for i in infos for t in i.themes})
    found = [
        i
        for i in infos
        if (not theme or theme in i.themes)
        and matches(" ".join([i.title_vi, i.title_en, i.description_vi, *i.keywords]), q)
    ]
    return render(
        request,
        "opendata/list.html",
        {
            "datasets": found,
            "publisher_names": _publisher_names(settings, infos, request_locale(request)),
            "total": len(infos),
            "q": q,
            "theme": theme,
            "themes": [(code, THEMES.get(code, (code, code))) for code in used_themes],
            "theme_names": THEMES,
            "frequency_names": FREQUENCY_NAMES,
        },
    )


@router.get("/du-lieu-mo/tai-ve/{resource_id}")
def download(resource_id: str, db: DbDep, settings: SettingsDep) -> Response:
    """A resource file (CSV, XLSX, GeoJSON) as last generated; counted as a download of its dataset."""
    content, media_type, filename = service.resource_file(db, settings, resource_id)
    dataset, _fmt = service.split_resource_id(resource_id)
    service.record_use(db, dataset=dataset.name, kind="download")
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(content, media_type=media_type, headers=headers)


@router.get("/du-lieu-mo/{name}", response_class=HTMLResponse)
def dataset_page(request: Request, name: str, db: DbDep, settings: SettingsDep) -> HTMLResponse:
    """One dataset: what it is, who publishes it, licence, coverage, resources and a preview."""
    base = settings.public_url(str(request.base_url))
    dataset, texts = service.preview(db, settings, name)
    rows = [
        [preview_cell(column, text) for column, text in zip(dataset.columns, row, strict=False)]
        for row in texts
    ]
    info = service.dataset_info(db, settings, dataset, base)
    usage = service.usage_counts(db).get(name, {"download": 0, "api": 0})
    return render(
        request,
        "opendata/dataset.html",
        {
            "info": info,
            "keywords": keywords_in_language(info.keywords, request_locale(request)),
            "publisher_names": _publisher_names(settings, [info], request_locale(request)),
            "dataset": dataset,
            "rows": rows,
            "usage": usage,
            "theme_names": THEMES,
            "frequency_names": FREQUENCY_NAMES,
            "base_url": base,
        },
    )
