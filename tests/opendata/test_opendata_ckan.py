"""CKAN's Action API over the catalogue: envelope, errors, search, and an independent client (ckanapi)."""

from __future__ import annotations

import csv
import io

import pytest

from tests.support import run_once_on_sqlite, served

BASES = ("/ckan/api/3/action", "/ckan/api/action")


@pytest.mark.parametrize("base", BASES)
def test_package_list_by_get_and_post_in_ckans_envelope(client, public_city, base):
    got = client.get(f"{base}/package_list")
    posted = client.post(f"{base}/package_list", json={})
    for answer in (got, posted):
        assert answer.status_code == 200
        body = answer.json()
        assert set(body) == {"help", "success", "result"}
        assert body["success"] is True
        assert "help_show?name=package_list" in body["help"]
        assert body["result"] == sorted(body["result"])
        assert {"procedures-catalogue", "feedback-reports-monthly", "gis-planning-zones"} <= set(
            body["result"]
        )


def test_package_show_describes_a_dataset_like_ckan(client, public_city):
    body = client.get("/ckan/api/3/action/package_show", params={"id": "gis-planning-zones"}).json()
    package = body["result"]
    assert package["name"] == "gis-planning-zones"
    assert package["license_id"] == "CC-BY-4.0" and package["isopen"] is True
    assert package["organization"]["name"] == "ubnd-thu-dau-mot"
    assert {g["name"] for g in package["groups"]} == {"regi", "envi"}
    formats = [r["format"] for r in package["resources"]]
    assert formats == ["CSV", "XLSX", "GeoJSON", "OGC API Features"]
    assert package["num_resources"] == 4 and package["num_tags"] == len(package["tags"])
    by_id = client.post("/ckan/api/3/action/package_show", json={"id": package["id"]}).json()
    assert by_id["result"]["name"] == "gis-planning-zones"


def test_errors_follow_ckan(client, public_city):
    missing = client.get("/ckan/api/3/action/package_show", params={"id": "no-such-thing"})
    assert missing.status_code == 404
    assert missing.json()["success"] is False
    assert missing.json()["error"]["__type"] == "Not Found Error"
    assert missing.json()["error"]["message"].startswith("Not found")

    no_id = client.post("/ckan/api/3/action/package_show", json={})
    assert no_id.status_code == 409
    assert no_id.json()["error"] == {"__type": "Validation Error", "id": ["Missing value"]}

    rows = client.get("/ckan/api/3/action/package_search", params={"rows": "many"})
    assert rows.status_code == 409 and rows.json()["error"]["rows"] == ["Invalid integer"]

    unknown = client.get("/ckan/api/3/action/package_delete_everything")
    assert unknown.status_code == 400
    assert unknown.json() == "Bad request - Action name not known: package_delete_everything"

    not_object = client.post("/ckan/api/3/action/package_list", content=b"[1, 2]")
    assert not_object.status_code == 400 and "needs to be a dictionary" in not_object.json()

    bad_field = client.get("/ckan/api/3/action/package_search", params={"fq": "owner:me"})
    assert bad_field.status_code == 400
    assert bad_field.json()["error"]["__type"] == "Search Query Error"


