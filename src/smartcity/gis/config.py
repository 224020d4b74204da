"""Settings of the GIS domain, read from the environment (prefix SMARTCITY_GIS_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from smartcity.core.config import Settings, section_of


class GisSettings(BaseSettings):
    """Which spatial provider serves the feature store, and the house-numbering conventions."""

    model_config = SettingsConfigDict(env_prefix="SMARTCITY_GIS_", env_file=".env", extra="ignore")

    provider: str = Field(
        default="auto",
        description="Spatial provider of the feature store: auto (by database), postgis or sqlite-rtree",
    )
    max_house_distance_m: float = Field(
        default=80.0, description="A house farther than this from its street cannot be numbered on it"
    )
    sub_number_style: str = Field(
        default="letter", description="Sub-numbers between numbered houses: letter (12A) or slash (12/3)"
    )
    ogc_default_limit: int = 10
    ogc_max_limit: int = 10_000
    ogc_count_limit: int = Field(
        default=10_000,
        description="OGC items: numberMatched is counted up to this many features and left out beyond",
    )
    import_max_bytes: int = Field(default=200 * 1024 * 1024, description="Largest file accepted for import")


def get_gis_settings(settings: Settings | None = None) -> GisSettings:
    """The GIS section of `settings`, else of the process-wide settings."""
    return section_of(GisSettings, settings)
