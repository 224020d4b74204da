"""Settings of the IoT domain, read from the environment (prefix SMARTCITY_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from smartcity.core.config import Settings, section_of
from smartcity.core.secret_files import SettingsWithSecretFiles, secret_field


class IotSettings(SettingsWithSecretFiles):
    """Login and TLS material of MQTT clients (ingest and its command publisher, simulator) and the rules
    for NGSI-LD notification endpoints."""

    model_config = SettingsConfigDict(env_prefix="SMARTCITY_", env_file=".env", extra="ignore")

    mqtt_ca_file: Path | None = Field(
        default=None, description="PEM CA chain that signed the broker's certificate (mqtts:// URLs)"
    )
    mqtt_cert_file: Path | None = Field(default=None, description="PEM client certificate for mqtts://")
    mqtt_key_file: Path | None = Field(default=None, description="PEM private key of that certificate")
    mqtt_username: str | None = Field(default=None, description="MQTT username (overrides the URL's)")
    mqtt_password: str | None = secret_field(
        description="MQTT password (overrides the URL's), e.g. SMARTCITY_MQTT_PASSWORD_FILE=.../ingest.secret"
    )
    mqtt_broker_dir: Path | None = Field(
        default=None,
        description="Folder `smartcity iot broker-config` wrote; its crl.pem is kept fresh by the worker",
    )
    mqtt_broker_reload_command: str | None = Field(
        default=None,
        description="Run after crl.pem changes so Mosquitto re-reads it, e.g. `systemctl reload mosquitto`",
    )
    ngsi_allow_private_endpoints: bool = Field(
        default=False,
        description="Let NGSI-LD subscriptions notify loopback/private/link-local addresses (SSRF guard off)",
    )


def get_iot_settings(settings: Settings | None = None) -> IotSettings:
    """The IoT section of `settings`, else of the process-wide settings."""
    return section_of(IotSettings, settings)
