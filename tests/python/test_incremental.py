"""Incremental SUS models give exactly what a full build gives, slice by slice."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from conftest import write_core_landing
from landing_files import SUS_HEADER, sus_row, write_csv
from speccomm.build import build_warehouse, run_dbt
from speccomm.load import load_landing

pytestmark = pytest.mark.slow

COMPARED = {
    # file ids differ between the two warehouses (files load in another order): compare names
    "intermediate.int_sus__record_occurrences": "(select file_name from raw.file_registry as r"
    " where r.file_id = int_sus__record_occurrences.file_id), source_row, occurrence_in_extract,"
    " dataset, file_activity_month",
    "marts.fct_sus_activity": "sus_record_id, dataset, extract_month, provider_code, attributed_icb_code, "
    "attribution_method, funding_stream, tariff_price, source_file, source_row",
    "intermediate.int_sus__records_placed": "source_file, source_row, is_current_extract, "
    "occurrence_in_extract",
    "dq.quarantined_rows": "feed, source_file, source_row, reason",
}


def _night(landing: Path, database: Path) -> None:
    with duckdb.connect(str(database)) as con:
        load_landing(con, landing)
    build_warehouse(database, echo=False)


def _rows(database: Path, table: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return sorted(con.execute(f"select {COMPARED[table]} from {table}").fetchall(), key=repr)


def _first_night_extra(landing: Path) -> None:
    """OP June is there from the first night: no later file touches its slice."""
    write_csv(landing / "sus" / "OP_202506_20250710060000.csv", SUS_HEADER, [sus_row("K1", "2025-06-02")])


def _new_month_files(landing: Path) -> None:
    sus = landing / "sus"
    # May re-extracted again (replaces the month), APC June arrives (OP June is untouched),
    # and an empty OP May extract.
    write_csv(
        sus / "APC_202505_20250815060000.csv", SUS_HEADER, [sus_row("S1", "2025-05-01", price="1,200.00")]
    )
    write_csv(
        sus / "APC_202506_20250715060000.csv",
        SUS_HEADER,
        [sus_row("J1", "2025-06-01"), sus_row("J1", "2025-06-01")],
    )
    write_csv(sus / "OP_202505_20250815060000.csv", SUS_HEADER, [])


def test_one_new_month_incrementally_equals_a_full_build(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write_core_landing(landing)
    _first_night_extra(landing)
    incremental = tmp_path / "incremental.duckdb"
    _night(landing, incremental)
    before = _rows(incremental, "marts.fct_sus_activity")

    _new_month_files(landing)
    _night(landing, incremental)
    full = tmp_path / "full.duckdb"
    _night(landing, full)

    for table in COMPARED:
        assert _rows(incremental, table) == _rows(full, table), table
    after = _rows(incremental, "marts.fct_sus_activity")
    assert after != before
    assert sorted((r[0], r[1], r[2]) for r in after) == [
        ("J1", "APC", "202506"),
        ("K1", "OP", "202506"),
        ("S1", "APC", "202505"),
    ]


def test_reference_change_rebuilds_every_slice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A changed code fingerprint (as after an upgrade) rebuilds rows built with the old one."""
    landing = tmp_path / "landing"
    write_core_landing(landing)
    database = tmp_path / "warehouse.duckdb"
    _night(landing, database)
    with duckdb.connect(str(database), read_only=True) as con:
        (old,) = con.execute("select distinct reference_fingerprint from marts.fct_sus_activity").fetchone()
    monkeypatch.setattr("speccomm.build.code_fingerprint", lambda: "changed")
    shutil.copyfile(database, tmp_path / "copy.duckdb")
    build_warehouse(tmp_path / "copy.duckdb", echo=False)
    with duckdb.connect(str(tmp_path / "copy.duckdb"), read_only=True) as con:
        fingerprints = con.execute(
            "select distinct reference_fingerprint from marts.fct_sus_activity"
        ).fetchall()
    assert fingerprints and old not in {f for (f,) in fingerprints}
    assert _rows(tmp_path / "copy.duckdb", "marts.fct_sus_activity") == _rows(
        database, "marts.fct_sus_activity"
    )


def test_sus_tests_read_the_rows_this_build_wrote_unless_asked_for_every_row(tmp_path: Path) -> None:
    """A duplicate key written by an earlier invocation is not re-read by a later test run;
    `test_every_row` reads every row and finds it."""
    landing = tmp_path / "landing"
    write_core_landing(landing)
    database = tmp_path / "wh.duckdb"
    _night(landing, database)
    with duckdb.connect(str(database)) as con:
        con.execute(
            "insert into marts.fct_sus_activity"
            " select * replace ('an earlier build' as build_invocation_id)"
            " from marts.fct_sus_activity limit 1"
        )
    select = ["--select", "fct_sus_activity,test_name:unique"]
    assert run_dbt(["test", *select], database, echo=False).returncode == 0
    audit = run_dbt(["test", *select, "--vars", '{"test_every_row": true}'], database, echo=False)
    assert audit.returncode != 0
