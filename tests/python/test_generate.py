"""The synthetic landing generator: deterministic, to the contract, and its manifest right.

Everything here runs at demo scale (a few seconds per generation); pathfinder and national
volumes are checked on the world's cells only, without writing files (bench/ times the rest).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import fields, replace
from datetime import date
from pathlib import Path

import pytest

from speccomm_testkit.contract_validator import (
    NAME_PATTERNS,
    Report,
    fy_start,
    money_pence,
    month_number,
    read_file,
    validate_landing,
)
from speccomm_testkit.generate import SCALES, DefectRates, generate
from speccomm_testkit.generate.reference import load_reference
from speccomm_testkit.generate.world import build_world, volume_summary

ROOT = Path(__file__).resolve().parents[2]
CHECKS_DOC = ROOT / "docs" / "data-quality-checks.md"
# Checks the shipped reference data cannot make fail: no ICB is dissolved in seeds/reference/icbs.csv,
# so icb_code_superseded fails only after a merger in the reference folder (test_reference_updates).
NEEDS_REFERENCE_CHANGE = {"icb_code_superseded"}
CROSS_CHECKS = {"slam_sus_activity_variance": "slam_sus_activity",
                "slam_ledger_spend_variance": "slam_ledger_spend"}
MESSY_FORMS = {
    "fy:2025/26", "fy:2025-26", "fy:202526", "fy:2025-2026", "fy:25/26", "fy:2526",
    "month:5", "month:05", "month:M5", "month:M05",
    "money:1234.56", "money:1,234.56", "money:£1,234.56", "money:-1234.56", "money:-£1,234.56",
    "money:(1,234.56)", "money_invalid:TBC", "money_invalid:n/a",
    "header:alias", "header:spaces", "header:hyphens", "header:dots", "header:odd_case",
    "header:padding", "header:extra_columns",
    "encoding:utf-8", "encoding:utf-8-sig", "encoding:cp1252", "encoding:cp1252_pound_byte_A3",
    "csv:quoted_comma", "csv:quoted_line_break",
    "code:site_code_for_trust", "code:commissioner_00_suffix", "code:icb_00_suffix",
    "code:sub_icb_as_icb", "code:default_gp_practice",
    "file:header_only", "file:zero_byte", "file:bad_name", "file:missing_required_column",
    "file:lower_case_name", "file:upper_case_extension",
    "date:YYYY-MM-DD", "date:DD/MM/YYYY",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("demo")
    return out, generate("demo", out, seed=42)


@pytest.fixture(scope="module")
def report(demo: tuple[Path, dict]) -> Report:
    return validate_landing(*demo)


def _digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _small_scale(**changes):
    """Two providers, one year: enough to exercise a path in about a second."""
    return replace(SCALES["demo"], name="small", providers=("RJ1", "RJ6"), years=(2025,), **changes)


def test_same_seed_gives_identical_bytes(demo, tmp_path):
    root, _ = demo
    generate("demo", tmp_path, seed=42)
    assert _digests(tmp_path) == _digests(root)


def test_other_seed_gives_other_data(demo, tmp_path):
    root, manifest = demo
    other = generate("demo", tmp_path, seed=7)
    assert other["expected"] != manifest["expected"]
    assert _digests(tmp_path) != _digests(root)


def test_refuses_a_folder_that_already_holds_landing_files(demo):
    with pytest.raises(FileExistsError):
        generate("demo", demo[0], seed=42)


def test_every_file_follows_the_contract(report):
    assert report.problems == []
    assert len(report.files) > 250


def test_every_messy_form_of_the_contract_appears(report):
    assert MESSY_FORMS - report.seen == set()


def test_rejected_files_are_the_broken_ones(demo):
    _, manifest = demo
    reasons = {(f["file"].split("/")[0], f["reason"]) for f in manifest["rejected_files"]}
    assert {("slam", "bad_name"), ("sus", "bad_name"), ("ledger", "bad_name")} <= reasons
    assert any(r.startswith("missing_column:") for _, r in reasons)
    for f in manifest["rejected_files"]:
        name = f["file"].split("/", 1)[1]
        matches = NAME_PATTERNS[f["file"].split("/")[0]].match(name.upper())
        assert bool(matches) == (f["reason"] != "bad_name")


def _loaded(manifest: dict, feed: str) -> list[str]:
    return [f["name"] for f in manifest["files"] if f["feed"] == feed and f["outcome"] == "loaded"]


def _received(name: str) -> str:
    return re.search(r"_(\d{14})\.csv$", name, re.IGNORECASE).group(1)


def _recount_slam(report: Report, manifest: dict) -> tuple[dict, list]:
    """Winners and current rows, recounted from the files with the validator's parsers."""
    winners: dict[tuple[str, int, int], str] = {}
    for name in sorted(_loaded(manifest, "slam"), key=_received):
        parsed = report.files[name]
        org = name.split("/")[1].split("_")[0].upper()
        name_fy = 2000 + int(name.split("_")[2][:2])
        for row in parsed.rows:
            month = month_number(parsed.value(row, "financial_month"))
            if month is not None:
                year = fy_start(parsed.value(row, "financial_year")) or name_fy
                winners[(org, year, month)] = name
    current = []
    for (org, year, month), name in winners.items():
        parsed = report.files[name]
        name_fy = 2000 + int(name.split("_")[2][:2])
        for row in parsed.rows:
            placed = (fy_start(parsed.value(row, "financial_year")) or name_fy,
                      month_number(parsed.value(row, "financial_month")))
            if placed == (year, month):
                current.append((org, parsed, row))
    return winners, current


