"""Settings of the operations centre (SMARTCITY_IOC_* variables): merging, deadlines, alerts."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class IocSettings(BaseSettings):
    """Tunable rules of the operations centre, read as `settings.section(IocSettings)`."""

    model_config = SettingsConfigDict(env_prefix="SMARTCITY_IOC_", env_file=".env", extra="ignore")

    merge_radius_m: float = Field(default=300.0, gt=0, description="Events of one type this close merge")
    merge_window_min: int = Field(
        default=30, ge=1, description="... when the incident saw an event this recently"
    )
    nearby_device_radius_m: float = Field(default=250.0, gt=0, description="Devices linked to an incident")
    ack_minutes: tuple[int, int, int, int, int] = Field(
        default=(240, 60, 30, 10, 5), description="Acknowledgement deadline by severity 1..5, minutes"
    )
    escalation_chain: tuple[str, ...] = Field(
        default=("operator", "head", "leader"), description="Roles notified at each escalation level"
    )
    cap_min_severity: int = Field(
        default=4, ge=1, le=5, description="Incidents this severe get a public alert"
    )
    cap_sender: str = "ioc@thudaumot.gov.vn"
    cap_sender_name_vi: str = "Trung tâm điều hành đô thị thông minh Thủ Dầu Một"
    cap_sender_name_en: str = "Thủ Dầu Một Intelligent Operations Centre"  # as the org chart names it
    cap_signer_id: str = Field(default="ioc-cap-signer", description="Holder of the CAP signing certificate")
    cap_hours_valid: int = Field(default=6, ge=1)
    report_recipients: tuple[str, ...] = Field(default=("role:leader",), description="Who receives reports")
