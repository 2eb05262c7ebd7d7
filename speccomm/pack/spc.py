"""XmR statistical process control in the NHS "Making Data Count" style (docs/icb-pack.md).

A method applied to a series a mart gives, as a charting tool applies it (NHS-R's
NHSRplotthedots does the same in R; this module follows its published rules, not its code):

- centre line: the mean of the points; natural process limits: mean ± 2.66 × the mean moving
  range (the average absolute difference between consecutive points); "2 sigma": two thirds of
  the way from the mean to a limit (2.66 = 3 ÷ 1.128, so sigma = mean moving range ÷ 1.128);
- special cause, each rule marking the points that take part in it:
  - a point outside the limits;
  - a run of RUN_LENGTH (7) or more points on one side of the mean (a point on the mean ends it);
  - a trend of TREND_LENGTH (7) or more points each higher (or each lower) than the one before;
  - two of three consecutive points beyond 2 sigma on the same side, the three all on that
    side of the mean (the points beyond 2 sigma are marked);
- a special-cause point is "improvement" or "concern" by its direction (its side of the mean;
  a point marked only by a trend, the trend's direction) against the improvement direction;
- the variation icon is the last point's type; the assurance icon compares the target of the
  last point with the limits: a target beyond the limits on the side of improvement is
  consistently met ("pass"), on the other side consistently missed ("fail"), between them
  "hit and miss".
With fewer than MIN_POINTS points no icon is given (NHSRplotthedots warns below 12 points).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

XMR_CONSTANT = 2.66
RUN_LENGTH = 7
TREND_LENGTH = 7
MIN_POINTS = 12


class Direction(StrEnum):
    INCREASE = "increase"  # higher is better
    DECREASE = "decrease"  # lower is better
    NEUTRAL = "neutral"


class Rule(StrEnum):
    OUTSIDE_LIMITS = "outside the process limits"
    RUN = f"a run of {RUN_LENGTH} on one side of the mean"
    TREND = f"a trend of {TREND_LENGTH}"
    TWO_OF_THREE = "two of three beyond 2 sigma"


class Variation(StrEnum):
    COMMON_CAUSE = "common cause"
    IMPROVEMENT_HIGH = "special cause: improvement (high)"
    IMPROVEMENT_LOW = "special cause: improvement (low)"
    CONCERN_HIGH = "special cause: concern (high)"
    CONCERN_LOW = "special cause: concern (low)"
    NEUTRAL_HIGH = "special cause: neither improvement nor concern (high)"
    NEUTRAL_LOW = "special cause: neither improvement nor concern (low)"


class Assurance(StrEnum):
    PASS = "consistently meets the target"
    FAIL = "consistently misses the target"
    HIT_AND_MISS = "hits and misses the target at random"


@dataclass(frozen=True)
class Limits:
    mean: float
    mean_moving_range: float
    lower: float
    upper: float

    @property
    def sigma(self) -> float:
        return (self.upper - self.mean) / 3.0


@dataclass(frozen=True)
class SpcChart:
    values: tuple[float, ...]
    limits: Limits | None  # None with fewer than two points
    rules: tuple[frozenset[Rule], ...]  # per point: the special-cause rules it takes part in
    point_types: tuple[Variation, ...]  # per point
    variation: Variation | None  # the last point's type; None with fewer than MIN_POINTS points
    assurance: Assurance | None  # None without a target or a direction

    def is_special(self, index: int) -> bool:
        return bool(self.rules[index])


def xmr_limits(values: Sequence[float]) -> Limits | None:
    if len(values) < 2:
        return None
    mean = sum(values) / len(values)
    mr_bar = sum(abs(b - a) for a, b in itertools.pairwise(values)) / (len(values) - 1)
    return Limits(mean, mr_bar, mean - XMR_CONSTANT * mr_bar, mean + XMR_CONSTANT * mr_bar)


def spc(
    values: Sequence[float], direction: Direction = Direction.NEUTRAL, target: float | None = None
) -> SpcChart:
    """The XmR chart of `values` (in time order); `target` is the last point's target."""
    points = tuple(float(v) for v in values)
    if not points:
        raise ValueError("an XmR chart needs at least one point")
    limits = xmr_limits(points)
    if limits is None:
        return SpcChart(points, None, (frozenset(),), (Variation.COMMON_CAUSE,), None, None)
    sides = [_side(v, limits.mean) for v in points]
    trend = trend_points(points)
    flags = [
        {rule for rule, on in rules if on}
        for rules in zip(
            ((Rule.OUTSIDE_LIMITS, v > limits.upper or v < limits.lower) for v in points),
            ((Rule.RUN, on) for on in run_points(sides)),
            ((Rule.TREND, on != 0) for on in trend),
            ((Rule.TWO_OF_THREE, on) for on in two_of_three_points(points, limits)),
            strict=True,
        )
    ]
    types = tuple(
        _point_type(rules, trend[i] if rules == {Rule.TREND} else sides[i], direction)
        for i, rules in enumerate(flags)
    )
    enough = len(points) >= MIN_POINTS
    return SpcChart(
        points,
        limits,
        tuple(frozenset(f) for f in flags),
        types,
        types[-1] if enough else None,
        _assurance(limits, direction, target) if enough else None,
    )


