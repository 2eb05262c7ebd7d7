"""The night's steps in order: load new files, build, check, report, deliver, publish."""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable

import duckdb

from speccomm.build import BuildFailed, build_warehouse
from speccomm.config import Paths
from speccomm.load import load_landing


class StepFailed(RuntimeError):
    def __init__(self, step: str, cause: BaseException) -> None:
        super().__init__(f"step '{step}' failed: {cause}")
        self.step = step


def run_nightly(paths: Paths, *, revalidate_all: bool = False, send_only_changed: bool = False) -> int:
    """Exit status 0 when the night succeeded; otherwise names the failed step."""
    try:
        _prepare_working_copy(paths)
        _step("load", lambda: _load(paths))
        _step("build", lambda: build_warehouse(paths.working_copy))
        _step("publish", lambda: _publish(paths))
    except StepFailed as failure:
        print(f"speccomm nightly: FAILED at {failure}", file=sys.stderr)
        print(f"The published warehouse {paths.warehouse} was left untouched.", file=sys.stderr)
        return 1
    print(f"speccomm nightly: published {paths.warehouse}")
    return 0


def _step(name: str, action: Callable[[], object]) -> None:
    started = time.monotonic()
    print(f"== {name} ...", flush=True)
    try:
        action()
    except (BuildFailed, duckdb.Error, OSError) as exc:
        raise StepFailed(name, exc) from exc
    print(f"== {name} done in {time.monotonic() - started:.1f}s", flush=True)


def _prepare_working_copy(paths: Paths) -> None:
    """The working copy starts as the published warehouse (raw layer and history included)."""
    paths.working_copy.parent.mkdir(parents=True, exist_ok=True)
    paths.working_copy.unlink(missing_ok=True)
    if paths.warehouse.exists():
        shutil.copyfile(paths.warehouse, paths.working_copy)


def _load(paths: Paths) -> None:
    with duckdb.connect(str(paths.working_copy)) as con:
        summary = load_landing(con, paths.landing)
    print(
        f"   files loaded {summary.files_loaded} (re-sent duplicates {summary.files_duplicate}), "
        f"rows {summary.rows_loaded}, rejected {summary.files_rejected}"
    )
    for name, reason in summary.rejected:
        print(f"   rejected {name}: {reason}")


def _publish(paths: Paths) -> None:
    paths.warehouse.parent.mkdir(parents=True, exist_ok=True)
    staging = paths.warehouse.with_name(paths.warehouse.name + ".publishing")
    shutil.copyfile(paths.working_copy, staging)
    staging.replace(paths.warehouse)
