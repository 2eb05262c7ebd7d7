"""Run one batch of the changed slices through Great Expectations, a group of slices at a time.

The changed slices of the batch's dataset are taken in groups of about GROUP_ROWS rows (sizes
from the fingerprints, in period order, so a group reads neighbouring data). A group's slices
are put in the table `dq_checks.dq_check_scope` (the batch's check model reads only the periods
listed there)
and its rows materialised in the temporary table `dq_batch_rows` (not sorted; rows are named by rowid);
chunks of whole slices (at most CHUNK_ROWS rows) are read into pandas and validated. Memory
stays bounded at any scale. Per slice and check, the runner keeps rows checked, rows failed
and the first `sample_cap` failing rows in file and row order (only the failing rows are
sorted), whose context goes to `dq_new_samples`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pandas as pd

from speccomm.quality.suites import SCOPE_RELATION, Batch, Check

if TYPE_CHECKING:
    from speccomm.quality.validate import GxValidator

GROUP_ROWS = 2_000_000
CHUNK_ROWS = 500_000


@dataclass
class BatchCounts:
    """rows_checked and rows_failed per (slice_no, check_id)."""

    checked: dict[tuple[int, str], int] = field(default_factory=dict)
    failed: dict[tuple[int, str], int] = field(default_factory=dict)
    rows_validated: int = 0

    def add(self, check_id: str, checked: np.ndarray, failed: np.ndarray) -> None:
        for slice_no in np.flatnonzero(checked):
            key = (int(slice_no), check_id)
            self.checked[key] = self.checked.get(key, 0) + int(checked[slice_no])
            self.failed[key] = self.failed.get(key, 0) + int(failed[slice_no])


def validate_batch(
    con: duckdb.DuckDBPyConnection,
    validator: GxValidator,
    batch: Batch,
    checks: list[Check],
    sample_cap: int,
) -> BatchCounts:
    counts = BatchCounts()
    try:
        for group in _groups(con, batch):
            _materialise(con, batch, group)
            for first, last in _chunks(con):
                _validate_chunk(con, validator, batch, checks, sample_cap, counts, first, last)
    finally:
        con.execute(f"delete from {SCOPE_RELATION}")
        con.execute("drop table if exists dq_batch_rows")
    return counts


def _validate_chunk(
    con: duckdb.DuckDBPyConnection,
    validator: GxValidator,
    batch: Batch,
    checks: list[Check],
    sample_cap: int,
    counts: BatchCounts,
    first: int,
    last: int,
) -> None:
    frame = _read_chunk(con, checks, first, last)
    outcome = validator.validate(batch, checks, frame)
    slice_nos = frame["slice_no"].to_numpy()
    size = int(slice_nos.max()) + 1
    per_slice = np.bincount(slice_nos, minlength=size)
    counts.rows_validated += len(frame)
    failing = []
    for check in checks:
        positions = outcome.unexpected_positions[check.check_id]
        failed = np.bincount(slice_nos[positions], minlength=size)
        counts.add(check.check_id, per_slice, failed)
        if len(positions):
            row_ids = frame["row_id"].to_numpy()[positions]
            failing.append(pd.DataFrame({"check_id": check.check_id, "row_id": row_ids}))
    if failing and sample_cap > 0:
        _keep_samples(con, checks, pd.concat(failing, ignore_index=True), sample_cap)


def _groups(con: duckdb.DuckDBPyConnection, batch: Batch) -> Iterator[list[int]]:
    """The batch's changed slices in period order, cut into groups of about GROUP_ROWS rows."""
    sizes = con.execute(
        """
        select changed.slice_no, coalesce(sum(parts.row_count), 0)
        from dq_changed_slices as changed
        left join dq_slice_parts as parts
            on
                parts.fingerprint_key = $fingerprint_key
                and changed.provider_code = parts.provider_code
                and changed.financial_year = parts.financial_year
                and changed.financial_month = parts.financial_month
        where changed.dataset = $dataset
        group by changed.slice_no, changed.financial_year, changed.financial_month, changed.provider_code
        order by changed.financial_year, changed.financial_month, changed.provider_code
        """,
        {"fingerprint_key": batch.fingerprint_key, "dataset": batch.dataset},
    ).fetchall()
    group: list[int] = []
    rows = 0
    for slice_no, size in sizes:
        if group and rows + size > GROUP_ROWS:
            yield group
            group, rows = [], 0
        group.append(int(slice_no))
        rows += int(size)
    if group:
        yield group


