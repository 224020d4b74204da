"""Settings of the documents domain (SMARTCITY_DOCUMENTS_* variables): letterhead defaults, exchange."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from smartcity.core.config import Settings, section_of


class DocumentsSettings(BaseSettings):
    """Defaults printed on documents and the rules of delivery to other agencies."""

    model_config = SettingsConfigDict(env_prefix="SMARTCITY_DOCUMENTS_", env_file=".env", extra="ignore")

    place: str = Field(default="Thủ Dầu Một", description="Địa danh printed before the date")
    parent_organisation: str = Field(default="UBND THÀNH PHỐ HỒ CHÍ MINH", description="Cơ quan chủ quản")
    organisation_abbr: str = Field(default="UBND", description="Abbreviation of the issuing body in symbols")
    exchange_timeout_s: float = Field(default=10.0, gt=0)
    exchange_first_retry_s: int = Field(default=30, ge=1, description="Wait before the first retry")
    exchange_max_retry_s: int = Field(default=3600, ge=1, description="Longest wait between retries")
    max_body_chars: int = Field(default=50_000, ge=100)
    max_attachment_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, description="Largest attachment")
    max_attachments: int = Field(default=20, ge=1, description="Most attachments on one document")
    max_stored_pdf_bytes: int = Field(
        default=40 * 1024 * 1024, ge=1024, description="Largest PDF kept in the file store (envelopes too)"
    )


def get_documents_settings(settings: Settings | None = None) -> DocumentsSettings:
    """The documents section of `settings`, else of the process-wide settings."""
    return section_of(DocumentsSettings, settings)
