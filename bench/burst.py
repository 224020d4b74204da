"""A burst of browsers (and, if asked, devices writing) against two running servers, one after the other:
a reference and a candidate.

    python bench/burst.py REFERENCE_URL CANDIDATE_URL [--clients 48] [--seconds 60]
        [--writers 16 --keys REFERENCE_KEY CANDIDATE_KEY]

Start both with the demo (for example the last release in a git worktree on port 8094 and this checkout on
8095, each with its own SMARTCITY_DATA_DIR), let them load, then run this. Each of `clients` threads asks in
turn for heavy public pages and documents (open-data RDF, CKAN, the catalogue, maps) for `seconds`. With
`--writers`, as many more threads write readings of the demo's air-quality sensors through NGSI-LD
(PATCH /ngsi-ld/v1/entities/{id}/attrs), each server with its own integrator key (`smartcity apikeys
create --name bench`, with that server's SMARTCITY_DATA_DIR). All the while a probe asks `/healthz`, which
touches no database, every 0.2 s: its latency is how long the event loop was held by other requests' work.
After the burst one request for "/" shows whether the server answers again. Prints a line per server
(answers by status, latencies median/p95/max of reads, writes and the probe, the check after) and the
candidate's figures as ratios of the reference's.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import itertools
import threading
import time
from collections.abc import Callable

import httpx

PAGES = (
    "/ckan/api/3/action/package_show?id=dossiers-monthly",
    "/opendata/dataset/dossiers-monthly.ttl",
    "/opendata/dataset/dossiers-monthly.jsonld",
    "/opendata/dataset/education-fee-collection.ttl",
    "/thu-tuc",
    "/phan-anh",
    "/cong-trinh",
    "/ogc/collections/land-parcels/items?limit=500",
    "/api/v1/gis/base-map.geojson",
    "/du-lieu-mo",
    "/",
)
SENSOR_TYPE = "AirQualityObserved"
PROBE_EVERY_S = 0.2


class Tally:
    """Answers by status and latencies of one kind of request, filled by many threads."""

    def __init__(self) -> None:
        self.answers: collections.Counter[object] = collections.Counter()
        self.latencies: list[float] = []
        self.lock = threading.Lock()

    def time(self, ask: Callable[..., httpx.Response], *args: object, **kwargs: object) -> None:
        """Ask once and count the answer's status (or the error's name) and how long it took."""
        started = time.perf_counter()
        try:
            status: object = ask(*args, **kwargs).status_code
        except httpx.HTTPError as error:
            status = type(error).__name__
        with self.lock:
            self.answers[status] += 1
            self.latencies.append(time.perf_counter() - started)

    def summary(self, seconds: float) -> dict[str, object]:
        """Answers by status, latency median/p95/max and successful answers per second."""
        done = sorted(self.latencies) or [0.0]
        ok = sum(n for status, n in self.answers.items() if isinstance(status, int) and status < 300)
        return {
            "answers": dict(self.answers),
            "median_s": round(done[len(done) // 2], 3),
            "p95_s": round(done[int(len(done) * 0.95)], 3),
            "max_s": round(done[-1], 3),
            "ok_per_s": round(ok / seconds, 1),
        }


def _sensor_ids(base: str, key: str) -> list[str]:
    """The NGSI-LD ids of the demo's air-quality sensors on one server."""
    answer = httpx.get(
        f"{base}/ngsi-ld/v1/entities", params={"type": SENSOR_TYPE, "limit": 100}, headers={"X-API-Key": key}
    )
    answer.raise_for_status()
    ids = [entity["id"] for entity in answer.json()]
    if not ids:
        raise SystemExit(f"{base} has no {SENSOR_TYPE} entity to write to")
    return ids


def _reading(counter: itertools.count[int]) -> dict[str, object]:
    """One new carbon-monoxide reading observed now (each different, so none is a duplicate)."""
    at = datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    value = 1500.0 + next(counter) % 500
    return {"co": {"type": "Property", "value": value, "observedAt": at, "unitCode": "GQ"}}


def burst(base: str, clients: int, seconds: float, writers: int = 0, key: str = "") -> dict[str, object]:
    """Reads, writes and the probe's tallies and the check after, for one server."""
    reads, writes, probe = Tally(), Tally(), Tally()
    deadline = time.monotonic() + seconds
    sensors = _sensor_ids(base, key) if writers else []
    counter = itertools.count()

    def reader(first: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as http:
            for turn in itertools.count(first):
                if time.monotonic() >= deadline:
                    return
                reads.time(http.get, PAGES[turn % len(PAGES)])

    def writer(first: int) -> None:
        with httpx.Client(base_url=base, timeout=60, headers={"X-API-Key": key}) as http:
            for turn in itertools.count(first):
                if time.monotonic() >= deadline:
                    return
                sensor = sensors[turn % len(sensors)]
                writes.time(http.patch, f"/ngsi-ld/v1/entities/{sensor}/attrs", json=_reading(counter))

    def prober() -> None:
        with httpx.Client(base_url=base, timeout=60) as http:
            while time.monotonic() < deadline:
                probe.time(http.get, "/healthz")
                time.sleep(PROBE_EVERY_S)

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(clients)]
    threads += [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    threads.append(threading.Thread(target=prober))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "reads": reads.summary(seconds),
        "writes": writes.summary(seconds) if writers else None,
        "probe": probe.summary(seconds),
        "after": _check_after(base),
    }


def _check_after(base: str) -> str:
    """Whether "/" answers once the burst is over, and how fast."""
    started = time.perf_counter()
    try:
        after: object = httpx.get(f"{base}/", timeout=60).status_code
    except httpx.HTTPError as error:
        after = type(error).__name__
    return f"{after} in {time.perf_counter() - started:.2f} s"


def _ratio(candidate: float, reference: float) -> str:
    return f"{candidate / reference:.2f}" if reference else "n/a (reference 0)"


def main() -> None:
    """Run the burst on the reference, then on the candidate, and print both and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference")
    parser.add_argument("candidate")
    parser.add_argument("--clients", type=int, default=48)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--writers", type=int, default=0)
    parser.add_argument("--keys", nargs=2, default=("", ""), metavar=("REFERENCE_KEY", "CANDIDATE_KEY"))
    args = parser.parse_args()
    if args.writers and not all(args.keys):
        parser.error("--writers needs --keys: an integrator API key for each server")
    results = {}
    servers = (("reference", args.reference, args.keys[0]), ("candidate", args.candidate, args.keys[1]))
    for name, base, key in servers:
        results[name] = burst(base.rstrip("/"), args.clients, args.seconds, args.writers, key)
        print(name, results[name], flush=True)
        time.sleep(10)  # let the first server's work drain before the second burst
    ref, cand = results["reference"], results["candidate"]
    for kind in ("reads", "writes"):
        if cand[kind]:
            ratio = _ratio(cand[kind]["ok_per_s"], ref[kind]["ok_per_s"])  # type: ignore[index]
            print(f"{kind} answered per second, candidate / reference: {ratio}")
    ratio = _ratio(cand["probe"]["p95_s"], ref["probe"]["p95_s"])  # type: ignore[index]
    print(f"probe (/healthz) p95 latency, candidate / reference: {ratio} (lower is better)")


if __name__ == "__main__":
    main()
