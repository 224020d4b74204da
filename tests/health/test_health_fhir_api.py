"""The FHIR R4 server through HTTP: capability, create/read/vread/update, search, bundles, errors, access."""

from __future__ import annotations

import uuid

from tests.health.conftest import NATIONAL, bearer, patient

FHIR = "/fhir/R4"


def test_capability_statement_lists_what_is_supported(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"{FHIR}/metadata")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    body = response.json()
    assert body["resourceType"] == "CapabilityStatement" and body["fhirVersion"] == "4.0.1"
    types = {r["type"]: r for r in body["rest"][0]["resource"]}
    assert set(types) == {
        "Patient",
        "Encounter",
        "Immunization",
        "Observation",
        "Condition",
        "Organization",
        "Location",
        "Practitioner",
    }
    params = {p["name"] for p in types["Patient"]["searchParam"]}
    assert {"identifier", "name", "birthdate", "gender"} <= params
    assert "Encounter:patient" in types["Encounter"]["searchInclude"]


def test_create_read_vread_update_with_etags(client, user_token) -> None:  # type: ignore[no-untyped-def]
    _, token = user_token("health_worker", "TYT-25747")
    created = client.post(
        f"{FHIR}/Patient",
        json=patient("074190001234", "Nguyễn", "Thị Lan", "1990-04-02"),
        headers={**bearer(token), "Content-Type": "application/fhir+json"},
    )
    assert created.status_code == 201, created.text
    assert created.headers["etag"] == 'W/"1"'
    pid = created.json()["id"]
    assert created.headers["location"].endswith(f"/Patient/{pid}/_history/1")
    read = client.get(f"{FHIR}/Patient/{pid}", headers=bearer(token))
    assert read.status_code == 200 and read.json()["identifier"][0]["value"] == "074190001234"
    body = read.json()
    body["telecom"] = [{"system": "phone", "value": "0912345678"}]
    updated = client.put(f"{FHIR}/Patient/{pid}", json=body, headers={**bearer(token), "If-Match": 'W/"1"'})
    assert updated.status_code == 200 and updated.headers["etag"] == 'W/"2"'
    stale = client.put(f"{FHIR}/Patient/{pid}", json=body, headers={**bearer(token), "If-Match": 'W/"1"'})
    assert stale.status_code == 412 and stale.json()["resourceType"] == "OperationOutcome"
    first = client.get(f"{FHIR}/Patient/{pid}/_history/1", headers=bearer(token))
    assert first.status_code == 200 and "telecom" not in first.json()
    assert first.json()["meta"]["versionId"] == "1"
    history = client.get(f"{FHIR}/Patient/{pid}/_history", headers=bearer(token)).json()
    assert history["type"] == "history" and history["total"] == 2


def test_invalid_resource_names_the_element_and_stores_nothing(client, user_token) -> None:  # type: ignore[no-untyped-def]
    _, token = user_token("health_worker", "TYT-25747")
    bad = patient("074190001234", "Trần", "Văn Bình", "1990-13-45")
    response = client.post(f"{FHIR}/Patient", json=bad, headers=bearer(token))
    assert response.status_code == 400
    issue = response.json()["issue"][0]
    assert issue["expression"] == ["Patient.birthDate"] and issue["severity"] == "error"
    short_id = patient("07419", "Trần", "Văn Bình", "1990-01-01")
    response = client.post(f"{FHIR}/Patient", json=short_id, headers=bearer(token))
    assert response.json()["issue"][0]["expression"] == ["Patient.identifier[0].value"]
    found = client.get(f"{FHIR}/Patient", params={"name": "Trần"}, headers=bearer(token)).json()
    assert found["total"] == 0


def test_same_citizen_id_is_never_a_second_person(client, user_token) -> None:  # type: ignore[no-untyped-def]
    _, token = user_token("health_manager")
    first = client.post(
        f"{FHIR}/Patient",
        json=patient("074085001111", "Lê", "Văn Hùng", "1985-05-05", gender="male"),
        headers=bearer(token),
    )
    assert first.status_code == 201
    again = client.post(
        f"{FHIR}/Patient",
        json=patient("074085001111", "Lê", "Văn Hùng", "1985-05-05", gender="male"),
        headers={**bearer(token), "If-None-Exist": f"identifier={NATIONAL}|074085001111"},
    )
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    other = patient("074085001111", "Phạm", "Văn Hùng", "1986-06-06", gender="male")
    duplicate = client.post(f"{FHIR}/Patient", json=other, headers=bearer(token))
    assert duplicate.status_code == 409
    assert duplicate.json()["issue"][0]["expression"] == ["Patient.identifier"]
    from smartcity.health import service

    conflicts = service.list_conflicts(client.app.state.db)
    assert conflicts and set(conflicts[0]["fields"]) == {"Patient.birthDate", "Patient.name"}


