"""`python -m speccomm.spark build|parity` (make spark-demo, make spark-parity)."""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from speccomm.dbt_runner import build_warehouse
from speccomm.spark.build import SparkWork, build_and_publish, build_on_spark, load_and_export
from speccomm.spark.parity import compare_builds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m speccomm.spark")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build a landing folder on Spark; publish to a DuckDB file")
    parity = commands.add_parser("parity", help="build a landing folder on DuckDB and on Spark; compare")
    for sub in (build, parity):
        sub.add_argument("--landing", type=Path, required=True)
        sub.add_argument("--work", type=Path, required=True, help="scratch folder (emptied first)")
    build.add_argument("--with-tests", action="store_true", help="run the data tests on Spark too (slow)")
    args = parser.parse_args(argv)
    shutil.rmtree(args.work, ignore_errors=True)
    work = SparkWork(args.work)
    if args.command == "build":
        tables = build_and_publish(args.landing, work, with_tests=args.with_tests)
        print(f"speccomm spark: {len(tables)} published tables in {work.published}")
        return 0
    return _parity(args.landing, work)


def _parity(landing: Path, work: SparkWork) -> int:
    """DuckDB builds the landing folder as the night does; Spark builds the same raw layer."""
    started = time.monotonic()
    load_and_export(landing, work.raw_database, work.raw_parquet)
    duck = work.root / "duckdb" / "speccomm.duckdb"
    duck.parent.mkdir(parents=True)
    shutil.copyfile(work.raw_database, duck)
    build_warehouse(duck, echo=False)
    duck_seconds = time.monotonic() - started
    spark_seconds = build_on_spark(work, echo=False)
    results = compare_builds(duck, work.tables, work.dbt_target / "manifest.json")
    for result in results:
        print(result.line())
    failed = [result for result in results if not result.matches]
    print(f"speccomm spark parity: {len(results) - len(failed)} of {len(results)} published tables equal "
          f"(load + DuckDB build {duck_seconds:.0f} s, Spark build {spark_seconds:.0f} s)")
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
