"""Seconds from `smartcity demo` start to the first 200 from `/`, beside the bare app in the same run.

    PYTHONPATH=src .venv/bin/python bench/demo_first_page.py --port 8765

Each run uses a fresh data directory. The reference is the same server without demo data:
`smartcity db upgrade` then `smartcity serve`, timed from the first command to the first 200 from `/`.
Nothing is asserted (timings are not tests); the ratio is printed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

SMARTCITY = Path(sys.executable).with_name("smartcity")


def _environment(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ, SMARTCITY_DATA_DIR=str(data_dir))
    env.pop("SMARTCITY_DATABASE_URL", None)
    return env


def _first_page(url: str, process: subprocess.Popen[bytes], *, timeout: float) -> float | None:
    """Poll `url` until it answers 200; the monotonic time it did, or None if the server died or timed out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return time.monotonic()
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return None


def _timed(commands: list[list[str]], url: str, data_dir: Path, *, timeout: float) -> float | None:
    """Run the commands (all but the last to completion), then wait for the last one's first page."""
    env = _environment(data_dir)
    started = time.monotonic()
    for command in commands[:-1]:
        subprocess.run(  # noqa: S603  (our own console script)
            command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
    with subprocess.Popen(  # noqa: S603  (our own console script)
        commands[-1], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    ) as process:
        try:
            answered = _first_page(url, process, timeout=timeout)
        finally:
            process.terminate()
            process.wait(timeout=30)
    return None if answered is None else answered - started


def main() -> None:
    """Measure the bare app, then the demo, and print both with their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    url = f"http://127.0.0.1:{args.port}/"
    serve = [str(SMARTCITY), "serve", "--port", str(args.port)]
    demo = [str(SMARTCITY), "demo", "--port", str(args.port)]
    with tempfile.TemporaryDirectory(prefix="demo-bench-") as workdir:
        bare = _timed(
            [[str(SMARTCITY), "db", "upgrade"], serve], url, Path(workdir) / "bare", timeout=args.timeout
        )
        full = _timed([demo], url, Path(workdir) / "demo", timeout=args.timeout)
    print(f"bare app (migrate + serve), first 200 from /: {_seconds(bare)}")
    print(f"smartcity demo, first 200 from /:            {_seconds(full)}")
    if bare and full:
        print(f"ratio demo / bare: {full / bare:.1f}×  (target: demo ≤ 30 s)")


def _seconds(value: float | None) -> str:
    return "did not answer" if value is None else f"{value:.1f} s"


if __name__ == "__main__":
    main()
