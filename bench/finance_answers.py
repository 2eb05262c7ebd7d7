"""Issue 24's finance answers, checked on two published warehouses: A (no merger) and B (the same
landing with a merger recorded in the ICB reference data), over one footprint.

    .venv/bin/python -m bench.finance_answers --a /tmp/a.duckdb --b /tmp/b.duckdb [--footprint QKK,QWE]

Prints, per financial year, the footprint's totals of every footprint mart on A and on B with the
difference, and the figures that must hold on each warehouse alone; exits 1 when an invariant
breaks (each broken one is listed at the end), 2 when a warehouse cannot be read. `--b` may be
left out to check one warehouse's own invariants. docs/marts/README.md, "Checking the finance
answers", says what each invariant means.

The footprint is read from the warehouse, not from the marts' `is_in_footprint`: every ICB that
is one of the footprint's ICBs, or whose population one of them holds today
(`dim_icb.current_icb_code`, successors followed), so a merger's successor and its
predecessors' history are both in it; every mart's `is_in_footprint` must agree.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

from speccomm.footprint import UnknownFootprint, footprint_icbs, parse_footprint

DEFAULT_FOOTPRINT = "QKK,QWE"
PENNY = Decimal("0.01")
# rpt_contract_plan_vs_actual: the providers the review named, then all of them
CONTRACT_PROVIDERS = ("RJ1", "RJ7", "RPY")
MIN_COMPARATORS = 5
Value = Decimal | int | float | str | None


@dataclass(frozen=True)
class Measure:
    """One figure of a mart per financial year.

    `conserved`: a merger must leave the footprint's figure as it was (B = A). `tolerance` is the
    difference allowed in pounds: figures that include estimates are rounded to the penny per
    provider flow, and the predecessors' flows are one flow after a merger, so B may differ by
    up to a penny per flow (`tolerance_flows` names the count query's key in `FLOW_COUNTS`)."""

    mart: str
    name: str
    conserved: bool = True
    tolerance_flows: str | None = None


@dataclass
class Report:
    """What the run found: printed lines and the broken invariants."""

    lines: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)

    def say(self, text: str = "") -> None:
        self.lines.append(text)

    def fail(self, text: str) -> None:
        self.broken.append(text)
        self.lines.append(f"  !! {text}")


Rows = list[tuple[Value, ...]]
Query = Callable[[str], Rows]


def _connect(path: Path) -> Query:
    con = duckdb.connect(str(path), read_only=True)

    def query(sql: str) -> Rows:
        return con.execute(sql).fetchall()

    return query


# --- the footprint --------------------------------------------------------------------------------


def footprint_codes(query: Query, text: str) -> list[str]:
    """The ICB codes the footprint covers in this warehouse: the codes named (a footprint name of
    `reference.footprints` gives its ICBs) and every ICB whose current ICB is a named one's."""
    parts = parse_footprint(text)
    if isinstance(parts, str):
        return [
            str(code) for (code,) in query("select icb_code from marts.dim_icb where not is_unknown_member")
        ]
    named: dict[str, list[str]] = {}
    for name, code in query("select upper(footprint_code), upper(icb_code) from reference.footprints"):
        named.setdefault(str(name), []).append(str(code))
    known = {str(code) for (code,) in query("select icb_code from marts.dim_icb")}
    codes = footprint_icbs(parts, named, known, f"--footprint={text!r}")
    listed = ", ".join(f"'{code}'" for code in codes)
    found = query(
        "select distinct icb_code from marts.dim_icb where icb_code in"
        f" ({listed}) or current_icb_code in (select current_icb_code from marts.dim_icb"
        f" where icb_code in ({listed})) order by 1"
    )
    return [str(code) for (code,) in found]


def in_footprint(codes: Sequence[str], column: str = "icb_code") -> str:
    return f"{column} in ({', '.join(repr(code) for code in codes)})"


FOOTPRINT_MARTS = (
    "fct_icb_spend_monthly",
    "rpt_allocation_impact",
    "rpt_low_volume_flows",
    "rpt_erf_performance",
    "rpt_icb_variation",
    "rpt_contract_plan_vs_actual",
)


