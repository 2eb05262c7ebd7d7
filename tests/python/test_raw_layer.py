"""The raw layer is one folder of immutable Parquet files, one per loaded landing file, that the
DuckDB file only points at (docs/decisions/0030-one-parquet-raw-layer.md)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from landing_files import SLAM_HEADER, slam_row, write_csv
from speccomm.load import load_landing
from speccomm.load.raw_layer import RawLayerError, remove_unheld, rows_folder

FIRST = "RJ1_ACM_2526_M01_20250512093000.csv"
SECOND = "RJ1_ACM_2526_M02_20250612093000.csv"


def _landing(root: Path) -> Path:
    write_csv(root / "slam" / FIRST, SLAM_HEADER, [slam_row("1", price="£1.00")])
    write_csv(root / "slam" / SECOND, SLAM_HEADER, [slam_row("1"), slam_row("2")])
    return root


def _parquet_files(raw: Path) -> list[str]:
    """The SLAM rows files as '<file id folder>/<name>' (not the schema file)."""
    folder = rows_folder(raw, "slam")
    files = folder.glob("file_id=*/*.parquet")
    return sorted(p.relative_to(folder).as_posix() for p in files if not p.name.startswith("_"))


def _files_read(con: duckdb.DuckDBPyConnection, query: str) -> int:
    """How many Parquet files DuckDB opened to answer the query (EXPLAIN ANALYZE)."""
    plan = con.execute(f"explain analyze {query}").fetchall()[0][1]
    return sum(int(n) for n in re.findall(r"Total Files Read: ([0-9]+)", plan))


def test_each_loaded_file_is_one_parquet_file_named_by_its_checksum(tmp_path: Path) -> None:
    landing = _landing(tmp_path / "landing")
    raw = tmp_path / "wh-raw"
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        load_landing(con, landing)
        registry = con.execute("select file_id, checksum from raw.file_registry order by file_id").fetchall()
        rows = con.execute("select file_id, source_file, source_row, price from raw.slam_rows"
                           " order by file_id, source_row").fetchall()
        kinds = con.execute("select table_name, table_type from information_schema.tables"
                            " where table_schema = 'raw' order by table_name").fetchall()
        snapshot = con.execute(f"select count(*) from '{raw}/file_registry/*.parquet'").fetchone()
    expected = [f"file_id={file_id:012d}/{checksum}.parquet" for file_id, checksum in registry]
    assert _parquet_files(raw) == expected
    first, second = (file_id for file_id, _ in registry)
    assert rows == [(first, FIRST, 1, "£1.00"), (second, SECOND, 1, "100.00"), (second, SECOND, 2, "100.00")]
    # the database file holds the registry and the rejected files; the rows are views
    assert kinds == [
        ("budget_rows", "VIEW"), ("file_registry", "BASE TABLE"), ("ledger_rows", "VIEW"),
        ("rejected_files", "BASE TABLE"), ("slam_rows", "VIEW"), ("sus_rows", "VIEW"),
    ]
    assert snapshot == (2,)
    assert not [p for p in raw.rglob(".*")]  # no partial file left behind


def test_a_second_load_writes_nothing_again(tmp_path: Path) -> None:
    landing = _landing(tmp_path / "landing")
    raw = tmp_path / "wh-raw"
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        load_landing(con, landing)
        written = {p: p.stat().st_mtime_ns for p in rows_folder(raw, "slam").glob("file_id=*/*.parquet")}
        assert load_landing(con, landing).files_loaded == 0
        assert con.execute("select count(*) from raw.slam_rows").fetchone() == (3,)
    assert {p: p.stat().st_mtime_ns for p in rows_folder(raw, "slam").glob("file_id=*/*.parquet")} == written


def test_the_views_work_from_another_working_directory(tmp_path: Path) -> None:
    """Absolute paths: an engineer opens build.duckdb read-only from anywhere."""
    database = tmp_path / "wh.duckdb"
    with duckdb.connect(str(database)) as con:
        load_landing(con, _landing(tmp_path / "landing"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = ("import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True);"
              " print(con.execute('select count(*) from raw.slam_rows').fetchone()[0])")
    counted = subprocess.run([sys.executable, "-c", script, str(database)], cwd=elsewhere,
                             capture_output=True, text=True, check=True)
    assert counted.stdout.strip() == "3"


def test_files_of_a_load_that_never_committed_count_for_nobody(tmp_path: Path, monkeypatch) -> None:
    """The Parquet files are written before the registry commits them: killed in between, the
    files are there and count for nothing; the next load puts each file in once."""
    landing = _landing(tmp_path / "landing")
    raw = tmp_path / "wh-raw"

    def killed(*_: object) -> None:
        raise KeyboardInterrupt  # as a kill between writing the files and the commit

    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        monkeypatch.setattr("speccomm.load.loader._register", killed)
        with pytest.raises(KeyboardInterrupt):
            load_landing(con, landing)
        assert len(_parquet_files(raw)) == 2
        assert con.execute("select count(*) from raw.slam_rows").fetchone() == (0,)
        assert con.execute("select count(*) from raw.file_registry").fetchone() == (0,)
        monkeypatch.undo()
        summary = load_landing(con, landing)
        assert (summary.files_loaded, summary.rows_loaded) == (2, 3)
        assert con.execute("select count(*), count(distinct file_id) from raw.slam_rows").fetchone() == (3, 2)


def test_a_night_that_never_committed_leaves_nothing_for_the_next(tmp_path: Path) -> None:
    """A night's working copy is thrown away when it fails: the next starts from the build file,
    whose sequence gives the same file ids again. The failed night's files are removed first,
    so no two files hold one file id."""
    landing = _landing(tmp_path / "landing")
    raw = tmp_path / "raw"
    build = tmp_path / "build.duckdb"
    with duckdb.connect(str(build)) as con:
        load_landing(con, landing, raw)
    write_csv(landing / "slam" / "RJ1_ACM_2526_M03_20250712093000.csv", SLAM_HEADER, [slam_row("3")])
    failed = tmp_path / "work" / "failed.duckdb"
    failed.parent.mkdir()
    failed.write_bytes(build.read_bytes())
    with duckdb.connect(str(failed)) as con:
        load_landing(con, landing, raw)  # the failed night's load, never published
    assert len(_parquet_files(raw)) == 3
    again = tmp_path / "work" / "again.duckdb"
    again.write_bytes(build.read_bytes())
    write_csv(landing / "slam" / "RJ1_ACM_2526_M03_20250712093000.csv", SLAM_HEADER,
              [slam_row("3"), slam_row("4")])  # the same name, other bytes, the same file id
    with duckdb.connect(str(again)) as con:
        assert load_landing(con, landing, raw).rows_loaded == 2
        assert con.execute("select count(*) from raw.slam_rows").fetchone() == (5,)
    assert len(_parquet_files(raw)) == 3
    with duckdb.connect(str(build), read_only=True) as con:  # the build file is unchanged
        assert con.execute("select count(*) from raw.slam_rows").fetchone() == (3,)


def test_a_replaced_file_stops_counting_and_its_old_file_stays_for_the_kept_versions(tmp_path: Path) -> None:
    landing = _landing(tmp_path / "landing")
    raw = tmp_path / "wh-raw"
    database = tmp_path / "wh.duckdb"
    kept = tmp_path / "kept.duckdb"
    with duckdb.connect(str(database)) as con:
        load_landing(con, landing)
    kept.write_bytes(database.read_bytes())
    write_csv(landing / "slam" / FIRST, SLAM_HEADER, [slam_row("1", price="£2.00"), slam_row("2")])
    with duckdb.connect(str(database)) as con:
        assert len(load_landing(con, landing).replaced) == 1
        assert con.execute(f"select price from raw.slam_rows where source_file = '{FIRST}'"
                           " order by source_row").fetchall() == [("£2.00",), ("100.00",)]
    assert len(_parquet_files(raw)) == 3
    with duckdb.connect(str(kept), read_only=True) as con:  # an earlier version reads its rows still
        assert con.execute(f"select price from raw.slam_rows where source_file = '{FIRST}'").fetchall() == [
            ("£1.00",)
        ]


def test_a_database_whose_rows_are_tables_has_them_moved_out(tmp_path: Path) -> None:
    """A build file from before the Parquet raw layer: its rows become the layer's files."""
    landing = _landing(tmp_path / "landing")
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        load_landing(con, landing)
        expected = con.execute("select * from raw.slam_rows order by file_id, source_row").fetchall()
        con.execute("create table raw.old_rows as select * from raw.slam_rows")
        con.execute("drop view raw.slam_rows")
        con.execute("alter table raw.old_rows rename to slam_rows")
    for path in rows_folder(tmp_path / "wh-raw", "slam").glob("file_id=0*/*.parquet"):
        path.unlink()
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        assert load_landing(con, landing).files_loaded == 0
        assert con.execute("select * from raw.slam_rows order by file_id, source_row").fetchall() == expected
        kind = con.execute("select table_type from information_schema.tables"
                           " where table_schema = 'raw' and table_name = 'slam_rows'").fetchone()
    assert kind == ("VIEW",)
    assert len(_parquet_files(tmp_path / "wh-raw")) == 2


