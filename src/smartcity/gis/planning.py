"""Planning lookup: for a point, a parcel (sheet/number) or an address, the zones and their rules, the
parcel, and the ward of record and of today; and the check of a proposed construction against them.
Every spatial step is answered from the provider's index (R*Tree or GiST), never a scan."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from smartcity.core import clock
from smartcity.core.db import Database
from smartcity.core.errors import NotFound, ValidationFailed
from smartcity.core.i18n import Phrase
from smartcity.gis import cityref
from smartcity.gis import store as service
from smartcity.gis.geo import parse_geojson
from smartcity.gis.layers import ADDRESSES, CONSTRUCTION_PERMITS, PARCELS, PLANNING_ZONES, STREETS
from smartcity.gis.numbering import HouseNumber
from smartcity.gis.schemas import (
    AddressInfo,
    FeatureOut,
    ParcelInfo,
    PermitInfo,
    PlanCheck,
    PlanFinding,
    PlanningInfo,
    WardInfo,
    ZoneInfo,
)

MIN_ZONE_SHARE = 0.01  # a zone touching less than 1% of a parcel is a drawing artefact
_ADDRESS = re.compile(r"^\s*(?:số\s+)?(\d+\s*(?:[A-Za-z]|/\s*\d+)?)\s*,?\s+(.+?)\s*$", re.IGNORECASE)


def planning_lookup(
    db: Database,
    *,
    lon: float | None = None,
    lat: float | None = None,
    parcel: str | None = None,
    address: str | None = None,
    on: date | None = None,
) -> PlanningInfo:
    """What the plan says at a point, for a parcel ("sheet/number") or for an address ("12A Đường N5")."""
    today = on or clock.today()
    query: dict[str, Any] = {}
    address_info = None
    parcel_feature: FeatureOut | None = None
    if parcel:
        query["parcel"] = parcel
        parcel_feature = find_parcel(db, parcel)
        point = parse_geojson(parcel_feature.geometry or {}).representative_point()
    elif address:
        query["address"] = address
        address_info = find_address(db, address)
        point = Point(address_info.lon, address_info.lat)
    elif lon is not None and lat is not None:
        _check_point(lon, lat)
        query.update(lon=lon, lat=lat)
        point = Point(lon, lat)
    else:
        raise ValidationFailed("Hãy chọn một điểm trên bản đồ, nhập tờ bản đồ/số thửa hoặc địa chỉ.")
    if parcel_feature is None:
        found = service.features_at(db, slug=PARCELS, lon=point.x, lat=point.y)
        parcel_feature = found[0] if found else None
    parcel_info = _parcel_info(parcel_feature) if parcel_feature else None
    zones = _zones_for(db, point, parcel_feature, today)
    record_day = parcel_info.recorded_on if parcel_info and parcel_info.recorded_on else None
    notes = []
    if any(z.synthetic for z in zones) or (parcel_info and parcel_info.synthetic):
        notes.append("Dữ liệu mô phỏng: không dùng cho quyết định thật (synthetic demo data).")
    return PlanningInfo(
        query=query,
        lon=point.x,
        lat=point.y,
        parcel=parcel_info,
        address=address_info,
        zones=zones,
        ward_of_record=_ward(db, point, record_day) if record_day else None,
        ward_today=_ward(db, point, today),
        synthetic=bool(notes),
        notes=notes,
        permits=permits_on(db, parcel_info.key) if parcel_info else [],
    )


def permits_on(db: Database, parcel: str) -> list[PermitInfo]:
    """The construction permits granted on a parcel ("sheet/number"), newest first."""
    try:
        found = service.query_features(db, slug=CONSTRUCTION_PERMITS, filters={"parcel": parcel}, limit=50)
    except NotFound:  # the register layer is created with the first permit
        return []
    permits = [PermitInfo.model_validate(f.properties) for f in found.features]
    return sorted(permits, key=lambda p: p.granted_on, reverse=True)


def _check_point(lon: float, lat: float) -> None:
    if not -180 <= lon <= 180:
        raise ValidationFailed.for_field("lon", "must be between -180 and 180")
    if not -90 <= lat <= 90:
        raise ValidationFailed.for_field("lat", "must be between -90 and 90")


def parcel_key(text: str) -> str:
    """The canonical key of a parcel written as 'sheet/number' (also 'tờ 12 thửa 34' or '12-34')."""
    numbers = re.findall(r"\d+", text)
    if len(numbers) != 2:
        raise ValidationFailed.for_field("parcel", "Hãy ghi tờ bản đồ/số thửa, ví dụ 12/34.")
    return f"{int(numbers[0])}/{int(numbers[1])}"


def find_parcel(db: Database, text: str) -> FeatureOut:
    """A parcel by 'sheet/number' (unique index lookup); NotFound otherwise."""
    key = parcel_key(text)
    feature = service.feature_by_key(db, slug=PARCELS, key=key)
    if feature is None:
        sheet, number = key.split("/")[:2]
        raise NotFound(
            Phrase("Không tìm thấy thửa đất số {number}, tờ bản đồ số {sheet}.", number=number, sheet=sheet)
        )
    return feature


def find_street(db: Database, name_or_code: str) -> FeatureOut:
    """A street by code ('N5') or name ('Đường N5'), case-insensitively; NotFound otherwise."""
    wanted = name_or_code.strip()
    by_code = service.feature_by_key(db, slug=STREETS, key=wanted.upper())
    if by_code is not None:
        return by_code
    page = service.query_features(db, slug=STREETS, filters={"name": wanted}, limit=1, published_only=False)
    if page.features:
        return page.features[0]
    for candidate in (f"Đường {wanted}", wanted.title()):
        page = service.query_features(
            db, slug=STREETS, filters={"name": candidate}, limit=1, published_only=False
        )
        if page.features:
            return page.features[0]
    raise NotFound(Phrase("Không tìm thấy đường “{street}”.", street=name_or_code.strip()))


def find_address(db: Database, text: str) -> AddressInfo:
    """An address of the register from 'house number street' text, e.g. '12A Đường N5'."""
    match = _ADDRESS.match(text)
    if not match:
        raise ValidationFailed.for_field("address", "Hãy ghi số nhà rồi tên đường, ví dụ 12A Đường N5.")
    try:
        number = HouseNumber.parse(match.group(1).replace(" ", ""))
    except ValueError as exc:
        raise ValidationFailed.for_field("address", "Số nhà chưa đúng (ví dụ 12, 12A hoặc 12/3).") from exc
    street = find_street(db, match.group(2))
    code = street.properties.get("code", street.key)
    feature = service.feature_by_key(db, slug=ADDRESSES, key=f"{code}|{number}")
    if feature is None:
        raise NotFound(
            Phrase(
                "Số nhà {number} {street} chưa có trong sổ địa chỉ.",
                number=number,
                street=street.properties.get("name", code),
            )
        )
    point = parse_geojson(feature.geometry or {})
    return AddressInfo(
        key=feature.key,
        house_number=str(number),
        street_code=code,
        street_name=street.properties.get("name", code),
        lon=point.x,
        lat=point.y,
    )


def _parcel_info(feature: FeatureOut) -> ParcelInfo:
    props = feature.properties
    recorded = props.get("recorded_on")
    return ParcelInfo(
        key=feature.key,
        map_sheet=int(props.get("map_sheet", 0)),
        parcel_number=int(props.get("parcel_number", 0)),
        area_m2=float(props.get("area_m2") or 0),
        land_use_code=str(props.get("land_use_code") or ""),
        recorded_on=date.fromisoformat(recorded) if recorded else None,
        geometry=feature.geometry or {},
        synthetic=bool(props.get("synthetic")),
    )


def _zones_for(db: Database, point: Point, parcel: FeatureOut | None, on: date) -> list[ZoneInfo]:
    if parcel is None or not parcel.bbox:
        return [
            _zone_info(z, None)
            for z in service.features_at(db, slug=PLANNING_ZONES, lon=point.x, lat=point.y, on=on)
        ]
    shape = parse_geojson(parcel.geometry or {})
    candidates = service.features_in_bbox(db, slug=PLANNING_ZONES, box=parcel.bbox)
    zones = []
    for zone in candidates:
        if not _valid(zone, on):
            continue
        share = _share(shape, parse_geojson(zone.geometry or {}))
        if share >= MIN_ZONE_SHARE:
            zones.append(_zone_info(zone, round(share * 100, 1)))
    return sorted(zones, key=lambda z: -(z.share_pct or 0))


def _valid(feature: FeatureOut, on: date) -> bool:
    return (feature.valid_from is None or feature.valid_from <= on) and (
        feature.valid_to is None or feature.valid_to >= on
    )


def _share(parcel: BaseGeometry, zone: BaseGeometry) -> float:
    return float(parcel.intersection(zone).area / parcel.area) if parcel.area else 0.0


def _zone_info(feature: FeatureOut, share: float | None) -> ZoneInfo:
    props = feature.properties
    approved = props.get("approved_on")
    known = set(ZoneInfo.model_fields) - {"share_pct", "approved_on", "synthetic"}
    values = {k: props[k] for k in known if props.get(k) is not None}
    values.setdefault("zone_code", feature.key)
    values.setdefault("land_use_code", "")
    values.setdefault("land_use_name", "")
    return ZoneInfo(
        **values,
        approved_on=date.fromisoformat(approved) if approved else None,
        share_pct=share,
        synthetic=bool(props.get("synthetic")),
    )


def _ward(db: Database, point: Point, on: date) -> WardInfo | None:
    ward = cityref.ward_at(db, lon=point.x, lat=point.y, on=on)
    return WardInfo(code=ward.code, name=ward.name, approximate=ward.approximate, on=on) if ward else None


def check_against_plan(
    db: Database,
    *,
    parcel: str,
    floors: int,
    height_m: float | None = None,
    footprint_m2: float | None = None,
    land_use_code: str | None = None,
    on: date | None = None,
) -> PlanCheck:
    """Check a proposed construction on a parcel against every zone covering it (construction permits)."""
    if floors < 1:
        raise ValidationFailed.for_field("floors", "Số tầng phải từ 1 trở lên.")
    info = planning_lookup(db, parcel=parcel, on=on)
    if not info.zones:
        raise NotFound(Phrase("Thửa đất {parcel} chưa thuộc khu quy hoạch nào.", parcel=parcel))
    area = info.parcel.area_m2 if info.parcel else 0.0
    findings: list[PlanFinding] = []
    for zone in info.zones:
        findings.extend(_findings(zone, floors, height_m, footprint_m2, area, land_use_code))
    return PlanCheck(
        parcel=info.parcel.key if info.parcel else parcel, ok=all(f.ok for f in findings), findings=findings
    )


def _findings(
    zone: ZoneInfo,
    floors: int,
    height_m: float | None,
    footprint_m2: float | None,
    parcel_area: float,
    land_use_code: str | None,
) -> list[PlanFinding]:
    findings = []
    if zone.max_floors is not None:
        findings.append(
            PlanFinding(
                rule="max_floors",
                limit=zone.max_floors,
                proposed=floors,
                ok=floors <= zone.max_floors,
                zone_code=zone.zone_code,
            )
        )
    if zone.max_height_m is not None and height_m is not None:
        findings.append(
            PlanFinding(
                rule="max_height_m",
                limit=zone.max_height_m,
                proposed=height_m,
                ok=height_m <= zone.max_height_m,
                zone_code=zone.zone_code,
            )
        )
    if zone.max_coverage_pct is not None and footprint_m2 is not None and parcel_area > 0:
        coverage = round(footprint_m2 / parcel_area * 100, 1)
        findings.append(
            PlanFinding(
                rule="max_coverage_pct",
                limit=zone.max_coverage_pct,
                proposed=coverage,
                ok=coverage <= zone.max_coverage_pct,
                zone_code=zone.zone_code,
            )
        )
        if zone.max_far is not None:
            far = round(footprint_m2 * floors / parcel_area, 2)
            findings.append(
                PlanFinding(
                    rule="max_far",
                    limit=zone.max_far,
                    proposed=far,
                    ok=far <= zone.max_far,
                    zone_code=zone.zone_code,
                )
            )
    if land_use_code:
        findings.append(
            PlanFinding(
                rule="land_use",
                limit=zone.land_use_code,
                proposed=land_use_code,
                ok=land_use_code == zone.land_use_code,
                zone_code=zone.zone_code,
            )
        )
    return findings


SHEET_MARGIN_DEG = 0.0012  # about 130 m around the parcel or point


def planning_sheet_pdf(
    db: Database,
    *,
    lon: float | None = None,
    lat: float | None = None,
    parcel: str | None = None,
    address: str | None = None,
    url: str = "",
) -> tuple[PlanningInfo, bytes]:
    """The planning lookup and its printable sheet (PDF with a map extract of zones, parcels, streets)."""
    from shapely.geometry import box

    from smartcity.gis.sheet import MapLayer, render_sheet, zone_colour

    info = planning_lookup(db, lon=lon, lat=lat, parcel=parcel, address=address)
    centre = parse_geojson(info.parcel.geometry) if info.parcel else Point(info.lon, info.lat)
    a, b, c, d = centre.bounds
    m = SHEET_MARGIN_DEG
    extent = box(a - m, b - m * 0.7, c + m, d + m * 0.7)
    window = extent.bounds
    zones = service.features_in_bbox(db, slug=PLANNING_ZONES, box=window)
    parcels = service.features_in_bbox(db, slug=PARCELS, box=window, limit=3000)
    streets = service.features_in_bbox(db, slug=STREETS, box=window)
    layers = [
        MapLayer(
            [
                (parse_geojson(z.geometry or {}), zone_colour(str(z.properties.get("land_use_code"))))
                for z in zones
            ],
            "#666666",
            0.6,
        ),
        MapLayer([(parse_geojson(p.geometry or {}), "") for p in parcels], "#444444", 0.25),
        MapLayer([(parse_geojson(s.geometry or {}), "") for s in streets], "#3a3a3a", 1.5),
    ]
    if info.parcel:
        layers.append(MapLayer([(parse_geojson(info.parcel.geometry), "")], "#d00000", 2.0))
    else:
        layers.append(MapLayer([(Point(info.lon, info.lat).buffer(0.00006), "#d00000")], "#d00000", 1.0))
    return info, render_sheet(info, layers=layers, extent=extent, issued=clock.today(), url=url)
