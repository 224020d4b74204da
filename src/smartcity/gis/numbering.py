"""House numbering (Circular 08/2024/TT-BXD as summarised in shared/GLOSSARY.md).

Houses are numbered from the street's start: odd numbers on the left, even on the right, increasing
with the position along the street. A house built between two numbered houses takes a free number
between them when there is one (chosen in proportion to where it stands, so that later infill still
finds room), else a sub-number of the house before it: 12A, 12B... (letter style) or 12/1, 12/2...
(slash style, configurable).
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass

from shapely.geometry import LineString, Point

LEFT, RIGHT = "left", "right"
_PATTERN = re.compile(r"^\s*(\d+)\s*(?:([A-Za-z])|/\s*(\d+))?\s*$")


class NumberingProblem(ValueError):
    """No number can be given without a decision by an official (the reason says why)."""


@dataclass(frozen=True, order=True)
class HouseNumber:
    """A house number: the base number and an optional sub-number (letter or /n)."""

    base: int
    sub: int = 0  # 0: none; 1 = A or /1, 2 = B or /2 ...
    style: str = "letter"

    def __str__(self) -> str:
        if not self.sub:
            return str(self.base)
        if self.style == "slash":
            return f"{self.base}/{self.sub}"
        return f"{self.base}{string.ascii_uppercase[self.sub - 1]}"

    @classmethod
    def parse(cls, text: str) -> HouseNumber:
        """Read '12', '12A' or '12/3'; raises ValueError otherwise."""
        match = _PATTERN.match(text)
        if not match or int(match.group(1)) <= 0:
            raise ValueError(f"not a house number: {text!r}")
        base = int(match.group(1))
        if match.group(2):
            return cls(base, string.ascii_uppercase.index(match.group(2).upper()) + 1, "letter")
        if match.group(3):
            return cls(base, int(match.group(3)), "slash")
        return cls(base)


@dataclass(frozen=True)
class Frontage:
    """Where a house stands relative to its street: metres from the start, side, distance off."""

    chainage_m: float
    side: str
    offset_m: float


@dataclass(frozen=True)
class NumberedHouse:
    """An existing house on one side of the street."""

    number: HouseNumber
    chainage_m: float


def frontage(street: LineString, house: Point) -> Frontage:
    """Project a house onto its street (both in metres): chainage, left/right of travel, offset."""
    chainage = float(street.project(house))
    step = min(0.5, street.length / 2)
    ahead = street.interpolate(min(street.length, chainage + step))
    behind = street.interpolate(max(0.0, chainage - step))
    dx, dy = ahead.x - behind.x, ahead.y - behind.y
    cross = dx * (house.y - behind.y) - dy * (house.x - behind.x)
    return Frontage(chainage, LEFT if cross > 0 else RIGHT, float(street.distance(house)))


def first_number(side: str) -> int:
    """1 on the left, 2 on the right."""
    return 1 if side == LEFT else 2


def sequential_numbers(count: int, side: str) -> list[HouseNumber]:
    """The numbers of `count` houses on one side of a new street, from its start."""
    start = first_number(side)
    return [HouseNumber(start + 2 * i) for i in range(count)]


def propose_number(
    houses: Sequence[NumberedHouse], *, chainage_m: float, side: str, style: str = "letter"
) -> HouseNumber:
    """The number for a new house at `chainage_m` on `side`, given the numbered houses on that side."""
    ordered = sorted(houses, key=lambda h: h.chainage_m)
    before = [h for h in ordered if h.chainage_m <= chainage_m]
    after = [h for h in ordered if h.chainage_m > chainage_m]
    prev, nxt = (before[-1] if before else None), (after[0] if after else None)
    start = first_number(side)
    prev_base = prev.number.base if prev else start - 2
    if nxt is None:
        return HouseNumber(prev_base + 2)
    free = list(range(prev_base + 2, nxt.number.base, 2))
    if free:
        prev_chainage = prev.chainage_m if prev else 0.0
        span = max(nxt.chainage_m - prev_chainage, 1e-9)
        position = (chainage_m - prev_chainage) / span
        index = min(len(free) - 1, max(0, round(position * (len(free) + 1)) - 1))
        return HouseNumber(free[index])
    if prev is None:
        raise NumberingProblem(
            f"no number is free before house {nxt.number} at the start of the street; "
            "renumbering needs a decision"
        )
    if nxt.number.base == prev.number.base:
        raise NumberingProblem(
            f"the house stands between {prev.number} and {nxt.number}: no sub-number keeps the order"
        )
    taken = [h.number.sub for h in ordered if h.number.base == prev.number.base]
    sub = max(taken) + 1
    if style == "letter" and sub > len(string.ascii_uppercase):
        raise NumberingProblem(f"no letter left after {prev.number.base}Z")
    return HouseNumber(prev.number.base, sub, style)
