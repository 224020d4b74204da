"""Settings of the open-data catalogue (SMARTCITY_OPENDATA_* variables): its name, publisher and contact."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class OpendataSettings(BaseSettings):
    """Words and addresses the catalogue publishes about itself."""

    model_config = SettingsConfigDict(env_prefix="SMARTCITY_OPENDATA_", env_file=".env", extra="ignore")

    title_vi: str = "Dữ liệu mở Thủ Dầu Một"
    title_en: str = "Thủ Dầu Một open data"
    description_vi: str = (
        "Các bộ dữ liệu tổng hợp và lớp bản đồ công khai của chính quyền thành phố Thủ Dầu Một, "
        "miễn phí, theo giấy phép mở."
    )
    description_en: str = (
        "Aggregate datasets and public map layers of the Thủ Dầu Một city government, "
        "free, under open licences."
    )
    publishers: dict[str, str] = Field(
        default={"ubnd-thu-dau-mot": "UBND thành phố Thủ Dầu Một"},
        description="Organisation slugs the datasets name, and their names",
    )
    publishers_en: dict[str, str] = Field(
        default={"ubnd-thu-dau-mot": "Thủ Dầu Một People's Committee"},
        description="The organisations' names on English pages (the Vietnamese ones where missing)",
    )
    contact_name: str = "Trung tâm dữ liệu mở Thủ Dầu Một"
    contact_email: str = "dulieumo@thudaumot.binhduong.gov.vn"
    spatial_bbox: tuple[float, float, float, float] | None = Field(
        default=None, description="West, south, east, north of what the data covers (default: the city's box)"
    )
    spatial_name: str = "Thủ Dầu Một, Việt Nam"
    preview_rows: int = Field(default=20, ge=1, le=200)
    regenerate_minutes: int = Field(default=60, ge=1, description="How often resources are rebuilt")
