"""Step 4 of the runner: write the run's results, what dbt cannot know.

From what GX found (speccomm.quality.validate) and the selection's temporary tables
(speccomm.quality.slices), inside the runner's transaction: each slice x check's status,
appended with its counts to `dq.dq_check_results`; the kept samples to `dq.dq_failed_samples`;
the validated slices' fingerprints to `dq.dq_slice_fingerprints` (slices with no data any more
forgotten); and, for this run, which run's results are current for every slice, to
`dq.dq_run_slices`. These are the tables of speccomm.quality.tables, sources dbt declares
(models/dq/_dq__sources.yml) and reads in its DQMI and report models.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd

from speccomm.quality.validate import Findings
from speccomm.relations import scalar

PASS, WARN, FAIL = "pass", "warn", "fail"
# A rate equal to the tolerance passes; the epsilon absorbs floating-point noise only.
_EPSILON = 1e-12
RESULT_COLUMNS = ["slice_no", "check_id", "severity", "rows_checked", "rows_failed", "status"]


@dataclass(frozen=True)
class Written:
    """The result rows written by status, and the sample rows written."""

    statuses: Counter[str]
    samples: int


def status_of(rows_checked: int, rows_failed: int, severity: str, max_failure_rate: float) -> str:
    """pass when rows_failed / rows_checked <= max_failure_rate, else fail (error) or warn (warn)."""
    if rows_checked <= 0:
        raise ValueError("a check with no rows is not reported")
    if rows_failed <= max_failure_rate * rows_checked + _EPSILON:
        return PASS
    return FAIL if severity == "error" else WARN


def write_results(
    con: duckdb.DuckDBPyConnection, run_id: str, run_at: datetime, found: Findings
) -> Written:
    """Append the run's results and samples, store the fingerprints and the run's slices (in
    the caller's transaction: the dq tables change together or not at all)."""
    results = _results_frame(found)
    parameters = {"run_id": run_id, "run_at": run_at}
    if len(results):
        _append_results(con, results, parameters)
    con.execute(
        """
        insert into dq.dq_failed_samples
        select
            $run_id, $run_at, new.check_id, changed.dataset, changed.provider_code,
            changed.financial_year, changed.financial_month, new.sample_no, new.source_file,
            new.source_row, new.record_ref, new.service_line_code, new.pod_code, new.context,
            new.raw_column, new.raw_value
        from dq_new_samples as new
        inner join dq_changed_slices as changed
            on new.slice_no = changed.slice_no
        order by changed.dataset, changed.provider_code, changed.financial_year,
            changed.financial_month, new.check_id, new.sample_no
        """,
        parameters,
    )
    _record_fingerprints(con, run_id, run_at)
    _record_run_slices(con, run_id, run_at)
    samples = int(scalar(con, "select count(*) from dq_new_samples") or 0)
    return Written(Counter(results["status"]), samples)


def _results_frame(found: Findings) -> pd.DataFrame:
    """One row per slice x check validated: its counts, severity and status."""
    rows = []
    for (slice_no, check_id), checked in sorted(found.checked.items()):
        check = found.checks[check_id]
        failed = found.failed[(slice_no, check_id)]
        status = status_of(checked, failed, check.severity, check.max_failure_rate)
        rows.append((slice_no, check_id, check.severity, checked, failed, status))
    frame = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    return frame.astype({"slice_no": "int64", "rows_checked": "int64", "rows_failed": "int64"})


def _append_results(
    con: duckdb.DuckDBPyConnection, results: pd.DataFrame, parameters: dict[str, object]
) -> None:
    """The slices' results, with the slices' names, to dq.dq_check_results."""
    con.register("dq_new_results", results)
    try:
        con.execute(
            """
            insert into dq.dq_check_results
            select
                $run_id, $run_at, new.check_id, changed.dataset, changed.provider_code,
                changed.financial_year, changed.financial_month, new.severity,
                new.rows_checked, new.rows_failed, new.status
            from dq_new_results as new
            inner join dq_changed_slices as changed
                on new.slice_no = changed.slice_no
            order by changed.dataset, changed.provider_code, changed.financial_year,
                changed.financial_month, new.check_id
            """,
            parameters,
        )
    finally:
        con.unregister("dq_new_results")


def _record_fingerprints(con: duckdb.DuckDBPyConnection, run_id: str, run_at: datetime) -> None:
    """Store the validated slices' fingerprints; forget slices that no longer have data."""
    con.execute(
        """
        delete from dq.dq_slice_fingerprints as stored
        where not exists (
            select 1 from dq_current_slices as current_slices
            where
                current_slices.dataset = stored.dataset
                and current_slices.provider_code = stored.provider_code
                and current_slices.financial_year = stored.financial_year
                and current_slices.financial_month = stored.financial_month
        )
        or exists (
            select 1 from dq_changed_slices as changed
            where
                changed.dataset = stored.dataset
                and changed.provider_code = stored.provider_code
                and changed.financial_year = stored.financial_year
                and changed.financial_month = stored.financial_month
        )
        """
    )
    con.execute(
        """
        insert into dq.dq_slice_fingerprints
        select dataset, provider_code, financial_year, financial_month, fingerprint, $run_id, $run_at
        from dq_changed_slices
        """,
        {"run_id": run_id, "run_at": run_at},
    )


def _record_run_slices(con: duckdb.DuckDBPyConnection, run_id: str, run_at: datetime) -> None:
    """For this run, which run's results are current for every slice with data."""
    con.execute(
        """
        insert into dq.dq_run_slices
        select
            $run_id,
            $run_at,
            stored.dataset,
            stored.provider_code,
            stored.financial_year,
            stored.financial_month,
            stored.validated_run_id,
            stored.validated_run_id = $run_id
        from dq.dq_slice_fingerprints as stored
        """,
        {"run_id": run_id, "run_at": run_at},
    )