def _materialise(con: duckdb.DuckDBPyConnection, batch: Batch, group: list[int]) -> None:
    """The scope = the group's slices (the check model reads only their periods), then its rows."""
    con.execute(f"delete from {SCOPE_RELATION}")
    con.execute(
        f"""
        insert into {SCOPE_RELATION} (slice_no, provider_code, financial_year, financial_month)
        select slice_no, provider_code, financial_year, financial_month
        from dq_changed_slices
        where dataset = $dataset and slice_no in (select unnest($group))
        """,
        {"dataset": batch.dataset, "group": group},
    )
    con.execute(
        f"""
        create or replace temp table dq_batch_rows as
        select
            dq_scope.slice_no,
            batch_rows.*
        from {batch.relation} as batch_rows
        inner join {SCOPE_RELATION} as dq_scope
            on
                batch_rows.provider_code = dq_scope.provider_code
                and batch_rows.financial_year = dq_scope.financial_year
                and batch_rows.financial_month = dq_scope.financial_month
        """
    )


def _chunks(con: duckdb.DuckDBPyConnection) -> Iterator[tuple[int, int]]:
    """Consecutive ranges of slice numbers holding at most CHUNK_ROWS rows (or one big slice)."""
    sizes = con.execute(
        "select slice_no, count(*) from dq_batch_rows group by slice_no order by slice_no"
    ).fetchall()
    first: int | None = None
    last = 0
    rows = 0
    for slice_no, size in sizes:
        if first is not None and rows + size > CHUNK_ROWS:
            yield first, last
            first, rows = None, 0
        if first is None:
            first = slice_no
        last, rows = slice_no, rows + size
    if first is not None:
        yield first, last


def _read_chunk(con: duckdb.DuckDBPyConnection, checks: list[Check], first: int, last: int) -> pd.DataFrame:
    """The chunk's rows: slice number, row id and each column an expectation reads (once)."""
    columns = ", ".join(f'"{column}"' for column in dict.fromkeys(check.column for check in checks))
    frame = con.execute(
        f"""
        select slice_no, rowid as row_id, {columns}
        from dq_batch_rows
        where slice_no between ? and ?
        """,
        [first, last],
    ).df()
    flags = [check.column for check in checks if check.is_flag]
    missing = [column for column in flags if frame[column].isna().any()]
    if missing:
        raise ValueError(f"a fails_ flag is NULL in batch rows (a bug in the check model): {missing}")
    return frame.astype({column: bool for column in flags})


def _keep_samples(
    con: duckdb.DuckDBPyConnection, checks: list[Check], failing: pd.DataFrame, cap: int
) -> None:
    """Of the failing rows GX found, the first `cap` per check and slice in file and row order,
    with their context and raw value, into dq_new_samples (one statement a chunk)."""
    raw_column = " ".join(f"when '{c.check_id}' then '{c.raw_value}'" for c in checks)
    raw_value = " ".join(
        f"when '{c.check_id}' then cast(batch_rows.\"{c.raw_value}\" as varchar)" for c in checks
    )
    con.register("dq_failing_rows", failing)
    try:
        con.execute(
            f"""
            insert into dq_new_samples
            with ranked as (
                select
                    failing.check_id,
                    batch_rows.slice_no,
                    row_number() over (
                        partition by failing.check_id, batch_rows.slice_no
                        order by batch_rows.source_file, batch_rows.source_row, batch_rows.service_line_code,
                            batch_rows.pod_code, batch_rows.context
                    ) as sample_no,
                    batch_rows.source_file,
                    cast(batch_rows.source_row as bigint) as source_row,
                    batch_rows.record_ref,
                    batch_rows.service_line_code,
                    batch_rows.pod_code,
                    batch_rows.context,
                    case failing.check_id {raw_column} end as raw_column,
                    case failing.check_id {raw_value} end as raw_value
                from dq_failing_rows as failing
                inner join dq_batch_rows as batch_rows
                    on failing.row_id = batch_rows.rowid
            )
            select
                check_id, slice_no, sample_no, source_file, source_row, record_ref, service_line_code,
                pod_code, context, raw_column, raw_value
            from ranked
            where sample_no <= $cap
            """,
            {"cap": cap},
        )
    finally:
        con.unregister("dq_failing_rows")
