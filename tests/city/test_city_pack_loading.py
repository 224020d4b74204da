"""Loading the pack: idempotent, audited, announces the org chart; the ward areas tile the boundary."""

from __future__ import annotations

import json
import shutil
from datetime import date

import pytest
import shapely
from sqlalchemy import func, select
from typer.testing import CliRunner

from smartcity.city import geometry as geo
from smartcity.city import service
from smartcity.city.loader import load_city_pack
from smartcity.city.models import AdministrativeUnit, CalendarException, CityPackRecord, UnitSuccession
from smartcity.city.pack import PACKS_DIR, read_pack
from smartcity.core.audit import AuditEntry, verify_chain
from smartcity.core.errors import NotFound
from smartcity.core.outbox import OutboxMessage
from smartcity.core.security import Actor

SYSTEM = Actor.system("test")
TABLES = (AdministrativeUnit, UnitSuccession, CalendarException, CityPackRecord)


def _counts(db) -> dict[str, int]:
    with db.session() as s:
        return {t.__tablename__: s.scalar(select(func.count()).select_from(t)) for t in TABLES}


def test_loading_twice_is_idempotent_and_audited(db):
    first = load_city_pack(db, actor=SYSTEM)
    counts = _counts(db)
    assert counts == {
        "city_admin_units": 22,
        "city_unit_successions": 20,
        "city_calendar_exceptions": 2,
        "city_packs": 1,
    }
    with db.session() as s:
        audited = s.scalar(select(func.count()).select_from(AuditEntry))
    second = load_city_pack(db, actor=SYSTEM)
    assert first.changed and not second.changed
    assert _counts(db) == counts
    with db.session() as s:
        report = verify_chain(s, key=db.settings.audit_key)
        assert report.ok
        assert report.checked == audited + 1  # only the summary row of the second run
        loaded = OutboxMessage.event_type == "city.CityPackLoaded"
        events = s.scalars(select(OutboxMessage).where(loaded).order_by(OutboxMessage.id)).all()
    assert len(events) == 2
    org = {u["code"]: u for u in events[-1].payload["org_units"]}
    assert org["UBND-TDM"]["valid_to"] == "2025-06-30"
    assert org["TDM-IOC"]["kind"] == "operations_centre" and org["TDM-IOC"]["parent_code"] == "UBND-TDM"
    assert org["UBND-25741"]["parent_code"] == "UBND-TDM"
    assert org["UBND-25747-HCM"] == {
        "code": "UBND-25747-HCM",
        "name": "Ủy ban nhân dân phường Thủ Dầu Một",
        "name_en": "People's Committee of Thủ Dầu Một Ward, Hồ Chí Minh City",
        "kind": "ward_committee",
        "parent_code": None,
        "admin_unit_code": "25747",
        "valid_from": "2025-07-01",
        "valid_to": None,
    }
    assert len([c for c in org if c.startswith("UBND-2")]) == 19
    assert all(u["name_en"] for u in org.values())


def test_changed_pack_data_updates_rows(db, tmp_path):
    load_city_pack(db, actor=SYSTEM)
    folder = tmp_path / "packs"
    shutil.copytree(PACKS_DIR / "thu-dau-mot", folder / "thu-dau-mot")
    path = folder / "thu-dau-mot" / "admin_units.json"
    units = json.loads(path.read_text())
    units["wards"][0]["name"] = "Phường Hiệp Thành (renamed)"
    path.write_text(json.dumps(units, ensure_ascii=False))
    counts = _counts(db)
    report = load_city_pack(db, actor=SYSTEM, packs_dir=folder)
    assert report.updated == {"admin_units": 1, "packs": 1}
    assert _counts(db) == counts
    assert service.get_unit(db, "25741", date(2024, 1, 1)).name == "Phường Hiệp Thành (renamed)"
    with db.session() as s:
        assert verify_chain(s, key=db.settings.audit_key).ok


def test_unknown_pack_is_not_found(db):
    with pytest.raises(NotFound, match="thu-dau-mot"):
        load_city_pack(db, pack="hanoi", actor=SYSTEM)
    assert _counts(db)["city_admin_units"] == 0


def test_ward_areas_tile_the_boundary_before_and_after_2025():
    pack = read_pack("thu-dau-mot")
    boundary = geo.from_geojson(pack.boundary)
    assert 118.5 < geo.area_km2(boundary) < 121  # the source says about 119 km²
    old = geo.voronoi_areas(boundary, pack.seeds)
    transfers = [
        (s.predecessor[0], s.successor[0], s.share)
        for s in pack.successions
        if s.predecessor and s.predecessor[0] in old
    ]
    new = geo.successor_areas(old, transfers)
    for areas, count in ((old, 14), (new, 5)):
        assert len(areas) == count
        assert all(not a.is_empty and a.is_valid for a in areas.values())
        assert all(1.0 < geo.area_km2(a) < 50.0 for a in areas.values())
        union = shapely.union_all(list(areas.values()))
        assert geo.area_km2(union.symmetric_difference(boundary)) < 0.01  # no gap, nothing outside
        overlap = sum(geo.area_km2(a) for a in areas.values()) - geo.area_km2(union)
        assert abs(overlap) < 0.01  # no overlaps


def test_stored_ward_areas_add_up_to_the_city(db):
    load_city_pack(db, actor=SYSTEM)
    city = service.city_boundary(db)["properties"]["area_km2"]
    for day in (date(2022, 2, 27), date(2026, 1, 1)):
        total = sum(w.area_km2 or 0 for w in service.units_on(db, on=day, level="ward"))
        assert total == pytest.approx(city, abs=0.05)


def test_cli_loads_and_lists(db, monkeypatch):
    from smartcity.cli import app
    from smartcity.core.config import get_settings

    monkeypatch.setenv("SMARTCITY_DATABASE_URL", db.url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        loaded = runner.invoke(app, ["citypack", "load", "thu-dau-mot"])
        assert loaded.exit_code == 0, loaded.output
        assert "admin_units" in loaded.output and "22" in loaded.output
        again = runner.invoke(app, ["citypack", "load", "thu-dau-mot"])
        assert again.exit_code == 0 and "nothing changed" in again.output
        unknown = runner.invoke(app, ["citypack", "load", "atlantis"])
        assert unknown.exit_code == 2 and "Unknown city pack 'atlantis'" in unknown.output
        listed = runner.invoke(app, ["citypack", "list"])
        assert listed.exit_code == 0 and "thu-dau-mot" in listed.output and "yes" in listed.output
    finally:
        get_settings.cache_clear()
    assert _counts(db)["city_admin_units"] == 22
