"""A burst of browsers against two running servers, one after the other: a reference and a candidate.

    python bench/burst.py REFERENCE_URL CANDIDATE_URL [--clients 48] [--seconds 60]

Start both with the demo (for example the last release in a git worktree on port 8094 and this checkout on
8095, each with its own SMARTCITY_DATA_DIR), let them load, then run this. Each of `clients` threads asks in
turn for heavy public pages and documents (open-data RDF, CKAN, the catalogue, maps) for `seconds`; after
the burst one request for "/" shows whether the server answers again. Prints a line per server (answers by
status, latency median/p95/max, the check after) and the candidate's answered-per-second as a ratio of the
reference's.
"""

from __future__ import annotations

import argparse
import collections
import threading
import time

import httpx

PAGES = (
    "/ckan/api/3/action/package_show?id=dossiers-monthly",
    "/opendata/dataset/dossiers-monthly.ttl",
    "/opendata/dataset/dossiers-monthly.jsonld",
    "/opendata/dataset/education-fee-collection.ttl",
    "/thu-tuc",
    "/feedback",
    "/cong-trinh",
    "/ogc/collections/land-parcels/items?limit=500",
    "/api/v1/gis/base-map.geojson",
    "/du-lieu-mo",
    "/",
)


def burst(base: str, clients: int, seconds: float) -> dict[str, object]:
    """Answers by status (or exception name), latencies and the check after, for one server."""
    answers: collections.Counter[object] = collections.Counter()
    latencies: list[float] = []
    lock, deadline = threading.Lock(), time.monotonic() + seconds

    def client(first: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as http:
            turn = first
            while time.monotonic() < deadline:
                started = time.perf_counter()
                try:
                    status: object = http.get(PAGES[turn % len(PAGES)]).status_code
                except httpx.HTTPError as error:
                    status = type(error).__name__
                turn += 1
                with lock:
                    answers[status] += 1
                    latencies.append(time.perf_counter() - started)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    started = time.perf_counter()
    try:
        after: object = httpx.get(f"{base}/", timeout=60).status_code
    except httpx.HTTPError as error:
        after = type(error).__name__
    return {
        "answers": dict(answers),
        "median_s": round(latencies[len(latencies) // 2], 2),
        "p95_s": round(latencies[int(len(latencies) * 0.95)], 2),
        "max_s": round(latencies[-1], 2),
        "after": f"{after} in {time.perf_counter() - started:.2f} s",
        "ok_per_s": round(answers[200] / seconds, 1),
    }


def main() -> None:
    """Run the burst on the reference, then on the candidate, and print both and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference")
    parser.add_argument("candidate")
    parser.add_argument("--clients", type=int, default=48)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    results = {}
    for name, base in (("reference", args.reference), ("candidate", args.candidate)):
        results[name] = burst(base.rstrip("/"), args.clients, args.seconds)
        print(name, results[name], flush=True)
        time.sleep(10)  # let the first server's work drain before the second burst
    reference = results["reference"]["ok_per_s"] or 1e-9
    print(f"answered per second, candidate / reference: {results['candidate']['ok_per_s'] / reference:.1f}")


if __name__ == "__main__":
    main()
