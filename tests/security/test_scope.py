"""Objects of another ward answer 404: a ward's staff never learn of another ward's private report."""

from __future__ import annotations

import pytest

from smartcity.core.errors import NotFound
from smartcity.core.security import Actor
from smartcity.feedback import service
from smartcity.feedback.schemas import ReportCreate

SYSTEM = Actor.system("test")
CITIZEN = Actor(kind="user", name="citizen", user_id=9002, roles=frozenset({("citizen", None)}))
PHU_CUONG = (106.655, 10.98)  # in ward 25747 (Phú Cường until 2025-06-30, Thủ Dầu Một after)


@pytest.fixture
def city(db):  # type: ignore[no-untyped-def]
    """The Thủ Dầu Một pack: wards, org units and the feedback categories."""
    from smartcity.city.loader import load_city_pack

    load_city_pack(db, pack="thu-dau-mot", actor=SYSTEM)
    return db


def _clerk(unit: str) -> Actor:
    return Actor(kind="user", name=f"clerk@{unit}", user_id=9100, roles=frozenset({("clerk", unit)}))


def test_a_private_report_is_not_found_for_the_clerk_of_another_ward(city, settings):
    data = ReportCreate(
        category_code="ha-tang",
        description="Ổ gà lớn giữa đường, xe máy dễ té.",
        lon=PHU_CUONG[0],
        lat=PHU_CUONG[1],
        address="Đường Bạch Đằng",
        reporter_phone="0912 345 678",
        is_public=False,
    )
    report = service.submit_report(city, actor=CITIZEN, data=data, secret=settings.resolved_secret_key).report
    handling_unit = report.unit_code
    assert handling_unit
    other_unit = "UBND-25750-HCM" if handling_unit != "UBND-25750-HCM" else "UBND-25747-HCM"
    assert service.get_report(city, actor=_clerk(handling_unit), code=report.code).code == report.code
    with pytest.raises(NotFound):
        service.get_report(city, actor=_clerk(other_unit), code=report.code)