def test_slam_winners_and_current_rows_recounted_from_the_files(demo, report):
    _, manifest = demo
    winners, current = _recount_slam(report, manifest)
    listed = {(w["provider_code"], int(w["financial_year"][:4]), w["financial_month"]): w["file"]
              for w in manifest["slam_winners"]}
    assert winners == listed
    expected = manifest["expected"]["fct_contract_activity"]
    assert len(current) == expected["rows"]
    pence = sum(money_pence(parsed.value(row, "price")) or 0 for _, parsed, row in current)
    assert pence / 100 == pytest.approx(expected["price_total"], abs=0.005)


def test_sus_and_ledger_current_rows_recounted_from_the_files(demo, report):
    _, manifest = demo
    latest: dict[tuple[str, str], str] = {}
    for name in sorted(_loaded(manifest, "sus"), key=_received):
        dataset, month = name.split("/")[1].upper().split("_")[:2]
        latest[(dataset, month)] = name
    ids = sum(len({parsed.value(row, "sus_record_id") for row in parsed.rows} - {""})  # blank: quarantined
              for parsed in (report.files[n] for n in latest.values()))
    assert ids == manifest["expected"]["fct_sus_activity"]["rows"]
    assert sorted(latest.values()) == sorted(c["file"] for c in manifest["sus_current"])
    periods: dict[tuple[str, str, str], str] = {}
    for name in sorted(_loaded(manifest, "ledger"), key=_received):
        entity, _, fy, month = name.split("/")[1].upper().split("_")[:4]
        periods[(entity, fy, month)] = name
    rows = sum(len(report.files[n].rows) for n in periods.values())
    assert rows == manifest["expected"]["fct_ledger_posting"]["rows"]


def test_rejected_and_empty_files_never_win(demo):
    _, manifest = demo
    rejected = {f["file"] for f in manifest["rejected_files"]}
    empty = {f["name"] for f in manifest["files"] if f["rows"] == 0}
    winners = {w["file"] for w in manifest["slam_winners"]}
    current = {c["file"] for c in manifest["sus_current"] + manifest["ledger_current"]}
    assert not (rejected | empty) & (winners | current)
    kinds = {f["kind"] for f in manifest["files"]}
    assert {"zero_byte", "header_only", "resubmission", "correction", "split", "late", "early"} <= kinds


def test_every_check_id_fails_somewhere_in_demo(demo):
    _, manifest = demo
    check_ids = re.findall(r"^\| `([a-z_]+)` \|", CHECKS_DOC.read_text(encoding="utf-8"), re.MULTILINE)
    assert len(check_ids) >= 17
    failing = {d["check_id"] for d in manifest["dq_counts"] if d["rows_failed"]}
    assert set(check_ids) - failing - NEEDS_REFERENCE_CHANGE == set()
    for check, planted in CROSS_CHECKS.items():
        assert manifest["planted_variances"][planted], check


def test_dq_counts_are_consistent(demo):
    _, manifest = demo
    for d in manifest["dq_counts"]:
        if d["check_id"] not in CROSS_CHECKS:
            assert 0 <= d["rows_failed"] <= d["rows_checked"], d
    missing = {(d["provider_code"], d["financial_year"], d["financial_month"])
               for d in manifest["dq_counts"] if d["check_id"] == "submission_missing" and d["rows_failed"]}
    listed = {(m["provider_code"], m["financial_year"], m["financial_month"])
              for m in manifest["missing_submissions"]}
    assert missing == listed and listed


