"""Maps people can read: the offline base map (real districts, the streets layer), a legend naming every
layer in Vietnamese, and no map page that sends the browser to another host."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import shape

from smartcity.accounts import service as accounts_service
from smartcity.gis.layers import LAND_USE_NAMES
from tests.gis.conftest import SYSTEM
from tests.support import chromium_page, run_once_on_sqlite, served

SRC = Path(__file__).resolve().parents[2] / "src" / "smartcity"
PASSWORD = "correct horse battery"
BINH_DUONG_BOX = (106.3, 10.85, 107.0, 11.55)  # lon/lat extent of Bình Dương province, with a margin
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
EXTERNAL = re.compile(r"""(src|href|action)\s*=\s*["'](https?:)?//""", re.IGNORECASE)
BASE_LEGEND = (
    "Ranh giới thành phố Thủ Dầu Một (cũ)",
    "Ranh giới huyện, thị xã, thành phố lân cận",
    "Đường phố",
)

# page -> (static script that draws its layers, {layer id: its Vietnamese legend label or labels})
MAP_PAGES: dict[str, tuple[str, dict[str, str | tuple[str, ...]]]] = {
    "/ban-do": (
        "city/static/city-map.js",
        {"ward-fill": "Phường (mỗi phường một màu, ranh giới gần đúng)"},
    ),
    "/ban-do-quy-hoach": (
        "gis/static/planning-map.js",
        {
            "parcels": "Thửa đất",
            "buildings": "Công trình",
            "wards": "Phường (gần đúng)",
            "permits": "Giấy phép xây dựng đã cấp",
            "businesses": "Hộ kinh doanh đã đăng ký",
        },
    ),
    "/phan-anh": ("feedback/static/feedback.js", {"reports": "Phản ánh đang xử lý"}),
    "/can-bo/thiet-bi": ("iot/static/iot-devices.js", {"devices": "Thiết bị đang cảnh báo"}),
    "/ioc": (
        "ioc/static/ioc.js",
        {
            "devices": "Thiết bị đang báo động",
            "incidents": "Sự cố mức 4–5",
            "reports": "Phản ánh (mật độ)",
            "dossiers": "Mật độ hồ sơ theo phường",
            "cameras": "Camera",
            "planning": "Khu quy hoạch",
        },
    ),
    "/can-bo/ban-do-chinh-sua?layer=streets": (
        "gis/static/map-editor.js",
        {"line": "Đường phố — đường, ranh giới", "point": "Đường phố — điểm"},
    ),
    "/can-bo/chieu-sang": (
        "lighting/static/lighting-map.js",
        {"lights": ("Đèn đang sáng", "Đèn đang tắt", "Đèn hỏng, chờ sửa")},
    ),
    "/can-bo/camera": ("cameras/static/camera-map.js", {"cameras": ("Camera giao thông", "Camera an ninh")}),
    "/can-bo/thu-gom": (
        "waste/static/waste-map.js",
        {
            "containers": (
                "Thùng đầy dưới 60%",
                "Thùng đầy 60–85%",
                "Thùng đầy từ 85% trở lên",
                "Thùng chưa có số liệu",
            ),
            "depots": "Bãi xe",
        },
    ),
    "/moi-truong": (
        "environment/static/environment-map.js",
        {
            "stations": (
                "Trạm không khí, VN_AQI 0–50: Tốt",
                "Trạm không khí, VN_AQI 301–500: Nguy hại",
                "Cảm biến ngập: bình thường",
                "Cảm biến ngập: nước đang lên",
                "Cảm biến ngập: đường ngập",
                "Trạm chưa có số liệu",
            )
        },
    ),
    "/cong-trinh": (
        "investment/static/investment-map.js",
        {
            "works-fill": (
                "Công trình chuẩn bị đầu tư",
                "Công trình đang thi công",
                "Công trình đã hoàn thành hoặc đã quyết toán",
            ),
            "works-line": "Công trình theo tuyến (đường, cống): màu theo giai đoạn như trên",
            "works-photos": "Ảnh hiện trường",
        },
    ),
}

