"""Settings of notifications (SMARTCITY_NOTIFICATIONS_* variables): channels, SMTP, quiet hours."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from smartcity.core.secret_files import SettingsWithSecretFiles, secret_field


class NotificationSettings(SettingsWithSecretFiles):
    """Which implementation each channel uses, and the SMTP server."""

    model_config = SettingsConfigDict(env_prefix="SMARTCITY_NOTIFICATIONS_", env_file=".env", extra="ignore")

    email_channel: str = Field(
        default="recording", description="smtp, or recording (kept in the database only)"
    )
    sms_channel: str = Field(default="mock-sms", description="The SMS provider; only a mock exists here")
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_sender: str = "ioc@thudaumot.gov.vn"
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = secret_field(description="SMTP password (also _FILE or a credential)")
    default_quiet_start: str | None = Field(default=None, description="e.g. 22:00 (city time) for every rule")
    default_quiet_end: str | None = None