def footprint_disagreements(query: Query, codes: Sequence[str]) -> dict[str, int]:
    """Per mart, the rows whose `is_in_footprint` says otherwise than the footprint's codes."""
    where = in_footprint(codes)
    return {
        mart: int(
            query(f"select count(*) from marts.{mart} where is_in_footprint is distinct from ({where})")[0][0]
            or 0
        )
        for mart in FOOTPRINT_MARTS
    }


# --- the footprint's totals, per financial year ---------------------------------------------------

# per mart: the query of its footprint totals (first column the year), and its measures in order
LATEST_MONTH = (
    "(select financial_year, max(financial_month) as financial_month from marts.fct_icb_spend_monthly"
    " where is_slam_reported group by all)"
)
TOTALS: dict[str, tuple[str, tuple[Measure, ...]]] = {
    "fct_icb_spend_monthly": (
        "select financial_year, sum(plan_gbp), sum(plan_covered_by_feeds_gbp), sum(slam_actual_gbp),"
        " sum(slam_estimated_gbp), sum(ledger_actual_gbp), sum(ledger_feed_providers_gbp)"
        " from marts.fct_icb_spend_monthly where {footprint} group by all",
        (
            Measure("fct_icb_spend_monthly", "plan_gbp"),
            Measure("fct_icb_spend_monthly", "plan_covered_by_feeds_gbp"),
            Measure("fct_icb_spend_monthly", "slam_actual_gbp"),
            Measure("fct_icb_spend_monthly", "slam_estimated_gbp", tolerance_flows="slam_flow_months"),
            Measure("fct_icb_spend_monthly", "ledger_actual_gbp"),
            Measure("fct_icb_spend_monthly", "ledger_feed_providers_gbp"),
        ),
    ),
    "fct_icb_spend_monthly outturn": (
        # the forecast columns are as at a month: the latest month SLAM reports in the year
        "select s.financial_year, any_value(s.financial_month), sum(s.slam_forecast_outturn_gbp),"
        " sum(s.slam_forecast_outturn_low_gbp), sum(s.slam_forecast_outturn_high_gbp)"
        f" from marts.fct_icb_spend_monthly as s inner join {LATEST_MONTH} as latest"
        " on s.financial_year = latest.financial_year and s.financial_month = latest.financial_month"
        " where {footprint} group by all",
        (
            Measure("fct_icb_spend_monthly", "as_at_month"),
            Measure("fct_icb_spend_monthly", "slam_forecast_outturn_gbp", tolerance_flows="slam_flow_years"),
            Measure("fct_icb_spend_monthly", "slam_forecast_outturn_low_gbp", conserved=False),
            Measure("fct_icb_spend_monthly", "slam_forecast_outturn_high_gbp", conserved=False),
        ),
    ),
    "rpt_allocation_impact": (
        # footprint_total_gbp repeats on every footprint ICB's row of a year and stream
        "select financial_year, sum(footprint_total_gbp), sum(footprint_total_gbp - footprint_estimated_gbp),"
        " sum(host_basis_gbp), sum(host_basis_gbp - host_estimated_gbp), sum(population_basis_gbp),"
        " sum(population_basis_gbp - population_estimated_gbp), sum(needs_target_gbp), sum(needs_basis_gbp)"
        " from (select financial_year, funding_stream, max(footprint_total_gbp) as footprint_total_gbp,"
        " max(footprint_estimated_gbp) as footprint_estimated_gbp, sum(host_basis_gbp) as host_basis_gbp,"
        " sum(host_estimated_gbp) as host_estimated_gbp, sum(population_basis_gbp) as population_basis_gbp,"
        " sum(population_estimated_gbp) as population_estimated_gbp,"
        " sum(needs_target_gbp) as needs_target_gbp,"
        " sum(needs_basis_gbp) as needs_basis_gbp"
        " from marts.rpt_allocation_impact where {footprint} group by all) group by all",
        (
            Measure("rpt_allocation_impact", "footprint_total_gbp", tolerance_flows="slam_flow_years"),
            Measure("rpt_allocation_impact", "footprint_total_gbp less estimates"),
            Measure("rpt_allocation_impact", "host_basis_gbp", tolerance_flows="slam_flow_years"),
            Measure("rpt_allocation_impact", "host_basis_gbp less estimates"),
            Measure("rpt_allocation_impact", "population_basis_gbp", tolerance_flows="slam_flow_years"),
            Measure("rpt_allocation_impact", "population_basis_gbp less estimates"),
            Measure("rpt_allocation_impact", "needs_target_gbp", tolerance_flows="slam_flow_years"),
            Measure("rpt_allocation_impact", "needs_basis_gbp", tolerance_flows="slam_flow_years"),
        ),
    ),
    "rpt_low_volume_flows": (
        # the list is the merged ICB's by design: a successor's flow is its predecessors' added up
        # and listed when that sum is under the threshold, so it is reported, not conserved
        "select financial_year, count(*), sum(price_gbp), sum(annual_value_gbp)"
        " from marts.rpt_low_volume_flows where {footprint} group by all",
        (
            Measure("rpt_low_volume_flows", "flows", conserved=False),
            Measure("rpt_low_volume_flows", "price_gbp", conserved=False),
            Measure("rpt_low_volume_flows", "annual_value_gbp", conserved=False),
        ),
    ),
    "rpt_erf_performance": (
        "select financial_year, sum(elective_records), sum(elective_value_gbp), sum(baseline_value_gbp),"
        " sum(elective_value_gbp) filter (where baseline_value_gbp is not null)"
        " / nullif(sum(baseline_value_gbp), 0)"
        " from marts.rpt_erf_performance where {footprint} group by all",
        (
            Measure("rpt_erf_performance", "elective_records"),
            Measure("rpt_erf_performance", "elective_value_gbp"),
            Measure("rpt_erf_performance", "baseline_value_gbp"),
            # the documented ratio counts the value of the rows that have a baseline: a merger can
            # give a predecessor's activity with no baseline of its own the other's baseline
            Measure("rpt_erf_performance", "performance_ratio", conserved=False),
        ),
    ),
    "rpt_icb_variation": (
        "select financial_year, count(*), sum(spend_gbp), sum(estimated_spend_gbp), sum(activity),"
        " count(*) filter (where is_outlier_95 or is_spend_outlier_95),"
        " count(*) filter (where no_flag_reason is not null)"
        " from marts.rpt_icb_variation where {footprint} group by all",
        (
            # one row per ICB × line: a merger makes two ICBs' rows one
            Measure("rpt_icb_variation", "rows", conserved=False),
            Measure("rpt_icb_variation", "spend_gbp"),
            Measure("rpt_icb_variation", "estimated_spend_gbp", tolerance_flows="slam_flow_years"),
            Measure("rpt_icb_variation", "activity"),
            Measure("rpt_icb_variation", "rows flagged at 95 %", conserved=False),
            Measure("rpt_icb_variation", "rows not judged (no_flag_reason)", conserved=False),
        ),
    ),
}