# pages whose demo data other test packages load: their own page tests check them with check_map_page
OTHER_MAP_PAGES: dict[str, tuple[str, dict[str, str | tuple[str, ...]]]] = {
    "/can-bo/giao-duc": (
        "education/static/education-map.js",
        {
            "schools": (
                "Trường thu đạt từ 95%",
                "Trường thu từ 85% đến dưới 95%",
                "Trường thu dưới 85%",
                "Trường chưa có khoản thu đến hạn",
            ),
            "wards-line": "Ranh giới phường (gần đúng)",
        },
    ),
}


class _PageParts(HTMLParser):
    """Scripts (with and without src), inline handlers and legend entries of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.script_sources: list[str] = []
        self.inline_scripts: int = 0
        self.handlers: list[str] = []
        self.legend: dict[str, list[str]] = {}
        self._legend_layer: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]
        if tag == "script":
            if values.get("src"):
                self.script_sources.append(values["src"] or "")
            elif values.get("type") != "application/json":
                self.inline_scripts += 1
        if tag == "li" and values.get("data-legend-layer"):
            self._legend_layer = values["data-legend-layer"]
            self.legend.setdefault(self._legend_layer, [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "li":
            self._legend_layer = None

    def handle_data(self, data: str) -> None:
        if self._legend_layer and data.strip():
            self.legend[self._legend_layer].append(data.strip())


def _staff_browser(app) -> TestClient:  # type: ignore[no-untyped-def]
    client = TestClient(app, headers={"Accept": "text/html"})
    accounts_service.create_user(
        app.state.db,
        actor=SYSTEM,
        username="bando",
        password=PASSWORD,
        roles=[("operator", None), ("leader", None), ("specialist", None)],
    )
    token = CSRF.search(client.get("/login").text).group(1)  # type: ignore[union-attr]
    response = client.post(
        "/login",
        data={"username": "bando", "password": PASSWORD, "csrf_token": token, "next": "/ioc"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return client


def check_map_page(client: TestClient, path: str) -> None:
    """Assert that a map page asks no other host, runs no inline script and names each layer in its legend."""
    script, layers = {**MAP_PAGES, **OTHER_MAP_PAGES}[path]
    response = client.get(path)
    assert response.status_code == 200, path
    html = response.text
    assert not EXTERNAL.search(html), f"{path} sends the browser to another host"
    assert "openstreetmap" not in html and "tile.openstreetmap" not in html
    parts = _PageParts()
    parts.feed(html)
    assert parts.inline_scripts == 0 and not parts.handlers, f"{path} has inline script"
    assert "/static/js/base-map.js" in parts.script_sources, path
    source = (SRC / script).read_text(encoding="utf-8")
    for layer, labels in layers.items():
        assert f'id: "{layer}"' in source, f"{path}: legend of a layer {layer} its script does not draw"
        for label in (labels,) if isinstance(labels, str) else labels:
            assert label in parts.legend.get(layer, []), f"{path}: no legend {label!r} for {layer}"
    for label in BASE_LEGEND:
        assert any(label in texts for texts in parts.legend.values()), f"{path}: base map legend {label}"
    assert "gis.chinhphu.vn" in html and "dữ liệu mô phỏng" in html, f"{path}: the base map's sources"
    for src in parts.script_sources:
        if src.startswith("/static/vendor/"):
            continue
        body = client.get(src)
        assert body.status_code == 200, src
        assert not re.search(r"https?://", body.text), f"{src} names another host"


def test_base_map_is_geojson_of_the_real_districts_and_the_streets_inside_the_province(demo, client):
    response = client.get("/api/v1/gis/base-map.geojson")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    document = response.json()
    assert document["type"] == "FeatureCollection"
    assert "gis.chinhphu.vn" in document["attribution"]
    kinds: dict[str, list[dict]] = {}
    for feature in document["features"]:
        assert feature["type"] == "Feature"
        geometry = shape(feature["geometry"])
        assert geometry.is_valid and not geometry.is_empty
        min_lon, min_lat, max_lon, max_lat = geometry.bounds
        assert BINH_DUONG_BOX[0] <= min_lon and max_lon <= BINH_DUONG_BOX[2]
        assert BINH_DUONG_BOX[1] <= min_lat and max_lat <= BINH_DUONG_BOX[3]
        kinds.setdefault(feature["properties"]["kind"], []).append(feature)
    assert len(kinds["district"]) == 8 and len(kinds["city"]) == 1
    assert kinds["city"][0]["properties"]["name"] == "Thành phố Thủ Dầu Một"
    assert all(not f["properties"]["synthetic"] for f in kinds["district"] + kinds["city"])
    city = shape(kinds["city"][0]["geometry"]).buffer(0.002)
    streets = kinds["street"]
    assert streets and all(f["properties"]["synthetic"] for f in streets), "demo streets are synthetic"
    assert all(city.contains(shape(f["geometry"])) for f in streets), "the streets lie inside the city"
    assert sum(1 for f in streets if f["properties"]["name"]) == len(streets)
    assert shapely.area(city) > 0


def test_base_map_without_streets_still_has_the_districts(city, client):
    features = client.get("/api/v1/gis/base-map.geojson").json()["features"]
    assert {f["properties"]["kind"] for f in features} <= {"district", "city", "street"}
    assert sum(1 for f in features if f["properties"]["kind"] in ("district", "city")) == 9


def test_map_pages_reference_no_other_host_run_no_inline_script_and_name_each_layer_in_vietnamese(demo, app):
    staff = _staff_browser(app)
    for path in MAP_PAGES:
        check_map_page(staff, path)


def test_planning_zones_are_coloured_by_land_use_with_their_vietnamese_names(demo, client):
    html = client.get("/ban-do-quy-hoach").text
    legend = html[html.index('id="legend"') :]
    legend = legend[: legend.index("</ul>")]
    for name in LAND_USE_NAMES.values():
        assert name in legend
    assert "land_use_code" in (SRC / "gis/static/planning-map.js").read_text(encoding="utf-8")


@pytest.mark.browser
def test_in_chromium_the_public_maps_draw_the_base_map_and_ask_no_other_host(demo, app):
    run_once_on_sqlite(demo)
    with served(app) as url, chromium_page() as page:
        elsewhere: list[str] = []
        local = (url, "data:", "blob:")
        page.on("request", lambda r: None if r.url.startswith(local) else elsewhere.append(r.url))
        for path, selector, drawn_window in (
            ("/ban-do", "#map", "cityMap"),
            ("/ban-do-quy-hoach", "#plan-map", "planningMap"),
        ):
            page.goto(url + path)
            page.wait_for_selector(f"{selector}[data-map-drawn]", state="attached", timeout=30000)
            base_features = page.evaluate(
                f"() => window.{drawn_window}.querySourceFeatures('base').map((f) => f.properties.kind)"
            )
            assert {"city", "district"} <= set(base_features), path
            if path == "/ban-do-quy-hoach":
                assert "street" in base_features, "the streets layer is on the base map"
                centre = page.evaluate("() => window.planningMap.getCenter().toArray()")
                meta = page.get_attribute('meta[name="map-centre"]', "content")
                city = [float(c) for c in meta.split(",")]
                assert centre == pytest.approx(city, abs=1e-6), "the map opens on the city"
            attribution = page.inner_text(f"{selector} .maplibregl-ctrl-attrib")
            assert "gis.chinhphu.vn" in attribution, "the base map's sources are on the map"
            zoom_in = page.get_attribute(f"{selector} .maplibregl-ctrl-zoom-in", "title")
            assert zoom_in == "Phóng to", "the map's own buttons speak Vietnamese on a Vietnamese page"
        assert elsewhere == [], f"requests to other hosts: {elsewhere}"
