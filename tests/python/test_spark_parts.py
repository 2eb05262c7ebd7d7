"""The Spark engine's parts that need no Spark (the raw layer it reads is the loader's:
tests/python/test_raw_layer.py): the parity comparison, the copying of Spark's Parquet tables
into DuckDB, the engine switch of the night (make spark-parity runs a night on Spark itself)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import duckdb
import pytest

from landing_files import SLAM_HEADER, slam_row, write_csv
from speccomm.cli import main
from speccomm.dbt_runner import build_fingerprint
from speccomm.nightly import EXIT_CODES
from speccomm.publish.comments import comment_models
from speccomm.spark.night import BUILD_MARKER_TABLE, cluster_holds_published_build
from speccomm.spark.parity import compare_warehouses, partition_files, rewritten_partitions
from speccomm.spark.publish import SparkTable, built_tables, copy_spark_tables, publish_spark_build


def _landing(root: Path) -> Path:
    write_csv(root / "slam" / "RJ1_ACM_2526_M01_20250512093000.csv", SLAM_HEADER, [slam_row("1")])
    write_csv(root / "slam" / "RJ1_ACM_2526_M02_20250612093000.csv", SLAM_HEADER,
              [slam_row("1"), slam_row("2")])
    return root


def _fake_spark_tables(tmp_path: Path, spark_amount: str) -> tuple[Path, Path]:
    """'Spark's' Parquet table of one mart (one amount given) and of an empty seed, and the
    manifest naming them, as a Spark build leaves them."""
    tables = tmp_path / "tables"
    (tables / "marts.db" / "fct_x").mkdir(parents=True)
    (tables / "reference.db" / "empty_seed").mkdir(parents=True)  # Spark writes no file for no row
    with duckdb.connect() as con:
        con.execute(
            f"copy (select * from (values (1, cast(10.50 as decimal(28, 2)), 0.3), (2, cast({spark_amount}"
            f" as decimal(28, 2)), 1.0)) as t (x_key, amount_gbp, ratio))"
            f" to '{tables}/marts.db/fct_x/part-0.parquet' (format parquet)"
        )
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"nodes": {
        "model.speccomm.fct_x": {
            "resource_type": "model", "schema": "marts", "name": "fct_x", "alias": "fct_x",
            "config": {"materialized": "table"}, "description": "One row per x.",
            "columns": {"amount_gbp": {"data_type": "decimal(18,2)", "description": "Money."}},
        },
        "model.speccomm.stg_x": {
            "resource_type": "model", "schema": "staging", "name": "stg_x", "alias": "stg_x",
            "config": {"materialized": "view"}, "columns": {},
        },
        "seed.speccomm.empty_seed": {
            "resource_type": "seed", "schema": "reference", "name": "empty_seed", "alias": "empty_seed",
            "config": {"column_types": {"code": "string", "amount_gbp": "decimal(18,2)"}},
            "columns": {"code": {"description": "A code."}},
        },
    }}))
    return tables, manifest


def _duckdb_night(tmp_path: Path) -> Path:
    """The DuckDB night's published file: the same mart, DuckDB's types."""
    duck = tmp_path / "duck.duckdb"
    with duckdb.connect(str(duck)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.fct_x as select * from (values (1, cast(10.50 as decimal(18, 2)), 0.1 + 0.2),"
            " (2, cast(5.00 as decimal(18, 2)), 1.0)) as t (x_key, amount_gbp, ratio)"
        )
    return duck


def _spark_night(tmp_path: Path, spark_amount: str) -> Path:
    tables, manifest = _fake_spark_tables(tmp_path, spark_amount)
    out = tmp_path / "spark-night.duckdb"
    publish_spark_build(tables, manifest, out)
    return out


def test_parity_passes_on_equal_builds_within_the_float_tolerance(tmp_path: Path) -> None:
    (result,) = compare_warehouses(_duckdb_night(tmp_path), _spark_night(tmp_path, "5.00"))
    assert result.matches, result.line()


def test_parity_fails_on_a_different_amount(tmp_path: Path) -> None:
    (result,) = compare_warehouses(_duckdb_night(tmp_path), _spark_night(tmp_path, "5.01"))
    assert not result.matches
    assert (result.only_in_duckdb, result.only_in_spark) == (1, 1)
    assert result.money_differences == ["amount_gbp 15.50 ≠ 15.51"]


def test_parity_fails_on_a_table_only_one_night_has(tmp_path: Path) -> None:
    duck = _duckdb_night(tmp_path)
    with duckdb.connect(str(duck)) as con:
        con.execute("create schema dq")
        con.execute("create table dq.dq_check_results as select 'x' as check_id, 'r1' as run_id")
    results = {result.table: result for result in compare_warehouses(duck, _spark_night(tmp_path, "5.00"))}
    assert results["marts.fct_x"].matches
    assert not results["dq.dq_check_results"].matches
    assert results["dq.dq_check_results"].problem == "not in the Spark night's warehouse"


def test_publish_casts_declared_columns_to_their_type(tmp_path: Path) -> None:
    tables, manifest = _fake_spark_tables(tmp_path, "5.00")
    out = tmp_path / "published.duckdb"
    assert publish_spark_build(tables, manifest, out) == ["marts.fct_x"]
    with duckdb.connect(str(out), read_only=True) as con:
        types = dict(con.execute("select column_name, data_type from information_schema.columns").fetchall())
    assert types["amount_gbp"] == "DECIMAL(18,2)"


def test_a_spark_night_copies_every_table_into_the_working_copy(tmp_path: Path) -> None:
    """Tables replace a view of the same name (a check model is a view on DuckDB), an empty seed
    is built from its declared types, descriptions are applied, and what the night's Python
    wrote (the data-quality runner's history) is left as it was."""
    tables, manifest = _fake_spark_tables(tmp_path, "5.00")
    working_copy = tmp_path / "work.duckdb"
    with duckdb.connect(str(working_copy)) as con:
        con.execute("create schema marts; create schema dq")
        con.execute("create view marts.fct_x as select 1 as x_key")
        con.execute("create table dq.dq_check_results as select 'earlier night' as run_id")
        spark_tables = built_tables(manifest)
        written = copy_spark_tables(con, tables, spark_tables)
        comments = comment_models(con, manifest, {(t.schema, t.name) for t in spark_tables})
        kinds = dict(con.execute(
            "select schema_name || '.' || table_name, estimated_size from duckdb_tables()").fetchall())
        seed_types = con.execute("describe reference.empty_seed").fetchall()
        described = con.execute(
            "select comment from duckdb_tables() where table_name = 'fct_x'").fetchone()
        history = con.execute("select run_id from dq.dq_check_results").fetchall()
        views = con.execute("select view_name from duckdb_views() where not internal").fetchall()
    assert written == ["marts.fct_x", "reference.empty_seed"]  # the staging view is not a table
    assert set(kinds) == {"marts.fct_x", "reference.empty_seed", "dq.dq_check_results"}
    assert [(name, kind) for name, kind, *_ in seed_types] == [
        ("code", "VARCHAR"), ("amount_gbp", "DECIMAL(18,2)")]
    assert described == ("One row per x.",) and comments == 3  # fct_x, its column, the seed's column
    assert history == [("earlier night",)] and views == []


def test_an_empty_spark_table_without_declared_types_is_an_error_naming_it(tmp_path: Path) -> None:
    tables, _ = _fake_spark_tables(tmp_path, "5.00")
    with duckdb.connect() as con, pytest.raises(FileNotFoundError, match=r"reference\.empty_seed"):
        copy_spark_tables(con, tables, [SparkTable("reference", "empty_seed", {"code": "string"},
                                                   ("code", "amount_gbp"))])


def test_an_engine_switch_is_a_change_of_build() -> None:
    assert build_fingerprint(None, "spark") != build_fingerprint(None) == build_fingerprint(None, "duckdb")


def test_a_night_on_spark_without_pyspark_fails_at_the_build_step_saying_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # an import of it fails, as when not installed
    landing = _landing(tmp_path / "landing")
    warehouse = tmp_path / "w" / "speccomm.duckdb"
    code = main(["nightly", "--engine", "spark", "--landing", str(landing), "--warehouse", str(warehouse),
                 "--outbox", str(tmp_path / "outbox")])
    err = capsys.readouterr().err
    assert code == EXIT_CODES["build"]
    assert "pyspark is not installed" in err and '".[spark]"' in err
    assert not warehouse.exists()


def test_the_engine_option_accepts_only_known_engines(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["nightly", "--engine", "postgres"])
    assert "invalid choice: 'postgres'" in capsys.readouterr().err


def _partitioned_spark_table(tables: Path) -> None:
    """'Spark's' fct_s partitioned by dataset and extract_month: the partition columns in the
    folder names only, as Spark writes them."""
    with duckdb.connect() as con:
        slices = (("APC", "2026-03-01", 1), ("APC", "2026-04-01", 2), ("OP", "2026-04-01", 3))
        for dataset, month, key in slices:
            folder = tables / "marts.db" / "fct_s" / f"dataset={dataset}" / f"extract_month={month}"
            folder.mkdir(parents=True)
            con.execute(f"copy (select {key} as s_key, cast(1.25 as decimal(28, 2)) as tariff_gbp)"
                        f" to '{folder}/part-0.c000.snappy.parquet' (format parquet)")


def test_a_partitioned_spark_table_is_published_with_its_partition_columns_in_the_yaml_order(
    tmp_path: Path,
) -> None:
    tables = tmp_path / "tables"
    _partitioned_spark_table(tables)
    declared = {"s_key": "bigint", "dataset": "string", "extract_month": "date",
                "tariff_gbp": "decimal(18,2)"}
    with duckdb.connect() as con:
        copy_spark_tables(con, tables, [SparkTable("marts", "fct_s", declared, tuple(declared))])
        described = [(name, kind) for name, kind, *_ in con.execute("describe marts.fct_s").fetchall()]
        rows = con.execute("select s_key, dataset, cast(extract_month as varchar) from marts.fct_s"
                           " order by s_key").fetchall()
    assert described == [("s_key", "BIGINT"), ("dataset", "VARCHAR"), ("extract_month", "DATE"),
                         ("tariff_gbp", "DECIMAL(18,2)")]
    assert rows == [(1, "APC", "2026-03-01"), (2, "APC", "2026-04-01"), (3, "OP", "2026-04-01")]


def test_the_partitions_a_night_wrote_are_those_with_newer_files(tmp_path: Path) -> None:
    tables = tmp_path / "tables"
    _partitioned_spark_table(tables)
    (tables / "marts.db" / "fct_plain").mkdir(parents=True)  # an unpartitioned table: not listed
    (tables / "marts.db" / "fct_plain" / "part-0.parquet").write_bytes(b"")
    before = partition_files(tables)
    rewritten = (tables / "marts.db" / "fct_s" / "dataset=APC" / "extract_month=2026-04-01"
                 / "part-0.c000.snappy.parquet")
    os.utime(rewritten, (rewritten.stat().st_atime, rewritten.stat().st_mtime + 60))
    assert rewritten_partitions(before, partition_files(tables)) == {
        "marts.fct_s": (3, ["dataset=APC/extract_month=2026-04-01"])}
    assert rewritten_partitions({}, before) == {"marts.fct_s": (3, sorted(
        ["dataset=APC/extract_month=2026-03-01", "dataset=APC/extract_month=2026-04-01",
         "dataset=OP/extract_month=2026-04-01"]))}


def test_a_night_builds_on_the_clusters_tables_only_when_they_are_the_published_builds(
    tmp_path: Path,
) -> None:
    """The spend snapshot's 'current' slot names the dbt invocation that built it: the same in
    the working copy and on the cluster means the cluster holds the published build."""
    schema, name = BUILD_MARKER_TABLE
    working_copy, tables = tmp_path / "work.duckdb", tmp_path / "warehouse"
    assert not cluster_holds_published_build(working_copy, tables)  # nothing on the cluster
    slot = tables / f"{schema}.db" / name / "snapshot_slot=current"
    slot.mkdir(parents=True)
    with duckdb.connect(str(working_copy)) as con:
        con.execute(f"copy (select 'night-1' as invocation_id) to '{slot}/part-0.parquet' (format parquet)")
    assert not cluster_holds_published_build(working_copy, tables)  # no snapshot in the working copy
    with duckdb.connect(str(working_copy)) as con:
        con.execute(f"create schema {schema}")
        con.execute(f"create table {schema}.{name} as"
                    " select 'current' as snapshot_slot, 'night-1' as invocation_id")
    assert cluster_holds_published_build(working_copy, tables)
    with duckdb.connect(str(working_copy)) as con:  # e.g. a rollback to an older build
        con.execute(f"update {schema}.{name} set invocation_id = 'night-0'")
    assert not cluster_holds_published_build(working_copy, tables)


def test_parity_leaves_out_when_the_previous_build_ran(tmp_path: Path) -> None:
    """rpt_icb_spend_movements' last_built_at is the time of each engine's own previous build:
    a second night's movements are compared on every other column."""
    nights = []
    for engine, built in (("duck", "05:05:59"), ("spark", "05:13:20")):
        night = tmp_path / f"{engine}.duckdb"
        with duckdb.connect(str(night)) as con:
            con.execute("create schema marts")
            con.execute("create table marts.rpt_icb_spend_movements as select 'QKK' as icb_code,"
                        f" 'up' as movement, timestamp '2026-12-07 {built}' as last_built_at")
        nights.append(night)
    (result,) = compare_warehouses(*nights)
    assert result.matches, result.line()
