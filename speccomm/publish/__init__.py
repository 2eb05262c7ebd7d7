"""Publishing: the atomic swap of the warehouse file BI tools read, the kept versions and
rollback, Parquet exports and per-ICB extracts."""

from __future__ import annotations

import sys
from secrets import token_hex

from speccomm.config import Paths
from speccomm.publish.atomic import (
    NoEarlierVersion,
    Published,
    list_versions,
    publish_database,
    rollback_published,
)
from speccomm.publish.export_command import export_parquet
from speccomm.publish.extract import extract_icb
from speccomm.publish.holders import EXIT_WAREHOUSE_HELD, WarehouseHeld, refuse_writers
from speccomm.publish.journal import complete_pending
from speccomm.runlock import EXIT_LOCKED, LockHeld, RunLock
from speccomm.runlog import FAILED, SUCCEEDED, RunLog, RunRecord, utc_now
from speccomm.state import StateLayout

__all__ = [
    "EXIT_LOCKED",
    "EXIT_WAREHOUSE_HELD",
    "NoEarlierVersion",
    "Published",
    "export_parquet",
    "extract_icb",
    "list_versions",
    "publish_database",
    "rollback",
    "rollback_published",
]


def rollback(paths: Paths) -> int:
    """CLI entry: publish the previous kept version again, with its build file. 0 done, 1
    nothing to go back to, 75 a nightly (or another rollback) is running, 76 a client holds the
    published file (or the build file) read-write, as for the nightly."""
    layout = StateLayout.of(paths)
    try:
        lock = RunLock(layout.lock_path, purpose="rollback").acquire()
    except LockHeld as held:
        print(f"speccomm rollback: not done: {held}", file=sys.stderr)
        return EXIT_LOCKED
    try:
        return _rollback_locked(paths, layout)
    finally:
        lock.release()


def _rollback_locked(paths: Paths, layout: StateLayout) -> int:
    record = RunRecord(run_id=utc_now().strftime("%Y%m%dT%H%M%SZ") + "-" + token_hex(2), kind="rollback")
    runlog = RunLog(layout.runs_db)
    try:
        refuse_writers(paths.warehouse, layout.build_file)  # before any file is renamed
        finished = complete_pending(layout.publish_journal)
        if finished is not None:
            print(f"speccomm rollback: an earlier run was stopped while {finished.what}; that is now done")
        was, now = rollback_published(layout)
    except (NoEarlierVersion, WarehouseHeld) as exc:
        record.error = str(exc)
        record.finish(FAILED)
        runlog.save(record)
        print(f"speccomm rollback: nothing done: {exc}", file=sys.stderr)
        return EXIT_WAREHOUSE_HELD if isinstance(exc, WarehouseHeld) else 1
    record.reason = f"rolled back from {was.name}"
    record.published_version = now.name
    record.finish(SUCCEEDED)
    runlog.save(record)
    print(f"speccomm rollback: {paths.warehouse} is version {now.name} again (was {was.name}), "
          f"and {layout.build_file.name} beside it the build of that version.")
    print("  New connections see it; connected readers keep the file they opened until they reconnect.")
    print(
        "  The next nightly loads again every landing file this version does not know. If a landing\n"
        "  file caused the bad build, move it out of the landing folder first."
    )
    return 0
