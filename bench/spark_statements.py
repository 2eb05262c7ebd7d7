"""Statements and Spark jobs a cluster ran, per night, from its Thrift server's log (issue 29,
decision 0038: what batching the data tests saves).

    python -m bench.spark_statements LOG START [START ...]

LOG is the cluster's `logs/thrift.log` (speccomm.spark.cluster); each START (`YYYY-MM-DDTHH:MM:SS`,
UTC, e.g. the Spark night's run id 20261207T125156Z as 2026-12-07T12:51:56) opens a window that
the next closes. Per window: every statement (`SparkExecuteStatementOperation: Submitting
query`), every Spark job (`DAGScheduler: Job N finished`), and the data tests' share: a
statement whose text holds dbt's `dbt_internal_test` alias (dbt's own test SQL and the batched
query both have it), and the jobs from the first such statement to 30 s after the last.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

STAMP = re.compile(r"^(\d\d/\d\d/\d\d \d\d:\d\d:\d\d) ")
STATEMENT = "SparkExecuteStatementOperation: Submitting query"
JOB = re.compile(r"Job \d+ finished")
STATEMENT_END = re.compile(r"' with [0-9a-f-]{36}")
TEST_ALIAS = "dbt_internal_test"


@dataclass
class Window:
    start: datetime
    statements: int = 0
    jobs: int = 0
    test_statements: int = 0
    first_test: datetime | None = None
    last_test: datetime | None = None
    test_jobs: int = 0


def count(log: Path, starts: list[datetime]) -> list[Window]:
    windows = [Window(start) for start in sorted(starts)]
    lines = log.read_text(encoding="utf-8", errors="replace").split("\n")
    jobs: list[tuple[Window, datetime]] = []
    for number, line in enumerate(lines):
        stamp = STAMP.match(line)
        window = _window(windows, datetime.strptime(stamp.group(1), "%y/%m/%d %H:%M:%S")) if stamp else None
        if stamp is None or window is None:
            continue
        at = datetime.strptime(stamp.group(1), "%y/%m/%d %H:%M:%S")
        if STATEMENT in line:
            window.statements += 1
            if TEST_ALIAS in _statement_text(lines, number):
                window.test_statements += 1
                window.first_test = window.first_test or at
                window.last_test = at
        elif JOB.search(line):
            window.jobs += 1
            jobs.append((window, at))
    for window, at in jobs:
        first, last = window.first_test, window.last_test
        if first and last and first <= at <= last + timedelta(seconds=30):
            window.test_jobs += 1
    return windows


def _window(windows: list[Window], at: datetime) -> Window | None:
    opened = [window for window in windows if window.start <= at]
    return opened[-1] if opened else None


def _statement_text(lines: list[str], number: int) -> str:
    """A logged statement's text: from its line to the `' with <operation id>` that ends it."""
    text = "\n".join(lines[number:number + 5000])
    end = STATEMENT_END.search(text)
    return text[:end.start()] if end else text[:5000]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("log", type=Path)
    parser.add_argument("starts", nargs="+", type=datetime.fromisoformat)
    args = parser.parse_args()
    for window in count(args.log, args.starts):
        tests = "no tests"
        if window.first_test and window.last_test:
            tests = (f"{window.test_statements} test statements, {window.test_jobs} jobs, "
                     f"{window.first_test:%H:%M:%S}–{window.last_test:%H:%M:%S}")
        print(f"from {window.start:%H:%M:%S}: {window.statements} statements, {window.jobs} jobs; {tests}")


if __name__ == "__main__":
    main()
