"""CKAN's Action API (read side) over the catalogue, so that CKAN clients and harvesters work unchanged.

Served at /ckan/api/3/action/{action} and /ckan/api/action/{action}, by GET with query parameters and by
POST with a JSON body, with CKAN's envelope `{"help", "success", "result"}` and its errors: 404
`Not Found Error`, 409 `Validation Error` (a list of messages per field), 400 `Search Query Error`, and
400 with a bare JSON string for an unknown action or a body that is not a JSON object (as CKAN answers).
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from smartcity import __version__
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.errors import NotFound, found_or_404
from smartcity.core.text import fold, matches
from smartcity.opendata import service
from smartcity.opendata.config import OpendataSettings
from smartcity.opendata.schemas import DatasetInfo, ResourceInfo
from smartcity.web.deps import DbDep, SettingsDep

router = APIRouter(tags=["CKAN Action API"])
CKAN_COMPATIBLE_VERSION = "2.10.0"
MAX_ROWS = 1000
THEMES = {
    "AGRI": ("Nông nghiệp, thủy sản, lâm nghiệp và thực phẩm", "Agriculture, fisheries, forestry and food"),
    "ECON": ("Kinh tế và tài chính", "Economy and finance"),
    "EDUC": ("Giáo dục, văn hóa và thể thao", "Education, culture and sport"),
    "ENER": ("Năng lượng", "Energy"),
    "ENVI": ("Môi trường", "Environment"),
    "GOVE": ("Chính quyền và khu vực công", "Government and public sector"),
    "HEAL": ("Y tế", "Health"),
    "INTR": ("Các vấn đề quốc tế", "International issues"),
    "JUST": ("Tư pháp, hệ thống pháp luật và an toàn công cộng", "Justice, legal system and public safety"),
    "REGI": ("Vùng và đô thị", "Regions and cities"),
    "SOCI": ("Dân số và xã hội", "Population and society"),
    "TECH": ("Khoa học và công nghệ", "Science and technology"),
    "TRAN": ("Giao thông", "Transport"),
}
LICENCES = {
    "CC-BY-4.0": ("Creative Commons Attribution 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    "CC0-1.0": ("Creative Commons CCZero", "https://creativecommons.org/publicdomain/zero/1.0/"),
    "ODC-BY-1.0": ("Open Data Commons Attribution License", "https://opendatacommons.org/licenses/by/1-0/"),
}
FQ_FIELDS = ("tags", "organization", "groups", "res_format", "license_id", "name", "frequency")
FACET_FIELDS = ("organization", "groups", "tags", "res_format", "license_id")
SORT_FIELDS = ("score", "name", "title_string", "metadata_modified", "metadata_created")
_TERM = re.compile(r'([+-]?)(\w[\w.]*):("([^"]*)"|\S+)')


class ValidationError(Exception):
    """CKAN's Validation Error: messages per field (409)."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


class SearchQueryError(Exception):
    """CKAN's Search Query Error (400)."""


@dataclass(frozen=True)
class Call:
    """One action call: its data dict, the database, settings and the public address (ends with '/')."""

    data: dict[str, Any]
    db: Database
    settings: Settings
    base_url: str


# --- dictisation -------------------------------------------------------------------------------------


def package_id(name: str) -> str:
    """The stable UUID of a dataset (CKAN's package id)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"smartcity:opendata:dataset:{name}"))


def organization_id(slug: str) -> str:
    """The stable UUID of an organisation."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"smartcity:opendata:organization:{slug}"))


def _iso(value: Any) -> str | None:
    return value.replace(tzinfo=None).isoformat() if value is not None else None


def organization_dict(settings: Settings, slug: str, count: int | None = None) -> dict[str, Any]:
    """An organisation as CKAN describes it."""
    result = {
        "id": organization_id(slug),
        "name": slug,
        "title": service.publisher_name(settings, slug),
        "display_name": service.publisher_name(settings, slug),
        "description": "",
        "image_url": "",
        "is_organization": True,
        "type": "organization",
        "state": "active",
        "approval_status": "approved",
    }
    if count is not None:
        result["package_count"] = count
    return result


