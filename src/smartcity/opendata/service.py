"""The open-data catalogue: the domains' datasets, their generated resources, previews and usage counts.

Datasets come from every domain's datasets.py (`DATASETS`, contract in core/datasets.py). Their files (CSV,
XLSX, GeoJSON) are generated on schedule (`opendata.regenerate`) into the file store and served from
there; a resource never generated yet is generated on its first download.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterable, Sequence
from contextlib import suppress
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from smartcity.city import service as city_service
from smartcity.core.config import Settings
from smartcity.core.datasets import Dataset
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import NotFound
from smartcity.core.files import file_store
from smartcity.domains import collect
from smartcity.opendata.config import OpendataSettings
from smartcity.opendata.models import GeneratedResource, UsageHit
from smartcity.opendata.schemas import FORMATS, DatasetInfo, ResourceInfo

log = logging.getLogger(__name__)
USAGE_KINDS = ("download", "api")
EXTENSIONS = {"csv": "csv", "xlsx": "xlsx", "geojson": "geojson"}


def all_datasets() -> list[Dataset]:
    """Every dataset the domains publish, by name."""
    found = [dataset for _domain, datasets in collect("datasets", "DATASETS") for dataset in datasets]
    return sorted(found, key=lambda d: d.name)


def get_dataset(name: str) -> Dataset:
    """The dataset with this name; NotFound otherwise."""
    for dataset in all_datasets():
        if dataset.name == name:
            return dataset
    raise NotFound(f"No dataset named {name!r}")


def file_formats(dataset: Dataset) -> tuple[str, ...]:
    """The file formats a dataset is published in: CSV and XLSX always, GeoJSON for a layer."""
    return ("csv", "xlsx", "geojson") if dataset.features else ("csv", "xlsx")


def resource_id(dataset: str, fmt: str) -> str:
    """The stable id of a dataset's resource in a format."""
    return f"{dataset}-{fmt}"


def split_resource_id(value: str) -> tuple[Dataset, str]:
    """The dataset and format key a resource id names; NotFound otherwise."""
    name, _, fmt = value.rpartition("-")
    if fmt not in FORMATS or not name:
        raise NotFound(f"No resource with id {value!r}")
    dataset = get_dataset(name)
    if fmt not in file_formats(dataset) and not (fmt == "ogc" and dataset.ogc_collection):
        raise NotFound(f"No resource with id {value!r}")
    return dataset, fmt


# --- rendering ---------------------------------------------------------------------------------------


def _cell(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return "" if value is None else value


def _csv(dataset: Dataset, rows: Sequence[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.name for c in dataset.columns])
    for row in rows:
        writer.writerow([_cell(row.get(c.name)) for c in dataset.columns])
    return buffer.getvalue().encode("utf-8")


def _xlsx(dataset: Dataset, rows: Sequence[dict[str, Any]]) -> bytes:
    from openpyxl import Workbook  # openpyxl on first use: ~40 MiB a process

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title="data")
    sheet.append([c.title_vi for c in dataset.columns])
    for row in rows:
        sheet.append([_cell(row.get(c.name)) for c in dataset.columns])
    about = book.create_sheet(title="about")
    about.append([dataset.title_vi])
    about.append([dataset.description_vi])
    about.append(["Giấy phép / Licence", dataset.licence])
    for column in dataset.columns:
        about.append([column.name, column.title_vi, column.title_en, column.type])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render(db: Database, settings: Settings, dataset: Dataset, fmt: str) -> tuple[bytes, int]:
    """The resource's bytes in a file format and its number of rows (features for GeoJSON)."""
    if fmt == "geojson":
        if dataset.features is None:
            raise NotFound(f"{dataset.name} has no GeoJSON resource")
        collection = dataset.features(db, settings)
        body = json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return body, len(collection.get("features", []))
    rows = list(dataset.rows(db, settings))
    if fmt == "csv":
        return _csv(dataset, rows), len(rows)
    if fmt == "xlsx":
        return _xlsx(dataset, rows), len(rows)
    raise NotFound(f"No file format {fmt!r}")


def _store(db: Database, settings: Settings, dataset: Dataset, fmt: str) -> GeneratedResource:
    content, count = render(db, settings, dataset, fmt)
    digest = file_store(settings, "opendata").put(content)
    key = resource_id(dataset.name, fmt)
    with db.write_session() as s:
        row = s.scalar(select(GeneratedResource).where(GeneratedResource.resource_id == key))
        if row is None:
            row = GeneratedResource(resource_id=key, dataset=dataset.name, format=fmt)
            s.add(row)
        row.sha256, row.size, row.row_count, row.generated_at = digest, len(content), count, utcnow()
        s.flush()
        s.expunge(row)
    return row


def regenerate(db: Database, settings: Settings, *, names: Iterable[str] | None = None) -> int:
    """Rebuild the files of these datasets (all by default); returns how many files were written."""
    wanted = set(names) if names is not None else None
    written = 0
    for dataset in all_datasets():
        if wanted is not None and dataset.name not in wanted:
            continue
        for fmt in file_formats(dataset):
            try:
                _store(db, settings, dataset, fmt)
            except NotFound as exc:  # its source is not there yet (a demo still loading): next time
                log.info("dataset %s not regenerated: %s", dataset.name, exc.detail)
                break
            written += 1
    return written


def _generated(db: Database) -> dict[str, GeneratedResource]:
    with db.session() as s:
        rows = s.scalars(select(GeneratedResource)).all()
        for row in rows:
            s.expunge(row)
    return {row.resource_id: row for row in rows}


