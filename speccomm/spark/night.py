"""The build step of a night on Spark (`speccomm nightly --engine spark`, docs/decisions/0015).

The night loads into its DuckDB working copy as always. Then: the raw schema is written out
as the Parquet raw layer (kept beside the warehouse, a file per landing file, so a night
writes only the new ones), dbt builds seeds, models and data tests on the spark target (the
same selector as a DuckDB night; the data-quality check models as tables of every slice,
var dq_check_scope), and every table Spark built is copied into the working copy, with its
descriptions. The night's later steps (the data-quality runner, reports, delivery, the atomic
publish) then read the working copy exactly as after a DuckDB build.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from speccomm.dbt_runner import BuildResult, build_warehouse, dbt_target_path
from speccomm.publish.comments import comment_models
from speccomm.spark.environment import spark_environment
from speccomm.spark.publish import built_tables, copy_spark_tables
from speccomm.spark.raw_export import export_raw_layer

# the check models read every slice and are tables; the runner keeps the changed slices' rows
SPARK_NIGHT_VARS: dict[str, object] = {"dq_check_scope": "every_slice"}


def build_night_on_spark(
    working_copy: Path,
    *,
    raw_parquet: Path,
    spark_dir: Path,
    seed_path: Path | None,
    footprint: list[str] | str | None,
    echo: bool,
) -> BuildResult:
    """Build the working copy's raw schema on Spark and copy the result into the working copy.
    `spark_dir` (metastore and tables) is the night's own: Spark rebuilds every table each night
    (docs/scale-out.md, "Incremental models on a cluster"). Raises BuildFailed as a DuckDB build."""
    environment = spark_environment(spark_dir, raw_parquet)  # SparkUnavailable before any work
    with duckdb.connect(str(working_copy)) as con:
        export_raw_layer(con, raw_parquet)
    result = build_warehouse(
        working_copy, echo=echo, seed_path=seed_path, footprint=footprint, target="spark",
        extra_env=environment, extra_vars=SPARK_NIGHT_VARS,
    )
    manifest = dbt_target_path(working_copy) / "manifest.json"
    with duckdb.connect(str(working_copy)) as con:
        tables = built_tables(manifest)
        copy_spark_tables(con, spark_dir / "tables", tables)
        comment_models(con, manifest, {(table.schema, table.name) for table in tables})
    return result