def group_dict(code: str, count: int | None = None) -> dict[str, Any]:
    """A theme (EU data theme) as a CKAN group."""
    title_vi, title_en = THEMES.get(code, (code, code))
    result = {
        "id": code.lower(),
        "name": code.lower(),
        "title": title_vi,
        "display_name": title_vi,
        "description": title_en,
        "image_url": "",
        "is_organization": False,
        "type": "group",
        "state": "active",
        "approval_status": "approved",
    }
    if count is not None:
        result["package_count"] = count
    return result


def resource_dict(info: DatasetInfo, resource: ResourceInfo, position: int) -> dict[str, Any]:
    """A resource as CKAN describes it."""
    return {
        "id": resource.id,
        "package_id": package_id(info.name),
        "name": resource.name_vi,
        "description": resource.name_en,
        "format": resource.format,
        "mimetype": resource.media_type,
        "url": resource.url,
        "url_type": None,
        "size": resource.size,
        "position": position,
        "state": "active",
        "created": _iso(resource.generated_at),
        "last_modified": _iso(resource.generated_at),
        "datastore_active": False,
    }


def _tag(keyword: str) -> dict[str, Any]:
    return {"id": keyword, "name": keyword, "display_name": keyword, "state": "active", "vocabulary_id": None}


def package_dict(settings: Settings, info: DatasetInfo) -> dict[str, Any]:
    """A dataset as CKAN's package_show returns it."""
    licence_title, licence_url = LICENCES.get(info.licence, (info.licence, ""))
    start, end = info.temporal
    section = settings.section(OpendataSettings)
    return {
        "id": package_id(info.name),
        "name": info.name,
        "title": info.title_vi,
        "notes": info.description_vi,
        "url": info.landing_page,
        "type": "dataset",
        "state": "active",
        "private": False,
        "isopen": True,
        "version": None,
        "author": info.publisher_name,
        "author_email": None,
        "maintainer": section.contact_name,
        "maintainer_email": section.contact_email,
        "license_id": info.licence,
        "license_title": licence_title,
        "license_url": licence_url,
        "metadata_created": _iso(info.modified),
        "metadata_modified": _iso(info.modified),
        "owner_org": organization_id(info.publisher),
        "organization": organization_dict(settings, info.publisher),
        "groups": [group_dict(code) for code in info.themes],
        "tags": [_tag(k) for k in info.keywords],
        "num_tags": len(info.keywords),
        "resources": [resource_dict(info, r, i) for i, r in enumerate(info.resources)],
        "num_resources": len(info.resources),
        "relationships_as_object": [],
        "relationships_as_subject": [],
        "extras": [
            {"key": "title_en", "value": info.title_en},
            {"key": "notes_en", "value": info.description_en},
            {"key": "frequency", "value": info.frequency},
            {"key": "temporal_start", "value": start.isoformat() if start else ""},
            {"key": "temporal_end", "value": end.isoformat() if end else ""},
            {"key": "spatial", "value": json.dumps(_bbox_polygon(service.spatial_box(section)))},
            {"key": "spatial_text", "value": section.spatial_name},
            {
                "key": "dcat_ap",
                "value": f"{info.landing_page.replace('/du-lieu-mo/', '/opendata/dataset/')}.ttl",
            },
        ],
    }


def _bbox_polygon(box: tuple[float, float, float, float]) -> dict[str, Any]:
    w, s, e, n = box
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


# --- parameters --------------------------------------------------------------------------------------


def _integer(data: dict[str, Any], name: str, default: int, low: int, high: int | None = None) -> int:
    value = data.get(name, default)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError({name: ["Invalid integer"]}) from None
    if number < low or (high is not None and number > high):
        limit = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValidationError({name: [f"Must be {limit}"]})
    return number


