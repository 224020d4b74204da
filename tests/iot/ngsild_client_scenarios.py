"""Scenarios of the independent `ngsildclient` (PyPI), run in its own virtualenv against a live server.

Run as `<client venv>/bin/python ngsild_client_scenarios.py SCENARIO BASE_URL API_KEY`; prints one JSON
object of what the client saw, which tests/iot/test_iot_ngsi_client.py checks. This file imports nothing of
the platform: ngsildclient pins httpx<0.24 and rich<13, which the platform cannot share, so it lives in a
separate environment (tests/iot/ngsildclient.lock).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from ngsildclient import Client, Entity, SubscriptionBuilder  # type: ignore[import-not-found]
from ngsildclient.api.exceptions import (  # type: ignore[import-not-found]
    NgsiAlreadyExistsError,
    NgsiBadRequestDataError,
    NgsiLdContextNotAvailableError,
    NgsiResourceNotFoundError,
)
from ngsildclient.api.helper.temporal import TemporalQuery  # type: ignore[import-not-found]

CORE_CONTEXT = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"
JSONLD_CONTEXT_REL = "http://www.w3.org/ns/json-ld#context"


class ApiKey(requests.auth.AuthBase):
    """The platform's integrator API key on every request."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["X-API-Key"] = self.key
        return request


def connect(base_url: str, key: str) -> Client:
    """The client's synchronous Client on the live server (it checks the connection on creation)."""
    where = urlsplit(base_url)
    return Client(hostname=where.hostname, port=where.port, custom_auth=ApiKey(key), verbose=False)


def streetlight(device: str, lat: float, lon: float, dim: int, cabinet: str | None = None) -> Entity:
    """A Streetlight built with the client's Entity builder (its @context is the ETSI core context URL)."""
    light = Entity("Streetlight", device)
    light.prop("name", f"Đèn {device}").prop("dimLevel", dim, observedat=datetime(2026, 3, 1, 20, tzinfo=UTC))
    light.prop("powerState", "on" if dim else "off")
    light.gprop("location", (lat, lon))  # the client takes (lat, lon) and writes GeoJSON [lon, lat]
    if cabinet:
        light.rel("refStreetlightControlCabinet", cabinet)
    return light


def entities(client: Client) -> dict[str, Any]:
    """Create, read, query (type, q, geo), count and page, update, batch upsert, delete.

    Client deviations met here: create() POSTs to `/entities/` and the batch calls to
    `/entityOperations/<op>/` (the specification has no trailing slash; the server redirects with 307,
    which keeps method and body); query(gq=...) sends a `geoQ` URL parameter that CIM 009 does not define
    (GET takes georel, geometry, coordinates), so the geo-query goes through the client's POST Query
    (alt.query, §5.7.2), where geoQ is a member of the body. Its batch delete of plain ids reads `e.id` of
    each, so it is given Entity objects.
    """
    seen: dict[str, Any] = {}
    cabinet = (
        Entity("StreetlightControlCabinet", "TU-1")
        .prop("name", "Tủ điện 1")
        .gprop("location", (10.98, 106.653))
    )
    seen["create_cabinet"] = client.create(cabinet)
    lights = [streetlight(f"NG-{i}", 10.98, 106.653 + i * 0.001, 30 * i, cabinet.id) for i in range(3)]
    seen["create_lights"] = [client.create(light) for light in lights]
    try:
        client.create(lights[0])
        seen["create_twice"] = "accepted"
    except NgsiAlreadyExistsError as error:
        seen["create_twice"] = error.problemdetails.status
    got = client.get(lights[1].id)
    seen["get"] = got.to_dict()
    seen["get_relationships"] = got.relationships
    seen["exists"] = [client.exists(lights[1].id), client.exists("urn:ngsi-ld:Streetlight:NOPE")]
    try:
        client.get("urn:ngsi-ld:Streetlight:NOPE")
        seen["get_missing"] = "found"
    except NgsiResourceNotFoundError as error:
        seen["get_missing"] = error.problemdetails.status
    seen["count_type"] = client.count(type="Streetlight")
    seen["query_type"] = sorted(e.id for e in client.query(type="Streetlight", limit=2))  # pages of 2
    seen["query_head"] = [e.id for e in client.query_head(type="Streetlight", n=1)]
    seen["query_q"] = sorted(e.id for e in client.query(type="Streetlight", q='dimLevel>10;powerState=="on"'))
    seen["query_q_only"] = sorted(e.id for e in client.query(q="dimLevel>=60"))
    seen["query_relationship"] = sorted(
        e.id for e in client.query(type="Streetlight", q=f'refStreetlightControlCabinet=="{cabinet.id}"')
    )
    seen["alt_geo"] = sorted(
        e.id
        for e in client.alt.query(
            {
                "type": "Query",
                "entities": [{"type": "Streetlight"}],
                "geoQ": {
                    "georel": "near;maxDistance==150",
                    "geometry": "Point",
                    "coordinates": [106.653, 10.98],
                },
            }
        )
    )
    seen["alt_count"] = client.alt.count(
        {"type": "Query", "entities": [{"type": "Streetlight"}], "q": "dimLevel<50"}
    )
    lights[0]["dimLevel"].value = 70
    lights[0]["powerState"].value = "on"
    seen["batch_update"] = client.batch.update([lights[0]]).ok
    seen["after_update"] = client.get(lights[0].id)["dimLevel"].value
    new = streetlight("NG-9", 10.99, 106.66, 90)
    lights[2]["dimLevel"].value = 10
    upserted = client.upsert([lights[2], new])
    seen["batch_upsert"] = [upserted.ok, sorted(upserted.success)]
    seen["after_upsert"] = [client.get(lights[2].id)["dimLevel"].value, client.get(new.id)["dimLevel"].value]
    seen["delete_one"] = client.delete(new)
    seen["exists_after_delete"] = client.exists(new.id)
    deleted = client.delete([lights[1], lights[2]])
    seen["batch_delete"] = [deleted.ok, sorted(deleted.success)]
    seen["count_after_delete"] = client.count(type="Streetlight")
    return seen