def test_search_parameters_sort_include_and_paging(client, user_token) -> None:  # type: ignore[no-untyped-def]
    _, token = user_token("health_manager")
    ids = []
    for n in range(5):
        body = patient(
            f"07420000{n:04d}",
            "Võ",
            f"Minh {chr(65 + n)}",
            f"2020-0{n + 1}-15",
            gender="male" if n % 2 else "female",
        )
        ids.append(client.post(f"{FHIR}/Patient", json=body, headers=bearer(token)).json()["id"])
    encounter = {
        "resourceType": "Encounter",
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "subject": {"reference": f"Patient/{ids[0]}"},
        "period": {"start": "2026-03-01T08:00:00+07:00"},
    }
    assert client.post(f"{FHIR}/Encounter", json=encounter, headers=bearer(token)).status_code == 201
    by_name = client.get(f"{FHIR}/Patient", params={"name": "vo"}, headers=bearer(token)).json()
    assert by_name["total"] == 5
    page = client.get(
        f"{FHIR}/Patient", params={"name": "Võ", "_count": 2, "_sort": "birthdate"}, headers=bearer(token)
    ).json()
    assert [e["resource"]["birthDate"] for e in page["entry"]] == ["2020-01-15", "2020-02-15"]
    links = {link["relation"]: link["url"] for link in page["link"]}
    assert "next" in links and "previous" not in links
    second = client.get(links["next"].replace("http://testserver", ""), headers=bearer(token)).json()
    assert [e["resource"]["birthDate"] for e in second["entry"]] == ["2020-03-15", "2020-04-15"]
    assert "previous" in {link["relation"] for link in second["link"]}
    assert (
        client.get(
            f"{FHIR}/Patient", params={"gender": "male", "birthdate": "ge2020-02-01"}, headers=bearer(token)
        ).json()["total"]
        == 2
    )
    assert (
        client.get(
            f"{FHIR}/Patient", params={"identifier": f"{NATIONAL}|074200000003"}, headers=bearer(token)
        ).json()["entry"][0]["resource"]["id"]
        == ids[3]
    )
    with_patient = client.get(
        f"{FHIR}/Encounter",
        params={"patient": ids[0], "_include": "Encounter:patient", "date": "2026-03"},
        headers=bearer(token),
    ).json()
    modes = sorted(e["search"]["mode"] for e in with_patient["entry"])
    assert modes == ["include", "match"]
    unknown = client.get(f"{FHIR}/Patient", params={"_sort": "colour"}, headers=bearer(token))
    assert unknown.status_code == 400 and unknown.json()["issue"][0]["expression"] == ["_sort"]


def test_transaction_is_all_or_nothing_and_resolves_urn_uuids(client, user_token) -> None:  # type: ignore[no-untyped-def]
    _, token = user_token("health_manager")
    p, e = f"urn:uuid:{uuid.uuid4()}", f"urn:uuid:{uuid.uuid4()}"
    entries = [
        {
            "fullUrl": e,
            "resource": {
                "resourceType": "Encounter",
                "status": "finished",
                "class": {"code": "AMB"},
                "subject": {"reference": p},
            },
            "request": {"method": "POST", "url": "Encounter"},
        },
        {
            "fullUrl": p,
            "resource": patient("074095002222", "Đặng", "Thu Hà", "1995-09-09"),
            "request": {
                "method": "POST",
                "url": "Patient",
                "ifNoneExist": f"identifier={NATIONAL}|074095002222",
            },
        },
    ]
    bad = [
        *entries,
        {
            "resource": {
                "resourceType": "Immunization",
                "status": "completed",
                "patient": {"reference": p},
                "occurrenceDateTime": "2026-01-01",
            },
            "request": {"method": "POST", "url": "Immunization"},
        },
    ]
    failed = client.post(
        FHIR, json={"resourceType": "Bundle", "type": "transaction", "entry": bad}, headers=bearer(token)
    )
    assert failed.status_code == 400
    assert failed.json()["issue"][0]["expression"] == ["Bundle.entry[2].resource.vaccineCode"]
    assert client.get(f"{FHIR}/Patient", params={"name": "Đặng"}, headers=bearer(token)).json()["total"] == 0
    done = client.post(
        FHIR, json={"resourceType": "Bundle", "type": "transaction", "entry": entries}, headers=bearer(token)
    )
    assert done.status_code == 200, done.text
    statuses = [x["response"]["status"] for x in done.json()["entry"]]
    assert statuses == ["201 Created", "201 Created"]
    pid = done.json()["entry"][1]["resource"]["id"]
    assert done.json()["entry"][0]["resource"]["subject"]["reference"] == f"Patient/{pid}"
    by_identifier = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": {
                    "resourceType": "Encounter",
                    "status": "finished",
                    "class": {"code": "EMER"},
                    "subject": {"reference": f"Patient?identifier={NATIONAL}|074095002222"},
                },
                "request": {"method": "POST", "url": "Encounter"},
            }
        ],
    }
    later = client.post(FHIR, json=by_identifier, headers=bearer(token))
    assert (
        later.status_code == 200
        and later.json()["entry"][0]["resource"]["subject"]["reference"] == f"Patient/{pid}"
    )
    by_identifier["entry"][0]["resource"]["subject"]["reference"] = (
        f"Patient?identifier={NATIONAL}|074000000000"
    )
    unknown = client.post(FHIR, json=by_identifier, headers=bearer(token))
    assert unknown.status_code == 404
    assert unknown.json()["issue"][0]["expression"] == ["Bundle.entry[0].resource.subject.reference"]


