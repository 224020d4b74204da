"""The catalogue as DCAT-AP 3 (rdflib): JSON-LD, Turtle and RDF/XML, for the whole catalogue or one dataset.

Controlled vocabularies are the EU Publications Office's authority tables (data themes, frequencies, file
types, licences, languages), as DCAT-AP asks; media types are IANA's.
"""

from __future__ import annotations

from datetime import date, datetime

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

from smartcity.core.config import Settings
from smartcity.opendata.config import OpendataSettings
from smartcity.opendata.schemas import DatasetInfo, ResourceInfo
from smartcity.opendata.service import spatial_box

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
EU = "http://publications.europa.eu/resource/authority/"
THEME_SCHEME = URIRef(f"{EU}data-theme")
FREQUENCIES = {
    "daily": "DAILY",
    "weekly": "WEEKLY",
    "monthly": "MONTHLY",
    "quarterly": "QUARTERLY",
    "annual": "ANNUAL",
    "irregular": "IRREG",
}
FILE_TYPES = {"csv": "CSV", "xlsx": "XLSX", "geojson": "GEOJSON", "ogc": "GEOJSON"}
LICENCES = {"CC-BY-4.0": "CC_BY_4_0", "CC0-1.0": "CC0", "ODC-BY-1.0": "ODC_BY"}
THEME_LABELS = {
    "AGRI": "Agriculture, fisheries, forestry and food",
    "ECON": "Economy and finance",
    "EDUC": "Education, culture and sport",
    "ENER": "Energy",
    "ENVI": "Environment",
    "GOVE": "Government and public sector",
    "HEAL": "Health",
    "INTR": "International issues",
    "JUST": "Justice, legal system and public safety",
    "REGI": "Regions and cities",
    "SOCI": "Population and society",
    "TECH": "Science and technology",
    "TRAN": "Transport",
}
OGC_API_FEATURES = URIRef("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core")
SERIALISATIONS = {
    "jsonld": ("json-ld", "application/ld+json"),
    "ttl": ("turtle", "text/turtle"),
    "rdf": ("pretty-xml", "application/rdf+xml"),
}


def dataset_uri(base_url: str, name: str) -> URIRef:
    """The IRI of a dataset (its DCAT description is served there with .ttl, .rdf or .jsonld)."""
    return URIRef(f"{base_url}opendata/dataset/{name}")


def _bind(graph: Graph) -> None:
    for prefix, namespace in (
        ("dcat", DCAT),
        ("dct", DCTERMS),
        ("foaf", FOAF),
        ("vcard", VCARD),
        ("locn", LOCN),
        ("skos", SKOS),
        ("gsp", GSP),
    ):
        graph.bind(prefix, namespace)


def _typed(graph: Graph, node: URIRef, kind: URIRef) -> URIRef:
    graph.add((node, RDF.type, kind))
    return node


def _link(graph: Graph, url: str) -> URIRef:
    """A URL as DCAT-AP wants it: an IRI typed rdfs:Resource (what RDFS inference would say of it)."""
    return _typed(graph, URIRef(url), RDFS.Resource)


def _texts(graph: Graph, node: URIRef | BNode, prop: URIRef, vi: str, en: str) -> None:
    graph.add((node, prop, Literal(vi, lang="vi")))
    if en:
        graph.add((node, prop, Literal(en, lang="en")))


def _date(value: date | datetime) -> Literal:
    if isinstance(value, datetime):
        return Literal(value.replace(microsecond=0).isoformat(), datatype=XSD.dateTime)
    return Literal(value.isoformat(), datatype=XSD.date)


def _theme_scheme(graph: Graph) -> URIRef:
    scheme = _typed(graph, THEME_SCHEME, SKOS.ConceptScheme)
    graph.add((scheme, DCTERMS.title, Literal("Data theme", lang="en")))
    return scheme


def _publisher(graph: Graph, base_url: str, slug: str, name: str) -> URIRef:
    agent = _typed(graph, URIRef(f"{base_url}du-lieu-mo/to-chuc/{slug}"), FOAF.Agent)
    graph.add((agent, FOAF.name, Literal(name, lang="vi")))
    kind = _typed(graph, URIRef(f"{EU}corporate-body/LOCAL"), SKOS.Concept)
    graph.add((kind, SKOS.prefLabel, Literal("Local authority", lang="en")))
    graph.add((agent, DCTERMS.type, kind))
    return agent


