"""Settings of the portal (SMARTCITY_PORTAL_* variables): who edits, image limits, the city's contacts."""

from __future__ import annotations

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Contact(BaseModel):
    """One way to reach the city."""

    name: str
    name_en: str
    phone: str = ""
    email: str = ""
    address: str = ""
    hours: str = ""
    hours_en: str = ""  # the hours in English (the Vietnamese ones where empty)
    url: str = ""


DEFAULT_CONTACTS = [
    Contact(
        name="Đường dây nóng 1022",
        name_en="Hotline 1022",
        phone="1022",
        email="1022@binhduong.gov.vn",
        hours="24/7 — gọi 1022 (từ di động: 0274.1022), Zalo, ứng dụng, cổng thông tin",
        hours_en="24/7 — call 1022 (from a mobile: 0274.1022), Zalo, the app, the portal",
        url="/phan-anh/gui",
    ),
    Contact(
        name="Trung tâm Phục vụ hành chính công",
        name_en="Public Administration Service Centre",
        phone="0274 3822 555",
        email="motcua@thudaumot.binhduong.gov.vn",
        address="Tầng 1, Tháp A, Trung tâm Hành chính, phường Phú Lợi",
        hours="Thứ Hai – Thứ Sáu, 7:30 – 11:30 và 13:00 – 17:00",
        hours_en="Monday – Friday, 7:30 – 11:30 and 13:00 – 17:00",
        url="/thu-tuc",
    ),
    Contact(
        name="UBND thành phố Thủ Dầu Một",
        name_en="Thủ Dầu Một People's Committee",
        phone="0274 3822 242",
        email="ubnd@thudaumot.binhduong.gov.vn",
        address="Số 1 Quang Trung, phường Thủ Dầu Một",
        hours="Thứ Hai – Thứ Sáu, 7:30 – 17:00",
        hours_en="Monday – Friday, 7:30 – 17:00",
    ),
    Contact(
        name="Cấp cứu — Công an — Cứu hỏa",
        name_en="Ambulance — Police — Fire",
        phone="115 — 113 — 114",
        hours="24/7",
    ),
]


class PortalSettings(BaseSettings):
    """Tunable rules of the portal."""

    model_config = SettingsConfigDict(env_prefix="SMARTCITY_PORTAL_", env_file=".env", extra="ignore")

    editor_roles: tuple[str, ...] = Field(default=("admin", "leader", "head"), description="May edit news")
    max_image_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    home_news: int = Field(default=4, ge=1, le=20, description="News items on the home page")
    search_per_kind: int = Field(default=8, ge=1, le=50)
    contacts: list[Contact] = Field(default_factory=lambda: list(DEFAULT_CONTACTS))