def _required(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise ValidationError({name: ["Missing value"]})
    return value


def _bool(data: dict[str, Any], name: str) -> bool:
    value = data.get(name, False)
    return value is True or str(value).lower() in ("true", "1", "yes")


def _list_param(value: Any, name: str) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        raise ValidationError({name: ["Must be a JSON list"]}) from None
    if not isinstance(parsed, list):
        raise ValidationError({name: ["Must be a JSON list"]})
    return [str(v) for v in parsed]


# --- search ------------------------------------------------------------------------------------------


def _field_values(info: DatasetInfo, field: str) -> list[str]:
    values: dict[str, list[str]] = {
        "tags": list(info.keywords),
        "organization": [info.publisher],
        "groups": [t.lower() for t in info.themes],
        "res_format": [r.format for r in info.resources],
        "license_id": [info.licence],
        "name": [info.name],
        "frequency": [info.frequency],
    }
    return values[field]


def _filters(text: str) -> tuple[list[tuple[bool, str, str]], str]:
    """The `field:value` terms of a query (negated or not) and the free text left."""
    terms = []
    for sign, field, _raw, quoted in (m.groups() for m in _TERM.finditer(text)):
        if field not in FQ_FIELDS:
            raise SearchQueryError(f"Unknown field {field!r}; one of {', '.join(FQ_FIELDS)}")
        value = quoted if quoted is not None else _raw
        terms.append((sign == "-", field, value))
    rest = _TERM.sub(" ", text).replace(" AND ", " ").replace("*:*", " ")
    return terms, " ".join(w for w in rest.split() if w not in ("AND", "+"))


def _passes(info: DatasetInfo, terms: list[tuple[bool, str, str]]) -> bool:
    for negated, field, value in terms:
        found = value.lower() in (v.lower() for v in _field_values(info, field))
        if found == negated:
            return False
    return True


def _text_of(info: DatasetInfo) -> str:
    return " ".join(
        [info.name, info.title_vi, info.title_en, info.description_vi, info.description_en, *info.keywords]
    )


def _sorter(sort: str) -> list[tuple[str, bool]]:
    keys = []
    for part in (p.strip() for p in sort.split(",") if p.strip()):
        field, _, direction = part.partition(" ")
        direction = direction.strip().lower() or "asc"
        if field not in SORT_FIELDS or direction not in ("asc", "desc"):
            raise ValidationError({"sort": [f"Cannot sort by {part!r}"]})
        keys.append((field, direction == "desc"))
    return keys


def _score(info: DatasetInfo, text: str) -> float:
    """Relevance: query words in the title count double, in the keywords once, plus the share of the
    Vietnamese title the query covers (a short title that is mostly the query ranks first)."""
    words = fold(text).split()
    title, keywords = fold(f"{info.title_vi} {info.title_en}"), fold(" ".join(info.keywords))
    found = sum(2.0 * (w in title) + (w in keywords) for w in words)
    title_vi = fold(info.title_vi).split()
    return found + sum(w in words for w in title_vi) / max(len(title_vi), 1)


def _sorted(items: list[DatasetInfo], sort: str, text: str) -> list[DatasetInfo]:
    for field, descending in reversed(_sorter(sort)):
        key: Callable[[DatasetInfo], Any] = {
            "score": lambda i: _score(i, text),
            "name": lambda i: i.name,
            "title_string": lambda i: i.title_vi.lower(),
            "metadata_modified": lambda i: _iso(i.modified) or "",
            "metadata_created": lambda i: _iso(i.modified) or "",
        }[field]
        items = sorted(items, key=key, reverse=descending)
    return items


def _facets(items: list[DatasetInfo], fields: list[str], limit: int, settings: Settings) -> tuple[dict, dict]:
    facets: dict[str, dict[str, int]] = {}
    search_facets: dict[str, Any] = {}
    for field in fields:
        if field not in FACET_FIELDS:
            raise SearchQueryError(f"Cannot facet on {field!r}; one of {', '.join(FACET_FIELDS)}")
        counts = Counter(v for info in items for v in dict.fromkeys(_field_values(info, field)))
        ranked = counts.most_common(None if limit < 0 else limit)
        facets[field] = dict(ranked)
        search_facets[field] = {
            "title": field,
            "items": [
                {"name": k, "display_name": _display(field, k, settings), "count": n} for k, n in ranked
            ],
        }
    return facets, search_facets


def _display(field: str, value: str, settings: Settings) -> str:
    if field == "organization":
        return service.publisher_name(settings, value)
    if field == "groups":
        return THEMES.get(value.upper(), (value,))[0]
    return value


# --- actions -----------------------------------------------------------------------------------------


def _infos(call: Call) -> list[DatasetInfo]:
    return service.catalogue(call.db, call.settings, call.base_url)


def _find(call: Call, ident: str) -> DatasetInfo:
    for dataset in service.all_datasets():
        if ident in (dataset.name, package_id(dataset.name)):
            return service.dataset_info(call.db, call.settings, dataset, call.base_url)
    raise NotFound(f"Dataset {ident!r}")


def status_show(call: Call) -> dict[str, Any]:
    """The site and the CKAN API version it is compatible with."""
    section = call.settings.section(OpendataSettings)
    return {
        "site_title": section.title_vi,
        "site_description": section.description_vi,
        "site_url": call.base_url.rstrip("/"),
        "ckan_version": CKAN_COMPATIBLE_VERSION,
        "smartcity_version": __version__,
        "error_emails_to": None,
        "locale_default": "vi",
        "extensions": ["dcat"],
    }


def package_list(call: Call) -> list[str]:
    """The names of all datasets, in order (limit, offset)."""
    names = sorted(d.name for d in service.all_datasets())
    offset = _integer(call.data, "offset", 0, 0)
    limit = _integer(call.data, "limit", len(names), 0)
    return names[offset : offset + limit]


def package_show(call: Call) -> dict[str, Any]:
    """One dataset by name or id."""
    info = _find(call, _required(call.data, "id"))
    service.record_use(call.db, dataset=info.name, kind="api")
    return package_dict(call.settings, info)


def package_search(call: Call) -> dict[str, Any]:
    """Datasets matching q and fq (field:value terms; free text without diacritics), sorted, paged."""
    rows = _integer(call.data, "rows", 10, 0, MAX_ROWS)
    start = _integer(call.data, "start", 0, 0)
    sort = str(call.data.get("sort") or "score desc, metadata_modified desc")
    q_terms, text = _filters(str(call.data.get("q") or ""))
    fq_terms, fq_text = _filters(str(call.data.get("fq") or ""))
    if fq_text.strip():
        raise SearchQueryError(f"fq takes field:value terms only, not {fq_text.strip()!r}")
    found = [i for i in _infos(call) if _passes(i, q_terms + fq_terms) and matches(_text_of(i), text)]
    found = _sorted(found, sort, text)
    facet_fields = _list_param(call.data.get("facet.field"), "facet.field")
    limit = _integer(call.data, "facet.limit", 50, -1)
    facets, search_facets = _facets(found, facet_fields, limit, call.settings)
    return {
        "count": len(found),
        "sort": sort,
        "results": [package_dict(call.settings, i) for i in found[start : start + rows]],
        "facets": facets,
        "search_facets": search_facets,
    }


def _publishers() -> Counter[str]:
    return Counter(d.publisher for d in service.all_datasets())


def organization_list(call: Call) -> list[Any]:
    """The publishing organisations (names, or dicts with all_fields)."""
    counts = _publishers()
    if _bool(call.data, "all_fields"):
        return [organization_dict(call.settings, slug, counts[slug]) for slug in sorted(counts)]
    return sorted(counts)


def organization_show(call: Call) -> dict[str, Any]:
    """One organisation by name or id, with its datasets when include_datasets."""
    ident = _required(call.data, "id")
    for slug, count in _publishers().items():
        if ident in (slug, organization_id(slug)):
            result = organization_dict(call.settings, slug, count)
            if _bool(call.data, "include_datasets"):
                infos = [i for i in _infos(call) if i.publisher == slug]
                result["packages"] = [package_dict(call.settings, i) for i in infos]
            return result
    raise NotFound(f"Organization {ident!r}")


def group_list(call: Call) -> list[Any]:
    """The themes in use, as CKAN groups (names, or dicts with all_fields)."""
    counts = Counter(t for d in service.all_datasets() for t in d.themes)
    if _bool(call.data, "all_fields"):
        return [group_dict(code, counts[code]) for code in sorted(counts)]
    return sorted(code.lower() for code in counts)


def tag_list(call: Call) -> list[Any]:
    """Every keyword in use (filtered by `query`, a prefix or part, without diacritics)."""
    tags = sorted({k for d in service.all_datasets() for k in d.keywords})
    query = str(call.data.get("query") or call.data.get("q") or "")
    tags = [t for t in tags if matches(t, query)]
    if _bool(call.data, "all_fields"):
        return [_tag(t) for t in tags]
    return tags


def resource_show(call: Call) -> dict[str, Any]:
    """One resource by id."""
    ident = _required(call.data, "id")
    dataset, _fmt = service.split_resource_id(ident)
    info = service.dataset_info(call.db, call.settings, dataset, call.base_url)
    for position, resource in enumerate(info.resources):
        if resource.id == ident:
            service.record_use(call.db, dataset=info.name, kind="api")
            return resource_dict(info, resource, position)
    raise NotFound(f"Resource {ident!r}")


def current_package_list_with_resources(call: Call) -> list[dict[str, Any]]:
    """Datasets with their resources, most recently modified first (limit, offset)."""
    infos = sorted(_infos(call), key=lambda i: _iso(i.modified) or "", reverse=True)
    offset = _integer(call.data, "offset", 0, 0)
    limit = _integer(call.data, "limit", len(infos), 0)
    return [package_dict(call.settings, i) for i in infos[offset : offset + limit]]


def help_show(call: Call) -> str:
    """What an action does (the address every answer's `help` points to)."""
    name = _required(call.data, "name")
    function = found_or_404(ACTIONS.get(name), f"Action {name!r}")
    return function.__doc__ or ""


ACTIONS: dict[str, Callable[[Call], Any]] = {
    "help_show": help_show,
    "status_show": status_show,
    "package_list": package_list,
    "package_show": package_show,
    "package_search": package_search,
    "organization_list": organization_list,
    "organization_show": organization_show,
    "group_list": group_list,
    "tag_list": tag_list,
    "resource_show": resource_show,
    "current_package_list_with_resources": current_package_list_with_resources,
}


# --- HTTP --------------------------------------------------------------------------------------------


def _answer(status: int, body: Any) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type="application/json;charset=utf-8")