def test_batch_answers_each_entry(client, user_token) -> None:  # type: ignore[no-untyped-def]
    _, token = user_token("health_manager")
    entries = [
        {
            "resource": patient("074099003333", "Hồ", "Anh", "1999-01-01"),
            "request": {"method": "POST", "url": "Patient"},
        },
        {
            "resource": {"resourceType": "Patient", "gender": "robot"},
            "request": {"method": "POST", "url": "Patient"},
        },
    ]
    done = client.post(
        FHIR, json={"resourceType": "Bundle", "type": "batch", "entry": entries}, headers=bearer(token)
    )
    assert done.status_code == 200
    first, second = done.json()["entry"]
    assert first["response"]["status"] == "201 Created" and second["response"]["status"] == "400"
    assert second["response"]["outcome"]["issue"][0]["expression"] == ["Bundle.entry[1].resource.gender"]


def test_non_health_roles_get_403_and_anonymous_401(client, user_token) -> None:  # type: ignore[no-untyped-def]
    _, health = user_token("health_manager")
    pid = client.post(
        f"{FHIR}/Patient", json=patient("074190004444", "Mai", "Lan", "1990-01-01"), headers=bearer(health)
    ).json()["id"]
    encounter = {
        "resourceType": "Encounter",
        "status": "finished",
        "class": {"code": "AMB"},
        "subject": {"reference": f"Patient/{pid}"},
    }
    eid = client.post(f"{FHIR}/Encounter", json=encounter, headers=bearer(health)).json()["id"]
    for role, unit in (
        ("citizen", None),
        ("clerk", "UBND-25747-HCM"),
        ("operator", None),
        ("specialist", None),
    ):
        _, token = user_token(role, unit)
        for resource_type in (
            "Patient",
            "Encounter",
            "Immunization",
            "Observation",
            "Condition",
            "Organization",
            "Location",
            "Practitioner",
        ):
            response = client.get(f"{FHIR}/{resource_type}", headers=bearer(token))
            assert response.status_code == 403, (role, resource_type)
            assert response.json()["issue"][0]["code"] == "forbidden"
        for path in (
            f"Patient/{pid}",
            f"Patient/{pid}/_history",
            f"Patient/{pid}/_history/1",
            f"Encounter/{eid}",
            f"Encounter/{eid}/_history/1",
            f"Patient/{pid}?_format=xml",
        ):
            assert client.get(f"{FHIR}/{path}", headers=bearer(token)).status_code == 403, (role, path)
        assert (
            client.post(
                f"{FHIR}/Patient", json=patient("074190005555", "A", "B", "1990-01-01"), headers=bearer(token)
            ).status_code
            == 403
        )
        assert client.get("/api/v1/health/quarantine/board", headers=bearer(token)).status_code == 403
    assert client.get(f"{FHIR}/Patient/{pid}").status_code == 401


