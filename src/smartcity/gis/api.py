"""JSON API of the GIS domain (/api/v1/gis): layers, planning lookup and sheet, plan check, house
numbers, staff corrections, import and export. The OGC API Features is in `ogc.py` (at /ogc/)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from smartcity.core.errors import PayloadTooLarge
from smartcity.core.security import Actor
from smartcity.gis import addressing, basemap, feature_writes, inspections, planning, transfer
from smartcity.gis import store as service
from smartcity.gis.config import get_gis_settings
from smartcity.gis.schemas import (
    FeatureChange,
    FeatureOut,
    HouseNumberProposal,
    ImportReport,
    InspectionCreate,
    InspectionRead,
    LayerCreate,
    LayerRead,
    PlanCheck,
    PlanningInfo,
)
from smartcity.web.deps import ActorDep, get_db, require_role_in
from smartcity.web.responses import pdf_response

router = APIRouter(prefix="/api/v1/gis", tags=["gis"])
Staff = Annotated[
    Actor,
    Depends(require_role_in(("specialist", "head"), service.EDITOR_UNITS, refusal=service.EDITOR_REFUSAL)),
]
Clerk = Annotated[
    Actor,
    Depends(
        require_role_in(("clerk", "specialist", "head"), service.EDITOR_UNITS, refusal=service.EDITOR_REFUSAL)
    ),
]


class PublishChange(BaseModel):
    """Publish or withdraw a layer."""

    published: bool


class PlanCheckRequest(BaseModel):
    """A proposed construction on a parcel."""

    parcel: str = Field(description="Map sheet/parcel number, e.g. 12/34")
    floors: int = Field(ge=1, le=200)
    height_m: float | None = Field(default=None, gt=0, le=1000)
    footprint_m2: float | None = Field(default=None, gt=0)
    land_use_code: str | None = None


class HouseNumberRequest(BaseModel):
    """Where the new house stands, and the dossier it is for."""

    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    street: str | None = None
    reference: str | None = Field(default=None, max_length=100, description="e.g. the dossier code")
    parcel: str | None = None


class FeatureCorrection(BaseModel):
    """A staff correction of one feature."""

    properties: dict[str, Any] | None = None
    geometry: dict[str, Any] | None = None
    expected_version: int | None = None
    reason: str | None = Field(default=None, max_length=500, description="Why the feature is corrected")


@router.get("/layers", response_model=list[LayerRead], summary="The layer registry")
def layers(request: Request, actor: ActorDep) -> list[LayerRead]:
    """Published layers for everyone; every layer for staff."""
    staff = service.is_editor(actor)
    return service.list_layers(get_db(request), published_only=not staff)


@router.post("/layers", response_model=LayerRead, status_code=201, summary="Register a layer")
def create_layer(request: Request, data: LayerCreate, actor: Staff) -> LayerRead:
    """A new stored layer (for imports)."""
    return service.create_layer(get_db(request), actor=actor, data=data)


@router.patch("/layers/{slug}", response_model=LayerRead, summary="Publish or withdraw a layer")
def publish(request: Request, slug: str, change: PublishChange, actor: Staff) -> LayerRead:
    """Change whether a layer is public (OGC API, map)."""
    return service.set_published(get_db(request), actor=actor, slug=slug, published=change.published)


@router.patch("/layers/{slug}/features/{feature_id}", response_model=FeatureOut, summary="Correct a feature")
def correct(
    request: Request, slug: str, feature_id: int, change: FeatureCorrection, actor: Staff
) -> FeatureOut:
    """A staff correction; history is kept in the audit log."""
    return feature_writes.update_feature(
        get_db(request),
        actor=actor,
        slug=slug,
        feature_id=feature_id,
        properties=change.properties,
        geometry=change.geometry,
        expected_version=change.expected_version,
        reason=change.reason,
    )


@router.get(
    "/layers/{slug}/features/{feature_id}/history",
    response_model=list[FeatureChange],
    summary="Corrections of a feature",
)
def history(request: Request, slug: str, feature_id: int, actor: Staff) -> list[FeatureChange]:
    """Who corrected the feature, when, why and what changed (from the audit log)."""
    return feature_writes.feature_history(get_db(request), slug=slug, feature_id=feature_id)


@router.get("/base-map.geojson", summary="The offline base map (districts and streets) as GeoJSON")
def base_map(request: Request) -> Response:
    """The base map every map page draws under its layers: real district boundaries, the streets layer."""
    body = json.dumps(basemap.base_map(get_db(request)), ensure_ascii=False, separators=(",", ":"))
    return Response(body, media_type="application/geo+json", headers={"Cache-Control": "public, max-age=300"})


@router.get("/planning", response_model=PlanningInfo, summary="Planning lookup")
def lookup(
    request: Request,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    parcel: Annotated[str | None, Query(description="Map sheet/parcel number, e.g. 12/34")] = None,
    address: Annotated[str | None, Query(description="House number and street, e.g. 12A Đường N5")] = None,
) -> PlanningInfo:
    """Zones and their rules, the parcel, the ward of record and of today, for a point, parcel or address."""
    return planning.planning_lookup(get_db(request), lon=lon, lat=lat, parcel=parcel, address=address)


@router.get(
    "/planning/sheet.pdf",
    summary="Printable planning information sheet",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def sheet(
    request: Request,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    parcel: str | None = None,
    address: str | None = None,
) -> Response:
    """The planning sheet as PDF (A4, with a map extract)."""
    info, content = planning.planning_sheet_pdf(
        get_db(request), lon=lon, lat=lat, parcel=parcel, address=address, url=str(request.url)
    )
    name = info.parcel.key.replace("/", "-") if info.parcel else f"{info.lat:.5f}-{info.lon:.5f}"
    return pdf_response(content, f"thong-tin-quy-hoach-{name}.pdf")


@router.post("/plan-check", response_model=PlanCheck, summary="Check a construction against the plan")
def plan_check(request: Request, data: PlanCheckRequest) -> PlanCheck:
    """Each rule of each zone covering the parcel, with the proposed value and whether it fits."""
    return planning.check_against_plan(get_db(request), **data.model_dump())


@router.get("/house-numbers/proposal", response_model=HouseNumberProposal, summary="Propose a house number")
def propose(
    request: Request,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
    street: str | None = None,
) -> HouseNumberProposal:
    """The number a new house at the point would get (nothing is written)."""
    return addressing.propose_house_number(get_db(request), lon=lon, lat=lat, street=street)


@router.post(
    "/house-numbers", response_model=HouseNumberProposal, status_code=201, summary="Assign a house number"
)
def assign(request: Request, data: HouseNumberRequest, actor: Clerk) -> HouseNumberProposal:
    """Assign the number and enter it in the address register (idempotent per reference)."""
    return addressing.assign_house_number(get_db(request), actor=actor, **data.model_dump())


@router.get("/parcels/{sheet_no}/{parcel_no}/owner", summary="Owner reference of a parcel (staff, audited)")
def owner(request: Request, sheet_no: int, parcel_no: int, actor: Clerk) -> dict[str, str | None]:
    """The private owner reference; the read is written to the audit log."""
    key = f"{sheet_no}/{parcel_no}"
    return {"parcel": key, "owner_ref": service.parcel_owner_reference(get_db(request), actor=actor, key=key)}


Inspector = Annotated[
    Actor,
    Depends(
        require_role_in(inspections.INSPECTOR_ROLES, service.EDITOR_UNITS, refusal=service.EDITOR_REFUSAL)
    ),
]


@router.post("/inspections", response_model=InspectionRead, status_code=201, summary="Record an inspection")
def record_inspection(request: Request, data: InspectionCreate, actor: Inspector) -> InspectionRead:
    """A construction-order inspection of a parcel (violations, photos, decision)."""
    return inspections.record_inspection(get_db(request), actor=actor, data=data)


@router.get("/inspections", response_model=list[InspectionRead], summary="Inspections (staff)")
def list_inspections(request: Request, actor: Inspector, parcel: str | None = None) -> list[InspectionRead]:
    """Inspections, newest first, of one parcel when given."""
    return inspections.list_inspections(get_db(request), actor=actor, parcel=parcel)


@router.get("/inspections.geojson", summary="Inspections as GeoJSON for the staff map")
def inspections_geojson(request: Request, actor: Inspector) -> dict[str, Any]:
    """Every inspection as a point feature."""
    return inspections.inspections_geojson(get_db(request), actor=actor)


@router.post("/layers/{slug}/import", response_model=ImportReport, summary="Import a file into a layer")
async def import_file(
    request: Request,
    slug: str,
    actor: Staff,
    file: Annotated[UploadFile, File(description="GeoJSON, GeoPackage or zipped Shapefile")],
    crs: Annotated[
        str | None, Form(description="Source CRS when the file does not say (e.g. vn2000)")
    ] = None,
    partial: Annotated[bool, Form(description="Import the good features even if some are bad")] = False,
    replace: Annotated[bool, Form(description="Replace the layer's features")] = False,
    key_field: Annotated[str | None, Form(description="Attribute giving each feature's key")] = None,
) -> ImportReport:
    """Validate and import; with errors, nothing is imported unless `partial` (the report says why)."""
    limit = get_gis_settings().import_max_bytes
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise PayloadTooLarge(f"Files up to {limit} bytes can be imported")
    return await run_in_threadpool(
        transfer.import_bytes,
        get_db(request),
        actor=actor,
        slug=slug,
        content=content,
        filename=file.filename or "upload",
        source_crs=crs,
        partial=partial,
        replace=replace,
        key_field=key_field,
    )


@router.get("/layers/{slug}/export", summary="Export a layer", response_class=Response)
def export(
    request: Request,
    slug: str,
    actor: ActorDep,
    format: Annotated[str, Query(pattern="^(geojson|gpkg|shp)$")] = "geojson",
) -> Response:
    """A published layer (any layer for staff) as GeoJSON, GeoPackage or zipped Shapefile (WGS 84)."""
    staff = service.is_editor(actor)
    content, media_type, filename = transfer.export_layer(
        get_db(request), slug=slug, fmt=format, published_only=not staff
    )
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
