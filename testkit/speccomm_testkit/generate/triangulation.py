"""Planted variances between the feeds, and the comparison the manifest reports.

The comparison rules below are what the generator assumed; they are written into the
manifest (`thresholds`) so the marts can take them as reference data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from speccomm_testkit.generate.periods import Month
from speccomm_testkit.generate.rand import random_for
from speccomm_testkit.generate.reference import Reference
from speccomm_testkit.generate.slam_schedule import YearPlan
from speccomm_testkit.generate.world import SPECIAL_LINES, World

VARIANCE_THRESHOLD = 0.05  # flag when |slam - other| / max(|slam|, |other|) exceeds this
PLANTED_MINIMUM = 0.25  # every planted variance is at least this large
MIN_PLANTED_ACTIVITY = 30  # planted activity variances sit on cells at least this big
MIN_PLANTED_SPEND = 1_000_000  # pence: planted spend variances sit on cells of £10,000 or more
SPEND_FACTORS = (1.5, 0.55)  # ledger = SLAM x factor on a planted spend variance
COMPARED_SETTINGS = ("admitted", "outpatient")

RULES = {
    "variance": "abs(slam - other) / max(abs(slam), abs(other)); 0 when both are 0",
    "flag_when_variance_above": VARIANCE_THRESHOLD,
    "noise_bound": "unplanted cells stay within 0.03 (activity) and 0.02 (spend)",
    "planted_variance_at_least": PLANTED_MINIMUM,
    "slam_sus_activity": (
        "per provider (SLAM: file-name provider; SUS: row provider, site codes resolved) x "
        "service line x POD x financial year x month. SLAM side: sum of activity of current "
        "Actual rows with a valid activity. SUS side: count of current records, one per "
        "sus_record_id, month = the extract's calendar month. Only cells whose service line "
        "is in the service-code reference and is not 99999999, and whose POD is in the POD "
        "reference with setting admitted or outpatient; a cell present on one side only "
        "compares with 0. Only provider x months that some SLAM file states (a month with no "
        "SLAM at all is submission_missing, not a variance)."
    ),
    "slam_ledger_spend": (
        "per provider x ICB entity x financial year x month, for the entities that send a "
        "ledger. SLAM side: sum of valid price of current Actual rows with attributed_icb_code "
        "= the entity and funding_stream green. Ledger side: sum of valid amount of current "
        "postings of the entity (file name) whose cost centre maps to green and whose analysis "
        "code is delegated specialised, by supplier_code (site codes resolved); month = the "
        "file name's period. Only provider x months that some SLAM file states."
    ),
}


@dataclass(frozen=True)
class ActivityPlant:
    provider: str
    service_line: str
    pod: str
    month: Month
    side: str  # slam_over (SLAM x1.5) or sus_under (every other SUS record missing)

    @property
    def cell(self) -> tuple[str, str, str, Month]:
        return self.provider, self.service_line, self.pod, self.month


def plant_activity(world: World, plans: dict[tuple[str, int], YearPlan]) -> list[ActivityPlant]:
    """Pick comparable, well-filled cells in months whose SLAM truth is current."""
    rng = random_for(world.seed, "triangulation", "activity")
    ref = world.ref
    totals: dict[tuple[str, str, str, int], int] = {}
    for li, line in enumerate(world.lines):
        if not _comparable_line(ref, line.service_line, line.pod) or not line.in_sus:
            continue
        pairs = np.flatnonzero(world.pair_line == li)
        for mi in range(len(world.months)):
            key = (line.provider, line.service_line, line.pod, mi)
            totals[key] = totals.get(key, 0) + int(world.counts[mi, pairs].sum())
    candidates = [key for key, n in sorted(totals.items()) if n >= MIN_PLANTED_ACTIVITY
                  and _stated(plans[(key[0], world.months[key[3]].year)], world.months[key[3]].month)]
    rng.shuffle(candidates)
    chosen, used = [], set()
    for provider, service_line, pod, mi in candidates:
        if (provider, mi) in used:
            continue
        used.add((provider, mi))
        side = ("slam_over", "sus_under")[len(chosen) % 2]
        chosen.append(ActivityPlant(provider, service_line, pod, world.months[mi], side))
        if len(chosen) == world.scale.scenarios.activity_variances:
            break
    return chosen


def _stated(plan: YearPlan, month: int) -> bool:
    if month > plan.last_month:
        return False
    return plan.cumulative or month not in plan.skipped


def _comparable_line(ref: Reference, service_line: str, pod: str) -> bool:
    return (service_line in ref.service_lines and service_line not in SPECIAL_LINES[:1]
            and ref.pods.get(pod, {}).get("setting") in COMPARED_SETTINGS)


def plant_spend(
    world: World, green_spend: dict[tuple[str, str, int, int, str], int], entities: list[str]
) -> dict[tuple[str, str, int, int], float]:
    rng = random_for(world.seed, "triangulation", "spend")
    totals: dict[tuple[str, str, int, int], int] = {}
    for (provider, icb, year, month, _part), pence in green_spend.items():
        if icb in entities:
            totals[(provider, icb, year, month)] = totals.get((provider, icb, year, month), 0) + pence
    if not totals:
        return {}
    floor = max(float(np.median(list(totals.values()))), MIN_PLANTED_SPEND)
    candidates = [key for key, pence in sorted(totals.items()) if pence >= floor]
    rng.shuffle(candidates)
    count = world.scale.scenarios.spend_variances
    return {key: SPEND_FACTORS[i % 2] for i, key in enumerate(candidates[:count])}


def variance(slam: float, other: float) -> float:
    top = max(abs(slam), abs(other))
    return abs(slam - other) / top if top else 0.0


def stated_months(stated: dict[tuple[str, int], set[int]]) -> set[tuple[str, int, int]]:
    return {(org, year, month) for (org, year), months in stated.items() for month in months}


def compare_activity(
    ref: Reference, slam: dict[tuple[str, str, str, int, int], float],
    sus: dict[tuple[str, str, str, int, int], float], planted: list[ActivityPlant],
    stated: set[tuple[str, int, int]],
) -> tuple[list[dict[str, object]], dict[str, object]]:
    planted_keys = {(p.provider, p.service_line, p.pod, p.month.year, p.month.month): p for p in planted}
    keys = sorted(k for k in set(slam) | set(sus)
                  if _comparable_line(ref, k[1], k[2]) and (k[0], k[3], k[4]) in stated)
    details, worst = [], 0.0
    for key in keys:
        v = variance(slam.get(key, 0.0), sus.get(key, 0.0))
        plant = planted_keys.get(key)
        if plant:
            details.append({"provider_code": key[0], "service_line_code": key[1], "pod_code": key[2],
                            "financial_year": plant.month.fy, "financial_month": key[4],
                            "planted_as": plant.side, "slam_activity": round(slam.get(key, 0.0), 2),
                            "sus_activity": round(sus.get(key, 0.0), 2), "variance": round(v, 4)})
        else:
            worst = max(worst, v)
    return details, _summary(len(keys), worst, details)


def compare_spend(
    slam_green: dict[tuple[str, str, int, int, str], int], ledger: dict[tuple[str, str, int, int], int],
    entities: list[str], planted: dict[tuple[str, str, int, int], float],
    stated: set[tuple[str, int, int]],
) -> tuple[list[dict[str, object]], dict[str, object]]:
    slam: dict[tuple[str, str, int, int], int] = {}
    for (provider, icb, year, month, _part), pence in slam_green.items():
        if icb in entities:
            slam[(provider, icb, year, month)] = slam.get((provider, icb, year, month), 0) + pence
    details, worst = [], 0.0
    keys = sorted(k for k in set(slam) | set(ledger) if (k[0], k[2], k[3]) in stated)
    for key in keys:
        v = variance(slam.get(key, 0), ledger.get(key, 0))
        if key in planted:
            details.append({"provider_code": key[0], "icb_code": key[1],
                            "financial_year": Month(key[2], 1).fy, "financial_month": key[3],
                            "ledger_factor": planted[key], "slam_price": slam.get(key, 0) / 100,
                            "ledger_amount": ledger.get(key, 0) / 100, "variance": round(v, 4)})
        else:
            worst = max(worst, v)
    return details, _summary(len(keys), worst, details)


def _summary(compared: int, worst: float, details: list[dict[str, object]]) -> dict[str, object]:
    return {
        "cells_compared": compared,
        "max_unplanted_variance": round(worst, 4),
        "min_planted_variance": min((float(d["variance"]) for d in details), default=None),
        "planted": len(details),
    }
