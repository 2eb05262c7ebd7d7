"""A merger is a non-event for every finance and footprint mart (issue 24, deliverable 1).

The demo landing through the nightly twice, as an operator runs it: a first night on the
shipped seeds, then the fixture merger of docs/reference-data.md ("An ICB merger, step by
step": QKK and QWE closed on 2025-03-31, successor ZZ1 from 2025-04-01) dropped in as
`<landing>/reference/icbs.csv`, and a second night. The footprint stays `QKK,QWE`. Every
footprint total is compared before and after the merger: the same money, the same population,
the same plan, on the ICB in force (ZZ1 from 2025/26), with no dissolved ICB left holding a
plan against nothing and no provider blamed for the merger in its data-quality results.
"""

from __future__ import annotations

import csv
import email
import email.policy
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from test_nightly import NightEnv
from test_reference_files import merged_icbs

from speccomm.generate import generate
from speccomm.reports.data import prepare_run, read_report_data, report_providers

pytestmark = pytest.mark.slow

PREDECESSORS = ("QKK", "QWE")
SUCCESSOR = "ZZ1"
MERGER_YEAR = "2025/26"
EARLIER_YEARS = ("2023/24", "2024/25")
# The seed of the reproduction (issue 24): on it, before the fix, the merger failed
# slam_ledger_spend_variance for every provider.
DEMO_SEED = 42
Rows = list[tuple]


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the warehouse published before the merger, the one published after)."""
    root = tmp_path_factory.mktemp("merger")
    env = NightEnv(root)
    generate("demo", env.landing, seed=DEMO_SEED)
    first = env.run("nightly")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    before = root / "before.duckdb"
    shutil.copyfile(env.warehouse, before)
    reference = env.landing / "reference"
    reference.mkdir(exist_ok=True)
    with (reference / "icbs.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(merged_icbs())
    second = env.run("nightly")
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    return before, env.warehouse


def _query(database: Path, sql: str) -> Rows:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchall()


def _both(nights: tuple[Path, Path], sql: str) -> tuple[Rows, Rows]:
    before, after = nights
    return _query(before, sql), _query(after, sql)


def test_the_footprint_follows_the_successor(nights: tuple[Path, Path]) -> None:
    # the marts' footprint ICBs year by year (the published marts only: no build relation)
    sql = (
        "select financial_year, list(distinct icb_code order by icb_code) from marts.{mart}"
        " where is_in_footprint and financial_year in ('2024/25', '2025/26') group by 1 order by 1"
    )
    for mart in ("fct_icb_spend_monthly", "rpt_allocation_impact", "rpt_icb_variation"):
        before, after = _both(nights, sql.format(mart=mart))
        assert before == [("2024/25", ["QKK", "QWE"]), ("2025/26", ["QKK", "QWE"])], mart
        assert after == [("2024/25", ["QKK", "QWE"]), ("2025/26", ["ZZ1"])], mart


def test_no_dissolved_icb_holds_a_plan_against_nothing(nights: tuple[Path, Path]) -> None:
    _, after = nights
    # a dissolved ICB has no row at all after its valid_to: its plan, money and ledger are ZZ1's
    assert _query(
        after,
        "select count(*) from marts.fct_icb_spend_monthly"
        f" where icb_code in {PREDECESSORS} and financial_year >= '{MERGER_YEAR}'",
    ) == [(0,)]
    # no footprint month plans money against a reported year to date of nothing (-100 %) that
    # did not before the merger (the demo's blue stream has no SLAM money on either night)
    against_nothing = (
        "select distinct financial_year, funding_stream, financial_month from marts.fct_icb_spend_monthly"
        " where is_in_footprint and is_slam_reported and ytd_plan_gbp > 0 and ytd_slam_actual_gbp = 0"
        " order by all"
    )
    old, new = _both(nights, against_nothing)
    assert new == old and {stream for _, stream, _ in new} <= {"amber", "blue"}
    # ZZ1's plan is its predecessors' allocations added up, stream by stream
    plan = (
        "select funding_stream, sum(plan_gbp), max(annual_plan_gbp) from marts.fct_icb_spend_monthly"
        f" where icb_code in {{icbs}} and financial_year = '{MERGER_YEAR}' group by all order by all"
    )
    predecessors = _query(nights[0], plan.format(icbs=PREDECESSORS))
    successor = _query(after, plan.format(icbs=f"('{SUCCESSOR}')"))
    assert [row[:2] for row in successor] == [row[:2] for row in predecessors]
    assert all(annual == total for _, total, annual in successor)


def _spend_totals(footprint_only: bool) -> str:
    where = "where is_in_footprint" if footprint_only else ""
    return (
        "select financial_year, funding_stream, sum(plan_gbp), sum(annual_plan_gbp) / 12,"
        " sum(slam_actual_gbp), sum(slam_estimated_gbp), sum(ledger_actual_gbp),"
        " sum(ledger_feed_providers_gbp)"
        f" from marts.fct_icb_spend_monthly {where} group by all order by all"
    )


def test_spend_against_plan_totals_are_unchanged(nights: tuple[Path, Path]) -> None:
    before, after = _both(nights, _spend_totals(footprint_only=True))
    assert [row for row in before if row[0] == MERGER_YEAR and row[1] == "green" and row[4]]
    for old, new in zip(before, after, strict=True):
        assert old[:5] == new[:5] and old[6:] == new[6:], (old, new)
        # estimates are rounded per flow: a merged flow's rounding may differ by pennies
        assert abs((old[5] or 0) - (new[5] or 0)) <= Decimal("1.00"), (old, new)
    # years before the merger are the same on every ICB
    per_icb = (
        "select icb_code, financial_year, funding_stream, sum(plan_gbp), sum(slam_actual_gbp),"
        " sum(ledger_actual_gbp) from marts.fct_icb_spend_monthly"
        f" where financial_year in {EARLIER_YEARS} group by all order by all"
    )
    assert _both(nights, per_icb)[0] == _both(nights, per_icb)[1]


def test_allocation_impact_conserves_the_footprint(nights: tuple[Path, Path]) -> None:
    # the bases include the estimates of the provider-months not sent (as the spend mart does):
    # the actual part of every total is unchanged to the penny, the estimates within rounding
    # (they are rounded per flow, and the predecessors' flows are one flow after the merger)
    sql = (
        "select financial_year, funding_stream, max(footprint_total_gbp - footprint_estimated_gbp),"
        " sum(host_basis_gbp - host_estimated_gbp), sum(population_basis_gbp - population_estimated_gbp),"
        " max(footprint_total_gbp), sum(host_basis_gbp), sum(population_basis_gbp), sum(needs_target_gbp),"
        " sum(needs_basis_gbp), bool_and(is_complete)"
        " from marts.rpt_allocation_impact where is_in_footprint group by all order by all"
    )
    before, after = _both(nights, sql)
    assert [row[:5] + row[10:] for row in before] == [row[:5] + row[10:] for row in after]
    for old, new in zip(before, after, strict=True):
        pairs = zip(old[5:10], new[5:10], strict=True)
        assert all(abs(a - b) <= Decimal("1.00") for a, b in pairs), (old, new)
        assert new[5] == new[8] == new[9], new  # the needs figures share the footprint total
    merger_year = [row for row in after if row[0] == MERGER_YEAR and row[1] == "green"]
    assert merger_year and merger_year[0][2] > 0
    # the host basis reads the dated host: QKK's and QWE's providers are hosted by ZZ1 in 2025/26
    _, after_rows = _both(
        nights,
        "select icb_code, sum(host_basis_gbp), sum(population_basis_gbp) from marts.rpt_allocation_impact"
        f" where financial_year = '{MERGER_YEAR}' and icb_code in ('QKK', 'QWE', 'ZZ1')"
        " group by 1 order by 1",
    )
    assert [icb for icb, _, _ in after_rows] == [SUCCESSOR]
    assert after_rows[0][1] > 0 and after_rows[0][2] > 0


def test_variation_has_the_successors_population(nights: tuple[Path, Path]) -> None:
    sql = (
        "select financial_year, service_line_code, sum(registered_population), sum(weighted_population),"
        " sum(spend_gbp), sum(activity), count(*) filter (where weighted_population is null)"
        " from marts.rpt_icb_variation where is_in_footprint group by all order by all"
    )
    before, after = _both(nights, sql)
    assert [row[:2] for row in before] == [row[:2] for row in after]
    for old, new in zip(before, after, strict=True):
        assert old[2] == new[2] and old[4:] == new[4:], (old, new)
        assert abs(old[3] - new[3]) <= 1, (old, new)  # weighted population rounded per ICB
    assert [row for row in after if row[0] == MERGER_YEAR and row[2] > 0]
    assert not any(row[6] for row in after)


def test_low_volume_flows_are_the_successors_flows(nights: tuple[Path, Path]) -> None:
    before_db, after_db = nights
    listed = (
        "select provider_code, icb_code, financial_year, funding_stream, price_gbp, months_submitted,"
        " threshold_gbp from marts.rpt_low_volume_flows where is_in_footprint order by all"
    )
    before, after = _query(before_db, listed), _query(after_db, listed)
    assert [row for row in before if row[2] < MERGER_YEAR] == [row for row in after if row[2] < MERGER_YEAR]
    # ZZ1's flows in 2025/26: each provider's QKK and QWE money added up, listed when below the
    # threshold on the provider's run rate (months submitted are the provider's)
    combined = dict(
        ((provider, stream), price)
        for provider, stream, price in _query(
            before_db,
            "select provider_code, funding_stream, sum(price) from marts.fct_contract_activity"
            f" where record_type = 'Actual' and financial_year = '{MERGER_YEAR}'"
            f" and attributed_icb_code in {PREDECESSORS} group by all",
        )
    )
    months = {row[0]: row[5] for row in before if row[2] == MERGER_YEAR}
    threshold = {row[6] for row in before + after if row[2] == MERGER_YEAR}.pop()
    expected = sorted(
        (provider, SUCCESSOR, MERGER_YEAR, stream, price, months[provider])
        for (provider, stream), price in combined.items()
        if provider in months and 0 < round(price * 12 / months[provider], 2) < threshold
    )
    got = [row[:6] for row in after if row[2] == MERGER_YEAR]
    assert expected and got == expected


def test_ledgers_of_the_old_entities_map_to_the_successor(nights: tuple[Path, Path]) -> None:
    before_db, after_db = nights
    sql = (
        "select financial_year, entity_code, file_entity_code, count(*), sum(amount)"
        f" from marts.fct_ledger_posting where file_entity_code in {PREDECESSORS} group by all order by all"
    )
    after = _query(after_db, sql)
    assert {row[1] for row in after if row[0] >= MERGER_YEAR} == {SUCCESSOR}
    assert {row[1] for row in after if row[0] < MERGER_YEAR} == set(PREDECESSORS)
    before = _query(
        before_db,
        "select financial_year, entity_code, count(*), sum(amount)"
        f" from marts.fct_ledger_posting where entity_code in {PREDECESSORS} group by all order by all",
    )
    assert [(y, f, n, a) for y, _, f, n, a in after] == before


def test_triangulation_and_provider_failures_are_unchanged(nights: tuple[Path, Path]) -> None:
    flagged = (
        "select financial_year, count(*) filter (where is_flagged), count(*) filter (where is_compared),"
        " count(*) filter (where not_compared_reason = 'ledger_period_missing')"
        " from marts.rpt_triangulation_spend group by all order by all"
    )
    before, after = _both(nights, flagged)
    assert [row[:2] for row in after] == [row[:2] for row in before]
    assert [row[3] for row in after] == [row[3] for row in before]
    # no provider is failed or warned for the merger: the latest run's results that are not a
    # pass, per check and slice (the second night checks every slice again: its reference data
    # changed). Before the fix, slam_ledger_spend_variance warned in 95 slices instead of 3, and
    # icb_code_superseded warned every provider in ~189 slices for the merger itself.
    fails = (
        "select check_id, status, provider_code, financial_year, financial_month from dq.dq_check_results"
        " where status != 'pass' and dataset {ledger} 'ledger'"
        " and run_at = (select max(run_at) from dq.dq_check_results) order by all"
    )
    before_fails, after_fails = _both(nights, fails.format(ledger="!="))
    assert after_fails == before_fails
    # an ICB's own ledger checks: no new failure (a QKK file's row stating QWE is ZZ1's entity
    # after the merger, so provider_code_mismatch may fail less)
    before_ledger, after_ledger = _both(nights, fails.format(ledger="="))
    assert set(after_ledger) <= set(before_ledger)


def test_a_merger_is_no_providers_problem(nights: tuple[Path, Path], tmp_path: Path) -> None:
    # the rows stating a dissolved ICB's code stay counted for the ICBs, as information (a pass)
    _, after_db = nights
    counted = _query(
        after_db,
        "select count(*), list(distinct status) from dq.dq_check_results"
        " where check_id = 'icb_code_superseded' and rows_failed > 0",
    )
    assert counted[0][0] > 0 and counted[0][1] == ["pass"]
    # ... and never reach a provider: not in any report's checks, nor in any email sent
    # the report models are the build's (schema dq_checks), in build.duckdb beside the published file
    copy = tmp_path / "build.duckdb"
    shutil.copyfile(after_db.parent / "build.duckdb", copy)
    with duckdb.connect(str(copy)) as con:
        run_id = con.execute("select max(run_id) from dq.dq_run_slices").fetchone()[0]
        prepare_run(con, run_id)
        providers = report_providers(con, run_id)
        assert set(providers) >= {"RAX", "RJ1", "RJ2", "RJ6", "RJ7", "RJZ", "RPY", "RVR"}
        for provider in providers:
            data = read_report_data(con, run_id, provider, prepared=True)
            listed = {check.check_id for section in data.sections for check in section.checks}
            assert "icb_code_superseded" not in listed, provider
    emails = sorted((after_db.parent.parent / "outbox").glob("*.eml"))
    assert emails
    for path in emails:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        texts = [part.get_content() for part in message.walk() if part.get_content_type() == "text/plain"]
        body = " ".join(texts)
        assert "dissolved ICB" not in body, path.name


def test_contract_plans_compare_like_with_like(nights: tuple[Path, Path]) -> None:
    # A plan the providers stated for QKK (or QWE) in 2025/26 is ZZ1's after the merger (the ICB
    # in force), but it was made for QKK's patients: it is still set against those patients
    # only. Each provider's line's plan variance over the footprint is the same on both nights,
    # and so is the like-for-like reading per provider (on pathfinder, RJ1 read +7.3 % before the
    # merger and +30.9 % after it when the successor's plan met every predecessor's patients).
    line = (
        "select provider_code, service_line_code, financial_year, financial_month, sum(plan_gbp),"
        " sum(actual_gbp), sum(variance_gbp) filter (where has_plan),"
        " sum(ytd_variance_gbp) filter (where has_plan)"
        " from marts.rpt_contract_plan_vs_actual where is_in_footprint group by all order by all"
    )
    before, after = _both(nights, line)
    assert before == after
    provider = (
        "select provider_code, sum(plan_gbp), sum(like_for_like_actual_gbp) filter (where has_plan)"
        f" from marts.rpt_contract_plan_vs_actual where financial_year = '{MERGER_YEAR}' and is_in_footprint"
        " group by all having sum(plan_gbp) > 0 order by all"
    )
    before, after = _both(nights, provider)
    assert before and after == before
    # the supplied codes stay visible: ZZ1's plans were stated for QKK and QWE
    assert _query(
        nights[1],
        "select distinct plan_icb_codes from marts.rpt_contract_plan_vs_actual"
        f" where icb_code = '{SUCCESSOR}' and has_plan order by all",
    ) and not _query(
        nights[1],
        "select 1 from marts.rpt_contract_plan_vs_actual"
        f" where icb_code = '{SUCCESSOR}' and has_plan and plan_icb_codes not similar to '(QKK|QWE)(,QWE)?'",
    )


def test_erf_baselines_follow_the_successor(nights: tuple[Path, Path]) -> None:
    # ERF is on the ICB in force too: a dissolved ICB keeps no baseline against no activity
    # (a ratio of 0) while its successor's activity has no baseline (no ratio)
    before_db, after_db = nights
    assert _query(
        after_db,
        "select count(*) from marts.rpt_erf_performance"
        f" where icb_code in {PREDECESSORS} and financial_year >= '{MERGER_YEAR}'",
    ) == [(0,)]
    totals = (
        "select financial_year, sum(elective_records), sum(elective_value_gbp), sum(baseline_value_gbp)"
        " from marts.rpt_erf_performance where is_in_footprint group by all order by all"
    )
    before, after = _query(before_db, totals), _query(after_db, totals)
    assert [row for row in before if row[0] == MERGER_YEAR and row[3]] and after == before
    # ZZ1's baseline is its predecessors' added up, provider by provider and month by month
    baseline = (
        "select provider_code, financial_month, sum(baseline_value_gbp), sum(elective_value_gbp)"
        f" from marts.rpt_erf_performance where icb_code in {{icbs}} and financial_year = '{MERGER_YEAR}'"
        " group by all order by all"
    )
    assert _query(after_db, baseline.format(icbs=f"('{SUCCESSOR}')")) == _query(
        before_db, baseline.format(icbs=PREDECESSORS)
    )


def test_erf_baselines_fit_the_generated_landing(nights: tuple[Path, Path]) -> None:
    # Issue 24: the generator writes reference/erf_baselines.csv fitted to the landing it writes
    # (speccomm/generate/erf.py), so the ratios are plausible at every scale (the demo-sized
    # shipped seed read 55-114x on pathfinder). Checked here on the first (pre-merger) night
    # against the warehouse's own count: every baseline is 95 % of the 2024/25 value of the same
    # provider, ICB and month, and the footprint's 2025/26 ratio is about 1.
    before_db, _ = nights
    rows = _query(
        before_db,
        "select b.provider_code, b.icb_code, b.financial_year, b.financial_month, b.baseline_value_gbp,"
        " b.is_baseline_illustrative, a.elective_value_gbp"
        " from marts.rpt_erf_performance as b inner join marts.rpt_erf_performance as a"
        " on b.provider_code = a.provider_code and b.icb_code = a.icb_code"
        " and b.financial_month = a.financial_month and a.financial_year = '2024/25'"
        " where b.baseline_value_gbp is not null",
    )
    assert {row[2] for row in rows} == {"2024/25", MERGER_YEAR}
    for *key, baseline, illustrative, base_year_value in rows:
        assert illustrative and baseline == (base_year_value * Decimal("0.95")).quantize(Decimal("0.01")), key
    ratio = _query(
        before_db,
        "select sum(elective_value_gbp) / sum(baseline_value_gbp) from marts.rpt_erf_performance"
        f" where is_in_footprint and financial_year = '{MERGER_YEAR}' and baseline_value_gbp is not null",
    )[0][0]
    assert Decimal("0.9") <= ratio <= Decimal("1.3"), ratio
