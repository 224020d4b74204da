"""Common: part of the accounts service (see __init__)."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from argon2 import PasswordHasher

from smartcity.core.security import ROLE_SLUGS

log = logging.getLogger(__name__)

ROLE_NAMES: dict[str, tuple[str, str]] = {
    "citizen": ("Công dân", "Citizen"),
    "clerk": ("Cán bộ tiếp nhận một cửa", "One-stop intake clerk"),
    "specialist": ("Chuyên viên", "Specialist"),
    "head": ("Trưởng phòng, đơn vị", "Head of unit"),
    "leader": ("Lãnh đạo", "Leader"),
    "operator": ("Nhân viên vận hành IOC", "Operations-centre operator"),
    "admin": ("Quản trị hệ thống", "Administrator"),
    "integrator": ("Hệ thống tích hợp", "Integrated system"),
    "health_worker": ("Nhân viên y tế", "Health worker"),
    "health_manager": ("Quản lý y tế", "Health manager"),
}
STAFF_ROLES = frozenset(ROLE_SLUGS) - {"citizen"}
ROLE_ORDER = {slug: index for index, slug in enumerate(ROLE_SLUGS)}
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@-]{2,63}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_PATTERN = re.compile(r"^\+?[0-9]{8,15}$")
API_KEY_PATTERN = re.compile(r"^sc_([0-9a-f]{8})_([A-Za-z0-9_-]{20,128})$")
MIN_PASSWORD_LENGTH = 8
TOKEN_SALT = "smartcity.access-token"  # noqa: S105 (a namespace, not a secret)
LAST_USED_RESOLUTION = timedelta(seconds=60)
WRONG_CREDENTIALS = "Wrong username or password."

_hasher = PasswordHasher()
