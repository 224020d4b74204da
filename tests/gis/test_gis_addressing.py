"""House numbers on the demo streets: the rule, the register and the event for the certificate procedure."""

from __future__ import annotations

import pytest
from shapely.geometry import Point
from sqlalchemy import select

from smartcity.core.errors import Conflict, NotFound
from smartcity.core.outbox import OutboxMessage
from smartcity.gis import addressing, service
from smartcity.gis.geo import from_metric, parse_geojson, to_metric
from smartcity.gis.numbering import HouseNumber
from tests.gis.conftest import SPECIALIST


def _vacant_spot(db):  # type: ignore[no-untyped-def]
    """A point in front of a parcel that has no address yet, 2 m inside it, and its street."""
    addressed = {
        f.properties["parcel"] for f in service.query_features(db, slug="addresses", limit=5000).features
    }
    for parcel in service.query_features(db, slug="land-parcels", limit=5000).features:
        if parcel.key not in addressed:
            shape = to_metric(parse_geojson(parcel.geometry))
            for street in service.features_in_bbox(db, slug="streets", box=parcel.bbox):
                line = to_metric(parse_geojson(street.geometry))
                if line.distance(shape) < 10:
                    front = line.interpolate(line.project(shape.centroid))
                    inside = Point(
                        front.x + (shape.centroid.x - front.x) * 0.4,
                        front.y + (shape.centroid.y - front.y) * 0.4,
                    )
                    point = from_metric(inside)
                    return point.x, point.y, street.key
    raise AssertionError("no vacant parcel in the demo")


def test_a_house_on_a_vacant_parcel_gets_a_number_keeping_the_order(demo):
    lon, lat, street = _vacant_spot(demo)
    proposal = addressing.propose_house_number(demo, lon=lon, lat=lat, street=street)
    assert proposal.street_code == street
    number = HouseNumber.parse(proposal.house_number)
    assert number.base % 2 == (1 if proposal.side == "left" else 0)
    assert proposal.ward is not None
    # The nearest street is the one in front of the parcel.
    assert addressing.propose_house_number(demo, lon=lon, lat=lat).street_code == street


def test_assigning_enters_the_register_publishes_an_event_and_is_idempotent(demo):
    lon, lat, street = _vacant_spot(demo)
    first = addressing.assign_house_number(demo, actor=SPECIALIST, lon=lon, lat=lat, reference="HS-001")
    again = addressing.assign_house_number(demo, actor=SPECIALIST, lon=lon, lat=lat, reference="HS-001")
    assert again.address_key == first.address_key
    stored = service.feature_by_key(demo, slug="addresses", key=first.address_key)
    assert stored is not None and stored.properties["status"] == "current"
    assert "reference" not in stored.properties
    with demo.session() as s:
        events = s.scalars(
            select(OutboxMessage).where(OutboxMessage.event_type == "gis.HouseNumberAssigned")
        ).all()
        assert len(events) == 1 and events[0].payload["reference"] == "HS-001"
    # A second house at the same spot cannot take the same number: it gets the next one or a sub-number.
    second = addressing.propose_house_number(demo, lon=lon, lat=lat, street=street)
    assert second.house_number != first.house_number


def test_a_house_far_from_any_street_is_refused(demo):
    with pytest.raises((NotFound, Conflict)):
        addressing.propose_house_number(demo, lon=106.0, lat=10.0)


def test_a_certified_house_number_enters_the_register_once(demo):
    from smartcity.core.security import Actor
    from smartcity.core.uow import UnitOfWork
    from smartcity.dossiers.events import HouseNumberCertified

    lon, lat, street = _vacant_spot(demo)
    proposal = addressing.propose_house_number(demo, lon=lon, lat=lat, street=street)
    decided = f"{HouseNumber.parse(proposal.house_number).base}B"
    event = HouseNumberCertified(
        code="UBND-25747-HCM-261128-0001",
        house_number=decided,
        street=proposal.street_name,
        longitude=lon,
        latitude=lat,
        street_code=street,
    )
    for _ in range(2):  # the outbox delivers at least once: the second delivery changes nothing
        with UnitOfWork(demo, Actor.system("dossiers-test")) as uow:
            uow.publish(event)
    stored = service.feature_by_key(demo, slug="addresses", key=f"{street}|{decided}")
    assert stored is not None and stored.properties["house_number"] == decided
    assert len(service.features_with_key_prefix(demo, slug="addresses", prefix=f"{street}|{decided}")) == 1
