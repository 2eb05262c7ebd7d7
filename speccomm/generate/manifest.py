"""manifest.json: what was planted and what the warehouse must therefore publish."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from speccomm.generate import formats
from speccomm.generate.budget import BudgetOutput
from speccomm.generate.expect_ledger import LedgerExpectations
from speccomm.generate.expect_slam import SlamExpectations
from speccomm.generate.expect_sus import SusExpectations
from speccomm.generate.ledger import LedgerOutput
from speccomm.generate.scales import Scale
from speccomm.generate.slam import SlamOutput
from speccomm.generate.sus import SusOutput
from speccomm.generate.tallies import DqTally
from speccomm.generate.triangulation import RULES

MANIFEST_VERSION = 1
NOTES = {
    "money": "totals are sums of valid money only, in pounds, rounded to pence",
    "slam_slices": ("fct_contract_activity by_slice and slam dq_counts use the provider in the "
                    "file name and the row's placed financial year and month"),
    "slam_provider_mismatch_rows": ("rows whose provider differs from the file name's are Plan "
                                    "rows (or stray rows) attributed by registration"),
    "sus_slices": ("fct_sus_activity by_slice and sus dq_counts use the row's provider (site codes "
                   "resolved) and the extract's calendar month"),
    "sus_rows_checked": ("sus rows_checked counts every row of the current extract, duplicate "
                         "copies included; copies are identical and otherwise clean, so the "
                         "other checks fail the same rows whichever copy is kept"),
    "sus_activity_dates": ("a few background (not specialised) records have an activity date "
                           "outside the extract's month: see date_outside_file_month"),
    "ledger_slices": "fct_ledger_posting by_slice and ledger dq_counts use the file name's entity and period",
    "cross_checks": ("slam_sus_activity_variance and slam_ledger_spend_variance rows list the "
                     "planted variances (rows_checked null); see planted_variances and thresholds"),
    "identification_rules": ("identification_rules.outcomes: every current SUS record once (first copy), "
                             "per provider x extract month x outcome of rpt_service_line_ir_monitoring; "
                             "planted: the disagreements by how they were made (their outcomes sum to "
                             "the disagreeing outcomes); service_line_ir_mismatch dq_counts: current "
                             "records checked, disagreements failed"),
    "withheld_provider_months": ("each provider-month of missing_submissions, why it is missing "
                                 "(stopped_after, skipped, not_stated) and what its statement "
                                 "would have published: Actual pounds and activity per attributed "
                                 "ICB (UNKNOWN = unattributed) x funding stream; the warehouse's "
                                 "estimates are tested against it (docs/marts/completeness.md)"),
    "budget": ("budget.in_force: the budget in force per ICB x year (the latest received file; earlier "
               "versions kept); budget.plans: its annual plan per funding stream, plan_source icb_budget, "
               "with the part on lines the feeds do not report (drugs and devices); red and blue have no "
               "ICB budget (their plan falls back to reference data); budget.movements: version 1 to the "
               "version in force"),
    "attribution": ("registration ICB when valid on the row's month and the GP practice is not "
                    "V81997/8/9; else residence ICB when valid; else the provider's host ICB; else "
                    "unattributed"),
}


@dataclass
class Results:
    scale: Scale
    seed: int
    providers: list[str]
    entities: list[str]
    slam: SlamOutput
    sus: SusOutput
    ledger: LedgerOutput
    budget: BudgetOutput
    slam_expect: SlamExpectations
    sus_expect: SusExpectations
    ledger_expect: LedgerExpectations
    dq: DqTally
    missing: list[dict[str, object]]
    withheld: list[dict[str, object]]
    activity: tuple[list[dict[str, object]], dict[str, object]]
    spend: tuple[list[dict[str, object]], dict[str, object]]
    world_volume: dict[str, float]
    reference_updates: list[dict[str, object]] = field(default_factory=list)


def build_manifest(r: Results) -> dict[str, object]:
    files = [f.as_dict() for f in r.slam.files + r.sus.files + r.ledger.files + r.budget.files]
    return {
        "manifest_version": MANIFEST_VERSION,
        "generator": {
            "scale": r.scale.name, "seed": r.seed, "contract": "landing contract v1",
            "financial_years": [f"{y}/{(y + 1) % 100:02d}" for y in r.scale.years],
            "providers": r.providers, "ledger_entities": r.entities,
        },
        "notes": NOTES,
        "defect_rates": asdict(r.scale.rates),
        "scenario_counts": asdict(r.scale.scenarios),
        "thresholds": RULES,
        "volumes": _volumes(r, files),
        "files": files,
        "rejected_files": [{"file": f["name"], "reason": f["reason"]}
                           for f in files if f["outcome"] == "rejected"],
        "slam_winners": r.slam_expect.winners,
        "sus_current": r.sus.current,
        "ledger_current": r.ledger.current,
        "budget": r.budget.as_dict(),
        "reference_updates": r.reference_updates,
        "expected": {
            "fct_contract_activity": r.slam_expect.facts.as_dict("provider_code", with_activity=True),
            "fct_sus_activity": {**r.sus_expect.facts.as_dict("provider_code"),
                                 "date_outside_file_month": r.sus_expect.date_outside_file_month},
            "fct_ledger_posting": r.ledger_expect.facts.as_dict("entity_code"),
        },
        "dq_counts": r.dq.rows() + _cross_rows(r),
        "planted_variances": {"slam_sus_activity": r.activity[0], "slam_ledger_spend": r.spend[0]},
        "triangulation": {"slam_sus_activity": r.activity[1], "slam_ledger_spend": r.spend[1]},
        "missing_submissions": r.missing,
        "withheld_provider_months": r.withheld,
        "late_submissions": r.slam.late,
        "scenarios": {"slam": r.slam.scenarios, "sus": r.sus.scenarios, "ledger": r.ledger.scenarios},
        "planted_invalid_values": _merged_invalid(r),
        "identification_rules": {
            "rates": {"service_line_ir_mismatch": r.scale.rates.service_line_ir_mismatch},
            **(r.sus.ir.as_dict() if r.sus.ir else {}),
        },
        "formats_written": _formats_written(),
    }


def _cross_rows(r: Results) -> list[dict[str, object]]:
    counts: Counter[tuple[str, str, str, int]] = Counter()
    for check, details in (("slam_sus_activity_variance", r.activity[0]),
                           ("slam_ledger_spend_variance", r.spend[0])):
        for d in details:
            counts[(check, str(d["provider_code"]), str(d["financial_year"]), int(d["financial_month"]))] += 1
    return [{"check_id": check, "dataset": "slam", "provider_code": org, "financial_year": fy,
             "financial_month": month, "rows_checked": None, "rows_failed": n}
            for (check, org, fy, month), n in sorted(counts.items())]


def _merged_invalid(r: Results) -> dict[str, dict[str, dict[str, int]]]:
    merged = r.slam_expect.invalid.as_dict() | r.sus_expect.invalid.as_dict()
    return merged | r.ledger_expect.invalid.as_dict()


def _volumes(r: Results, files: list[dict[str, object]]) -> dict[str, object]:
    feeds: dict[str, dict[str, int]] = {}
    for f in files:
        v = feeds.setdefault(str(f["feed"]), {"files": 0, "rows": 0, "bytes": 0})
        v["files"] += 1
        v["rows"] += int(f["rows"])  # type: ignore[arg-type]
        v["bytes"] += int(f["bytes"])  # type: ignore[arg-type]
    return {"by_feed": feeds, "world_last_year": r.world_volume}


def _formats_written() -> dict[str, list[str]]:
    return {
        "financial_year": list(formats.FY_FORMATS),
        "financial_month": list(formats.MONTH_FORMATS),
        "money": [form for pair in formats.MONEY_STYLES.values() for form in pair],
        "dates": list(formats.DATE_FORMATS),
        "header_spellings": list(formats.HEADER_SPELLINGS),
        "encodings": ["utf-8", "utf-8-sig", "cp1252"],
    }


def write_manifest(root: Path, manifest: dict[str, object]) -> None:
    text = json.dumps(manifest, indent=1, ensure_ascii=False)
    (root / "manifest.json").write_text(text + "\n", encoding="utf-8")
