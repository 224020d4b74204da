"""Construction-order inspections recorded against parcels."""

from __future__ import annotations

from datetime import date

import pytest

from smartcity.core.errors import Forbidden, NotFound, ValidationFailed
from smartcity.gis import inspections, service
from smartcity.gis.schemas import InspectionCreate
from smartcity.web.deps import current_actor
from tests.gis.conftest import CITIZEN, SPECIALIST


def test_inspections_are_recorded_listed_and_mapped_for_staff(demo, client, app):
    parcel = service.query_features(demo, slug="land-parcels", limit=1).features[0].key
    violation = InspectionCreate(
        parcel=parcel,
        inspected_on=date(2026, 3, 2),
        finding="violation",
        violations=["xây vượt tầng"],
        decision="Lập biên bản",
    )
    recorded = inspections.record_inspection(demo, actor=SPECIALIST, data=violation)
    assert recorded.parcel == parcel and recorded.inspector == "user:chuyenvien"
    assert [i.id for i in inspections.list_inspections(demo, actor=SPECIALIST, parcel=parcel)] == [
        recorded.id
    ]
    with pytest.raises(ValidationFailed):
        inspections.record_inspection(
            demo, actor=SPECIALIST, data=violation.model_copy(update={"violations": []})
        )
    with pytest.raises(NotFound):
        inspections.record_inspection(
            demo, actor=SPECIALIST, data=violation.model_copy(update={"parcel": "1/99999"})
        )
    with pytest.raises(Forbidden):
        inspections.list_inspections(demo, actor=CITIZEN)
    assert client.get("/api/v1/gis/inspections.geojson").status_code == 401
    app.dependency_overrides[current_actor] = lambda: SPECIALIST
    mapped = client.get("/api/v1/gis/inspections.geojson").json()
    assert mapped["features"][0]["properties"]["finding"] == "violation"
