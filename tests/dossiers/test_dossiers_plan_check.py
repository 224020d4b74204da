"""The construction permit with the GIS: the application is checked against the plan of its parcel."""

from __future__ import annotations

import pytest

from smartcity.dossiers import service
from smartcity.dossiers.schemas import DossierCreate
from tests.dossiers.dossier_fixtures import PDF, SYSTEM, local

AT = local(2025, 3, 3, 9, 0)


def _permit_form(sheet: int, number: int, *, floors: int) -> dict:
    return {
        "site_address": "Đường Yersin, Phường Phú Cường",
        "ward_code": "25747",
        "map_sheet": sheet,
        "parcel_number": number,
        "land_area_m2": 120.0,
        "footprint_m2": 80.0,
        "total_floor_area_m2": 240.0,
        "floors": floors,
        "height_m": 3.6 * floors,
    }


def _processed(db, settings, people, form):  # type: ignore[no-untyped-def]
    uploads = [
        service.Upload(doc, f"{doc}.pdf", "application/pdf", PDF)
        for doc in ("don_de_nghi", "gcn_qsdd", "ban_ve")
    ]
    data = DossierCreate(
        procedure_code="TDM-QLDT-002", form=form, applicant={"name": "Nguyễn Văn An", "phone": "0912345678"}
    )
    code = service.submit_dossier(
        db, actor=people.citizen, settings=settings, data=data, uploads=uploads, now=AT
    )[0].code
    service.act(db, actor=people.clerk, settings=settings, code=code, action="receive", now=AT)
    service.act(db, actor=people.head, settings=settings, code=code, action="assign", now=AT)
    return service.act(
        db,
        actor=people.specialist,
        settings=settings,
        code=code,
        action="process",
        payload={"result": {"permit_number": "15/GPXD"}},
        now=AT,
    )


def test_the_permit_application_is_checked_against_the_plan(db, settings, people):
    gis = pytest.importorskip("smartcity.gis.service")
    from smartcity.city.loader import load_city_pack

    load_city_pack(db, pack="thu-dau-mot", actor=SYSTEM)
    gis.load_demo_layers(db, actor=SYSTEM, parcels=200)
    parcel = next(p for p in gis.query_features(db, slug="land-parcels", limit=200).features if "/" in p.key)
    sheet, number = (int(part) for part in parcel.key.split("/"))

    modest = _processed(db, settings, people, _permit_form(sheet, number, floors=1)).result_data["plan_check"]
    assert modest["parcel"] == parcel.key and modest["findings"]
    tower = _processed(db, settings, people, _permit_form(sheet, number, floors=12)).result_data["plan_check"]
    assert tower["ok"] is False
    assert any(not f["ok"] for f in tower["findings"])


def test_an_unknown_parcel_is_recorded_not_blocking(db, settings, people):
    pytest.importorskip("smartcity.gis.service")
    processed = _processed(db, settings, people, _permit_form(9999, 99999, floors=2))
    check = processed.result_data["plan_check"]
    assert check["ok"] is None and check["parcel"] == "9999/99999" and check["problem"]
