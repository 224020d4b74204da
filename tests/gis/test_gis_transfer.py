"""Import (GeoJSON, GeoPackage, zipped VN-2000 Shapefile) with per-feature reports, and export."""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pyogrio.raw
import pytest
import shapely
from shapely.geometry import Polygon, box

from smartcity.core.errors import ValidationFailed
from smartcity.gis import planning, service, transfer
from smartcity.gis.crs import CRS84, EPSG_URI, pyproj_crs, transform_geometry
from smartcity.gis.geo import parse_geojson
from tests.gis.conftest import SPECIALIST

VN2000 = EPSG_URI + "9210"
CENTRE = (106.6537, 10.9804)  # central Thủ Dầu Một


def _zone_props(code: str, land_use: str = "ODT") -> dict[str, object]:
    return {
        "zone_code": code,
        "land_use_code": land_use,
        "land_use_name": "Đất ở tại đô thị",
        "max_floors": 5,
        "max_coverage_pct": 80,
        "plan_name": "QHPK 1/2000",
        "approval": "QĐ 1/QĐ-UBND",
    }


def _square(lon: float, lat: float, size: float = 0.001) -> Polygon:
    return box(lon, lat, lon + size, lat + size)


def _geojson(features: list[tuple[dict, dict | None]]) -> bytes:
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": p, "geometry": g} for p, g in features],
        }
    ).encode()


