"""Periodic jobs of the open-data catalogue: regenerate every dataset's resource files."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from smartcity.core.db import Database
from smartcity.opendata import service


def regenerate(db: Database) -> int:
    """Rebuild the CSV, XLSX and GeoJSON files of every dataset; returns how many files were written."""
    return service.regenerate(db, db.settings)


TASKS: dict[str, Callable[[Database], int]] = {"opendata.regenerate": regenerate}
INTERVALS = {"opendata.regenerate": timedelta(hours=1)}
