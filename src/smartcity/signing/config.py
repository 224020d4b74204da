"""Settings of the signing domain, read from the environment (prefix SMARTCITY_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from smartcity.core.config import Settings, section_of
from smartcity.core.secret_files import SettingsWithSecretFiles, secret_field

DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")


class SigningSettings(SettingsWithSecretFiles):
    """PKI and signing settings; the secret that seals keys comes from core settings."""

    model_config = SettingsConfigDict(env_prefix="SMARTCITY_", env_file=".env", extra="ignore")

    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Public address of the platform: certificate URLs (OCSP, CRL, CA issuers), QR codes",
    )
    signing_max_upload_bytes: int = Field(default=20 * 1024 * 1024, description="Largest PDF accepted")
    signing_root_key_bits: int = Field(default=3072, description="RSA size of the root CA key")
    signing_key_bits: int = Field(default=2048, description="RSA size of issuing CA, TSA and end-entity keys")
    signing_root_years: int = 20
    signing_issuing_years: int = 10
    signing_certificate_years: int = 2
    signing_font: Path = Field(
        default=DEJAVU_DIR / "DejaVuSans.ttf", description="TTF with Vietnamese glyphs"
    )
    signing_font_italic: Path = Field(default=DEJAVU_DIR / "DejaVuSerif-Italic.ttf")
    city_name: str = Field(default="Thủ Dầu Một", description="Locality written into certificate subjects")
    city_organisation: str = Field(default="Chính quyền đô thị Thủ Dầu Một")
    pkcs11_module: Path | None = Field(default=None, description="PKCS#11 library of a hardware token")
    pkcs11_token_label: str | None = None
    pkcs11_user_pin: str | None = secret_field(description="PIN of the token (never logged)")

    @property
    def base_url(self) -> str:
        """The public base URL without a trailing slash."""
        return self.public_base_url.rstrip("/")


def get_signing_settings(settings: Settings | None = None) -> SigningSettings:
    """The signing section of `settings`, else of the process-wide settings."""
    return section_of(SigningSettings, settings)
