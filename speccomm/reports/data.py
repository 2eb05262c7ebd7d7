"""What one provider's report shows, selected from dbt's report models as of one run.

The figures are dbt's (models/dq/report/, views in schema dq_checks): the results current as of
the run, the trend, and per check the worst status, the judged month and the peer median
(rpt_provider_dq_checks). Here one run's rows are selected once (prepare_run) and one
provider's taken from them. Record identifiers are limited to the provider's own reference
(provider_record_ref) and the file and row: the pseudonymised patient id and the SUS record id
are never read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import duckdb
import yaml

from speccomm.config import PROJECT_ROOT
from speccomm.quality.suites import CHECK_SCHEMA

REPORT_DATASETS = ("slam", "sus")  # ledger results belong to ICBs, not providers


def _dbt_var(name: str) -> int:
    """One of the report's numbers, whose home is dbt_project.yml (the report models read it)."""
    document = yaml.safe_load((PROJECT_ROOT / "dbt_project.yml").read_text(encoding="utf-8"))
    return int(document["vars"][name])


TREND_MONTHS = _dbt_var("dq_report_trend_months")
MIN_PEERS = _dbt_var("dq_report_min_peers")  # a peer median is shown from this many providers
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
        trend = _trend(con, provider_code, dataset)
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
    """Temp tables of the run's rows of the report models (all providers), read by every
    report: selected once, not once per provider and check."""
    for table, model in (
        ("report_current_results", "rpt_provider_dq_current_results"),
        ("report_current_samples", "rpt_provider_dq_samples"),
        ("report_trend", "rpt_provider_dq_trend"),
        ("report_checks", "rpt_provider_dq_checks"),
    ):
        con.execute(
            f"create or replace temp table {table} as select * from {CHECK_SCHEMA}.{model} where run_id = ?",
            [run_id],
        )


def _trend(con: duckdb.DuckDBPyConnection, provider_code: str, dataset: str) -> list[DqmiPoint]:
    found = con.execute(
        """
        select financial_year, financial_month, dqmi, coverage, completeness, validity, peer_median_dqmi
        from report_trend
        where provider_code = ? and dataset = ?
        order by period_start_date
        """,
        [provider_code, dataset],
    ).fetchall()
    return [
        DqmiPoint(Period(fy, int(fm)), float(dqmi), float(cov), float(comp), float(val),
                  None if median is None else float(median))
        for fy, fm, dqmi, cov, comp, val, median in found
    ]


def _checks(
    con: duckdb.DuckDBPyConnection, provider_code: str, dataset: str, window_start: Period
) -> tuple[list[CheckSummary], int]:
    start = _period_start(window_start)
    rows = con.execute(
        """
        select check_id, severity, rows_checked, rows_failed, worst_status, title, meaning, how_to_fix,
            max_failure_rate, peer_median_rate, judged_financial_year, judged_financial_month,
            judged_rows_failed, judged_rows_checked
        from report_checks
        where provider_code = ? and dataset = ?
        order by
            case worst_status when 'fail' then 0 when 'warn' then 1 else 2 end,
            rows_failed desc, check_id
        """,
        [provider_code, dataset],
    ).fetchall()
    samples = _samples(con, provider_code, dataset, start)
    months = _months_failing(con, provider_code, dataset, start)
    checks = []
    passed = 0
    for (check_id, severity, checked, failed, worst, title, meaning, fix, max_rate, peer,
         judged_fy, judged_fm, judged_failed, judged_checked) in rows:
        if int(failed) == 0:
            passed += 1
            continue
        summary = CheckSummary(
            dataset=dataset, check_id=check_id, severity=severity, rows_checked=int(checked),
            rows_failed=int(failed), worst_status=worst,
            months_failing=months.get(check_id, []),
            title=title or check_id, meaning=meaning or "", how_to_fix=fix or "",
            max_failure_rate=float(max_rate or 0.0),
            peer_median_rate=None if peer is None else float(peer),
            judged_period=Period(judged_fy, int(judged_fm)),
            judged_rows_failed=int(judged_failed), judged_rows_checked=int(judged_checked),
        )
        summary.samples = samples.get(check_id, [])
        if check_id == IR_CHECK:
            summary.detail = _ir_detail(con, provider_code, start)
        checks.append(summary)
    return checks, passed


def _months_failing(
    con: duckdb.DuckDBPyConnection, provider_code: str, dataset: str, start: date
) -> dict[str, list[Period]]:
    """The provider's months in the window whose status was not pass, by check, in order."""
    found = con.execute(
        """
        select check_id, financial_year, financial_month
        from report_current_results
        where provider_code = ? and dataset = ? and period_start_date >= ? and status <> 'pass'
        order by check_id, period_start_date
        """,
        [provider_code, dataset, start],
    ).fetchall()
    by_check: dict[str, list[Period]] = {}
    for check_id, fy, fm in found:
        by_check.setdefault(check_id, []).append(Period(fy, int(fm)))
    return by_check


def _samples(
    con: duckdb.DuckDBPyConnection, provider_code: str, dataset: str, start: date
) -> dict[str, list[Sample]]:
    """The provider's failed samples in the window, by check (one query for all its checks)."""
    found = con.execute(
        """
        select check_id, financial_year, financial_month, source_file, source_row, record_ref,
            service_line_code, pod_code, context, raw_column, raw_value
        from report_current_samples
        where provider_code = ? and dataset = ? and period_start_date >= ?
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
