"""NGSI-LD temporal representation (ETSI GS CIM 009 §4.5.9-4.5.19) over the stored telemetry.

Supports timerel (before, after, between) with timeAt/endTimeAt, attrs, lastN, the normalized and the
simplified (options=temporalValues) representations, and the aggregated one (aggrMethods min, max, avg,
sum, totalCount over aggrPeriodDuration periods aligned on UTC multiples of the period; without a period,
one aggregate over the whole range).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from smartcity.core.db import Database, utcnow
from smartcity.iot import service
from smartcity.iot.device_types import device_types
from smartcity.iot.device_types.base import NUMBER
from smartcity.iot.models import Device
from smartcity.iot.ngsi import UNIT_CODES, BadRequestData, OperationNotSupported, entity_id

AGGREGATION_METHODS = ("totalCount", "sum", "avg", "min", "max")
MAX_INSTANCES = 1000
AFTER = timedelta(microseconds=1)  # "after" excludes timeAt itself; stored times are inclusive
WHOLE_RANGE_S = 2**30  # "the whole range": periods this long are merged into one (fits in int32)
_DURATION = re.compile(
    r"P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?"
)


@dataclass(frozen=True)
class TemporalQuery:
    """What a temporal request asks for."""

    start: datetime | None = None
    end: datetime | None = None
    attrs: frozenset[str] | None = None
    last_n: int | None = None
    simplified: bool = False
    methods: tuple[str, ...] = ()
    period_s: int | None = None
    after: bool = False

    @property
    def shown_start(self) -> datetime | None:
        """The start of the range as the caller gave it (timeAt, also for "after")."""
        return self.start - AFTER if self.start and self.after else self.start

    @property
    def aggregated(self) -> bool:
        """True when aggregated values are asked for."""
        return bool(self.methods)


def parse_query(params: Any) -> TemporalQuery:
    """The temporal query of request parameters (timerel, timeAt, endTimeAt, attrs, lastN, options...)."""
    unsupported = [p for p in ("q", "georel", "geometry", "coordinates", "timeproperty") if params.get(p)]
    if unsupported:
        raise OperationNotSupported(f"the temporal API here does not support {', '.join(unsupported)}")
    start, end = _time_range(params.get("timerel"), params.get("timeAt"), params.get("endTimeAt"))
    options = {o.strip() for o in (params.get("options") or "").split(",") if o.strip()}
    unknown = options - {"temporalValues", "aggregatedValues", "sysAttrs", "keyValues"}
    if unknown:
        raise BadRequestData(f"options {', '.join(sorted(unknown))} are not supported")
    methods = _methods(params.get("aggrMethods"), "aggregatedValues" in options)
    attrs = (
        frozenset(a.strip() for a in params["attrs"].split(",") if a.strip()) if params.get("attrs") else None
    )
    return TemporalQuery(
        start=start,
        end=end,
        attrs=attrs or None,
        last_n=_last_n(params.get("lastN")),
        simplified="temporalValues" in options,
        methods=methods,
        period_s=_period(params.get("aggrPeriodDuration")) if methods else None,
        after=params.get("timerel") == "after",
    )


def _time_range(
    timerel: str | None, time_at: str | None, end_time_at: str | None
) -> tuple[datetime | None, datetime | None]:
    if not timerel:
        if time_at or end_time_at:
            raise BadRequestData("timeAt needs timerel (before, after or between)")
        return None, None
    if timerel not in ("before", "after", "between"):
        raise BadRequestData("timerel must be before, after or between")
    at = _moment(time_at, "timeAt")
    if timerel == "before":
        return None, at
    if timerel == "after":
        return at + AFTER, None
    until = _moment(end_time_at, "endTimeAt")
    if until <= at:
        raise BadRequestData("endTimeAt must come after timeAt")
    return at, until


def _moment(raw: str | None, name: str) -> datetime:
    if not raw:
        raise BadRequestData(f"{name} is required with this timerel")
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequestData(f"{name} must be an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        raise BadRequestData(f"{name} needs a time zone (for example Z)")
    return moment.astimezone(UTC)


def _last_n(raw: str | None) -> int | None:
    if raw is None:
        return None
    if not re.fullmatch(r"\d+", raw) or not 1 <= int(raw) <= MAX_INSTANCES:
        raise BadRequestData(f"lastN must be an integer from 1 to {MAX_INSTANCES}")
    return int(raw)


def _methods(raw: str | None, asked: bool) -> tuple[str, ...]:
    if not raw:
        if asked:
            raise BadRequestData("options=aggregatedValues needs aggrMethods")
        return ()
    methods = tuple(m.strip() for m in raw.split(",") if m.strip())
    wrong = [m for m in methods if m not in AGGREGATION_METHODS]
    if wrong or not methods:
        raise BadRequestData(f"aggrMethods must be among {', '.join(AGGREGATION_METHODS)}")
    return methods


def parse_duration(raw: str) -> int:
    """Seconds in an ISO 8601 duration of weeks, days, hours, minutes and seconds (P1D, PT15M...)."""
    match = _DURATION.fullmatch(raw)
    if not match or raw in ("P", "PT") or raw.endswith("T"):
        raise BadRequestData("aggrPeriodDuration must be an ISO 8601 duration such as PT1H or P1D")
    parts = {k: int(v or 0) for k, v in match.groupdict().items()}
    return int(timedelta(**parts).total_seconds())


def _period(raw: str | None) -> int:
    seconds = parse_duration(raw) if raw else 0
    return seconds or WHOLE_RANGE_S


# ---------------------------------------------------------------- representation


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def temporal_entity(db: Database, device: Device, query: TemporalQuery) -> dict[str, Any]:
    """The temporal representation of a device's telemetry for a query."""
    kind = device_types()[device.type]
    entity: dict[str, Any] = {"id": entity_id(device), "type": kind.sdm_type}
    for key in kind.keys:
        if query.attrs is not None and key.name not in query.attrs:
            continue
        unit = UNIT_CODES.get(key.unit or "")
        if query.aggregated:
            if key.kind == NUMBER:
                aggregated = _aggregated(db, device.id, key.name, query)
                if aggregated:
                    entity[key.name] = aggregated
            continue
        instances = _instances(db, device.id, key.name, query)
        if instances:
            entity[key.name] = _values(instances, unit, query.simplified)
    return entity


