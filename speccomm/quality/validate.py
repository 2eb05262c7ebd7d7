"""Step 3 of the runner: validate the changed slices' rows with the GX suites.

Batch by batch (a check model each), the batch's changed slices are taken in groups of about
GROUP_ROWS rows (sizes from the fingerprints, in period order, so a group reads neighbouring
data). A group's slices are put in the table `dq_checks.dq_check_scope` (a source dbt declares:
the check model reads only the periods listed there) and its rows materialised in the
temporary table `dq_batch_rows` (not sorted; rows are named by rowid); chunks of whole slices
(at most CHUNK_ROWS rows) are read into pandas — the slice number, the row id and the columns
the checks' expectations read — and validated against the batch's suite. Memory stays bounded
at any scale.

GX's result format names each failing row by the frame's index (its slice number and row id),
so the failures are counted per slice and check from GX's answer alone. The first
`sample_cap` failing rows per slice and check (in file and row order) are kept in the temporary
table `dq_new_samples` with what a provider is shown about them — the context columns and the
raw value the registry names — read from `dq_batch_rows` by the row ids GX named: nothing
re-checks a row (docs/decisions/0034, as amended).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from speccomm.quality.registry import CONTEXT_COLUMNS, SCOPE_RELATION, Batch, Check
from speccomm.quality.suites import BatchSuite, Suites

GROUP_ROWS = 2_000_000
CHUNK_ROWS = 500_000
# The columns naming a failing row in GX's answer: its slice and its row in dq_batch_rows. They
# are the frame's index levels, under INDEX_PREFIX: GX then reads a failing row's names from
# its index tuple (its named-column path reads every value with .at, cell by cell: 5 times
# slower on the demo) and returns them as one list per level. Two integers: every string index
# level GX's per-expectation filtering, batch fingerprint and index lists also copy, hash and
# turn into tuples for every row cost the national quality step about a third of its time.
INDEX_COLUMNS = ("slice_no", "row_id")
INDEX_PREFIX = "index."


@dataclass
class Findings:
    """What GX found: rows checked and failed per (slice_no, check_id), the checks by id, and
    how many rows were validated. The samples are in the temporary table dq_new_samples."""

    checks: dict[str, Check] = field(default_factory=dict)
    checked: dict[tuple[int, str], int] = field(default_factory=dict)
    failed: dict[tuple[int, str], int] = field(default_factory=dict)
    rows_validated: int = 0

    def add(self, check: Check, checked: np.ndarray, failed: np.ndarray) -> None:
        self.checks[check.check_id] = check
        for slice_no in np.flatnonzero(checked):
            key = (int(slice_no), check.check_id)
            self.checked[key] = self.checked.get(key, 0) + int(checked[slice_no])
            self.failed[key] = self.failed.get(key, 0) + int(failed[slice_no])


@dataclass(frozen=True)
class FrameOutcome:
    """What GX found in one pandas frame: per check, its failing rows (slice_no and row_id)."""

    unexpected_rows: dict[str, pd.DataFrame]


def validate_slices(con: duckdb.DuckDBPyConnection, suites: Suites, sample_cap: int) -> Findings:
    """Validate every changed slice (dq_changed_slices) of every batch with its suite."""
    new_samples_table(con)
    found = Findings()
    for batch_suite in suites.batches:
        try:
            for group in _groups(con, batch_suite.batch):
                _materialise(con, batch_suite.batch, group)
                for first, last in _chunks(con):
                    _validate_chunk(con, batch_suite, sample_cap, found, first, last)
        finally:
            con.execute(f"delete from {SCOPE_RELATION}")
            con.execute("drop table if exists dq_batch_rows")
    return found


def new_samples_table(con: duckdb.DuckDBPyConnection) -> None:
    """The temporary table dq_new_samples, empty: the samples of this run's failing rows."""
    con.execute(
        """
        create or replace temp table dq_new_samples (
            check_id varchar, slice_no bigint, sample_no integer, source_file varchar,
            source_row bigint, record_ref varchar, service_line_code varchar, pod_code varchar,
            context varchar, raw_column varchar, raw_value varchar
        )
        """
    )


def validate_frame(batch_suite: BatchSuite, frame: pd.DataFrame) -> FrameOutcome:
    """Validate `frame` (the index columns and every column the checks' expectations read)
    against the batch's suite; GX names each check's failing rows by the index columns."""
    names = list(INDEX_COLUMNS)
    indexed = frame.set_index([frame[name].rename(INDEX_PREFIX + name) for name in names])
    gx_batch = batch_suite.definition.get_batch(batch_parameters={"dataframe": indexed})
    result = gx_batch.validate(batch_suite.suite, result_format=_result_format(names))
    unexpected: dict[str, pd.DataFrame] = {}
    for expectation_result in result.results:
        config = expectation_result.expectation_config
        if config is None:
            raise RuntimeError(f"GX answered for {batch_suite.batch.key} without naming the expectation")
        check_id = config.meta["check_id"]
        if expectation_result.exception_info.get("raised_exception"):
            message = expectation_result.exception_info.get("exception_message")
            raise RuntimeError(f"GX could not evaluate {batch_suite.batch.key} {check_id}: {message}")
        unexpected[check_id] = _failing_rows(expectation_result.result.get("unexpected_index_list"), names)
    return FrameOutcome(unexpected)


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


