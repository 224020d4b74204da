"""Settings of the waste domain (env prefix SMARTCITY_WASTE_), read via settings.section()."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WasteSettings(BaseSettings):
    """Planning thresholds, driving model and alarm limits."""

    model_config = SettingsConfigDict(env_prefix="SMARTCITY_WASTE_", env_file=".env", extra="ignore")

    plan_threshold: float = Field(default=80, ge=10, le=100, description="Collect if forecast fill ≥ this %")
    detour_factor: float = Field(default=1.35, ge=1, le=3, description="Road km per straight-line km")
    speed_kmh: float = Field(default=20, gt=0, le=80, description="Average speed of a truck in the city")
    service_minutes_surface: int = Field(default=3, ge=1)
    service_minutes_underground: int = Field(default=8, ge=1)
    solver_seconds: float = Field(default=1, gt=0, le=60)
    history_days: int = Field(default=28, ge=3, le=120, description="Fill history used for forecasts")
    overflow_level: float = Field(default=100, description="Fill % at which a container overflows")
    fire_celsius: float = Field(default=60, description="Inside temperature of a fire (two readings running)")
    tilt_degrees: float = Field(default=30, description="Tilt of a knocked-over container")