# a provider's SLAM against the ICBs' ledgers, every ICB: the same cells flagged, the same money
# (a merger makes two ICBs' cells one, so fewer cells are compared)
TOTALS["rpt_triangulation_spend (every ICB)"] = (
    "select financial_year, count(*) filter (where is_flagged), count(*) filter (where is_compared),"
    " sum(slam_gbp), sum(ledger_gbp) from marts.rpt_triangulation_spend group by all",
    (
        Measure("rpt_triangulation_spend", "cells flagged"),
        Measure("rpt_triangulation_spend", "cells compared", conserved=False),
        Measure("rpt_triangulation_spend", "slam_gbp"),
        Measure("rpt_triangulation_spend", "ledger_gbp"),
    ),
)

# the flows whose estimates are rounded separately, per year: the penny bound of a merger's rounding
FLOW_COUNTS = {
    "slam_flow_months": (
        "select financial_year,"
        " count(distinct (provider_code, attributed_icb_code, funding_stream, financial_month))"
        " from marts.fct_contract_activity where record_type = 'Actual' and {footprint} group by all"
    ),
    "slam_flow_years": (
        "select financial_year, count(distinct (provider_code, attributed_icb_code, funding_stream))"
        " from marts.fct_contract_activity where record_type = 'Actual' and {footprint} group by all"
    ),
}


