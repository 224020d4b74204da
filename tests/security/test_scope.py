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


def _submit(city, settings, *, is_public: bool, description: str = "Ổ gà lớn giữa đường, xe máy dễ té."):  # type: ignore[no-untyped-def]
    data = ReportCreate(
        category_code="ha-tang",
        description=description,
        lon=PHU_CUONG[0],
        lat=PHU_CUONG[1],
        address="Đường Bạch Đằng",
        reporter_phone="0912 345 678",
        is_public=is_public,
    )
    return service.submit_report(city, actor=CITIZEN, data=data, secret=settings.resolved_secret_key).report


def _other(unit: str) -> str:
    return "UBND-25750-HCM" if unit != "UBND-25750-HCM" else "UBND-25747-HCM"


def test_a_private_report_is_not_found_for_the_clerk_of_another_ward(city, settings):
    report = _submit(city, settings, is_public=False)
    handling_unit = report.unit_code
    assert handling_unit
    other_unit = _other(handling_unit)
    assert service.get_report(city, actor=_clerk(handling_unit), code=report.code).code == report.code
    with pytest.raises(NotFound):
        service.get_report(city, actor=_clerk(other_unit), code=report.code)


def _listed(db, actor: Actor) -> set[str]:  # type: ignore[no-untyped-def]
    items, total = service.list_reports(db, actor=actor, filters=service.ReportFilter(public_only=False))
    assert total == len(items)
    return {item.code for item in items}


def test_staff_lists_of_reports_hold_only_the_private_reports_of_the_callers_unit(city, settings):
    """This failed before: the staff list gave every ward's private reports to any ward's clerk."""
    private = _submit(city, settings, is_public=False)
    public = _submit(city, settings, is_public=True, description="Đèn đường hỏng cả dãy, tối om.")
    unit = private.unit_code
    assert unit
    operator = Actor(kind="user", name="vanhanh", user_id=9200, roles=frozenset({("operator", None)}))
    city_wide_head = Actor(kind="user", name="head", user_id=9300, roles=frozenset({("head", None)}))
    assert _listed(city, _clerk(unit)) == {private.code, public.code}
    assert _listed(city, _clerk(_other(unit))) == {public.code}  # public ones, as for everyone
    assert _listed(city, operator) == {private.code, public.code}  # hotline 1022 dispatches every unit's
    assert _listed(city, city_wide_head) == {private.code, public.code}
    assert _listed(city, CITIZEN) == {public.code}  # the reporter's own come with mine=true
    mine = service.ReportFilter(reporter_user_id=CITIZEN.user_id, public_only=False)
    assert {r.code for r in service.list_reports(city, actor=CITIZEN, filters=mine)[0]} == {
        private.code,
        public.code,
    }


def test_the_report_list_api_and_the_staff_queue_page_narrow_to_the_callers_unit(
    city, settings, client, monkeypatch
):
    from smartcity.accounts import service as accounts

    private = _submit(city, settings, is_public=False)
    unit = private.unit_code
    assert unit
    password = "scope horse battery staple"
    for name, role in (("own_clerk", ("clerk", unit)), ("other_clerk", ("clerk", _other(unit)))):
        accounts.create_user(city, actor=SYSTEM, username=name, password=password, roles=[role])

    def bearer(name: str) -> dict[str, str]:
        token = accounts.login_for_token(
            city, settings=settings, username=name, password=password, client_ip="10.9.9.9"
        ).access_token
        return {"Authorization": f"Bearer {token}"}

    own = client.get("/api/v1/feedback/reports", headers=bearer("own_clerk")).json()
    other = client.get("/api/v1/feedback/reports", headers=bearer("other_clerk")).json()
    assert [item["code"] for item in own["items"]] == [private.code]
    assert other == {"items": [], "total": 0, "limit": 50, "offset": 0}
    by_unit = client.get(f"/api/v1/feedback/reports?unit={unit}", headers=bearer("other_clerk")).json()
    assert by_unit["total"] == 0  # asking for the other unit by name does not widen the list
    assert (
        client.get(f"/api/v1/feedback/reports/{private.code}", headers=bearer("other_clerk")).status_code
        == 404
    )
    own_page = client.get("/can-bo/phan-anh", headers=bearer("own_clerk"), follow_redirects=False)
    assert own_page.status_code == 200 and private.code in own_page.text
    page = client.get(f"/can-bo/phan-anh?unit={unit}", headers=bearer("other_clerk"), follow_redirects=False)
    assert page.status_code == 200 and private.code not in page.text