def _contact(graph: Graph, section: OpendataSettings) -> BNode:
    contact = BNode()
    graph.add((contact, RDF.type, VCARD.Organization))
    graph.add((contact, RDF.type, VCARD.Kind))
    graph.add((contact, VCARD.fn, Literal(section.contact_name, lang="vi")))
    graph.add((contact, VCARD.hasEmail, URIRef(f"mailto:{section.contact_email}")))
    return contact


def _spatial(graph: Graph, section: OpendataSettings) -> BNode:
    w, s, e, n = spatial_box(section)
    place = BNode()
    graph.add((place, RDF.type, DCTERMS.Location))
    graph.add((place, SKOS.prefLabel, Literal(section.spatial_name, lang="vi")))
    wkt = f"POLYGON(({w} {s},{e} {s},{e} {n},{w} {n},{w} {s}))"
    graph.add((place, DCAT.bbox, Literal(wkt, datatype=GSP.wktLiteral)))
    return place


def _licence(graph: Graph, code: str) -> URIRef:
    return _typed(graph, URIRef(f"{EU}licence/{LICENCES.get(code, code)}"), DCTERMS.LicenseDocument)


def _distribution(
    graph: Graph, base_url: str, info: DatasetInfo, resource: ResourceInfo, service: URIRef | None
) -> URIRef:
    node = _typed(graph, URIRef(f"{base_url}opendata/resource/{resource.id}"), DCAT.Distribution)
    _texts(graph, node, DCTERMS.title, resource.name_vi, resource.name_en)
    graph.add((node, DCAT.accessURL, _link(graph, resource.url)))
    if resource.is_file:
        graph.add((node, DCAT.downloadURL, _link(graph, resource.url)))
    elif service is not None:
        graph.add((node, DCAT.accessService, service))
    media = URIRef(f"http://www.iana.org/assignments/media-types/{resource.media_type}")
    graph.add((node, DCAT.mediaType, _typed(graph, media, DCTERMS.MediaType)))
    file_type = URIRef(f"{EU}file-type/{FILE_TYPES[resource.format_key]}")
    graph.add((node, DCTERMS["format"], _typed(graph, file_type, DCTERMS.MediaTypeOrExtent)))
    graph.add((node, DCTERMS.license, _licence(graph, info.licence)))
    if resource.size is not None:
        graph.add((node, DCAT.byteSize, Literal(resource.size, datatype=XSD.nonNegativeInteger)))
    if resource.generated_at is not None:
        graph.add((node, DCTERMS.modified, _date(resource.generated_at)))
    return node


def _data_service(graph: Graph, info: DatasetInfo, resource: ResourceInfo, dataset: URIRef) -> URIRef:
    endpoint = resource.url.split("/collections/")[0]
    node = _typed(graph, URIRef(f"{endpoint}"), DCAT.DataService)
    _texts(graph, node, DCTERMS.title, "OGC API Features của thành phố", "The city's OGC API Features")
    graph.add((node, DCAT.endpointURL, _link(graph, endpoint)))
    graph.add((node, DCAT.endpointDescription, _link(graph, f"{endpoint}/api")))
    graph.add((node, DCTERMS.conformsTo, _typed(graph, OGC_API_FEATURES, DCTERMS.Standard)))
    graph.add((node, DCAT.servesDataset, dataset))
    graph.add((node, DCTERMS.license, _licence(graph, info.licence)))
    return node


def _temporal(graph: Graph, start: date | None, end: date | None) -> BNode:
    period = BNode()
    graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
    if start:
        graph.add((period, DCAT.startDate, _date(start)))
    if end:
        graph.add((period, DCAT.endDate, _date(end)))
    return period