def yearly(
    query: Query, sql: str, codes: Sequence[str], column: str = "icb_code"
) -> dict[str, tuple[Value, ...]]:
    return {str(row[0]): tuple(row[1:]) for row in query(sql.format(footprint=in_footprint(codes, column)))}


def _number(value: Value) -> Decimal | None:
    if value is None or isinstance(value, str):
        return None
    return Decimal(str(value))


def _text(value: Value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, Decimal) and int(value.as_tuple().exponent) < 0:
        # money to the penny, a ratio to four places
        return f"{value:,.2f}" if int(value.as_tuple().exponent) >= -2 else f"{value:,.4f}"
    if isinstance(value, Decimal | int):
        return f"{value:,}"
    return str(value)


def compare_totals(
    report: Report, a: Query, b: Query | None, codes_a: Sequence[str], codes_b: Sequence[str]
) -> None:
    flows = {key: yearly(a, sql, codes_a, "attributed_icb_code") for key, sql in FLOW_COUNTS.items()}
    for title, (sql, measures) in TOTALS.items():
        totals_a = yearly(a, sql, codes_a)
        totals_b = yearly(b, sql, codes_b) if b else {}
        scope = "totals" if "every ICB" in title else "the footprint's totals"
        report.say(f"\n## {title}: {scope} per financial year" + (" (A | B | B - A)" if b else ""))
        for year in sorted(set(totals_a) | set(totals_b)):
            row_a = totals_a.get(year, (None,) * len(measures))
            row_b = totals_b.get(year, (None,) * len(measures))
            for index, measure in enumerate(measures):
                _compare_one(
                    report, year, measure, row_a[index], row_b[index] if b else None, flows, b is not None
                )


def _compare_one(
    report: Report,
    year: str,
    measure: Measure,
    value_a: Value,
    value_b: Value,
    flows: dict[str, dict[str, tuple[Value, ...]]],
    with_b: bool,
) -> None:
    label = f"{year} {measure.name}"
    if not with_b:
        report.say(f"  {label:<52} {_text(value_a):>20}")
        return
    number_a, number_b = _number(value_a), _number(value_b)
    difference = number_b - number_a if number_a is not None and number_b is not None else None
    report.say(f"  {label:<52} {_text(value_a):>20} | {_text(value_b):>20} | {_text(difference):>14}")
    if not measure.conserved or value_a == value_b:
        return
    allowed = Decimal(0)
    if measure.tolerance_flows:
        count = flows[measure.tolerance_flows].get(year, (0,))[0]
        allowed = PENNY * Decimal(str(count or 0))
    if difference is None or abs(difference) > allowed:
        report.fail(
            f"{measure.mart} {label}: moved with the merger"
            f" (A {_text(value_a)}, B {_text(value_b)}, allowed ±{allowed})"
        )


# --- the invariants of one warehouse --------------------------------------------------------------

VARIANCE_COLUMNS = (
    "slam_variance_gbp",
    "slam_with_estimates_variance_gbp",
    "ledger_variance_gbp",
    "ytd_slam_variance_gbp",
    "ytd_slam_with_estimates_variance_gbp",
    "ytd_ledger_variance_gbp",
    "slam_forecast_outturn_variance_gbp",
    "slam_forecast_variance_gbp",
    "ledger_forecast_variance_gbp",
)
FLAG_COLUMNS = ("is_outlier_95", "is_outlier_998", "is_spend_outlier_95", "is_spend_outlier_998")