def test_a_health_worker_sees_the_people_of_their_ward_only(client, user_token) -> None:  # type: ignore[no-untyped-def]
    _, manager = user_token("health_manager")
    here = client.post(
        f"{FHIR}/Patient",
        json=patient("074190010001", "Kha", "Ngọc", "1990-01-01", ward="25747"),
        headers=bearer(manager),
    ).json()["id"]
    there = client.post(
        f"{FHIR}/Patient",
        json=patient("074190010002", "Kha", "Vân", "1990-01-01", ward="25768"),
        headers=bearer(manager),
    ).json()["id"]
    for pid in (here, there):
        client.post(
            f"{FHIR}/Encounter",
            json={
                "resourceType": "Encounter",
                "status": "finished",
                "class": {"code": "AMB"},
                "subject": {"reference": f"Patient/{pid}"},
            },
            headers=bearer(manager),
        )
    _, worker = user_token("health_worker", "TYT-25747")
    found = client.get(f"{FHIR}/Patient", params={"name": "Kha"}, headers=bearer(worker)).json()
    assert [e["resource"]["id"] for e in found["entry"]] == [here]
    encounters = client.get(f"{FHIR}/Encounter", headers=bearer(worker)).json()
    assert [e["resource"]["subject"]["reference"] for e in encounters["entry"]] == [f"Patient/{here}"]
    assert client.get(f"{FHIR}/Patient/{there}", headers=bearer(worker)).status_code == 404
    assert client.get(f"{FHIR}/Patient/{there}/_history/1", headers=bearer(worker)).status_code == 404
    assert client.get(f"{FHIR}/Patient/{there}", headers=bearer(manager)).status_code == 200


def test_stored_encrypted_and_observations_conditions_searchable(client, db, user_token) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from smartcity.health.models import FhirResource

    _, token = user_token("health_manager")
    pid = client.post(
        f"{FHIR}/Patient",
        json=patient("074190012345", "Tôn", "Nữ Quỳnh", "1993-03-03"),
        headers=bearer(token),
    ).json()["id"]
    loinc = "http://loinc.org"
    for code, value in (("8310-5", 38.6), ("8867-4", 92)):
        obs = {
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [{"system": loinc, "code": code}]},
            "subject": {"reference": f"Patient/{pid}"},
            "effectiveDateTime": "2026-11-02T07:00:00+07:00",
            "valueQuantity": {"value": value},
        }
        assert client.post(f"{FHIR}/Observation", json=obs, headers=bearer(token)).status_code == 201
    condition = {
        "resourceType": "Condition",
        "subject": {"reference": f"Patient/{pid}"},
        "clinicalStatus": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}
            ]
        },
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "A90"}]},
        "recordedDate": "2026-11-02",
    }
    assert client.post(f"{FHIR}/Condition", json=condition, headers=bearer(token)).status_code == 201
    temps = client.get(
        f"{FHIR}/Observation",
        params={"code": f"{loinc}|8310-5", "subject": f"Patient/{pid}"},
        headers=bearer(token),
    ).json()
    assert temps["total"] == 1 and temps["entry"][0]["resource"]["valueQuantity"]["value"] == 38.6
    dengue = client.get(
        f"{FHIR}/Condition",
        params={"code": "A90", "clinical-status": "active", "_include": "Condition:subject"},
        headers=bearer(token),
    ).json()
    assert [e["resource"]["resourceType"] for e in dengue["entry"]] == ["Condition", "Patient"]
    assert (
        client.get(f"{FHIR}/Observation", params={"date": "lt2026-11-01"}, headers=bearer(token)).json()[
            "total"
        ]
        == 0
    )
    with db.session() as s:
        stored = " ".join(r.content + r.identifiers + r.name_tokens for r in s.scalars(select(FhirResource)))
    assert "074190012345" not in stored and "Quỳnh" not in stored and "38.6" not in stored


def test_health_api_refuses_non_health_roles(client, user_token) -> None:  # type: ignore[no-untyped-def]
    for role, unit in (("citizen", None), ("clerk", "UBND-25747-HCM"), ("specialist", None)):
        _, token = user_token(role, unit)
        headers = bearer(token)
        calls = [
            client.post(
                "/api/v1/health/systems", json={"name": "x", "organization_id": "y"}, headers=headers
            ),
            client.get("/api/v1/health/coverage", headers=headers),
            client.get("/api/v1/health/immunisation/coverage", headers=headers),
            client.post(
                "/api/v1/health/quarantine/cases",
                json={"patient_id": "x", "disease": "covid-19", "kind": "case"},
                headers=headers,
            ),
            client.post("/api/v1/health/quarantine/cases/1/release", headers=headers),
            client.get("/api/v1/health/quarantine/board", headers=headers),
            client.post("/api/v1/health/alerts/1/acknowledge", headers=headers),
            client.post("/api/v1/health/links", json={"username": "a", "patient_id": "b"}, headers=headers),
            client.get("/api/v1/health/conflicts", headers=headers),
        ]
        assert [c.status_code for c in calls] == [403] * len(calls), role
        assert client.get("/api/v1/health/quarantine/map", headers=headers).status_code == 200  # aggregates


