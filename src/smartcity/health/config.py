"""Settings of the health domain (SMARTCITY_HEALTH_* variables): FHIR, quarantine rules, reminders."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_PERIODS = {
    # disease code: (name, English name, days of home quarantine for a case, for a contact) — configuration,
    # not law
    "covid-19": {"name": "COVID-19", "name_en": "COVID-19", "case": 7, "contact": 5},
    "measles": {"name": "Sởi", "name_en": "Measles", "case": 8, "contact": 21},
    "dengue": {"name": "Sốt xuất huyết", "name_en": "Dengue fever", "case": 7, "contact": 0},
    "hfmd": {"name": "Tay chân miệng", "name_en": "Hand, foot and mouth disease", "case": 10, "contact": 0},
}


class HealthSettings(BaseSettings):
    """Tunable rules of the health domain, read through `settings.section(HealthSettings)`."""

    model_config = SettingsConfigDict(env_prefix="SMARTCITY_HEALTH_", env_file=".env", extra="ignore")

    national_id_system: str = Field(
        default="http://dancuquocgia.gov.vn/fhir/NamingSystem/cccd",
        description="FHIR identifier system of the 12-digit citizen ID (căn cước công dân)",
    )
    fhir_default_count: int = Field(default=20, ge=1)
    fhir_max_count: int = Field(default=100, ge=1)
    max_bundle_entries: int = Field(default=500, ge=1)
    system_token_minutes: int = Field(default=60, ge=1, description="Life of a client-credentials token")
    quarantine_periods: dict[str, dict[str, object]] = Field(default_factory=lambda: dict(DEFAULT_PERIODS))
    warning_temperature: float = Field(default=38.5, description="°C at or above which a check-in warns")
    warning_symptoms: tuple[str, ...] = ("kho-tho", "dau-nguc", "tim-tai", "lo-mo", "spo2-thap")
    missed_lookback_days: int = Field(default=3, ge=1, description="Missed check-ins looked for this far")
    cluster_cases: int = Field(default=5, ge=2, description="New cases in a ward within the window...")
    cluster_window_days: int = Field(default=7, ge=1, description="... that make a cluster")
    reminders_need_consent: bool = Field(
        default=True, description="Parents get reminders only after consenting (Decree 13/2023, PDPL 2025)"
    )
    reminder_days_ahead: int = Field(default=7, ge=0, description="Remind parents this long before a dose")
    reminder_hours: tuple[str, str] = Field(
        default=("08:00", "20:00"),
        description="City-time window in which reminders go out (never at night; the 6-hourly task always "
        "falls in a window of 6 hours or more)",
    )
