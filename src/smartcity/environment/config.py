"""Settings of the environment domain (env prefix SMARTCITY_ENVIRONMENT_), read via settings.section()."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class EnvironmentSettings(BaseSettings):
    """Data completeness of VN_AQI, default flood levels and the plausibility limit of water gauges."""

    model_config = SettingsConfigDict(env_prefix="SMARTCITY_ENVIRONMENT_", env_file=".env", extra="ignore")

    min_dust_hours: int = Field(default=18, ge=1, le=24, description="Hours a daily PM mean needs (check)")
    min_eight_hour_values: int = Field(default=6, ge=1, le=8, description="Hours an O3 8-hour mean needs")
    alert_aqi: int = Field(default=101, description="Hourly VN_AQI from which an alert is published (Kém)")
    alert_level_cm: float = Field(default=-10, description="Default rising-water level against the road")
    danger_level_cm: float = Field(
        default=10, description="Default level at which a street counts as flooded"
    )
    recede_margin_cm: float = Field(default=5, ge=0, description="Below alert level by this much: receded")
    max_rise_cm_per_minute: float = Field(default=5, gt=0, description="Faster changes are not physical")
    catch_up_hours: int = Field(default=48, ge=1, le=24 * 14, description="Hours of AQI computed per run")
