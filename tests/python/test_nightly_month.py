"""A month night publishes what a full build of the same landing folder publishes.

A night that follows a published one reuses what that night left (the kept dbt parse, the
seeds already loaded, the views it defined, the incremental models' untouched slices, the
data tests of what it did not rebuild: docs/performance.md, "A month night"). None of that
may change an answer: the published file of two nights (the first night's files, then a new month) must hold
exactly the rows of one night that loads everything at once. Every table of every reader
schema is compared, row for row (`except all` both ways), but for the columns that name the
run itself and the tables that are histories of runs.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from test_clients import cli
from test_nightly import NightEnv, add_second_month
from test_reader_copy import reader_content

from conftest import write_core_landing
from speccomm.dbt_runner.shared_parse import PARSE_CACHE_ENV
from speccomm.publish.storage import write_reader_copy

pytestmark = pytest.mark.slow

# Columns that identify the run, the moment or the order files were loaded in, not the data:
# a row's build_invocation_id, run ids and load times differ between any two builds, and file
# ids (with the keys and watermarks made of them) follow the order of loading, which two nights
# and one night do not share.
RUN_COLUMNS = frozenset({
    "run_id", "build_invocation_id", "invocation_id", "loaded_at", "built_at", "published_at",
    "checked_at", "started_at", "ended_at", "first_seen_at", "seen_at", "generated_at", "run_at",
    "file_id", "winning_file_id", "slice_file_watermark", "contract_activity_key", "sus_activity_key",
})
NOT_COMPARED_SCHEMAS = ("ops",)  # the run log: one row per run
# Histories of runs, by design different after two runs than after one: the data-quality runner's
# results, samples, slices, fingerprints and DQMI scores of each run (speccomm.quality), and the
# movements since the last build. They are written by the quality step and the marts' own
# comparison with the last build, not by anything a month night skips.
RUN_HISTORIES = frozenset({
    "dq.dq_check_results", "dq.dq_failed_samples", "dq.dq_run_slices", "dq.dq_slice_fingerprints",
    "dq.dqmi_item_scores", "dq.dqmi_scores", "marts.rpt_icb_spend_movements",
})


def published_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, list[str]]:
    """schema.table -> its columns, of every table and view of the reader schemas."""
    rows = con.execute(
        "select table_schema, table_name, column_name from information_schema.columns"
        " where table_catalog = ? order by table_schema, table_name, ordinal_position",
        [catalog],
    ).fetchall()
    tables: dict[str, list[str]] = {}
    for schema, table, column in rows:
        if schema not in NOT_COMPARED_SCHEMAS and f"{schema}.{table}" not in RUN_HISTORIES:
            tables.setdefault(f"{schema}.{table}", []).append(column)
    return tables


def published_differences(two_nights: Path, one_night: Path) -> dict[str, str]:
    """Every published table whose rows differ between the two files, with the counts of rows
    only in one or only in the other; a table missing from one is a difference too."""
    with duckdb.connect() as con:
        con.execute(f"attach '{two_nights}' as two (read_only)")
        con.execute(f"attach '{one_night}' as one (read_only)")
        two, one = published_tables(con, "two"), published_tables(con, "one")
        differences = {name: "only in one file" for name in set(two) ^ set(one)}
        for name in sorted(set(two) & set(one)):
            if two[name] != one[name]:
                differences[name] = f"columns differ: {two[name]} / {one[name]}"
                continue
            columns = ", ".join(f'"{c}"' for c in two[name] if c not in RUN_COLUMNS)
            schema, table = name.split(".")
            counts = [
                con.execute(
                    f'select count(*) from (select {columns} from {a}."{schema}"."{table}"'
                    f' except all select {columns} from {b}."{schema}"."{table}")'
                ).fetchone()[0]
                for a, b in (("two", "one"), ("one", "two"))
            ]
            if counts != [0, 0]:
                differences[name] = f"{counts[0]} row(s) only after two nights, {counts[1]} only after one"
    return differences


def test_two_nights_publish_exactly_what_one_night_of_the_same_files_publishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared_parse = os.environ[PARSE_CACHE_ENV]
    monkeypatch.delenv(PARSE_CACHE_ENV)  # the two nights: the nightly's own kept parse
    two = NightEnv(tmp_path / "two")  # its own first night: the kept parse names this folder
    write_core_landing(two.landing)
    first = two.run("nightly")
    assert first.returncode == 0, first.stdout + first.stderr
    add_second_month(two)
    second = two.run("nightly")
    assert second.returncode == 0, second.stdout + second.stderr
    one = NightEnv(tmp_path / "one")
    shutil.copytree(two.landing, one.landing)
    only = one.run("nightly", env={PARSE_CACHE_ENV: shared_parse})  # a parse changes no answer
    assert only.returncode == 0, only.stdout + only.stderr

    # the second night took the month night's shortcuts (else this test proves nothing of them)
    assert "dbt reused the kept parse" in second.stdout, second.stdout
    assert "seeds: the files the published build loaded, not loaded again" in second.stdout
    assert "views: left as the published build defined them" in second.stdout
    assert "dbt parsed the whole project" in only.stdout
    # and its published file started from the first night's, the fact keeping its rows
    assert re.search(r"publish: started from \S+\.duckdb: marts\.fct_sus_activity \+[1-9][\d,]*/-0 rows",
                     second.stdout), second.stdout
    assert re.search(r"publish: \d+ relations written whole \(no published file before it\)", first.stdout)
    assert published_differences(two.warehouse, one.warehouse) == {}
    whole = tmp_path / "whole.duckdb"  # what the publish step wrote before it started from the last file
    write_reader_copy(two.build, whole)
    assert reader_content(two.warehouse) == reader_content(whole)  # every row, statement and comment
    opened = cli("-readonly", "-csv", "-noheader", str(two.warehouse),
                 "-c", "select count(*) from marts.fct_sus_activity;")
    assert opened.returncode == 0, opened.stderr  # the copy brought up to date opens in DuckDB 1.x
    assert int(opened.stdout) == len(reader_content(whole)["rows"]["marts.fct_sus_activity"])  # type: ignore[index]
    with duckdb.connect(str(two.warehouse), read_only=True) as con:
        compared = published_tables(con, two.warehouse.stem)
    assert len(compared) > 50  # every mart, dq table and seed, not a handful
