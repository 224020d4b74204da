"""The house-number certificate with the GIS: the number proposed from the street when none is given."""

from __future__ import annotations

import pytest
from shapely.geometry import shape

from smartcity.core.errors import ValidationFailed
from smartcity.dossiers import service
from smartcity.dossiers.schemas import DossierCreate
from tests.dossiers.dossier_fixtures import SYSTEM, house_form, house_uploads, local

AT = local(2025, 3, 3, 9, 0)


def _received(db, settings, people, form) -> str:
    data = DossierCreate(
        procedure_code="TDM-QLDT-001", form=form, applicant={"name": "Nguyễn Văn An", "phone": "0912345678"}
    )
    code = service.submit_dossier(
        db, actor=people.citizen, settings=settings, data=data, uploads=house_uploads(), now=AT
    )[0].code
    service.act(db, actor=people.clerk, settings=settings, code=code, action="receive", now=AT)
    service.act(db, actor=people.head, settings=settings, code=code, action="assign", now=AT)
    return code


def test_without_street_data_the_specialist_must_give_the_number(db, settings, people):
    code = _received(db, settings, people, house_form())
    with pytest.raises(ValidationFailed) as caught:
        service.act(db, actor=people.specialist, settings=settings, code=code, action="process", now=AT)
    assert caught.value.errors[0]["field"] == "result.house_number"


def test_number_proposed_by_the_gis_next_to_a_street(db, settings, people):
    gis = pytest.importorskip("smartcity.gis.service")
    from smartcity.city.loader import load_city_pack

    load_city_pack(db, pack="thu-dau-mot", actor=SYSTEM)
    gis.load_demo_layers(db, actor=SYSTEM, parcels=200)
    streets = gis.features_in_bbox(db, slug="streets", box=(106.60, 10.96, 106.72, 11.10), limit=50)
    line = next(shape(s.geometry) for s in streets if s.geometry and s.geometry["type"] == "LineString")
    point = line.interpolate(0.5, normalized=True)
    form = house_form(latitude=round(point.y + 0.00005, 6), longitude=round(point.x, 6))
    code = _received(db, settings, people, form)
    processed = service.act(
        db, actor=people.specialist, settings=settings, code=code, action="process", now=AT
    )
    assert processed.result_data["proposed_by"] == "gis" and processed.result_data["house_number"]