def test_package_search_q_fq_rows_start_sort_and_facets(client, public_city):
    search = "/ckan/api/3/action/package_search"
    plain = client.get(search, params={"q": "quy hoach"}).json()["result"]  # no diacritics
    assert [p["name"] for p in plain["results"]] == ["gis-planning-zones"]

    facets = client.post(
        search,
        json={"fq": "organization:ubnd-thu-dau-mot", "facet.field": ["groups", "res_format"], "rows": 0},
    ).json()["result"]
    assert facets["count"] >= 4 and facets["results"] == []
    assert facets["facets"]["groups"]["gove"] >= 3
    assert facets["facets"]["res_format"]["CSV"] == facets["count"]
    item = facets["search_facets"]["groups"]["items"][0]
    assert set(item) == {"name", "display_name", "count"}

    by_get = client.get(search, params={"facet.field": '["tags"]', "fq": 'tags:"quy hoạch"'}).json()["result"]
    assert by_get["count"] == 1 and by_get["facets"]["tags"]["GIS"] == 1

    names = client.get(search, params={"sort": "name desc", "rows": 2, "start": 1}).json()["result"]
    everything = sorted(client.get("/ckan/api/3/action/package_list").json()["result"], reverse=True)
    assert [p["name"] for p in names["results"]] == everything[1:3]

    negated = client.get(search, params={"fq": "-groups:gove", "rows": 100}).json()["result"]
    assert "gis-planning-zones" in [p["name"] for p in negated["results"]]
    assert all("gove" not in [g["name"] for g in p["groups"]] for p in negated["results"])
    assert negated["count"] == len(everything) - facets["facets"]["groups"]["gove"]


def test_organizations_groups_tags_status_and_resources(client, public_city):
    action = "/ckan/api/3/action/"
    assert client.get(action + "organization_list").json()["result"] == ["ubnd-thu-dau-mot"]
    org = client.get(
        action + "organization_show", params={"id": "ubnd-thu-dau-mot", "include_datasets": "true"}
    )
    assert org.json()["result"]["package_count"] == len(org.json()["result"]["packages"]) >= 4
    groups = client.get(action + "group_list", params={"all_fields": "true"}).json()["result"]
    assert {"gove", "regi"} <= {g["name"] for g in groups}
    assert "quy hoạch" in client.get(action + "tag_list", params={"query": "quy"}).json()["result"]
    status = client.get(action + "status_show").json()["result"]
    assert status["ckan_version"].startswith("2.") and status["site_title"]
    resource = client.get(action + "resource_show", params={"id": "procedures-catalogue-csv"}).json()[
        "result"
    ]
    assert resource["format"] == "CSV" and resource["url"].endswith(
        "/du-lieu-mo/tai-ve/procedures-catalogue-csv"
    )
    helped = client.get(status_help := client.get(action + "status_show").json()["help"])
    assert "status_show" in status_help and "CKAN API version" in helped.json()["result"]
    current = client.get(action + "current_package_list_with_resources", params={"limit": 2}).json()["result"]
    assert len(current) == 2 and all(p["resources"] for p in current)


def test_an_independent_ckan_client_lists_searches_and_downloads(app, public_city):
    """ckanapi's RemoteCKAN (from PyPI) against a live server, the way harvesters call CKAN."""
    from ckanapi import NotFound, RemoteCKAN

    run_once_on_sqlite(public_city, "the live CKAN client test")
    with served(app) as url:
        ckan = RemoteCKAN(f"{url}/ckan", user_agent="smartcity-test/1.0")
        names = ckan.action.package_list()
        assert "procedures-catalogue" in names
        found = ckan.action.package_search(q="thu tuc hanh chinh", rows=5)
        assert found["count"] >= 1 and found["results"][0]["name"] == "procedures-catalogue"
        package = ckan.action.package_show(id="procedures-catalogue")
        resource = ckan.action.resource_show(id=package["resources"][0]["id"])
        downloaded = ckan.session.get(resource["url"], timeout=30)
        assert downloaded.status_code == 200
        rows = list(csv.DictReader(io.StringIO(downloaded.content.decode("utf-8"))))
        assert len(rows) == 278 and rows[0]["code"]
        with pytest.raises(NotFound):
            ckan.action.package_show(id="missing-dataset")
        get_only = RemoteCKAN(f"{url}/ckan", get_only=True)
        geojson = get_only.action.package_search(fq="res_format:GeoJSON", rows=100)
        with_geojson = [
            p["name"]
            for p in ckan.action.current_package_list_with_resources(limit=100)
            if any(r["format"] == "GeoJSON" for r in p["resources"])
        ]
        assert "gis-planning-zones" in with_geojson
        assert sorted(p["name"] for p in geojson["results"]) == sorted(with_geojson)
