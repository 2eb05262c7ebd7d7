"""Spark (local[2], or the standalone cluster) against DuckDB on one landing folder, side by side
(issues 15 and 29).

    python -m bench.spark_build --landing DIR [--workdir DIR] [--cluster DIR]

With --cluster, a standalone cluster (speccomm.spark.cluster) is started in DIR for the Spark
build, its peak resident memory sampled, and stopped after; the figures go to
bench/results/spark_build_cluster.json. The nights (a full one and a month's) on each engine
are `python -m speccomm.spark parity --two-nights --cluster DIR`, which prints their times.

Both engines build the same raw layer (loaded once by speccomm.load: one Parquet folder both
read, docs/decisions/0030) with seeds and models only (no data tests: on Spark each test
is a job of its own, ~4 s, and the comparison is of the engines' building, not of dbt's test
overhead). Timed: the load, the DuckDB dbt run, the Spark dbt run (including
starting its JVM), and the publishing of Spark's tables into a DuckDB file. Results are printed
and written to bench/results/spark_build.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import duckdb

from speccomm.dbt_runner import BuildFailed, code_fingerprint, run_dbt
from speccomm.load import load_landing
from speccomm.spark.build import SparkWork, build_on_spark
from speccomm.spark.cluster import running_cluster
from speccomm.spark.parity import PeakMemory
from speccomm.spark.publish import publish_spark_build

RESULTS = Path(__file__).resolve().parent / "results" / "spark_build.json"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/speccomm-bench/spark"))
    parser.add_argument("--cluster", type=Path, help="build on a standalone cluster started in this folder")
    args = parser.parse_args()
    if args.cluster is None:
        _bench(args.landing, args.workdir, RESULTS)
        return
    with running_cluster(args.cluster) as state, PeakMemory(Path(state.root)) as peak:
        figures = _bench(args.landing, args.workdir, RESULTS.with_name("spark_build_cluster.json"))
    figures["cluster_peak_gib"] = round(peak.kib / 1024 / 1024, 2)
    RESULTS.with_name("spark_build_cluster.json").write_text(
        json.dumps({"landing": str(args.landing), **figures}, indent=2) + "\n")
    print(f"cluster_peak_gib   {figures['cluster_peak_gib']}")


def _bench(landing: Path, workdir: Path, results: Path) -> dict[str, float]:
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    work = SparkWork(workdir)
    figures: dict[str, float] = {}
    with _timed(figures, "load"), duckdb.connect(str(work.raw_database)) as con:
        load_landing(con, landing, work.raw_parquet)  # the raw layer both engines read
    duck = workdir / "duckdb" / "speccomm.duckdb"
    duck.parent.mkdir(parents=True)
    shutil.copyfile(work.raw_database, duck)
    with _timed(figures, "duckdb_dbt"):
        _duckdb_models(duck)
    figures["spark_dbt"] = round(build_on_spark(work, echo=False), 1)
    with _timed(figures, "spark_publish"):
        publish_spark_build(work.tables, work.dbt_target / "manifest.json", work.published)
    figures["spark_over_duckdb"] = round(figures["spark_dbt"] / figures["duckdb_dbt"], 1)
    results.parent.mkdir(exist_ok=True)
    results.write_text(json.dumps({"landing": str(landing), **figures}, indent=2) + "\n")
    for name, value in figures.items():
        print(f"{name:18} {value}")
    return figures


def _duckdb_models(database: Path) -> None:
    dbt_vars = json.dumps({"code_fingerprint": code_fingerprint()})
    args = ["build", "--resource-type", "model", "--resource-type", "seed", "--vars", dbt_vars]
    result = run_dbt(args, database, echo=False)
    if result.returncode != 0:
        raise BuildFailed(f"dbt on DuckDB failed; see {result.log_path}")


class _timed:
    def __init__(self, figures: dict[str, float], name: str) -> None:
        self.figures, self.name = figures, name

    def __enter__(self) -> None:
        self.started = time.monotonic()

    def __exit__(self, *exc: object) -> None:
        self.figures[self.name] = round(time.monotonic() - self.started, 1)


if __name__ == "__main__":
    main()
