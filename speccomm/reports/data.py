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
from typing import Any

import duckdb
import yaml

from speccomm.config import PROJECT_ROOT
from speccomm.quality.registry import CHECK_SCHEMA

REPORT_DATASETS = ("slam", "sus")  # ledger results belong to ICBs, not providers


def _dbt_var(name: str) -> int:
    """One of the report's numbers, whose home is dbt_project.yml (the report models read it)."""
    document = yaml.safe_load((PROJECT_ROOT / "dbt_project.yml").read_text(encoding="utf-8"))
    return int(document["vars"][name])


TREND_MONTHS = _dbt_var("dq_report_trend_months")
MIN_PEERS = _dbt_var("dq_report_min_peers")  # a peer median is shown from this many providers
SAMPLES_IN_HTML = 3  # per check, in the HTML of the top problems; the attached CSV has them all
TOP_PROBLEMS = 3  # the checks the first screen names, with their fix
# How the registry (reference.dq_checks.report_as) says a check is shown: the months not
# received are listed first, apart from the problems.
MONTHS_NOT_RECEIVED = "months_not_received"
MONTH_NAMES = ("Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Jan", "Feb", "Mar")

Row = dict[str, Any]  # a report model's row by column name

# The report models (models/dq/report/) as of one run, selected once per run into temp tables
# of the same names (prepare_run); the rest are read as they are.
RUN_MODELS = (
    "rpt_provider_dq_current_results",
    "rpt_provider_dq_samples",
    "rpt_provider_dq_trend",
    "rpt_provider_dq_checks",
    "rpt_provider_dq_failing_months",
    "rpt_provider_dq_ir_outcomes",
)
REJECTED_FILES = "dq.rpt_provider_dq_rejected_files"
MISSING_MONTHS = "dq.rpt_provider_dq_missing_months"


@dataclass(frozen=True)
class Period:
    """A financial month as the report models give it: its year, month and first day (the
    models' period_start_date, dbt's date_of_financial_period: the calendar is worked out once,
    in dbt)."""

    financial_year: str
    financial_month: int
    start: date

    @property
    def calendar_year(self) -> int:
        return self.start.year

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
        """Months since January of year 0: orders periods and counts the months between them."""
        return self.start.year * 12 + self.start.month - 1


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
    shown_value: str | None  # what the provider reads as the value sent (the registry may withhold it)
    is_value_withheld: bool = False


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
    report_as: str  # how the registry says the email shows the check (MONTHS_NOT_RECEIVED …)
    # The month the status was judged on: each month is judged against the tolerance, so the
    # worst month (worst status, then highest failure rate) decides the check's status.
    judged_period: Period | None = None
    judged_rows_failed: int = 0
    judged_rows_checked: int = 0
    samples: list[Sample] = field(default_factory=list)
    detail: str = ""  # a check's own breakdown (report_as problem_by_ir_outcome: by outcome, in pounds)

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
                 if c.worst_status != "pass" and c.report_as != MONTHS_NOT_RECEIVED]
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
        checks, passed = _checks(con, provider_code, dataset)
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
    for model in RUN_MODELS:
        con.execute(
            f"create or replace temp table {model} as select * from {CHECK_SCHEMA}.{model} where run_id = ?",
            [run_id],
        )


def _rows(
    con: duckdb.DuckDBPyConnection, relation: str, provider_code: str, order_by: str,
    dataset: str | None = None,
) -> list[Row]:
    """One provider's rows of a report model (of one dataset), in the given order, by column name."""
    where = "provider_code = ?" + (" and dataset = ?" if dataset is not None else "")
    cursor = con.execute(
        f"select * from {relation} where {where} order by {order_by}",
        [provider_code] if dataset is None else [provider_code, dataset],
    )
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _period(row: Row, prefix: str = "") -> Period:
    """The row's financial month (`prefix`: judged_ for the month a check was judged on)."""
    year, month = row[f"{prefix}financial_year"], int(row[f"{prefix}financial_month"])
    return Period(year, month, row[f"{prefix}period_start_date"])


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _trend(con: duckdb.DuckDBPyConnection, provider_code: str, dataset: str) -> list[DqmiPoint]:
    return [
        DqmiPoint(_period(row), float(row["dqmi"]), float(row["coverage"]), float(row["completeness"]),
                  float(row["validity"]), _float(row["peer_median_dqmi"]))
        for row in _rows(con, "rpt_provider_dq_trend", provider_code, "period_start_date", dataset)
    ]


def _checks(
    con: duckdb.DuckDBPyConnection, provider_code: str, dataset: str
) -> tuple[list[CheckSummary], int]:
    """The checks with failures over the provider's window, in the model's order (worst first),
    and how many passed throughout."""
    rows = _rows(con, "rpt_provider_dq_checks", provider_code, "display_order", dataset)
    samples = _samples(con, provider_code, dataset)
    months = _months_failing(con, provider_code, dataset)
    details = _ir_details(con, provider_code, dataset)
    checks = [_check_summary(row, months, samples, details) for row in rows if int(row["rows_failed"]) > 0]
    return checks, len(rows) - len(checks)


