"""When each provider sends which SLAM file, and which months each file states.

A provider-year normally sends one cumulative year-to-date file a month (the M05 file
restates M01-M05). Scenarios bend that: resubmissions, one-month corrections, split
submissions, late files, months never sent, broken or empty files, odd file names.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from speccomm_testkit.generate.periods import Month
from speccomm_testkit.generate.rand import random_for
from speccomm_testkit.generate.scales import Scale

DEADLINE_DAY = 20  # a month's SLAM file is due by the 20th of the following calendar month
# Kinds of file that the warehouse must not load
NOT_LOADED = ("missing_column", "misnamed")


@dataclass
class YearPlan:
    provider: str
    year: int
    cumulative: bool = True
    last_month: int = 12
    skipped: list[int] = field(default_factory=list)
    resubmitted: list[int] = field(default_factory=list)
    late: list[int] = field(default_factory=list)
    correction: int | None = None
    split: bool = False
    header_only: int | None = None
    zero_byte: int | None = None
    missing_column: int | None = None
    misnamed: int | None = None
    lower_case_names: bool = False
    upper_case_extension: bool = False
    has_plan: bool = True
    no_registration_column: bool = False

    def busy_months(self) -> set[int]:
        months = set(self.skipped) | set(self.resubmitted) | set(self.late)
        months |= {m for m in (self.correction, self.header_only, self.zero_byte,
                               self.missing_column, self.misnamed) if m}
        return months | ({11, 12} if self.split else set())


@dataclass
class SlamFile:
    provider: str
    year: int
    name_month: int
    received: datetime
    stated: list[int]
    kind: str  # regular, late, resubmission, correction, split, header_only, zero_byte, …
    versions: dict[int, str] = field(default_factory=dict)  # month -> truth / draft

    @property
    def received_text(self) -> str:
        return self.received.strftime("%Y%m%d%H%M%S")

    @property
    def loaded(self) -> bool:
        return self.kind not in NOT_LOADED

    @property
    def due_by(self) -> date:
        following = Month(self.year, self.name_month).shifted(1)
        return following.replace(day=DEADLINE_DAY)


def plan_years(scale: Scale, providers: list[str], seed: int) -> dict[tuple[str, int], YearPlan]:
    """Scenario assignment over all provider-years (deterministic for the seed)."""
    rng = random_for(seed, "slam", "plans")
    plans = {(p, y): YearPlan(p, y) for y in scale.years for p in providers}
    keys = list(plans)
    rng.shuffle(keys)
    sc = scale.scenarios
    exclusive = iter(keys)  # these four never share a provider-year (skipped when none left)
    for _ in range(sc.stopped):
        if plan := plans.get(next(exclusive, None)):
            plan.last_month = rng.randint(8, 10)
    for _ in range(sc.monthly_only):
        if plan := plans.get(next(exclusive, None)):
            plan.cumulative = False
            plan.skipped.append(rng.randint(3, 9))
    for _ in range(sc.splits):
        if plan := plans.get(next(exclusive, None)):
            plan.split = True
    for _ in range(sc.corrections):
        if plan := plans.get(next(exclusive, None)):
            plan.correction = rng.randint(2, 9)
    _month_scenarios(plans, keys, scale, rng)
    for provider in providers[-1:]:  # one provider sends no Plan rows (and no record_type)
        for year in scale.years:
            plans[(provider, year)].has_plan = False
    if scale.rates.icb_of_registration_missing > 0:  # a whole year without the column
        plans[keys[-1]].no_registration_column = True
    plans[keys[-2 % len(keys)]].lower_case_names = True
    plans[keys[-3 % len(keys)]].upper_case_extension = True
    return plans


def _month_scenarios(
    plans: dict[tuple[str, int], YearPlan], keys: list[tuple[str, int]], scale: Scale,
    rng: random.Random,
) -> None:
    sc = scale.scenarios
    wanted = [("resubmitted", sc.resubmissions, 2, 11), ("late", sc.late, 3, 10),
              ("skipped", sc.skipped_covered, 2, 10), ("header_only", 1, 1, 10),
              ("zero_byte", 1, 1, 10), ("missing_column", 1, 1, 10), ("misnamed", 1, 1, 9)]
    for attribute, count, low, high in wanted:
        placed, attempts = 0, 0
        while placed < count and attempts < 50 * (count + 1):
            attempts += 1
            plan = plans[rng.choice(keys)]
            month = rng.randint(low, high)
            if not plan.cumulative or month + 1 > plan.last_month:
                continue
            if plan.busy_months() & {month - 1, month, month + 1}:
                continue
            value = getattr(plan, attribute)
            if isinstance(value, list):
                value.append(month)
            else:
                if value is not None:
                    continue
                setattr(plan, attribute, month)
            placed += 1


def nominal_received(year: int, month: int, rng: random.Random) -> datetime:
    following = Month(year, month).shifted(1)
    day = following + timedelta(days=rng.randint(5, 15))
    return datetime(day.year, day.month, day.day, rng.randint(7, 19), rng.randint(0, 59),
                    rng.randint(0, 59))


def schedule_year(plan: YearPlan, seed: int) -> list[SlamFile]:
    """The files one provider sends for one financial year, in received order."""
    rng = random_for(seed, "slam", "schedule", plan.provider, plan.year)
    nominal = {m: nominal_received(plan.year, m, rng) for m in range(1, 13)}
    files: list[SlamFile] = []
    for month in range(1, plan.last_month + 1):
        if month in plan.skipped:
            continue
        files += _files_for_month(plan, month, nominal, rng)
    if plan.correction:
        last = max(f.received for f in files)
        files.append(SlamFile(plan.provider, plan.year, plan.correction,
                              last + timedelta(days=rng.randint(10, 25), hours=rng.randint(1, 5)),
                              [plan.correction], "correction"))
    files.sort(key=lambda f: f.received)
    _assign_versions(plan, files, rng)
    return files


def _files_for_month(
    plan: YearPlan, month: int, nominal: dict[int, datetime], rng: random.Random
) -> list[SlamFile]:
    stated = list(range(1, month + 1)) if plan.cumulative else [month]
    when = nominal[month]
    p, y = plan.provider, plan.year
    if plan.split and month == 12:
        later = when + timedelta(hours=rng.randint(1, 30), minutes=rng.randint(1, 59))
        return [SlamFile(p, y, 12, when, list(range(1, 7)), "split"),
                SlamFile(p, y, 12, later, list(range(7, 13)), "split")]
    kind = "regular"
    if month in plan.late:
        kind = "late"
        when = nominal[month + 1] + timedelta(days=rng.randint(2, 5))  # after the next one
    files = [SlamFile(p, y, month, when, stated, kind)]
    if month in plan.resubmitted:
        files.append(SlamFile(p, y, month, when + timedelta(days=rng.randint(2, 6)), stated,
                              "resubmission"))
    extras = {"header_only": ([], timedelta(days=1)), "zero_byte": ([], timedelta(hours=20)),
              "missing_column": (stated, timedelta(hours=3)), "misnamed": (stated, timedelta(minutes=30))}
    for kind_name, (months, before) in extras.items():
        if getattr(plan, kind_name) == month:
            files.append(SlamFile(p, y, month, when - before, list(months), kind_name))
    return files


def _assign_versions(plan: YearPlan, files: list[SlamFile], rng: random.Random) -> None:
    """Winners state the truth; files a later one supersedes may carry draft figures."""
    winner: dict[int, SlamFile] = {}
    for f in files:
        if f.loaded:
            for month in f.stated:
                winner[month] = f  # files are in received order: the last one wins
    originals = {(f.name_month) for f in files if f.kind == "resubmission"}
    for f in files:
        for month in f.stated:
            if winner.get(month) is f or not f.loaded:
                f.versions[month] = "truth"
            elif (
                (f.kind != "resubmission" and f.name_month in originals and month == f.name_month)
                or month == plan.correction
                or (plan.split and f.name_month == 11)
                or (month == f.name_month and rng.random() < 0.3)
            ):
                f.versions[month] = "draft"
            else:
                f.versions[month] = "truth"
