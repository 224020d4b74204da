"""The web process imports heavy libraries only when a request needs them (resident memory at rest)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import TEST_SECRET

# Each costs a web process 20–100 MiB at rest, and only rare requests use it.
IMPORTED_ON_FIRST_USE = ("pandas", "pyogrio", "openpyxl", "ortools", "rdflib", "fhir")


def test_the_web_app_starts_without_the_libraries_of_rare_requests(tmp_path: Path) -> None:
    script = "import sys, json; import smartcity.web.asgi; print(json.dumps(sorted(sys.modules)))"
    env = dict(os.environ, SMARTCITY_DATA_DIR=str(tmp_path / "var"), SMARTCITY_SECRET_KEY=TEST_SECRET)
    env.pop("SMARTCITY_DATABASE_URL", None)
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True, timeout=120
    )
    loaded = {name.split(".")[0] for name in json.loads(out.stdout.strip().splitlines()[-1])}
    assert "smartcity" in loaded
    assert loaded.isdisjoint(IMPORTED_ON_FIRST_USE), sorted(loaded & set(IMPORTED_ON_FIRST_USE))
