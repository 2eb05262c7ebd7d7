"""The build step of a night on Spark (`speccomm nightly --engine spark`, docs/decisions/0015).

The night loads as always: the new landing files become Parquet files of the raw layer beside
the warehouse (speccomm.load.raw_layer, decision 0030), the registry goes into the DuckDB
working copy and, as a Parquet file, beside the rows. Then dbt builds seeds, models and data
tests on the spark target over that same folder (the
same selector as a DuckDB night; the data-quality check models as tables of every slice,
var dq_check_scope), and every table Spark built is copied into the working copy, with its
descriptions; the DQMI views, which read the runner's tables, are built by dbt in the working
copy itself. The night's later steps (the data-quality runner, reports, delivery, the atomic
publish) then read the working copy exactly as after a DuckDB build.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from speccomm.dbt_runner import (
    BuildFailed,
    BuildResult,
    build_warehouse,
    dbt_target_path,
    nightly_selector,
    nightly_vars,
    run_dbt,
)
from speccomm.dbt_runner.data_tests import batched_data_tests, run_data_tests_batched
from speccomm.publish.comments import comment_models
from speccomm.spark.cluster import (
    CLUSTER_ENV,
    ClusterError,
    cluster_environment,
    out_of_memory_message,
    read_state,
)
from speccomm.spark.environment import spark_environment
from speccomm.spark.publish import built_tables, copy_spark_tables
from speccomm.spark.thrift import thrift_statements

# the check models read every slice and are tables; the runner keeps the changed slices' rows
SPARK_NIGHT_VARS: dict[str, object] = {"dq_check_scope": "every_slice"}
DUCKDB_ONLY_TAG = "dq_dqmi"  # dbt_project.yml: models over the runner's tables
# the table whose 'current' slot names the dbt invocation that built it (cluster_holds_published_build)
BUILD_MARKER_TABLE = ("intermediate", "int_finance__spend_snapshots")


def build_night_on_spark(
    working_copy: Path,
    *,
    raw_parquet: Path,
    spark_dir: Path,
    seed_path: Path | None,
    footprint: list[str] | str | None,
    echo: bool,
    full_refresh: bool = False,
    load_seeds: bool = True,
) -> BuildResult:
    """Build the working copy's raw schema on Spark and copy the result into the working copy.
    On a local Spark, `spark_dir` (metastore and tables) is the night's own, so every table is
    built whole and every seed loaded. On the standalone cluster (SPECCOMM_SPARK_CLUSTER,
    speccomm.spark.cluster) the tables live in the cluster's warehouse folder across nights:
    when they are the published build's (cluster_holds_published_build), the incremental
    models rebuild only their changed partitions and, as on DuckDB, `load_seeds` False leaves
    the seeds and what reads only them as they are (`full_refresh` and `load_seeds` as the
    night decided them for DuckDB); else everything is built afresh. On the cluster the data
    tests run after the build, batched (run_data_tests_batched, docs/decisions/0038); a local
    Spark runs them in its dbt build, one statement each. Raises BuildFailed as a DuckDB
    build, naming the failed tests."""
    # the loader wrote the raw layer (speccomm.load.raw_layer): Spark reads the same folder
    engine = spark_engine(spark_dir, raw_parquet)  # SparkUnavailable/BuildFailed before any work
    if engine.cluster is None:
        load_seeds = True  # a local Spark starts from an empty folder
    dbt_vars = dict(SPARK_NIGHT_VARS)
    if engine.cluster is not None and not cluster_holds_published_build(working_copy, engine.tables):
        print("      the cluster's tables are not the published build's: full refresh")
        full_refresh = load_seeds = True
        dbt_vars["spend_snapshots_restart"] = True  # its previous slot there is another build's
    started = time.time()
    # a local Spark runs in dbt's own process: no connection to batch its tests through
    batched = engine.cluster is not None and batched_data_tests()
    try:
        result = build_warehouse(
            working_copy, echo=echo, seed_path=seed_path, footprint=footprint, target=engine.target,
            extra_env=engine.environment, extra_vars=dbt_vars, full_refresh=full_refresh,
            load_seeds=load_seeds or full_refresh, data_tests=not batched,
        )
        if not batched:
            _print_test_time(dbt_target_path(working_copy) / "run_results.json")
        else:
            assert engine.cluster is not None
            thrift_port = read_state(engine.cluster).thrift_port
            run_data_tests_batched(
                working_copy, lambda: thrift_statements(thrift_port), seed_path=seed_path, echo=echo,
                selector=nightly_selector(load_seeds=load_seeds, full_refresh=full_refresh),
                dbt_vars=nightly_vars(footprint, dbt_vars), target=engine.target,
                extra_env=engine.environment,
            )
    except BuildFailed as exc:
        why = out_of_memory_message(engine.cluster, since=started) if engine.cluster else None
        if why is None:
            raise
        raise BuildFailed(f"{exc}: {why}") from exc
    manifest = dbt_target_path(working_copy) / "manifest.json"
    with duckdb.connect(str(working_copy)) as con:
        tables = built_tables(manifest)
        copy_spark_tables(con, engine.tables, tables)
        comment_models(con, manifest, {(table.schema, table.name) for table in tables})
    _build_duckdb_only_models(working_copy, spark_dir, echo)
    return result


def _print_test_time(run_results: Path) -> None:
    """How many data tests the dbt build ran, one statement each, and their time (dbt's
    execution times added up: with two threads, up to twice the wall time)."""
    results = json.loads(run_results.read_text(encoding="utf-8"))["results"]
    tests = [r for r in results if r["unique_id"].startswith("test.")]
    seconds = sum(float(r.get("execution_time") or 0) for r in tests)
    print(f"      data tests in the dbt build: {len(tests)} statements, {seconds:.0f} s of dbt's "
          "execution time", flush=True)


@dataclass(frozen=True)
class SparkEngine:
    """Where a night's dbt build runs: its profile target, the variables its dbt process needs,
    and the folder Spark writes the tables' Parquet files to (which the night copies from)."""

    target: str
    environment: dict[str, str]
    tables: Path
    cluster: Path | None = None  # the standalone cluster's folder