def test_triangulation_noise_stays_small_and_plants_stay_large(demo):
    _, manifest = demo
    scenarios = manifest["scenario_counts"]
    pairs = (("slam_sus_activity", "activity_variances"), ("slam_ledger_spend", "spend_variances"))
    for name, count in pairs:
        summary = manifest["triangulation"][name]
        assert summary["max_unplanted_variance"] <= 0.03
        assert summary["min_planted_variance"] >= 0.25
        assert summary["planted"] == scenarios[count] == len(manifest["planted_variances"][name])
    assert manifest["thresholds"]["flag_when_variance_above"] == 0.05


def test_attribution_covers_every_method(demo):
    _, manifest = demo
    sus = manifest["expected"]["fct_sus_activity"]
    slam = manifest["expected"]["fct_contract_activity"]
    assert set(sus["attribution_counts"]) == {"registration", "residence", "provider_host", "unattributed"}
    assert {"registration", "residence", "provider_host"} <= set(slam["attribution_counts"])
    for fact in (sus, slam):
        assert sum(fact["attribution_counts"].values()) == fact["rows"]
        assert sum(fact["funding_stream_counts"].values()) == fact["rows"]
    assert {"green", "red", "amber", "unknown"} <= set(slam["funding_stream_counts"])


def test_late_submissions_arrive_after_their_deadline(demo):
    _, manifest = demo
    assert manifest["late_submissions"]
    for late in manifest["late_submissions"]:
        received = date(int(late["received"][:4]), int(late["received"][4:6]), int(late["received"][6:8]))
        assert received > date.fromisoformat(late["due_by"])


def test_resent_sus_extracts_differ_from_the_current_one(demo):
    root, manifest = demo
    current = {(c["dataset"], c["activity_month"]): c["file"] for c in manifest["sus_current"]}
    early = [s for s in manifest["scenarios"]["sus"] if s["scenario"] == "early"]
    assert early
    for s in early:
        first = read_file(root, s["file"])
        final = read_file(root, current[(s["dataset"], s["activity_month"])])
        assert first.rows != final.rows


def test_defect_rates_are_configurable(tmp_path):
    rates = DefectRates(**{f.name: 0.0 for f in fields(DefectRates)})
    manifest = generate(_small_scale(), tmp_path, seed=3, rates=rates)
    failures = {d["check_id"] for d in manifest["dq_counts"] if d["rows_failed"]}
    assert failures <= {"submission_missing", *CROSS_CHECKS}
    assert manifest["defect_rates"] == {f.name: 0.0 for f in fields(DefectRates)}


def test_pathfinder_world_has_realistic_south_london_volumes():
    summary = volume_summary(build_world(load_reference(), SCALES["pathfinder"], 42))
    assert summary["sel_swl_spend"] == pytest.approx(1.1e9, rel=0.1)
    assert 0.35 <= summary["out_of_area_share"] <= 0.45


def test_national_world_has_about_twenty_million_sus_records_a_year():
    world = build_world(load_reference(), SCALES["national"], 42)
    summary = volume_summary(world)
    assert summary["sus_records"] == pytest.approx(20e6, rel=0.05)
    assert len(world.providers) >= 120
    assert world.scale.years == (2025,)


def test_withheld_provider_months_are_the_missing_submissions_with_what_they_would_have_been(demo):
    """Each missing provider-month, why (from the scenarios) and its would-be Actual pounds per
    attributed ICB x stream: the warehouse's estimates are tested against these."""
    _, manifest = demo
    withheld = manifest["withheld_provider_months"]
    key = ("provider_code", "financial_year", "financial_month")
    assert [tuple(w[k] for k in key) for w in withheld] == [
        tuple(m[k] for k in key) for m in manifest["missing_submissions"]]
    scenarios = {(s["provider_code"], s["financial_year"], s["scenario"]): s.get("financial_month")
                 for s in manifest["scenarios"]["slam"]}
    for w in withheld:
        if w["reason"] == "stopped_after":
            stopped = scenarios[(w["provider_code"], w["financial_year"], "stopped_after")]
            assert w["financial_month"] > stopped
        cells = w["would_have_been"]
        assert cells and sum(c["price_gbp"] for c in cells) > 0, w
        assert len({(c["icb_code"], c["funding_stream"]) for c in cells}) == len(cells)
        assert {c["funding_stream"] for c in cells} <= {"green", "amber", "red", "blue", "unknown"}
