"""House numbers and the address register: propose a number for a new house on a street, assign it
(the house-number-certificate procedure calls `assign_house_number`), keep the register current."""

from __future__ import annotations

from datetime import date

from shapely.geometry import LineString, Point
from sqlalchemy import select

from smartcity.core import clock
from smartcity.core.db import Database
from smartcity.core.errors import Conflict, NotFound, ValidationFailed
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.gis import cityref, feature_writes
from smartcity.gis import store as service
from smartcity.gis.config import get_gis_settings
from smartcity.gis.events import HouseNumberAssigned
from smartcity.gis.geo import parse_geojson, to_metric
from smartcity.gis.layers import ADDRESSES, PARCELS, STREETS
from smartcity.gis.models import Feature, Layer
from smartcity.gis.numbering import HouseNumber, NumberedHouse, NumberingProblem, frontage, propose_number
from smartcity.gis.planning import find_street
from smartcity.gis.providers import provider_for
from smartcity.gis.schemas import FeatureOut, HouseNumberProposal, WardInfo

SEARCH_RADIUS_DEG = 0.002  # about 220 m: where to look for the nearest street


def nearest_street(db: Database, *, lon: float, lat: float) -> FeatureOut:
    """The street nearest to a point within the configured distance (from the spatial index)."""
    limit = get_gis_settings().max_house_distance_m
    box = (lon - SEARCH_RADIUS_DEG, lat - SEARCH_RADIUS_DEG, lon + SEARCH_RADIUS_DEG, lat + SEARCH_RADIUS_DEG)
    house = to_metric(Point(lon, lat))
    best: tuple[float, FeatureOut] | None = None
    for street in service.features_in_bbox(db, slug=STREETS, box=box):
        distance = to_metric(parse_geojson(street.geometry or {})).distance(house)
        if best is None or distance < best[0]:
            best = (distance, street)
    if best is None or best[0] > limit:
        raise NotFound(f"No street within {limit:.0f} m of the house")
    return best[1]


def propose_house_number(
    db: Database,
    *,
    lon: float,
    lat: float,
    street: str | None = None,
    on: date | None = None,
) -> HouseNumberProposal:
    """The number a new house at (lon, lat) gets on `street` (code or name; default the nearest street)."""
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationFailed.for_field("lon", "the point is not a WGS 84 longitude/latitude")
    settings = get_gis_settings()
    feature = find_street(db, street) if street else nearest_street(db, lon=lon, lat=lat)
    code = str(feature.properties.get("code") or feature.key)
    line = to_metric(parse_geojson(feature.geometry or {}))
    if not isinstance(line, LineString):
        raise Conflict(f"Street {code} is not a single line; numbering needs its centre line from the start")
    where = frontage(line, to_metric(Point(lon, lat)))
    if where.offset_m > settings.max_house_distance_m:
        raise ValidationFailed.for_field(
            "street",
            f"the house is {where.offset_m:.0f} m from {code}: "
            f"more than {settings.max_house_distance_m:.0f} m",
        )
    houses = _houses_on(db, code, where.side)
    try:
        number = propose_number(
            houses, chainage_m=where.chainage_m, side=where.side, style=settings.sub_number_style
        )
    except NumberingProblem as exc:
        raise Conflict(str(exc)) from exc
    today = on or clock.today()
    ward = cityref.ward_at(db, lon=lon, lat=lat, on=today)
    return HouseNumberProposal(
        street_code=code,
        street_name=str(feature.properties.get("name") or code),
        house_number=str(number),
        side=where.side,
        chainage_m=round(where.chainage_m, 2),
        offset_m=round(where.offset_m, 2),
        lon=lon,
        lat=lat,
        address_key=f"{code}|{number}",
        ward=WardInfo(code=ward.code, name=ward.name, approximate=ward.approximate, on=today)
        if ward
        else None,
    )


def _houses_on(db: Database, street_code: str, side: str) -> list[NumberedHouse]:
    houses = []
    for address in service.features_with_key_prefix(db, slug=ADDRESSES, prefix=f"{street_code}|"):
        props = address.properties
        if props.get("side") != side or props.get("status", "current") != "current":
            continue
        try:
            number = HouseNumber.parse(str(props.get("house_number")))
        except ValueError:
            continue
        houses.append(NumberedHouse(number, float(props.get("chainage_m") or 0.0)))
    return houses


