"""Settings of the cameras domain (env prefix SMARTCITY_CAMERAS_), read via settings.section()."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CamerasSettings(BaseSettings):
    """Who may see snapshots and stream addresses, and the limits of uploaded snapshots."""

    model_config = SettingsConfigDict(env_prefix="SMARTCITY_CAMERAS_", env_file=".env", extra="ignore")

    snapshot_roles: list[str] = Field(default=["operator"], description="Roles that may open snapshots")
    stream_roles: list[str] = Field(default=["operator"], description="Roles that may see stream addresses")
    max_snapshot_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    congestion_speed_kmh: float = Field(
        default=15, description="Average speed below which a lane is congested"
    )
