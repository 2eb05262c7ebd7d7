"""The analytic marts on a warehouse built from generated demo data (issue 4).

Checks what a finance analyst would check by hand: money conserved across allocation bases
(with and without a pace-of-change limit), the monthly plan adding back to the allocation, the
generator's planted triangulation variances flagged and nothing else, and the current-boundary
reading of every ICB-level mart adding up to the at-the-time reading.
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from analytics_warehouse import PACE_LIMIT, AnalyticsWarehouse, build_analytics_warehouse

from speccomm.build import run_dbt

pytestmark = pytest.mark.slow

SEEDS = Path(__file__).resolve().parents[2] / "seeds" / "reference"

# ICB-level marts: (table, at-the-time ICB column, current ICB column, additive measures)
ICB_LEVEL_MARTS = [
    ("fct_icb_spend_monthly", "icb_code", "current_icb_code",
     ["plan_gbp", "slam_actual_gbp", "ledger_actual_gbp"]),
    ("rpt_allocation_impact", "icb_code", "current_icb_code",
     ["host_basis_gbp", "population_basis_gbp", "needs_basis_gbp"]),
    ("rpt_pathfinder_scope", "icb_code", "current_icb_code", ["price_gbp", "activity"]),
    ("rpt_triangulation_spend", "icb_code", "current_icb_code", ["slam_gbp", "ledger_gbp"]),
    ("rpt_cross_boundary_flows", "patient_icb_code", "patient_current_icb_code", ["price_gbp", "activity"]),
    ("rpt_cross_boundary_flows", "provider_host_icb_code", "provider_host_current_icb_code", ["price_gbp"]),
]


@pytest.fixture(scope="module")
def analytics(tmp_path_factory: pytest.TempPathFactory) -> AnalyticsWarehouse:
    return build_analytics_warehouse(tmp_path_factory.mktemp("analytics"))


def test_dbt_build_of_the_analytic_marts_passes(analytics: AnalyticsWarehouse) -> None:
    assert analytics.dbt_returncode == 0, analytics.dbt_log.read_text()[-4000:]


def _bases_against_slam(warehouse: AnalyticsWarehouse) -> list[tuple]:
    return warehouse.query(
        """
        with slam as (
            select financial_year, funding_stream, sum(price) as slam_gbp
            from marts.fct_contract_activity where record_type = 'Actual' group by all
        ),
        bases as (
            select financial_year, funding_stream, max(national_total_gbp) as national,
                sum(host_basis_gbp) as host, sum(population_basis_gbp) as population,
                sum(needs_target_gbp) as needs_target, sum(needs_basis_gbp) as needs
            from marts.rpt_allocation_impact group by all
        )
        select slam.financial_year, slam.funding_stream, slam.slam_gbp, bases.national, bases.host,
            bases.population, bases.needs_target, bases.needs
        from slam full outer join bases using (financial_year, funding_stream)
        order by all
        """
    )


def test_each_allocation_basis_sums_to_the_national_slam_total(analytics: AnalyticsWarehouse) -> None:
    rows = _bases_against_slam(analytics)
    assert {stream for _, stream, *_ in rows} >= {"green", "red"}
    for year, stream, slam, *bases in rows:
        assert bases == [slam] * 5, (year, stream)


def test_pace_of_change_limit_holds_and_money_is_still_conserved(analytics: AnalyticsWarehouse) -> None:
    """The warehouse is built with pace_of_change_limit set: each footprint ICB's needs basis
    moves from its population basis (where it starts) by at most the limit (rounding aside),
    and the footprint's figures still add up to the footprint total."""
    rows = analytics.query(
        "select icb_code, population_basis_gbp, needs_basis_gbp, needs_target_gbp, pace_of_change_limit "
        "from marts.rpt_allocation_impact where is_in_footprint and not is_pace_limit_relaxed"
    )
    assert rows and all(limit == PACE_LIMIT for *_, limit in rows)
    moved = 0
    for icb, start, needs, target, _ in rows:
        low, high = start * Decimal(str(1 - PACE_LIMIT)), start * Decimal(str(1 + PACE_LIMIT))
        assert low - Decimal("0.01") <= needs <= high + Decimal("0.01"), (icb, start, needs)
        moved += needs != target
    assert moved, "the limit should bind somewhere on demo data"
    totals = analytics.query(
        "select financial_year, funding_stream, max(footprint_total_gbp), sum(population_basis_gbp), "
        "sum(needs_target_gbp), sum(needs_basis_gbp) from marts.rpt_allocation_impact "
        "where is_in_footprint group by all"
    )
    assert totals
    for year, stream, footprint_total, *sums in totals:
        assert sums == [footprint_total] * 3, (year, stream)


def test_an_icb_hosting_no_provider_moves_from_its_population_basis(
    analytics: AnalyticsWarehouse, tmp_path: Path
) -> None:
    """National footprint, pace limit: Kent and Medway (QKS) hosts no provider in the demo data,
    so its host basis is £0; its needs basis starts from its population basis, not from £0."""
    database = tmp_path / "national.duckdb"
    shutil.copyfile(analytics.database, database)
    dbt_vars = json.dumps({"pace_of_change_limit": PACE_LIMIT, "footprint": "national"})
    result = run_dbt(["build", "--select", "+rpt_allocation_impact", "--exclude", "test_type:unit",
                      "--vars", dbt_vars], database, target="test", echo=False)
    assert result.returncode == 0, result.log_path
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            "select icb_code, host_basis_gbp, population_basis_gbp, needs_basis_gbp, is_in_footprint "
            "from marts.rpt_allocation_impact where funding_stream = 'green' and icb_code = 'QKS'"
        ).fetchall()
        in_footprint = con.execute(
            "select count(distinct icb_code) from marts.rpt_allocation_impact where is_in_footprint"
        ).fetchone()
    assert rows and in_footprint is not None and in_footprint[0] > 2
    for _, host, population, needs, is_in in rows:
        assert is_in and host == 0 and population > 0
        assert population * Decimal("0.95") - Decimal("0.01") <= needs <= population * Decimal("1.05") + Decimal("0.01")


