"""Statuses and the staging of one run's results before they are written in one transaction."""

from __future__ import annotations

import duckdb
import pandas as pd

from speccomm.quality.batches import BatchCounts
from speccomm.quality.thresholds import Threshold

PASS, WARN, FAIL = "pass", "warn", "fail"
# A rate equal to the tolerance passes; the epsilon absorbs floating-point noise only.
_EPSILON = 1e-12


def status_of(rows_checked: int, rows_failed: int, threshold: Threshold) -> str:
    """pass when rows_failed / rows_checked <= max_failure_rate, else fail (error) or warn (warn)."""
    if rows_checked <= 0:
        raise ValueError("a check with no rows is not reported")
    if rows_failed <= threshold.max_failure_rate * rows_checked + _EPSILON:
        return PASS
    return FAIL if threshold.severity == "error" else WARN


def create_staging_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        create or replace temp table dq_new_results (
            slice_no bigint, check_id varchar, severity varchar,
            rows_checked bigint, rows_failed bigint, status varchar
        )
        """
    )
    con.execute(
        """
        create or replace temp table dq_new_samples (
            check_id varchar, slice_no bigint, sample_no integer, source_file varchar,
            source_row bigint, record_ref varchar, service_line_code varchar, pod_code varchar,
            context varchar, raw_column varchar, raw_value varchar
        )
        """
    )


def stage_results(
    con: duckdb.DuckDBPyConnection, counts: BatchCounts, thresholds: dict[str, Threshold]
) -> None:
    rows = []
    for (slice_no, check_id), checked in sorted(counts.checked.items()):
        failed = counts.failed[(slice_no, check_id)]
        threshold = thresholds[check_id]
        status = status_of(checked, failed, threshold)
        rows.append((slice_no, check_id, threshold.severity, checked, failed, status))
    if not rows:
        return
    frame = pd.DataFrame(
        rows, columns=["slice_no", "check_id", "severity", "rows_checked", "rows_failed", "status"]
    )
    con.register("dq_results_frame", frame)
    try:
        con.execute("insert into dq_new_results select * from dq_results_frame")
    finally:
        con.unregister("dq_results_frame")


def write_results(con: duckdb.DuckDBPyConnection, run_id: str, run_at: object) -> None:
    """Append the staged results and samples to the dq tables (history is never emptied)."""
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
        {"run_id": run_id, "run_at": run_at},
    )
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
        {"run_id": run_id, "run_at": run_at},
    )


def staged_status_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    found = con.execute("select status, count(*) from dq_new_results group by status").fetchall()
    return {status: int(count) for status, count in found}
