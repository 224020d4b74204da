"""DCAT-AP 3: the catalogue parses in rdflib in three serialisations and passes the official SHACL shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

SHAPES = Path(__file__).parent / "shapes" / "dcat-ap-3.0.0-SHACL.ttl"
FORMATS = {"jsonld": "json-ld", "ttl": "turtle", "rdf": "xml"}


def _parse(content: bytes, fmt: str) -> Graph:
    graph = Graph()
    graph.parse(data=content, format=fmt)
    return graph


def _conforms(graph: Graph) -> tuple[bool, str]:
    from pyshacl import validate

    shapes = Graph().parse(SHAPES, format="turtle")
    conforms, _report, text = validate(graph, shacl_graph=shapes, inference="none", advanced=True)
    return bool(conforms), str(text)


@pytest.mark.parametrize("extension", sorted(FORMATS))
def test_the_catalogue_parses_in_every_serialisation(client, public_city, extension):
    answer = client.get(f"/opendata/catalog.{extension}")
    assert answer.status_code == 200
    graph = _parse(answer.content, FORMATS[extension])
    catalogues = list(graph.subjects(RDF.type, DCAT.Catalog))
    assert len(catalogues) == 1
    datasets = set(graph.objects(catalogues[0], DCAT.dataset))
    assert len(datasets) >= 4
    zones = URIRef("http://testserver/opendata/dataset/gis-planning-zones")
    assert zones in datasets
    assert (
        zones,
        DCTERMS.accrualPeriodicity,
        URIRef("http://publications.europa.eu/resource/authority/frequency/IRREG"),
    ) in graph
    services = list(graph.subjects(RDF.type, DCAT.DataService))
    assert [str(s) for s in services] == ["http://testserver/ogc"]


def test_the_catalogue_passes_the_dcat_ap_3_shapes(client, public_city):
    client.get("/du-lieu-mo/tai-ve/procedures-catalogue-csv")  # a generated file: size and date
    graph = _parse(client.get("/opendata/catalog.ttl").content, "turtle")
    conforms, report = _conforms(graph)
    assert conforms, report


def test_a_broken_description_fails_the_shapes(client, public_city):
    """The check can fail: a dataset without its mandatory description is refused."""
    graph = _parse(client.get("/opendata/catalog.ttl").content, "turtle")
    zones = URIRef("http://testserver/opendata/dataset/gis-planning-zones")
    graph.remove((zones, DCTERMS.description, None))
    conforms, report = _conforms(graph)
    assert not conforms and "description" in report


def test_one_dataset_in_json_ld_conforms_and_counts_as_an_api_use(client, public_city):
    answer = client.get("/opendata/dataset/feedback-reports-monthly.jsonld")
    assert answer.headers["content-type"].startswith("application/ld+json")
    json.loads(answer.content)
    graph = _parse(answer.content, "json-ld")
    conforms, report = _conforms(graph)
    assert conforms, report
    titles = {str(t) for t in graph.objects(None, DCTERMS.title)}
    assert "Phản ánh hiện trường theo lĩnh vực, phường và tháng" in titles
    counts = client.get("/ckan/api/3/action/package_show", params={"id": "feedback-reports-monthly"})
    assert counts.status_code == 200
    from smartcity.opendata.service import usage_counts

    assert usage_counts(public_city)["feedback-reports-monthly"]["api"] == 2
