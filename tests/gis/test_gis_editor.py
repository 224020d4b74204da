"""The staff map editor: open a feature, correct attributes or move a point with a reason, see history."""

from __future__ import annotations

from fastapi.testclient import TestClient

from smartcity.accounts import service as accounts_service
from smartcity.gis import service
from smartcity.gis.views import EDITOR_PATH, STAFF_LINKS
from tests.gis.conftest import SYSTEM
from tests.support import csrf_of, sign_in

PASSWORD = "Mat-khau-rat-dai-2026"


def _login(app, db, username: str, role: str) -> tuple[TestClient, str]:  # type: ignore[no-untyped-def]
    accounts_service.create_user(db, actor=SYSTEM, username=username, password=PASSWORD, roles=[(role, None)])
    client = TestClient(app)
    sign_in(client, username, PASSWORD, EDITOR_PATH)
    page = client.get(EDITOR_PATH)
    assert page.status_code == 200
    return client, csrf_of(page.text)


def test_specialist_corrects_a_parcel_with_a_reason_and_sees_the_history(app, demo):
    client, token = _login(app, demo, "chuyenvien.gis", "specialist")
    assert f'href="{EDITOR_PATH}"' in client.get("/can-bo").text  # offered on the staff page
    parcel = service.query_features(demo, slug="land-parcels", limit=1, offset=2).features[0]
    page = client.get(EDITOR_PATH, params={"layer": "land-parcels", "id": parcel.id})
    assert page.status_code == 200 and parcel.key in page.text
    assert "Chưa có chỉnh sửa nào." in page.text
    form = {
        "csrf_token": token,
        "layer": "land-parcels",
        "feature_id": parcel.id,
        "version": "1",
        "p_land_use_code": "TMD",
        "p_area_m2": str(parcel.properties["area_m2"]),
        "reason": "Cập nhật theo quyết định chuyển mục đích sử dụng đất",
    }
    saved = client.post(EDITOR_PATH, data=form, follow_redirects=False)
    assert saved.status_code == 303 and "saved=1" in saved.headers["location"]
    stored = service.get_feature(demo, slug="land-parcels", feature_id=parcel.id)
    assert stored.properties["land_use_code"] == "TMD"
    after = client.get(saved.headers["location"])
    assert "Đã lưu chỉnh sửa." in after.text and "chuyển mục đích" in after.text
    assert f"land_use_code: {parcel.properties['land_use_code']} → TMD" in after.text
    history = service.feature_history(demo, slug="land-parcels", feature_id=int(parcel.id))
    assert len(history) == 1 and history[0].changed_properties == {
        "land_use_code": (parcel.properties["land_use_code"], "TMD")
    }
    assert history[0].actor.endswith("chuyenvien.gis") and not history[0].geometry_changed
    stale = client.post(EDITOR_PATH, data={**form, "p_land_use_code": "ODT"}, follow_redirects=False)
    assert stale.status_code == 422 and "version" in stale.text  # someone saved in between
    english = client.get(EDITOR_PATH, params={"layer": "land-parcels", "id": parcel.id, "lang": "en"})
    assert "Map editor" in english.text and "Reason for the correction" in english.text


def test_moving_an_address_point_and_bad_input(app, demo):
    client, token = _login(app, demo, "truongphong.gis", "head")
    address = service.query_features(demo, slug="addresses", limit=1).features[0]
    lon, lat = address.geometry["coordinates"]
    base = {"csrf_token": token, "layer": "addresses", "feature_id": address.id, "version": "1"}
    no_reason = client.post(EDITOR_PATH, data={**base, "lon": str(lon + 0.0001), "lat": str(lat)})
    assert no_reason.status_code == 422 and "lý do" in no_reason.text
    bad_number = client.post(EDITOR_PATH, data={**base, "p_chainage_m": "mười", "reason": "Đo lại"})
    assert bad_number.status_code == 422
    moved = client.post(
        EDITOR_PATH,
        data={**base, "lon": str(lon + 0.0001), "lat": str(lat), "reason": "Đo lại vị trí"},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    stored = service.get_feature(demo, slug="addresses", feature_id=address.id)
    assert abs(stored.geometry["coordinates"][0] - (lon + 0.0001)) < 1e-7 and stored.version == 2
    assert service.feature_history(demo, slug="addresses", feature_id=int(address.id))[0].geometry_changed
    assert (
        client.post(
            EDITOR_PATH, data={**base, "version": "2", "reason": "x"}, follow_redirects=False
        ).status_code
        == 303
    )  # nothing changed: still a recorded review
    missing = client.post(EDITOR_PATH, data={**base, "feature_id": "999999", "reason": "x"})
    assert missing.status_code == 404


def test_editor_is_for_editors_only_and_needs_csrf(app, demo, client):
    assert client.get(EDITOR_PATH, follow_redirects=False).status_code == 303  # to the login page
    accounts_service.create_user(
        demo, actor=SYSTEM, username="dan.gis", password=PASSWORD, roles=[("citizen", None)]
    )
    citizen = TestClient(app)
    sign_in(citizen, "dan.gis", PASSWORD)
    assert citizen.get(EDITOR_PATH).status_code == 403
    editor, _token = _login(app, demo, "chuyenvien2.gis", "specialist")
    parcel = service.query_features(demo, slug="land-parcels", limit=1).features[0]
    no_csrf = editor.post(EDITOR_PATH, data={"layer": "land-parcels", "feature_id": parcel.id, "reason": "x"})
    assert no_csrf.status_code == 403
    assert STAFF_LINKS[0]["href"] == EDITOR_PATH and "specialist" in STAFF_LINKS[0]["roles"]


def test_history_api_for_staff(demo, client):
    from smartcity.web.deps import current_actor
    from tests.gis.conftest import CITIZEN, SPECIALIST

    parcel = service.query_features(demo, slug="land-parcels", limit=1).features[0]
    client.app.dependency_overrides[current_actor] = lambda: SPECIALIST
    url = f"/api/v1/gis/layers/land-parcels/features/{parcel.id}"
    edited = client.patch(url, json={"properties": {"map_sheet": 99}, "reason": "Sai số tờ"})
    assert edited.status_code == 200 and edited.json()["version"] == 2
    history = client.get(f"{url}/history").json()
    assert history[0]["reason"] == "Sai số tờ" and history[0]["changed_properties"]["map_sheet"][1] == 99
    client.app.dependency_overrides[current_actor] = lambda: CITIZEN
    assert client.get(f"{url}/history").status_code == 403
    client.app.dependency_overrides.clear()