def _vn2000_shapefile(zones: list[tuple[str, Polygon]]) -> bytes:
    """A zipped Shapefile in VN-2000 (with its .prj), as surveyors deliver them."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "quyhoach.shp"
        geometries = np.array(
            [shapely.to_wkb(transform_geometry(g, CRS84, VN2000)) for _, g in zones], dtype=object
        )
        fields = ["zone_code", "land_use_c", "max_floors"]
        columns = [
            np.array([c for c, _ in zones], dtype=object),
            np.array(["TMD"] * len(zones), dtype=object),
            np.array([9] * len(zones), dtype=np.int32),
        ]
        pyogrio.raw.write(
            path,
            geometries,
            columns,
            fields,
            driver="ESRI Shapefile",
            geometry_type="Polygon",
            crs=pyproj_crs(VN2000).to_wkt("WKT1_ESRI"),
        )
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for part in Path(folder).iterdir():
                archive.write(part, part.name)
    return buffer.getvalue()


def test_a_vn2000_shapefile_imports_and_shows_in_the_right_place(city):
    square = _square(*CENTRE)
    report = transfer.import_bytes(
        city,
        actor=SPECIALIST,
        slug="planning-zones",
        content=_vn2000_shapefile([("QH-01", square)]),
        filename="quyhoach.zip",
    )
    assert report.committed and report.imported == 1 and report.source_crs == VN2000
    stored = service.feature_by_key(city, slug="planning-zones", key="QH-01")
    assert stored is not None and stored.properties["land_use_code"] == "TMD"
    # Within 5 cm of where it was drawn, after the round trip through VN-2000.
    assert parse_geojson(stored.geometry).hausdorff_distance(square) < 5e-7
    info = planning.planning_lookup(city, lon=CENTRE[0] + 0.0005, lat=CENTRE[1] + 0.0005)
    assert [z.zone_code for z in info.zones] == ["QH-01"]


def test_bad_features_are_reported_and_nothing_is_imported(city):
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[106.65, 10.98], [106.651, 10.981], [106.651, 10.98], [106.65, 10.981], [106.65, 10.98]]
        ],
    }
    content = _geojson(
        [
            (_zone_props("A"), shapely.geometry.mapping(_square(*CENTRE))),
            (_zone_props("B"), bowtie),  # self-intersecting: repaired
            (_zone_props("C"), None),  # no geometry
            (
                _zone_props("D"),
                {"type": "LineString", "coordinates": [[106.6, 10.9], [106.7, 11.0]]},
            ),  # wrong type
            ({**_zone_props("E"), "max_floors": "many"}, shapely.geometry.mapping(_square(106.66, 10.99))),
            (_zone_props("A"), shapely.geometry.mapping(_square(106.67, 10.99))),  # duplicate key
        ]
    )
    report = transfer.import_bytes(
        city, actor=SPECIALIST, slug="planning-zones", content=content, filename="zones.geojson"
    )
    assert not report.committed and report.imported == 0 and report.rejected == 4 and report.repaired == 1
    by_feature = {p.feature: p for p in report.problems}
    assert by_feature[2].severity == "repaired" and "Self-intersection" in by_feature[2].message
    assert "no geometry" in by_feature[3].message
    assert "LineString" in by_feature[4].message
    assert "max_floors" in by_feature[5].message
    assert "already used" in by_feature[6].message
    assert service.count_features(city, slug="planning-zones") == 0
    partial = transfer.import_bytes(
        city, actor=SPECIALIST, slug="planning-zones", content=content, filename="zones.geojson", partial=True
    )
    assert partial.committed and partial.imported == 2
    assert service.count_features(city, slug="planning-zones") == 2


def test_a_file_without_crs_in_projected_coordinates_is_refused(city):
    metres = box(598000, 1214000, 598100, 1214100)
    content = _geojson([(_zone_props("X"), shapely.geometry.mapping(metres))])
    with pytest.raises(ValidationFailed, match="coordinate system"):
        transfer.import_bytes(
            city, actor=SPECIALIST, slug="planning-zones", content=content, filename="x.geojson"
        )
    named = transfer.import_bytes(
        city,
        actor=SPECIALIST,
        slug="planning-zones",
        content=content,
        filename="x.geojson",
        source_crs="vn2000",
    )
    assert named.committed and named.source_crs == VN2000


def test_export_then_import_round_trip_through_geopackage(demo, city):
    content, media_type, name = transfer.export_layer(demo, slug="streets", fmt="gpkg")
    assert media_type == "application/geopackage+sqlite3" and name.endswith(".gpkg")
    back = transfer.read_file(content, name)
    assert len(back.geometries) == service.count_features(demo, slug="streets")
    zipped, _, zip_name = transfer.export_layer(demo, slug="public-offices", fmt="shp")
    assert zip_name.endswith(".shp.zip") and len(transfer.read_file(zipped, zip_name).geometries) > 0
    geojson, _, _ = transfer.export_layer(demo, slug="planning-zones", fmt="geojson")
    assert len(json.loads(geojson)["features"]) == service.count_features(demo, slug="planning-zones")


def test_import_and_export_over_the_api(city, client, app):
    from smartcity.web.deps import current_actor

    content = _geojson([(_zone_props("API-1"), shapely.geometry.mapping(_square(*CENTRE)))])
    refused = client.post(
        "/api/v1/gis/layers/planning-zones/import",
        files={"file": ("z.geojson", content, "application/geo+json")},
    )
    assert refused.status_code == 401
    app.dependency_overrides[current_actor] = lambda: SPECIALIST
    report = client.post(
        "/api/v1/gis/layers/planning-zones/import",
        files={"file": ("z.geojson", content, "application/geo+json")},
    ).json()
    assert report["committed"] and report["imported"] == 1
    exported = client.get("/api/v1/gis/layers/planning-zones/export", params={"format": "geojson"})
    assert exported.status_code == 200 and "API-1" in exported.text
    garbage = client.post(
        "/api/v1/gis/layers/planning-zones/import",
        files={"file": ("z.txt", b"\x00\x01 not a file", "text/plain")},
    )
    assert garbage.status_code == 415


def test_cli_import_with_progress_and_export(city, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from smartcity.cli import app
    from smartcity.core.config import get_settings

    monkeypatch.setenv("SMARTCITY_DATABASE_URL", city.url)
    get_settings.cache_clear()
    bad = tmp_path / "bad.geojson"
    bad.write_bytes(_geojson([(_zone_props("A"), None)]))
    good = tmp_path / "zones.geojson"
    good.write_bytes(_geojson([(_zone_props("Z1"), shapely.geometry.mapping(_square(*CENTRE)))]))
    runner = CliRunner()
    try:
        refused = runner.invoke(app, ["gis", "import", "planning-zones", str(bad)])
        assert refused.exit_code == 1 and "nothing stored" in refused.output
        assert service.count_features(city, slug="planning-zones") == 0
        imported = runner.invoke(app, ["gis", "import", "planning-zones", str(good)])
        assert imported.exit_code == 0, imported.output
        assert "imported 1" in imported.output
        unknown = runner.invoke(app, ["gis", "import", "no-such-layer", str(good)])
        assert unknown.exit_code == 2
        out = tmp_path / "out.geojson"
        exported = runner.invoke(app, ["gis", "export", "planning-zones", str(out)])
        assert exported.exit_code == 0, exported.output
        assert [f["properties"]["zone_code"] for f in json.loads(out.read_text())["features"]] == ["Z1"]
    finally:
        get_settings.cache_clear()
