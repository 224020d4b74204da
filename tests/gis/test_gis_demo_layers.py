"""The synthetic city generator on its own: everything inside the boundary, numbering by the rule."""

from __future__ import annotations

from collections import defaultdict

from shapely.geometry import Polygon

from smartcity.gis import demo_layers
from smartcity.gis.numbering import HouseNumber

# An irregular area (about 3 km across) so that streets are clipped and blocks cut at the edges.
AREA = Polygon([(106.64, 10.97), (106.67, 10.975), (106.662, 11.0), (106.652, 10.985), (106.643, 10.995)])


def test_every_layer_lies_inside_the_area_and_is_labelled_synthetic():
    layers = demo_layers.generate(AREA, parcels=100_000)
    assert layers.count("land-parcels") > 1000  # the whole area filled: fewer than asked
    grown = AREA.buffer(1e-6)
    for slug in ("land-parcels", "buildings", "addresses", "public-offices"):
        assert all(grown.contains(f.geometry) for f in layers.features[slug]), slug
    assert all(f.properties["synthetic"] for items in layers.features.values() for f in items)


def test_house_numbers_follow_the_rule_on_every_street_side():
    layers = demo_layers.generate(AREA, parcels=100_000)
    keys = [f.key for f in layers.features["addresses"]]
    assert len(keys) == len(set(keys))
    sides: dict[tuple[str, str], list[tuple[float, HouseNumber]]] = defaultdict(list)
    for feature in layers.features["addresses"]:
        p = feature.properties
        sides[(p["street_code"], p["side"])].append((p["chainage_m"], HouseNumber.parse(p["house_number"])))
    for (_street, side), houses in sides.items():
        numbers = [number for _, number in sorted(houses, key=lambda h: h[0])]
        assert numbers == sorted(numbers)
        assert {n.base % 2 for n in numbers} == {1 if side == "left" else 0}


def test_the_same_seed_gives_the_same_city():
    first = demo_layers.generate(AREA, parcels=300, seed=5)
    second = demo_layers.generate(AREA, parcels=300, seed=5)
    assert [f.key for f in first.features["addresses"]] == [f.key for f in second.features["addresses"]]
    assert first.features["land-parcels"][7].geometry.equals(second.features["land-parcels"][7].geometry)


def test_a_house_before_the_clipped_start_of_its_street_still_gets_a_number():
    """A parcel can front a street piece a little before where the city boundary cuts the street."""
    from shapely.geometry import Point, box

    zone = demo_layers._Zone("Z", box(0, 0, 1, 1), "ODT", {})
    plots = [
        demo_layers._Plot(box(0, 0, 1, 1), "N1", "left", chainage, Point(0, 0), zone, 1)
        for chainage in (-3.0, 5.0, 40.0)
    ]
    demo_layers._number_houses(plots, {})
    assert [p.house_number for p in plots] == ["1", "3", "5"]
