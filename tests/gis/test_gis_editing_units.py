"""Editing the map is the work of urban management, environment and the committees, not a school's."""

from __future__ import annotations

from smartcity.core.security import Actor
from smartcity.gis import service
from smartcity.web.deps import current_actor

SCHOOL_TEACHER = Actor(
    kind="user", name="giaovien", user_id=21, roles=frozenset({("specialist", "TRUONG-TH-PHUHOA1")})
)
SCHOOL_HEAD = Actor(
    kind="user", name="hieutruong", user_id=22, roles=frozenset({("head", "TRUONG-TH-PHUHOA1")})
)
URBAN_SPECIALIST = Actor(kind="user", name="qldt", user_id=23, roles=frozenset({("specialist", "TDM-QLDT")}))
WARD_CLERK = Actor(kind="user", name="motcua", user_id=24, roles=frozenset({("clerk", "UBND-25747-HCM")}))


def test_a_schools_staff_may_not_edit_the_map_and_urban_management_may(demo, client):
    parcel = service.query_features(demo, slug="land-parcels", limit=1).features[0]
    url = f"/api/v1/gis/layers/land-parcels/features/{parcel.id}"
    change = {"properties": {"map_sheet": 77}, "reason": "Sai số tờ"}
    try:
        for outsider in (SCHOOL_TEACHER, SCHOOL_HEAD):
            client.app.dependency_overrides[current_actor] = lambda outsider=outsider: outsider
            refused = client.patch(url, json=change)
            assert refused.status_code == 403, refused.text
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert (
                client.patch("/api/v1/gis/layers/land-parcels", json={"published": False}).status_code == 403
            )
        assert (
            service.get_feature(
                demo, slug="land-parcels", feature_id=str(parcel.id), published_only=False
            ).version
            == 1
        )
        client.app.dependency_overrides[current_actor] = lambda: URBAN_SPECIALIST
        edited = client.patch(url, json=change)
        assert edited.status_code == 200 and edited.json()["version"] == 2
    finally:
        client.app.dependency_overrides.clear()


def test_the_editor_page_tells_a_school_head_whose_work_it_is(demo, client):
    client.app.dependency_overrides[current_actor] = lambda: SCHOOL_HEAD
    try:
        page = client.get("/can-bo/ban-do-chinh-sua", headers={"Accept": "text/html"})
    finally:
        client.app.dependency_overrides.clear()
    assert page.status_code == 403 and "Phòng Quản lý đô thị" in page.text


def test_editors_are_scoped_to_their_units():
    assert service.is_editor(URBAN_SPECIALIST) and not service.is_editor(SCHOOL_HEAD)
    assert service.is_editor(Actor(kind="user", name="p", roles=frozenset({("head", "UBND-25747-HCM")})))
    assert service.is_editor(Actor(kind="user", name="c", roles=frozenset({("specialist", None)})))
    assert not service.is_editor(WARD_CLERK)  # a clerk numbers houses; editing layers is a specialist's


def test_the_editor_names_layers_in_the_pages_language(demo, client):
    client.app.dependency_overrides[current_actor] = lambda: URBAN_SPECIALIST
    try:
        vietnamese = client.get("/can-bo/ban-do-chinh-sua", headers={"Accept": "text/html"}).text
        english = client.get("/can-bo/ban-do-chinh-sua?lang=en", headers={"Accept": "text/html"}).text
    finally:
        client.app.dependency_overrides.clear()
    choices = english.split('id="layer-select"')[1].split("</select>")[0]
    assert ">Land parcels<" in choices and "Thửa đất" not in choices
    assert ">Thửa đất<" in vietnamese.split('id="layer-select"')[1].split("</select>")[0]
