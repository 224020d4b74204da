"""Vector tiles (OGC API - Tiles, WebMercatorQuad, Mapbox Vector Tile) of the published layers."""

from __future__ import annotations

import math

import mapbox_vector_tile
import pytest

from smartcity.gis import service, tiles

TILES = "/ogc/collections/{slug}/tiles/WebMercatorQuad/{z}/{row}/{col}"


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The (column, row) of the WebMercatorQuad tile holding a point."""
    n = 2**z
    rad = math.radians(lat)
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(rad)) / math.pi) / 2 * n)


def a_parcel(db):  # type: ignore[no-untyped-def]
    """One stored parcel and the centre of its box."""
    parcel = service.query_features(db, slug="land-parcels", limit=1).features[0]
    a, b, c, d = parcel.bbox
    return parcel, (a + c) / 2, (b + d) / 2


def test_parcel_tile_decodes_with_features_and_properties(demo, client):
    parcel, lon, lat = a_parcel(demo)
    col, row = tile_of(lon, lat, 16)
    response = client.get(TILES.format(slug="land-parcels", z=16, row=row, col=col))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    decoded = mapbox_vector_tile.decode(response.content)
    layer = decoded["land-parcels"]
    assert layer["extent"] == 4096
    found = [f for f in layer["features"] if f["properties"]["fid"] == parcel.id]
    assert found, "the parcel in the middle of the tile is in it"
    properties = found[0]["properties"]
    assert properties["map_sheet"] == parcel.properties["map_sheet"]
    assert properties["parcel_number"] == parcel.properties["parcel_number"]
    assert "owner_ref" not in properties
    assert found[0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    for feature in layer["features"]:  # clipped to the tile and its buffer
        ring = feature["geometry"]["coordinates"][0]
        ring = ring[0] if feature["geometry"]["type"] == "MultiPolygon" else ring
        assert all(-64 <= x <= 4160 and -64 <= y <= 4160 for x, y in ring)


def shoelace(ring: list[list[float]]) -> float:
    """Twice the signed area of a ring (positive: the MVT exterior orientation in tile coordinates)."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True))


def test_polygons_have_the_mvt_winding_order(demo, client):
    zone = service.query_features(demo, slug="planning-zones", limit=1).features[0]
    a, b, c, d = zone.bbox
    col, row = tile_of((a + c) / 2, (b + d) / 2, 15)
    response = client.get(TILES.format(slug="planning-zones", z=15, row=row, col=col))
    decoded = mapbox_vector_tile.decode(response.content, default_options={"y_coord_down": True})
    layer = decoded["planning-zones"]
    polygons = [f["geometry"] for f in layer["features"] if f["geometry"]["type"] == "Polygon"]
    assert polygons and all(shoelace(p["coordinates"][0]) > 0 for p in polygons)


def test_zone_tile_at_low_zoom_is_simplified_but_present(demo, client):
    zone = service.query_features(demo, slug="planning-zones", limit=1).features[0]
    a, b, c, d = zone.bbox
    col, row = tile_of((a + c) / 2, (b + d) / 2, 12)
    response = client.get(TILES.format(slug="planning-zones", z=12, row=row, col=col))
    assert response.status_code == 200
    layer = mapbox_vector_tile.decode(response.content)["planning-zones"]
    assert any(f["properties"]["fid"] == zone.id for f in layer["features"])
    assert all("land_use_code" in f["properties"] for f in layer["features"])


def test_empty_tile_is_204_and_parcels_too_far_out_are_empty(demo, client):
    assert client.get(TILES.format(slug="land-parcels", z=16, row=0, col=0)).status_code == 204
    _parcel, lon, lat = a_parcel(demo)
    col, row = tile_of(lon, lat, 10)
    assert client.get(TILES.format(slug="land-parcels", z=10, row=row, col=col)).status_code == 204


@pytest.mark.parametrize(
    "path",
    [
        "/ogc/collections/land-parcels/tiles/WebMercatorQuad/23/0/0",
        "/ogc/collections/land-parcels/tiles/WebMercatorQuad/3/8/0",
        "/ogc/collections/land-parcels/tiles/WebMercatorQuad/3/0/8",
        "/ogc/collections/land-parcels/tiles/WebMercatorQuad/x/0/0",
        "/ogc/collections/land-parcels/tiles/WebMercatorQuad/3/-1/0",
        "/ogc/collections/land-parcels/tiles/WebMercatorQuad/3/1.5/0",
    ],
)
def test_bad_tile_address_is_an_ogc_exception(demo, client, path):
    response = client.get(path)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "InvalidParameterValue" and body["description"]


def test_unknown_collection_or_matrix_set_is_404(demo, client):
    assert client.get("/ogc/collections/nothing/tiles/WebMercatorQuad/1/0/0").status_code == 404
    response = client.get("/ogc/collections/land-parcels/tiles/WorldCRS84Quad/1/0/0")
    assert response.status_code == 404 and response.json()["code"] == "NotFound"


def test_tileset_metadata_links_to_the_tiles(demo, client):
    collection = client.get("/ogc/collections/land-parcels").json()
    tilesets_href = next(
        link["href"] for link in collection["links"] if link["rel"].endswith("tilesets-vector")
    )
    listing = client.get(tilesets_href).json()
    assert listing["tilesets"][0]["tileMatrixSetURI"] == tiles.TILE_MATRIX_SET_URI
    self_href = next(link["href"] for link in listing["tilesets"][0]["links"] if link["rel"] == "self")
    tileset = client.get(self_href).json()
    assert tileset["dataType"] == "vector" and tileset["minzoom"] == 13
    template = next(link for link in tileset["links"] if link["rel"] == "item")
    assert template["templated"] and template["type"] == "application/vnd.mapbox-vector-tile"
    assert template["href"].endswith("/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}")
    conformance = client.get("/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt" in conformance


def test_tile_matches_items_of_the_same_box(demo, client):
    _parcel, lon, lat = a_parcel(demo)
    col, row = tile_of(lon, lat, 17)
    address = tiles.TileAddress(17, col, row)
    west, south, east, north = address.bounds()
    items = client.get(
        "/ogc/collections/land-parcels/items",
        params={"bbox": f"{west},{south},{east},{north}", "limit": 1000},
    ).json()
    in_tile = {
        f["properties"]["fid"]
        for f in mapbox_vector_tile.decode(
            client.get(TILES.format(slug="land-parcels", z=17, row=row, col=col)).content
        )["land-parcels"]["features"]
    }
    assert {f["id"] for f in items["features"]} <= in_tile


def test_tile_datetime_selects_features_valid_then(demo, client):
    _parcel, lon, lat = a_parcel(demo)
    col, row = tile_of(lon, lat, 16)
    path = TILES.format(slug="land-parcels", z=16, row=row, col=col)
    assert client.get(path, params={"datetime": "2999-01-01"}).status_code == 200
    assert client.get(path, params={"datetime": "1900-01-01"}).status_code == 204  # before any record
    bad = client.get(path, params={"datetime": "hôm qua"})
    assert bad.status_code == 400 and bad.json()["code"] == "InvalidParameterValue"
    assert client.get(path, params={"zoom": "3"}).status_code == 400
