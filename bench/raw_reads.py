"""The raw layer's reads side by side (issue 28 item 2, decision 0030): two built DuckDB files
of the same landing, e.g. main's (raw tables) and this branch's (views over the Parquet
folder), the same queries on each, alternated, best of `--repeat`.

    python -m bench.raw_reads --build A.duckdb --build B.duckdb [--repeat 5] [--newest 11]

Timed per build file: every raw value of the four feeds; the three big staging views, every
column of every row; the newest files' rows through the staging views, filtered as the
incremental models filter them (`file_id in (<subquery on the registry>)`), with the number
of Parquet files DuckDB opened for it (EXPLAIN ANALYZE; 0 for tables); and the publish step's
reader copy (`write_reader_copy`). Results are printed and written to
bench/results/raw_reads.json.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from speccomm.load.columns import COLUMNS_BY_FEED
from speccomm.publish.storage import write_reader_copy

RESULTS = Path(__file__).resolve().parent / "results" / "raw_reads.json"
STAGING = {
    "slam": "staging.stg_slam__contract_lines",
    "sus": "staging.stg_sus__records",
    "ledger": "staging.stg_ledger__postings",
}


def every_raw_value() -> str:
    parts = []
    for feed, columns in COLUMNS_BY_FEED.items():
        lengths = " + ".join(f"coalesce(length({c.name}), 0)" for c in columns)
        parts.append(f"select sum({lengths}) as n from raw.{feed}_rows")
    return "select sum(n) from (" + " union all ".join(parts) + ")"


def every_staged_value() -> str:
    parts = [f"select sum(hash(staged)) as h from {view} as staged" for view in STAGING.values()]
    return "select sum(h) from (" + " union all ".join(parts) + ")"


def newest_files_staged(newest: int) -> str:
    """The newest files' rows of each feed through staging, in the incremental models' form."""
    parts = [
        f"select sum(hash(staged)) as h from {view} as staged where staged.file_id in ("
        f"select registry.file_id from raw.file_registry as registry where registry.feed = '{feed}'"
        f" and registry.file_id > (select max(file_id) from raw.file_registry) - {newest})"
        for feed, view in STAGING.items()
    ]
    return "select sum(h) from (" + " union all ".join(parts) + ")"


def files_read(database: Path, query: str) -> int:
    with duckdb.connect(str(database), read_only=True) as con:
        plan = con.execute(f"explain analyze {query}").fetchall()[0][1]
    return sum(int(n) for n in re.findall(r"Total Files Read: ([0-9]+)", plan))


def timed_query(database: Path, query: str) -> Callable[[], float]:
    def run() -> float:
        with duckdb.connect(str(database), read_only=True) as con:
            started = time.perf_counter()
            con.execute(query).fetchall()
            return time.perf_counter() - started

    return run


def timed_reader_copy(database: Path) -> Callable[[], float]:
    def run() -> float:
        with tempfile.TemporaryDirectory(prefix="raw-reads-", dir=database.parent) as scratch:
            started = time.perf_counter()
            write_reader_copy(database, Path(scratch) / "published.duckdb")
            return time.perf_counter() - started

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build", type=Path, action="append", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--newest", type=int, default=11, help="the newest N files of the registry")
    args = parser.parse_args()
    queries = {
        "every_raw_value_s": every_raw_value(),
        "staging_every_column_s": every_staged_value(),
        "newest_files_through_staging_s": newest_files_staged(args.newest),
    }
    best: dict[str, dict[str, float]] = {str(b): {} for b in args.build}
    for _ in range(args.repeat):
        for build in args.build:  # alternated, so that the machine's load falls on both
            runs = {name: timed_query(build, query) for name, query in queries.items()}
            runs["reader_copy_s"] = timed_reader_copy(build)
            for name, run in runs.items():
                seconds = run()
                best[str(build)][name] = round(min(best[str(build)].get(name, seconds), seconds), 3)
    for build in args.build:
        figures = best[str(build)]
        newest = queries["newest_files_through_staging_s"]
        figures["newest_files_parquet_files_read"] = files_read(build, newest)
        figures["build_file_mb"] = round(build.stat().st_size / 2**20, 1)
        raw = build.with_name(f"{build.stem}-raw")
        if raw.is_dir():
            raw_bytes = sum(p.stat().st_size for p in raw.rglob("*") if p.is_file())
            figures["raw_folder_mb"] = round(raw_bytes / 2**20, 1)
    print(json.dumps(best, indent=2))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(best, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
