"""The run log: one row per nightly (and per rollback), kept across runs.

It lives in `state/runs.sqlite` beside the warehouse, not in the warehouse file, because a
failed or killed night never publishes its working copy and its row must survive anyway. Each
publish copies the whole log into the published warehouse as `ops.run_log`, so analysts can
query it next to the data; the copy is as of that publish.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from speccomm.config import Paths
from speccomm.safe_text import printable
from speccomm.state import StateLayout

# Statuses: running (in progress, or killed: the next run marks it), succeeded, failed,
# nothing_to_do (no new files: nothing changed, nothing sent), interrupted (SIGTERM / Ctrl-C),
# killed (found still `running` by a later run: the process died without a word).
RUNNING, SUCCEEDED, FAILED, NOTHING_TO_DO, INTERRUPTED, KILLED = (
    "running", "succeeded", "failed", "nothing_to_do", "interrupted", "killed",
)


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class RunRecord:
    """One row of the run log. Counts are NULL when the step did not run (or was skipped)."""

    run_id: str
    kind: str = "nightly"  # nightly | rollback
    started_at: datetime = field(default_factory=utc_now)
    ended_at: datetime | None = None
    status: str = RUNNING
    failed_step: str | None = None
    error: str | None = None
    reason: str | None = None  # why the run did (or did not) build
    files_loaded: int | None = None
    files_duplicate: int | None = None
    files_rejected: int | None = None
    rows_loaded: int | None = None
    dbt_tests_passed: int | None = None
    dbt_tests_failed: int | None = None
    dbt_tests_warned: int | None = None
    dq_slices_validated: int | None = None
    dq_slices_skipped: int | None = None
    dq_results_written: int | None = None
    dq_checks_failed: int | None = None
    dq_checks_warned: int | None = None
    late_submissions: int | None = None
    reports_built: int | None = None
    reports_sent: int | None = None
    published_version: str | None = None
    build_fingerprint: str | None = None
    reference_version: str | None = None  # `shipped`, or the seeds replaced from <landing>/reference/
    reference_digest: str | None = None  # of the reference folder's files (a change means build)
    seed_digest: str | None = None  # of the seed files dbt loaded (speccomm.dbt_runner.seed_digest)
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    step_seconds: dict[str, float] = field(default_factory=dict)

    def finish(self, status: str) -> None:
        self.status = status
        self.ended_at = utc_now()


_DUCKDB_TYPES = {
    "started_at": "timestamp", "ended_at": "timestamp", "pid": "integer", "rows_loaded": "bigint",
}
_TEXT = {"run_id", "kind", "status", "failed_step", "error", "reason", "published_version",
         "build_fingerprint", "reference_version", "reference_digest", "seed_digest", "host",
         "step_seconds"}
COLUMNS = [f.name for f in fields(RunRecord)]


def _duckdb_type(column: str) -> str:
    if column in _TEXT:
        return "varchar"
    return _DUCKDB_TYPES.get(column, "integer")


class RunLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute(
                f"create table if not exists run_log ({', '.join(COLUMNS)}, primary key (run_id))"
            )
            present = {row[1] for row in db.execute("pragma table_info(run_log)")}
            for column in COLUMNS:  # a log written by an older version lacks the newer columns
                if column not in present:
                    db.execute(f"alter table run_log add column {column}")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30)
        try:
            with db:  # one transaction, committed on success
                yield db
        finally:
            db.close()

    def save(self, record: RunRecord) -> None:
        row = _to_sqlite(record)
        with self._connect() as db:
            db.execute(
                f"insert or replace into run_log ({', '.join(COLUMNS)})"
                f" values ({', '.join('?' for _ in COLUMNS)})",
                [row[c] for c in COLUMNS],
            )

    def mark_abandoned(self, found_by: str) -> list[str]:
        """Runs still `running` while we hold the lock died without a word: mark them killed."""
        with self._connect() as db:
            ids = [r for (r,) in db.execute("select run_id from run_log where status = ?", [RUNNING])]
            db.execute(
                "update run_log set status = ?, error = ? where status = ?",
                [KILLED, f"stopped without finishing (killed or crashed); found by run {found_by}", RUNNING],
            )
        return ids

    def records(self, last: int | None = None) -> list[RunRecord]:
        sql = "select * from run_log order by started_at desc, run_id desc"
        params: list[object] = []
        if last is not None:
            sql += " limit ?"
            params.append(last)
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            rows = db.execute(sql, params).fetchall()
        return [_from_sqlite(dict(row)) for row in rows]

    def copy_into(self, con: duckdb.DuckDBPyConnection, current: RunRecord) -> None:
        """Replace `ops.run_log` in a warehouse with this log (the current run as it stands)."""
        records = [r for r in self.records() if r.run_id != current.run_id] + [current]
        con.execute("create schema if not exists ops")
        columns = ", ".join(f"{c} {_duckdb_type(c)}" for c in COLUMNS)
        con.execute(f"create or replace table ops.run_log ({columns})")
        rows = [[_to_sqlite(r)[c] if c == "step_seconds" else getattr(r, c) for c in COLUMNS]
                for r in sorted(records, key=lambda r: (r.started_at, r.run_id))]
        con.executemany(f"insert into ops.run_log values ({', '.join('?' for _ in COLUMNS)})", rows)


def _to_sqlite(record: RunRecord) -> dict[str, object]:
    row = asdict(record)
    row["step_seconds"] = json.dumps(record.step_seconds)
    for column in ("started_at", "ended_at"):
        value = row[column]
        row[column] = value.isoformat(sep=" ") if value is not None else None
    return row


def _from_sqlite(row: dict[str, object]) -> RunRecord:
    for column in ("started_at", "ended_at"):
        value = row[column]
        row[column] = datetime.fromisoformat(str(value)) if value is not None else None
    row["step_seconds"] = json.loads(str(row["step_seconds"] or "{}"))
    return RunRecord(**row)  # type: ignore[arg-type]


# `speccomm runs`: exit 1 when there is no run log to show, or it cannot be read.
EXIT_NO_RUN_LOG = 1
_RUNS_COLUMNS = (  # (header, width; negative = right-aligned)
    ("RUN ID", 21), ("KIND", 8), ("STATUS", 22), ("STARTED (UTC)", 19), ("ENDED", 8),
    ("FILES", -5), ("REJECTED", -8), ("ROWS", -9), ("TESTS OK", -8), ("FAILED", -6),
    ("SENT", -4), ("REFERENCE", 0), ("ERROR OR REASON", 0),
)


def print_runs(paths: Paths, *, last: int = 10) -> int:
    """`speccomm runs`: a header row, then the latest runs, one line each (latest first).
    Exit 1, with one line naming the file and no traceback, when there is no run log (a
    warehouse that never ran, or a mistyped `--warehouse`) or it cannot be read (a damaged
    `runs.sqlite`)."""
    runs_db = StateLayout.of(paths).runs_db
    if not runs_db.is_file():
        print(f"speccomm runs: no run log at {printable(runs_db)}: no nightly has run for the warehouse "
              f"{printable(paths.warehouse)} (check --warehouse / SPECCOMM_WAREHOUSE)", file=sys.stderr)
        return EXIT_NO_RUN_LOG
    try:
        records = RunLog(runs_db).records(last=last)
    except (OSError, sqlite3.Error) as exc:
        print(f"speccomm runs: the run log {printable(runs_db)} cannot be read ({type(exc).__name__}: "
              f"{printable(exc)}); it may be damaged: move it aside (the published warehouse keeps "
              "a copy as ops.run_log) and the next nightly starts a new one", file=sys.stderr)
        return EXIT_NO_RUN_LOG
    print(_runs_line([header for header, _ in _RUNS_COLUMNS]))
    for r in records:
        print(_runs_line(_runs_cells(r)))
    return 0


def _runs_cells(r: RunRecord) -> list[str]:
    def count(value: int | None) -> str:
        return "-" if value is None else str(value)

    return [
        r.run_id, r.kind, r.status + (f" at {r.failed_step}" if r.failed_step else ""),
        f"{r.started_at:%Y-%m-%d %H:%M:%S}", r.ended_at.strftime("%H:%M:%S") if r.ended_at else "--:--:--",
        count(r.files_loaded), count(r.files_rejected), count(r.rows_loaded),
        count(r.dbt_tests_passed), count(r.dbt_tests_failed), count(r.reports_sent),
        r.reference_version or "-", printable(r.error or r.reason or ""),
    ]


def _runs_line(cells: list[str]) -> str:
    parts = []
    for (_, width), cell in zip(_RUNS_COLUMNS, cells, strict=True):
        parts.append(cell.rjust(-width) if width < 0 else cell.ljust(width))
    return "  ".join(parts).rstrip()
