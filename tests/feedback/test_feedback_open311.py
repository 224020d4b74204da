"""Open311 GeoReport v2: shapes of every resource in JSON and XML, as in the specification's examples."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

import pytest

from smartcity.accounts import service as accounts_service
from smartcity.feedback import service
from tests.feedback.conftest import CITIZEN, OPERATOR, OUTSIDE, PHU_CUONG, SECRET, SYSTEM, jpeg_with_gps

SERVICE_KEYS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
REQUEST_KEYS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
ATTRIBUTE_KEYS = [
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
]


@pytest.fixture
def api_key(city) -> str:
    """An API key for a GeoReport client."""
    return accounts_service.create_api_key(city, actor=SYSTEM, name="georeport client").key


def _post(client, key, fmt="json", files=None, **fields):
    data = {
        "api_key": key,
        "service_code": "ha-tang",
        "lat": str(PHU_CUONG[1]),
        "long": str(PHU_CUONG[0]),
        "description": "Ổ gà trước số 12, gọi 0912345678",
        "first_name": "Lan",
        "last_name": "Trần",
        "phone": "0987654321",
        "email": "lan@example.vn",
        "attribute[hang_muc]": "duong",
    }
    data.update({k: v for k, v in fields.items() if v is not None})
    for key in [k for k, v in fields.items() if v is None]:
        data.pop(key, None)
    return client.post(f"/open311/v2/requests.{fmt}", data=data, files=files)


def _xml(response) -> ET.Element:
    assert response.headers["content-type"].startswith("text/xml")
    assert response.text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)  # noqa: S314 (our own server's answer)


def _error(response, status: int, fmt: str = "json") -> str:
    assert response.status_code == status, response.text
    if fmt == "xml":
        root = _xml(response)
        assert root.tag == "errors" and [e.tag for e in root[0]] == ["code", "description"]
        assert root[0].findtext("code") == str(status)
        return root[0].findtext("description") or ""
    body = response.json()
    assert isinstance(body, list) and list(body[0]) == ["code", "description"] and body[0]["code"] == status
    return body[0]["description"]


def test_discovery_in_json_and_xml(client, city):
    body = client.get("/open311/v2/discovery.json").json()
    assert list(body) == ["changeset", "contact", "key_service", "endpoints"]
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2") and endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    root = _xml(client.get("/open311/v2/discovery.xml"))
    assert root.tag == "discovery"
    formats = [f.text for f in root.findall("endpoints/endpoint/formats/format")]
    assert formats == ["text/xml", "application/json"]


def test_service_list_and_definitions(client, city):
    services = client.get("/open311/v2/services.json").json()
    assert all(list(s) == SERVICE_KEYS for s in services)
    by_code = {s["service_code"]: s for s in services}
    assert by_code["ha-tang"]["metadata"] is True and by_code["ha-tang"]["type"] == "realtime"
    assert by_code["an-ninh-trat-tu"]["metadata"] is False
    root = _xml(client.get("/open311/v2/services.xml"))
    assert root.tag == "services" and {e.tag for e in root} == {"service"}
    assert [c.tag for c in root[0]] == SERVICE_KEYS
    assert {e.findtext("metadata") for e in root} == {"true", "false"}

    definition = client.get("/open311/v2/services/ha-tang.json").json()
    assert list(definition) == ["service_code", "attributes"] and definition["service_code"] == "ha-tang"
    attribute = definition["attributes"][0]
    assert list(attribute) == ATTRIBUTE_KEYS and attribute["datatype"] == "singlevaluelist"
    assert {"key": "duong", "name": "Mặt đường, ổ gà"} in attribute["values"]
    root = _xml(client.get("/open311/v2/services/ha-tang.xml"))
    assert root.tag == "service_definition"
    assert root.find("attributes/attribute/values/value/key").text == "duong"
    assert root.findtext("attributes/attribute/variable") == "true"

    assert "nope" in _error(client.get("/open311/v2/services/nope.json"), 404)
    _error(client.get("/open311/v2/services/nope.xml"), 404, "xml")


def test_post_then_get_the_request_in_both_formats(client, city, api_key):
    response = _post(client, api_key)
    assert response.status_code == 200, response.text
    created = response.json()
    assert list(created[0]) == ["service_request_id", "service_notice", "account_id"]
    code = created[0]["service_request_id"]

    body = client.get(f"/open311/v2/requests/{code}.json").json()
    assert len(body) == 1 and list(body[0]) == REQUEST_KEYS
    request = body[0]
    assert request["status"] == "open" and request["service_code"] == "ha-tang"
    assert "0912345678" not in request["description"] and "[đã ẩn]" in request["description"]
    assert request["lat"] == PHU_CUONG[1] and request["long"] == PHU_CUONG[0]
    assert request["requested_datetime"].endswith("+07:00")
    assert datetime.fromisoformat(request["requested_datetime"]).tzinfo is not None
    assert request["agency_responsible"].startswith("Ủy ban nhân dân phường")

    root = _xml(client.get(f"/open311/v2/requests/{code}.xml"))
    assert root.tag == "service_requests" and [c.tag for c in root[0]] == REQUEST_KEYS
    assert root[0].findtext("status") == "open" and root[0].findtext("zipcode") == ""

    xml_post = _xml(_post(client, api_key, fmt="xml", account_id="acc-7"))
    assert xml_post.tag == "service_requests"
    assert [c.tag for c in xml_post[0]] == ["service_request_id", "service_notice", "account_id"]
    assert xml_post[0].findtext("account_id") == "acc-7"


def test_closed_status_and_filters(client, city, api_key):
    first = _post(client, api_key).json()[0]["service_request_id"]
    second = _post(client, api_key, service_code="moi-truong", **{"attribute[hang_muc]": None}).json()[0][
        "service_request_id"
    ]
    service.resolve_report(city, actor=OPERATOR, code=first, comment="Đã vá xong.")
    everything = client.get("/open311/v2/requests.json").json()
    assert {r["service_request_id"] for r in everything} == {first, second}
    closed = client.get("/open311/v2/requests.json?status=closed").json()
    assert [(r["service_request_id"], r["status"], r["status_notes"]) for r in closed] == [
        (first, "closed", "Đã vá xong.")
    ]
    still_open = client.get("/open311/v2/requests.json?status=open").json()
    assert [r["service_request_id"] for r in still_open] == [second]
    by_code = client.get("/open311/v2/requests.json?service_code=moi-truong,khan-cap").json()
    assert [r["service_request_id"] for r in by_code] == [second]
    by_id = client.get(f"/open311/v2/requests.json?service_request_id={first},{second}").json()
    assert len(by_id) == 2
    old = client.get(
        "/open311/v2/requests.json",
        params={"start_date": "2020-01-01T00:00:00Z", "end_date": "2020-12-31T00:00:00+07:00"},
    )
    assert old.json() == []
    root = _xml(client.get("/open311/v2/requests.xml?status=closed"))
    assert [r.findtext("service_request_id") for r in root.findall("request")] == [first]
    _error(client.get("/open311/v2/requests.json?status=pending"), 400)
    _error(client.get("/open311/v2/requests.xml?start_date=yesterday"), 400, "xml")
    _error(client.get("/open311/v2/requests.json?start_date=2025-01-01T00:00:00"), 400)
    _error(client.get("/open311/v2/requests.json?jurisdiction_id=elsewhere.gov"), 404)


def test_private_reports_are_not_published(client, city, report_data):
    private = service.submit_report(city, actor=CITIZEN, data=report_data(is_public=False), secret=SECRET)
    assert client.get("/open311/v2/requests.json").json() == []
    _error(client.get(f"/open311/v2/requests/{private.report.code}.json"), 404)


def test_tokens(client, city, report_data):
    report = service.submit_report(city, actor=CITIZEN, data=report_data(), secret=SECRET).report
    assert client.get(f"/open311/v2/tokens/{report.token}.json").json() == [
        {"service_request_id": report.code, "token": report.token}
    ]
    root = _xml(client.get(f"/open311/v2/tokens/{report.token}.xml"))
    assert [c.tag for c in root[0]] == ["service_request_id", "token"]
    _error(client.get("/open311/v2/tokens/unknown.json"), 404)


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"api_key": None}, 403, "api_key"),
        ({"api_key": "sc_00000000_notarealkeynotarealkey"}, 403, "Invalid api_key"),
        ({"service_code": "nope"}, 404, "service_code"),
        ({"service_code": None}, 400, "service_code"),
        ({"lat": "abc"}, 400, "lat"),
        ({"lat": "95"}, 400, "latitude"),
        ({"long": None}, 400, "together"),
        ({"lat": str(OUTSIDE[1]), "long": str(OUTSIDE[0])}, 400, "ngoài địa bàn thành phố"),
        ({"lat": None, "long": None}, 400, "location"),
        ({"attribute[hang_muc]": "spaceship"}, 400, "hang_muc"),
        ({"attribute[unknown]": "x"}, 400, "unknown"),
        ({"email": "not-an-email"}, 400, "email"),
    ],
)
def test_bad_posts_get_open311_errors(client, city, api_key, fields, status, words):
    for fmt in ("json", "xml"):
        description = _error(_post(client, api_key, fmt=fmt, **fields), status, fmt)
        assert words in description
    assert client.get("/open311/v2/requests.json").json() == []


def test_media_upload_is_cleaned_and_non_images_refused(client, city, api_key):
    refused = _post(client, api_key, files={"media": ("x.jpg", b"%PDF-1.4 not an image", "image/jpeg")})
    assert "không phải là ảnh" in _error(refused, 415)
    created = _post(client, api_key, files={"media": ("p.jpg", jpeg_with_gps(), "image/jpeg")})
    code = created.json()[0]["service_request_id"]
    media_url = client.get(f"/open311/v2/requests/{code}.json").json()[0]["media_url"]
    assert media_url.startswith("http") and "/api/v1/feedback/photos/" in media_url
    photo = client.get(media_url)
    assert photo.headers["content-type"] == "image/jpeg"
    assert b"Exif" not in photo.content and b"Secret Camera" not in photo.content


def test_unknown_resources_and_formats(client, city):
    _error(client.get("/open311/v2/nothing.xml"), 404, "xml")
    _error(client.get("/open311/v2/services.csv"), 400)
