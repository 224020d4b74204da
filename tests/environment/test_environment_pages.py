"""The environment pages: every station shows its VN_AQI with its colour band; flood board for operators."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from smartcity.core.security import Actor
from smartcity.environment import demo, service
from tests.environment.conftest import OPERATOR

CITIZEN = Actor(kind="user", name="dan", user_id=2, roles=frozenset({("citizen", None)}))


def test_demo_loads_and_every_station_shows_its_band(db, settings, client, act_as) -> None:  # type: ignore[no-untyped-def]
    summary = demo.load_demo(db, settings=settings, actor=Actor.system("demo"))  # timed in bench/, not here
    assert (
        demo.load_demo(db, settings=settings, actor=Actor.system("demo"))
        == "environment stations already there"
    )
    assert "4 air stations" in summary
    latest = service.latest_aqi(db)
    assert set(latest) == {s[0] for s in demo.AIR}
    page = client.get("/moi-truong")
    assert page.status_code == 200
    for station_id, row in latest.items():
        band = row.band
        from smartcity.environment.aqi import BANDS_BY_CODE

        assert BANDS_BY_CODE[band].hex in page.text
        detail = client.get(f"/moi-truong/tram/{station_id}")
        assert detail.status_code == 200 and BANDS_BY_CODE[band].name_vi in detail.text
        assert "Người nhạy cảm" in detail.text
    # the past storm on Bạch Đằng was found in the history, and nothing is dated in the future
    events = service.flood_events(db, station_id="FL-TDM-01")
    assert [e.state for e in events] == ["receded"] and 10 < events[0].peak_cm < 30
    assert service.flood_events(db, station_id="FL-TDM-02") == []
    assert service.quality_notes(db) == []
    english = client.get("/moi-truong", params={"lang": "en"})
    assert "Air quality and flooding" in english.text and "Moderate" in english.text
    # concentrations in the page's language: 1,234.5 in English, 1.234,5 in Vietnamese; rounded as written
    # (39.55 is 39.6, half to even on the decimal digits, not 39.5 as the float 39.549999… would give)
    station_id, row = next(iter(latest.items()))
    english_station = client.get(f"/moi-truong/tram/{station_id}", params={"lang": "en"}).text
    vietnamese_station = client.get(f"/moi-truong/tram/{station_id}", params={"lang": "vi"}).text
    for key in row.sub_indices:
        as_written = Decimal(str(row.concentrations[key])).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)
        written = f"{as_written:,}"
        vietnamese = written.replace(",", " ").replace(".", ",").replace(" ", ".")
        assert f"<td>{written}</td>" in english_station and f"<td>{vietnamese}</td>" in vietnamese_station
    gauge = client.get("/moi-truong/tram/FL-TDM-01")
    assert "Đường Bạch Đằng" in gauge.text and "<polyline" in gauge.text
    act_as(OPERATOR)
    board = client.get("/can-bo/moi-truong/ngap")
    assert board.status_code == 200 and "Chợ Thủ Dầu Một" in board.text
    answer = client.post(f"/can-bo/moi-truong/ngap/{events[0].id}/xac-nhan", follow_redirects=False)
    assert answer.status_code == 303
    assert service.flood_events(db, station_id="FL-TDM-01")[0].acknowledged_by
    api = client.get("/api/v1/environment/aqi").json()
    assert {a["station_id"] for a in api} == set(latest) and all(a["colour"].startswith("#") for a in api)


def test_flood_board_is_for_operators(db, settings, client, act_as) -> None:  # type: ignore[no-untyped-def]
    act_as(CITIZEN)
    assert client.get("/can-bo/moi-truong/ngap").status_code == 403
    assert client.post("/api/v1/environment/flood-events/1/acknowledge").status_code == 403


def test_bad_station_is_a_problem(db, settings, client, act_as) -> None:  # type: ignore[no-untyped-def]
    act_as(OPERATOR)
    answer = client.post(
        "/api/v1/environment/stations",
        json={
            "id": "FL-9",
            "kind": "flood",
            "name": "x",
            "lon": 106.65,
            "lat": 10.98,
            "alert_level_cm": 20,
            "danger_level_cm": 5,
        },
    )
    assert answer.status_code == 422
    assert "danger level" in answer.text
    assert client.get("/moi-truong/tram/NOPE").status_code == 404
