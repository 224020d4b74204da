"""This process's copies of the lists of units valid on a date (units change with a city-pack load only).

A list is kept per database (by URL), date and level for `UNITS_CACHE_SECONDS`. A load in this process
(`loader.load_city_pack`) forgets them once it has committed; a load in another process (the CLI, another
web worker) is seen here within `UNITS_CACHE_SECONDS`. A read that started before a load is not kept.
"""

from __future__ import annotations

import threading
import time
from datetime import date

from smartcity.city.schemas import AdministrativeUnitRead
from smartcity.core.db import Database

__all__ = ["UNITS_CACHE_SECONDS", "Generation", "cached", "forget", "generation", "keep"]

UNITS_CACHE_SECONDS = 5.0
"""How long a list is served from this process's copy: how late a load by another process is seen."""
MAX_LISTS = 64
"""Lists kept at most (dates asked about, levels, databases); the oldest kept goes first."""

Units = tuple[AdministrativeUnitRead, ...]
Generation = int
_Key = tuple[str, date, str | None]

_lists: dict[_Key, tuple[float, Units]] = {}
_lock = threading.Lock()
_generation = 0


def _now() -> float:
    return time.monotonic()


def cached(db: Database, on: date, level: str | None) -> Units | None:
    """The kept list of `db`'s units valid `on` (of `level`), None when not kept or kept too long."""
    entry = _lists.get((db.url, on, level))
    if entry is None or _now() - entry[0] >= UNITS_CACHE_SECONDS:
        return None
    return entry[1]


def generation() -> Generation:
    """A mark to take before reading units from the database, and to give to `keep`."""
    return _generation


def keep(db: Database, on: date, level: str | None, units: Units, read_since: Generation) -> None:
    """Keep a list read from the database, unless units were forgotten since `read_since` was taken."""
    with _lock:
        if read_since != _generation:
            return
        _lists.pop((db.url, on, level), None)
        while len(_lists) >= MAX_LISTS:
            del _lists[next(iter(_lists))]
        _lists[(db.url, on, level)] = (_now(), units)


def forget(db: Database) -> None:
    """Drop this process's lists of `db` (its units were written): the next read goes to the database."""
    global _generation
    with _lock:
        _generation += 1
        for key in [key for key in _lists if key[0] == db.url]:
            del _lists[key]
