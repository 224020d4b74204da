"""Periodic jobs of the open-data catalogue: regenerate every dataset's resource files."""

from __future__ import annotations

from datetime import timedelta

from smartcity.core.db import Database
from smartcity.core.scheduler import every
from smartcity.opendata import service


def regenerate(db: Database) -> int:
    """Rebuild the CSV, XLSX and GeoJSON files of every dataset; returns how many files were written."""
    return service.regenerate(db, db.settings)


TASKS, INTERVALS = every(("opendata.regenerate", regenerate, timedelta(hours=1)))
