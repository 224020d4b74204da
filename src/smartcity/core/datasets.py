"""The contract between a domain's datasets.py and the open-data catalogue: what a public dataset is.

A domain offers `DATASETS: list[Dataset]` in its datasets.py: aggregates and public layers only, never
personal data, counts below `SMALL_COUNT` suppressed. The catalogue (opendata/) collects them with
`smartcity.domains.collect("datasets", "DATASETS")`, regenerates their resources (CSV, XLSX, GeoJSON) on
schedule and publishes them through CKAN's Action API and DCAT.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from smartcity.core.config import Settings
    from smartcity.core.db import Database

CITY_PUBLISHER = "ubnd-thu-dau-mot"  # the city's people's committee publishes every dataset so far
SMALL_COUNT = 5  # counts below this are suppressed in public aggregates
Frequency = Literal["daily", "weekly", "monthly", "quarterly", "annual", "irregular"]


def suppress_small(count: int | None) -> int | None:
    """A count fit to publish: None when it is below SMALL_COUNT (and not zero)."""
    if count is None or (0 < count < SMALL_COUNT):
        return None
    return count


def rate(part: float | None, whole: float | None, *, per: int = 100) -> float | None:
    """`part` per `per` of `whole` to publish, one decimal (a share in per cent by default): None when the
    part was suppressed or the whole is none or zero."""
    return round(per * part / whole, 1) if part is not None and whole else None


@dataclass(frozen=True)
class Column:
    """One column of a tabular dataset."""

    name: str
    title_vi: str
    title_en: str
    type: Literal["string", "integer", "number", "date", "boolean"] = "string"


# Columns several domains publish under the same name and words.
DATE = Column("date", "Ngày", "Date", "date")
WARD = Column("ward", "Phường", "Ward")
SHARE_PERCENT = Column("share_percent", "Tỷ lệ (%)", "Share (%)", "number")


def point_features(points: Iterable[tuple[float, float, dict[str, Any]]]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of (longitude, latitude, properties) points."""
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props}
        for lon, lat, props in points
    ]
    return {"type": "FeatureCollection", "features": features}


@dataclass(frozen=True)
class Dataset:
    """One public dataset a domain offers."""

    name: str  # unique slug, "<domain>-<what>", e.g. "investment-projects"
    title_vi: str
    title_en: str
    description_vi: str
    description_en: str
    themes: tuple[str, ...]  # EU data themes: GOVE, TRAN, ENVI, HEAL, EDUC, ECON, REGI, SOCI, ENER, TECH
    keywords: tuple[str, ...]
    frequency: Frequency
    columns: tuple[Column, ...]
    rows: Callable[[Database, Settings], Iterable[dict[str, Any]]]  # the table (aggregates, public fields)
    features: Callable[[Database, Settings], dict[str, Any]] | None = None  # a GeoJSON FeatureCollection
    ogc_collection: str | None = None  # the OGC API Features collection id, if the layer is served there
    licence: str = "CC-BY-4.0"
    publisher: str = CITY_PUBLISHER  # the organisation's slug in the catalogue
    temporal: Callable[[Database, Settings], tuple[date | None, date | None]] | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def domain(self) -> str:
        """The domain that publishes the dataset (the name's first part)."""
        return self.name.split("-", 1)[0]
