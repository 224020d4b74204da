"""The one clock: "now" in UTC and "today" in the city's time zone (settings.timezone)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from smartcity.core.config import Settings


def now() -> datetime:
    """The current time in UTC, timezone-aware (what is stored)."""
    return datetime.now(UTC)


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def city_zone(settings: Settings | None = None) -> ZoneInfo:
    """The city's time zone, from the settings (the process's settings when none are given)."""
    if settings is None:
        from smartcity.core.config import get_settings

        settings = get_settings()
    return _zone(settings.timezone)


def local(moment: datetime, settings: Settings | None = None) -> datetime:
    """`moment` in the city's time zone; a naive moment is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(city_zone(settings))


def today(settings: Settings | None = None) -> date:
    """Today's date in the city (not the server's date)."""
    return now().astimezone(city_zone(settings)).date()


def local_date(moment: datetime, settings: Settings | None = None) -> date:
    """The city's calendar date of a stored moment."""
    return local(moment, settings).date()
