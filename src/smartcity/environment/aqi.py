"""VN_AQI exactly as Decision 1459/QĐ-TCMT (12/11/2019) of the Vietnam Environment Administration computes it.

Pure functions, no database: breakpoint tables (Bảng 1), linear interpolation between breakpoints, NowCast
weighting of PM2.5 and PM10 for the hourly index, the daily index (PM 24-hour mean; SO2, NO2, CO the day's
highest hour; O3 the larger of its 1-hour and 8-hour sub-indices), and the six colour bands with their RGB
codes and health advice (Bảng 2, Bảng 3). All concentrations in µg/m³ (CO too).

Rules of the method used here:
- AQI_x = (I_{i+1} - I_i) / (BP_{i+1} - BP_i) * (C_x - BP_i) + I_i, with BP_i <= C_x <= BP_{i+1};
- the AQI is the largest sub-index, rounded to an integer; PM10 or PM2.5 must be among the sub-indices;
- NowCast over the last 12 hours (c_1 the current hour): w* = C_min / C_max; w = w* when w* > 1/2, else
  w = 1/2; NowCast = Σ w^(i-1) c_i / Σ w^(i-1) over the hours that have a value; it needs at least two of
  the three most recent hours (c_1, c_2, c_3). With all twelve hours present and w = 1/2 this equals the
  decision's simplified Σ (1/2)^i c_i to within 0.05 %.
- the O3 8-hour sub-index is not computed above 400 µg/m³ (the table stops there): the 1-hour one is used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

# Bảng 1: the index values I_i and the breakpoints BP_i of each parameter (µg/m³).
INDEX_STEPS = (0, 50, 100, 150, 200, 300, 400, 500)
BREAKPOINTS: dict[str, tuple[float, ...]] = {
    "o3_1h": (0, 160, 200, 300, 400, 800, 1000, 1200),
    "o3_8h": (0, 100, 120, 170, 210, 400),
    "co": (0, 10000, 30000, 45000, 60000, 90000, 120000, 150000),
    "so2": (0, 125, 350, 550, 800, 1600, 2100, 2630),
    "no2": (0, 100, 200, 700, 1200, 2350, 3100, 3850),
    "pm10": (0, 50, 150, 250, 350, 420, 500, 600),
    "pm25": (0, 25, 50, 80, 150, 250, 350, 500),
}
POLLUTANTS = ("pm25", "pm10", "o3", "no2", "so2", "co")
DUST = ("pm25", "pm10")
POLLUTANT_LABELS = {"pm25": "PM2.5", "pm10": "PM10", "o3": "O₃", "no2": "NO₂", "so2": "SO₂", "co": "CO"}
NOWCAST_HOURS = 12
EIGHT_HOURS = 8


@dataclass(frozen=True)
class Band:
    """One of the six bands of Bảng 2/3: range, name, colour (name, RGB) and health advice."""

    code: str
    low: int
    high: int
    name_vi: str
    name_en: str
    colour_vi: str
    rgb: tuple[int, int, int]
    advice_general_vi: str
    advice_sensitive_vi: str

    @property
    def hex(self) -> str:
        """The colour as #RRGGBB."""
        return "#{:02X}{:02X}{:02X}".format(*self.rgb)

    @property
    def text_colour(self) -> str:
        """Black or white, whichever reads better on the band's colour."""
        red, green, blue = self.rgb
        return "#000000" if (0.299 * red + 0.587 * green + 0.114 * blue) > 140 else "#FFFFFF"


