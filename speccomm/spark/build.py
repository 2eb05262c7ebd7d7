"""The warehouse built on Spark (local, dbt-spark's session method) from a landing folder:
load (DuckDB raw schema, as every night) → the raw layer as Parquet → dbt on the spark
target → the published tables read back into a DuckDB file."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from speccomm.dbt_runner import BuildFailed, code_fingerprint, run_dbt
from speccomm.load import load_landing
from speccomm.spark.environment import spark_environment
from speccomm.spark.publish import publish_spark_build
from speccomm.spark.raw_export import ExportSummary, export_raw_layer


@dataclass(frozen=True)
class SparkWork:
    """The folders of one Spark build under `root`."""

    root: Path

    @property
    def raw_database(self) -> Path:  # the loader's DuckDB raw schema
        return self.root / "loaded.duckdb"  # not raw.duckdb: its catalog name would clash with schema raw

    @property
    def raw_parquet(self) -> Path:
        return self.root / "raw"

    @property
    def spark_dir(self) -> Path:  # metastore and tables
        return self.root / "spark"

    @property
    def tables(self) -> Path:
        return self.spark_dir / "tables"

    @property
    def dbt_target(self) -> Path:
        return self.root / "dbt-target"

    @property
    def published(self) -> Path:
        return self.root / "speccomm-spark.duckdb"


def load_and_export(landing: Path, raw_database: Path, raw_parquet: Path) -> ExportSummary:
    """Load new landing files into the DuckDB raw schema of `raw_database`, then write the
    raw layer Spark reads."""
    raw_database.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(raw_database)) as con:
        load_landing(con, landing)
        return export_raw_layer(con, raw_parquet)


def build_on_spark(work: SparkWork, *, with_tests: bool = False, echo: bool = True) -> float:
    """dbt on the spark target over `work`'s raw layer: seeds and models (with their data
    tests when `with_tests`: slow on one machine, see docs/scale-out.md). Returns seconds."""
    started = time.monotonic()
    dbt_vars = {"code_fingerprint": code_fingerprint()}
    selection = ["--exclude", "test_type:unit"] if with_tests else [
        "--resource-type", "model", "--resource-type", "seed"]
    result = run_dbt(
        ["build", *selection, "--vars", json.dumps(dbt_vars), "--target-path", str(work.dbt_target)],
        work.root / "unused.duckdb",  # the DuckDB targets' file; the spark target ignores it
        target="spark",
        log_dir=work.root / "logs",
        echo=echo,
        extra_env=spark_environment(work.spark_dir, work.raw_parquet),
    )
    if result.returncode != 0:
        raise BuildFailed(f"dbt build on Spark failed (exit {result.returncode}); see {result.log_path}")
    return time.monotonic() - started


def build_and_publish(landing: Path, work: SparkWork, *, with_tests: bool = False) -> list[str]:
    load_and_export(landing, work.raw_database, work.raw_parquet)
    build_on_spark(work, with_tests=with_tests)
    return publish_spark_build(work.tables, work.dbt_target / "manifest.json", work.published)
