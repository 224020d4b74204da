"""What the catalogue says of a dataset and its resources, independent of CKAN or DCAT."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from smartcity.core.sheets import XLSX_MEDIA_TYPE

FORMATS = {
    "csv": ("CSV", "text/csv"),
    "xlsx": ("XLSX", XLSX_MEDIA_TYPE),
    "geojson": ("GeoJSON", "application/geo+json"),
    "ogc": ("OGC API Features", "application/geo+json"),
}


@dataclass(frozen=True)
class ResourceInfo:
    """One resource of a dataset: a generated file or a link to a service."""

    id: str
    dataset: str
    format_key: str  # csv | xlsx | geojson | ogc
    name_vi: str
    name_en: str
    url: str  # absolute
    size: int | None = None
    rows: int | None = None
    generated_at: datetime | None = None

    @property
    def format(self) -> str:
        """The format's display name (CKAN's `format`)."""
        return FORMATS[self.format_key][0]

    @property
    def media_type(self) -> str:
        """The IANA media type of the resource."""
        return FORMATS[self.format_key][1]

    @property
    def is_file(self) -> bool:
        """True for a downloadable file; False for a service link (OGC API)."""
        return self.format_key != "ogc"


@dataclass(frozen=True)
class DatasetInfo:
    """A dataset as the catalogue publishes it: the domain's description plus resources and dates."""

    name: str
    title_vi: str
    title_en: str
    description_vi: str
    description_en: str
    publisher: str
    publisher_name: str
    themes: tuple[str, ...]
    keywords: tuple[str, ...]
    frequency: str
    licence: str
    temporal: tuple[date | None, date | None]
    resources: tuple[ResourceInfo, ...]
    modified: datetime | None
    landing_page: str
