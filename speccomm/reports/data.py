"""What one provider's report shows, read from the dq tables as of one run.

Everything here is filtered to one provider, except the peer medians, which are computed over
all providers and carry no provider codes. Record identifiers are limited to the provider's
own reference (provider_record_ref) and the file and row: the pseudonymised patient id and the
SUS record id are never read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import duckdb

REPORT_DATASETS = ("slam", "sus")  # ledger results belong to ICBs, not providers
TREND_MONTHS = 12
MIN_PEERS = 5  # a peer median is shown only when at least this many providers have a figure
SAMPLES_IN_HTML = 3  # per check, in the HTML of the top problems; the attached CSV has them all
TOP_PROBLEMS = 3  # the checks the first screen names, with their fix
MISSING_CHECK = "submission_missing"  # shown as the months not received, not as a problem
IR_CHECK = "service_line_ir_mismatch"
IR_OUTCOMES = {
    "supplied_not_derived": "a service line sent that the rules do not find",
    "derived_not_supplied": "specialised by the rules but sent without a service line",
    "different_line": "the rules find a different service line",
}
MONTH_NAMES = ("Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Jan", "Feb", "Mar")


@dataclass(frozen=True)
class Period:
    financial_year: str
    financial_month: int

    @property
    def calendar_year(self) -> int:
        start = int(self.financial_year[:4])
        return start if self.financial_month <= 9 else start + 1

    @property
    def label(self) -> str:
        name = MONTH_NAMES[self.financial_month - 1]
        return f"{self.financial_year} M{self.financial_month:02d} ({name} {self.calendar_year})"

    @property
    def short(self) -> str:
        return f"{MONTH_NAMES[self.financial_month - 1]} {str(self.calendar_year)[2:]}"

    @property
    def short_label(self) -> str:
        return f"{MONTH_NAMES[self.financial_month - 1]} {self.calendar_year}"

    @property
    def ordinal(self) -> int:
        """Months since April of year 0: orders periods and counts the months between them."""
        return int(self.financial_year[:4]) * 12 + self.financial_month - 1


@dataclass(frozen=True)
class RejectedFile:
    """One of the provider's own files that was not loaded (dq.rpt_provider_dq_rejected_files)."""

    file_name: str
    problem: str
    how_to_fix: str
    seen_at: datetime


@dataclass(frozen=True)
class MissingMonth:
    """A month of SLAM the provider has not sent (dq.dq_slam_submissions)."""

    period: Period
    due_date: date


@dataclass(frozen=True)
class DqmiPoint:
    period: Period
    dqmi: float
    coverage: float
    completeness: float
    validity: float
    peer_median: float | None  # None when fewer than MIN_PEERS providers have a score


@dataclass(frozen=True)
class Sample:
    period: Period
    source_file: str | None
    source_row: int | None
    record_ref: str | None
    service_line_code: str | None
    pod_code: str | None
    context: str | None
    field: str | None
    raw_value: str | None


@dataclass
class CheckSummary:
    dataset: str
    check_id: str
    severity: str
    rows_checked: int
    rows_failed: int
    worst_status: str
    months_failing: list[Period]
    title: str
    meaning: str
    how_to_fix: str
    max_failure_rate: float
    peer_median_rate: float | None
    # The month the status was judged on: each month is judged against the tolerance, so the
    # worst month (worst status, then highest failure rate) decides the check's status.
    judged_period: Period | None = None
    judged_rows_failed: int = 0
    judged_rows_checked: int = 0
    samples: list[Sample] = field(default_factory=list)
    detail: str = ""  # a check's own breakdown (service_line_ir_mismatch: by outcome, in pounds)

    @property
    def rate(self) -> float:
        """The failure rate over the whole window (every month together)."""
        return self.rows_failed / self.rows_checked if self.rows_checked else 0.0

    @property
    def judged_rate(self) -> float:
        """The failure rate of the month the status was judged on."""
        return self.judged_rows_failed / self.judged_rows_checked if self.judged_rows_checked else 0.0


@dataclass
class DatasetSection:
    dataset: str
    trend: list[DqmiPoint]
    checks: list[CheckSummary]
    checks_passed: int

    @property
    def latest(self) -> DqmiPoint | None:
        return self.trend[-1] if self.trend else None

    @property
    def previous(self) -> DqmiPoint | None:
        return self.trend[-2] if len(self.trend) > 1 else None