def assign_house_number(
    db: Database,
    *,
    actor: Actor,
    lon: float,
    lat: float,
    street: str | None = None,
    reference: str | None = None,
    parcel: str | None = None,
    number: str | None = None,
) -> HouseNumberProposal:
    """Assign the proposed number (or `number`, one already decided) and enter it in the address register
    (idempotent per `reference`, e.g. the dossier code of the house-number-certificate procedure);
    publishes gis.HouseNumberAssigned."""
    if reference:
        existing = _by_reference(db, reference)
        if existing is not None:
            return existing
    proposal = propose_house_number(db, lon=lon, lat=lat, street=street)
    if number is not None:
        proposal = _with_decided_number(proposal, number)
    service.ensure_builtin_layers(db, actor=actor)
    provider_for(db)  # prepare the index before the unit of work takes the write lock
    with UnitOfWork(db, actor) as uow:
        layer = uow.session.scalar(select(Layer).where(Layer.slug == ADDRESSES))
        assert layer is not None
        if (
            uow.session.scalar(
                select(Feature.id).where(Feature.layer_id == layer.id, Feature.key == proposal.address_key)
            )
            is not None
        ):
            raise Conflict(
                f"{proposal.house_number} {proposal.street_name} was assigned meanwhile; ask again"
            )
        properties = {
            "house_number": proposal.house_number,
            "street_code": proposal.street_code,
            "street_name": proposal.street_name,
            "side": proposal.side,
            "chainage_m": proposal.chainage_m,
            "ward_code": proposal.ward.code if proposal.ward else None,
            "ward_name": proposal.ward.name if proposal.ward else None,
            "parcel": parcel or _parcel_at(db, lon, lat),
            "status": "current",
        }
        item = feature_writes.NewFeature(
            proposal.address_key,
            properties,
            Point(lon, lat),
            private={"reference": reference} if reference else None,
            valid_from=clock.today(),
        )
        feature_writes.store_features(uow, slug=ADDRESSES, features=[item])
        uow.audit("gis.house_number.assign", "gis_address", proposal.address_key, after=properties)
        uow.publish(
            HouseNumberAssigned(
                address_key=proposal.address_key,
                street_code=proposal.street_code,
                house_number=proposal.house_number,
                lon=lon,
                lat=lat,
                ward_code=proposal.ward.code if proposal.ward else None,
                reference=reference,
            )
        )
    return proposal


def _with_decided_number(proposal: HouseNumberProposal, number: str) -> HouseNumberProposal:
    try:
        decided = HouseNumber.parse(number)
    except ValueError as exc:
        raise ValidationFailed.for_field("number", f"not a house number: {number!r}") from exc
    return proposal.model_copy(
        update={"house_number": str(decided), "address_key": f"{proposal.street_code}|{decided}"}
    )


def _parcel_at(db: Database, lon: float, lat: float) -> str | None:
    found = service.features_at(db, slug=PARCELS, lon=lon, lat=lat)
    return found[0].key if found else None


def _by_reference(db: Database, reference: str) -> HouseNumberProposal | None:
    with db.session() as s:
        layer_id = s.scalar(select(Layer.id).where(Layer.slug == ADDRESSES))
        if layer_id is None:
            return None
        rows = s.scalars(
            select(Feature).where(
                Feature.layer_id == layer_id, Feature.private["reference"].as_string() == reference
            )
        ).all()
        if not rows:
            return None
        feature = rows[0]
        props = feature.properties
        point = parse_geojson(feature.geometry)
        return HouseNumberProposal(
            street_code=props["street_code"],
            street_name=props["street_name"],
            house_number=props["house_number"],
            side=props["side"],
            chainage_m=props["chainage_m"],
            offset_m=0.0,
            lon=point.x,
            lat=point.y,
            address_key=feature.key,
            ward=None
            if not props.get("ward_code")
            else WardInfo(
                code=props["ward_code"],
                name=props.get("ward_name") or "",
                approximate=True,
                on=feature.valid_from or clock.today(),
            ),
        )