def _side(value: float, mean: float) -> int:
    return (value > mean) - (value < mean)


def run_points(sides: Sequence[int]) -> list[bool]:
    """Points in a run of RUN_LENGTH or more on one side (sides: +1 above, -1 below, 0 on)."""
    marked = [False] * len(sides)
    for side, group in itertools.groupby(enumerate(sides), key=lambda pair: pair[1]):
        members = [index for index, _ in group]
        if side != 0 and len(members) >= RUN_LENGTH:
            for index in members:
                marked[index] = True
    return marked


def trend_points(values: Sequence[float]) -> list[int]:
    """Per point: +1 in an increasing trend of TREND_LENGTH or more, -1 decreasing, else 0."""
    steps = [_side(b, a) for a, b in itertools.pairwise(values)]  # step i: from point i to i + 1
    marked = [0] * len(values)
    start = 0
    for step, group in itertools.groupby(steps):
        length = len(list(group))
        if step != 0 and length + 1 >= TREND_LENGTH:
            for index in range(start, start + length + 1):
                marked[index] = step
        start += length
    return marked


def two_of_three_points(values: Sequence[float], limits: Limits) -> list[bool]:
    """Points beyond 2 sigma in a window of three consecutive points on one side of the mean
    of which at least two are beyond 2 sigma on that side."""
    two_sigma = 2.0 * limits.sigma
    beyond = [(v - limits.mean > two_sigma) - (limits.mean - v > two_sigma) for v in values]
    sides = [_side(v, limits.mean) for v in values]
    marked = [False] * len(values)
    for start in range(len(values) - 2):
        window = range(start, start + 3)
        for side in (1, -1):
            if all(sides[i] == side for i in window) and sum(beyond[i] == side for i in window) >= 2:
                for i in window:
                    if beyond[i] == side:
                        marked[i] = True
    return marked


def _point_type(rules: set[Rule], side: int, direction: Direction) -> Variation:
    if not rules:
        return Variation.COMMON_CAUSE
    high = side >= 0
    if direction is Direction.NEUTRAL:
        return Variation.NEUTRAL_HIGH if high else Variation.NEUTRAL_LOW
    improving = high == (direction is Direction.INCREASE)
    if improving:
        return Variation.IMPROVEMENT_HIGH if high else Variation.IMPROVEMENT_LOW
    return Variation.CONCERN_HIGH if high else Variation.CONCERN_LOW


def _assurance(limits: Limits, direction: Direction, target: float | None) -> Assurance | None:
    if target is None or direction is Direction.NEUTRAL:
        return None
    if limits.lower <= target <= limits.upper:
        return Assurance.HIT_AND_MISS
    above = target > limits.upper  # every point is expected below the target
    met = above == (direction is Direction.DECREASE)
    return Assurance.PASS if met else Assurance.FAIL
