"""`python -m speccomm.spark parity` (make spark-parity): one landing folder, a night on each
engine, the two published warehouses compared (speccomm.spark.parity)."""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from speccomm.config import Paths, resolve_paths
from speccomm.nightly import run_nightly
from speccomm.spark.parity import compare_warehouses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m speccomm.spark")
    commands = parser.add_subparsers(dest="command", required=True)
    parity = commands.add_parser("parity", help="a night on DuckDB and one on Spark from one landing folder")
    parity.add_argument("--landing", type=Path, required=True)
    parity.add_argument("--work", type=Path, required=True, help="scratch folder (emptied first)")
    args = parser.parse_args(argv)
    shutil.rmtree(args.work, ignore_errors=True)
    seconds: dict[str, float] = {}
    for engine in ("duckdb", "spark"):
        started = time.monotonic()
        code = run_nightly(_paths(args.landing, args.work, engine), engine=engine)
        seconds[engine] = time.monotonic() - started
        if code != 0:
            print(f"speccomm spark parity: the night on {engine} failed (exit {code})", file=sys.stderr)
            return 1
    results = compare_warehouses(_paths(args.landing, args.work, "duckdb").warehouse,
                                 _paths(args.landing, args.work, "spark").warehouse)
    for result in results:
        print(result.line())
    failed = [result for result in results if not result.matches]
    print(f"speccomm spark parity: {len(results) - len(failed)} of {len(results)} published tables equal "
          f"(night on DuckDB {seconds['duckdb']:.0f} s, night on Spark {seconds['spark']:.0f} s)")
    return 1 if failed or not results else 0


def _paths(landing: Path, work: Path, engine: str) -> Paths:
    """Each engine's night its own warehouse folder and outbox under `work`."""
    return resolve_paths(landing=landing, warehouse=work / engine / "speccomm.duckdb",
                         outbox=work / engine / "outbox")


if __name__ == "__main__":
    sys.exit(main())