def test_what_the_server_answers_is_valid_fhir(client, user_token) -> None:  # type: ignore[no-untyped-def]
    from fhir.resources.R4B import get_fhir_model_class

    _, token = user_token("health_manager")
    client.post(
        f"{FHIR}/Patient", json=patient("074190013579", "Hà", "Anh", "1990-01-01"), headers=bearer(token)
    )
    answers = [
        client.get(f"{FHIR}/metadata").json(),
        client.get(f"{FHIR}/Patient", params={"name": "Hà", "_count": 1}, headers=bearer(token)).json(),
        client.get(f"{FHIR}/Patient/nobody", headers=bearer(token)).json(),
        client.post(
            FHIR,
            json={
                "resourceType": "Bundle",
                "type": "batch",
                "entry": [
                    {
                        "resource": {"resourceType": "Patient", "gender": "x"},
                        "request": {"method": "POST", "url": "Patient"},
                    }
                ],
            },
            headers=bearer(token),
        ).json(),
    ]
    for answer in answers:
        get_fhir_model_class(answer["resourceType"]).model_validate(answer)
    assert [a["resourceType"] for a in answers] == [
        "CapabilityStatement",
        "Bundle",
        "OperationOutcome",
        "Bundle",
    ]


def test_reads_and_searches_answer_xml_when_asked(client, user_token) -> None:  # type: ignore[no-untyped-def]
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.capabilitystatement import CapabilityStatement
    from fhir.resources.R4B.operationoutcome import OperationOutcome
    from fhir.resources.R4B.patient import Patient

    capability = client.get(f"{FHIR}/metadata", params={"_format": "xml"})
    assert capability.status_code == 200
    assert capability.headers["content-type"].startswith("application/fhir+xml")
    statement = CapabilityStatement.model_validate_xml(capability.content)
    assert "application/fhir+xml" in statement.format and "application/fhir+json" in statement.format

    _, token = user_token("health_worker", "TYT-25747")
    pid = client.post(
        f"{FHIR}/Patient", json=patient("074190004321", "Đỗ", "Thị Lan", "1991-05-06"), headers=bearer(token)
    ).json()["id"]
    xml_headers = {**bearer(token), "Accept": "application/fhir+xml"}
    read = client.get(f"{FHIR}/Patient/{pid}", headers=xml_headers)
    assert read.status_code == 200 and read.headers["content-type"].startswith("application/fhir+xml")
    assert read.headers["etag"] == 'W/"1"' and read.content.lstrip().startswith(b"<?xml")
    as_json = client.get(f"{FHIR}/Patient/{pid}", headers=bearer(token)).json()
    parsed = Patient.model_validate_xml(read.content).model_dump(mode="json")
    assert parsed["identifier"] == as_json["identifier"] and parsed["name"] == as_json["name"]
    assert parsed["birthDate"] == "1991-05-06" and parsed["meta"]["versionId"] == "1"
    vread = client.get(f"{FHIR}/Patient/{pid}/_history/1", params={"_format": "xml"}, headers=bearer(token))
    assert Patient.model_validate_xml(vread.content).id == pid

    found = client.get(
        f"{FHIR}/Patient", params={"family": "Đỗ", "_format": "application/fhir+xml"}, headers=bearer(token)
    )
    assert found.status_code == 200
    bundle = Bundle.model_validate_xml(found.content)
    assert bundle.type == "searchset" and bundle.total == 1 and bundle.entry[0].resource.id == pid
    assert all("_format=application" in link.url for link in bundle.link)  # paging stays in XML

    missing = client.get(f"{FHIR}/Patient/unknown", headers=xml_headers)
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/fhir+xml")
    assert OperationOutcome.model_validate_xml(missing.content).issue[0].code == "not-found"
    other = client.get(f"{FHIR}/Patient/{pid}", params={"_format": "turtle"}, headers=bearer(token))
    assert other.status_code == 406 and other.json()["resourceType"] == "OperationOutcome"
    written = client.post(
        f"{FHIR}/Patient",
        content=read.content,
        headers={**bearer(token), "Content-Type": "application/fhir+xml"},
    )
    assert written.status_code == 415  # writes take JSON, as the CapabilityStatement says
