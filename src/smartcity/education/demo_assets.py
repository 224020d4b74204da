"""The demo's register of one school: what a public school of its level and size typically holds, with
synthetic values and purchase dates (nothing after today)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

# name, category, depreciation class, quantity rule, unit value (đồng), learning device
COMMON = (
    ("Máy vi tính để bàn (văn phòng)", "it", "computer", "office", 13_500_000, False),
    ("Máy tính xách tay cho giáo viên", "it", "computer", "third", 16_900_000, False),
    ("Máy in laser", "it", "office_machine", 3, 6_500_000, False),
    ("Máy photocopy", "it", "office_machine", 1, 45_000_000, False),
    ("Máy điều hòa không khí 2 HP", "equipment", "air_conditioner", "class", 14_200_000, False),
    ("Bàn ghế giáo viên", "furniture", "furniture", "class", 2_800_000, False),
    ("Tủ đựng hồ sơ, đồ dùng", "furniture", "furniture", "class", 4_500_000, False),
)
SCHOOL = (
    ("Màn hình tương tác 75 inch", "it", "office_machine", "class", 28_000_000, False),
    ("Bàn ghế học sinh (bộ 2 chỗ)", "furniture", "furniture", "seats", 1_900_000, False),
    ("Máy vi tính phòng tin học", "it", "computer", "lab", 14_500_000, True),
    ("Máy tính bảng học sinh", "it", "computer", "tablets", 8_900_000, True),
    ("Đàn organ", "equipment", "musical_instrument", 3, 12_500_000, False),
)
PRIMARY = (
    ("Bộ thiết bị dạy học tối thiểu theo khối lớp", "equipment", "teaching_equipment", 5, 32_000_000, False),
)
LOWER_SECONDARY = (
    ("Bộ thiết bị dạy học tối thiểu theo khối lớp", "equipment", "teaching_equipment", 4, 41_000_000, False),
    ("Thiết bị phòng thực hành Khoa học tự nhiên", "equipment", "teaching_equipment", 3, 125_000_000, False),
)
PRESCHOOL = (
    ("Ti vi thông minh 55 inch cho lớp", "it", "office_machine", "class", 12_900_000, False),
    ("Bàn ghế trẻ mầm non (bộ 6 chỗ)", "furniture", "furniture", "tables", 2_400_000, False),
    ("Bộ đồ chơi ngoài trời liên hoàn", "equipment", "playground", 2, 68_000_000, False),
    (
        "Bộ thiết bị, đồ dùng, đồ chơi tối thiểu cho nhóm, lớp",
        "equipment",
        "teaching_equipment",
        "class",
        15_500_000,
        False,
    ),
    ("Đàn organ", "equipment", "musical_instrument", "half", 12_500_000, False),
    ("Máy tính bảng cho góc làm quen công nghệ", "it", "computer", 8, 8_900_000, True),
)


def _quantity(rule: int | str, classes: int, rng: random.Random, level: str) -> int:
    if isinstance(rule, int):
        return rule
    lab = 40 if level == "lower_secondary" else 35
    return {
        "office": rng.randint(6, 10),
        "third": max(3, classes // 3),
        "class": classes,
        "half": max(1, classes // 2),
        "seats": classes * 20,
        "tables": classes * 5,
        "lab": lab * (2 if level == "lower_secondary" or classes > 40 else 1),
        "tablets": rng.choice((30, 40, 45, 60)),
    }[rule]


def _condition(rng: random.Random, acquired: date, today: date) -> str:
    years = (today - acquired).days / 365
    weights = (max(1.0, 8 - years), 2 + years / 2, years / 3, years / 10)
    return rng.choices(("good", "fair", "poor", "broken"), weights)[0]


def school_assets(rng: random.Random, level: str, classes: int, today: date) -> list[dict[str, Any]]:
    """One school's items as rows of the asset table (without school and code)."""
    kinds = COMMON + (
        PRESCHOOL if level == "preschool" else SCHOOL + (PRIMARY if level == "primary" else LOWER_SECONDARY)
    )
    rows = []
    latest = today - timedelta(days=40)
    for name, category, klass, rule, value, device in kinds:
        batches = 2 if rule in ("class", "seats", "tables", "lab") and classes > 10 else 1
        total = _quantity(rule, classes, rng, level)
        for batch in range(batches):
            quantity = total // batches + (total % batches if batch == batches - 1 else 0)
            if quantity <= 0:
                continue
            acquired = date(rng.randint(2016, latest.year), rng.randint(1, 12), rng.randint(1, 28))
            acquired = min(acquired, latest)
            rows.append(
                {
                    "name": name if batches == 1 else f"{name} (đợt {batch + 1})",
                    "category": category,
                    "depreciation_class": klass,
                    "quantity": quantity,
                    "unit_value_vnd": int(value * rng.uniform(0.92, 1.08)) // 1000 * 1000,
                    "acquired_on": acquired,
                    "condition": _condition(rng, acquired, today),
                    "learning_device": device,
                }
            )
    return rows
