"""VN_AQI against examples worked by hand from Decision 1459/QĐ-TCMT (the arithmetic is written out)."""

from __future__ import annotations

import pytest

from smartcity.environment.aqi import (
    BANDS,
    band_of,
    daily_aqi,
    eight_hour_means,
    hourly_aqi,
    nowcast,
    round_half_up,
    sub_index,
)


def test_the_guides_hourly_example() -> None:
    # O3 1h 136.1: in [0, 160] -> 50/160 * 136.1 = 42.53 -> 43
    # NO2 118.7: in [100, 200] -> 50 + (100-50)/(200-100) * (118.7-100) = 50 + 9.35 = 59.35 -> 59
    # PM2.5 NowCast 20.3 (twelve equal hours: w* = 1, NowCast = 20.3): 50/25 * 20.3 = 40.6 -> 41
    # AQI = max = 59.35 -> 59 (the glossary quotes 60 with ±1 for rounding)
    result = hourly_aqi({"o3": [136.1], "no2": [118.7], "pm25": [20.3] * 12})
    assert result is not None
    assert result.sub_indices == {"o3": 43, "no2": 59, "pm25": 41}
    assert result.aqi == 59 and result.dominant == "no2"
    assert result.band.name_vi == "Trung bình" and result.band.hex == "#FFFF00"


def test_nowcast_with_a_weight_above_one_half() -> None:
    # hours 30, 25, 20 (older hours missing): w* = 20/30 = 0.667 > 1/2, so w = 2/3
    # NowCast = (30 + 2/3*25 + 4/9*20) / (1 + 2/3 + 4/9) = 55.5556 / 2.1111 = 26.3158
    value = nowcast([30, 25, 20] + [None] * 9)
    assert value == pytest.approx(26.3158, abs=1e-4)
    # PM2.5 26.3158 in [25, 50] -> 50 + 50/25 * 1.3158 = 52.63 -> 53
    assert round_half_up(sub_index("pm25", value)) == 53


def test_nowcast_with_the_weight_floored_at_one_half() -> None:
    # c1 = 80, c2..c12 = 20: w* = 20/80 = 0.25 <= 1/2, so w = 1/2
    # numerator = 80 + 20 * (1/2 + ... + 1/2^11) = 80 + 20 * 0.99951171875 = 99.990234375
    # denominator = 1 + 1/2 + ... + 1/2^11 = 1.99951171875  -> NowCast = 50.0073
    # (the decision's simplified Σ(1/2)^i c_i gives 49.9951: within 0.05 %)
    value = nowcast([80] + [20] * 11)
    assert value == pytest.approx(50.0073, abs=1e-4)
    assert value == pytest.approx(sum(0.5**i * c for i, c in enumerate([80] + [20] * 11, start=1)), rel=5e-4)
    # PM10 50.0073 in [50, 150] -> 50 + 50/100 * 0.0073 = 50.004 -> 50
    assert round_half_up(sub_index("pm10", value)) == 50


def test_nowcast_needs_two_of_the_last_three_hours() -> None:
    assert nowcast([40, None, None, 30, 30, 30]) is None
    assert nowcast([40, None, 35]) is not None
    assert nowcast([0, 0, 0]) == 0.0


def test_no_hourly_aqi_without_dust() -> None:
    assert hourly_aqi({"o3": [100.0], "no2": [50.0]}) is None


def test_half_rounds_up() -> None:
    # O3 1h 136: 50/160 * 136 = 42.5 -> 43 (Python's round() would give 42)
    assert sub_index("o3_1h", 136) == 42.5
    assert round_half_up(42.5) == 43 and round_half_up(42.49) == 42