def one_warehouse(report: Report, label: str, query: Query, codes: Sequence[str]) -> None:
    report.say(f"\n## {label}: invariants of the warehouse alone (footprint {', '.join(codes)})")
    for mart, rows in footprint_disagreements(query, codes).items():
        if rows:
            report.fail(f"{label} {mart}: {rows} rows whose is_in_footprint disagrees with the footprint")
    published = " or ".join(f"{column} is not null" for column in VARIANCE_COLUMNS)
    illustrative = query(
        f"select count(*), count(*) filter (where {published}) from marts.fct_icb_spend_monthly"
        " where plan_source = 'illustrative'"
    )[0]
    report.say(
        f"  rows on an illustrative plan: {illustrative[0]:,}; with a variance published: {illustrative[1]}"
    )
    if illustrative[1]:
        report.fail(
            f"{label} fct_icb_spend_monthly: {illustrative[1]} rows publish a variance"
            " against an illustrative plan"
        )
    flags = " or ".join(f"{column} is not null" for column in FLAG_COLUMNS)
    few = query(
        f"select count(*), count(*) filter (where {flags}), count(*) filter (where no_flag_reason is null)"
        f" from marts.rpt_icb_variation where coalesce(comparators, 0) < {MIN_COMPARATORS}"
    )[0]
    report.say(
        f"  variation rows with fewer than {MIN_COMPARATORS} comparators: {few[0]:,}; flagged: {few[1]};"
        f" without a no_flag_reason: {few[2]}"
    )
    if few[1] or few[2]:
        report.fail(
            f"{label} rpt_icb_variation: {few[1]} funnel flags set (and {few[2]} rows with no reason)"
            f" with fewer than {MIN_COMPARATORS} comparators"
        )
    lacking = query(
        "select count(*) from marts.fct_icb_spend_monthly where slam_forecast_outturn_gbp is not null"
        " and (slam_forecast_outturn_low_gbp is null or slam_forecast_outturn_high_gbp is null"
        " or slam_forecast_outturn_gbp not between slam_forecast_outturn_low_gbp"
        " and slam_forecast_outturn_high_gbp)"
    )[0][0]
    report.say(f"  forecast rows lacking a low or high (or outside their own range): {lacking}")
    if lacking:
        report.fail(f"{label} fct_icb_spend_monthly: {lacking} forecast rows without a range around them")
    erf = query(f"select count(*) from marts.rpt_erf_performance where {in_footprint(codes)}")[0][0]
    report.say(f"  ERF rows in the footprint: {erf:,}")
    if not erf:
        report.fail(f"{label} rpt_erf_performance: no ERF reported for the footprint")
    coverage(report, query, codes)


# the share of actual outturns inside the 80 % range (docs/marts/icb-spend-against-plan.md, 4b)
COVERAGE = """
with outturns as (
    select icb_code, financial_year, funding_stream, slam_forecast_outturn_gbp as outturn_gbp
    from marts.fct_icb_spend_monthly
    where financial_month = 12 and is_slam_reported
)
select f.financial_year, f.forecast_range_method, count(*) as forecasts,
    avg(case when o.outturn_gbp between f.slam_forecast_outturn_low_gbp
        and f.slam_forecast_outturn_high_gbp then 1.0 else 0.0 end) as coverage,
    count(*) filter (where {footprint}),
    avg(case when o.outturn_gbp between f.slam_forecast_outturn_low_gbp
        and f.slam_forecast_outturn_high_gbp then 1.0 else 0.0 end) filter (where {footprint})
from marts.fct_icb_spend_monthly as f
inner join outturns as o using (icb_code, financial_year, funding_stream)
where f.financial_month < 12 and f.slam_forecast_outturn_gbp > 0
group by all
order by all
"""


def coverage(report: Report, query: Query, codes: Sequence[str]) -> None:
    report.say(
        "  forecast range coverage (outturns inside the 80 % range, months 1-11; all ICBs | footprint):"
    )
    for year, method, forecasts, share, footprint_forecasts, footprint_share in query(
        COVERAGE.format(footprint=in_footprint(codes, "f.icb_code"))
    ):
        report.say(
            f"    {year} {method:<9} {forecasts:>6,} forecasts {_percent(share):>7}"
            f" | {footprint_forecasts:>5,} forecasts {_percent(footprint_share):>7}"
        )


def _percent(value: Value) -> str:
    number = _number(value)
    return "NULL" if number is None else f"{number * 100:.1f} %"


# --- like for like and data quality, A against B ------------------------

CONTRACT = """
select coalesce(provider_code, 'all'), sum(plan_gbp), sum(like_for_like_actual_gbp) filter (where has_plan)
from marts.rpt_contract_plan_vs_actual
where financial_year = '{year}' and {footprint}
group by rollup (provider_code)
"""


