"""Settings of the education domain (environment prefix SMARTCITY_EDUCATION_)."""

from __future__ import annotations

from datetime import time

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class EducationSettings(BaseSettings):
    """Who the department is, how fees are billed and paid, import limits, demo size."""

    model_config = SettingsConfigDict(env_prefix="SMARTCITY_EDUCATION_", env_file=".env", extra="ignore")

    department_units: tuple[str, ...] = Field(
        default=("SGDDT-HCM", "TDM-GDDT"),
        description="Org units whose specialists, heads and leaders form the education department",
    )
    payment_provider: str = Field(default="sandbox", description="Name in the 'payment provider' registry")
    payment_merchant: str = "TDMTRUONGHOC"
    invoice_due_day: int = Field(default=15, ge=1, le=28, description="Day of the month fees fall due")
    health_insurance_month: int = Field(
        default=10, ge=1, le=12, description="Month whose invoice carries the yearly student health insurance"
    )
    max_import_bytes: int = Field(default=5 << 20, ge=1024)
    max_import_rows: int = Field(default=5000, ge=1)
    demo_students_per_class: int = Field(
        default=3, ge=1, le=60, description="Student records the demo writes per class (counts stay whole)"
    )
    attendance_days_shown: int = Field(default=30, ge=1, description="Days of attendance a parent sees")
    school_day_starts: time = Field(
        default=time(7, 0),
        description="When lessons begin (city time): no class is expected to have today's register before",
    )
