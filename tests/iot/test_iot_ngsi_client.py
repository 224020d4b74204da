"""NGSI-LD checked by an independent client: `ngsildclient` 0.5.2 (PyPI, Orange) against a live server.

The client pins httpx<0.24 and rich<13, which the platform cannot share, so it runs in its own virtualenv
(var/ngsildclient-venv, from tests/iot/ngsildclient.lock) and reports what it saw as JSON
(tests/iot/ngsild_client_scenarios.py). Where the client deviates from ETSI GS CIM 009 the scenario avoids
that call and says why; the server stays with the specification.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smartcity.accounts import service as accounts_service
from smartcity.core.config import get_settings
from smartcity.iot import service
from tests.conftest import service_missing
from tests.iot.conftest import SYSTEM
from tests.support import run_once_on_sqlite, served

HERE = Path(__file__).parent
CLIENT_VENV = HERE.parents[1] / "var" / "ngsildclient-venv"
LOCK = HERE / "ngsildclient.lock"


@pytest.fixture(scope="session")
def client_python() -> Path:
    """The Python of the client's own virtualenv, created from the lock file when missing."""
    python = Path(os.environ.get("SMARTCITY_NGSILD_CLIENT_PYTHON", CLIENT_VENV / "bin" / "python"))
    if not _has_client(python):
        try:
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(CLIENT_VENV)], check=True)
            python = CLIENT_VENV / "bin" / "python"
            subprocess.run(
                [python, "-m", "pip", "install", "-q", "--no-deps", "-r", str(LOCK)],
                check=True,
                capture_output=True,
                timeout=300,
            )
        except (subprocess.SubprocessError, OSError) as exc:
            service_missing(f"cannot install ngsildclient from {LOCK.name} (no package registry?): {exc}")
    return python


def _has_client(python: Path) -> bool:
    if not python.exists():
        return False
    probe = subprocess.run([python, "-c", "import ngsildclient"], capture_output=True, check=False)
    return probe.returncode == 0


