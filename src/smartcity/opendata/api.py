"""Machine interfaces of the catalogue: CKAN's Action API, DCAT-AP documents and downloads' usage (JSON)."""

from __future__ import annotations

from types import ModuleType
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response

from smartcity.core.errors import NotFound
from smartcity.opendata import service
from smartcity.opendata.ckan import router as ckan_router
from smartcity.web.deps import DbDep, SettingsDep, require_role

router = APIRouter()
router.include_router(ckan_router)
dcat_router = APIRouter(tags=["DCAT-AP"])
Extension = Annotated[str, Path(pattern="^(jsonld|ttl|rdf)$")]


def _dcat() -> ModuleType:
    """The DCAT-AP writer, imported on first use: rdflib costs each process about 20 MiB."""
    from smartcity.opendata import dcat

    return dcat


def _base(request: Request, settings: Any) -> str:
    base: str = settings.public_url(str(request.base_url))
    return base


@dcat_router.get("/opendata/catalog.{extension}", summary="The catalogue as DCAT-AP 3")
def catalogue_document(request: Request, extension: Extension, db: DbDep, settings: SettingsDep) -> Response:
    """The whole catalogue in JSON-LD (.jsonld), Turtle (.ttl) or RDF/XML (.rdf)."""
    base = _base(request, settings)
    dcat = _dcat()
    graph = dcat.catalogue_graph(settings, service.catalogue(db, settings, base), base)
    body, media_type = dcat.serialise(graph, extension)
    return Response(body, media_type=media_type)


@dcat_router.get("/opendata/dataset/{name}.{extension}", summary="One dataset as DCAT-AP 3")
def dataset_document(
    request: Request, name: str, extension: Extension, db: DbDep, settings: SettingsDep
) -> Response:
    """One dataset in JSON-LD, Turtle or RDF/XML (counted as an API use of the dataset)."""
    base = _base(request, settings)
    info = service.dataset_info(db, settings, service.get_dataset(name), base)
    service.record_use(db, dataset=name, kind="api")
    dcat = _dcat()
    body, media_type = dcat.serialise(dcat.dataset_graph(settings, info, base), extension)
    return Response(body, media_type=media_type)


@dcat_router.get("/opendata/dataset/{name}", include_in_schema=False)
def dataset_iri(name: str) -> RedirectResponse:
    """A dataset's IRI leads a person to its page."""
    service.get_dataset(name)
    return RedirectResponse(f"/du-lieu-mo/{name}", status_code=303)


@dcat_router.get("/opendata/resource/{resource_id}", include_in_schema=False)
def resource_iri(resource_id: str) -> RedirectResponse:
    """A distribution's IRI leads to its download (or service)."""
    _dataset, fmt = service.split_resource_id(resource_id)
    if fmt == "ogc":
        raise NotFound("The OGC API distribution is described at its access URL")
    return RedirectResponse(f"/du-lieu-mo/tai-ve/{resource_id}", status_code=303)


@router.get(
    "/api/v1/opendata/usage",
    tags=["opendata"],
    summary="Downloads and API calls per dataset",
    dependencies=[Depends(require_role("operator", "leader", "head"))],
)
def usage(db: DbDep) -> dict[str, dict[str, int]]:
    """Uses of every dataset since the start: {"name": {"download": n, "api": m}}."""
    counts = service.usage_counts(db)
    return {d.name: counts.get(d.name, {"download": 0, "api": 0}) for d in service.all_datasets()}


router.include_router(dcat_router)