BANDS = (
    Band(
        "good",
        0,
        50,
        "Tốt",
        "Good",
        "Xanh",
        (0, 228, 0),
        "Tự do thực hiện các hoạt động ngoài trời.",
        "Tự do thực hiện các hoạt động ngoài trời.",
    ),
    Band(
        "moderate",
        51,
        100,
        "Trung bình",
        "Moderate",
        "Vàng",
        (255, 255, 0),
        "Tự do thực hiện các hoạt động ngoài trời.",
        "Nên theo dõi các triệu chứng như ho hoặc khó thở, nhưng vẫn có thể hoạt động bên ngoài.",
    ),
    Band(
        "poor",
        101,
        150,
        "Kém",
        "Poor",
        "Da cam",
        (255, 126, 0),
        "Những người thấy có triệu chứng đau mắt, ho hoặc đau họng… "
        "nên cân nhắc giảm các hoạt động ngoài trời.",
        "Nên giảm các hoạt động mạnh và giảm thời gian hoạt động ngoài trời. "
        "Những người mắc bệnh hen suyễn có thể cần sử dụng thuốc thường xuyên hơn.",
    ),
    Band(
        "bad",
        151,
        200,
        "Xấu",
        "Bad",
        "Đỏ",
        (255, 0, 0),
        "Mọi người nên giảm các hoạt động mạnh khi ở ngoài trời, tránh tập thể dục lâu "
        "và nghỉ ngơi nhiều hơn trong nhà.",
        "Nên ở trong nhà và giảm hoạt động mạnh. "
        "Nếu cần thiết phải ra ngoài, hãy đeo khẩu trang đạt tiêu chuẩn.",
    ),
    Band(
        "very_bad",
        201,
        300,
        "Rất xấu",
        "Very bad",
        "Tím",
        (143, 63, 151),
        "Mọi người hạn chế tối đa các hoạt động ngoài trời và chuyển tất cả các hoạt động vào trong nhà. "
        "Nếu cần thiết phải ra ngoài, hãy đeo khẩu trang đạt tiêu chuẩn.",
        "Nên ở trong nhà và giảm hoạt động mạnh.",
    ),
    Band(
        "hazardous",
        301,
        500,
        "Nguy hại",
        "Hazardous",
        "Nâu",
        (126, 0, 35),
        "Mọi người nên ở trong nhà, đóng cửa ra vào và cửa sổ. "
        "Nếu cần thiết phải ra ngoài, hãy đeo khẩu trang đạt tiêu chuẩn.",
        "Mọi người nên ở trong nhà, đóng cửa ra vào và cửa sổ. "
        "Nếu cần thiết phải ra ngoài, hãy đeo khẩu trang đạt tiêu chuẩn.",
    ),
)
BANDS_BY_CODE = {b.code: b for b in BANDS}


def band_of(aqi: int) -> Band:
    """The band an (integer) AQI falls in; above 500 is still Nguy hại."""
    if aqi < 0:
        raise ValueError("an AQI is never negative")
    return next((b for b in BANDS if aqi <= b.high), BANDS[-1])


