"""Org units arrive from the city pack through the city.CityPackLoaded event; upserted by code."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from smartcity.accounts import service
from smartcity.city.events import CityPackLoaded
from smartcity.core.audit import AuditEntry
from smartcity.core.uow import UnitOfWork
from tests.accounts.conftest import SYSTEM

PACK_UNITS = (
    {
        "code": "UBND-TDM",
        "name": "UBND thành phố Thủ Dầu Một",
        "name_en": "Thu Dau Mot City People's Committee",
        "kind": "people_committee",
        "parent_code": None,
        "admin_unit_code": "718",
        "valid_from": None,
        "valid_to": "2025-06-30",
    },
    {
        "code": "UBND-PHULOI",
        "name": "UBND phường Phú Lợi",
        "name_en": "Phu Loi Ward People's Committee",
        "kind": "ward_committee",
        "parent_code": None,
        "admin_unit_code": "25750",
        "valid_from": "2025-07-01",
        "valid_to": None,
    },
    {
        "code": "IOC",
        "name": "Trung tâm Điều hành đô thị thông minh",
        "name_en": "Operations centre",
        "kind": "operations_centre",
        "parent_code": "UBND-PHULOI",
        "admin_unit_code": None,
        "valid_from": None,
        "valid_to": None,
    },
)


def _publish(db, units) -> None:
    with UnitOfWork(db, SYSTEM) as uow:
        uow.publish(CityPackLoaded(pack="thu-dau-mot", org_units=tuple(units)))


def _org_unit_audits(db) -> list[AuditEntry]:
    with db.session() as s:
        query = select(AuditEntry).where(AuditEntry.entity_type == "org_unit").order_by(AuditEntry.seq)
        return list(s.scalars(query))


def test_city_pack_event_creates_org_units(db):
    _publish(db, PACK_UNITS)
    units = {u.code: u for u in service.list_org_units(db)}
    assert set(units) == {"UBND-TDM", "UBND-PHULOI", "IOC"}
    assert units["IOC"].parent_code == "UBND-PHULOI" and units["UBND-TDM"].valid_to == date(2025, 6, 30)
    audits = _org_unit_audits(db)
    assert len(audits) == 3 and {a.actor for a in audits} == {"system:city-pack:thu-dau-mot"}


def test_reloading_the_pack_is_harmless_and_changes_are_audited(db):
    _publish(db, PACK_UNITS)
    _publish(db, PACK_UNITS)
    assert len(service.list_org_units(db)) == 3 and len(_org_unit_audits(db)) == 3
    renamed = [dict(PACK_UNITS[2], name="Trung tâm IOC")]
    _publish(db, renamed)
    unit = service.get_org_unit(db, "IOC")
    assert unit is not None and unit.name == "Trung tâm IOC"
    last = _org_unit_audits(db)[-1]
    assert last.action == "org_unit.updated" and last.before["name"] != last.after["name"]


def test_units_valid_on_a_date(db):
    _publish(db, PACK_UNITS)
    assert {u.code for u in service.list_org_units(db, date(2025, 6, 30))} == {"UBND-TDM", "IOC"}
    assert {u.code for u in service.list_org_units(db, date(2025, 7, 1))} == {"UBND-PHULOI", "IOC"}
    assert service.get_org_unit(db, "NOPE") is None
