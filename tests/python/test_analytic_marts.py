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
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from analytics_warehouse import ANALYTICS_SELECTION, PACE_LIMIT, AnalyticsWarehouse, build_analytics_warehouse

from speccomm.dbt_runner import run_dbt

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
            -- the bases include the estimates of missing provider-months: less them, the actuals
            select financial_year, funding_stream,
                max(national_total_gbp) - max(national_estimated_gbp) as national,
                sum(host_basis_gbp) - sum(host_estimated_gbp) as host,
                sum(population_basis_gbp) - sum(population_estimated_gbp) as population,
                sum(needs_target_gbp) - max(national_estimated_gbp) as needs_target,
                sum(needs_basis_gbp) - max(national_estimated_gbp) as needs
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


def test_allocation_bases_use_the_spend_marts_estimates(analytics: AnalyticsWarehouse) -> None:
    """Issue 24: the bases include the estimates of missing provider-months, the same as
    fct_icb_spend_monthly's, and every row states its completeness."""
    rows = analytics.query(
        """
        with spend as (
            select icb_code, financial_year, funding_stream, sum(slam_estimated_gbp) as estimated_gbp
            from marts.fct_icb_spend_monthly where is_in_footprint group by all
        )
        select impact.icb_code, impact.financial_year, impact.funding_stream, impact.population_estimated_gbp,
            spend.estimated_gbp, impact.missing_provider_months, impact.is_complete
        from marts.rpt_allocation_impact as impact
        inner join spend using (icb_code, financial_year, funding_stream)
        where impact.is_in_footprint
        """
    )
    assert rows and any(estimated > 0 for *_, estimated, _, _, _ in rows)
    for icb, year, stream, estimated, spend_estimated, missing, complete in rows:
        assert estimated == spend_estimated, (icb, year, stream)
        assert (estimated > 0) <= (missing > 0) and complete <= (missing == 0), (icb, year, stream)


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
    result = run_dbt(["build", "--select", "+rpt_allocation_impact", "--indirect-selection", "cautious",
                      "--exclude", "test_type:unit",
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
        low, high = population * Decimal("0.95"), population * Decimal("1.05")
        assert low - Decimal("0.01") <= needs <= high + Decimal("0.01")


def test_monthly_plan_sums_to_its_source(analytics: AnalyticsWarehouse) -> None:
    """The generator's budgets (manifest budget.plans) are the plan where they exist; every
    other allocation of the illustrative seed is phased and adds back to the penny."""
    budgets = {
        (p["icb_code"], p["financial_year"], p["funding_stream"]):
            (Decimal(str(p["annual_plan_gbp"])).quantize(Decimal("0.01")),
             Decimal(str(p["annual_plan_not_covered_by_feeds_gbp"])).quantize(Decimal("0.01")))
        for p in analytics.manifest["budget"]["plans"]
    }
    assert budgets
    with (SEEDS / "icb_allocations.csv").open(newline="", encoding="utf-8") as handle:
        allocations = {
            (row["icb_code"], row["financial_year"], row["funding_stream"]): Decimal(row["allocation_gbp"])
            for row in csv.DictReader(handle)
        }
    phased = {
        (icb, year, stream): (source, total, not_covered, months)
        for icb, year, stream, source, total, not_covered, months in analytics.query(
            "select icb_code, financial_year, funding_stream, max(plan_source), sum(plan_gbp),"
            " sum(plan_not_covered_by_feeds_gbp), count(*) from marts.fct_icb_spend_monthly group by all"
        )
    }
    for key, (total, not_covered) in budgets.items():
        assert phased[key] == ("icb_budget", total, not_covered, 12), key
    for key, allocation in allocations.items():
        if key not in budgets:
            assert phased[key] == ("illustrative", allocation, 0, 12), key


def test_no_variance_is_published_against_an_illustrative_plan(analytics: AnalyticsWarehouse) -> None:
    rows = analytics.query(
        "select plan_source, variance_withheld_reason, count(*),"
        " count(slam_variance_gbp) + count(slam_with_estimates_variance_gbp) + count(ledger_variance_gbp)"
        " + count(ytd_slam_variance_gbp) + count(ytd_slam_with_estimates_variance_gbp)"
        " + count(ytd_ledger_variance_gbp) + count(slam_forecast_variance_gbp)"
        " + count(slam_forecast_outturn_variance_gbp) + count(ledger_forecast_variance_gbp)"
        " from marts.fct_icb_spend_monthly group by all order by all"
    )
    published = {(source, reason): variances for source, reason, _, variances in rows}
    assert published[("illustrative", "illustrative_plan")] == 0
    assert published[(None, "no_plan")] == 0
    assert published[("icb_budget", None)] > 0  # the footprint's budgets get their variances


def test_the_forecast_range_covers_about_80_percent_of_outturns(analytics: AnalyticsWarehouse) -> None:
    """Each month's 80 % range of the forecast outturn, against the year's actual outturn (month
    12, estimates included), over every ICB × stream of the latest generated year: the range is
    taken from the earlier year's errors (empirical), so about 80 % of the outturns fall inside."""
    rows = analytics.query(
        """
        with outturns as (
            select icb_code, financial_year, funding_stream, slam_forecast_outturn_gbp as outturn_gbp
            from marts.fct_icb_spend_monthly where financial_month = 12 and is_slam_reported
        )
        select forecasts.forecast_range_method, count(*),
            avg(case when outturns.outturn_gbp between forecasts.slam_forecast_outturn_low_gbp
                and forecasts.slam_forecast_outturn_high_gbp then 1.0 else 0.0 end)
        from marts.fct_icb_spend_monthly as forecasts
        inner join outturns using (icb_code, financial_year, funding_stream)
        where forecasts.financial_month < 12 and forecasts.slam_forecast_outturn_gbp > 0
            and forecasts.financial_year = (select max(financial_year) from outturns)
        group by all
        """
    )
    assert len(rows) == 1
    method, cells, coverage = rows[0]
    assert method == "empirical" and cells >= 50
    assert 0.70 <= coverage <= 0.92, coverage


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


# --------------------------------------------------------------------------- issue 12: finance

# Stated in docs/marts/completeness.md: the tolerances the estimates are held to on demo data
# (small counts, so noisy); the pathfinder figures measured there are far tighter.
PROVIDER_MONTH_TOLERANCE = 0.15  # a withheld provider-month's estimate, all ICBs and streams
ICB_MONTH_TOLERANCE = 0.20  # a footprint ICB x stream month with estimates, true figure >= £100k


def _withheld_truth(manifest: dict) -> dict[tuple, float]:
    truth: dict[tuple, float] = {}
    for w in manifest["withheld_provider_months"]:
        for cell in w["would_have_been"]:
            key = (cell["icb_code"], cell["funding_stream"], w["financial_year"], w["financial_month"])
            truth[key] = truth.get(key, 0.0) + cell["price_gbp"]
    return truth


def test_every_withheld_provider_month_is_named_missing_and_nothing_else(
    analytics: AnalyticsWarehouse,
) -> None:
    withheld = {(w["provider_code"], w["financial_year"], w["financial_month"])
                for w in analytics.manifest["withheld_provider_months"]}
    assert withheld
    rows = analytics.query(
        "select financial_year, financial_month, missing_providers, is_complete, slam_estimated_gbp "
        "from marts.fct_icb_spend_monthly where is_slam_reported"
    )
    named = set()
    for year, month, missing, complete, estimated in rows:
        providers = {p for p in missing.split(", ") if p}
        assert complete == (not providers), (year, month, missing)
        assert (estimated == 0) == complete or not complete, (year, month)
        named |= {(p, year, month) for p in providers}
    assert named == withheld


def test_withheld_months_are_estimated_within_the_stated_tolerance(analytics: AnalyticsWarehouse) -> None:
    estimates = dict(((p, y, m), float(g)) for p, y, m, g in analytics.query(
        "select provider_code, financial_year, financial_month, sum(estimated_gbp) "
        "from intermediate.int_finance__slam_flow_estimates where not is_submitted group by all"))
    for w in analytics.manifest["withheld_provider_months"]:
        truth = sum(cell["price_gbp"] for cell in w["would_have_been"])
        estimate = estimates[(w["provider_code"], w["financial_year"], w["financial_month"])]
        assert abs(estimate - truth) <= PROVIDER_MONTH_TOLERANCE * truth, (w, estimate)
    truth = _withheld_truth(analytics.manifest)
    checked = 0
    for icb, stream, year, month, actual, estimated in analytics.query(
        "select icb_code, funding_stream, financial_year, financial_month, slam_actual_gbp, "
        "slam_estimated_gbp from marts.fct_icb_spend_monthly "
        "where is_in_footprint and not is_complete and is_slam_reported"
    ):
        true_figure = float(actual) + truth.get((icb, stream, year, month), 0.0)
        if true_figure < 100_000:
            continue
        with_estimate = float(actual) + float(estimated)
        error = abs(with_estimate - true_figure)
        assert error <= ICB_MONTH_TOLERANCE * true_figure, (icb, stream, year, month)
        assert abs(with_estimate - true_figure) < abs(float(actual) - true_figure), "the estimate must help"
        checked += 1
    assert checked >= 4


def test_spend_and_estimates_reconcile_to_the_facts(analytics: AnalyticsWarehouse) -> None:
    """Actuals equal the fact; the estimates equal the flows' estimates; the forecast with
    estimates at the latest month is the year to date with estimates ÷ its phasing."""
    [(fact, mart, flows, mart_estimates)] = analytics.query(
        "select (select sum(price) from marts.fct_contract_activity where record_type = 'Actual'), "
        "(select sum(slam_actual_gbp) from marts.fct_icb_spend_monthly), "
        "(select sum(estimated_gbp) from intermediate.int_finance__slam_flow_estimates), "
        "(select sum(slam_estimated_gbp) from marts.fct_icb_spend_monthly)")
    assert fact == mart and flows == mart_estimates and mart_estimates > 0


def test_contract_plan_against_actual_totals_equal_the_facts(analytics: AnalyticsWarehouse) -> None:
    facts = analytics.query(
        "select financial_year, provider_code, "
        "sum(price) filter (where record_type = 'Plan'), "
        "sum(price) filter (where record_type = 'Actual'), "
        "sum(activity) filter (where record_type = 'Plan'), "
        "sum(activity) filter (where record_type = 'Actual') "
        "from marts.fct_contract_activity group by all order by all")
    mart = analytics.query(
        "select financial_year, provider_code, sum(plan_gbp), sum(actual_gbp), sum(plan_activity), "
        "sum(actual_activity) from marts.rpt_contract_plan_vs_actual group by all order by all")
    zero = Decimal("0")
    assert [tuple(v if v is not None else zero for v in row) for row in facts] == mart
    assert any(plan > 0 for _, _, plan, *_ in mart)
    ytd = analytics.query(
        "select count(*) from marts.rpt_contract_plan_vs_actual as r where r.ytd_actual_gbp != ("
        "select sum(x.actual_gbp) from marts.rpt_contract_plan_vs_actual as x where x.provider_code = "
        "r.provider_code and x.icb_code = r.icb_code and x.service_line_code = r.service_line_code "
        "and x.financial_year = r.financial_year and x.financial_month <= r.financial_month)")
    assert ytd == [(0,)]


def test_contract_plan_against_actual_compares_an_icbs_plan_with_its_own_patients(
    analytics: AnalyticsWarehouse,
) -> None:
    """Issue 24: the actuals of a provider × ICB × line are that ICB's patients only (attributed
    ICB), and the plan is on the ICB its commissioner means (a hub's plan on the patients' ICB)."""
    facts = analytics.query(
        "select f.provider_code, case when f.record_type = 'Plan' then coalesce(c.icb_code, "
        "f.attributed_icb_code, 'UNKNOWN') else coalesce(f.attributed_icb_code, 'UNKNOWN') end, "
        "f.financial_year, f.record_type, sum(f.price) "
        "from marts.fct_contract_activity as f left join marts.dim_icb as c "
        "on f.commissioner_code = c.icb_code and not c.is_unknown_member "
        "and f.period_start_date between c.valid_from and coalesce(c.valid_to, date '9999-12-31') "
        "where f.record_type in ('Plan', 'Actual') group by all having sum(f.price) != 0")
    expected = {(p, i, y, t): v for p, i, y, t, v in facts}
    mart = analytics.query(
        "select provider_code, icb_code, financial_year, sum(plan_gbp), sum(actual_gbp) "
        "from marts.rpt_contract_plan_vs_actual group by all")
    found = {}
    for provider, icb, year, plan, actual in mart:
        for kind, value in (("Plan", plan), ("Actual", actual)):
            if value != 0:
                found[(provider, icb, year, kind)] = value
    hub_plans = [k for k in expected if k[3] == "Plan"]
    assert found == expected and hub_plans
    # the figure: RJ1 2025/26 reads about +7 % on the ICBs it has plans for, not +211 %
    [(plan, actual)] = analytics.query(
        "select sum(plan_gbp), sum(actual_gbp) from marts.rpt_contract_plan_vs_actual "
        "where provider_code = 'RJ1' and financial_year = '2025/26' and has_plan")
    [(everything,)] = analytics.query(
        "select sum(actual_gbp) from marts.rpt_contract_plan_vs_actual "
        "where provider_code = 'RJ1' and financial_year = '2025/26'")
    assert plan > 0 and abs(actual / plan - 1) < Decimal("0.5") < everything / plan - 1


def test_low_volume_flows_equal_an_independent_count(analytics: AnalyticsWarehouse) -> None:
    with (SEEDS / "low_volume_flow_thresholds.csv").open(newline="", encoding="utf-8") as handle:
        thresholds = {row["financial_year"]: Decimal(row["threshold_gbp"]) for row in csv.DictReader(handle)}
    assert thresholds["2024/25"] == Decimal("500000.00") and thresholds["2025/26"] == Decimal("1500000.00")
    flows = analytics.query(
        "with months as (select provider_code, financial_year, count(distinct financial_month) as n "
        "from marts.fct_contract_activity group by all) "
        "select f.provider_code, f.attributed_icb_code, f.financial_year, f.funding_stream, "
        "sum(f.price), sum(f.activity), any_value(months.n) "
        "from marts.fct_contract_activity as f inner join months using (provider_code, financial_year) "
        "where f.record_type = 'Actual' and f.attributed_icb_code is not null group by all")
    expected = set()
    for provider, icb, year, stream, price, activity, months in flows:
        annual = (price * 12 / months).quantize(Decimal("0.01"))
        if 0 < annual < thresholds[year]:
            expected.add((provider, icb, year, stream, price, activity))
    listed = set(analytics.query(
        "select provider_code, icb_code, financial_year, funding_stream, price_gbp, activity "
        "from marts.rpt_low_volume_flows"))
    assert listed == expected and listed


def test_funnel_limits_recomputed_independently(analytics: AnalyticsWarehouse) -> None:
    """Issue 24: the demo's footprint has two ICBs, fewer than the 5 comparators a funnel needs,
    so nothing is flagged (NULL, with the reason; it used to flag 40 of 44 rows); the limits
    drawn are Poisson limits on the square-root scale around the reference rate (seed
    service_line_reference_rates) for the months covered, recomputed here from the seed."""
    from statistics import NormalDist

    with (SEEDS / "service_line_reference_rates.csv").open(newline="", encoding="utf-8") as handle:
        reference = {row["service_line_code"]: float(row["activity_per_100k"])
                     for row in csv.DictReader(handle) if row["geography_code"] == "ENG"}
    phasing = dict(analytics.query(
        "select financial_month, cumulative_weight from staging.stg_reference__plan_phasing"))
    rows = analytics.query(
        "select service_line_code, months_covered, weighted_population, target_activity_per_100k, "
        "activity_lower_95_per_100k, activity_upper_95_per_100k, activity_lower_998_per_100k, "
        "activity_upper_998_per_100k, comparators, no_flag_reason, is_outlier_95, is_outlier_998, "
        "is_spend_outlier_95, centre_source, is_centre_illustrative "
        "from marts.rpt_icb_variation where is_in_footprint")
    assert rows
    z95, z998 = NormalDist().inv_cdf(0.975), NormalDist().inv_cdf(0.999)
    judged_against_the_seed = 0
    for (line, months, population, centre, low95, high95, low998, high998, comparators, reason,
         flag95, flag998, spend95, source, illustrative) in rows:
        assert flag95 is None and flag998 is None and spend95 is None
        if line not in reference:  # the seed has no rate for a line the demo seed did not make
            assert (reason, source, centre, comparators) == ("no_reference_rate", None, None, 0), line
            continue
        judged_against_the_seed += 1
        assert comparators == 2 and reason == "fewer_than_5_comparators", line
        assert source == "reference_national" and illustrative
        expected_centre = reference[line] * float(phasing[months])
        assert abs(float(centre) - expected_centre) < 1e-3
        sd = (1 / (4 * expected_centre * population / 1e5)) ** 0.5
        for z, low, high in ((z95, low95, high95), (z998, low998, high998)):
            assert abs(float(low) - expected_centre * max(1 - z * sd, 0) ** 2) < 2e-3, line
            assert abs(float(high) - expected_centre * (1 + z * sd) ** 2) < 2e-3, line
    assert judged_against_the_seed > 0


def test_variation_rates_include_the_estimates_and_say_when_a_month_was_missing(
    analytics: AnalyticsWarehouse,
) -> None:
    """Issue 24: a year with missing provider months is not understated silently: the rates
    include the estimates (shared to the lines from int_finance__slam_flow_estimates) and
    is_complete is false where a provider-month of the ICB's stream was missing."""
    [(estimated, incomplete, rows, wrong_rate)] = analytics.query(
        "select sum(estimated_spend_gbp), count(*) filter (where not is_complete), count(*), "
        "count(*) filter (where weighted_population > 0 and abs(spend_per_100k - 100000.0 * "
        "(spend_gbp + estimated_spend_gbp) / weighted_population) > 0.01) "
        "from marts.rpt_icb_variation where is_in_footprint and financial_year = '2025/26'")
    [(flow_estimates,)] = analytics.query(
        "select sum(estimated_gbp) from intermediate.int_finance__slam_flow_estimates "
        "where icb_code in ('QKK', 'QWE') and financial_year = '2025/26'")
    assert estimated > 0 and incomplete > 0 and rows and wrong_rate == 0
    # shared to the specialised lines only: never more than the flows' estimate
    assert estimated <= flow_estimates < estimated * Decimal("1.05")
    [(complete_with_estimate,)] = analytics.query(
        "select count(*) from marts.rpt_icb_variation where is_complete and estimated_spend_gbp != 0")
    assert complete_with_estimate == 0


def test_erf_performance_equals_an_independent_count(analytics: AnalyticsWarehouse) -> None:
    """Issue 24: the ERF's value, counted here from the SUS facts' rows with the scope written
    out again (APC EL and DC, OP OPFA and OPPROC, specialised lines by the service-code seed),
    and the baseline from the seed file, equal the mart per provider × ICB × year × month."""
    with (SEEDS / "service_codes.csv").open(newline="", encoding="utf-8") as handle:
        specialised = {row["service_code"] for row in csv.DictReader(handle)
                       if row["service_category"] not in ("not_specialised", "unattributable")}
    scope = {("APC", "EL"), ("APC", "DC"), ("OP", "OPFA"), ("OP", "OPPROC")}
    counted: dict[tuple, list] = {}
    for dataset, pod, line, provider, icb, year, month, price in analytics.query(
        "select dataset, pod_code, paying_service_line_code, provider_code, attributed_icb_code, "
        "financial_year, financial_month, tariff_price from marts.fct_sus_activity"
    ):
        if (dataset, pod) in scope and line in specialised and year is not None:
            cell = counted.setdefault((provider, icb or "UNKNOWN", year, month), [0, Decimal("0")])
            cell[0] += 1
            cell[1] += price or Decimal("0")
    with (SEEDS / "erf_baselines.csv").open(newline="", encoding="utf-8") as handle:
        baselines = {(r["provider_code"], r["icb_code"], r["financial_year"], int(r["financial_month"])):
                     Decimal(r["baseline_value_gbp"]) for r in csv.DictReader(handle)}
    mart = {
        (p, i, y, m): (records, value, baseline, ratio)
        for p, i, y, m, records, value, baseline, ratio in analytics.query(
            "select provider_code, icb_code, financial_year, financial_month, "
            "admitted_records + outpatient_first_records + outpatient_procedure_records, "
            "elective_value_gbp, baseline_value_gbp, performance_ratio from marts.rpt_erf_performance")
    }
    assert set(mart) == set(counted) | set(baselines)
    for key, (records, value, baseline, ratio) in mart.items():
        expected_records, expected_value = counted.get(key, [0, Decimal("0")])
        assert (records, value, baseline) == (expected_records, expected_value, baselines.get(key)), key
        if key in baselines:
            exact = (value / baselines[key]).quantize(Decimal("0.000001"), ROUND_HALF_UP)
            assert ratio == exact.quantize(Decimal("0.0001"), ROUND_HALF_UP), key
        else:
            assert ratio is None, key
    assert sum(v for _, v in counted.values()) > 0 and any(r for *_, r in mart.values())


def test_a_late_file_replaces_the_estimate_and_the_movement_says_so(
    analytics: AnalyticsWarehouse, tmp_path: Path
) -> None:
    """The withheld month arrives: the next build shows the actual, the month is complete, and
    rpt_icb_spend_movements says estimate_replaced (and nothing else moved)."""
    from landing_files import SLAM_HEADER, slam_row, write_csv
    from speccomm.load import load_landing

    skipped = [w for w in analytics.manifest["withheld_provider_months"] if w["reason"] == "skipped"]
    assert skipped
    late = skipped[0]
    provider, year, month = late["provider_code"], late["financial_year"], late["financial_month"]
    database = tmp_path / "late.duckdb"
    shutil.copyfile(analytics.database, database)
    landing = tmp_path / "landing"
    name = f"{provider}_ACM_{year[:4][2:]}{year[5:]}_M{month:02d}_20270101090000.csv"
    write_csv(landing / "slam" / name, SLAM_HEADER, [
        slam_row(str(month), provider=provider, year=year, price="1000.00"),
        slam_row(str(month), provider=provider, year=year, price="2000.00"),
    ])
    with duckdb.connect(str(database)) as con:
        load_landing(con, landing)
    result = run_dbt(["build", *ANALYTICS_SELECTION, "--exclude", "test_type:unit",
                      "--vars", json.dumps({"pace_of_change_limit": PACE_LIMIT})],
                     database, target="test", echo=False)
    assert result.returncode == 0, result.log_path
    with duckdb.connect(str(database), read_only=True) as con:
        moved = con.execute(
            "select provider_code, financial_year, financial_month, movement, icb_code, funding_stream, "
            "current_gbp, last_build_gbp, since_last_build_gbp from marts.rpt_icb_spend_movements "
            "where movement != 'unchanged'").fetchall()
        spend = con.execute(
            "select is_complete, slam_actual_gbp, slam_estimated_gbp from marts.fct_icb_spend_monthly "
            "where icb_code = 'QKK' and funding_stream = 'green' and financial_year = ? "
            "and financial_month = ?",
            [year, month]).fetchall()
    why = {(p, y, m, reason) for p, y, m, reason, *_ in moved}
    assert moved and why == {(provider, year, month, "estimate_replaced")}
    qkk = [r for r in moved if r[4] == "QKK" and r[5] == "green"]
    assert qkk and qkk[0][6] == Decimal("3000.00") and qkk[0][8] == qkk[0][6] - qkk[0][7]
    assert spend == [(True, spend[0][1], Decimal("0.00"))]  # the only missing month: now complete
