"""Fill forecasts by weekday from a container's own history; OR-Tools routes within capacity and windows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from smartcity.waste.forecast import daily_rises, fill_rates, forecast_fill, hours_until_full
from smartcity.waste.routing import Stop, Truck, haversine_km, solve

DEPOT = (106.6700, 10.9950)


def test_rises_by_day_skip_emptying_and_noise() -> None:
    t = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # a Monday
    readings = [(t + timedelta(hours=h), v) for h, v in enumerate([10, 20, 19, 30, 5, 15])]
    rises = daily_rises(readings, local_date=lambda m: m.date())
    # +10, -1 (noise), +11, -25 (emptied), +10 -> 31 points on Monday
    assert rises == {date(2026, 11, 30): 31}


def test_rates_by_weekday_and_forecast() -> None:
    # Mondays add 30 points, Tuesdays 10 (two weeks of history)
    rises = {
        date(2026, 11, 23): 30.0,
        date(2026, 11, 30): 30.0,
        date(2026, 11, 24): 10.0,
        date(2026, 12, 1): 10.0,
    }
    rates = fill_rates(rises)
    assert rates.rate(0) == 30 and rates.rate(1) == 10 and rates.overall == 20 and rates.rate(3) == 20
    # Monday 12:00 at 40 %: half of Monday (+15) and all of Tuesday until 12:00 (+5) -> 60 %
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    assert forecast_fill(40, rates, now=now, until=now + timedelta(days=1)) == pytest.approx(60)
    # full (100 %) from 40 %: +15 to Monday midnight (55), +10 Tue (65), +20 Wed (85), +15 more on Thursday
    assert hours_until_full(40, rates, now=now) == pytest.approx(12 + 24 + 24 + 18, abs=1)


def test_routes_respect_capacity_and_windows() -> None:
    stops = [
        Stop(
            f"C{i}", DEPOT[0] - 0.01 * i, DEPOT[1] - 0.005 * i, load_kg=400, service_min=5, window=(300, 600)
        )
        for i in range(1, 7)
    ]
    trucks = [Truck("XE-1", 1300, (300, 660)), Truck("XE-2", 1300, (300, 660))]
    solution = solve(DEPOT, stops, trucks, seconds=1)
    assert solution.unserved == {}
    for route in solution.routes:
        assert route.load_kg <= 1300 and len(route.legs) <= 3
        assert all(300 <= leg.arrival_min <= 600 for leg in route.legs)
        assert route.distance_km > 0
    assert sorted(leg.stop_id for r in solution.routes for leg in r.legs) == [f"C{i}" for i in range(1, 7)]


def test_what_cannot_be_served_is_explained() -> None:
    stops = [
        Stop("BIG", 106.66, 10.99, load_kg=5000, service_min=5, window=(300, 600)),
        Stop("LATE", 106.66, 10.99, load_kg=100, service_min=5, window=(900, 960)),
        Stop("OK", 106.66, 10.99, load_kg=100, service_min=5, window=(300, 600)),
    ]
    solution = solve(DEPOT, stops, [Truck("XE-1", 1000, (300, 660))], seconds=1)
    assert "tải trọng" in solution.unserved["BIG"] and "ca làm việc" in solution.unserved["LATE"]
    assert [leg.stop_id for leg in solution.routes[0].legs] == ["OK"]


def test_haversine() -> None:
    # one degree of latitude is about 111.2 km
    assert haversine_km((106.0, 10.0), (106.0, 11.0)) == pytest.approx(111.19, abs=0.05)


def test_each_truck_starts_and_ends_at_its_own_depot() -> None:
    north, south = (106.66, 11.02), (106.66, 10.95)
    stops = [
        Stop("N1", 106.661, 11.015, load_kg=100, service_min=3, window=(300, 600)),
        Stop("N2", 106.662, 11.018, load_kg=100, service_min=3, window=(300, 600)),
        Stop("S1", 106.661, 10.955, load_kg=100, service_min=3, window=(300, 600)),
    ]
    trucks = [Truck("XE-BAC", 1000, (300, 660), depot=0), Truck("XE-NAM", 1000, (300, 660), depot=1)]
    solution = solve([north, south], stops, trucks, seconds=1)
    by_truck = {r.truck_id: sorted(leg.stop_id for leg in r.legs) for r in solution.routes}
    assert by_truck == {"XE-BAC": ["N1", "N2"], "XE-NAM": ["S1"]}
    assert all(r.distance_km < 5 for r in solution.routes)  # nobody crosses the city