# per footprint ICB and stream, as at the year's latest SLAM month: what the plan is and the
# variance the mart publishes against it (NULL with the reason when withheld)
PLAN_VARIANCES = """
select s.icb_code, s.funding_stream, s.plan_source, s.annual_plan_gbp, s.annual_plan_covered_by_feeds_gbp,
    s.slam_forecast_outturn_gbp,
    s.slam_forecast_outturn_variance_gbp, s.variance_withheld_reason
from marts.fct_icb_spend_monthly as s
inner join {latest} as latest
    on s.financial_year = latest.financial_year and s.financial_month = latest.financial_month
where s.financial_year = '{year}' and {footprint}
order by all
"""


def plan_variances(report: Report, label: str, query: Query, codes: Sequence[str], year: str) -> None:
    report.say(
        f"\n## {label} fct_icb_spend_monthly {year} at the latest SLAM month: ICB, stream, plan source,"
        " annual plan, the part the feeds cover, outturn with estimates,"
        " its variance against that part (or why none)"
    )
    for icb, stream, source, plan, covered, outturn, variance, reason in query(
        PLAN_VARIANCES.format(latest=LATEST_MONTH, year=year, footprint=in_footprint(codes, "s.icb_code"))
    ):
        shown = (
            f"withheld: {reason}" if variance is None else f"{_text(variance)} ({_share(variance, covered)})"
        )
        report.say(
            f"  {icb} {stream:<8} {source or '-':<21} {_text(plan):>16} {_text(covered):>16}"
            f" {_text(outturn):>16}  {shown}"
        )


def contract_plans(
    report: Report, a: Query, b: Query | None, codes_a: Sequence[str], codes_b: Sequence[str], year: str
) -> None:
    report.say(
        f"\n## rpt_contract_plan_vs_actual {year} year to date, like for like: (actual - plan) / plan"
        + (" (A | B)" if b else "")
    )
    rows_a = {str(row[0]): row[1:] for row in a(CONTRACT.format(year=year, footprint=in_footprint(codes_a)))}
    rows_b = (
        {str(row[0]): row[1:] for row in b(CONTRACT.format(year=year, footprint=in_footprint(codes_b)))}
        if b
        else {}
    )
    for provider in [*CONTRACT_PROVIDERS, "all"]:
        pct_a = _variance_pct(rows_a.get(provider))
        line = f"  {provider:<4} plan {_text(_first(rows_a.get(provider))):>16}  {pct_a:>9}"
        if b:
            pct_b = _variance_pct(rows_b.get(provider))
            line += f" | {pct_b:>9}"
            if rows_a.get(provider) != rows_b.get(provider):
                report.fail(
                    f"rpt_contract_plan_vs_actual {year} {provider}: like-for-like plan and actual moved"
                    f" with the merger (A {pct_a}, B {pct_b})"
                )
        report.say(line)


def _first(row: Sequence[Value] | None) -> Value:
    return row[0] if row else None


def _variance_pct(row: Sequence[Value] | None) -> str:
    """(actual − plan) ÷ plan of a (plan, actual) row."""
    if not row:
        return "no plan"
    plan, actual = _number(row[0]), _number(row[1])
    return "NULL" if actual is None or plan is None else _share(actual - plan, plan)


def _share(part: Value, whole: Value) -> str:
    """part ÷ whole in per cent with its sign; NULL when either is missing or the whole is 0."""
    numerator, base = _number(part), _number(whole)
    if numerator is None or not base:
        return "NULL"
    return f"{numerator / base * 100:+.1f} %"


# the latest run's results that are not a pass (every slice is checked again after a reference change)
PROVIDER_DQ = (
    "select check_id, status, count(*), count(distinct provider_code), sum(rows_failed), sum(rows_checked)"
    " from dq.dq_check_results"
    " where status != 'pass' and dataset {ledger} 'ledger'"
    " and run_at = (select max(run_at) from dq.dq_check_results) group by all order by all"
)
PROVIDER_DQ_SLICES = (
    "select check_id, status, provider_code, financial_year, financial_month from dq.dq_check_results"
    " where status != 'pass' and dataset {ledger} 'ledger'"
    " and run_at = (select max(run_at) from dq.dq_check_results) order by all"
)


