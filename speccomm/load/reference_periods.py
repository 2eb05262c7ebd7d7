"""What makes an effective-dated reference file true, beyond its types and keys.

A seed whose rows are periods (`valid_from`, `valid_to` inclusive, blank = open) must say one
thing at a time: each period ends on or after it starts, and the periods of one code (its key
without `valid_from`: `icb_code` for `icbs`, `sub_icb_code` for `sub_icb_locations` …) do not
overlap. For `icbs` the successors must also lead somewhere: no ICB is its own successor at
any remove (QKK → QWE → QKK), a successor is named only for a period that closes, and the
successor is in force on the day after its predecessor closes (int_icb__codes_in_force follows
a dissolved ICB's code to it from that day).

Each problem is one message `row N, field F: …` (row 1 = the first row after the header), as
the other checks of speccomm.load.reference write them. Values that are not dates are left to
the type check, which has already named them.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from speccomm.load.seed_layout import SeedLayout

VALID_FROM, VALID_TO = "valid_from", "valid_to"
# seed -> (code column, successor column): a code closed on valid_to continues as its successor
SUCCESSORS = {"icbs": ("icb_code", "successor_icb_code")}
_OPEN = date.max


@dataclass(frozen=True)
class Period:
    row: int  # 1 = the first row after the header
    code: tuple[str, ...]
    start: date
    end: date  # inclusive; date.max when open
    successor: str

    @property
    def is_open(self) -> bool:
        return self.end == _OPEN

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


def period_errors(layout: SeedLayout, rows: list[tuple[str, ...]]) -> list[str]:
    """Every problem of the file's periods (empty when the seed has none, or all is well)."""
    if VALID_FROM not in layout.columns or VALID_TO not in layout.columns:
        return []
    periods, errors = _periods(layout, rows)
    errors += _overlaps(layout, periods)
    if layout.name in SUCCESSORS:
        errors += _successor_errors(layout.name, periods)
    return sorted(errors, key=_row_of)


def code_columns(layout: SeedLayout) -> tuple[str, ...]:
    """The columns naming the thing a period belongs to: the seed's key without valid_from
    (none when no declared key holds valid_from: then periods are not compared)."""
    for key in layout.unique:
        if VALID_FROM in key:
            return tuple(c for c in key if c != VALID_FROM)
    return ()


def _periods(layout: SeedLayout, rows: list[tuple[str, ...]]) -> tuple[list[Period], list[str]]:
    index = {c: i for i, c in enumerate(layout.columns)}
    code = code_columns(layout)
    successor = SUCCESSORS.get(layout.name, ("", ""))[1]
    periods, errors = [], []
    for number, row in enumerate(rows, start=1):
        start, end = (
            _day(row[index[VALID_FROM]]),
            _day(row[index[VALID_TO]]) if row[index[VALID_TO]] else _OPEN,
        )
        if start is None or end is None:
            continue  # not a date: the type check names it
        if end < start:
            errors.append(
                f"row {number}, field {VALID_TO}: {row[index[VALID_TO]]!r} is before valid_from "
                f"{row[index[VALID_FROM]]!r} (a period must end on or after the day it starts)"
            )
            continue
        periods.append(
            Period(
                number,
                tuple(row[index[c]] for c in code),
                start,
                end,
                row[index[successor]] if successor else "",
            )
        )
    return periods, errors


def _overlaps(layout: SeedLayout, periods: list[Period]) -> list[str]:
    if not code_columns(layout):
        return []
    label = "+".join(code_columns(layout))
    by_code: dict[tuple[str, ...], list[Period]] = defaultdict(list)
    for period in periods:
        by_code[period.code].append(period)
    errors = []
    for code, mine in by_code.items():
        mine.sort(key=lambda p: (p.start, p.row))
        for before, after in itertools.pairwise(mine):
            if before.start < after.start <= before.end:  # the same start: the key check names it
                errors.append(
                    f"row {after.row}, field {VALID_FROM}: {label} {'/'.join(code)!r} from "
                    f"{after.start.isoformat()} overlaps its period of row {before.row} "
                    f"({_span(before)}): one period in force per code at a time"
                )
    return errors


def _successor_errors(seed: str, periods: list[Period]) -> list[str]:
    column = SUCCESSORS[seed][1]
    by_code: dict[str, list[Period]] = defaultdict(list)
    for period in periods:
        by_code[period.code[0]].append(period)
    errors = []
    for period in (p for p in periods if p.successor):
        code = period.code[0]
        if period.is_open:
            errors.append(
                f"row {period.row}, field {column}: {code} names successor {period.successor!r} but its "
                "period is open: give valid_to, the last day before the successor takes over"
            )
            continue
        cycle = _cycle_from(period, by_code)
        if cycle:
            errors.append(
                f"row {period.row}, field {column}: {period.successor!r} leads back to {code} "
                f"({' → '.join(cycle)}): successors must not go round in a circle"
            )
            continue
        day_after = period.end + timedelta(days=1)
        if not any(p.covers(day_after) for p in by_code.get(period.successor, [])):
            errors.append(
                f"row {period.row}, field {column}: successor {period.successor!r} is not in force on "
                f"{day_after.isoformat()}, the day after {code} closes ({period.end.isoformat()}): "
                f"its population would belong to no ICB"
            )
    return errors


def _cycle_from(start: Period, by_code: dict[str, list[Period]]) -> list[str]:
    """The chain of codes from `start` back to its own code, when its successors lead there:
    from each closed period, the successor's period in force the day after (or, when none is,
    every closed period of the successor that names a successor in turn)."""
    chain = [start.code[0]]
    current = start
    seen = {start.row}
    while current.successor:
        chain.append(current.successor)
        if current.successor == start.code[0]:
            return chain
        following = _next_period(current, by_code.get(current.successor, []))
        if following is None or following.row in seen or following.is_open:
            return []
        seen.add(following.row)
        current = following
    return []


def _next_period(period: Period, candidates: list[Period]) -> Period | None:
    day_after = period.end + timedelta(days=1)
    in_force = [p for p in candidates if p.covers(day_after)]
    if in_force:
        return in_force[0]
    closing = sorted((p for p in candidates if p.successor and not p.is_open), key=lambda p: p.start)
    return closing[-1] if closing else None


def _span(period: Period) -> str:
    return f"{period.start.isoformat()} to {'open' if period.is_open else period.end.isoformat()}"


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _row_of(message: str) -> int:
    return int(message.split(",", 1)[0].removeprefix("row "))