def test_daily_example_where_ozone_8_hours_dominates() -> None:
    # PM10 24 h at 100 -> mean 100, in [50, 150] -> 50 + 0.5 * 50 = 75
    # NO2 highest hour 250, in [200, 700] -> 100 + 50/500 * 50 = 105
    # SO2 highest hour 100, in [0, 125] -> 50/125 * 100 = 40
    # CO highest hour 12000, in [10000, 30000] -> 50 + 50/20000 * 2000 = 55
    # O3 150 from 09:00 to 16:59 and 60 otherwise:
    #   1-hour: highest 150 -> 50/160 * 150 = 46.875 -> 47
    #   8-hour: highest mean 150 (09..16), in [120, 170] -> 100 + 50/50 * 30 = 130
    #   O3 = max(47, 130) = 130
    # AQI = max(75, 105, 40, 55, 130) = 130 -> Kém, da cam
    ozone = [150.0 if 9 <= h <= 16 else 60.0 for h in range(24)]
    no2 = [80.0] * 23 + [250.0]
    result = daily_aqi(
        {"pm10": [100.0] * 24, "no2": no2, "so2": [100.0] * 24, "co": [12000.0] * 24, "o3": ozone},
        o3_before=[60.0] * 7,
    )
    assert result is not None
    assert result.sub_indices == {"pm10": 75, "no2": 105, "so2": 40, "co": 55, "o3": 130}
    assert result.aqi == 130 and result.dominant == "o3"
    assert result.band.name_vi == "Kém" and result.band.rgb == (255, 126, 0)


def test_daily_ozone_above_the_8_hour_table_uses_the_1_hour_index() -> None:
    # O3 450 all day: 8-hour mean 450 > 400 is not rated; 1-hour 450 in [400, 800] -> 200 + 100/400 * 50
    # = 212.5 -> 213; PM2.5 24 h at 20 -> 50/25 * 20 = 40
    result = daily_aqi({"pm25": [20.0] * 24, "o3": [450.0] * 24}, o3_before=[450.0] * 7)
    assert result is not None
    assert result.sub_indices["o3"] == 213 and result.aqi == 213
    assert result.band.name_vi == "Rất xấu" and any("8 giờ" in n for n in result.notes)


def test_daily_dust_needs_enough_hours() -> None:
    result = daily_aqi({"pm25": [30.0] * 10, "pm10": [60.0] * 20})
    assert result is not None
    # PM10 24 h mean 60 in [50, 150] -> 50 + 0.5 * 10 = 55; PM2.5 has 10 hours only and is left out
    assert "pm25" not in result.sub_indices and result.aqi == 55
    assert any("PM2.5" in n for n in result.notes)


def test_eight_hour_means_need_six_hours_of_eight() -> None:
    assert eight_hour_means([10.0] * 8) == [10.0]
    assert eight_hour_means([10.0] * 5 + [None] * 3) == []
    assert eight_hour_means([10.0] * 6 + [None, None]) == [10.0]


@pytest.mark.parametrize(
    ("aqi", "name", "hex_colour"),
    [
        (0, "Tốt", "#00E400"),
        (50, "Tốt", "#00E400"),
        (51, "Trung bình", "#FFFF00"),
        (100, "Trung bình", "#FFFF00"),
        (101, "Kém", "#FF7E00"),
        (150, "Kém", "#FF7E00"),
        (151, "Xấu", "#FF0000"),
        (200, "Xấu", "#FF0000"),
        (201, "Rất xấu", "#8F3F97"),
        (300, "Rất xấu", "#8F3F97"),
        (301, "Nguy hại", "#7E0023"),
        (500, "Nguy hại", "#7E0023"),
    ],
)
def test_the_six_bands(aqi: int, name: str, hex_colour: str) -> None:
    band = band_of(aqi)
    assert (band.name_vi, band.hex) == (name, hex_colour)
    assert band.advice_general_vi and band.advice_sensitive_vi


def test_bands_cover_the_scale_without_gaps() -> None:
    assert [b.low for b in BANDS[1:]] == [b.high + 1 for b in BANDS[:-1]]


def test_breakpoint_edges_and_bad_values() -> None:
    # PM2.5 at a breakpoint takes the breakpoint's index: 50 -> 100, 80 -> 150
    assert sub_index("pm25", 50) == 100 and sub_index("pm25", 80) == 150
    # the scale stops at 500
    assert sub_index("pm10", 900) == 500
    with pytest.raises(ValueError):
        sub_index("no2", -1)
