"""Synthetic landing folders to the landing contract, and the manifest that says what a
correct warehouse must publish from them. Entry point: `generate(scale, out, seed)`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from speccomm.generate.budget import generate_budget
from speccomm.generate.erf import write_erf_baselines
from speccomm.generate.expect_ledger import LedgerExpectations
from speccomm.generate.expect_slam import SlamExpectations
from speccomm.generate.expect_sus import SusExpectations
from speccomm.generate.ledger import generate_ledger, ledger_entities
from speccomm.generate.manifest import Results, build_manifest, write_manifest
from speccomm.generate.reference import load_reference
from speccomm.generate.scales import SCALES, DefectRates, Scale, Scenarios
from speccomm.generate.slam import generate_slam, withheld_months
from speccomm.generate.slam_schedule import plan_years
from speccomm.generate.sus import generate_sus
from speccomm.generate.tallies import DqTally, InvalidValues
from speccomm.generate.triangulation import (
    compare_activity,
    compare_spend,
    plant_activity,
    plant_spend,
    stated_months,
)
from speccomm.generate.world import build_world, volume_summary

__all__ = ["SCALES", "DefectRates", "Scale", "Scenarios", "generate"]
FEEDS = ("slam", "sus", "ledger", "budget")


def generate(scale: str | Scale, out: Path, seed: int = 42, rates: DefectRates | None = None) -> dict:
    """Write a landing folder (slam/, sus/, ledger/, budget/) and out/manifest.json; return the manifest."""
    chosen = SCALES[scale] if isinstance(scale, str) else scale
    if rates is not None:
        chosen = replace(chosen, rates=rates)
    out = Path(out)
    _check_empty(out)
    ref = load_reference()
    world = build_world(ref, chosen, seed)
    plans = plan_years(chosen, world.providers, seed)
    dq = DqTally()
    slam_expect = SlamExpectations(ref, dq, InvalidValues())
    sus_expect = SusExpectations(ref, dq, InvalidValues())
    ledger_expect = LedgerExpectations(ref, dq, InvalidValues())

    activity_plants = plant_activity(world, plans)
    slam_over = {p.cell for p in activity_plants if p.side == "slam_over"}
    sus_under = {p.cell for p in activity_plants if p.side == "sus_under"}
    slam = generate_slam(world, out, plans, slam_over, slam_expect)
    missing = slam_expect.submission_missing()
    withheld = withheld_months(slam, plans, missing, slam_expect)
    sus = generate_sus(world, out, sus_under, sus_expect)
    erf_baselines = write_erf_baselines(out, sus_expect.erf, chosen.years)
    entities = ledger_entities(world)
    spend_plants = plant_spend(world, slam_expect.green_spend, entities)
    ledger = generate_ledger(world, out, slam_expect.green_spend, spend_plants, ledger_expect)
    budget = generate_budget(seed, chosen.years, out, slam_expect.line_spend)

    stated = stated_months(slam_expect.stated)
    manifest = build_manifest(Results(
        scale=chosen, seed=seed, providers=world.providers, entities=entities,
        slam=slam, sus=sus, ledger=ledger, budget=budget, slam_expect=slam_expect, sus_expect=sus_expect,
        ledger_expect=ledger_expect, dq=dq, missing=missing, withheld=withheld,
        activity=compare_activity(ref, slam_expect.activity_cells, sus_expect.activity_cells,
                                  activity_plants, stated),
        spend=compare_spend(slam_expect.green_spend, ledger_expect.green_spend, entities,
                            spend_plants, stated),
        world_volume=volume_summary(world),
        reference_updates=[{
            "file": "reference/erf_baselines.csv", "rows": erf_baselines,
            "holds": "illustrative ERF baselines fitted to this landing (speccomm/generate/erf.py)",
        }],
    ))
    write_manifest(out, manifest)
    return manifest


def _check_empty(out: Path) -> None:
    """Never mix two generations: the manifest describes every file in the folder."""
    for feed in FEEDS:
        folder = out / feed
        if folder.exists() and any(folder.iterdir()):
            raise FileExistsError(f"{folder} is not empty: generate into a new or empty folder")
