"""This process's lists of units valid on a date: served without the database, never stale after a load
here, at most `UNITS_CACHE_SECONDS` stale after a change by another process (the clock is moved in the
tests, never waited for)."""

from __future__ import annotations

import json
import shutil
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import event, text

from smartcity.city import service, unit_lists
from smartcity.city.loader import load_city_pack
from smartcity.city.pack import PACKS_DIR
from smartcity.core.db import Database
from smartcity.core.security import Actor

SYSTEM = Actor.system("test")
DAY = date(2026, 1, 1)
BEFORE = date(2022, 2, 27)  # before the reorganisation: the old wards


@pytest.fixture
def loaded(db: Database) -> Database:
    """The database with the Thủ Dầu Một pack loaded."""
    load_city_pack(db, pack="thu-dau-mot", actor=SYSTEM)
    return db


def _ward_names(db: Database, on: date = DAY) -> dict[str, str]:
    return {unit.code: unit.name for unit in service.units_on(db, on=on, level="ward")}


def _statements(db: Database) -> list[str]:
    """Statements sent to `db` from now on (the listener stays for the test's database only)."""
    sent: list[str] = []

    def on_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", on_statement)
    return sent


def _rename_elsewhere(db: Database, code: str, name: str) -> None:
    """What another process's write looks like to this one: the row changes, nothing is forgotten here."""
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE city_admin_units SET name = :name WHERE code = :code AND valid_from IS NOT NULL"),
            {"name": name, "code": code},
        )


def test_a_kept_list_is_served_without_the_database(loaded: Database) -> None:
    first = _ward_names(loaded)
    sent = _statements(loaded)
    assert _ward_names(loaded) == first
    kept = service.cached_units_on(loaded, on=DAY, level="ward")
    assert kept == service.units_on(loaded, on=DAY, level="ward")
    assert sent == []
    assert service.cached_units_on(loaded, on=BEFORE, level="ward") is None  # not asked yet


def test_a_load_in_this_process_is_served_at_once(loaded: Database, tmp_path: Any) -> None:
    assert _ward_names(loaded, BEFORE)["25741"] == "Phường Hiệp Thành"
    folder = tmp_path / "packs"
    shutil.copytree(PACKS_DIR / "thu-dau-mot", folder / "thu-dau-mot")
    path = folder / "thu-dau-mot" / "admin_units.json"
    units = json.loads(path.read_text())
    assert units["wards"][0]["code"] == "25741"
    units["wards"][0]["name"] = "Phường Hiệp Thành (đổi tên)"
    path.write_text(json.dumps(units, ensure_ascii=False))
    load_city_pack(loaded, actor=SYSTEM, packs_dir=folder)
    assert _ward_names(loaded, BEFORE)["25741"] == "Phường Hiệp Thành (đổi tên)"


def test_a_change_by_another_process_is_served_within_the_cache_time(
    loaded: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _ward_names(loaded)["25747"] == "Phường Thủ Dầu Một"
    _rename_elsewhere(loaded, "25747", "Phường Mới")
    assert _ward_names(loaded)["25747"] == "Phường Thủ Dầu Một"  # this process's copy, not yet too old
    kept_at = unit_lists._now()
    monkeypatch.setattr(unit_lists, "_now", lambda: kept_at + unit_lists.UNITS_CACHE_SECONDS)
    assert _ward_names(loaded)["25747"] == "Phường Mới"


def test_a_read_overtaken_by_a_load_is_not_kept(loaded: Database) -> None:
    read_since = unit_lists.generation()
    units = tuple(service.units_on(loaded, on=date(2030, 1, 1)))
    unit_lists.forget(loaded)  # a load committed while the list was being read
    unit_lists.keep(loaded, date(2030, 1, 1), None, units, read_since)
    assert unit_lists.cached(loaded, date(2030, 1, 1), None) is None


def test_the_kept_lists_are_bounded(loaded: Database) -> None:
    for day in range(1, 29):
        for month in (1, 2, 3):
            service.units_on(loaded, on=date(2026, month, day))
    assert len(unit_lists._lists) <= unit_lists.MAX_LISTS
    assert unit_lists.cached(loaded, date(2026, 3, 28), None) is not None  # the newest are kept


def test_the_shared_units_cannot_be_changed_by_a_caller(loaded: Database) -> None:
    unit = service.units_on(loaded, on=DAY, level="ward")[0]
    with pytest.raises(ValidationError):
        unit.name = "Phường khác"  # type: ignore[misc]
    assert service.units_on(loaded, on=DAY, level="ward")[0].name == unit.name
