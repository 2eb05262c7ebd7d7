"""The Spark engine's parts that need no Spark: the raw layer's Parquet export, the parity
comparison and the publishing of Spark's Parquet tables (make spark-parity runs Spark itself)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from landing_files import SLAM_HEADER, slam_row, write_csv
from speccomm.load import load_landing
from speccomm.spark.parity import compare_builds
from speccomm.spark.publish import publish_spark_build
from speccomm.spark.raw_export import export_raw_layer


def _landing(root: Path) -> Path:
    write_csv(root / "slam" / "RJ1_ACM_2526_M01_20250512093000.csv", SLAM_HEADER, [slam_row("1")])
    write_csv(root / "slam" / "RJ1_ACM_2526_M02_20250612093000.csv", SLAM_HEADER,
              [slam_row("1"), slam_row("2")])
    return root


def test_raw_export_writes_each_file_once_by_checksum(tmp_path: Path) -> None:
    landing = _landing(tmp_path / "landing")
    out = tmp_path / "raw"
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        load_landing(con, landing)
        first = export_raw_layer(con, out)
        checksums = {row[0] for row in con.execute("select checksum from raw.file_registry").fetchall()}
        again = export_raw_layer(con, out)
        rows = con.execute(f"select count(*), min(source_row) from '{out}/slam_rows/*.parquet'").fetchone()
        registry = con.execute(f"select count(*) from '{out}/file_registry/*.parquet'").fetchone()
    names = sorted(p.name for p in (out / "slam_rows").iterdir())
    assert (first.written, again.written, again.kept) == (2, 0, 2)
    assert {name.split("-", 1)[1].removesuffix(".parquet") for name in names} == checksums
    assert rows == (3, 1) and registry == (2,)
    assert not [p for p in out.rglob(".*")]  # no partial file left behind


def test_raw_export_removes_a_file_the_registry_no_longer_holds(tmp_path: Path) -> None:
    landing = _landing(tmp_path / "landing")
    out = tmp_path / "raw"
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        load_landing(con, landing)
        export_raw_layer(con, out)
        con.execute("delete from raw.slam_rows where file_id = (select min(file_id) from raw.slam_rows)")
        summary = export_raw_layer(con, out)
    assert (summary.removed, summary.kept) == (1, 1)
    assert len(list((out / "slam_rows").glob("*.parquet"))) == 1


def _fake_builds(tmp_path: Path, spark_amount: str) -> tuple[Path, Path, Path]:
    """A DuckDB build with one mart, and 'Spark's' Parquet copy of it with one amount given."""
    duck = tmp_path / "duck.duckdb"
    tables = tmp_path / "tables"
    (tables / "marts.db" / "fct_x").mkdir(parents=True)
    with duckdb.connect(str(duck)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.fct_x as select * from (values (1, cast(10.50 as decimal(18, 2)), 0.1 + 0.2),"
            " (2, cast(5.00 as decimal(18, 2)), 1.0)) as t (x_key, amount_gbp, ratio)"
        )
        con.execute(
            f"copy (select * from (values (1, cast(10.50 as decimal(28, 2)), 0.3), (2, cast({spark_amount}"
            f" as decimal(28, 2)), 1.0)) as t (x_key, amount_gbp, ratio))"
            f" to '{tables}/marts.db/fct_x/part-0.parquet' (format parquet)"
        )
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"nodes": {"model.speccomm.fct_x": {
        "resource_type": "model", "schema": "marts", "name": "fct_x", "alias": "fct_x",
        "config": {"materialized": "table"},
        "columns": {"amount_gbp": {"data_type": "decimal(18,2)"}},
    }}}))
    return duck, tables, manifest


def test_parity_passes_on_equal_builds_within_the_float_tolerance(tmp_path: Path) -> None:
    (result,) = compare_builds(*_fake_builds(tmp_path, "5.00"))
    assert result.matches, result.line()


def test_parity_fails_on_a_different_amount(tmp_path: Path) -> None:
    (result,) = compare_builds(*_fake_builds(tmp_path, "5.01"))
    assert not result.matches
    assert (result.only_in_duckdb, result.only_in_spark) == (1, 1)
    assert result.money_differences == ["amount_gbp 15.50 ≠ 15.51"]


def test_publish_casts_declared_columns_to_their_type(tmp_path: Path) -> None:
    _, tables, manifest = _fake_builds(tmp_path, "5.00")
    out = tmp_path / "published.duckdb"
    assert publish_spark_build(tables, manifest, out) == ["marts.fct_x"]
    with duckdb.connect(str(out), read_only=True) as con:
        types = dict(con.execute("select column_name, data_type from information_schema.columns").fetchall())
    assert types["amount_gbp"] == "DECIMAL(18,2)"