def _check_summary(
    row: Row, months: dict[str, list[Period]], samples: dict[str, list[Sample]], details: dict[str, str]
) -> CheckSummary:
    check_id = row["check_id"]
    return CheckSummary(
        dataset=row["dataset"], check_id=check_id, severity=row["severity"],
        rows_checked=int(row["rows_checked"]), rows_failed=int(row["rows_failed"]),
        worst_status=row["worst_status"], months_failing=months.get(check_id, []),
        title=row["title"] or check_id, meaning=row["meaning"] or "", how_to_fix=row["how_to_fix"] or "",
        max_failure_rate=float(row["max_failure_rate"] or 0.0),
        peer_median_rate=_float(row["peer_median_rate"]),
        report_as=row["report_as"],
        judged_period=_period(row, "judged_"),
        judged_rows_failed=int(row["judged_rows_failed"]),
        judged_rows_checked=int(row["judged_rows_checked"]),
        samples=samples.get(check_id, []), detail=details.get(check_id, ""),
    )


def _months_failing(
    con: duckdb.DuckDBPyConnection, provider_code: str, dataset: str
) -> dict[str, list[Period]]:
    """The provider's months in the window whose status was not pass, by check, in order."""
    by_check: dict[str, list[Period]] = {}
    order = "check_id, period_start_date"
    for row in _rows(con, "rpt_provider_dq_failing_months", provider_code, order, dataset):
        by_check.setdefault(row["check_id"], []).append(_period(row))
    return by_check


def _samples(con: duckdb.DuckDBPyConnection, provider_code: str, dataset: str) -> dict[str, list[Sample]]:
    """The provider's failed samples in the window, by check (one query for all its checks)."""
    by_check: dict[str, list[Sample]] = {}
    order = "check_id, financial_year, financial_month, sample_no"
    for row in _rows(con, "rpt_provider_dq_samples", provider_code, order, dataset):
        source_row = None if row["source_row"] is None else int(row["source_row"])
        by_check.setdefault(row["check_id"], []).append(
            Sample(_period(row), row["source_file"], source_row,
                   row["record_ref"], row["service_line_code"], row["pod_code"], row["context"],
                   _field_name(row["raw_column"]), row["raw_value"], row["shown_value"],
                   bool(row["is_value_withheld"]))
        )
    return by_check


def _ir_details(con: duckdb.DuckDBPyConnection, provider_code: str, dataset: str) -> dict[str, str]:
    """Per check the registry shows by identification-rules outcome, the provider's
    disagreements with the rules in the window, with the tariff at stake and the part that
    would change funding stream (rpt_provider_dq_ir_outcomes; docs/identification-rules.md)."""
    by_check: dict[str, list[Row]] = {}
    for row in _rows(con, "rpt_provider_dq_ir_outcomes", provider_code, "check_id, outcome", dataset):
        by_check.setdefault(row["check_id"], []).append(row)
    return {check_id: _ir_detail(rows) for check_id, rows in by_check.items()}


def _ir_detail(rows: list[Row]) -> str:
    parts = [
        f"{row['outcome_description']}: {int(row['records']):,} records, £{float(row['tariff_gbp']):,.2f}"
        for row in rows
    ]
    moved = sum(float(row["tariff_gbp_stream_changed"] or 0) for row in rows)
    return ("Against the identification rules, in these months: " + "; ".join(parts)
            + f". £{moved:,.2f} of it would change funding stream (who pays) if the rules' line applied.")


def _rejected_files(con: duckdb.DuckDBPyConnection, provider_code: str) -> list[RejectedFile]:
    """The provider's own files not loaded this month (the model decides which are its own and
    which are recent)."""
    return [
        RejectedFile(str(row["file_name"]), str(row["problem"]), str(row["how_to_fix"]), row["seen_at"])
        for row in _rows(con, REJECTED_FILES, provider_code, "seen_at, file_name")
        if row["is_recent"]
    ]


def _missing_months(con: duckdb.DuckDBPyConnection, provider_code: str) -> list[MissingMonth]:
    """The provider's SLAM months not received, in the latest TREND_MONTHS months it is
    expected (the model decides which)."""
    return [MissingMonth(_period(row), row["submission_due_date"])
            for row in _rows(con, MISSING_MONTHS, provider_code, "period_start_date")]


def _own_results(con: duckdb.DuckDBPyConnection, provider_code: str) -> list[tuple]:
    """The provider's current results, for the results fingerprint (every dataset the report shows)."""
    return sorted(
        (row["dataset"], row["check_id"], row["financial_year"], row["financial_month"], row["rows_checked"],
         row["rows_failed"], row["status"])
        for dataset in REPORT_DATASETS
        for row in _rows(con, "rpt_provider_dq_current_results", provider_code, "check_id", dataset)
    )


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
