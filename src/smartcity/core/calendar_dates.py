"""Local dates for a time zone (the city's day, not the server's)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo


def today_local(timezone: str) -> date:
    """Today's date in `timezone` (e.g. Asia/Ho_Chi_Minh)."""
    return datetime.now(ZoneInfo(timezone)).date()
