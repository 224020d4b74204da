"""Words pages show instead of codes: genders, dose states, quarantine kinds, alerts, symptoms."""

from __future__ import annotations

GENDERS = {"male": "Nam", "female": "Nữ", "other": "Khác", "unknown": "Không rõ"}
DOSE_STATES = {"given": "Đã tiêm", "due": "Đến hạn", "overdue": "Quá hạn", "upcoming": "Chưa đến hạn"}
KINDS = {"case": "Ca bệnh", "contact": "Người tiếp xúc gần"}
ALERTS = {"missed_checkin": "Không khai báo y tế", "warning_symptoms": "Có dấu hiệu cảnh báo"}
AGE_GROUPS = {"0-5": "0–5 tuổi", "6-17": "6–17 tuổi", "18-59": "18–59 tuổi", "60+": "Từ 60 tuổi"}
SYMPTOMS = {
    "sot": "Sốt",
    "ho": "Ho",
    "dau-hong": "Đau họng",
    "mat-vi-giac": "Mất vị giác, khứu giác",
    "phat-ban": "Phát ban",
    "tieu-chay": "Tiêu chảy",
    "kho-tho": "Khó thở",
    "dau-nguc": "Đau tức ngực",
    "tim-tai": "Môi, đầu chi tím tái",
    "lo-mo": "Lơ mơ, khó đánh thức",
    "spo2-thap": "SpO2 dưới 95%",
}
ELEMENTS = {"Patient.birthDate": "Ngày sinh", "Patient.gender": "Giới tính", "Patient.name": "Họ tên"}
INTERACTIONS = {
    "read": "Xem hồ sơ",
    "vread": "Xem phiên bản cũ",
    "search": "Tra cứu",
    "history": "Xem lịch sử",
    "page": "Xem trên trang cán bộ",
}


def who(label: str) -> str:
    """An access-log actor as a person reads it (without the kind prefix and client ids)."""
    name = label.split(":", 1)[-1]
    return name.split(" [")[0]
