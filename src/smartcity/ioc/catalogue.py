"""The centre's fixed vocabulary: incident types, severity levels, states and the playbooks (as data)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

PLAYBOOKS_FILE = Path(__file__).resolve().parent / "playbooks.json"


@dataclass(frozen=True)
class IncidentType:
    """A kind of incident, with its CAP category and event words."""

    code: str
    name_vi: str
    name_en: str
    cap_category: (
        str  # CAP 1.2 category: Geo, Met, Safety, Security, Rescue, Fire, Health, Env, Transport, Infra...
    )


TYPES: dict[str, IncidentType] = {
    t.code: t
    for t in (
        IncidentType("traffic_accident", "Tai nạn giao thông", "Traffic accident", "Transport"),
        IncidentType("congestion", "Ùn tắc giao thông", "Traffic congestion", "Transport"),
        IncidentType("flooding", "Ngập lụt", "Flooding", "Met"),
        IncidentType("fire", "Cháy nổ", "Fire", "Fire"),
        IncidentType("power_outage", "Mất điện, hỏng chiếu sáng", "Lighting or power outage", "Infra"),
        IncidentType("waste_overflow", "Rác tràn", "Waste overflow", "Env"),
        IncidentType("pollution", "Ô nhiễm môi trường", "Pollution episode", "Env"),
        IncidentType("public_health", "Sự kiện y tế công cộng", "Public-health event", "Health"),
        IncidentType("crowd_security", "Tụ tập đông người, an ninh", "Crowd or security", "Security"),
        IncidentType("road_damage", "Hư hỏng đường", "Road damage", "Infra"),
        IncidentType("citizen_report", "Phản ánh của người dân", "Citizen report", "Other"),
    )
}

SEVERITIES: dict[int, tuple[str, str, str]] = {
    # level: Vietnamese, English, CAP 1.2 severity
    1: ("Rất nhẹ", "Minor", "Minor"),
    2: ("Nhẹ", "Low", "Minor"),
    3: ("Trung bình", "Moderate", "Moderate"),
    4: ("Nghiêm trọng", "Severe", "Severe"),
    5: ("Đặc biệt nghiêm trọng", "Extreme", "Extreme"),
}

STATES: dict[str, tuple[str, str]] = {
    "new": ("Mới", "New"),
    "acknowledged": ("Đã tiếp nhận", "Acknowledged"),
    "active": ("Đang xử lý", "Active"),
    "stable": ("Đã kiểm soát", "Stable"),
    "resolved": ("Đã khắc phục", "Resolved"),
    "closed": ("Đã đóng", "Closed"),
    "cancelled": ("Đã huỷ (báo nhầm)", "Cancelled (false alarm)"),
}
# Who runs the centre: its own staff and the ward committees' (since July 2025 the city's departments are
# gone and the wards run their streets); holders of the role city-wide and the admin pass everywhere.
STAFF_UNITS = ("TDM-IOC", "UBND-")
OPEN_STATES = ("new", "acknowledged", "active", "stable")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("acknowledged", "cancelled"),
    "acknowledged": ("active", "cancelled"),
    "active": ("stable", "resolved", "cancelled"),
    "stable": ("active", "resolved"),
    "resolved": ("closed", "active"),
    "closed": (),
    "cancelled": (),
}
# What the platform alone may do besides (operators' choices stay TRANSITIONS): resolve an incident nobody
# has taken up once every device alarm behind it has cleared (service.alarm_cleared). Through acknowledged and
# active it would publish a public alert (alerts.auto_alert) and count as taken up by somebody.
SYSTEM_TRANSITIONS: dict[str, tuple[str, ...]] = {"new": ("resolved",)}

STAGES: dict[int, tuple[str, str]] = {
    0: ("Bình thường", "Normal"),
    1: ("Theo dõi", "Watch"),
    2: ("Cảnh báo", "Warning"),
    3: ("Khẩn cấp", "Emergency"),
}

# an indicator's unit (kpis.py `unit`) as the page's language writes it after a figure
UNIT_WORDS = {
    "vi": {
        "%": "%",
        "count": "",
        "days": "ngày",
        "hours": "giờ",
        "h": "giờ",
        "per 1000": "trên 1.000",
        "km/t": "km/tấn",
    },
    "en": {
        "%": "%",
        "count": "",
        "days": "days",
        "hours": "hours",
        "h": "hours",
        "per 1000": "per 1,000",
        "km/t": "km/t",
    },
}
# where an incident's event came from (schemas.Source), as a person reads it
SOURCES = {
    "alarm": "Cảnh báo thiết bị",
    "camera": "Camera giám sát",
    "report": "Phản ánh của người dân",
    "manual": "Cán bộ nhập",
    "api": "Hệ thống kết nối",
    "sensor": "Cảm biến",
}
STEP_KINDS = {"manual": "Thủ công", "notification": "Thông báo", "automated": "Tự động"}

# What the other domains' signals become: IoT alarm severities and urgent report categories.
ALARM_SEVERITY = {"informational": 1, "low": 2, "warning": 2, "medium": 3, "high": 4, "critical": 4}
# The incident a device alarm opens, by what was measured: incident type -> device type -> telemetry keys (the
# device types' keys, iot/device_types/). An alarm on anything else (a battery, the radio signal, a lid, a
# cabinet's door) is the device's own maintenance: it stays on the device alarms page.
ALARM_INCIDENTS: dict[str, dict[str, tuple[str, ...]]] = {
    "fire": {"waste_container": ("temperature",)},
    "waste_overflow": {"waste_container": ("fillingLevel",)},
    "power_outage": {
        "streetlight": ("powerState", "dimLevel", "voltage", "powerConsumption"),
        "streetlight_group": ("powerState",),
        "streetlight_cabinet": ("contactorState", "voltage", "intensity", "activePower"),
    },
    "pollution": {
        "air_quality": ("pm25", "pm10", "no2", "so2", "o3", "co", "airQualityIndex", "airQualityLevel"),
    },
    "congestion": {"traffic_flow": ("congested", "occupancy", "averageVehicleSpeed", "intensity")},
    "flooding": {"flood_sensor": ("currentLevel", "measuredDistance")},
}
# Alarms of these rule kinds are about the device whatever it measures: it stopped sending (no incident).
DEVICE_ONLY_RULE_KINDS = frozenset({"no_data"})
_INCIDENT_BY_MEASUREMENT = {
    (device_type, key): kind
    for kind, measured in ALARM_INCIDENTS.items()
    for device_type, keys in measured.items()
    for key in keys
}
REPORT_TYPE_BY_CATEGORY_WORD = {
    "giao-thong": "congestion",
    "den-tin-hieu": "congestion",
    "an-ninh": "crowd_security",
    "moi-truong": "pollution",
    "ha-tang": "road_damage",
}


@lru_cache(maxsize=1)
def playbooks() -> dict[str, list[dict[str, Any]]]:
    """Every type's playbook steps, read from playbooks.json."""
    data = json.loads(PLAYBOOKS_FILE.read_text(encoding="utf-8"))
    return {code: steps for code, steps in data.items() if not code.startswith("_")}


def type_of_alarm(rule_kind: str | None, device_type: str, key: str | None) -> str | None:
    """The incident type a device alarm opens, by what was measured (ALARM_INCIDENTS); None for an alarm
    about the device itself (its lost connection, its battery...)."""
    if rule_kind in DEVICE_ONLY_RULE_KINDS or key is None:
        return None
    return _INCIDENT_BY_MEASUREMENT.get((device_type, key))


def alarm_ref(alarm_id: int) -> str:
    """The source reference of an incident's event that was a device alarm."""
    return f"alarm:{alarm_id}"


def alarm_of(source_ref: str) -> int | None:
    """The device alarm an event's source reference names (alarm_ref), or None."""
    kind, _, number = source_ref.partition(":")
    return int(number) if kind == "alarm" and number.isdigit() else None


def type_of_report(category_code: str) -> str:
    """The incident type an urgent report of this 1022 category becomes."""
    for word, kind in REPORT_TYPE_BY_CATEGORY_WORD.items():
        if word in category_code:
            return kind
    return "citizen_report"
