"""Settings of the accounts domain (SMARTCITY_ACCOUNTS_* variables): sign-in delays, trusted proxies."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from smartcity.core.config import Settings


class AccountsSettings(BaseSettings):
    """Sign-in throttling and which proxies may say who the client is."""

    model_config = SettingsConfigDict(env_prefix="SMARTCITY_ACCOUNTS_", env_file=".env", extra="ignore")

    max_delay_seconds: int = Field(default=900, ge=1, description="The longest delay a failing sign-in waits")
    spray_failures: int = Field(
        default=50, ge=1, description="Failures from one address, over all accounts, before it is slowed"
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or networks (CIDR) whose X-Forwarded-For is believed; none by default",
    )
    require_totp_for_admins: bool | None = Field(
        default=None,
        description="Administrators must enrol TOTP before they can sign in with a password; "
        "unset: on in production (SMARTCITY_ENVIRONMENT), off elsewhere",
    )


def admins_need_totp(settings: Settings) -> bool:
    """True if administrators must use TOTP: the explicit setting, else whether this is production."""
    chosen = settings.section(AccountsSettings).require_totp_for_admins
    return settings.environment == "production" if chosen is None else chosen
