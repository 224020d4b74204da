"""How fast each container fills, by day of week, from its own history; when it will be full. Pure."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

EMPTIED_DROP = 15.0  # a fall of more than this many points between readings is an emptying, not noise


@dataclass(frozen=True)
class Rates:
    """Mean fill added per day (percentage points) for each weekday (0 Monday), and overall."""

    by_weekday: dict[int, float]
    overall: float
    days_seen: int

    def rate(self, weekday: int) -> float:
        """The expected rise on a weekday (its own mean, else the overall mean)."""
        return self.by_weekday.get(weekday, self.overall)


def daily_rises(
    readings: Sequence[tuple[datetime, float]], *, local_date: Callable[[datetime], date]
) -> dict[date, float]:
    """The fill added on each local day: the sum of rises between consecutive readings (emptyings skipped)."""
    rises: dict[date, float] = defaultdict(float)
    ordered = sorted(readings)
    for (_t0, before), (t1, after) in itertools.pairwise(ordered):
        change = after - before
        if change > 0:
            rises[local_date(t1)] += change
        elif change > -EMPTIED_DROP:
            continue  # sensor noise or settling
    return dict(rises)


def fill_rates(rises: dict[date, float], *, complete_days: set[date] | None = None) -> Rates:
    """Mean daily rise per weekday over the days observed in full."""
    days = [d for d in rises if complete_days is None or d in complete_days]
    per_weekday: dict[int, list[float]] = defaultdict(list)
    for day in days:
        per_weekday[day.weekday()].append(rises[day])
    overall = sum(rises[d] for d in days) / len(days) if days else 0.0
    return Rates({w: sum(v) / len(v) for w, v in per_weekday.items()}, overall, len(days))


def forecast_fill(current: float, rates: Rates, *, now: datetime, until: datetime) -> float:
    """The fill expected at `until`: the current fill plus each day's rate for the part of it that passes."""
    fill, moment = current, now
    while moment < until:
        next_midnight = datetime.combine(
            moment.date() + timedelta(days=1), datetime.min.time(), moment.tzinfo
        )
        end = min(next_midnight, until)
        fill += rates.rate(moment.weekday()) * (end - moment).total_seconds() / 86400
        moment = end
    return min(fill, 100.0)


def hours_until_full(current: float, rates: Rates, *, now: datetime, full: float = 100.0) -> float | None:
    """Hours until the container reaches `full` at its weekday rates (None if it does not fill in 14 days)."""
    if current >= full:
        return 0.0
    moment, fill = now, current
    for _ in range(14 * 24):
        fill += rates.rate(moment.weekday()) / 24
        moment += timedelta(hours=1)
        if fill >= full:
            return (moment - now).total_seconds() / 3600
    return None