def test_monthly_plan_sums_to_the_allocation(analytics: AnalyticsWarehouse) -> None:
    with (SEEDS / "icb_allocations.csv").open(newline="", encoding="utf-8") as handle:
        allocations = {
            (row["icb_code"], row["financial_year"], row["funding_stream"]): Decimal(row["allocation_gbp"])
            for row in csv.DictReader(handle)
        }
    phased = {
        (icb, year, stream): (total, months)
        for icb, year, stream, total, months in analytics.query(
            "select icb_code, financial_year, funding_stream, sum(plan_gbp), count(*) "
            "from marts.fct_icb_spend_monthly group by all"
        )
    }
    for key, allocation in allocations.items():
        assert phased[key] == (allocation, 12), key


def test_forecasts_at_year_end_equal_the_year_to_date(analytics: AnalyticsWarehouse) -> None:
    rows = analytics.query(
        "select ytd_slam_actual_gbp, slam_forecast_run_rate_gbp, slam_forecast_phased_gbp "
        "from marts.fct_icb_spend_monthly where financial_month = 12 and is_slam_reported"
    )
    assert rows
    assert all(ytd == run_rate == phased for ytd, run_rate, phased in rows)


def _flagged(warehouse: AnalyticsWarehouse, table: str, columns: list[str]) -> set[tuple]:
    select = ", ".join(columns)
    return set(warehouse.query(f"select {select} from marts.{table} where is_flagged"))


def test_planted_activity_variances_are_flagged_and_nothing_else(analytics: AnalyticsWarehouse) -> None:
    columns = ["provider_code", "service_line_code", "pod_code", "financial_year", "financial_month"]
    planted_rows = analytics.manifest["planted_variances"]["slam_sus_activity"]
    planted = {tuple(v[c] for c in columns) for v in planted_rows}
    assert planted
    assert _flagged(analytics, "rpt_triangulation_activity", columns) == planted
    compared = analytics.query("select count(*) from marts.rpt_triangulation_activity where is_compared")
    assert compared[0][0] == analytics.manifest["triangulation"]["slam_sus_activity"]["cells_compared"]


def test_planted_spend_variances_are_flagged_and_nothing_else(analytics: AnalyticsWarehouse) -> None:
    columns = ["provider_code", "icb_code", "financial_year", "financial_month"]
    planted_rows = analytics.manifest["planted_variances"]["slam_ledger_spend"]
    planted = {tuple(v[c] for c in columns) for v in planted_rows}
    assert planted
    assert _flagged(analytics, "rpt_triangulation_spend", columns) == planted
    compared = analytics.query("select count(*) from marts.rpt_triangulation_spend where is_compared")
    assert compared[0][0] == analytics.manifest["triangulation"]["slam_ledger_spend"]["cells_compared"]


@pytest.mark.parametrize("measure", ["slam_sus_activity", "slam_ledger_spend"])
def test_thresholds_sit_between_the_generators_noise_and_its_planted_variances(
    analytics: AnalyticsWarehouse, measure: str
) -> None:
    # The generator measures a variance on the larger side, the marts on the reference side:
    # a symmetric variance v is at most v / (1 - v) on the reference side, and at least v.
    summary = analytics.manifest["triangulation"][measure]
    noise, planted = summary["max_unplanted_variance"], summary["min_planted_variance"]
    [(threshold,)] = analytics.query(
        "select max_abs_pct_variance / 100 from reference.triangulation_thresholds where measure = ?",
        [measure],
    )
    assert noise / (1 - noise) < float(threshold) < planted


@pytest.mark.parametrize(("table", "icb_column", "current_column", "measures"), ICB_LEVEL_MARTS)
def test_current_boundary_reading_sums_equal_at_the_time_sums(
    analytics: AnalyticsWarehouse, table: str, icb_column: str, current_column: str, measures: list[str]
) -> None:
    """Per year and current ICB, the mart's current-boundary column gives the same totals as
    mapping each at-the-time ICB through dim_icb's successors; nothing is lost either way."""
    sums = ", ".join(f"sum(m.{c})" for c in measures)
    mapping = "(select distinct icb_code, current_icb_code from marts.dim_icb)"
    by_current_column = analytics.query(
        f"select m.financial_year, m.{current_column}, {sums} from marts.{table} as m "
        "group by all order by all"
    )
    by_successor_mapping = analytics.query(
        f"select m.financial_year, coalesce(d.current_icb_code, m.{icb_column}), {sums} "
        f"from marts.{table} as m left join {mapping} as d on m.{icb_column} = d.icb_code "
        "group by all order by all"
    )
    assert by_current_column and by_current_column == by_successor_mapping
    at_the_time = analytics.query(
        f"select financial_year, {sums} from marts.{table} as m group by all order by all"
    )
    current_totals: dict[str, list] = {}
    for year, _icb, *values in by_current_column:
        totals = current_totals.setdefault(year, [0] * len(values))
        current_totals[year] = [a + (b or 0) for a, b in zip(totals, values, strict=True)]
    assert {year: [v or 0 for v in values] for year, *values in at_the_time} == current_totals
    stale = analytics.query(
        f"select distinct m.{current_column} from marts.{table} as m "
        f"left join marts.dim_icb as d on m.{current_column} = d.icb_code and d.valid_to is null "
        f"where d.icb_code is null and m.{current_column} != 'UNKNOWN'"
    )
    assert stale == [], "current ICB codes are ICBs in force today"