@pytest.fixture
def live(app, db) -> Iterator[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """The app on a loopback port and an integrator API key."""
    run_once_on_sqlite(db, "the live-server NGSI-LD client test")
    key = accounts_service.create_api_key(db, actor=SYSTEM, name="ngsildclient").key
    with served(app) as url:
        yield url, key


def run_client(python: Path, scenario: str, live: tuple[str, str], *extra: str) -> dict[str, Any]:
    """Run one scenario of the independent client; what it saw."""
    done = subprocess.run(
        [python, HERE / "ngsild_client_scenarios.py", scenario, *live, *extra],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_client_creates_reads_queries_updates_and_deletes(client_python, live, db):
    seen = run_client(client_python, "entities", live)
    assert seen["broker"] == [None, "N/A"]  # neither Orion-LD nor a Java broker: the client guesses nothing
    assert seen["create_cabinet"] is True and seen["create_lights"] == [True, True, True]
    assert seen["create_twice"] == 409
    got = seen["get"]
    assert got["id"] == "urn:ngsi-ld:Streetlight:NG-1"
    assert got["location"] == {
        "type": "GeoProperty",
        "value": {"type": "Point", "coordinates": [106.654, 10.98]},
    }
    assert got["dimLevel"]["value"] == 30 and got["dimLevel"]["observedAt"] == "2026-03-01T20:00:00Z"
    assert got["refStreetlightControlCabinet"] == {
        "type": "Relationship",
        "object": "urn:ngsi-ld:StreetlightControlCabinet:TU-1",
    }
    assert seen["get_relationships"] == [
        ["refStreetlightControlCabinet", "urn:ngsi-ld:StreetlightControlCabinet:TU-1"]
    ]
    assert seen["exists"] == [True, False]
    assert seen["get_missing"] == 404
    lights = [f"urn:ngsi-ld:Streetlight:NG-{i}" for i in range(3)]
    assert seen["count_type"] == 3
    assert seen["query_type"] == lights
    assert len(seen["query_head"]) == 1
    assert seen["query_q"] == lights[1:]
    assert seen["query_q_only"] == [lights[2]]
    assert seen["query_relationship"] == lights
    assert seen["alt_geo"] == lights[:2]  # NG-2 is 219 m away
    assert seen["alt_count"] == 2
    assert seen["batch_update"] is True and seen["after_update"] == 70
    assert seen["batch_upsert"] == [True, ["urn:ngsi-ld:Streetlight:NG-9"]]
    assert seen["after_upsert"] == [10, 90]
    assert seen["delete_one"] is True and seen["exists_after_delete"] is False
    assert seen["batch_delete"] == [True, lights[1:]]
    assert seen["count_after_delete"] == 1
    device = service.get_device(db, device_id="NG-0")
    assert (
        device.status == "active"
        and service.latest_state(db, device_ids=["NG-0"])["NG-0"]["dimLevel"][0] == 70
    )
    assert service.get_device(db, device_id="NG-1").status == "decommissioned"


def test_client_sees_refusals_as_etsi_problem_types(client_python, live, db):
    seen = run_client(client_python, "refused", live)
    assert seen["unknown_type"][0] == 400
    assert seen["remote_context"] == 503  # never fetched: LdContextNotAvailable
    assert service.find_devices(db, device_ids=["X-1", "CTX-1"]) == []


@pytest.fixture
def private_endpoints(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Let subscriptions name a loopback endpoint (test_iot_ngsi_subscriptions tests the SSRF guard)."""
    monkeypatch.setenv("SMARTCITY_NGSI_ALLOW_PRIVATE_ENDPOINTS", "true")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("SMARTCITY_NGSI_ALLOW_PRIVATE_ENDPOINTS")
    get_settings.cache_clear()


def test_client_manages_subscriptions(client_python, live, private_endpoints):
    seen = run_client(client_python, "subscriptions", live, "http://127.0.0.1:9/notify")
    subscription_id = seen["id"]
    assert subscription_id.startswith("urn:")
    assert seen["list"] == [subscription_id] and seen["list_pattern"] == [subscription_id]
    got = seen["get"]
    assert got["id"] == subscription_id and got["type"] == "Subscription"
    assert got["entities"] == [{"type": "Streetlight"}] and got["watchedAttributes"] == ["dimLevel"]
    assert seen["list_by_name"] == []  # "name" is not a member of a Subscription since CIM 009 v1.4
    assert got["q"] == "dimLevel>50" and got["description"] == "dimLevel above 50"
    assert "name" not in got and "subscriptionName" not in got
    assert got["notification"]["endpoint"]["uri"] == "http://127.0.0.1:9/notify"
    assert got["notification"]["attributes"] == ["dimLevel", "powerState"]
    assert seen["exists"] is True
    assert seen["delete"] is True and seen["after_delete"] == []


def test_client_reads_history_in_the_simplified_temporal_form(client_python, live):
    seen = run_client(client_python, "temporal", live)
    expected = [
        [0, "2026-03-01T19:00:00Z"],
        [20, "2026-03-01T20:00:00Z"],
        [40, "2026-03-01T21:00:00Z"],
        [60, "2026-03-01T22:00:00Z"],
    ]
    one = seen["get"]
    assert one["id"] == "urn:ngsi-ld:Streetlight:TL-1"
    assert one["dimLevel"]["type"] == "Property" and one["dimLevel"]["values"] == expected
    assert seen["query_with_options_count"] == [  # the pre-v1.3 spelling of count=true
        400,
        "https://uri.etsi.org/ngsi-ld/errors/BadRequestData",
        "options count are not supported",
    ]
    assert [t["id"] for t in seen["query"]] == ["urn:ngsi-ld:Streetlight:TL-1"]
    assert seen["query"][0]["dimLevel"]["values"] == expected
    assert seen["query_after"][0]["dimLevel"]["values"] == expected[2:]
