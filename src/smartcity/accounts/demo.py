"""Demo accounts: the one-stop team of each of the city's five wards, an operator and a citizen."""

from __future__ import annotations

from smartcity.accounts.service import create_user, get_user_by_username, update_user
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.demo import DEMO_CITIZEN, demo_password
from smartcity.core.security import Actor

DEMO_WARD_COMMITTEE = "UBND-25747-HCM"  # Phường Thủ Dầu Một, since the 2025 reorganisation
TEAM_ROLES = (
    ("motcua", "clerk"),
    ("chuyenvien", "specialist"),
    ("truongphong", "head"),
    ("lanhdao", "leader"),
)
"""A ward's one-stop team: the login's first part and the role (clerk receives, specialist processes, head
checks, leader decides and signs)."""

OTHER_WARD_TEAMS = {  # the committee, the login's ward part, the team's names in TEAM_ROLES order
    "UBND-25750-HCM": ("phuloi", ("Đặng Thị Thu Hà", "Huỳnh Văn Phúc", "Ngô Thị Kim Loan", "Bùi Quốc Dũng")),
    "UBND-25771-HCM": (
        "chanhhiep",
        ("Lý Thị Ngọc Trâm", "Đỗ Minh Khoa", "Trương Thị Bích Vân", "Hồ Văn Lộc"),
    ),
    "UBND-25760-HCM": (
        "binhduong",
        ("Phan Thị Mỹ Duyên", "Vũ Đức Thịnh", "Dương Thị Thanh Tâm", "Lâm Văn Nghĩa"),
    ),
    "UBND-25768-HCM": (
        "phuan",
        ("Tạ Thị Hoài Thương", "Châu Văn Tài", "Mai Thị Ánh Tuyết", "Trịnh Công Danh"),
    ),
}

DEMO_USERS = (
    ("motcua", "Nguyễn Thị Mai", "clerk", DEMO_WARD_COMMITTEE),
    ("chuyenvien", "Trần Văn Hùng", "specialist", DEMO_WARD_COMMITTEE),
    ("truongphong", "Lê Thị Hồng", "head", DEMO_WARD_COMMITTEE),
    ("lanhdao", "Phạm Minh Tuấn", "leader", DEMO_WARD_COMMITTEE),
    *(
        (f"{login}.{ward}", name, role, committee)
        for committee, (ward, names) in OTHER_WARD_TEAMS.items()
        for (login, role), name in zip(TEAM_ROLES, names, strict=True)
    ),
    ("vanhanh", "Võ Thanh Sơn", "operator", None),
    (DEMO_CITIZEN.username, DEMO_CITIZEN.full_name, "citizen", None),
)
"""Every ward has its team, so a citizen of any ward can file online and the dossier meets people; the
first ward's team keeps the short logins (motcua, chuyenvien, truongphong, lanhdao)."""


def load_demo(db: Database, *, settings: Settings, actor: Actor) -> str:
    """Create the demo accounts that are missing; existing ones are left as they are."""
    password = demo_password(settings)
    created = []
    for username, full_name, role, unit in DEMO_USERS:
        citizen = username == DEMO_CITIZEN.username
        existing = get_user_by_username(db, username)
        if existing is None:
            create_user(
                db,
                actor=actor,
                username=username,
                password=password,
                full_name=full_name,
                phone=DEMO_CITIZEN.phone if citizen else None,
                citizen_id=DEMO_CITIZEN.id_number if citizen else None,
                roles=[(role, unit)],
            )
            created.append(username)
        elif citizen and existing.citizen_id_masked is None:  # a demo made before accounts kept the number
            update_user(db, actor=actor, user_id=existing.id, changes={"citizen_id": DEMO_CITIZEN.id_number})
    first_ward = ", ".join(
        f"{u} ({r})" for u, _n, r, unit in DEMO_USERS if unit in (None, DEMO_WARD_COMMITTEE)
    )
    others = ", ".join(ward for ward, _names in OTHER_WARD_TEAMS.values())
    return (
        f"{len(created)} created; logins {first_ward}, the same with .{{ward}} for the wards {others}; "
        "with the admin's password"
    )