def refused(client: Client) -> dict[str, Any]:
    """What the server refuses, as the client's exception classes (from the ETSI problem types)."""
    seen: dict[str, Any] = {}
    unknown_type = Entity("Spaceship", "X-1").prop("speed", 3)
    try:
        client.create(unknown_type)
        seen["unknown_type"] = "accepted"
    except NgsiBadRequestDataError as error:
        seen["unknown_type"] = [error.problemdetails.status, error.problemdetails.title]
    remote = Entity("Streetlight", "CTX-1", ctx=["https://example.org/unreachable-context.jsonld"])
    try:
        client.create(remote.prop("dimLevel", 5))
        seen["remote_context"] = "accepted"
    except NgsiLdContextNotAvailableError as error:
        seen["remote_context"] = error.problemdetails.status
    return seen


def subscriptions(client: Client, notify_url: str) -> dict[str, Any]:
    """Create (the client's SubscriptionBuilder), list, get, delete."""
    subscription = (
        SubscriptionBuilder(notify_url)
        .name("Đèn sáng mạnh")
        .description("dimLevel above 50")
        .select_type("Streetlight")
        .watch(["dimLevel"])
        .notif(["dimLevel", "powerState"])
        .build()
    )
    # The builder's .query() percent-encodes q ("dimLevel%3E50"), as for a URL; in a JSON body q is the
    # plain query language (CIM 009 §5.2.12), so it is set here as the specification writes it.
    subscription["q"] = "dimLevel>50"
    seen: dict[str, Any] = {"sent": subscription}
    subscription_id = client.subscriptions.create(subscription)
    seen["id"] = subscription_id
    # The client's own duplicate check (create(raise_on_conflict=True)) hashes each listed subscription
    # against what it sent; the broker's representation adds members (status, @context...), so that
    # client-side heuristic never matches here; the specification allows equal subscriptions anyway.
    seen["list"] = [s["id"] for s in client.subscriptions.list()]
    # The builder's .name() writes "name", the member CIM 009 v1.4 renamed "subscriptionName"; the server
    # keeps to the specification, so only the description is there for the client's pattern to match.
    seen["list_pattern"] = [s["id"] for s in client.subscriptions.list("above")]
    seen["list_by_name"] = [s["id"] for s in client.subscriptions.list("sáng")]
    seen["get"] = client.subscriptions.get(subscription_id)
    seen["exists"] = client.subscriptions.exists(subscription_id)
    seen["delete"] = client.subscriptions.delete("dimLevel above")
    seen["after_delete"] = client.subscriptions.list()
    return seen


def temporal(client: Client) -> dict[str, Any]:
    """History of one entity and of a type, in the simplified (temporalValues) form the client asks for."""
    start = datetime(2026, 3, 1, 19, tzinfo=UTC)
    light = (
        Entity("Streetlight", "TL-1").prop("dimLevel", 0, observedat=start).gprop("location", (10.98, 106.65))
    )
    client.create(light)
    for hour in (1, 2, 3):
        light["dimLevel"].value = 20 * hour
        light["dimLevel"]["observedAt"] = (start + timedelta(hours=hour)).isoformat().replace("+00:00", "Z")
        client.batch.update([light])
    window = TemporalQuery().between(start - timedelta(minutes=1), start + timedelta(hours=4))
    seen: dict[str, Any] = {"get": client.temporal.get(light.id, attrs=["dimLevel"])}
    # Temporal.query() always sends options=count, the spelling before CIM 009 v1.3 replaced it with the
    # count=true parameter; the server refuses the unknown option, so the query is also sent through the
    # client's own request builder without it (_query(count=False)).
    try:
        client.temporal.query(type="Streetlight", attrs=["dimLevel"], tq=window)
        seen["query_with_options_count"] = "accepted"
    except requests.HTTPError as error:  # Temporal.query() does not turn problems into its exceptions
        problem = error.response.json()
        seen["query_with_options_count"] = [error.response.status_code, problem["type"], problem["detail"]]
    seen["query"] = client.temporal._query(
        type="Streetlight", attrs=["dimLevel"], tq=window, count=False
    ).result
    after = TemporalQuery().after(start + timedelta(minutes=90))
    seen["query_after"] = client.temporal._query(
        eid=light.id, attrs=["dimLevel"], tq=after, count=False
    ).result
    return seen


def main() -> None:
    """SCENARIO BASE_URL API_KEY [NOTIFY_URL]: run one scenario and print what the client saw as JSON."""
    scenario, base_url, key, *rest = sys.argv[1:]
    client = connect(base_url, key)
    seen: dict[str, Any]
    if scenario == "subscriptions":
        seen = subscriptions(client, rest[0])
    else:
        seen = {"entities": entities, "refused": refused, "temporal": temporal}[scenario](client)
    seen["broker"] = [client.broker.vendor.value, client.broker.version]
    print(json.dumps(seen, default=str))


if __name__ == "__main__":
    main()