def _instances(db: Database, device_id: str, key: str, query: TemporalQuery) -> list[dict[str, Any]]:
    """Stored values of a key, oldest first (the newest lastN when asked)."""
    rows = service.telemetry(
        db,
        device_id=device_id,
        key=key,
        start=query.start,
        end=query.end,
        limit=query.last_n or MAX_INSTANCES,
    )
    return list(reversed(rows))


def _values(instances: list[dict[str, Any]], unit: str | None, simplified: bool) -> Any:
    if simplified:
        return {"type": "Property", "values": [[i["value"], _stamp(i["ts"])] for i in instances]}
    return [
        {
            "type": "Property",
            "value": i["value"],
            "observedAt": _stamp(i["ts"]),
            **({"unitCode": unit} if unit else {}),
        }
        for i in instances
    ]


def _aggregated(db: Database, device_id: str, key: str, query: TemporalQuery) -> dict[str, Any] | None:
    period = query.period_s or WHOLE_RANGE_S
    buckets = service.aggregates_every(
        db,
        device_id=device_id,
        key=key,
        seconds=period,
        start=query.start,
        end=query.end,
        limit=MAX_INSTANCES,
    )
    buckets = [b for b in buckets if b["count"]]
    if not buckets:
        return None
    if period == WHOLE_RANGE_S:
        buckets = [_merged(buckets)]
    result: dict[str, Any] = {"type": "Property"}
    for method in query.methods:
        result[method] = [[_aggregate(b, method), *_bounds(b["start"], period, query)] for b in buckets]
    return result


def _merged(buckets: list[dict[str, Any]]) -> dict[str, Any]:
    """One aggregate of several periods."""
    count = sum(b["count"] for b in buckets)
    total = sum(float(b["sum"]) for b in buckets)
    return {
        "start": buckets[0]["start"],
        "count": count,
        "sum": total,
        "avg": total / count,
        "min": min(b["min"] for b in buckets),
        "max": max(b["max"] for b in buckets),
    }


def _aggregate(bucket: dict[str, Any], method: str) -> Any:
    if method == "totalCount":
        return bucket["count"]
    value = bucket[method]
    return float(value) if value is not None else None


def _bounds(start: datetime, period: int, query: TemporalQuery) -> list[str]:
    """The start and end of a period, clipped to the range asked for."""
    if period == WHOLE_RANGE_S:
        begin = query.shown_start or datetime(1970, 1, 1, tzinfo=UTC)
        return [_stamp(begin), _stamp(query.end or utcnow())]
    end = start + timedelta(seconds=period)
    if query.start and query.start > start:
        start = query.shown_start or start
    if query.end and query.end < end:
        end = query.end
    return [_stamp(start), _stamp(end)]