def spark_engine(spark_dir: Path, raw_parquet: Path) -> SparkEngine:
    """The standalone cluster named by SPECCOMM_SPARK_CLUSTER (its Thrift server, target
    `spark_cluster`; tables in the cluster's warehouse folder, kept across nights), else a local
    Spark in dbt's process (target `spark`; tables in the night's own `spark_dir`). A cluster
    that does not answer fails the build step, naming the address."""
    cluster = os.environ.get(CLUSTER_ENV)
    if not cluster:
        return SparkEngine("spark", spark_environment(spark_dir, raw_parquet), spark_dir / "tables")
    root = Path(cluster)
    try:
        environment = cluster_environment(root)
        tables = read_state(root).warehouse
    except ClusterError as exc:
        raise BuildFailed(str(exc)) from exc
    environment["SPECCOMM_RAW_PARQUET"] = str(raw_parquet.resolve())
    return SparkEngine("spark_cluster", environment, tables, root)


def cluster_holds_published_build(working_copy: Path, tables: Path) -> bool:
    """Whether the cluster's tables under `tables` are those of the build the working copy was
    copied from, so that a night may build on them incrementally: the build's dbt invocation,
    which every build writes into the 'current' slot of the spend snapshots
    (BUILD_MARKER_TABLE), is the same in both. A night that failed after building on the
    cluster, a rollback, a DuckDB night in between or another cluster all make them differ."""
    schema, name = BUILD_MARKER_TABLE
    files = tables / f"{schema}.db" / name / "snapshot_slot=current"
    if not any(files.glob("*.parquet")):
        return False
    query = "select max(invocation_id) from {} where snapshot_slot = 'current'"
    with duckdb.connect(str(working_copy), read_only=True) as con:
        try:
            published = con.execute(query.format(f'"{schema}"."{name}"')).fetchone()
        except duckdb.CatalogException:
            return False
        on_cluster = con.execute(
            "select max(invocation_id) from read_parquet(?)", [str(files / "*.parquet")]
        ).fetchone()
    return published is not None and on_cluster is not None and published[0] == on_cluster[0]


def _build_duckdb_only_models(working_copy: Path, spark_dir: Path, echo: bool) -> None:
    """The DQMI views read the runner's tables, which only the DuckDB working copy has (tag
    dq_dqmi, disabled on Spark): dbt builds them there, with a target folder of its own so the
    night's run_results.json stays the Spark build's."""
    result = run_dbt(
        ["run", "--select", f"tag:{DUCKDB_ONLY_TAG}"], working_copy, echo=echo,
        log_dir=spark_dir / "duckdb-logs", extra_env={"DBT_TARGET_PATH": str(spark_dir / "duckdb-target")},
    )
    if result.returncode != 0:
        raise BuildFailed(
            f"dbt run of the DuckDB-only models failed (exit {result.returncode}); see {result.log_path}"
        )
