"""Seeds and models built on Spark (local, or the standalone cluster) over a raw layer
already exported, in folders of their own: what bench/spark_build.py times against DuckDB.
A night on Spark is speccomm.spark.night."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from speccomm.dbt_runner import BuildFailed, code_fingerprint, run_dbt
from speccomm.spark.night import spark_engine


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
        """Where Spark wrote the tables: the cluster's warehouse folder, else the local one."""
        return spark_engine(self.spark_dir, self.raw_parquet).tables

    @property
    def dbt_target(self) -> Path:
        return self.root / "dbt-target"

    @property
    def published(self) -> Path:
        return self.root / "speccomm-spark.duckdb"


def build_on_spark(work: SparkWork, *, echo: bool = True) -> float:
    """dbt on Spark over `work`'s raw layer: seeds and models, no data tests (the engines'
    building compared, bench/spark_build.py; a night runs them). On the standalone cluster
    SPECCOMM_SPARK_CLUSTER names, else a local Spark in `work`'s folders. Returns seconds."""
    engine = spark_engine(work.spark_dir, work.raw_parquet)
    started = time.monotonic()
    dbt_vars = {"code_fingerprint": code_fingerprint()}
    selection = ["--resource-type", "model", "--resource-type", "seed"]
    result = run_dbt(
        ["build", *selection, "--vars", json.dumps(dbt_vars), "--target-path", str(work.dbt_target)],
        work.root / "unused.duckdb",  # the DuckDB targets' file; the spark target ignores it
        target=engine.target,
        log_dir=work.root / "logs",
        echo=echo,
        extra_env=engine.environment,
    )
    if result.returncode != 0:
        raise BuildFailed(f"dbt build on Spark failed (exit {result.returncode}); see {result.log_path}")
    return time.monotonic() - started