def _validate_chunk(
    con: duckdb.DuckDBPyConnection,
    batch_suite: BatchSuite,
    sample_cap: int,
    found: Findings,
    first: int,
    last: int,
) -> None:
    frame = _read_chunk(con, batch_suite.checks, first, last)
    outcome = validate_frame(batch_suite, frame)
    slice_nos = frame["slice_no"].to_numpy()
    size = int(slice_nos.max()) + 1
    per_slice = np.bincount(slice_nos, minlength=size)
    found.rows_validated += len(frame)
    failing = []
    for check in batch_suite.checks:
        rows = outcome.unexpected_rows[check.check_id]
        failed = np.bincount(rows["slice_no"].to_numpy(dtype=np.int64), minlength=size)
        found.add(check, per_slice, failed)
        if len(rows):
            failing.append(rows.assign(check_id=check.check_id, raw_column=check.raw_value))
    if failing and sample_cap > 0:
        keep_samples(con, pd.concat(failing, ignore_index=True), sample_cap, first, last)


def _read_chunk(
    con: duckdb.DuckDBPyConnection, checks: tuple[Check, ...], first: int, last: int
) -> pd.DataFrame:
    """The chunk's rows: slice number, row id and each column an expectation reads (once each)."""
    named = dict.fromkeys(column for check in checks for column in check.columns)
    columns = ", ".join(f'"{column}"' for column in named)
    frame = con.execute(
        f"""
        select slice_no, rowid as row_id, {columns}
        from dq_batch_rows
        where slice_no between ? and ?
        """,
        [first, last],
    ).df()
    flags = [check.columns[0] for check in checks if check.is_flag]
    missing = [column for column in flags if frame[column].isna().any()]
    if missing:
        raise ValueError(f"a fails_ flag is NULL in batch rows (a bug in the check model): {missing}")
    return frame.astype({column: bool for column in flags})


def _result_format(index_names: list[str]) -> dict[str, object]:
    """COMPLETE: every failing row, named by the index levels, as one list per level (no list
    of the failing values of its own, no query to find them again)."""
    return {
        "result_format": "COMPLETE",
        "unexpected_index_column_names": [INDEX_PREFIX + name for name in index_names],
        "exclude_unexpected_values": True,
        "return_unexpected_index_query": False,
    }


def _failing_rows(found: object, names: list[str]) -> pd.DataFrame:
    """GX's unexpected_index_list ([{index level: [values]}], or [] when no row fails) as a frame
    of the index columns."""
    if not found:
        return pd.DataFrame({name: pd.Series([], dtype="int64") for name in names})
    if not (isinstance(found, list) and len(found) == 1 and isinstance(found[0], dict)):
        raise RuntimeError(f"GX named the failing rows in an unexpected shape: {str(found)[:200]}")
    return pd.DataFrame({name: found[0][INDEX_PREFIX + name] for name in names})


def keep_samples(
    con: duckdb.DuckDBPyConnection, failing: pd.DataFrame, cap: int, first: int, last: int
) -> None:
    """Of the failing rows GX named (check_id, raw_column, slice_no, row_id: rows of
    dq_batch_rows in slices first to last), the first `cap` per check and slice in file and
    row order, with the context columns and the raw value read from dq_batch_rows, into
    dq_new_samples (one statement a chunk)."""
    raw_columns = sorted(set(failing["raw_column"]))
    raw_value = " ".join(f'when {number} then cast(batch_rows."{column}" as varchar)'
                         for number, column in enumerate(raw_columns, start=1))
    context = ", ".join(f"batch_rows.{column}" for column in CONTEXT_COLUMNS)
    con.register("dq_failing_rows", failing[["check_id", "raw_column", "slice_no", "row_id"]])
    try:
        con.execute(
            f"""
            insert into dq_new_samples by name
            select *
            from (
                select
                    failing.check_id,
                    failing.slice_no,
                    {context},
                    failing.raw_column,
                    case list_position($raw_columns, failing.raw_column) {raw_value} end as raw_value,
                    row_number() over (
                        partition by failing.check_id, failing.slice_no
                        order by
                            batch_rows.source_file, batch_rows.source_row, batch_rows.service_line_code,
                            batch_rows.pod_code, batch_rows.context
                    ) as sample_no
                from dq_failing_rows as failing
                inner join dq_batch_rows as batch_rows
                    on batch_rows.rowid = failing.row_id
                where batch_rows.slice_no between $first and $last
            )
            where sample_no <= $cap
            """,
            {"cap": cap, "first": first, "last": last, "raw_columns": raw_columns},
        )
    finally:
        con.unregister("dq_failing_rows")
