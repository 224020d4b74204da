"""Settings of the dossiers domain (environment prefix SMARTCITY_DOSSIERS_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from smartcity.core.config import Settings, section_of


class DossierSettings(BaseSettings):
    """Dossier codes, attachment limits, deadline warnings, payment and notification providers."""

    model_config = SettingsConfigDict(env_prefix="SMARTCITY_DOSSIERS_", env_file=".env", extra="ignore")

    code_pattern: str = Field(
        default="{unit}-{yymmdd}-{seq:04d}", description="Fields: unit, yymmdd, yyyy, seq (daily per unit)"
    )
    max_attachment_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    max_attachments: int = Field(default=20, ge=1)
    allowed_types: tuple[str, ...] = ("application/pdf", "image/jpeg", "image/png")
    warn_working_days: int = Field(default=1, ge=0, description="Warn this many working days before due")
    lookup_max_failures: int = Field(default=10, ge=1, description="Failed public lookups per client...")
    lookup_window_minutes: int = Field(default=15, ge=1, description="...within this many minutes")
    exact_count_up_to: int = Field(
        default=1000, ge=0, description="Lists count exactly up to this many rows, then estimate (PostgreSQL)"
    )
    payment_provider: str = "sandbox"
    payment_merchant: str = "TDMONESTOP"
    notification_sink: str = Field(default="recording", description="recording or smtp")
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_sender: str = "motcua@thudaumot.example"


def get_dossier_settings(settings: Settings | None = None) -> DossierSettings:
    """The dossiers section of `settings`, else of the process-wide settings."""
    return section_of(DossierSettings, settings)
