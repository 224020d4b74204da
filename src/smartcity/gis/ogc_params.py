"""The query parameters of OGC API - Features read and checked: bbox, datetime, limit, offset and CRS; a bad
one is an OGCException (400 with the OGC exception body)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from fastapi import Request

from smartcity.core.errors import AppError, BadRequest
from smartcity.gis.config import get_gis_settings
from smartcity.gis.crs import CRS84, SUPPORTED_CRS, normalise_crs
from smartcity.gis.store import Period

ITEM_PARAMETERS = {"f", "bbox", "bbox-crs", "datetime", "limit", "offset", "crs", "lang"}
MAX_OFFSET = 2**53  # larger is no page of any layer (and overflows the databases' integers)
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


class OGCException(AppError):
    """An error answered in the OGC exception format (code, description)."""

    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(description)
        self.status, self.code = status, code


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """Four (or six, with heights) numbers: min x, min y, [min z,] max x, max y, [max z]."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) not in (4, 6) or not all(_NUMBER.match(p) for p in parts):
        raise OGCException(400, "InvalidParameterValue", "bbox must be 4 or 6 comma-separated numbers")
    values = [float(p) for p in parts]
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    a, b, c, d = values
    if b > d or a > c:
        raise OGCException(400, "InvalidParameterValue", "bbox minimum is larger than its maximum")
    return (a, b, c, d)


def _parse_instant(text: str) -> date:
    try:
        if "T" in text:
            return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).date()
        return date.fromisoformat(text)
    except ValueError as exc:
        raise OGCException(400, "InvalidParameterValue", f"datetime: {text!r} is not RFC 3339") from exc


def parse_datetime(text: str) -> Period:
    """An instant or an interval (start/end, either '..' or empty for open) as a date period."""
    if "/" not in text:
        day = _parse_instant(text)
        return Period(day, day)
    start, _, end = text.partition("/")
    first = None if start in ("", "..") else _parse_instant(start)
    last = None if end in ("", "..") else _parse_instant(end)
    if first and last and first > last:
        raise OGCException(400, "InvalidParameterValue", "datetime interval ends before it starts")
    return Period(first, last)


def parse_limit(text: str | None) -> int:
    """The page size: default from settings; larger than the maximum is clamped to it (not an error)."""
    settings = get_gis_settings()
    if text is None:
        return settings.ogc_default_limit
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise OGCException(400, "InvalidParameterValue", "limit must be a positive integer")
    return min(int(text), settings.ogc_max_limit)


def parse_offset(text: str | None) -> int:
    """The page's first feature (0 by default), at most MAX_OFFSET."""
    if text is None:
        return 0
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_OFFSET:
        raise OGCException(400, "InvalidParameterValue", f"offset must be an integer from 0 to {MAX_OFFSET}")
    return int(text)


def crs_param(request: Request, name: str) -> str:
    """The CRS named by query parameter `name` (default CRS84), if the API offers it."""
    value = request.query_params.get(name)
    if value is None:
        return CRS84
    try:
        uri = normalise_crs(value)
    except BadRequest as exc:
        raise OGCException(400, "InvalidParameterValue", f"{name}: {exc.detail}") from exc
    if uri not in SUPPORTED_CRS:
        raise OGCException(
            400, "InvalidParameterValue", f"{name}: {value} is not offered; see the collection's crs"
        )
    return uri
