"""Results that change the city's records: a granted construction permit is drawn on its parcel, a registered
household business enters the register of household businesses — public fields only, once per dossier."""

from __future__ import annotations

import pytest

from smartcity.dossiers import service
from smartcity.dossiers.schemas import DossierCreate
from tests.dossiers.dossier_fixtures import PDF, SYSTEM, local

AT = local(2025, 3, 3, 9, 0)
OWNER = "Nguyễn Văn An"


def _decided(db, settings, people, procedure, form, documents, result):  # type: ignore[no-untyped-def]
    uploads = [service.Upload(doc, f"{doc}.pdf", "application/pdf", PDF) for doc in documents]
    data = DossierCreate(
        procedure_code=procedure, form=form, applicant={"name": OWNER, "phone": "0912345678"}
    )
    code = service.submit_dossier(
        db, actor=people.citizen, settings=settings, data=data, uploads=uploads, now=AT
    )[0].code
    service.act(db, actor=people.clerk, settings=settings, code=code, action="receive", now=AT)
    service.act(db, actor=people.head, settings=settings, code=code, action="assign", now=AT)
    service.act(
        db,
        actor=people.specialist,
        settings=settings,
        code=code,
        action="process",
        payload={"result": result},
        now=AT,
    )
    service.act(db, actor=people.head, settings=settings, code=code, action="review", now=AT)
    return service.act(db, actor=people.leader, settings=settings, code=code, action="decide", now=AT)


@pytest.fixture
def gis(db):  # type: ignore[no-untyped-def]
    gis = pytest.importorskip("smartcity.gis.service")
    from smartcity.city.loader import load_city_pack

    load_city_pack(db, pack="thu-dau-mot", actor=SYSTEM)
    gis.load_demo_layers(db, actor=SYSTEM, parcels=200)
    return gis


def test_a_granted_construction_permit_appears_on_its_parcel(db, settings, people, gis, client):
    parcel = next(p for p in gis.query_features(db, slug="land-parcels", limit=200).features if "/" in p.key)
    sheet, number = (int(part) for part in parcel.key.split("/"))
    form = {
        "site_address": "Đường Yersin, Phường Phú Cường",
        "ward_code": "25747",
        "map_sheet": sheet,
        "parcel_number": number,
        "land_area_m2": 120.0,
        "footprint_m2": 80.0,
        "total_floor_area_m2": 160.0,
        "floors": 2,
        "height_m": 7.2,
    }
    decided = _decided(
        db,
        settings,
        people,
        "TDM-QLDT-002",
        form,
        ("don_de_nghi", "gcn_qsdd", "ban_ve"),
        {"permit_number": "15/GPXD"},
    )
    permit = gis.feature_by_key(db, slug="construction-permits", key=decided.code)
    assert permit is not None and permit.geometry == parcel.geometry
    assert permit.properties["parcel"] == parcel.key and permit.properties["floors"] == 2
    assert (
        permit.properties["granted_on"] == "2025-03-03" and permit.properties["valid_until"] == "2026-03-03"
    )
    assert permit.properties["ward_name"] == "Phường Phú Cường"
    assert OWNER not in str(permit.properties)  # the owner is not published
    assert [f.key for f in gis.query_features(db, slug="construction-permits", limit=10).features] == [
        decided.code
    ]


def test_a_registered_household_business_enters_the_register(db, settings, people, gis):
    form = {
        "business_name": "Tạp hóa Minh An",
        "address": "Số 8 Đường Yersin, Phường Phú Cường",
        "ward_code": "25747",
        "business_lines": ["Bán lẻ hàng tạp hóa", "Bán lẻ đồ uống"],
        "capital_vnd": 150_000_000,
        "employees": 2,
        "phone": "0912345678",
    }
    decided = _decided(
        db, settings, people, "TDM-HKD-001", form, ("giay_de_nghi",), {"registration_number": "46A8001234"}
    )
    entry = gis.feature_by_key(db, slug="household-businesses", key=decided.code)
    assert entry is not None and entry.properties["business_name"] == "Tạp hóa Minh An"
    assert entry.properties["business_lines"] == "Bán lẻ hàng tạp hóa; Bán lẻ đồ uống"
    assert entry.properties["located"] == "Gần đúng (giữa phường)"  # no such number in the address register
    assert OWNER not in str(entry.properties) and "0912345678" not in str(entry.properties)
    assert entry.geometry["type"] == "Point"


def test_an_event_delivered_twice_enters_the_register_once(db, people, gis):
    from smartcity.core.security import Actor
    from smartcity.core.uow import UnitOfWork
    from smartcity.dossiers.events import HouseholdBusinessRegistered

    event = HouseholdBusinessRegistered(
        code="TDM-MOTCUA-250303-0099",
        registration_number="46A8009999",
        registered_on="2025-03-03",
        business_name="Quán cơm Bình Dân",
        address="Đường Bạch Đằng",
        ward_code="25747",
        business_lines=("Dịch vụ ăn uống",),
        capital_vnd=50_000_000,
        employees=3,
    )
    for _ in range(2):  # the outbox delivers at least once
        with UnitOfWork(db, Actor.system("dossiers-test")) as uow:
            uow.publish(event)
    assert len(gis.query_features(db, slug="household-businesses", limit=10).features) == 1
