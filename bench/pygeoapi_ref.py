"""pygeoapi as the reference of the OGC API Features bench: same PostGIS rows, same server and workers.

pygeoapi is installed from the package registry into its own environment (`var/bench-pygeoapi-venv`,
created on first use with `python -m venv` and pip; never into the project's environment) and serves the
platform's parcel layer through its PostgreSQL provider: a view over the platform's own tables
(`gis_features` for the properties, `gis_index.feature_geometry` for the PostGIS geometry the platform's
bbox queries use), so both servers read the same rows through the same spatial index.

    .venv/bin/python bench/pygeoapi_ref.py --check     # create the environment, print its version
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / "var" / "bench-pygeoapi-venv"
# pygeoapi and what its starlette app and PostgreSQL provider import (pinned: the reference must not move)
PACKAGES = (
    "pygeoapi==0.21.0",
    "starlette==1.10.0",
    "uvicorn==0.55.0",
    "uvloop",
    "httptools",
    "GeoAlchemy2==0.20.0",
    "psycopg2-binary==2.9.13",
)
VIEW = "bench_pygeoapi_parcels"


def python() -> Path:
    """The interpreter of pygeoapi's environment."""
    return VENV / "bin" / "python"


def ensure_environment() -> str:
    """Create pygeoapi's own environment if it is missing; return the installed pygeoapi version."""
    if not python().exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)  # noqa: S603
    probe = [
        str(python()),
        "-c",
        "import pygeoapi, starlette, geoalchemy2, psycopg2; print(pygeoapi.__version__)",
    ]
    found = subprocess.run(probe, capture_output=True, text=True)  # noqa: S603
    if found.returncode != 0:
        pip = [str(python()), "-m", "pip", "install", "--disable-pip-version-check", "-q", *PACKAGES]
        subprocess.run(pip, check=True)  # noqa: S603
        found = subprocess.run(probe, capture_output=True, text=True, check=True)  # noqa: S603
    return found.stdout.strip()


def create_view(db: Any, slug: str = "land-parcels") -> list[str]:
    """The parcel layer as one view (id, each property as a column, PostGIS geom); returns the properties."""
    with db.engine.begin() as conn:
        layer_id = conn.execute(text("SELECT id FROM gis_layers WHERE slug = :s"), {"s": slug}).scalar_one()
        names = sorted(
            conn.execute(
                text("SELECT DISTINCT jsonb_object_keys(properties) FROM gis_features WHERE layer_id = :l"),
                {"l": layer_id},
            ).scalars()
        )
        columns = "".join(f", f.properties -> '{name}' AS \"{name}\"" for name in names)
        conn.execute(text(f"DROP VIEW IF EXISTS {VIEW}"))
        conn.execute(
            text(
                f"CREATE VIEW {VIEW} AS SELECT f.id{columns}, g.geom FROM gis_features f "
                f"JOIN gis_index.feature_geometry g ON g.id = f.id WHERE f.layer_id = {int(layer_id)}"
            )
        )
    return names


def write_config(directory: Path, database_url: str, port: int, bbox: list[float]) -> dict[str, str]:
    """pygeoapi's configuration and OpenAPI document; returns the environment variables naming them."""
    url = make_url(database_url)
    config = {
        "server": {
            "bind": {"host": "127.0.0.1", "port": port},
            "url": f"http://127.0.0.1:{port}",
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "language": "en-US",
            "cors": False,
            "pretty_print": False,
            "limits": {"default_items": 10, "max_items": 10000},
            "map": {"url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "attribution": "OSM"},
        },
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {
                "title": "bench",
                "description": "reference of the smart-city OGC bench",
                "keywords": ["bench"],
                "keywords_type": "theme",
                "terms_of_service": "https://example.org",
                "url": "https://example.org",
            },
            "license": {"name": "CC-BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
            "provider": {"name": "bench", "url": "https://example.org"},
            "contact": {"name": "bench", "email": "bench@example.org", "url": "https://example.org"},
        },
        "resources": {
            "land-parcels": {
                "type": "collection",
                "title": "Parcels",
                "description": "The platform's parcel layer (same rows)",
                "keywords": ["parcels"],
                "extents": {"spatial": {"bbox": bbox, "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
                "providers": [
                    {
                        "type": "feature",
                        "name": "PostgreSQL",
                        "data": {
                            "host": url.host or "127.0.0.1",
                            "port": url.port or 5432,
                            "dbname": url.database,
                            "user": url.username or "postgres",
                            "password": url.password or "",
                            "search_path": ["public"],
                        },
                        "id_field": "id",
                        "table": VIEW,
                        "geom_field": "geom",
                    }
                ],
            }
        },
    }
    config_path, openapi_path = directory / "pygeoapi.yml", directory / "pygeoapi-openapi.yml"
    config_path.write_text(json.dumps(config), encoding="utf-8")  # JSON is YAML
    pygeoapi = str(python().parent / "pygeoapi")
    command = [pygeoapi, "openapi", "generate", str(config_path), "--output-file", str(openapi_path)]
    subprocess.run(command, check=True, capture_output=True, env=dict(os.environ))  # noqa: S603
    return {"PYGEOAPI_CONFIG": str(config_path), "PYGEOAPI_OPENAPI": str(openapi_path)}


def main() -> None:
    """Command line entry: make sure the environment exists."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true")
    parser.parse_args()
    print(f"pygeoapi {ensure_environment()} in {VENV}")


if __name__ == "__main__":
    main()