def test_an_unparseable_file_leaves_no_file(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    (landing / "slam").mkdir(parents=True)
    lines = [",".join(SLAM_HEADER), ",".join(slam_row("1")), "RJ7,13R"]
    (landing / "slam" / FIRST).write_text("\n".join(lines) + "\n")
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        assert load_landing(con, landing).files_rejected == 1
    assert _parquet_files(tmp_path / "wh-raw") == []
    assert not [p for p in (tmp_path / "wh-raw").rglob(".*")]


def test_an_in_memory_database_must_name_its_raw_folder(tmp_path: Path) -> None:
    landing = _landing(tmp_path / "landing")
    with duckdb.connect() as con:
        with pytest.raises(RawLayerError, match="raw_dir"):
            load_landing(con, landing)
        assert load_landing(con, landing, tmp_path / "elsewhere").rows_loaded == 3


def test_after_publishing_a_replaced_files_old_rows_go_once_no_kept_build_holds_them(tmp_path: Path) -> None:
    landing = _landing(tmp_path / "landing")
    raw = tmp_path / "build-raw"
    build = tmp_path / "build.duckdb"
    kept = tmp_path / "versions" / "build" / "night-1.duckdb"
    kept.parent.mkdir(parents=True)
    with duckdb.connect(str(build)) as con:
        load_landing(con, landing)
    kept.write_bytes(build.read_bytes())
    write_csv(landing / "slam" / FIRST, SLAM_HEADER, [slam_row("1", price="£2.00")])
    with duckdb.connect(str(build)) as con:
        load_landing(con, landing)
    assert len(_parquet_files(raw)) == 3
    assert remove_unheld(raw, build, [kept]) == 0  # night 1, still kept, reads the old rows
    assert remove_unheld(raw, build, []) == 1  # pruned: nothing holds them
    with duckdb.connect(str(build), read_only=True) as con:
        assert con.execute("select count(*) from raw.slam_rows").fetchone() == (3,)
    assert len(_parquet_files(raw)) == 2


def test_a_filter_on_new_file_ids_opens_only_their_files(tmp_path: Path) -> None:
    """A night's incremental models read `file_id in (the files not yet built)`: DuckDB knows
    each file's id from its folder's name, so it opens the new files only, not every file
    (a filter it derives from the subquery while the query runs, as in the models)."""
    landing = tmp_path / "landing"
    rows = [slam_row(str(month)) for month in range(1, 13)] * 40  # files the size of a month's
    for month in range(1, 7):
        name = f"RJ1_ACM_2526_M{month:02d}_2025{month + 4:02d}12093000.csv"
        write_csv(landing / "slam" / name, SLAM_HEADER, rows)
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        load_landing(con, landing)
        con.execute("create table built as select file_id from raw.file_registry")
        write_csv(landing / "slam" / "RJ1_ACM_2526_M07_20251112093000.csv", SLAM_HEADER, rows)
        load_landing(con, landing)
        new_rows = ("select count(*) from raw.slam_rows where file_id in (select registry.file_id"
                    " from raw.file_registry as registry where registry.file_id not in"
                    " (select built.file_id from built))")
        assert con.execute(new_rows).fetchone() == (len(rows),)
        assert _files_read(con, new_rows) == 1
        assert _files_read(con, "select count(*) from raw.slam_rows where file_id = 1") == 1  # a constant
        assert _files_read(con, "select count(*) from raw.slam_rows") == 7  # every rows file