def data_quality(report: Report, a: Query, b: Query | None) -> None:
    for ledger, who in (("!=", "providers' data"), ("=", "ICBs' ledgers")):
        report.say(
            f"\n## data quality, the latest run's results that are not a pass, {who}:"
            " check, status, slices / providers / rows failed / rows checked" + (" (A | B)" if b else "")
        )
        counts_a = {row[:2]: row[2:] for row in a(PROVIDER_DQ.format(ledger=ledger))}
        counts_b = {row[:2]: row[2:] for row in b(PROVIDER_DQ.format(ledger=ledger))} if b else {}
        for key in sorted(set(counts_a) | set(counts_b), key=str):
            line = f"  {key[0]:<40} {key[1]:<6} {_pair(counts_a.get(key))}"
            report.say(line + (f" | {_pair(counts_b.get(key))}" if b else ""))
        if b:
            _compare_slices(report, a, b, ledger)


def _compare_slices(report: Report, a: Query, b: Query, ledger: str) -> None:
    slices_a = set(a(PROVIDER_DQ_SLICES.format(ledger=ledger)))
    slices_b = set(b(PROVIDER_DQ_SLICES.format(ledger=ledger)))
    # a provider's results must be unchanged; an ICB's ledger may fail less after a merger (a
    # file's row stating the other predecessor is the successor's entity), never more
    new = slices_b - slices_a
    gone = slices_a - slices_b if ledger == "!=" else set()
    if new or gone:
        sample = ", ".join(str(item) for item in sorted(new | gone, key=str)[:5])
        report.fail(
            f"data quality ({'providers' if ledger == '!=' else 'ledgers'}): {len(new)} non-pass"
            f" results added and {len(gone)} gone with the merger, e.g. {sample}"
        )


def _pair(values: Iterable[Value] | None) -> str:
    return " / ".join(_text(value) for value in values) if values else "-"


# --- the command ----------------------------------------------------------------------------------


def check(a_path: Path, b_path: Path | None, footprint: str, year: str) -> Report:
    report = Report()
    a = _connect(a_path)
    b = _connect(b_path) if b_path else None
    codes_a = footprint_codes(a, footprint)
    codes_b = footprint_codes(b, footprint) if b else []
    report.say(f"A = {a_path} (footprint {footprint}: {', '.join(codes_a)})")
    if b_path:
        report.say(f"B = {b_path} (footprint {footprint}: {', '.join(codes_b)})")
    compare_totals(report, a, b, codes_a, codes_b)
    contract_plans(report, a, b, codes_a, codes_b, year)
    data_quality(report, a, b)
    plan_variances(report, "A", a, codes_a, year)
    if b:
        plan_variances(report, "B", b, codes_b, year)
    one_warehouse(report, "A", a, codes_a)
    if b:
        one_warehouse(report, "B", b, codes_b)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--a", type=Path, required=True, help="the published warehouse without the merger")
    parser.add_argument("--b", type=Path, help="the published warehouse of the same landing with the merger")
    parser.add_argument(
        "--footprint",
        default=DEFAULT_FOOTPRINT,
        help=f"ICB codes and/or footprint names, or national ({DEFAULT_FOOTPRINT})",
    )
    parser.add_argument(
        "--year",
        default="2025/26",
        help="the year of the plan variances and the contract plans' year to date (2025/26)",
    )
    args = parser.parse_args(argv)
    for path in (args.a, args.b):
        if path is not None and not path.is_file():
            print(f"finance_answers: {path}: no such warehouse file", file=sys.stderr)
            return 2
    try:
        report = check(args.a, args.b, args.footprint, args.year)
    except (UnknownFootprint, duckdb.Error) as exc:
        print(f"finance_answers: {exc}", file=sys.stderr)
        return 2
    print("\n".join(report.lines))
    if report.broken:
        print(f"\n{len(report.broken)} invariant(s) broken:")
        print("\n".join(f"- {item}" for item in report.broken))
        return 1
    print("\nevery invariant holds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
