"""The contract between a domain's kpis.py and the operations centre: what an indicator is.

A domain offers its indicators as `INDICATORS: list[Indicator]` in its kpis.py; the operations centre
collects them (`smartcity.domains.collect("kpis", "INDICATORS")`), computes them on schedule and keeps
their series. `compute` returns one value for the whole city (`ward=None`) and, where the domain knows
places, one per ward valid on `context.on` (the unit of date).

An indicator that `accumulates` is a total over its period (dossiers received, hours of congestion): it
grows while the period runs, so a period still running (today at 00:05: 0) is not yet its value, and the
centre shows the latest complete period. Shares, averages and states (open alarms) are whole at any time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from smartcity.core import clock
from smartcity.core.i18n import in_language

if TYPE_CHECKING:
    from smartcity.core.config import Settings
    from smartcity.core.db import Database

Direction = Literal["up", "down"]
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class KpiContext:
    """What an indicator is computed for: the period [start, end) and the day whose wards count."""

    settings: Settings
    start: datetime
    end: datetime
    on: date
    # Figures made once for a pass over many indicators (see `reuse`); the centre passes one dict per pass.
    shared: dict[Hashable, Any] = field(default_factory=dict, compare=False, repr=False)

    def reuse(self, key: Hashable, make: Callable[[], T]) -> T:
        """What `make` returns, made once per pass: indicators computed together share an expensive figure
        (the schools' table of one day serves nine education indicators) under a key naming it and its day."""
        if key not in self.shared:
            self.shared[key] = make()
        result: T = self.shared[key]
        return result

    def local_days(self) -> tuple[date, date]:
        """The period's start and end as days in the city (a day's figures belong to its local date)."""
        return clock.local_date(self.start, self.settings), clock.local_date(self.end, self.settings)


@dataclass(frozen=True)
class KpiValue:
    """One value of an indicator: for a ward (its code) or the city (None)."""

    value: float | None
    ward: str | None = None
    numerator: float | None = None
    denominator: float | None = None

    @classmethod
    def share(
        cls, part: float, whole: float, ward: str | None = None, *, scale: float = 100.0, digits: int = 2
    ) -> KpiValue:
        """part / whole × scale (None when whole is 0); part and whole kept as numerator and denominator."""
        return cls(round(scale * part / whole, digits) if whole else None, ward, float(part), float(whole))


@dataclass(frozen=True)
class Indicator:
    """One indicator a domain offers: its words, unit, direction of good, target and how to compute it."""

    code: str  # "<domain>.<name>", stable
    name_vi: str
    name_en: str
    unit: str  # "%", "count", "VND", "µg/m³", "kWh/km", ...
    formula_vi: str  # the formula in words
    direction: Direction  # which way is good
    compute: Callable[[Database, KpiContext], list[KpiValue]]
    target: float | None = None
    iso_reference: str | None = None  # e.g. "ISO 37122:2019, 19.1"
    frequency: Literal["hourly", "daily", "monthly"] = "daily"
    thresholds: tuple[float, ...] = field(default_factory=tuple)  # warning levels, in the unit
    accumulates: bool = False  # a total over the period: only a complete period is its value
    formula_en: str = ""  # the formula in English words (English pages; formula_vi while it is missing)

    @property
    def domain(self) -> str:
        """The domain that offers the indicator (the code's first part)."""
        return self.code.split(".", 1)[0]

    def name(self, locale: str) -> str:
        """The indicator's name in the page's language."""
        return self.name_en if locale == "en" else self.name_vi

    def formula(self, locale: str) -> str:
        """The formula in the page's language: English when it is written, else Vietnamese."""
        return in_language(self.formula_vi, self.formula_en, locale)


def per_ward(
    tallies: Callable[[Database, KpiContext], Mapping[str | None, T]],
    pick: Callable[[T], KpiValue],
    empty: KpiValue,
) -> Callable[[Database, KpiContext], list[KpiValue]]:
    """An indicator's `compute` from tallies by ward code (None for the city): `pick` of each tally, with its
    ward; `empty` when the period has none."""

    def compute(db: Database, ctx: KpiContext) -> list[KpiValue]:
        return [replace(pick(tally), ward=ward) for ward, tally in tallies(db, ctx).items()] or [empty]

    return compute


def by_ward(
    rows: Iterable[R], ward: Callable[[R], str | None], add: Callable[[T, R], object], new: Callable[[], T]
) -> dict[str | None, T]:
    """Tallies by ward code and for the city (None): each row is `add`ed to its ward's tally (`new` at first)
    and to the city's."""
    tallies: dict[str | None, T] = defaultdict(new)
    for row in rows:
        for key in {None, ward(row)}:
            add(tallies[key], row)
    return tallies


def share_of(items: Collection[T], counts: Callable[[T], bool]) -> list[KpiValue]:
    """The city's share (%, one decimal) of `items` that `counts`; no value when there are no items."""
    if not items:
        return [KpiValue(None)]
    return [KpiValue.share(sum(1 for item in items if counts(item)), len(items), digits=1)]
