"""A load generator in its own process: `clients` asyncio httpx clients call one URL for `seconds`.

    python bench/load.py URL --seconds 5 --clients 8 [--header 'Authorization: Bearer ...']

Prints one JSON line: requests, errors, seconds, rate (requests/s), p50 and p99 latency in ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import httpx


async def _client(
    client: httpx.AsyncClient, url: str, deadline: float, latencies: list[float], errors: list[int]
) -> None:
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        response = await client.get(url)
        latencies.append(time.perf_counter() - started)
        if response.status_code != 200:
            errors.append(response.status_code)


async def run(url: str, seconds: float, clients: int, headers: dict[str, str]) -> dict[str, float]:
    """Load `url` with `clients` concurrent keep-alive connections for `seconds`."""
    latencies: list[float] = []
    errors: list[int] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=30) as client:
        await client.get(url)  # warm the connection and the server
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(_client(client, url, deadline, latencies, errors) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    count = len(latencies)
    return {
        "requests": count,
        "errors": len(errors),
        "seconds": round(elapsed, 3),
        "rate": round(count / elapsed, 1),
        "p50_ms": round(latencies[count // 2] * 1000, 2) if count else 0.0,
        "p99_ms": round(latencies[int(count * 0.99)] * 1000, 2) if count else 0.0,
    }


def main() -> None:
    """Command line entry."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--header", action="append", default=[])
    args = parser.parse_args()
    headers = dict(h.split(": ", 1) for h in args.header)
    print(json.dumps(asyncio.run(run(args.url, args.seconds, args.clients, headers))))


if __name__ == "__main__":
    main()
