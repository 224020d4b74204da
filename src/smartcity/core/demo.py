"""What every domain's demo shares: one generated password for the admin and every demo account, and
synthetic Vietnamese names drawn from a seeded generator (the same seed gives the same people)."""

from __future__ import annotations

import random
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smartcity.core.config import Settings


def demo_admin_password(data_dir: Path) -> str:
    """The demo admin's password: generated on first run and kept (mode 600) in the data directory."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "demo-admin-password"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(12))
        path.chmod(0o600)
    return path.read_text().strip()


def demo_password(settings: Settings) -> str:
    """The password every demo account shares with the demo admin (printed by `smartcity demo`)."""
    return demo_admin_password(settings.data_dir)


# A family name, then a middle and a given name by sex (True: female).
FAMILY_NAMES = (
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Huỳnh",
    "Hoàng",
    "Võ",
    "Phan",
    "Trương",
    "Bùi",
    "Đặng",
    "Đỗ",
    "Ngô",
    "Hồ",
    "Dương",
    "Lý",
)
MIDDLE_NAMES = {
    False: ("Văn", "Hữu", "Đức", "Minh", "Quốc", "Thanh"),
    True: ("Thị", "Ngọc", "Thu", "Kim", "Mỹ", "Thanh"),
}
GIVEN_NAMES = {
    False: ("Hùng", "Dũng", "Tuấn", "Phúc", "Long", "Khang", "Bảo", "Nam", "Sơn", "Tài", "Hiếu", "Trí"),
    True: ("Lan", "Hoa", "Mai", "Hương", "Trang", "Linh", "Ngân", "Vy", "Thảo", "Nhi", "Yến", "Hà"),
}


def given_names(rng: random.Random, *, female: bool | None = None) -> list[str]:
    """A middle and a given name for a woman, a man, or (None) either, drawn from `rng`."""
    if female is None:
        female = rng.random() < 0.5
    return [rng.choice(MIDDLE_NAMES[female]), rng.choice(GIVEN_NAMES[female])]


def person_name(rng: random.Random, *, female: bool | None = None) -> str:
    """A synthetic full name, family name first: "Nguyễn Thị Lan"."""
    return " ".join([rng.choice(FAMILY_NAMES), *given_names(rng, female=female)])
