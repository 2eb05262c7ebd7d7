"""Budget feed: the footprint ICBs' own budgets for specialised services, one file per ICB ×
financial year × version (landing contract, "budget/").

Each budget is set against the SLAM Actual pounds the generator writes for the ICB's patients
(so plan and actual are the same pool and the variance is a few per cent, not −99 %): green by
service line, amber as one whole-stream line, and one green `drugs and devices` line for money
the feeds do not report (paid through the ledger). Red and blue are NHS England's, not in an
ICB budget: their plan falls back to the reference data. The latest year of QKK comes in two
versions; the second, received mid-year, moves the green lines (plan movements).
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from speccomm.config import SEEDS_DIR
from speccomm_testkit.generate import rules
from speccomm_testkit.generate.contract import BUDGET_COLUMNS
from speccomm_testkit.generate.rand import random_for
from speccomm_testkit.generate.writers import WrittenFile, write_text_csv

BUDGET_ICBS = ("QKK", "QWE")  # the demo and pathfinder footprint
TWO_VERSIONS = "QKK"  # its latest year is budgeted twice
DRUGS_SHARE = 0.04  # the drugs and devices line, as a share of the green activity budget
LINE_MARGIN = (0.96, 1.06)  # a line's budget ÷ the year's actual pounds
MOVEMENT = (0.97, 1.05)  # version 2 ÷ version 1, per green line
# QWE's files use the contract's aliases: an ICB's finance system names its own columns
ALIASED = {"icb_code": "entity_code", "financial_month": "period", "funding_stream": "stream",
           "budget_gbp": "amount", "budget_line": "cost_category"}


@dataclass(frozen=True)
class BudgetLine:
    stream: str
    service_line: str
    budget_line: str
    annual_pence: int


@dataclass
class BudgetOutput:
    files: list[WrittenFile] = field(default_factory=list)
    in_force: list[dict[str, object]] = field(default_factory=list)
    plans: list[dict[str, object]] = field(default_factory=list)
    movements: list[dict[str, object]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"in_force": self.in_force, "plans": self.plans, "movements": self.movements}


def generate_budget(
    seed: int, years: tuple[int, ...], root: Path, line_spend: dict[tuple[str, int, str, str], int],
) -> BudgetOutput:
    output = BudgetOutput()
    weights = phase_weights()
    for icb in BUDGET_ICBS:
        for year in years:
            rng = random_for(seed, "budget", icb, year)
            first = _lines(icb, year, line_spend, rng)
            if not first:
                continue
            versions = [first]
            if icb == TWO_VERSIONS and year == max(years):
                versions.append(_moved(first, rng))
            for number, lines in enumerate(versions, start=1):
                received = _received(year, number)
                output.files.append(_write(root, icb, year, number, received, lines, weights))
            _record(output, icb, year, versions)
    return output


def phase_weights() -> list[float]:
    with (SEEDS_DIR / "plan_phasing.csv").open(encoding="utf-8") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda row: int(row["financial_month"]))
    return [float(row["phase_weight"]) for row in rows]


def monthly_pence(annual_pence: int, weights: list[float]) -> list[int]:
    """The annual amount by month, by cumulative difference: the months add back to the pence."""
    cumulative, months, previous = 0.0, [], 0
    for index, weight in enumerate(weights):
        cumulative += weight
        upto = annual_pence if index == len(weights) - 1 else round(annual_pence * cumulative)
        months.append(upto - previous)
        previous = upto
    return months


def _lines(
    icb: str, year: int, line_spend: dict[tuple[str, int, str, str], int], rng: random.Random
) -> list[BudgetLine]:
    lines: list[BudgetLine] = []
    green = {line: pence for (i, y, stream, line), pence in sorted(line_spend.items())
             if i == icb and y == year and stream == "green" and pence > 0}
    for line, pence in green.items():
        lines.append(BudgetLine("green", line, "", _pounds(pence * rng.uniform(*LINE_MARGIN))))
    amber = sum(pence for (i, y, stream, _), pence in line_spend.items()
                if i == icb and y == year and stream == "amber")
    if amber > 0:
        lines.append(BudgetLine("amber", "", "", _pounds(amber * rng.uniform(*LINE_MARGIN))))
    if green:
        activity = sum(line.annual_pence for line in lines if line.stream == "green")
        lines.append(BudgetLine("green", "", "drugs and devices", _pounds(activity * DRUGS_SHARE)))
    return lines


def _moved(lines: list[BudgetLine], rng: random.Random) -> list[BudgetLine]:
    moved = []
    for line in lines:
        pence = line.annual_pence
        if line.stream == "green":
            pence = _pounds(pence * rng.uniform(*MOVEMENT))
        moved.append(BudgetLine(line.stream, line.service_line, line.budget_line, pence))
    return moved


def _pounds(pence: float) -> int:
    """Budgets are set in whole pounds."""
    return round(pence / 100) * 100


def _received(year: int, version: int) -> datetime:
    """Version 1 before the year starts (March), version 2 mid-year (September)."""
    return datetime(year, 3, 20, 9, 0, 0) if version == 1 else datetime(year, 9, 15, 14, 30, 0)


def _write(
    root: Path, icb: str, year: int, version: int, received: datetime, lines: list[BudgetLine],
    weights: list[float],
) -> WrittenFile:
    fy = f"{year % 100:02d}{(year + 1) % 100:02d}"
    relative = f"budget/{icb}_BUDGET_{fy}_V{version}_{received:%Y%m%d%H%M%S}.csv"
    header = [ALIASED.get(name, name) if icb != TWO_VERSIONS else name for name in BUDGET_COLUMNS]
    rows = []
    for line in lines:
        for month, pence in enumerate(monthly_pence(line.annual_pence, weights), start=1):
            rows.append([icb, rules.fy_label(year), str(month), line.stream.capitalize(), line.service_line,
                         "", line.budget_line, f"{pence / 100:.2f}"])
    count, size, encoding = write_text_csv(root, relative, header, rows)
    return WrittenFile(relative, "budget", count, size, encoding, kind=f"budget_v{version}")


def _record(output: BudgetOutput, icb: str, year: int, versions: list[list[BudgetLine]]) -> None:
    fy = rules.fy_label(year)
    in_force = versions[-1]
    output.in_force.append({"icb_code": icb, "financial_year": fy, "version": len(versions),
                            "file": output.files[-1].path, "versions_received": len(versions)})
    for stream in sorted({line.stream for line in in_force}):
        of_stream = [line for line in in_force if line.stream == stream]
        output.plans.append({
            "icb_code": icb, "financial_year": fy, "funding_stream": stream, "plan_source": "icb_budget",
            "lines": len(of_stream),
            "annual_plan_gbp": sum(line.annual_pence for line in of_stream) / 100,
            "annual_plan_not_covered_by_feeds_gbp":
                sum(line.annual_pence for line in of_stream if line.budget_line) / 100,
        })
    if len(versions) > 1:
        for stream in sorted({line.stream for line in in_force}):
            before = sum(line.annual_pence for line in versions[0] if line.stream == stream)
            after = sum(line.annual_pence for line in in_force if line.stream == stream)
            output.movements.append({"icb_code": icb, "financial_year": fy, "funding_stream": stream,
                                     "from_version": 1, "to_version": len(versions),
                                     "change_gbp": (after - before) / 100})
