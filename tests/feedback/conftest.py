"""Fixtures of the feedback tests: the city loaded (wards, org units, categories), actors, dates."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from smartcity.accounts import service as accounts_service
from smartcity.core.security import Actor
from smartcity.feedback.schemas import ReportCreate

SYSTEM = Actor.system("test")
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
BEFORE = datetime(2025, 3, 10, 9, 0, tzinfo=LOCAL)  # a Monday, 14 wards
AFTER = datetime(2025, 9, 15, 9, 0, tzinfo=LOCAL)  # a Monday, 5 wards of Hồ Chí Minh City
PHU_CUONG = (106.655, 10.98)  # seed point of ward 25747 (Phú Cường until 2025-06-30)
OUTSIDE = (106.80, 10.80)  # south of the city, in Hồ Chí Minh City's old core
PASSWORD = "correct horse battery"
SECRET = "test-secret-key-not-for-production"

OPERATOR = Actor(kind="user", name="operator", user_id=9001, roles=frozenset({("operator", None)}))
CITIZEN = Actor(kind="user", name="citizen", user_id=9002, roles=frozenset({("citizen", None)}))
OTHER_CITIZEN = Actor(kind="user", name="other", user_id=9003, roles=frozenset({("citizen", None)}))


def staff_of(unit: str, role: str = "specialist") -> Actor:
    """A staff member of one org unit."""
    return Actor(kind="user", name=f"{role}@{unit}", user_id=9100, roles=frozenset({(role, unit)}))


@pytest.fixture
def city(db):  # type: ignore[no-untyped-def]
    """The Thủ Dầu Một pack loaded: wards, org units (accounts handler) and categories (feedback handler)."""
    from smartcity.city.loader import load_city_pack

    load_city_pack(db, pack="thu-dau-mot", actor=SYSTEM)
    return db


@pytest.fixture
def report_data() -> Callable[..., ReportCreate]:
    """A valid report at Phú Cường, with fields overridable."""

    def make(**fields) -> ReportCreate:  # type: ignore[no-untyped-def]
        values = {
            "category_code": "ha-tang",
            "description": "Ổ gà lớn giữa đường, xe máy dễ té.",
            "lon": PHU_CUONG[0],
            "lat": PHU_CUONG[1],
            "address": "Đường Bạch Đằng",
            "reporter_phone": "0912 345 678",
            "reporter_name": "Nguyễn Văn A",
        }
        values.update(fields)
        return ReportCreate(**values)

    return make


def jpeg_with_gps(size: tuple[int, int] = (64, 48)) -> bytes:
    """A small JPEG carrying EXIF GPS tags and a camera model."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x0110] = "Secret Camera"  # Model
    gps = {1: "N", 2: (10.0, 58.0, 48.0), 3: "E", 4: (106.0, 39.0, 18.0)}
    exif[0x8825] = gps
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


@pytest.fixture
def login(db, settings) -> Callable[..., dict[str, str]]:
    """Create a user with roles and return bearer headers for it."""

    def make(username: str, *roles: tuple[str, str | None]) -> dict[str, str]:
        accounts_service.create_user(
            db, actor=SYSTEM, username=username, password=PASSWORD, roles=list(roles)
        )
        token = accounts_service.login_for_token(
            db, settings=settings, username=username, password=PASSWORD, client_ip="10.1.2.3"
        ).access_token
        return {"Authorization": f"Bearer {token}"}

    return make
