"""The names education pages show for its codes, in the page's language: levels, grades, fee types,
exemption categories, sexes.

The Vietnamese names are the service's (service/common.py, fees.json); the English ones are here or in
fees.json ("name_en"). Words the templates translate one by one with gettext (teaching modes, statuses,
conditions, staff roles) are in the education catalogue instead."""

from __future__ import annotations

from smartcity.education.service.common import LEVELS, grade_name, reference

LEVELS_EN = {"preschool": "Preschool", "primary": "Primary", "lower_secondary": "Lower secondary"}
SEXES = {"M": "Nam", "F": "Nữ"}
SEXES_EN = {"M": "Male", "F": "Female"}
# The subjects and activities of the national curriculum (Circular 32/2018/TT-BGDĐT; preschool: Circular
# 51/2020/TT-BGDĐT) as schools write them; a subject a school names otherwise is shown as written.
SUBJECTS_EN = {
    "Tiếng Việt": "Vietnamese",
    "Ngữ văn": "Literature",
    "Toán": "Mathematics",
    "Tiếng Anh": "English",
    "Ngoại ngữ": "Foreign language",
    "Tự nhiên và Xã hội": "Nature and society",
    "Khoa học": "Science",
    "Khoa học tự nhiên": "Natural science",
    "Lịch sử và Địa lý": "History and geography",
    "Đạo đức": "Ethics",
    "Giáo dục công dân": "Civic education",
    "GDCD": "Civic education",
    "Âm nhạc": "Music",
    "Mĩ thuật": "Fine arts",
    "Mỹ thuật": "Fine arts",
    "Nghệ thuật": "Arts",
    "Giáo dục thể chất": "Physical education",
    "Tin học": "Informatics",
    "Công nghệ": "Technology",
    "Tin học và Công nghệ": "Informatics and technology",
    "Hoạt động trải nghiệm": "Experiential activities",
    "Hoạt động trải nghiệm, hướng nghiệp": "Experiential and career activities",
    "Giáo dục địa phương": "Local studies",
    "Hoạt động học": "Learning activities",
    "Làm quen chữ cái": "Letters",
    "Vận động": "Movement",
    "Tạo hình": "Arts and crafts",
}
__all__ = ["category_names", "fee_type_names", "grade_name", "level_names", "sex_names", "subject_names"]


def level_names(locale: str = "vi") -> dict[str, str]:
    """Every school level's name by code ("Mầm non"; "Preschool" in English)."""
    return {code: LEVELS_EN[code] if locale == "en" else name for code, name in LEVELS.items()}


def fee_type_names(locale: str = "vi") -> dict[str, str]:
    """Every fee type's name by code, in English where asked and known."""
    return {
        f["code"]: (f.get("name_en") or f["name"]) if locale == "en" else f["name"]
        for f in reference("fees.json")["fee_types"]
    }


def category_names(locale: str = "vi") -> dict[str, str]:
    """Every exemption and reduction category's name by code, in English where asked and known."""
    return {
        c["code"]: (c.get("name_en") or c["name"]) if locale == "en" else c["name"]
        for c in reference("fees.json")["categories"]
    }


def sex_names(locale: str = "vi") -> dict[str, str]:
    """A student's sex in words, by the stored letter."""
    return SEXES_EN if locale == "en" else SEXES


def subject_names(locale: str = "vi") -> dict[str, str]:
    """The curriculum's subjects in English by their Vietnamese names (none in Vietnamese: a subject is
    shown as the school wrote it)."""
    return SUBJECTS_EN if locale == "en" else {}
