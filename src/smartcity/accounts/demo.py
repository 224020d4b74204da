"""Demo accounts: the staff of one ward's one-stop process, an operator and a citizen."""

from __future__ import annotations

from smartcity.accounts.service import create_user, get_user_by_username
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.demo import DEMO_CITIZEN, demo_password
from smartcity.core.security import Actor

DEMO_WARD_COMMITTEE = "UBND-25747-HCM"  # Phường Thủ Dầu Một, since the 2025 reorganisation
DEMO_USERS = (
    ("motcua", "Nguyễn Thị Mai", "clerk", DEMO_WARD_COMMITTEE),
    ("chuyenvien", "Trần Văn Hùng", "specialist", DEMO_WARD_COMMITTEE),
    ("truongphong", "Lê Thị Hồng", "head", DEMO_WARD_COMMITTEE),
    ("lanhdao", "Phạm Minh Tuấn", "leader", DEMO_WARD_COMMITTEE),
    ("vanhanh", "Võ Thanh Sơn", "operator", None),
    (DEMO_CITIZEN.username, DEMO_CITIZEN.full_name, "citizen", None),
)


def load_demo(db: Database, *, settings: Settings, actor: Actor) -> str:
    """Create the demo accounts that are missing; existing ones are left as they are."""
    password = demo_password(settings)
    created = []
    for username, full_name, role, unit in DEMO_USERS:
        if get_user_by_username(db, username) is None:
            create_user(
                db,
                actor=actor,
                username=username,
                password=password,
                full_name=full_name,
                phone=DEMO_CITIZEN.phone if username == DEMO_CITIZEN.username else None,
                roles=[(role, unit)],
            )
            created.append(username)
    names = ", ".join(f"{u} ({r})" for u, _n, r, _unit in DEMO_USERS)
    return f"{len(created)} created; logins {names}, with the admin's password"
