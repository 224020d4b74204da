"""An independent FHIR client (fhirpy, from PyPI) against a live server: capability, a transaction of
patients, encounters and immunisations, searches with paging; the coverage indicator follows."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import httpx
import pytest
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import OperationOutcome

from smartcity.core.kpis import KpiContext
from smartcity.health import kpis, service
from tests.health.conftest import NATIONAL, patient
from tests.support import run_once_on_sqlite, served

TCMR = "http://thudaumot.gov.vn/fhir/CodeSystem/tcmr-vaccine"


def _coverage(db, settings, ward: str | None) -> tuple[float | None, float | None]:  # type: ignore[no-untyped-def]
    on = date.today()
    context = KpiContext(settings=settings, start=datetime(on.year, 1, 1), end=datetime.now(), on=on)
    value = next(v for v in kpis.record_coverage(db, context) if v.ward == ward)
    return value.numerator, value.value


def _transaction(count: int) -> dict:  # type: ignore[type-arg]
    entries = []
    for n in range(count):
        p, e = f"urn:uuid:{uuid.uuid4()}", f"urn:uuid:{uuid.uuid4()}"
        born = (date.today() - timedelta(days=200 + n)).isoformat()
        child = patient(f"074225{n:06d}", "Bùi", f"Gia Bảo {n}", born, ward="25750")
        entries += [
            {
                "fullUrl": p,
                "resource": child,
                "request": {
                    "method": "POST",
                    "url": "Patient",
                    "ifNoneExist": f"identifier={NATIONAL}|074225{n:06d}",
                },
            },
            {
                "fullUrl": e,
                "resource": {
                    "resourceType": "Encounter",
                    "status": "finished",
                    "class": {"code": "AMB"},
                    "subject": {"reference": p},
                    "period": {"start": born + "T09:00:00+07:00"},
                },
                "request": {"method": "POST", "url": "Encounter"},
            },
            {
                "resource": {
                    "resourceType": "Immunization",
                    "status": "completed",
                    "vaccineCode": {"coding": [{"system": TCMR, "code": "VGB0"}]},
                    "patient": {"reference": p},
                    "encounter": {"reference": e},
                    "occurrenceDateTime": born,
                },
                "request": {"method": "POST", "url": "Immunization"},
            },
        ]
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def test_fhirpy_reads_capability_posts_a_transaction_and_pages_through_searches(  # type: ignore[no-untyped-def]
    app, db, settings, user_token
) -> None:
    run_once_on_sqlite(db, "the live FHIR client test")
    service.ensure_population(db)
    _, token = user_token("health_manager")
    before, _ = _coverage(db, settings, "25750")
    with served(app) as base:
        client = SyncFHIRClient(f"{base}/fhir/R4", authorization=f"Bearer {token}")
        capability = client.execute("metadata", method="get")
        assert capability["resourceType"] == "CapabilityStatement"
        assert "Immunization" in {r["type"] for r in capability["rest"][0]["resource"]}

        answer = client.execute("", method="post", data=_transaction(7))
        assert answer["type"] == "transaction-response"
        assert [x["response"]["status"] for x in answer["entry"]].count("201 Created") == 21

        search = client.resources("Patient").search(name="Bùi").sort("birthdate").limit(3)
        first_page = search.fetch()
        assert len(first_page) == 3
        everyone = search.fetch_all()  # follows the Bundle's next links
        assert len(everyone) == 7 and len({p.id for p in everyone}) == 7
        assert search.count() == 7
        shots = client.resources("Immunization").search(patient=everyone[0].id).fetch()
        assert shots[0]["vaccineCode"]["coding"][0]["code"] == "VGB0"
        found = client.resources("Patient").search(identifier=f"{NATIONAL}|074225000003").fetch()
        assert found[0]["name"][0]["given"] == ["Gia", "Bảo", "3"]
        with pytest.raises(OperationOutcome):
            client.resource("Patient", gender="robot").save()

        again = client.execute(
            "", method="post", data=_transaction(2)
        )  # the same people: matched, not doubled
        assert next(x["response"]["status"] for x in again["entry"]) == "200 OK"
        assert client.resources("Patient").search(name="Bùi").count() == 7

    after, share = _coverage(db, settings, "25750")
    assert after == (before or 0) + 7
    assert share is not None and share > 0


def test_registered_system_writes_only_for_its_own_organisation(
    app, client, db, settings, user_token
) -> None:  # type: ignore[no-untyped-def]
    _, token = user_token("health_manager")
    headers = {"Authorization": f"Bearer {token}"}
    mine = client.post(
        "/fhir/R4/Organization",
        json={"resourceType": "Organization", "name": "Bệnh viện Đa khoa tỉnh"},
        headers=headers,
    ).json()["id"]
    other = client.post(
        "/fhir/R4/Organization",
        json={"resourceType": "Organization", "name": "Phòng khám Hòa Phú"},
        headers=headers,
    ).json()["id"]
    registered = client.post(
        "/api/v1/health/systems",
        json={"name": "VNPT-HIS bệnh viện", "organization_id": mine},
        headers=headers,
    )
    assert registered.status_code == 201, registered.text
    credentials = registered.json()
    wrong = client.post(
        "/fhir/R4/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": credentials["client_id"],
            "client_secret": "nope",
        },
    )
    assert wrong.status_code == 401
    granted = client.post(
        "/fhir/R4/auth/token",
        auth=httpx.BasicAuth(credentials["client_id"], credentials["client_secret"]),
        data={"grant_type": "client_credentials"},
    )
    assert granted.status_code == 200
    system = {"Authorization": f"Bearer {granted.json()['access_token']}"}
    person = client.post(
        "/fhir/R4/Patient",
        json=patient(
            "074301000001",
            "Tạ",
            "Minh",
            "2001-01-01",
            managingOrganization={"reference": f"Organization/{mine}"},
        ),
        headers=system,
    )
    assert person.status_code == 201, person.text
    pid = person.json()["id"]
    ok = {
        "resourceType": "Encounter",
        "status": "finished",
        "class": {"code": "IMP"},
        "subject": {"reference": f"Patient/{pid}"},
        "serviceProvider": {"reference": f"Organization/{mine}"},
    }
    assert client.post("/fhir/R4/Encounter", json=ok, headers=system).status_code == 201
    theirs = {**ok, "serviceProvider": {"reference": f"Organization/{other}"}}
    refused = client.post("/fhir/R4/Encounter", json=theirs, headers=system)
    assert refused.status_code == 403 and refused.json()["resourceType"] == "OperationOutcome"
    renamed = client.put(
        f"/fhir/R4/Organization/{other}",
        json={"resourceType": "Organization", "id": other, "name": "X"},
        headers=system,
    )
    assert renamed.status_code == 403
    staff_made = client.post(
        "/fhir/R4/Patient", json=patient("074301000002", "Tạ", "Lan", "2002-02-02"), headers=headers
    ).json()
    assert (
        client.put(f"/fhir/R4/Patient/{staff_made['id']}", json=staff_made, headers=system).status_code == 403
    )
    own = client.get(f"/fhir/R4/Patient/{pid}", headers=system).json()
    assert (
        client.put(f"/fhir/R4/Patient/{pid}", json={**own, "gender": "male"}, headers=system).status_code
        == 200
    )
