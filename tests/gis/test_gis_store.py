"""The layer registry and the feature store: built-in layers, demo data, index-backed exact queries."""

from __future__ import annotations

import random

import pytest
import shapely
from sqlalchemy import select, text

from smartcity.core.audit import AuditEntry
from smartcity.core.errors import Forbidden, NotFound
from smartcity.core.outbox import OutboxMessage
from smartcity.gis import cityref, service
from smartcity.gis.geo import parse_geojson
from smartcity.gis.layers import BUILTIN_LAYERS
from smartcity.gis.models import Feature, Layer
from smartcity.gis.providers import provider_for
from tests.gis.conftest import CITIZEN, DEMO_PARCELS, SPECIALIST, SYSTEM


def test_builtin_layers_are_registered_once(city):
    assert service.ensure_builtin_layers(city, actor=SYSTEM) == 0
    slugs = [layer.slug for layer in service.list_layers(city, published_only=True)]
    assert slugs == [layer.slug for layer in BUILTIN_LAYERS]


def test_demo_data_is_synthetic_inside_the_city_and_loading_again_changes_nothing(demo):
    counts = service.load_demo_layers(demo, actor=SYSTEM, parcels=DEMO_PARCELS)
    assert counts["land-parcels"] == DEMO_PARCELS
    assert (
        counts["streets"] > 50 and counts["planning-zones"] > 100 and counts["addresses"] > 0.8 * DEMO_PARCELS
    )
    assert service.count_features(demo, slug="land-parcels", synthetic=True) == DEMO_PARCELS
    page = service.query_features(demo, slug="land-parcels", limit=5)
    assert all(
        f.properties["synthetic"] is True and "mô phỏng" in f.properties["note"] for f in page.features
    )
    boundary = cityref.city_boundary(demo)
    assert boundary is not None
    for feature in page.features:
        assert boundary.buffer(1e-6).contains(parse_geojson(feature.geometry))


def test_point_lookups_are_exact_and_agree_with_a_brute_force_check(demo):
    with demo.session() as s:
        parcels = [
            (f.key, parse_geojson(f.geometry))
            for f in s.scalars(select(Feature).join(Layer).where(Layer.slug == "land-parcels"))
        ]
    rng = random.Random(7)
    xs = [p.bounds for _, p in parcels]
    lo_x, lo_y = min(b[0] for b in xs), min(b[1] for b in xs)
    hi_x, hi_y = max(b[2] for b in xs), max(b[3] for b in xs)
    hits = 0
    for _ in range(60):
        lon, lat = rng.uniform(lo_x, hi_x), rng.uniform(lo_y, hi_y)
        expected = sorted(k for k, shape in parcels if shape.intersects(shapely.Point(lon, lat)))
        found = sorted(f.key for f in service.features_at(demo, slug="land-parcels", lon=lon, lat=lat))
        assert found == expected
        hits += bool(found)
    assert hits > 10


def test_bbox_query_counts_only_features_that_really_intersect(demo):
    zones = service.query_features(demo, slug="planning-zones", limit=1000)
    box = (106.655, 11.0, 106.67, 11.02)
    expected = {f.id for f in zones.features if parse_geojson(f.geometry).intersects(shapely.box(*box))}
    page = service.query_features(demo, slug="planning-zones", bbox_filter=box, limit=1000)
    assert {f.id for f in page.features} == expected
    assert page.number_matched == len(expected) > 0


def test_paging_and_property_filters(demo):
    first = service.query_features(demo, slug="land-parcels", limit=10, offset=0)
    second = service.query_features(demo, slug="land-parcels", limit=10, offset=10)
    assert not {f.id for f in first.features} & {f.id for f in second.features}
    sheet = first.features[0].properties["map_sheet"]
    same_sheet = service.query_features(
        demo, slug="land-parcels", filters={"map_sheet": str(sheet)}, limit=1000
    )
    assert same_sheet.number_matched == len(same_sheet.features) > 0
    assert {f.properties["map_sheet"] for f in same_sheet.features} == {sheet}


def test_the_spatial_index_drives_the_query(demo):
    provider = provider_for(demo)
    with demo.session() as s:
        query = provider.at_point(
            s, select(Feature.id).where(provider.in_layer(3, spatial=True)), 106.66, 11.02
        )
        sql = str(query.compile(demo.engine, compile_kwargs={"literal_binds": True}))
        if demo.dialect == "sqlite":
            plan = " ".join(str(r) for r in s.execute(text("EXPLAIN QUERY PLAN " + sql)))
            assert "gis_feature_rtree VIRTUAL TABLE INDEX 2" in plan
        else:
            s.execute(text("SET LOCAL enable_seqscan = off"))
            plan = " ".join(r[0] for r in s.execute(text("EXPLAIN " + sql)))
            assert "feature_geometry_geom_gist" in plan


def test_reindex_rebuilds_the_index(demo):
    assert service.reindex(demo) == service.count_features(demo, slug="land-parcels") + sum(
        service.count_features(demo, slug=s) for s in service.DEMO_LAYER_ORDER if s != "land-parcels"
    )


def test_unpublished_layers_are_hidden_from_the_public(city):
    service.set_published(city, actor=SPECIALIST, slug="buildings", published=False)
    with pytest.raises(NotFound):
        service.query_features(city, slug="buildings")
    assert service.query_features(city, slug="buildings", published_only=False).number_matched == 0
    with pytest.raises(Forbidden):
        service.set_published(city, actor=CITIZEN, slug="buildings", published=True)


def test_owner_reference_is_private_and_each_read_is_audited(demo):
    page = service.query_features(demo, slug="land-parcels", limit=3)
    assert all("owner" not in str(f.properties) for f in page.features)
    key = page.features[0].key
    with pytest.raises(Forbidden):
        service.parcel_owner_reference(demo, actor=CITIZEN, key=key)
    assert service.parcel_owner_reference(demo, actor=SPECIALIST, key=key).startswith("SYN-")
    with demo.session() as s:
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "gis.parcel.owner_read")) is not None


def test_staff_correction_keeps_history_in_the_audit_log(demo):
    feature = service.query_features(demo, slug="buildings", limit=1).features[0]
    edited = service.update_feature(
        demo,
        actor=SPECIALIST,
        slug="buildings",
        feature_id=int(feature.id),
        properties={"floors": 2},
        expected_version=1,
    )
    assert edited.properties["floors"] == 2
    with demo.session() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "gis.feature.edit"))
        assert entry is not None and entry.before["properties"]["floors"] == feature.properties["floors"]
        assert (
            s.scalar(select(OutboxMessage).where(OutboxMessage.event_type == "gis.FeatureEdited")) is not None
        )