async def _request_data(request: Request) -> dict[str, Any] | str:
    """The data dict of a call (query parameters for GET, a JSON object for POST), or an error text."""
    if request.method == "GET":
        data: dict[str, Any] = {}
        for key, value in request.query_params.multi_items():
            data[key] = (
                [*data[key], value]
                if key in data and isinstance(data[key], list)
                else ([data[key], value] if key in data else value)
            )
        return data
    body = await request.body()
    if not body.strip():
        return {}
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = await request.form()
        return {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        parsed = json.loads(body)
    except ValueError as exc:
        return f"Bad request - JSON Error: {exc}"
    if not isinstance(parsed, dict):
        return (
            "Bad request - Bad request data: "
            f"Request data JSON decoded to {parsed!r} but it needs to be a dictionary."
        )
    return parsed


async def _handle(
    request: Request, action: str, db: Database, settings: Settings, version: str
) -> JSONResponse:
    function = ACTIONS.get(action)
    if function is None:
        return _answer(400, f"Bad request - Action name not known: {action}")
    base_url = settings.public_url(str(request.base_url))
    envelope: dict[str, Any] = {"help": f"{base_url}ckan/api/{version}action/help_show?name={action}"}
    data = await _request_data(request)
    if isinstance(data, str):
        return _answer(400, data)
    data.pop("callback", None)
    try:
        call = Call(data=data, db=db, settings=settings, base_url=base_url)
        envelope["result"] = await run_in_threadpool(function, call)  # the database, off the event loop
        envelope["success"] = True
        return _answer(200, envelope)
    except NotFound as exc:
        envelope["error"] = {"__type": "Not Found Error", "message": f"Not found: {exc}"}
        status = 404
    except ValidationError as exc:
        envelope["error"] = {"__type": "Validation Error", **exc.errors}
        status = 409
    except SearchQueryError as exc:
        envelope["error"] = {"__type": "Search Query Error", "message": f"Search Query is invalid: {exc}"}
        status = 400
    envelope["success"] = False
    return _answer(status, envelope)


@router.api_route("/ckan/api/3/action/{action}", methods=["GET", "POST"], summary="CKAN action (API v3)")
async def action_v3(request: Request, action: str, db: DbDep, settings: SettingsDep) -> JSONResponse:
    """Call a CKAN action: GET with query parameters or POST with a JSON object."""
    return await _handle(request, action, db, settings, "3/")


@router.api_route("/ckan/api/action/{action}", methods=["GET", "POST"], summary="CKAN action")
async def action_default(request: Request, action: str, db: DbDep, settings: SettingsDep) -> JSONResponse:
    """Call a CKAN action at the unversioned address (same as version 3)."""
    return await _handle(request, action, db, settings, "")


@router.get("/ckan/api/3", summary="CKAN API version", include_in_schema=False)
@router.get("/ckan/api", summary="CKAN API version", include_in_schema=False)
def api_version() -> dict[str, int]:
    """The API version (CKAN answers {"version": 3})."""
    return {"version": 3}