@dataclass
class ReportData:
    provider_code: str
    provider_name: str
    run_id: str
    run_at: datetime
    sections: list[DatasetSection]
    recipients: list[str]
    own_results: list[tuple]  # the provider's current results, for the results fingerprint
    rejected_files: list[RejectedFile] = field(default_factory=list)
    missing_months: list[MissingMonth] = field(default_factory=list)

    @property
    def report_period(self) -> Period | None:
        """The month the report runs to: the latest month scored or expected of the provider."""
        periods = [s.latest.period for s in self.sections if s.latest]
        periods += [m.period for m in self.missing_months]
        return max(periods, key=lambda p: p.ordinal, default=None)

    @property
    def problems(self) -> list[CheckSummary]:
        """Checks above tolerance, worst first (the months not received are listed apart)."""
        found = [c for s in self.sections for c in s.checks
                 if c.worst_status != "pass" and c.check_id != MISSING_CHECK]
        return sorted(found, key=lambda c: (c.worst_status != "fail", -c.rows_failed, c.dataset, c.check_id))

    @property
    def top_problems(self) -> list[CheckSummary]:
        """The first TOP_PROBLEMS problems: errors before warnings, then most records failing."""
        return self.problems[:TOP_PROBLEMS]


def report_providers(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    """Providers with SLAM or SUS slices current as of the run."""
    found = con.execute(
        """
        select distinct provider_code from dq.dq_run_slices
        where run_id = ? and dataset in ('slam', 'sus')
        order by provider_code
        """,
        [run_id],
    ).fetchall()
    return [code for (code,) in found]


def run_time(con: duckdb.DuckDBPyConnection, run_id: str) -> datetime:
    found = con.execute("select max(run_at) from dq.dq_run_slices where run_id = ?", [run_id]).fetchone()
    if not found or found[0] is None:
        raise ValueError(f"no data-quality run {run_id} in dq.dq_run_slices")
    return found[0]


def read_report_data(
    con: duckdb.DuckDBPyConnection, run_id: str, provider_code: str, *, prepared: bool = False
) -> ReportData:
    """One provider's figures; `prepared` when prepare_run(con, run_id) was called already."""
    if not prepared:
        prepare_run(con, run_id)
    sections = []
    rejected = _rejected_files(con, provider_code)
    for dataset in REPORT_DATASETS:
        trend = _trend(con, run_id, provider_code, dataset)
        if not trend:
            continue
        window_start = trend[0].period
        checks, passed = _checks(con, provider_code, dataset, window_start)
        sections.append(DatasetSection(dataset, trend, checks, passed))
    return ReportData(
        provider_code=provider_code,
        provider_name=_provider_name(con, provider_code),
        run_id=run_id,
        run_at=run_time(con, run_id),
        sections=sections,
        recipients=_recipients(con, provider_code),
        own_results=_own_results(con, provider_code)
        + [("rejected", f.file_name, f.problem) for f in rejected],
        rejected_files=rejected,
        missing_months=_missing_months(con, provider_code),
    )


def prepare_run(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Temp tables of the results current as of the run and of their failed samples (all
    providers, each month with its first day), read by every report: joined once, not once
    per provider and check. A check no share of failing rows can fail (tolerance 100 %, such as
    icb_code_superseded: a merger, which the warehouse resolves) is information for the ICBs in
    dq.dq_check_results, not a provider's problem: reports leave it out."""
    con.execute(
        f"""
        create or replace temp table report_current_results as
        select results.*, slices.validated_run_id, {_first_day("results")} as period_start
        from dq.dq_run_slices as slices
        inner join dq.dq_check_results as results
            on
                results.run_id = slices.validated_run_id
                and results.dataset = slices.dataset
                and results.provider_code = slices.provider_code
                and results.financial_year = slices.financial_year
                and results.financial_month = slices.financial_month
        where
            slices.run_id = ?
            and results.check_id not in (
                select check_id from reference.dq_thresholds where max_failure_rate >= 1
            )
        """,
        [run_id],
    )
    con.execute(
        """
        create or replace temp table report_current_samples as
        select samples.*, results.period_start
        from dq.dq_failed_samples as samples
        inner join report_current_results as results
            on
                samples.run_id = results.validated_run_id
                and samples.check_id = results.check_id
                and samples.dataset = results.dataset
                and samples.provider_code = results.provider_code
                and samples.financial_year = results.financial_year
                and samples.financial_month = results.financial_month
        """
    )


def _first_day(alias: str) -> str:
    """SQL: the first day of the row's financial year and month (2025/26 M1 = 2025-04-01)."""
    return (
        f"make_date(cast(left({alias}.financial_year, 4) as integer)"
        f" + case when {alias}.financial_month <= 9 then 0 else 1 end,"
        f" (({alias}.financial_month + 2) % 12) + 1, 1)"
    )


def _trend(con: duckdb.DuckDBPyConnection, run_id: str, provider_code: str, dataset: str) -> list[DqmiPoint]:
    found = con.execute(
        f"""
        select financial_year, financial_month, dqmi, coverage, completeness, validity,
            case when peer_count >= {MIN_PEERS} then peer_median_dqmi end
        from dq.dqmi_scores
        where run_id = ? and provider_code = ? and dataset = ?
        order by period_start_date desc
        limit {TREND_MONTHS}
        """,
        [run_id, provider_code, dataset],
    ).fetchall()
    return [
        DqmiPoint(Period(fy, int(fm)), float(dqmi), float(cov), float(comp), float(val),
                  None if median is None else float(median))
        for fy, fm, dqmi, cov, comp, val, median in reversed(found)
    ]


def _checks(
    con: duckdb.DuckDBPyConnection, provider_code: str, dataset: str, window_start: Period
) -> tuple[list[CheckSummary], int]:
    start = _period_start(window_start)
    rows = con.execute(
        f"""
        with in_window as (
            select * from report_current_results where dataset = ? and period_start >= ?
        ),
        per_provider as (
            select provider_code, check_id, sum(rows_failed) / sum(rows_checked) as rate
            from in_window
            group by provider_code, check_id
        ),
        peers as (
            select check_id,
                case when count(*) >= {MIN_PEERS} then median(rate) end as peer_median_rate
            from per_provider
            group by check_id
        ),
        own as (
            select
                check_id,
                any_value(severity) as severity,
                sum(rows_checked) as rows_checked,
                sum(rows_failed) as rows_failed,
                case
                    when bool_or(status = 'fail') then 'fail'
                    when bool_or(status = 'warn') then 'warn'
                    else 'pass'
                end as worst_status,
                list(struct_pack(fy := financial_year, fm := financial_month) order by period_start)
                    filter (where status <> 'pass') as months_failing,
                arg_max(
                    struct_pack(
                        fy := financial_year, fm := financial_month, failed := rows_failed,
                        checked := rows_checked
                    ),
                    case status when 'fail' then 2 when 'warn' then 1 else 0 end
                    + coalesce(rows_failed / nullif(rows_checked, 0), 0) / 2
                ) as judged
            from in_window
            where provider_code = ?
            group by check_id
        )
        select own.check_id, own.severity, own.rows_checked, own.rows_failed, own.worst_status,
            own.months_failing, thresholds.title, thresholds.meaning, thresholds.how_to_fix,
            thresholds.max_failure_rate,
            peers.peer_median_rate, own.judged
        from own
        left join peers on own.check_id = peers.check_id
        left join reference.dq_thresholds as thresholds on own.check_id = thresholds.check_id
        order by
            case own.worst_status when 'fail' then 0 when 'warn' then 1 else 2 end,
            own.rows_failed desc, own.check_id
        """,
        [dataset, start, provider_code],
    ).fetchall()
    samples = _samples(con, provider_code, dataset, start)
    checks = []
    passed = 0
    for (check_id, severity, checked, failed, worst, months, title, meaning, fix, max_rate, peer,
         judged) in rows:
        if int(failed) == 0:
            passed += 1
            continue
        summary = CheckSummary(
            dataset=dataset, check_id=check_id, severity=severity, rows_checked=int(checked),
            rows_failed=int(failed), worst_status=worst,
            months_failing=[Period(m["fy"], int(m["fm"])) for m in months or []],
            title=title or check_id, meaning=meaning or "", how_to_fix=fix or "",
            max_failure_rate=float(max_rate or 0.0),
            peer_median_rate=None if peer is None else float(peer),
            judged_period=Period(judged["fy"], int(judged["fm"])),
            judged_rows_failed=int(judged["failed"]), judged_rows_checked=int(judged["checked"]),
        )
        summary.samples = samples.get(check_id, [])
        if check_id == IR_CHECK:
            summary.detail = _ir_detail(con, provider_code, start)
        checks.append(summary)
    return checks, passed


def _samples(
    con: duckdb.DuckDBPyConnection, provider_code: str, dataset: str, start: date
) -> dict[str, list[Sample]]:
    """The provider's failed samples in the window, by check (one query for all its checks)."""
    found = con.execute(
        """
        select check_id, financial_year, financial_month, source_file, source_row, record_ref,
            service_line_code, pod_code, context, raw_column, raw_value
        from report_current_samples
        where provider_code = ? and dataset = ? and period_start >= ?
        order by check_id, financial_year, financial_month, sample_no
        """,
        [provider_code, dataset, start],
    ).fetchall()
    by_check: dict[str, list[Sample]] = {}
    for check_id, fy, fm, file, row, ref, sl, pod, context, column, raw in found:
        by_check.setdefault(check_id, []).append(
            Sample(Period(fy, int(fm)), file, None if row is None else int(row), ref, sl, pod, context,
                   _field_name(column), raw)
        )
    return by_check


def _ir_detail(con: duckdb.DuckDBPyConnection, provider_code: str, start: date) -> str:
    """The provider's disagreements with the identification rules in the window, by outcome, with
    the tariff at stake and the part that would change funding stream
    (marts.rpt_service_line_ir_monitoring; docs/identification-rules.md)."""
    found = con.execute(
        """
        select outcome, sum(records), sum(tariff_gbp), sum(tariff_gbp_stream_changed)
        from marts.rpt_service_line_ir_monitoring
        where provider_code = ? and is_disagreement and period_start_date >= ?
        group by outcome
        order by outcome
        """,
        [provider_code, start],
    ).fetchall()
    if not found:
        return ""
    parts = [f"{IR_OUTCOMES.get(outcome, outcome)}: {int(records):,} records, £{float(gbp):,.2f}"
             for outcome, records, gbp, _ in found]
    moved = sum(float(changed or 0) for *_, changed in found)
    return ("Against the identification rules, in these months: " + "; ".join(parts)
            + f". £{moved:,.2f} of it would change funding stream (who pays) if the rules' line applied.")


def _rejected_files(con: duckdb.DuckDBPyConnection, provider_code: str) -> list[RejectedFile]:
    """The provider's own files not loaded this month (the model decides which are its own and
    which are recent)."""
    found = con.execute(
        """
        select file_name, problem, how_to_fix, seen_at
        from dq.rpt_provider_dq_rejected_files
        where provider_code = ? and is_recent
        order by seen_at, file_name
        """,
        [provider_code],
    ).fetchall()
    return [RejectedFile(str(name), str(problem), str(fix), seen) for name, problem, fix, seen in found]


def _missing_months(con: duckdb.DuckDBPyConnection, provider_code: str) -> list[MissingMonth]:
    """The provider's SLAM months not received, in the latest TREND_MONTHS months it is expected."""
    found = con.execute(
        f"""
        with expected as (
            select *, max(period_start_date) over () as latest_expected
            from dq.dq_slam_submissions
            where provider_code = ?
        )
        select financial_year, financial_month, submission_due_date
        from expected
        where is_missing and period_start_date > latest_expected - interval {TREND_MONTHS} month
        order by period_start_date
        """,
        [provider_code],
    ).fetchall()
    return [MissingMonth(Period(fy, int(fm)), due) for fy, fm, due in found]


def _own_results(con: duckdb.DuckDBPyConnection, provider_code: str) -> list[tuple]:
    return con.execute(
        """
        select dataset, check_id, financial_year, financial_month, rows_checked, rows_failed, status
        from report_current_results
        where provider_code = ? and dataset in ('slam', 'sus')
        order by all
        """,
        [provider_code],
    ).fetchall()


def _provider_name(con: duckdb.DuckDBPyConnection, provider_code: str) -> str:
    found = con.execute(
        "select provider_name from reference.providers where provider_code = ?", [provider_code]
    ).fetchone()
    return str(found[0]) if found and found[0] else provider_code


def _recipients(con: duckdb.DuckDBPyConnection, provider_code: str) -> list[str]:
    found = con.execute(
        "select email from reference.provider_dq_contacts where provider_code = ? order by email",
        [provider_code],
    ).fetchall()
    return [str(email).strip() for (email,) in found if email and str(email).strip()]


def _field_name(raw_column: str | None) -> str | None:
    if raw_column is None:
        return None
    return raw_column.removesuffix("_raw")


def _period_start(period: Period) -> date:
    calendar_month = (period.financial_month + 2) % 12 + 1
    return date(period.calendar_year, calendar_month, 1)
