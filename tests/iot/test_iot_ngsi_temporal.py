"""NGSI-LD temporal API over the stored telemetry: ranges, lastN, representations, aggregation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from smartcity.iot import service
from smartcity.iot.pipeline import Envelope
from smartcity.iot.temporal import parse_duration
from tests.iot.conftest import CITIZEN, INTEGRATOR, message

BASE = "/ngsi-ld/v1/temporal/entities"
T0 = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
SL1 = "urn:ngsi-ld:Streetlight:SL-1"


@pytest.fixture
def history(db, add_device, act_as):  # type: ignore[no-untyped-def]
    """SL-1 reports dimLevel 10, 20, ... 60 every 20 minutes from T0 (two hours), SL-2 once."""
    add_device("SL-1")
    add_device("SL-2")
    add_device("WC-1", "waste_container")
    envelopes = [
        Envelope(
            message(
                f"m{i}", {"dimLevel": 10 * (i + 1), "powerState": "on"}, ts=T0 + timedelta(minutes=20 * i)
            ),
            device_id="SL-1",
        )
        for i in range(6)
    ]
    envelopes.append(Envelope(message("x", {"dimLevel": 5}, ts=T0), device_id="SL-2"))
    assert service.ingest(db, envelopes=envelopes).accepted == 7
    act_as(INTEGRATOR)


def stamp(minutes: int) -> str:
    """T0 + minutes as NGSI-LD writes it."""
    return (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def get(client, path: str, **params):  # type: ignore[no-untyped-def]
    """GET and check 200."""
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_normalized_history_with_timerel_between(client, history):
    body = get(
        client,
        f"{BASE}/{SL1}",
        timerel="between",
        timeAt=stamp(20),
        endTimeAt=stamp(80),
        attrs="dimLevel",
    )
    assert body["id"] == SL1 and body["type"] == "Streetlight"
    assert set(body) == {"id", "type", "dimLevel"}
    assert body["dimLevel"] == [
        {"type": "Property", "value": v, "observedAt": stamp(m), "unitCode": "P1"}
        for v, m in ((20.0, 20), (30.0, 40), (40.0, 60))
    ]


def test_before_after_last_n_and_temporal_values(client, history):
    before = get(client, f"{BASE}/{SL1}", timerel="before", timeAt=stamp(40), attrs="dimLevel")
    assert [i["value"] for i in before["dimLevel"]] == [10.0, 20.0]
    after = get(client, f"{BASE}/{SL1}", timerel="after", timeAt=stamp(60), attrs="dimLevel")
    assert [i["value"] for i in after["dimLevel"]] == [50.0, 60.0]
    last = get(client, f"{BASE}/{SL1}", lastN="2", options="temporalValues")
    assert last["dimLevel"] == {"type": "Property", "values": [[50.0, stamp(80)], [60.0, stamp(100)]]}
    assert last["powerState"] == {"type": "Property", "values": [["on", stamp(80)], ["on", stamp(100)]]}


def test_aggregation_by_hour(client, history):
    body = get(
        client,
        f"{BASE}/{SL1}",
        aggrMethods="min,max,avg,sum,totalCount",
        aggrPeriodDuration="PT1H",
        attrs="dimLevel,powerState",
    )
    first, second = (stamp(0), stamp(60)), (stamp(60), stamp(120))
    assert body["dimLevel"] == {
        "type": "Property",
        "min": [[10.0, *first], [40.0, *second]],
        "max": [[30.0, *first], [60.0, *second]],
        "avg": [[20.0, *first], [50.0, *second]],
        "sum": [[60.0, *first], [150.0, *second]],
        "totalCount": [[3, *first], [3, *second]],
    }
    assert "powerState" not in body  # text values are not aggregated


def test_aggregation_over_the_whole_range(client, history):
    body = get(
        client,
        f"{BASE}/{SL1}",
        options="aggregatedValues",
        aggrMethods="avg,totalCount",
        timerel="between",
        timeAt=stamp(0),
        endTimeAt=stamp(60),
    )
    assert body["dimLevel"]["avg"] == [[20.0, stamp(0), stamp(60)]]
    assert body["dimLevel"]["totalCount"] == [[3, stamp(0), stamp(60)]]


def test_query_by_type_with_pages(client, history):
    body = get(client, BASE, type="Streetlight", attrs="dimLevel", lastN="1", count="true")
    assert [(e["id"], [i["value"] for i in e["dimLevel"]]) for e in body] == [
        (SL1, [60.0]),
        ("urn:ngsi-ld:Streetlight:SL-2", [5.0]),
    ]
    page = client.get(BASE, params={"type": "Streetlight", "limit": 1, "offset": 1, "count": "true"})
    assert page.headers["NGSILD-Results-Count"] == "2"
    assert [e["id"] for e in page.json()] == ["urn:ngsi-ld:Streetlight:SL-2"]
    only = get(client, BASE, type="Streetlight", idPattern="SL-1$", attrs="dimLevel")
    assert [e["id"] for e in only] == [SL1]
    assert get(client, BASE, type="WasteContainer") == [
        {"id": "urn:ngsi-ld:WasteContainer:WC-1", "type": "WasteContainer"}
    ]


@pytest.mark.parametrize(
    "params",
    [
        {"timerel": "during", "timeAt": "2026-03-01T20:00:00Z"},
        {"timerel": "before"},
        {"timerel": "between", "timeAt": "2026-03-01T20:00:00Z"},
        {"timerel": "between", "timeAt": "2026-03-01T20:00:00Z", "endTimeAt": "2026-03-01T19:00:00Z"},
        {"timerel": "after", "timeAt": "yesterday"},
        {"timerel": "after", "timeAt": "2026-03-01T20:00:00"},
        {"timeAt": "2026-03-01T20:00:00Z"},
        {"lastN": "0"},
        {"lastN": "x"},
        {"aggrMethods": "median"},
        {"options": "aggregatedValues"},
        {"aggrMethods": "avg", "aggrPeriodDuration": "P1M"},
        {"aggrMethods": "avg", "aggrPeriodDuration": "1 hour"},
    ],
)
def test_bad_temporal_queries(client, history, params):
    response = client.get(f"{BASE}/{SL1}", params=params)
    assert response.status_code == 400, response.text
    assert response.json()["type"] == "https://uri.etsi.org/ngsi-ld/errors/BadRequestData"


def test_unknown_entity_missing_filter_and_access(client, history, act_as):
    response = client.get(f"{BASE}/urn:ngsi-ld:Streetlight:NOPE")
    assert response.status_code == 404
    assert response.json()["type"] == "https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound"
    assert client.get(BASE).status_code == 400
    act_as(CITIZEN)
    assert client.get(f"{BASE}/{SL1}").status_code == 200  # any signed-in caller may read, as for entities


def test_durations():
    assert parse_duration("PT1H") == 3600
    assert parse_duration("P1DT30M") == 86400 + 1800
    assert parse_duration("P2W") == 14 * 86400
    assert parse_duration("PT15M") == 900
    assert parse_duration("P0D") == 0


def test_whole_range_merges_periods():
    from smartcity.iot.temporal import _merged

    merged = _merged(
        [
            {"start": T0, "count": 2, "sum": 30.0, "avg": 15.0, "min": 10.0, "max": 20.0},
            {"start": T0, "count": 1, "sum": 90.0, "avg": 90.0, "min": 90.0, "max": 90.0},
        ]
    )
    assert (merged["count"], merged["sum"], merged["avg"], merged["min"], merged["max"]) == (
        3,
        120.0,
        40.0,
        10.0,
        90.0,
    )


def test_aggregation_after_a_time(client, history):
    body = get(
        client,
        f"{BASE}/{SL1}",
        aggrMethods="max",
        aggrPeriodDuration="PT1H",
        timerel="after",
        timeAt=stamp(30),
    )
    assert body["dimLevel"]["max"] == [[30.0, stamp(30), stamp(60)], [60.0, stamp(60), stamp(120)]]


def test_filters_the_temporal_api_does_not_support(client, history):
    for params in ({"q": "dimLevel>1"}, {"georel": "near;maxDistance==10"}):
        response = client.get(f"{BASE}/{SL1}", params=params)
        assert response.status_code == 422
        assert response.json()["type"] == "https://uri.etsi.org/ngsi-ld/errors/OperationNotSupported"
