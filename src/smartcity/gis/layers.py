"""The built-in layers: their slugs, titles, geometry types and attribute schemas."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ADMIN_UNITS = "administrative-units"
PLANNING_ZONES = "planning-zones"
PARCELS = "land-parcels"
BUILDINGS = "buildings"
OFFICES = "public-offices"
STREETS = "streets"
ADDRESSES = "addresses"
CONSTRUCTION_PERMITS = "construction-permits"
HOUSEHOLD_BUSINESSES = "household-businesses"

SYNTHETIC_NOTE = "Dữ liệu mô phỏng (synthetic demo data), không phải số liệu khảo sát."
PLATFORM_LICENCE = "CC BY 4.0"


def _field(name: str, type_: str, title: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, "title": title, **extra}


@dataclass(frozen=True)
class LayerSpec:
    """How a built-in layer is declared in the registry."""

    slug: str
    title: str
    title_en: str
    geometry_type: str
    properties_schema: list[dict[str, Any]] = field(default_factory=list)
    description: str = ""
    provider: str = "store"
    source: str = ""
    licence: str = PLATFORM_LICENCE
    temporal: bool = False


BUILTIN_LAYERS: tuple[LayerSpec, ...] = (
    LayerSpec(
        ADMIN_UNITS,
        "Đơn vị hành chính",
        "Administrative units",
        "MultiPolygon",
        [
            _field("code", "string", "Mã đơn vị"),
            _field("name", "string", "Tên"),
            _field("level", "string", "Cấp"),
            _field("approximate", "boolean", "Ranh giới gần đúng"),
            _field("valid_from", "date", "Hiệu lực từ"),
            _field("valid_to", "date", "Hiệu lực đến"),
        ],
        "Các phường (và thành phố) có hiệu lực vào ngày được hỏi; ranh giới phường là gần đúng.",
        provider="city-units",
        source="City pack (smartcity.city)",
        temporal=True,
    ),
    LayerSpec(
        PLANNING_ZONES,
        "Phân khu quy hoạch",
        "Planning zones",
        "Polygon",
        [
            _field("zone_code", "string", "Mã ô quy hoạch"),
            _field("land_use_code", "string", "Mã loại đất"),
            _field("land_use_name", "string", "Loại đất"),
            _field("max_coverage_pct", "number", "Mật độ xây dựng tối đa (%)"),
            _field("max_floors", "integer", "Số tầng tối đa"),
            _field("max_height_m", "number", "Chiều cao tối đa (m)"),
            _field("max_far", "number", "Hệ số sử dụng đất tối đa"),
            _field("density_persons_ha", "integer", "Mật độ dân số (người/ha)"),
            _field("plan_name", "string", "Đồ án quy hoạch"),
            _field("approval", "string", "Quyết định phê duyệt"),
            _field("approved_on", "date", "Ngày phê duyệt"),
        ],
        "Ô quy hoạch với chức năng sử dụng đất và chỉ tiêu (mật độ, tầng cao, hệ số sử dụng đất).",
        temporal=True,
    ),
    LayerSpec(
        PARCELS,
        "Thửa đất",
        "Land parcels",
        "Polygon",
        [
            _field("map_sheet", "integer", "Số tờ bản đồ"),
            _field("parcel_number", "integer", "Số thửa"),
            _field("area_m2", "number", "Diện tích (m²)"),
            _field("land_use_code", "string", "Mã loại đất"),
            _field("recorded_on", "date", "Ngày lập hồ sơ"),
        ],
        "Thửa đất địa chính (tờ/thửa, diện tích, loại đất); thông tin chủ sử dụng không công bố.",
    ),
    LayerSpec(
        BUILDINGS,
        "Công trình xây dựng",
        "Buildings",
        "Polygon",
        [
            _field("kind", "string", "Loại công trình"),
            _field("floors", "integer", "Số tầng"),
            _field("height_m", "number", "Chiều cao (m)"),
            _field("parcel", "string", "Thửa đất (tờ/thửa)"),
            _field("address", "string", "Địa chỉ"),
        ],
    ),
    LayerSpec(
        OFFICES,
        "Trụ sở cơ quan",
        "Public offices",
        "Point",
        [
            _field("name", "string", "Tên cơ quan"),
            _field("kind", "string", "Loại"),
            _field("address", "string", "Địa chỉ"),
        ],
    ),
    LayerSpec(
        STREETS,
        "Đường phố",
        "Streets",
        "LineString",
        [
            _field("code", "string", "Mã đường"),
            _field("name", "string", "Tên đường"),
            _field("start", "string", "Điểm đầu"),
            _field("end", "string", "Điểm cuối"),
            _field("cross_section_m", "number", "Lộ giới (m)"),
            _field("length_m", "number", "Chiều dài (m)"),
        ],
        "Đường phố, hướng của đường là từ điểm đầu (đánh số nhà từ điểm đầu).",
    ),
    LayerSpec(
        ADDRESSES,
        "Địa chỉ - số nhà",
        "Addresses and house numbers",
        "Point",
        [
            _field("house_number", "string", "Số nhà"),
            _field("street_code", "string", "Mã đường"),
            _field("street_name", "string", "Tên đường"),
            _field("side", "string", "Bên (trái/phải)"),
            _field("chainage_m", "number", "Khoảng cách từ đầu đường (m)"),
            _field("ward_code", "string", "Mã phường"),
            _field("ward_name", "string", "Phường"),
            _field("parcel", "string", "Thửa đất (tờ/thửa)"),
            _field("status", "string", "Trạng thái"),
        ],
        "Sổ địa chỉ: số nhà theo đường (lẻ bên trái, chẵn bên phải, tính từ đầu đường).",
    ),
    LayerSpec(
        CONSTRUCTION_PERMITS,
        "Giấy phép xây dựng đã cấp",
        "Construction permits granted",
        "Polygon",
        [
            _field("permit_number", "string", "Số giấy phép"),
            _field("granted_on", "date", "Ngày cấp"),
            _field("valid_until", "date", "Hiệu lực khởi công đến"),
            _field("parcel", "string", "Thửa đất (tờ/thửa)"),
            _field("site_address", "string", "Địa điểm xây dựng"),
            _field("ward_name", "string", "Phường"),
            _field("floors", "integer", "Số tầng"),
            _field("height_m", "number", "Chiều cao (m)"),
            _field("footprint_m2", "number", "Diện tích xây dựng tầng 1 (m²)"),
            _field("total_floor_area_m2", "number", "Tổng diện tích sàn (m²)"),
        ],
        "Giấy phép xây dựng nhà ở riêng lẻ do Một cửa cấp, vẽ trên thửa đất; tên chủ đầu tư không công bố.",
        source="Một cửa điện tử (smartcity.dossiers)",
    ),
    LayerSpec(
        HOUSEHOLD_BUSINESSES,
        "Sổ đăng ký hộ kinh doanh",
        "Register of household businesses",
        "Point",
        [
            _field("registration_number", "string", "Mã số hộ kinh doanh"),
            _field("business_name", "string", "Tên hộ kinh doanh"),
            _field("registered_on", "date", "Ngày đăng ký"),
            _field("address", "string", "Địa điểm kinh doanh"),
            _field("ward_name", "string", "Phường"),
            _field("business_lines", "string", "Ngành, nghề kinh doanh"),
            _field("employees", "integer", "Số lao động"),
            _field("located", "string", "Vị trí trên bản đồ"),
        ],
        "Hộ kinh doanh đã được cấp giấy chứng nhận qua Một cửa; thông tin chủ hộ không công bố.",
        source="Một cửa điện tử (smartcity.dossiers)",
    ),
)

LAND_USE_NAMES = {
    "ODT": "Đất ở tại đô thị",
    "TMD": "Đất thương mại, dịch vụ",
    "DGD": "Đất xây dựng cơ sở giáo dục và đào tạo",
    "DYT": "Đất xây dựng cơ sở y tế",
    "DKV": "Đất khu vui chơi, giải trí công cộng (cây xanh)",
    "TSC": "Đất xây dựng trụ sở cơ quan",
    "SKC": "Đất cơ sở sản xuất phi nông nghiệp",
    "CLN": "Đất trồng cây lâu năm",
}


# The planning map's colour for each land use (the legend and the map read the same table).
LAND_USE_COLOURS = {
    "ODT": "#f4c27a",
    "TMD": "#e86f6f",
    "DGD": "#f2e46b",
    "DYT": "#8fb3e8",
    "DKV": "#8fd18c",
    "TSC": "#c9a0dc",
    "SKC": "#b0a08c",
    "CLN": "#cfe8b0",
}


def spec(slug: str) -> LayerSpec | None:
    """The built-in spec with this slug, if any."""
    return next((s for s in BUILTIN_LAYERS if s.slug == slug), None)
