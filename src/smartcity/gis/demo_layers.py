"""Synthetic demo layers inside the real city boundary: streets, planning zones, parcels, buildings,
offices and addresses. Every feature is flagged `synthetic` and says so in its properties.

The city is laid out on a grid turned 20° (like the new districts of Bình Dương with their D1/N1
streets): horizontal streets "N…" run from west to east, vertical streets "D…" from south to north.
Blocks between streets are cut into two rows of narrow parcels, each row fronting one street, filled
from the centre outwards until the requested number of parcels is reached. Planning zones are groups
of 3 × 2 blocks. House numbers follow the numbering rule (odd left, even right, from the start), and
some parcels are left vacant so that new houses get numbers between existing ones (12A...).
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString, Point, box
from shapely.geometry.base import BaseGeometry

from smartcity.gis.feature_writes import NewFeature
from smartcity.gis.geo import from_metric, to_metric
from smartcity.gis.layers import (
    ADDRESSES,
    BUILDINGS,
    LAND_USE_NAMES,
    OFFICES,
    PARCELS,
    PLANNING_ZONES,
    STREETS,
    SYNTHETIC_NOTE,
)
from smartcity.gis.numbering import LEFT, RIGHT, sequential_numbers

ROTATION_DEG = 20.0
BLOCK_U, BLOCK_V = 240.0, 160.0  # block pitch along / across the N streets, metres
ZONE_BLOCKS_U, ZONE_BLOCKS_V = 3, 2
VACANT_SHARE = 0.08
OVER_HEIGHT_SHARE = 0.03
STOREY_M = 3.6
RESERVED_FRONTAGE_M = 10.0
PLAN_APPROVED = date(2021, 6, 15)

# land use -> (max coverage %, max floors, max FAR, density persons/ha) in the centre; floors fall outwards
RULES = {
    "ODT": (80.0, 6, 4.0, 350),
    "TMD": (70.0, 15, 8.0, 0),
    "DGD": (40.0, 4, 1.6, 0),
    "DYT": (40.0, 7, 2.8, 0),
    "DKV": (5.0, 1, 0.05, 0),
    "TSC": (40.0, 9, 3.6, 0),
    "SKC": (60.0, 3, 1.8, 0),
    "CLN": (5.0, 2, 0.1, 0),
}
MIX = (  # (max distance from the centre in km, {land use: weight})
    (2.0, {"TMD": 30, "ODT": 48, "DKV": 8, "DGD": 6, "DYT": 3, "TSC": 5}),
    (5.0, {"ODT": 64, "TMD": 10, "DKV": 10, "DGD": 8, "DYT": 3, "SKC": 5}),
    (1e9, {"ODT": 42, "CLN": 28, "SKC": 20, "DKV": 10}),
)

Progress = Callable[[str, int, int], None]


@dataclass
class DemoLayers:
    """The generated features by layer slug."""

    features: dict[str, list[NewFeature]] = field(default_factory=lambda: defaultdict(list))

    def count(self, slug: str) -> int:
        """How many features a layer got."""
        return len(self.features.get(slug, []))


@dataclass(frozen=True)
class _Street:
    code: str
    name: str
    axis: str  # "u" for N streets (along u), "v" for D streets
    fixed: float  # the v (N streets) or u (D streets) of the line
    start: float
    end: float
    width: float


class _Frame:
    """Rotated local frame (u along N streets, v along D streets), metres, centred on the city."""

    def __init__(self, boundary_metric: BaseGeometry) -> None:
        self.centre = boundary_metric.centroid
        self.angle = math.radians(ROTATION_DEG)

    def to_uv(self, geometry: BaseGeometry) -> BaseGeometry:
        cos, sin, cx, cy = math.cos(self.angle), math.sin(self.angle), self.centre.x, self.centre.y

        def forward(c: np.ndarray) -> np.ndarray:
            x, y = c[:, 0] - cx, c[:, 1] - cy
            return np.column_stack([x * cos + y * sin, -x * sin + y * cos])

        return shapely.transform(geometry, forward)

    def to_wgs84(self, geometries: list[BaseGeometry]) -> list[BaseGeometry]:
        cos, sin, cx, cy = math.cos(self.angle), math.sin(self.angle), self.centre.x, self.centre.y

        def backward(c: np.ndarray) -> np.ndarray:
            u, v = c[:, 0], c[:, 1]
            return np.column_stack([u * cos - v * sin + cx, u * sin + v * cos + cy])

        metric = shapely.transform(np.array(geometries, dtype=object), backward)
        return list(from_metric(metric))


def generate(
    boundary: BaseGeometry,
    *,
    parcels: int,
    seed: int = 20250701,
    ward_of: Callable[[float, float], tuple[str, str] | None] | None = None,
    progress: Progress | None = None,
) -> DemoLayers:
    """Synthetic layers inside `boundary` (WGS 84) with about `parcels` parcels."""
    step = progress or (lambda _d, _i, _n: None)
    rng = random.Random(seed)
    frame = _Frame(to_metric(boundary))
    area = frame.to_uv(to_metric(boundary))
    shapely.prepare(area)
    umin, vmin, umax, vmax = area.bounds
    us = np.arange(umin - BLOCK_U / 2, umax + BLOCK_U, BLOCK_U)
    vs = np.arange(vmin - BLOCK_V / 2, vmax + BLOCK_V, BLOCK_V)
    step("Đường phố / streets", 0, 5)
    streets = _streets(area, us, vs)
    step("Phân khu quy hoạch / planning zones", 1, 5)
    zones = _zones(area, us, vs, rng)
    step("Thửa đất và công trình / parcels and buildings", 2, 5)
    result = DemoLayers()
    plots = _parcels(area, us, vs, streets, zones, rng, parcels)
    step("Số nhà / house numbers", 3, 5)
    _number_houses(plots, streets)
    step("Chuyển toạ độ / to WGS 84", 4, 5)
    _emit(result, frame, streets, zones, plots, rng, ward_of)
    return result


def _streets(area: BaseGeometry, us: np.ndarray, vs: np.ndarray) -> dict[str, _Street]:
    streets: dict[str, _Street] = {}
    for axis, positions, span in (("u", vs, (us[0], us[-1])), ("v", us, (vs[0], vs[-1]))):
        for index, fixed in enumerate(positions):
            line = LineString(
                [(span[0], fixed), (span[1], fixed)] if axis == "u" else [(fixed, span[0]), (fixed, span[1])]
            )
            pieces = [
                g
                for g in getattr(line.intersection(area), "geoms", [line.intersection(area)])
                if g.geom_type == "LineString" and g.length > 150
            ]
            for piece_no, piece in enumerate(sorted(pieces, key=lambda g: g.bounds[0] + g.bounds[1])):
                coords = np.asarray(piece.coords)
                along = coords[:, 0] if axis == "u" else coords[:, 1]
                letter = "N" if axis == "u" else "D"
                main = index % (4 if axis == "u" else 5) == 0
                code = f"{letter}{index + 1}" + (f"-{piece_no + 1}" if piece_no else "")
                streets[code] = _Street(
                    code=code,
                    name=f"Đường {letter}{index + 1}" + (f" (đoạn {piece_no + 1})" if piece_no else ""),
                    axis=axis,
                    fixed=float(fixed),
                    start=float(along.min()),
                    end=float(along.max()),
                    width=(30.0 if main else 16.0) if axis == "u" else (24.0 if main else 12.0),
                )
    return streets


@dataclass
class _Zone:
    code: str
    geometry: BaseGeometry
    land_use: str
    rules: dict[str, Any]


def _zones(
    area: BaseGeometry, us: np.ndarray, vs: np.ndarray, rng: random.Random
) -> dict[tuple[int, int], _Zone]:
    zones: dict[tuple[int, int], _Zone] = {}
    for zi, u0 in enumerate(us[::ZONE_BLOCKS_U]):
        for zj, v0 in enumerate(vs[::ZONE_BLOCKS_V]):
            cell = box(u0, v0, u0 + BLOCK_U * ZONE_BLOCKS_U, v0 + BLOCK_V * ZONE_BLOCKS_V)
            if not area.intersects(cell):
                continue
            piece = cell.intersection(area)
            if piece.area < 2000 or piece.geom_type not in ("Polygon", "MultiPolygon"):
                continue
            distance_km = math.hypot(*cell.centroid.coords[0]) / 1000
            land_use = _pick_land_use(distance_km, rng)
            zones[(zi, zj)] = _Zone(
                f"Z{zi:02d}-{zj:02d}", piece, land_use, _zone_rules(land_use, distance_km, rng)
            )
    return zones


def _pick_land_use(distance_km: float, rng: random.Random) -> str:
    weights = next(mix for limit, mix in MIX if distance_km <= limit)
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _zone_rules(land_use: str, distance_km: float, rng: random.Random) -> dict[str, Any]:
    coverage, floors, far, density = RULES[land_use]
    if land_use in ("ODT", "TMD") and distance_km > 2:
        floors = max(3, floors - int(distance_km // 2))
    area_no = rng.randint(1, 9)
    return {
        "land_use_code": land_use,
        "land_use_name": LAND_USE_NAMES[land_use],
        "max_coverage_pct": coverage,
        "max_floors": floors,
        "max_height_m": round(floors * STOREY_M + 3, 1),
        "max_far": far,
        "density_persons_ha": density,
        "plan_name": f"Quy hoạch phân khu tỷ lệ 1/2000 khu {area_no} (mô phỏng)",
        "approval": f"Quyết định số {1000 + area_no}/QĐ-UBND (mô phỏng)",
        "approved_on": PLAN_APPROVED.isoformat(),
    }


@dataclass
class _Plot:
    geometry: BaseGeometry  # uv frame
    street: str
    side: str
    chainage: float
    front: Point  # address point, uv
    zone: _Zone
    sheet: int
    number: int = 0
    vacant: bool = False
    house_number: str = ""
    recorded_on: date = PLAN_APPROVED


def _parcels(
    area: BaseGeometry,
    us: np.ndarray,
    vs: np.ndarray,
    streets: dict[str, _Street],
    zones: dict[tuple[int, int], _Zone],
    rng: random.Random,
    wanted: int,
) -> list[_Plot]:
    blocks = [(i, j) for i in range(len(us) - 1) for j in range(len(vs) - 1)]
    blocks.sort(key=lambda ij: math.hypot(us[ij[0]] + BLOCK_U / 2, vs[ij[1]] + BLOCK_V / 2))
    by_line: dict[tuple[str, int], list[_Street]] = defaultdict(list)
    for street in streets.values():
        key = (
            ("u", round((street.fixed - vs[0]) / BLOCK_V))
            if street.axis == "u"
            else ("v", round((street.fixed - us[0]) / BLOCK_U))
        )
        by_line[key].append(street)
    plots: list[_Plot] = []
    sheet_numbers: dict[int, int] = defaultdict(int)
    for i, j in blocks:
        if len(plots) >= wanted:
            break
        zone = zones.get((i // ZONE_BLOCKS_U, j // ZONE_BLOCKS_V))
        if zone is None:
            continue
        block = _block_box(us, vs, i, j, by_line)
        if block is None or not area.contains(block):
            continue
        sheet = (i // ZONE_BLOCKS_U) * 100 + (j // ZONE_BLOCKS_V) + 1
        for row in (0, 1):
            front_street = _street_at(by_line[("u", j + row)], (block.bounds[0] + block.bounds[2]) / 2)
            if front_street is None:
                continue
            for plot in _row_plots(block, row, front_street, zone, sheet, rng):
                sheet_numbers[sheet] += 1
                plot.number = sheet_numbers[sheet]
                plots.append(plot)
    return plots[:wanted]


def _block_box(
    us: np.ndarray, vs: np.ndarray, i: int, j: int, by_line: dict[tuple[str, int], list[_Street]]
) -> BaseGeometry | None:
    def half(key: tuple[str, int], default: float) -> float:
        found = by_line.get(key)
        return found[0].width / 2 if found else default

    u0 = us[i] + half(("v", i), 6.0)
    u1 = us[i + 1] - half(("v", i + 1), 6.0)
    v0 = vs[j] + half(("u", j), 8.0)
    v1 = vs[j + 1] - half(("u", j + 1), 8.0)
    return box(u0, v0, u1, v1) if u1 - u0 > 40 and v1 - v0 > 30 else None


def _street_at(candidates: list[_Street], u: float) -> _Street | None:
    return next((s for s in candidates if s.start <= u <= s.end), None)


def _row_plots(
    block: BaseGeometry, row: int, street: _Street, zone: _Zone, sheet: int, rng: random.Random
) -> list[_Plot]:
    u0, v0, u1, v1 = block.bounds
    mid = (v0 + v1) / 2
    lo, hi = (v0, mid) if row == 0 else (mid, v1)
    front_v = v0 if row == 0 else v1
    inward = 1.0 if row == 0 else -1.0
    side = LEFT if row == 0 else RIGHT  # N streets run towards +u: +v is on the left
    wide = zone.land_use not in ("ODT",)
    widths: list[float] = []
    remaining = u1 - u0
    while remaining > 0:
        width = rng.uniform(18, 40) if wide else rng.uniform(5, 12)
        if remaining - width < (10 if wide else 4):
            width = remaining
        widths.append(width)
        remaining -= width
    plots, position = [], u0
    start_day = date(2015, 1, 1)
    for width in widths:
        geometry = box(position, lo, position + width, hi)
        centre_u = position + width / 2
        plots.append(
            _Plot(
                geometry=geometry,
                street=street.code,
                side=side,
                chainage=centre_u - street.start,
                front=Point(centre_u, front_v + inward * 2.0),
                zone=zone,
                sheet=sheet,
                vacant=rng.random() < VACANT_SHARE,
                recorded_on=start_day + timedelta(days=rng.randint(0, 3650)),
            )
        )
        position += width
    return plots


def _number_houses(plots: list[_Plot], streets: dict[str, _Street]) -> None:
    sides: dict[tuple[str, str], list[_Plot]] = defaultdict(list)
    for plot in plots:
        if not plot.vacant:
            sides[(plot.street, plot.side)].append(plot)
    for (_street, side), houses in sides.items():
        houses.sort(key=lambda p: p.chainage)
        # Numbers for the stretch before the first house stay free (one per 10 m) for later houses.
        reserved = max(0, int(houses[0].chainage // RESERVED_FRONTAGE_M))
        numbers = sequential_numbers(reserved + len(houses), side)[reserved:]
        for plot, number in zip(houses, numbers, strict=True):
            plot.house_number = str(number)


def _emit(
    result: DemoLayers,
    frame: _Frame,
    streets: dict[str, _Street],
    zones: dict[tuple[int, int], _Zone],
    plots: list[_Plot],
    rng: random.Random,
    ward_of: Callable[[float, float], tuple[str, str] | None] | None,
) -> None:
    synthetic = {"synthetic": True, "note": SYNTHETIC_NOTE}
    street_list = list(streets.values())
    lines = [
        LineString([(s.start, s.fixed), (s.end, s.fixed)])
        if s.axis == "u"
        else LineString([(s.fixed, s.start), (s.fixed, s.end)])
        for s in street_list
    ]
    for street, line in zip(street_list, frame.to_wgs84(lines), strict=True):
        ends = ("Tây", "Đông") if street.axis == "u" else ("Nam", "Bắc")
        result.features[STREETS].append(
            NewFeature(
                street.code,
                {
                    "code": street.code,
                    "name": street.name,
                    "start": f"Đầu phía {ends[0]}",
                    "end": f"Cuối phía {ends[1]}",
                    "cross_section_m": street.width,
                    "length_m": round(street.end - street.start, 1),
                    **synthetic,
                },
                line,
            )
        )
    zone_list = list(zones.values())
    for zone, geometry in zip(zone_list, frame.to_wgs84([z.geometry for z in zone_list]), strict=True):
        result.features[PLANNING_ZONES].append(
            NewFeature(
                zone.code,
                {"zone_code": zone.code, **zone.rules, **synthetic},
                geometry,
                valid_from=PLAN_APPROVED,
            )
        )
    _emit_plots(result, frame, streets, plots, rng, ward_of, synthetic)
    _emit_offices(result, frame, zone_list, synthetic)


def _emit_plots(
    result: DemoLayers,
    frame: _Frame,
    streets: dict[str, _Street],
    plots: list[_Plot],
    rng: random.Random,
    ward_of: Callable[[float, float], tuple[str, str] | None] | None,
    synthetic: dict[str, Any],
) -> None:
    buildings_uv, building_plots = [], []
    for plot in plots:
        if plot.vacant:
            continue
        u0, v0, u1, v1 = plot.geometry.bounds
        coverage = min(0.95, plot.zone.rules["max_coverage_pct"] / 100 * rng.uniform(0.7, 1.0))
        depth = (v1 - v0) * coverage
        front_is_low = plot.front.y < (v0 + v1) / 2
        lo, hi = (v0, v0 + depth) if front_is_low else (v1 - depth, v1)
        buildings_uv.append(box(u0 + 0.3, lo, u1 - 0.3, hi))
        building_plots.append(plot)
    parcels_wgs = frame.to_wgs84([p.geometry for p in plots])
    fronts_wgs = frame.to_wgs84([p.front for p in plots])
    buildings_wgs = frame.to_wgs84(buildings_uv)
    for plot, geometry in zip(plots, parcels_wgs, strict=True):
        result.features[PARCELS].append(
            NewFeature(
                f"{plot.sheet}/{plot.number}",
                {
                    "map_sheet": plot.sheet,
                    "parcel_number": plot.number,
                    "area_m2": round(plot.geometry.area, 1),
                    "land_use_code": plot.zone.land_use,
                    "recorded_on": plot.recorded_on.isoformat(),
                    **synthetic,
                },
                geometry,
                private={"owner_ref": f"SYN-{plot.sheet:05d}-{plot.number:05d}"},
                valid_from=plot.recorded_on,
            )
        )
    for plot, point in zip(plots, fronts_wgs, strict=True):
        if plot.vacant or not plot.house_number:
            continue
        street = streets[plot.street]
        ward = ward_of(point.x, point.y) if ward_of else None
        result.features[ADDRESSES].append(
            NewFeature(
                f"{street.code}|{plot.house_number}",
                {
                    "house_number": plot.house_number,
                    "street_code": street.code,
                    "street_name": street.name,
                    "side": plot.side,
                    "chainage_m": round(plot.chainage, 2),
                    "ward_code": ward[0] if ward else None,
                    "ward_name": ward[1] if ward else None,
                    "parcel": f"{plot.sheet}/{plot.number}",
                    "status": "current",
                    **synthetic,
                },
                point,
                valid_from=plot.recorded_on,
            )
        )
    for plot, geometry in zip(building_plots, buildings_wgs, strict=True):
        max_floors = int(plot.zone.rules["max_floors"])
        floors = (
            max_floors + rng.randint(1, 2) if rng.random() < OVER_HEIGHT_SHARE else rng.randint(1, max_floors)
        )
        street = streets[plot.street]
        result.features[BUILDINGS].append(
            NewFeature(
                f"B{plot.sheet}/{plot.number}",
                {
                    "kind": "Nhà ở riêng lẻ"
                    if plot.zone.land_use == "ODT"
                    else LAND_USE_NAMES[plot.zone.land_use],
                    "floors": floors,
                    "height_m": round(floors * STOREY_M, 1),
                    "parcel": f"{plot.sheet}/{plot.number}",
                    "address": f"{plot.house_number} {street.name}" if plot.house_number else None,
                    **synthetic,
                },
                geometry,
            )
        )


def _emit_offices(result: DemoLayers, frame: _Frame, zones: list[_Zone], synthetic: dict[str, Any]) -> None:
    kinds = {"TSC": "Trụ sở cơ quan", "DGD": "Trường học", "DYT": "Cơ sở y tế"}
    chosen = [z for z in zones if z.land_use in kinds]
    points = frame.to_wgs84([z.geometry.representative_point() for z in chosen])
    for number, (zone, point) in enumerate(zip(chosen, points, strict=True), start=1):
        kind = kinds[zone.land_use]
        result.features[OFFICES].append(
            NewFeature(
                f"O{number}",
                {
                    "name": f"{kind} số {number} (mô phỏng)",
                    "kind": kind,
                    "address": None,
                    **synthetic,
                },
                point,
            )
        )
