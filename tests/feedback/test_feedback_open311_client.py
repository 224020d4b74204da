"""An independent GeoReport v2 client (the `georeport` package from PyPI) against a live server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from georeport import GeoReport

from smartcity.accounts import service as accounts_service
from tests.feedback.conftest import PHU_CUONG, SYSTEM
from tests.support import run_once_on_sqlite, served


@pytest.fixture
def live_open311(app, city) -> Iterator[str]:
    """The app served on a free port, with the city loaded; yields the Open311 root."""
    run_once_on_sqlite(city, "the live-server test")
    with served(app) as url:
        yield f"{url}/open311/v2"


@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_georeport_client_lists_posts_and_reads(live_open311, city, output_format):
    key = accounts_service.create_api_key(city, actor=SYSTEM, name="third-party app").key
    client = GeoReport(
        live_open311, jurisdiction="thudaumot.binhduong.gov.vn", api_key=key, output_format=output_format
    )
    services = client.get_service_list()
    codes = [s["service_code"] for s in services]
    assert "ha-tang" in codes and "khan-cap" in codes
    definition = client.get_service_definition("ha-tang")
    assert definition["service_code"] == "ha-tang"

    posted = requests.post(
        f"{live_open311}/requests.{output_format}",
        data={
            "api_key": key,
            "jurisdiction_id": "thudaumot.binhduong.gov.vn",
            "service_code": "moi-truong",
            "lat": PHU_CUONG[1],
            "long": PHU_CUONG[0],
            "description": "Rác thải đổ trộm cạnh kênh",
        },
        timeout=10,
    )
    assert posted.status_code == 200, posted.text

    requests_found = client.get_service_requests(service_code="moi-truong", status="open")
    found = requests_found if isinstance(requests_found, list) else [requests_found]  # xmltodict: one = dict
    assert len(found) == 1 and found[0]["status"] == "open"
    one = client.get_service_request(found[0]["service_request_id"])
    assert one["service_code"] == "moi-truong" and one["requested_datetime"].endswith("+07:00")