def add_dataset(graph: Graph, settings: Settings, info: DatasetInfo, base_url: str) -> URIRef:
    """Add one dataset, its distributions and services to the graph; returns its node."""
    section = settings.section(OpendataSettings)
    node = _typed(graph, dataset_uri(base_url, info.name), DCAT.Dataset)
    _texts(graph, node, DCTERMS.title, info.title_vi, info.title_en)
    _texts(graph, node, DCTERMS.description, info.description_vi, info.description_en)
    graph.add((node, DCTERMS.identifier, Literal(info.name)))
    graph.add((node, DCTERMS.publisher, _publisher(graph, base_url, info.publisher, info.publisher_name)))
    graph.add((node, DCAT.contactPoint, _contact(graph, section)))
    graph.add((node, DCAT.landingPage, _typed(graph, URIRef(info.landing_page), FOAF.Document)))
    for code in info.themes:
        theme = _typed(graph, URIRef(f"{EU}data-theme/{code}"), SKOS.Concept)
        graph.add((theme, SKOS.prefLabel, Literal(THEME_LABELS.get(code, code), lang="en")))
        graph.add((theme, SKOS.inScheme, _theme_scheme(graph)))
        graph.add((node, DCAT.theme, theme))
    for keyword in info.keywords:
        graph.add((node, DCAT.keyword, Literal(keyword, lang="vi")))
    frequency = URIRef(f"{EU}frequency/{FREQUENCIES[info.frequency]}")
    graph.add((node, DCTERMS.accrualPeriodicity, _typed(graph, frequency, DCTERMS.Frequency)))
    language = _typed(graph, URIRef(f"{EU}language/VIE"), DCTERMS.LinguisticSystem)
    graph.add((node, DCTERMS.language, language))
    graph.add((node, DCTERMS.spatial, _spatial(graph, section)))
    if any(info.temporal):
        graph.add((node, DCTERMS.temporal, _temporal(graph, *info.temporal)))
    if info.modified:
        graph.add((node, DCTERMS.modified, _date(info.modified)))
    for resource in info.resources:
        service = _data_service(graph, info, resource, node) if not resource.is_file else None
        graph.add((node, DCAT.distribution, _distribution(graph, base_url, info, resource, service)))
    return node


def catalogue_graph(settings: Settings, infos: list[DatasetInfo], base_url: str) -> Graph:
    """The DCAT-AP catalogue of these datasets."""
    section = settings.section(OpendataSettings)
    graph = Graph()
    _bind(graph)
    catalogue = _typed(graph, URIRef(f"{base_url}opendata/catalog"), DCAT.Catalog)
    _texts(graph, catalogue, DCTERMS.title, section.title_vi, section.title_en)
    _texts(graph, catalogue, DCTERMS.description, section.description_vi, section.description_en)
    publisher = next(iter(section.publishers))
    graph.add(
        (catalogue, DCTERMS.publisher, _publisher(graph, base_url, publisher, section.publishers[publisher]))
    )
    graph.add((catalogue, FOAF.homepage, _typed(graph, URIRef(f"{base_url}du-lieu-mo"), FOAF.Document)))
    graph.add(
        (catalogue, DCTERMS.language, _typed(graph, URIRef(f"{EU}language/VIE"), DCTERMS.LinguisticSystem))
    )
    graph.add((catalogue, DCTERMS.license, _licence(graph, "CC-BY-4.0")))
    graph.add((catalogue, DCTERMS.spatial, _spatial(graph, section)))
    graph.add((catalogue, DCAT.themeTaxonomy, _theme_scheme(graph)))
    modified = [i.modified for i in infos if i.modified]
    if modified:
        graph.add((catalogue, DCTERMS.modified, _date(max(modified))))
    for info in infos:
        graph.add((catalogue, DCAT.dataset, add_dataset(graph, settings, info, base_url)))
    return graph


def dataset_graph(settings: Settings, info: DatasetInfo, base_url: str) -> Graph:
    """One dataset as DCAT-AP."""
    graph = Graph()
    _bind(graph)
    add_dataset(graph, settings, info, base_url)
    return graph


def serialise(graph: Graph, extension: str) -> tuple[str, str]:
    """The graph in a serialisation chosen by file extension (jsonld, ttl, rdf) and its media type."""
    fmt, media_type = SERIALISATIONS[extension]
    return graph.serialize(format=fmt), media_type
