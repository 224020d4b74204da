"""Reading a city pack (a folder of JSON files under city/packs/) into plain, checked values."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any

from smartcity.core.errors import NotFound, ValidationFailed

PACKS_DIR = Path(__file__).resolve().parent / "packs"
_PACK_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")
LEVELS = ("province", "district", "ward")
SHARES = ("whole", "part", "rest")
DAY_OFF, WORKING_DAY = "day_off", "working_day"


@dataclass(frozen=True)
class UnitSpec:
    """An administrative unit during one period, as the pack declares it."""

    code: str
    name: str
    type: str
    level: str
    parent_code: str | None
    valid_from: date | None
    valid_to: date | None
    source: str

    @property
    def key(self) -> tuple[str, date | None]:
        """The natural key: a code names different units over time."""
        return (self.code, self.valid_from)


@dataclass(frozen=True)
class SuccessionSpec:
    """One transfer of a predecessor (a pack unit, or a named area outside the pack) to a successor."""

    predecessor: tuple[str, date | None] | None
    predecessor_name: str
    successor: tuple[str, date | None]
    share: str
    effective: date
    legal_basis: str


@dataclass(frozen=True)
class CalendarEntry:
    """A make-up working day or an extra day off, with the note of its source."""

    day: date
    kind: str
    note: str


@dataclass(frozen=True)
class CitySettings:
    """The pack's working-calendar settings."""

    timezone: str
    afternoon_cutoff: time
    entries: tuple[CalendarEntry, ...]


@dataclass(frozen=True)
class CityPack:
    """Everything a pack declares, read and checked, plus a digest of its files."""

    name: str
    title: str
    description: str
    directory: Path
    units: tuple[UnitSpec, ...]
    successions: tuple[SuccessionSpec, ...]
    boundary: dict[str, Any]
    boundary_unit: tuple[str, date | None]
    seeds: dict[str, tuple[float, float]]
    org_units: tuple[dict[str, Any], ...]
    calendar: CitySettings
    digest: str
    notes: dict[str, str] = field(default_factory=dict)

    def unit(self, key: tuple[str, date | None]) -> UnitSpec:
        """The unit with this natural key."""
        for spec in self.units:
            if spec.key == key:
                return spec
        raise KeyError(key)


def available_packs(packs_dir: Path | None = None) -> list[str]:
    """Names of the packs found in the packs folder."""
    folder = packs_dir or PACKS_DIR
    return sorted(p.name for p in folder.iterdir() if (p / "pack.json").is_file())


def read_pack(name: str, packs_dir: Path | None = None) -> CityPack:
    """Read and check the pack `name`; NotFound for an unknown pack, ValidationFailed for bad data."""
    folder = (packs_dir or PACKS_DIR) / name
    if not _PACK_NAME.match(name) or not (folder / "pack.json").is_file():
        known = ", ".join(available_packs(packs_dir)) or "none"
        raise NotFound(f"Unknown city pack {name!r} (available: {known})")
    manifest = _read_json(folder / "pack.json")
    files = manifest["files"]
    raw = {key: _read_json(folder / filename) for key, filename in files.items()}
    digest = _digest(folder, [*files.values(), "pack.json"])
    units, successions = _units_and_successions(manifest, raw["admin_units"], raw["reorganisation"])
    return CityPack(
        name=manifest["name"],
        title=manifest["title"],
        description=manifest.get("description", ""),
        directory=folder,
        units=units,
        successions=successions,
        boundary=_boundary_geometry(raw["boundary"], raw["admin_units"]["district"]["code"]),
        boundary_unit=(raw["admin_units"]["district"]["code"], None),
        seeds=_seeds(raw["ward_seeds"], units),
        org_units=tuple(raw["org_chart"]["org_units"]),
        calendar=_calendar(raw["calendar"]),
        digest=digest,
        notes={"seeds": raw["ward_seeds"].get("note", "")},
    )


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValidationFailed.for_field(path.name, f"cannot read pack file: {exc}") from exc


def _digest(folder: Path, filenames: list[str]) -> str:
    hasher = hashlib.sha256()
    for filename in sorted(set(filenames)):
        hasher.update(filename.encode() + b"\0" + (folder / filename).read_bytes())
    return hasher.hexdigest()