def round_half_up(value: float) -> int:
    """Round as people do (x.5 goes up), not as Python's banker's rounding."""
    return int(Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def sub_index(table: str, concentration: float) -> float | None:
    """AQI_x of one concentration by linear interpolation in `table` (a key of BREAKPOINTS).

    None when the table cannot rate it (O3 8-hour above 400 µg/m³). Above the last breakpoint the index
    is that of the last breakpoint (500): the scale stops there.
    """
    if concentration < 0:
        raise ValueError(f"{table}: a concentration is never negative ({concentration})")
    points = BREAKPOINTS[table]
    if concentration > points[-1]:
        return None if table == "o3_8h" else float(INDEX_STEPS[len(points) - 1])
    for i in range(len(points) - 1):
        low, high = points[i], points[i + 1]
        if low <= concentration <= high:
            i_low, i_high = INDEX_STEPS[i], INDEX_STEPS[i + 1]
            return (i_high - i_low) / (high - low) * (concentration - low) + i_low
    return 0.0  # pragma: no cover - concentration == 0 is caught by the first interval


def nowcast(hours: Sequence[float | None]) -> float | None:
    """NowCast of hourly means, most recent first (c_1 = hours[0]); None without 2 of the last 3 hours."""
    recent = list(hours[:NOWCAST_HOURS])
    if sum(1 for c in recent[:3] if c is not None) < 2:
        return None
    present = [(i, c) for i, c in enumerate(recent) if c is not None]
    highest = max(c for _, c in present)
    if highest == 0:
        return 0.0
    ratio = min(c for _, c in present) / highest
    weight = ratio if ratio > 0.5 else 0.5
    numerator = sum(weight**i * c for i, c in present)
    denominator = sum(weight**i for i, _ in present)
    return numerator / denominator


@dataclass(frozen=True)
class AqiResult:
    """An AQI value with what it was computed from: the value each parameter used and its sub-index."""

    aqi: int
    dominant: str
    sub_indices: dict[str, int]
    values: dict[str, float]
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def band(self) -> Band:
        """The colour band of this AQI."""
        return band_of(self.aqi)


def _result(raw: dict[str, float], values: dict[str, float], notes: list[str]) -> AqiResult | None:
    if not any(p in raw for p in DUST):
        return None
    rounded = {p: round_half_up(v) for p, v in raw.items()}
    dominant = max(raw, key=lambda p: (raw[p], p in DUST))
    return AqiResult(round_half_up(raw[dominant]), dominant, rounded, values, tuple(notes))


def hourly_aqi(series: Mapping[str, Sequence[float | None]]) -> AqiResult | None:
    """The hourly AQI from each pollutant's hourly means, most recent hour first.

    PM2.5 and PM10 by NowCast over up to 12 hours; O3 (1-hour table), NO2, SO2 and CO by the current hour's
    mean. None when neither PM2.5 nor PM10 can be rated.
    """
    raw: dict[str, float] = {}
    values: dict[str, float] = {}
    for pollutant in POLLUTANTS:
        hours = series.get(pollutant) or []
        value = nowcast(hours) if pollutant in DUST else (hours[0] if hours else None)
        if value is None:
            continue
        index = sub_index("o3_1h" if pollutant == "o3" else pollutant, value)
        if index is not None:
            raw[pollutant], values[pollutant] = index, value
    return _result(raw, values, [])


def eight_hour_means(hours: Sequence[float | None], *, min_hours: int = 6) -> list[float]:
    """Rolling 8-hour means of hourly values (oldest first), one per window with at least `min_hours`."""
    means = []
    for end in range(EIGHT_HOURS, len(hours) + 1):
        window = [c for c in hours[end - EIGHT_HOURS : end] if c is not None]
        if len(window) >= min_hours:
            means.append(sum(window) / len(window))
    return means


def daily_aqi(
    day: Mapping[str, Sequence[float | None]],
    *,
    o3_before: Sequence[float | None] = (),
    min_dust_hours: int = 18,
    min_eight_hour: int = 6,
) -> AqiResult | None:
    """The daily AQI from the day's 24 hourly means of each pollutant (oldest first).

    PM2.5, PM10: 24-hour mean (needs `min_dust_hours` hours); SO2, NO2, CO: the highest hour; O3: the larger
    of the 1-hour sub-index of the highest hour and the 8-hour sub-index of the highest 8-hour mean (the
    windows ending in the day, so `o3_before` gives the previous day's last 7 hours, oldest first).
    """
    raw: dict[str, float] = {}
    values: dict[str, float] = {}
    notes: list[str] = []
    for pollutant in POLLUTANTS:
        hours = [c for c in day.get(pollutant) or [] if c is not None]
        if not hours:
            continue
        if pollutant in DUST:
            if len(hours) < min_dust_hours:
                notes.append(f"{POLLUTANT_LABELS[pollutant]}: chỉ có {len(hours)} giờ số liệu, không tính")
                continue
            value = sum(hours) / len(hours)
            raw[pollutant], values[pollutant] = _checked(sub_index(pollutant, value)), value
        elif pollutant == "o3":
            _daily_ozone(day, o3_before, min_eight_hour, raw, values, notes)
        else:
            value = max(hours)
            raw[pollutant], values[pollutant] = _checked(sub_index(pollutant, value)), value
    return _result(raw, values, notes)


def _daily_ozone(
    day: Mapping[str, Sequence[float | None]],
    before: Sequence[float | None],
    min_eight_hour: int,
    raw: dict[str, float],
    values: dict[str, float],
    notes: list[str],
) -> None:
    hours = list(day.get("o3") or [])
    highest = max(c for c in hours if c is not None)
    one_hour = _checked(sub_index("o3_1h", highest))
    raw["o3"], values["o3"] = one_hour, highest
    means = eight_hour_means([*list(before)[-7:], *hours], min_hours=min_eight_hour)
    if not means:
        return
    eight = sub_index("o3_8h", max(means))
    if eight is None:
        notes.append("O₃ trung bình 8 giờ trên 400 µg/m³: dùng chỉ số 1 giờ")
    elif eight > one_hour:
        raw["o3"], values["o3"] = eight, max(means)


def _checked(value: float | None) -> float:
    if value is None:  # pragma: no cover - only the O3 8-hour table refuses a value
        raise ValueError("no sub-index")
    return value