def resource_file(db: Database, settings: Settings, value: str) -> tuple[bytes, str, str]:
    """A file resource's bytes, media type and file name (generated now if it never was)."""
    dataset, fmt = split_resource_id(value)
    if fmt == "ogc":
        raise NotFound("The OGC API resource is a service, not a file")
    row = _generated(db).get(value)
    store = file_store(settings, "opendata")
    if row is None or not store.exists(row.sha256):
        # All formats at once, so that the catalogue describes them alike; another request may race us.
        with suppress(IntegrityError):
            regenerate(db, settings, names=[dataset.name])
        row = _generated(db)[value]
    return store.get(row.sha256), FORMATS[fmt][1], f"{dataset.name}.{EXTENSIONS[fmt]}"


# --- what the catalogue publishes --------------------------------------------------------------------


def publisher_name(settings: Settings, slug: str, locale: str = "vi") -> str:
    """The organisation's name for its slug (the slug itself when unknown); its English name where asked and
    known (a page in English; the published metadata keep the Vietnamese name)."""
    config = settings.section(OpendataSettings)
    vietnamese = config.publishers.get(slug, slug)
    return config.publishers_en.get(slug, vietnamese) if locale == "en" else vietnamese


def _resources(
    dataset: Dataset, base_url: str, generated: dict[str, GeneratedResource]
) -> list[ResourceInfo]:
    names = {"csv": ("Bảng CSV", "CSV table"), "xlsx": ("Bảng Excel", "Excel workbook")}
    names["geojson"] = ("Lớp bản đồ GeoJSON", "GeoJSON layer")
    found = []
    for fmt in file_formats(dataset):
        key = resource_id(dataset.name, fmt)
        row = generated.get(key)
        found.append(
            ResourceInfo(
                id=key,
                dataset=dataset.name,
                format_key=fmt,
                name_vi=names[fmt][0],
                name_en=names[fmt][1],
                url=f"{base_url}du-lieu-mo/tai-ve/{key}",
                size=row.size if row else None,
                rows=row.row_count if row else None,
                generated_at=row.generated_at if row else None,
            )
        )
    if dataset.ogc_collection:
        found.append(
            ResourceInfo(
                id=resource_id(dataset.name, "ogc"),
                dataset=dataset.name,
                format_key="ogc",
                name_vi="Dịch vụ OGC API Features",
                name_en="OGC API Features service",
                url=f"{base_url}ogc/collections/{dataset.ogc_collection}",
            )
        )
    return found


def dataset_info(
    db: Database,
    settings: Settings,
    dataset: Dataset,
    base_url: str,
    generated: dict[str, GeneratedResource] | None = None,
) -> DatasetInfo:
    """What the catalogue publishes of one dataset (base_url ends with '/')."""
    generated = _generated(db) if generated is None else generated
    resources = _resources(dataset, base_url, generated)
    times = [r.generated_at for r in resources if r.generated_at]
    return DatasetInfo(
        name=dataset.name,
        title_vi=dataset.title_vi,
        title_en=dataset.title_en,
        description_vi=dataset.description_vi,
        description_en=dataset.description_en,
        publisher=dataset.publisher,
        publisher_name=publisher_name(settings, dataset.publisher),
        themes=dataset.themes,
        keywords=dataset.keywords,
        frequency=dataset.frequency,
        licence=dataset.licence,
        temporal=dataset.temporal(db, settings) if dataset.temporal else (None, None),
        resources=tuple(resources),
        modified=max(times) if times else None,
        landing_page=f"{base_url}du-lieu-mo/{dataset.name}",
    )


def catalogue(db: Database, settings: Settings, base_url: str) -> list[DatasetInfo]:
    """Every dataset as the catalogue publishes it."""
    generated = _generated(db)
    return [dataset_info(db, settings, d, base_url, generated) for d in all_datasets()]


def preview(db: Database, settings: Settings, name: str) -> tuple[Dataset, list[list[str]]]:
    """The dataset and the first rows of its CSV resource (as text cells)."""
    dataset = get_dataset(name)
    content, _type, _file = resource_file(db, settings, resource_id(name, "csv"))
    limit = settings.section(OpendataSettings).preview_rows
    reader = csv.reader(io.StringIO(content.decode("utf-8")))
    next(reader, None)
    rows: list[list[str]] = []
    for row in reader:
        if len(rows) >= limit:
            break
        rows.append(row)
    return dataset, rows


# --- usage -------------------------------------------------------------------------------------------


def record_use(db: Database, *, dataset: str, kind: str) -> None:
    """Count one use of a dataset: a download of one of its files or an API call naming it."""
    if kind not in USAGE_KINDS:
        raise ValueError(f"unknown usage kind {kind!r}")
    with db.write_session() as s:
        s.add(UsageHit(dataset=dataset, kind=kind, at=utcnow()))


def usage_counts(
    db: Database, *, start: datetime | None = None, end: datetime | None = None
) -> dict[str, dict[str, int]]:
    """Uses per dataset and kind in [start, end): {"dataset": {"download": n, "api": m}}."""
    query = select(UsageHit.dataset, UsageHit.kind, func.count(UsageHit.id)).group_by(
        UsageHit.dataset, UsageHit.kind
    )
    if start is not None:
        query = query.where(UsageHit.at >= start)
    if end is not None:
        query = query.where(UsageHit.at < end)
    counts: dict[str, dict[str, int]] = {}
    with db.session() as s:
        for dataset, kind, count in s.execute(query):
            counts.setdefault(dataset, dict.fromkeys(USAGE_KINDS, 0))[kind] = int(count)
    return counts


def spatial_box(section: OpendataSettings) -> tuple[float, float, float, float]:
    """The box the catalogue's data covers: the configured one, else the city's (from city's service)."""
    return section.spatial_bbox or city_service.boundary_box()