def _units_and_successions(
    manifest: dict[str, Any], admin: dict[str, Any], reorg: dict[str, Any]
) -> tuple[tuple[UnitSpec, ...], tuple[SuccessionSpec, ...]]:
    """Old units (start unknown, end before the reorganisation) and new ones (from its effective date)."""
    old_end = date.fromisoformat(manifest["old_units_valid_to"])
    effective = date.fromisoformat(reorg["effective_from"])
    old_source = f"{admin['source']}, data date {admin['data_date']}"
    new_source = reorg["legal_basis"]
    province, district = admin["province"], admin["district"]
    new_province = manifest["new_province"]
    units = [
        UnitSpec(
            province["code"], province["name"], province["type"], "province", None, None, old_end, old_source
        ),
        UnitSpec(
            district["code"],
            district["name"],
            district["type"],
            "district",
            province["code"],
            None,
            old_end,
            old_source,
        ),
        *(
            UnitSpec(w["code"], w["name"], w["type"], "ward", district["code"], None, old_end, old_source)
            for w in admin["wards"]
        ),
        UnitSpec(
            new_province["code"],
            new_province["name"],
            new_province["type"],
            "province",
            None,
            effective,
            None,
            manifest["province_merger_basis"],
        ),
        *(
            UnitSpec(
                w["code"], w["name"], "Phường", "ward", new_province["code"], effective, None, new_source
            )
            for w in reorg["new_wards"]
        ),
    ]
    merger = SuccessionSpec(
        (province["code"], None),
        province["name"],
        (new_province["code"], effective),
        "whole",
        effective,
        manifest["province_merger_basis"],
    )
    successions = [merger]
    for ward in reorg["new_wards"]:
        basis = f"Resolution 1685/NQ-UBTVQH15, item {ward['item']}"
        for item in ward["from"]:
            if item["share"] not in SHARES:
                raise ValidationFailed.for_field("share", f"unknown share {item['share']!r}")
            predecessor = (item["old"], None) if item["old"] else None
            successions.append(
                SuccessionSpec(
                    predecessor, item["name"], (ward["code"], effective), item["share"], effective, basis
                )
            )
    _check_units(units)
    return tuple(units), tuple(successions)


def _check_units(units: list[UnitSpec]) -> None:
    keys = [u.key for u in units]
    if len(set(keys)) != len(keys):
        raise ValidationFailed.for_field("admin_units", "two units share a code and start date")
    for unit in units:
        if unit.level not in LEVELS:
            raise ValidationFailed.for_field("level", f"unknown level {unit.level!r}")


def _boundary_geometry(collection: dict[str, Any], code: str) -> dict[str, Any]:
    for feature in collection.get("features", []):
        if str(feature.get("properties", {}).get("code")) == code:
            return dict(feature["geometry"])
    raise ValidationFailed.for_field("boundary", f"no feature with code {code}")


def _seeds(raw: dict[str, Any], units: tuple[UnitSpec, ...]) -> dict[str, tuple[float, float]]:
    seeds = {s["code"]: (float(s["lon"]), float(s["lat"])) for s in raw["seeds"]}
    old_wards = {u.code for u in units if u.level == "ward" and u.valid_from is None}
    if set(seeds) != old_wards:
        raise ValidationFailed.for_field("ward_seeds", "needs exactly one seed for each old ward")
    return seeds


def _calendar(raw: dict[str, Any]) -> CitySettings:
    entries = [
        CalendarEntry(date.fromisoformat(e["date"]), WORKING_DAY, e.get("note", ""))
        for e in raw.get("make_up_working_days", [])
    ]
    entries += [
        CalendarEntry(date.fromisoformat(e["date"]), DAY_OFF, e.get("note", ""))
        for e in raw.get("extra_days_off", [])
    ]
    days = [e.day for e in entries]
    if len(set(days)) != len(days):
        raise ValidationFailed.for_field("calendar", "a date is listed twice")
    return CitySettings(
        raw.get("timezone", "Asia/Ho_Chi_Minh"),
        time.fromisoformat(raw["afternoon_cutoff"]),
        tuple(sorted(entries, key=lambda e: e.day)),
    )
