"""Incremental models (SUS by slice, SLAM placement by file) give exactly what a full build gives."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from conftest import write_core_landing
from landing_files import SLAM_HEADER, SUS_HEADER, slam_row, sus_row, write_csv
from speccomm.dbt_runner import build_warehouse, run_dbt
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
    "intermediate.int_slam__rows_placed": "source_file, source_row, file_provider_code,"
    " provider_code_resolved,"
    " placed_financial_year, placed_financial_month, price",
    "marts.fct_contract_activity": "source_file, source_row, financial_year, financial_month, provider_code,"
    " attributed_icb_code, attribution_method, funding_stream, price",
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
    # a later SLAM statement restates month 2, and month 7 (which a later statement states)
    write_csv(
        landing / "slam" / "RJ1_ACM_2526_M07_20250810090000.csv",
        SLAM_HEADER,
        [slam_row("2", price="333.00"), slam_row("7", price="700.00")],
    )


@pytest.fixture(scope="module")
def core_night(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One night on the core landing folder (with OP June), shared: tests that change it work
    on a copy. Its folder holds the landing folder, the warehouse and its raw layer."""
    root = tmp_path_factory.mktemp("core-night")
    write_core_landing(root / "landing")
    _first_night_extra(root / "landing")
    _night(root / "landing", root / "warehouse.duckdb")
    return root / "warehouse.duckdb"


def test_one_new_month_incrementally_equals_a_full_build(core_night: Path, tmp_path: Path) -> None:
    # the first night is the module's core night, copied whole (landing folder, warehouse and
    # the raw layer's folder beside it) so this test's second night changes none of it
    shutil.copytree(core_night.parent, tmp_path / "night", symlinks=True)
    landing = tmp_path / "night" / "landing"
    incremental = tmp_path / "night" / core_night.name
    before = _rows(incremental, "marts.fct_sus_activity")

    _new_month_files(landing)
    _night(landing, incremental)
    full = tmp_path / "full.duckdb"
    _night(landing, full)

    for table in COMPARED:
        assert _rows(incremental, table) == _rows(full, table), table
    after = _rows(incremental, "marts.fct_sus_activity")
    assert after != before
    # the new statement won month 2 (month 7 stays with the later M12 statement)
    contract = _rows(incremental, "marts.fct_contract_activity")
    assert {(r[0], r[3], r[8]) for r in contract if r[0].startswith("RJ1_ACM_2526_M07")} == {
        ("RJ1_ACM_2526_M07_20250810090000.csv", 2, 333),
    }
    assert sorted((r[0], r[1], r[2]) for r in after) == [
        ("J1", "APC", "202506"),
        ("K1", "OP", "202506"),
        ("S1", "APC", "202505"),
    ]


def test_reference_change_rebuilds_every_slice(
    core_night: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A changed code fingerprint (as after an upgrade) rebuilds rows built with the old one."""
    database = core_night
    with duckdb.connect(str(database), read_only=True) as con:
        (old,) = con.execute("select distinct reference_fingerprint from marts.fct_sus_activity").fetchone()
    monkeypatch.setattr("speccomm.dbt_runner.code_fingerprint", lambda: "changed")
    shutil.copyfile(database, tmp_path / "copy.duckdb")
    build_warehouse(tmp_path / "copy.duckdb", echo=False)
    with duckdb.connect(str(tmp_path / "copy.duckdb"), read_only=True) as con:
        fingerprints = con.execute(
            "select distinct reference_fingerprint from marts.fct_sus_activity"
        ).fetchall()
    assert fingerprints and old not in {f for (f,) in fingerprints}
    with duckdb.connect(str(tmp_path / "copy.duckdb"), read_only=True) as con:
        placed = con.execute("select distinct reference_fingerprint from intermediate.int_slam__rows_placed")
        assert placed.fetchall() == fingerprints
    for table in ("marts.fct_sus_activity", "intermediate.int_slam__rows_placed"):
        assert _rows(tmp_path / "copy.duckdb", table) == _rows(database, table), table


def test_sus_tests_read_the_rows_this_build_wrote_unless_asked_for_every_row(
    core_night: Path, tmp_path: Path
) -> None:
    """A duplicate key written by an earlier invocation is not re-read by a later test run;
    `test_every_row` reads every row and finds it."""
    database = tmp_path / "wh.duckdb"
    shutil.copyfile(core_night, database)
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
