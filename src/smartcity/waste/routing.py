"""Vehicle routes for a day's collection with OR-Tools: capacities, time windows, each truck from its depot.

Driving times come from straight-line distances times a detour factor at a city speed: the platform's
GIS has no street graph to route on yet (documented; swap `travel_matrix` when it has one).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

EARTH_KM = 6371.0088


@dataclass(frozen=True)
class Stop:
    """A container to empty: where, how much it holds (kg), how long it takes, and when it may be served."""

    id: str
    lon: float
    lat: float
    load_kg: int
    service_min: int
    window: tuple[int, int]  # minutes after midnight


@dataclass(frozen=True)
class Truck:
    """A vehicle: capacity and shift (minutes after midnight)."""

    id: str
    capacity_kg: int
    shift: tuple[int, int]
    depot: int = 0  # index in the depots given to `solve`: where it starts and ends


@dataclass(frozen=True)
class Leg:
    """A served stop on a route: arrival (minutes after midnight) and load after it."""

    stop_id: str
    arrival_min: int
    load_kg: int


@dataclass
class RoutePlan:
    """One truck's route: its legs in order, length and load."""

    truck_id: str
    legs: list[Leg] = field(default_factory=list)
    distance_km: float = 0.0
    load_kg: int = 0
    start_min: int = 0
    end_min: int = 0


@dataclass
class Solution:
    """Routes and the stops that no truck could serve, with the reason."""

    routes: list[RoutePlan]
    unserved: dict[str, str]


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lon, lat) points in km."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_KM * math.asin(math.sqrt(h))


def travel_matrix(points: list[tuple[float, float]], *, detour: float) -> list[list[float]]:
    """Road km between points: straight line × detour factor."""
    return [[haversine_km(p, q) * detour for q in points] for p in points]


def solve(
    depots: tuple[float, float] | list[tuple[float, float]],
    stops: list[Stop],
    trucks: list[Truck],
    *,
    detour: float = 1.35,
    speed_kmh: float = 20.0,
    seconds: float = 2.0,
) -> Solution:
    """Routes serving as many stops as possible within capacities and windows; others explained.

    `depots` is one (lon, lat) or a list; each truck starts and ends at `depots[truck.depot]`."""
    places = [depots] if isinstance(depots, tuple) else list(depots)
    unserved = _obviously_unservable(stops, trucks)
    candidates = [s for s in stops if s.id not in unserved]
    if not candidates or not trucks:
        return Solution(
            [RoutePlan(t.id) for t in trucks], unserved | {s.id: "Không có xe." for s in candidates}
        )
    first = len(places)  # nodes 0..first-1 are depots, then the stops
    km = travel_matrix([*places, *[(s.lon, s.lat) for s in candidates]], detour=detour)
    homes = [t.depot for t in trucks]
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2  # on first use: ~23 MiB a process

    manager = pywrapcp.RoutingIndexManager(len(km), len(trucks), homes, homes)
    routing = pywrapcp.RoutingModel(manager)
    minutes = [[round(d / speed_kmh * 60) for d in row] for row in km]
    service = [0] * first + [s.service_min for s in candidates]

    def time_cb(i: int, j: int) -> int:
        a, b = manager.IndexToNode(i), manager.IndexToNode(j)
        return minutes[a][b] + service[a]

    def dist_cb(i: int, j: int) -> int:
        return round(km[manager.IndexToNode(i)][manager.IndexToNode(j)] * 1000)

    def load_cb(i: int) -> int:
        node = manager.IndexToNode(i)
        return 0 if node < first else candidates[node - first].load_kg

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(dist_cb))
    time_index = routing.RegisterTransitCallback(time_cb)
    routing.AddDimension(time_index, 120, 24 * 60, False, "time")
    clock = routing.GetDimensionOrDie("time")
    load_index = routing.RegisterUnaryTransitCallback(load_cb)
    routing.AddDimensionWithVehicleCapacity(load_index, 0, [t.capacity_kg for t in trucks], True, "load")
    for depot in set(range(first)) - set(homes):  # a depot no truck uses is not a place to visit
        routing.AddDisjunction([manager.NodeToIndex(depot)], 0)
    for node, stop in enumerate(candidates, start=first):
        index = manager.NodeToIndex(node)
        clock.CumulVar(index).SetRange(*stop.window)
        routing.AddDisjunction([index], 1_000_000)  # a stop may be dropped, at a high price
    for v, truck in enumerate(trucks):
        clock.CumulVar(routing.Start(v)).SetRange(*truck.shift)
        clock.CumulVar(routing.End(v)).SetRange(*truck.shift)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(int(seconds * 1000))
    found = routing.SolveWithParameters(params)
    if found is None:
        return Solution(
            [RoutePlan(t.id) for t in trucks],
            unserved | {s.id: "Không tìm được lộ trình." for s in candidates},
        )
    routes = [
        _route(routing, manager, found, clock, v, t, candidates, km, first) for v, t in enumerate(trucks)
    ]
    served = {leg.stop_id for r in routes for leg in r.legs}
    for stop in candidates:
        if stop.id not in served:
            unserved[stop.id] = "Các xe không đủ tải trọng hoặc thời gian trong ca để đến trong khung giờ."
    return Solution(routes, unserved)


def _obviously_unservable(stops: list[Stop], trucks: list[Truck]) -> dict[str, str]:
    reasons = {}
    biggest = max((t.capacity_kg for t in trucks), default=0)
    for stop in stops:
        if stop.load_kg > biggest:
            reasons[stop.id] = f"Khối lượng {stop.load_kg} kg vượt tải trọng của xe lớn nhất ({biggest} kg)."
        elif stop.window[0] >= stop.window[1]:
            reasons[stop.id] = "Khung giờ thu gom không hợp lệ (giờ bắt đầu không trước giờ kết thúc)."
        elif trucks and all(stop.window[1] <= t.shift[0] or stop.window[0] >= t.shift[1] for t in trucks):
            reasons[stop.id] = "Khung giờ thu gom nằm ngoài ca làm việc của mọi xe."
    return reasons


def _route(routing, manager, found, clock, v, truck, stops, km, first) -> RoutePlan:
    plan = RoutePlan(truck.id)
    index = routing.Start(v)
    plan.start_min = found.Value(clock.CumulVar(index))
    load, previous = 0, truck.depot
    while not routing.IsEnd(index):
        node = manager.IndexToNode(index)
        plan.distance_km += km[previous][node]
        if node >= first:
            stop = stops[node - first]
            load += stop.load_kg
            plan.legs.append(Leg(stop.id, found.Value(clock.CumulVar(index)), load))
        previous = node
        index = found.Value(routing.NextVar(index))
    plan.distance_km = round(plan.distance_km + km[previous][truck.depot], 2)
    plan.end_min = found.Value(clock.CumulVar(index))
    plan.load_kg = load
    return plan
