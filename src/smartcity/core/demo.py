"""What every domain's demo shares: one generated password for the admin and every demo account,
synthetic Vietnamese names drawn from a seeded generator (the same seed gives the same people), and the
demo citizen with her children, declared once so that her ID card, her health record, her dossiers and
her children's school agree."""

from __future__ import annotations

import os
import random
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

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


DEMO_LOADING_MARK = "demo-loading"
"""The file in the data directory that says the demo's data is still loading (it holds the loader's pid)."""


@contextmanager
def demo_data_loading(data_dir: Path) -> Iterator[None]:
    """Mark the demo data as loading while the block runs, so that pages can say why they are still empty."""
    data_dir.mkdir(parents=True, exist_ok=True)
    mark = data_dir / DEMO_LOADING_MARK
    mark.write_text(str(os.getpid()))
    try:
        yield
    finally:
        mark.unlink(missing_ok=True)


def demo_data_still_loading(data_dir: Path) -> bool:
    """Whether a running demo is still loading its data (a mark left by a stopped process does not count)."""
    try:
        os.kill(int((data_dir / DEMO_LOADING_MARK).read_text()), 0)
    except (OSError, ValueError):  # no mark, an unreadable one, or its process has gone
        return False
    return True


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


# ------------------------------------------------------------------ the demo citizen and her children

PROVINCE_CODE = (
    "074"  # Bình Dương's code in an ID number (the province is part of Hồ Chí Minh City since 2025)
)


def id_number(birth: date, *, female: bool, serial: int) -> str:
    """A (fictitious) 12-digit personal ID number as Decree 137/2015/NĐ-CP encodes it: the province of
    birth registration, a digit for century and sex (0 a man, 1 a woman born in the 1900s; 2 and 3 in the
    2000s), the last two digits of the birth year, then six digits of serial."""
    century = 2 * (birth.year // 100 - 19)
    return f"{PROVINCE_CODE}{century + female}{birth.year % 100:02d}{serial:06d}"


@dataclass(frozen=True)
class DemoPerson:
    """One person of the demo's family: family name first, then middle and given names."""

    family: str
    given: tuple[str, ...]
    female: bool
    birth: date
    id_number: str

    @property
    def full_name(self) -> str:
        return " ".join((self.family, *self.given))


@dataclass(frozen=True)
class DemoCitizen(DemoPerson):
    """The demo citizen: her login, phone, ward and street besides who she is."""

    username: str
    phone: str
    ward_code: str
    street: str


_BIRTH = date(1990, 4, 12)
DEMO_CITIZEN = DemoCitizen(
    family="Đỗ",
    given=("Thị", "Lan"),
    female=True,
    birth=_BIRTH,
    id_number=id_number(_BIRTH, female=True, serial=12482),  # 074190012482
    username="congdan",
    phone="0912034517",
    ward_code="25747",  # Phường Thủ Dầu Một
    street="45 đường Yersin",
)
FATHER_FAMILY = "Nguyễn"  # children take their father's family name; their mother keeps hers
BABY_AGE_DAYS = 360  # the baby's first Japanese encephalitis dose (at 365 days) is due within the week


class DemoChildren(NamedTuple):
    """The demo citizen's children: a boy in class 3, a girl in kindergarten's oldest group (Lá), a baby."""

    son: DemoPerson
    daughter: DemoPerson
    baby: DemoPerson


def school_year_start(today: date) -> date:
    """The first day of the school year containing `today` (5 September), or of the last one in summer."""
    year = today.year if today >= date(today.year, 9, 5) else today.year - 1
    return date(year, 9, 5)


def demo_children(today: date) -> DemoChildren:
    """Her children on `today`, born so that they are always in the same classes and the baby always
    has vaccinations given and due: a child starts class 1 in the calendar year they turn six, and the
    kindergarten's oldest group (Lá) in the year they turn five."""
    first = school_year_start(today).year
    son_birth, daughter_birth = date(first - 8, 3, 14), date(first - 5, 7, 23)
    baby_birth = today - timedelta(days=BABY_AGE_DAYS)

    def child(given: tuple[str, ...], female: bool, birth: date, serial: int) -> DemoPerson:
        return DemoPerson(FATHER_FAMILY, given, female, birth, id_number(birth, female=female, serial=serial))

    return DemoChildren(
        son=child(("Minh", "Khang"), False, son_birth, 4417),
        daughter=child(("Ngọc", "Bảo", "Vy"), True, daughter_birth, 9268),
        baby=child(("Minh", "An"), False, baby_birth, 13590),
    )
