"""Settings of the lighting domain (env prefix SMARTCITY_LIGHTING_), read via settings.section()."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class LightingSettings(BaseSettings):
    """Grace periods and limits of fault detection, and due dates of maintenance tickets."""

    model_config = SettingsConfigDict(env_prefix="SMARTCITY_LIGHTING_", env_file=".env", extra="ignore")

    grace_minutes: int = Field(default=15, ge=1, description="After a switch, wait before judging lamps")
    daylight_margin_minutes: int = Field(default=30, ge=0, description="Daylight starts this long after dawn")
    stale_minutes: int = Field(default=20, ge=1, description="Older readings are not evidence of a fault")
    min_current_watts: float = Field(default=5, ge=0, description="Below this a lamp draws no current")
    power_tolerance: float = Field(default=0.3, ge=0, description="Allowed excess over rated × level")
    voltage_min: float = Field(default=180, description="Supply voltage range of a light or cabinet")
    voltage_max: float = Field(default=260)
    supply_lost_volts: float = Field(default=100, description="Below this a cabinet has lost its supply")
    due_days: dict[str, int] = Field(
        default={
            "lamp_failure": 3,
            "on_in_daylight": 2,
            "power_out_of_range": 5,
            "cabinet_door_open": 1,
            "supply_lost": 1,
        },
        description="Days to fix each kind of fault",
    )
    crews: list[str] = Field(
        default=["Tổ sửa chữa chiếu sáng số 1", "Tổ sửa chữa chiếu sáng số 2", "Tổ trực sự cố điện"],
        description="Maintenance crews tickets are assigned to",
    )
