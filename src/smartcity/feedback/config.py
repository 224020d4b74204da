"""Settings of the feedback domain (SMARTCITY_FEEDBACK_* variables): duplicates, reopening, uploads."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from smartcity.core.config import Settings, section_of


class FeedbackSettings(BaseSettings):
    """Tunable rules of citizen reports, read once per process."""

    model_config = SettingsConfigDict(env_prefix="SMARTCITY_FEEDBACK_", env_file=".env", extra="ignore")

    duplicate_radius_m: float = Field(default=50.0, gt=0, description="Nearby open reports this close")
    duplicate_max_age_days: int = Field(default=7, ge=1, description="... and at most this old")
    reopen_days: int = Field(default=7, ge=0, description="The reporter may reopen this long after")
    close_after_days: int = Field(default=7, ge=0, description="Resolved reports close this long after")
    max_photo_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    max_photos: int = Field(default=5, ge=0)
    max_photo_pixels: int = Field(default=40_000_000, ge=10_000, description="Refuse decompression bombs")
    photo_max_side: int = Field(default=2048, ge=64, description="Longer side after re-encoding")
    outside_city: str = Field(
        default="reject",
        pattern="^(reject|city)$",
        description="Points outside the city: refuse, or route to the city level",
    )
    open311_jurisdiction_id: str = "thudaumot.binhduong.gov.vn"
    open311_contact: str = "Đường dây nóng 1022 — 1022@binhduong.gov.vn"
    open311_default_days: int = Field(default=90, ge=1, description="GET requests without dates: days")
    open311_max_results: int = Field(default=1000, ge=1)


def get_feedback_settings(settings: Settings | None = None) -> FeedbackSettings:
    """The feedback section of `settings`, else of the process-wide settings."""
    return section_of(FeedbackSettings, settings)
