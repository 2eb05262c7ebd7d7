"""What one pack page says: its sections, each chart with the sentence that states its finding
(the chart's text alternative) and the figures as a table under it (docs/icb-pack.md)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from speccomm.pack import charts
from speccomm.pack.charts import money
from speccomm.pack.data import PackData
from speccomm.pack.spc import Assurance, Direction, SpcChart, Variation, spc

WITHHELD = "<8"  # a count of 1-7 (and what is derived from it), withheld as in extracts
STREAM_NAMES = {"green": "Green", "amber": "Amber", "red": "Red", "blue": "Blue", "unknown": "Unknown stream"}
JUDGED_PLANS = ("icb_budget", "published_allocation")  # plan sources a variance is shown against
PLAN_WORDS = {
    "icb_budget": "the ICB's own budget",
    "published_allocation": "the published allocation",
    "illustrative": "an illustrative plan",
    "mixed": "plans from different sources",
}
COVERAGE_NOTE = (
    "The published allocation covers spend the SLAM feed does not carry (drugs and devices on their own "
    "lines, block payments): part of any gap is coverage, not variance."
)
FUNNEL_PANELS = 6
TABLE_ROWS = 25


@dataclass
class Table:
    caption: str
    headers: list[str]
    rows: list[list[str]]
    numeric: set[int] = field(default_factory=set)  # columns aligned right
    wrap: set[int] = field(default_factory=set)  # columns of long unbroken text (file names)
    more: int = 0  # rows left out (the table shows the first TABLE_ROWS)


@dataclass
class Icon:
    kind: str  # "variation" or "assurance"
    code: str  # css/svg variant: common, improvement-high, concern-low, pass, fail, hit-and-miss …
    letter: str
    label: str


@dataclass
class Chart:
    id: str
    title: str
    svg: str | None
    finding: str  # the text alternative: what the chart shows
    notes: list[str]
    table: Table
    icons: list[Icon] = field(default_factory=list)


@dataclass
class Section:
    id: str
    title: str
    intro: str
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


@dataclass
class Page:
    file_name: str
    title: str
    icbs: tuple[str, ...]
    summary: list[str]
    sections: list[Section]


def build_page(data: PackData, icbs: Sequence[str], file_name: str, title: str) -> Page:
    who = " + ".join(icbs)
    sections = [
        spc_section(data, icbs, who),
        plan_section(data, icbs, who),
        funnel_section(data, icbs),
        allocation_section(data),
        ir_section(data, icbs),
        triangulation_section(data, icbs),
        low_volume_section(data, icbs),
        files_section(data, icbs),
    ]
    summary = [chart.finding.split(". ")[0] + "." for chart in sections[0].charts]
    summary += [chart.finding for chart in sections[1].charts]
    return Page(file_name, title, tuple(icbs), summary, sections)


# --- formatting ------------------------------------------------------------------------------


def _is_missing(value: object) -> bool:
    return (
        value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT
    )


def fmt_money(value: object) -> str:
    if _is_missing(value):
        return WITHHELD
    amount = float(value)  # type: ignore[arg-type]
    return f"{'−' if amount < 0 else ''}£{abs(amount):,.0f}"


def fmt_count(value: object) -> str:
    return WITHHELD if _is_missing(value) else f"{float(value):,.0f}"  # type: ignore[arg-type]


def fmt_plain(value: object) -> str:
    return "" if _is_missing(value) else str(value)


def month_label(day: object) -> str:
    return pd.Timestamp(day).strftime("%b %y")


def _limit(frame: pd.DataFrame, rows: int = TABLE_ROWS) -> tuple[pd.DataFrame, int]:
    return frame.head(rows), max(0, len(frame) - rows)


def _latest_year(frame: pd.DataFrame) -> str | None:
    years = sorted(frame["financial_year"].dropna().unique()) if len(frame) else []
    return years[-1] if years else None


# --- monthly spend: SPC --------------------------------------------------------------------------


def plan_source(data: PackData, rows: pd.DataFrame) -> str:
    """The plan's source for these rows; without the column, the mart's plan is the published
    allocation (fct_icb_spend_monthly as documented before plan_source)."""
    if not data.has_column("fct_icb_spend_monthly", "plan_source"):
        return "published_allocation"
    sources = {s for s in rows["plan_source"].dropna().unique()}
    if not sources:
        return "none"
    return sources.pop() if len(sources) == 1 else "mixed"


def monthly_spend(data: PackData, icbs: Sequence[str]) -> pd.DataFrame:
    rows = data.rows("fct_icb_spend_monthly", icbs)
    rows = rows[rows["is_slam_reported"].fillna(False).astype(bool)]
    money_columns = ["slam_actual_gbp", "slam_estimated_gbp", "slam_with_estimates_gbp", "plan_gbp"]
    for column in money_columns:
        rows[column] = rows[column].astype(float)
    keys = ["funding_stream", "financial_year", "financial_month", "period_start_date"]
    return rows.groupby(keys, as_index=False)[money_columns].sum(min_count=1).sort_values(keys)


def spc_section(data: PackData, icbs: Sequence[str], who: str) -> Section:
    section = Section(
        "spc",
        "Monthly spend by funding stream",
        "SLAM actual spend for the ICB's patients each month, estimates included for providers that "
        "have not yet submitted, as Making Data Count XmR charts: the mean, the natural process "
        "limits (mean ± 2.66 × the mean moving range) and the special-cause rules (a point outside "
        "the limits, 7 in a row on one side of the mean, a trend of 7, two of three beyond 2 sigma). "
        "The icons read the latest month: variation (common or special cause) and, where the plan "
        "is a budget or the published allocation, assurance against it.",
    )
    spend = monthly_spend(data, icbs)
    all_rows = data.rows("fct_icb_spend_monthly", icbs)
    for stream in ("green", "amber", "red", "blue", "unknown"):
        rows = spend[spend["funding_stream"] == stream]
        values = rows["slam_with_estimates_gbp"].fillna(rows["slam_actual_gbp"]).fillna(0.0)
        if not len(rows) or not values.abs().sum():
            continue
        source = plan_source(data, all_rows[all_rows["funding_stream"] == stream])
        section.charts.append(_spc_chart(rows, list(values), stream, source, who))
    if not section.charts:
        section.intro += " No SLAM spend has been reported for these ICBs yet."
    return section


def _spc_chart(rows: pd.DataFrame, values: list[float], stream: str, source: str, who: str) -> Chart:
    judged = source in JUDGED_PLANS and rows["plan_gbp"].fillna(0).sum() > 0
    plans = [float(p) if judged and not _is_missing(p) else None for p in rows["plan_gbp"]]
    chart = spc(values, Direction.DECREASE if judged else Direction.NEUTRAL, plans[-1] if judged else None)
    labels = [month_label(d) for d in rows["period_start_date"]]
    estimated = [float(e or 0) > 0 for e in rows["slam_estimated_gbp"].fillna(0)]
    chart_id = f"spc-{stream}"
    svg = charts.spc_svg(charts.SpcSeries(labels, chart, estimated, plans), f"{chart_id}-finding")
    name = STREAM_NAMES[stream]
    finding = _spc_finding(chart, labels, name, who, judged, source)
    notes = [COVERAGE_NOTE] if judged and source == "published_allocation" else []
    if any(estimated):
        months = ", ".join(label for label, e in zip(labels, estimated, strict=True) if e)
        notes.append(f"Hollow points include an estimate for providers not yet submitted ({months}).")
    table = Table(
        f"{name} spend by month, {who}",
        ["Month", "Actual", "Estimate", "Plan", "Mean", "Lower limit", "Upper limit", "Special cause"],
        [
            [
                label,
                fmt_money(a),
                fmt_money(e) if float(e or 0) else "",
                fmt_money(p) if p is not None else "",
                *_limit_cells(chart),
                "; ".join(sorted(chart.rules[i])),
            ]
            for i, (label, a, e, p) in enumerate(
                zip(labels, rows["slam_actual_gbp"], rows["slam_estimated_gbp"].fillna(0), plans, strict=True)
            )
        ],
        numeric={1, 2, 3, 4, 5, 6},
    )
    return Chart(
        chart_id, f"{name}: monthly spend", svg, finding, notes, table, _icons(chart, judged, source)
    )


def _limit_cells(chart: SpcChart) -> list[str]:
    if chart.limits is None:
        return ["", "", ""]
    return [fmt_money(chart.limits.mean), fmt_money(chart.limits.lower), fmt_money(chart.limits.upper)]


def _spc_finding(chart: SpcChart, labels: list[str], name: str, who: str, judged: bool, source: str) -> str:
    parts = [f"{name} spend for {who}, {labels[0]} to {labels[-1]}"]
    if chart.limits is None:
        return parts[0] + f": one month, {money(chart.values[0])}; too few points for process limits."
    limits = chart.limits
    latest = chart.variation or Variation.COMMON_CAUSE
    parts[0] += f": latest month {money(chart.values[-1])}, " + (
        latest.value if chart.variation else "too few months for an icon"
    )
    parts.append(
        f"Mean {money(limits.mean)} a month; process limits {money(max(limits.lower, 0.0))} "
        f"to {money(limits.upper)}"
    )
    signals = _signal_spans(chart, labels)
    parts.append("Special cause: " + "; ".join(signals) if signals else "No special-cause variation")
    if chart.assurance is not None:
        parts.append(f"Against {PLAN_WORDS[source]} the spend {_assurance_words(chart.assurance)}")
    elif not judged:
        parts.append(f"No assurance against a plan: {_no_plan_words(source)}")
    return ". ".join(parts) + "."


def _assurance_words(assurance: Assurance) -> str:
    return {
        Assurance.PASS: "is consistently within the plan (the plan lies beyond the upper limit)",
        Assurance.FAIL: "consistently exceeds the plan (the plan lies below the lower limit)",
        Assurance.HIT_AND_MISS: "will hit and miss the plan at random (the plan lies within the limits)",
    }[assurance]


def _no_plan_words(source: str) -> str:
    if source == "illustrative":
        return "the plan is illustrative, so no variance is shown"
    if source == "mixed":
        return "the ICBs' plans come from different sources, so no variance is shown"
    return "no plan for this stream"


def _signal_spans(chart: SpcChart, labels: list[str]) -> list[str]:
    spans: dict[str, list[int]] = {}
    for index, rules in enumerate(chart.rules):
        for rule in rules:
            spans.setdefault(rule.value, []).append(index)
    out = []
    for name, points in sorted(spans.items()):
        first, last = labels[points[0]], labels[points[-1]]
        out.append(f"{name} ({first}" + (f" to {last})" if last != first else ")"))
    return out


def _icons(chart: SpcChart, judged: bool, source: str) -> list[Icon]:
    icons = []
    if chart.variation is not None:
        variation = chart.variation
        kind = "common" if variation is Variation.COMMON_CAUSE else variation.name.lower().replace("_", "-")
        letter = (
            "" if variation is Variation.COMMON_CAUSE else ("H" if variation.name.endswith("HIGH") else "L")
        )
        icons.append(Icon("variation", kind, letter, "Variation: " + variation.value))
    if chart.assurance is not None:
        code = chart.assurance.name.lower().replace("_", "-")
        letter = {"pass": "P", "fail": "F", "hit-and-miss": "?"}[code]
        icons.append(
            Icon(
                "assurance", code, letter, f"Assurance against {PLAN_WORDS[source]}: " + chart.assurance.value
            )
        )
    elif chart.variation is not None:
        icons.append(
            Icon(
                "assurance",
                "none",
                "–",
                "Assurance: not assessed (" + _no_plan_words(source) + ")"
                if not judged
                else "Assurance: not assessed",
            )
        )
    return icons


# --- spend against plan ------------------------------------------------------------------------


def plan_section(data: PackData, icbs: Sequence[str], who: str) -> Section:
    section = Section(
        "plan",
        "Spend against plan and the forecast outturn",
        "The year so far, cumulative: SLAM actual spend, the estimate for missing submissions "
        "(hatched), and the forecast outturn for the year with its range. The forecast and the "
        "estimates are estimates, not spend. A variance is stated only against the ICB's budget or "
        "the published allocation, never against an illustrative plan.",
    )
    rows = data.rows("fct_icb_spend_monthly", icbs)
    year = _latest_year(rows[rows["is_slam_reported"].fillna(False).astype(bool)])
    if year is None:
        section.intro += " No SLAM spend has been reported yet."
        return section
    has_range = data.has_column("fct_icb_spend_monthly", "slam_forecast_outturn_low_gbp")
    for stream in ("green", "amber", "red", "blue"):
        stream_rows = rows[(rows["financial_year"] == year) & (rows["funding_stream"] == stream)]
        chart = _plan_chart(data, stream_rows, stream, year, who, has_range)
        if chart is not None:
            section.charts.append(chart)
    return section


def _sum_by_month(rows: pd.DataFrame, column: str) -> list[float | None]:
    if column not in rows.columns:
        return [None] * 12
    by_month = rows.groupby("financial_month")[column].apply(lambda s: s.astype(float).sum(min_count=1))
    return [None if _is_missing(by_month.get(m)) else float(by_month.get(m)) for m in range(1, 13)]


def _plan_chart(
    data: PackData, rows: pd.DataFrame, stream: str, year: str, who: str, has_range: bool
) -> Chart | None:
    actual = _sum_by_month(rows, "ytd_slam_actual_gbp")
    with_estimates = _sum_by_month(rows, "ytd_slam_with_estimates_gbp")
    reached = [m for m in range(12) if with_estimates[m] is not None]
    if not reached or not any(with_estimates[m] for m in reached):
        return None
    last = reached[-1]
    forecast = _sum_by_month(rows, "slam_forecast_outturn_gbp")[last]
    low = _sum_by_month(rows, "slam_forecast_outturn_low_gbp")[last] if has_range else None
    high = _sum_by_month(rows, "slam_forecast_outturn_high_gbp")[last] if has_range else None
    source = plan_source(data, rows)
    plan = _sum_by_month(rows, "ytd_plan_gbp")
    judged = source in JUDGED_PLANS and bool(plan[-1])
    labels = [f"M{m}" for m in range(1, 13)]
    chart_id = f"plan-{stream}"
    svg = charts.plan_svg(
        charts.PlanSeries(
            labels, [p or 0.0 for p in plan] if judged else None, actual, with_estimates, forecast, low, high
        ),
        f"{chart_id}-finding",
    )
    name = STREAM_NAMES[stream]
    estimate = (with_estimates[last] or 0.0) - (actual[last] or 0.0)
    finding = f"{name}, {year}, {who}: {money(actual[last] or 0.0)} actual to M{last + 1}" + (
        f" plus {money(estimate)} estimated for missing submissions" if estimate > 0.5 else ""
    )
    one_figure = low is not None and high is not None and money(low) == money(high)
    if forecast is not None and last == 11 and one_figure:
        # the range is of the months still to come: with none left it would be one figure and
        # read as certainty, although the estimates for missing submissions are in the outturn
        finding += f"; outturn {money(forecast)} (all 12 months in" + (
            "; the estimates for missing submissions carry no range)" if estimate > 0.5 else ")"
        )
    elif forecast is not None:
        finding += f"; forecast outturn {money(forecast)} (an estimate"
        finding += f", range {money(low)} to {money(high)})" if low is not None and high is not None else ")"
    notes = []
    if judged and forecast is not None:
        variance = forecast - (plan[-1] or 0.0)
        finding += (
            f"; {money(abs(variance))} {'above' if variance > 0 else 'below'} "
            f"{PLAN_WORDS[source]} of {money(plan[-1] or 0.0)} for the year"
        )
        if source == "published_allocation":
            notes.append(COVERAGE_NOTE)
    elif not judged:
        finding += f"; {_no_plan_words(source)}"
    if not has_range:
        notes.append(
            "This warehouse gives no forecast range (fct_icb_spend_monthly has no "
            "slam_forecast_outturn_low_gbp / _high_gbp): the forecast is drawn as a point."
        )
    table = Table(
        f"{name} {year} to date, {who} (cumulative)",
        ["Month", "Actual to date", "With estimates", "Plan to date"],
        [
            [
                labels[m],
                fmt_money(actual[m]) if actual[m] is not None else "",
                fmt_money(with_estimates[m]) if with_estimates[m] is not None else "",
                fmt_money(plan[m]) if judged and plan[m] is not None else "",
            ]
            for m in reached
        ]
        + [
            [
                "Forecast outturn (estimate)",
                "",
                fmt_money(forecast) if forecast is not None else "",
                fmt_money(plan[-1]) if judged else "",
            ]
        ]
        + (
            [["Forecast range (estimate)", "", f"{fmt_money(low)} to {fmt_money(high)}", ""]]
            if low is not None and high is not None
            else []
        ),
        numeric={1, 2, 3},
    )
    return Chart(chart_id, f"{name}: spend against plan, {year}", svg, finding + ".", notes, table)


# --- variation: funnel plots ------------------------------------------------------------------------


def funnel_section(data: PackData, icbs: Sequence[str]) -> Section:
    section = Section(
        "variation",
        "Spend per head by service line (funnel plots)",
        "Spend per 100,000 weighted population of each footprint ICB on a service line, against the "
        "comparison group's rate, with the control limits the variation mart gives at each ICB's "
        "population. A point outside the 99.8 % limits is unlikely to be chance alone.",
    )
    rows = data.tables["rpt_icb_variation"]
    year = _latest_year(rows)
    if year is None:
        section.intro += " No variation figures yet."
        return section
    rows = rows[rows["financial_year"] == year]
    if "comparison_group" in rows.columns:  # the ICBs compared (the mart's; else every row shown)
        rows = rows[rows["comparison_group"].notna()]
    limits = [
        k
        for k in ("95", "998")
        if {f"spend_lower_{k}_per_100k", f"spend_upper_{k}_per_100k"} <= set(rows.columns)
    ]
    centre = next(
        (c for c in ("target_spend_per_100k", "comparison_median_spend_per_100k") if c in rows.columns),
        "spend_per_100k",  # no centre column: the table repeats the rate, the chart draws no centre line
    )
    mine = rows[rows["extract_icb_code"].isin(list(icbs))]
    top = (
        mine.groupby("service_line_code")["spend_gbp"]
        .sum()
        .astype(float)
        .sort_values(ascending=False)
        .head(FUNNEL_PANELS)
        .index.tolist()
    )
    judged = mine["comparators"].dropna() if "comparators" in mine.columns else mine.iloc[:0, 0]
    comparators = int(judged.max()) if len(judged) else 0  # the ICBs each footprint ICB is judged among
    for line in top:
        section.charts.append(
            _funnel_chart(rows[rows["service_line_code"] == line], line, year, icbs, limits, centre)
        )
    if comparators and comparators < 5:
        section.intro += (
            f" Only {comparators} ICBs are compared: with fewer than five, the limits and "
            "any outlier flag say little."
        )
    if not limits:
        section.intro += " This warehouse's variation mart gives no spend limits: the points are drawn alone."
    section.tables.append(variation_table(mine, year, limits, centre))
    return section


def _funnel_chart(
    rows: pd.DataFrame, line: str, year: str, icbs: Sequence[str], limits: list[str], centre: str
) -> Chart:
    points = [
        charts.FunnelPoint(
            row.icb_code,
            float(row.weighted_population or 0),
            None if _is_missing(row.spend_per_100k) else float(row.spend_per_100k),
            row.extract_icb_code in icbs,
            {
                ("99.8" if k == "998" else k): (
                    float(getattr(row, f"spend_lower_{k}_per_100k")),
                    float(getattr(row, f"spend_upper_{k}_per_100k")),
                )
                for k in limits
                if not _is_missing(getattr(row, f"spend_lower_{k}_per_100k"))
            },
        )
        for row in rows.itertuples()
    ]
    centre_value = rows[centre].dropna() if centre != "spend_per_100k" else rows[centre].iloc[:0]
    rate = float(centre_value.iloc[0]) if len(centre_value) else None
    chart_id = f"funnel-{line}"
    svg = charts.funnel_svg(points, rate, f"{chart_id}-finding")
    said = []
    for point in points:
        if not point.highlighted:
            continue
        if point.rate is None:
            said.append(f"{point.label}: withheld (small numbers)")
            continue
        where = _where(point)
        said.append(f"{point.label} {money(point.rate)} per 100,000, {where}")
    finding = (
        f"{line} {year}: "
        + "; ".join(said)
        + (f" (comparison rate {money(rate)} per 100,000)" if rate is not None else "")
        + "."
    )
    table = Table(
        f"{line} {year}: spend per 100,000 weighted population",
        [
            "ICB",
            "Weighted population",
            "Spend",
            "Per 100,000",
            "Comparison rate",
            *[f"{'99.8' if k == '998' else k} % limits" for k in limits],
        ],
        [
            [
                row.icb_code,
                fmt_count(row.weighted_population),
                fmt_money(row.spend_gbp),
                fmt_money(row.spend_per_100k),
                fmt_money(getattr(row, centre)),
                *[
                    f"{fmt_money(getattr(row, f'spend_lower_{k}_per_100k'))} to "
                    f"{fmt_money(getattr(row, f'spend_upper_{k}_per_100k'))}"
                    for k in limits
                ],
            ]
            for row in rows.sort_values("icb_code").itertuples()
        ],
        numeric={1, 2, 3, 4},
    )
    return Chart(chart_id, f"{line}, {year}: spend per 100,000", svg, finding, [], table)


def _where(point: charts.FunnelPoint) -> str:
    for key in ("99.8", "95"):
        if key in point.limits and point.rate is not None:
            lower, upper = point.limits[key]
            if point.rate > upper:
                return f"above the {key} % limit"
            if point.rate < lower:
                return f"below the {key} % limit"
    return "within the limits" if point.limits else "no limits given"


def variation_table(rows: pd.DataFrame, year: str, limits: list[str], centre: str) -> Table:
    ordered = rows.sort_values(["service_line_code", "icb_code"])
    shown, more = _limit(ordered, 200)
    flags = [c for c in ("is_spend_outlier_95", "is_spend_outlier_998") if c in rows.columns]
    return Table(
        f"Every service line, {year}: spend per 100,000 weighted population",
        [
            "Service line",
            "ICB",
            "Spend",
            "Per 100,000",
            "Comparison rate",
            *[f"Outside {'99.8' if c.endswith('998') else '95'} %" for c in flags],
        ],
        [
            [
                row.service_line_code,
                row.icb_code,
                fmt_money(row.spend_gbp),
                fmt_money(row.spend_per_100k),
                fmt_money(getattr(row, centre)),
                *[_flag_shown(getattr(row, c), getattr(row, "no_flag_reason", None)) for c in flags],
            ]
            for row in shown.itertuples()
        ],
        numeric={2, 3, 4},
        more=more,
    )


def _flag_shown(flag: object, reason: object) -> str:
    """An outlier flag as the table shows it: a flag the mart did not judge (NULL, with its
    no_flag_reason) says so, never a blank that reads as "no"."""
    if not _is_missing(flag):
        return "yes" if bool(flag) else "no"
    if isinstance(reason, str) and reason:
        return f"not judged ({reason.replace('_', ' ')})"
    return "not judged"


# --- allocation ------------------------------------------------------------------------------------


def allocation_section(data: PackData) -> Section:
    section = Section(
        "allocation",
        "The allocation picture: host → population → needs (the footprint)",
        "The footprint's SLAM spend placed three ways: at the ICB hosting the provider (how money "
        "historically followed the hospital), at the ICB of the patient (population basis), and by "
        "the needs-based shares. Money is conserved within the footprint.",
    )
    rows = data.tables["rpt_allocation_impact"]
    rows = rows[rows["is_in_footprint"].fillna(False).astype(bool)]
    year = _latest_year(rows)
    if year is None:
        return section
    rows = rows[rows["financial_year"] == year].sort_values(["funding_stream", "icb_code"])
    for stream in ("green", "amber", "red", "blue"):
        stream_rows = rows[rows["funding_stream"] == stream]
        if not len(stream_rows) or not stream_rows["host_basis_gbp"].astype(float).abs().sum():
            continue
        icbs = list(stream_rows["icb_code"])
        bars = charts.AllocationBars(
            icbs,
            *[
                [float(v or 0) for v in stream_rows[c]]
                for c in ("host_basis_gbp", "population_basis_gbp", "needs_basis_gbp")
            ],
        )
        chart_id = f"allocation-{stream}"
        moves = "; ".join(
            f"{r.icb_code} {money(float(r.host_basis_gbp))} → {money(float(r.population_basis_gbp))} → "
            f"{money(float(r.needs_basis_gbp))} ({'gains' if float(r.needs_vs_host_gbp) >= 0 else 'loses'} "
            f"{money(abs(float(r.needs_vs_host_gbp)))} from host to needs)"
            for r in stream_rows.itertuples()
        )
        section.charts.append(
            Chart(
                chart_id,
                f"{STREAM_NAMES[stream]}, {year}: host, population and needs bases",
                charts.allocation_svg(bars, f"{chart_id}-finding"),
                f"{STREAM_NAMES[stream]} {year}, host → population → needs: {moves}.",
                [],
                Table(
                    f"{STREAM_NAMES[stream]} {year}",
                    ["ICB", "Host basis", "Population basis", "Needs basis", "Needs − host"],
                    [
                        [
                            r.icb_code,
                            fmt_money(r.host_basis_gbp),
                            fmt_money(r.population_basis_gbp),
                            fmt_money(r.needs_basis_gbp),
                            fmt_money(r.needs_vs_host_gbp),
                        ]
                        for r in stream_rows.itertuples()
                    ],
                    numeric={1, 2, 3, 4},
                ),
            )
        )
    return section


# --- identification rules, triangulation, low-volume flows, files -------------------------------------


def _providers(data: PackData, icbs: Sequence[str]) -> list[str]:
    return sorted(p for p, hosts in data.provider_hosts.items() if hosts & set(icbs))


def ir_section(data: PackData, icbs: Sequence[str]) -> Section:
    section = Section(
        "identification-rules",
        "Identification-rule outcomes by provider",
        "SUS records of the providers these ICBs host, by whether the service line the provider "
        "supplied agrees with the one the identification rules derive; the chart shows the records "
        "that disagree, by outcome. Counts of 1-7 are withheld "
        f"(shown {WITHHELD}) and the rest rounded to 5, as in extracts.",
    )
    rows = data.rows("rpt_service_line_ir_monitoring", icbs)
    year = _latest_year(rows)
    if year is None:
        section.intro += " No SUS records yet."
        return section
    rows = rows[rows["financial_year"] == year]
    # the figures shown, summed first and suppressed after (data.SUMMED_BEFORE_SHOWN)
    by_outcome = rows.groupby(["provider_code", "outcome"], as_index=False)[["records", "tariff_gbp"]].sum()
    by_outcome = data.suppress("rpt_service_line_ir_monitoring", by_outcome)
    table = by_outcome.pivot(index="provider_code", columns="outcome", values="records").sort_index()
    changed = rows.groupby("provider_code", as_index=False)[
        ["records_stream_changed", "tariff_gbp_stream_changed"]
    ].sum()
    changed = data.suppress("rpt_service_line_ir_monitoring", changed).set_index("provider_code")
    moved, money_moved = changed["records_stream_changed"], changed["tariff_gbp_stream_changed"]
    providers = list(table.index)
    outcomes = list(charts.OUTCOME_COLOURS)
    shares: dict[str, list[float]] = {o: [] for o in outcomes}
    for provider in providers:
        counts = {
            o: float(table.loc[provider].get(o))
            if o in table.columns and not _is_missing(table.loc[provider].get(o))
            else 0.0
            for o in outcomes
        }
        total = sum(counts.values()) or 1.0
        for o in outcomes:
            shares[o].append(100.0 * counts[o] / total)
    worst = max(providers, key=lambda p: 100.0 - shares["agree"][providers.index(p)]) if providers else None
    finding = (
        f"Identification rules {year}: "
        + (
            f"{len(providers)} providers; the lowest agreement is {worst} "
            f"({shares['agree'][providers.index(worst)]:.0f} % of its records agree)"
            if worst
            else "no records"
        )
        + "."
    )
    section.charts.append(
        Chart(
            "ir-outcomes",
            f"Records whose service lines disagree, {year}",
            charts.outcomes_svg(providers, shares, "ir-outcomes-finding") if providers else None,
            finding,
            [],
            Table(
                f"SUS records by outcome, {year}",
                [
                    "Provider",
                    *[o.replace("_", " ") for o in outcomes],
                    "Records that would change stream",
                    "Their tariff £",
                ],
                [
                    [
                        p,
                        *[fmt_count(table.loc[p].get(o)) if o in table.columns else "0" for o in outcomes],
                        fmt_count(moved.get(p)),
                        fmt_money(money_moved.get(p)),
                    ]
                    for p in providers
                ],
                numeric={1, 2, 3, 4, 5, 6},
            ),
        )
    )
    return section


def triangulation_section(data: PackData, icbs: Sequence[str]) -> Section:
    section = Section(
        "triangulation",
        "Triangulation flags",
        "Cells where two feeds disagree beyond the thresholds of reference.triangulation_thresholds: "
        "SLAM pounds against the ICB's ledger (green), and SLAM activity against SUS records.",
    )
    spend = data.own_rows("rpt_triangulation_spend", icbs)
    year = _latest_year(spend)
    spend = spend[(spend["financial_year"] == year) & spend["is_flagged"].fillna(False).astype(bool)]
    spend = spend.assign(size=spend["spend_variance_gbp"].astype(float).abs()).sort_values(
        "size", ascending=False
    )
    shown, more = _limit(spend)
    section.tables.append(
        Table(
            f"SLAM against ledger, flagged, {year or ''}",
            ["Provider", "ICB", "Month", "SLAM", "Ledger", "Difference", "%"],
            [
                [
                    r.provider_code,
                    r.icb_code,
                    f"M{r.financial_month}",
                    fmt_money(r.slam_gbp),
                    fmt_money(r.ledger_gbp),
                    fmt_money(r.spend_variance_gbp),
                    fmt_plain(r.spend_pct_variance),
                ]
                for r in shown.itertuples()
            ],
            numeric={3, 4, 5, 6},
            more=more,
        )
    )
    activity = data.rows("rpt_triangulation_activity", icbs)
    year = _latest_year(activity)
    activity = activity[
        (activity["financial_year"] == year) & activity["is_flagged"].fillna(False).astype(bool)
    ]
    activity = activity.sort_values(["provider_code", "financial_month", "service_line_code", "pod_code"])
    shown, more = _limit(activity)
    section.tables.append(
        Table(
            f"SLAM activity against SUS records, flagged, {year or ''}",
            ["Provider", "Service line", "POD", "Month", "SLAM activity", "SUS records", "%"],
            [
                [
                    r.provider_code,
                    r.service_line_code,
                    r.pod_code,
                    f"M{r.financial_month}",
                    fmt_count(r.slam_activity),
                    fmt_count(r.sus_activity),
                    fmt_plain(r.activity_pct_variance)
                    if not _is_missing(r.slam_activity) and not _is_missing(r.sus_activity)
                    else WITHHELD,
                ]
                for r in shown.itertuples()
            ],
            numeric={4, 5, 6},
            more=more,
        )
    )
    return section


def low_volume_section(data: PackData, icbs: Sequence[str]) -> Section:
    section = Section(
        "low-volume",
        "Low-volume flows",
        "The ICBs' own provider × ICB flows whose value for the year (at the run rate) is below the "
        "low-volume "
        "flow threshold: paid through the simpler LVF route, not managed contract by contract.",
    )
    rows = data.own_rows("rpt_low_volume_flows", icbs)
    year = _latest_year(rows)
    rows = rows[rows["financial_year"] == year].sort_values(["icb_code", "provider_code", "funding_stream"])
    shown, more = _limit(rows, 60)
    section.tables.append(
        Table(
            f"Low-volume flows, {year or ''}",
            ["Provider", "ICB", "Stream", "Activity", "Spend so far", "Year at run rate", "Threshold"],
            [
                [
                    r.provider_code,
                    r.icb_code,
                    r.funding_stream,
                    fmt_count(r.activity),
                    fmt_money(r.price_gbp),
                    fmt_money(r.annual_value_gbp),
                    fmt_money(r.threshold_gbp),
                ]
                for r in shown.itertuples()
            ],
            numeric={3, 4, 5, 6},
            more=more,
        )
    )
    return section


def files_section(data: PackData, icbs: Sequence[str]) -> Section:
    section = Section(
        "files",
        "Late, missing and rejected files",
        "SLAM submissions of the providers these ICBs host that are missing or came after the due "
        "date this year, and the landing files that were not loaded (theirs, the ICBs' ledger and "
        "budget files, and SUS extracts), with the reason.",
    )
    subs = data.tables.get("dq_slam_submissions")
    if subs is not None:
        subs = subs[subs["extract_icb_code"].isin(list(icbs))]
        year = _latest_year(subs)
        late = subs[
            (subs["financial_year"] == year)
            & (subs["is_missing"].fillna(False).astype(bool) | subs["is_late"].fillna(False).astype(bool))
        ]
        late = late.sort_values(["provider_code", "financial_month"])
        section.tables.append(
            Table(
                f"SLAM submissions missing or late, {year or ''}",
                ["Provider", "Month", "Due", "First received", "Status"],
                [
                    [
                        f"{r.provider_code} {data.provider_names.get(r.provider_code) or ''}".strip(),
                        f"M{r.financial_month}",
                        fmt_plain(pd.Timestamp(r.submission_due_date).date()),
                        _received(r.first_received_at),
                        "missing" if r.is_missing else "late",
                    ]
                    for r in late.drop_duplicates(
                        ["provider_code", "financial_year", "financial_month"]
                    ).itertuples()
                ],
            )
        )
    rejected = data.rejected
    rejected = rejected[rejected["extract_icb_code"].isin(list(icbs)) | (rejected["feed"] == "sus")]
    rejected = rejected.drop_duplicates(["file_name", "reason"])
    section.tables.append(
        Table(
            "Files not loaded",
            ["File", "Why", "Feed", "Seen"],
            [[r.file_name, r.reason, r.feed, _received(r.seen_at)] for r in rejected.itertuples()],
            wrap={0, 1},
        )
    )
    return section


def _received(value: object) -> str:
    if _is_missing(value):
        return "not received"
    stamp = pd.Timestamp(value)
    return stamp.strftime("%Y-%m-%d %H:%M")
