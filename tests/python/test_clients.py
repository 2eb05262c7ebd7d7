"""The clients analysts already have: the newest DuckDB 1.x command line (PyPI `duckdb-cli`,
pinned in the dev extras) opens the published warehouse and a per-ICB extract, and a client
holding the published file read-write makes the nightly fail clearly, with a run-log row.
"""

from __future__ import annotations

import re
import select
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest
from test_nightly import NightEnv, first_night

from speccomm.nightly import EXIT_WAREHOUSE_HELD
from speccomm.publish.extract import write_extract
from speccomm.publish.storage import DEFAULT_STORAGE_VERSION, rewrite_database, storage_version

pytestmark = pytest.mark.slow

CLI = Path(sys.executable).parent / "duckdb"  # duckdb-cli's executable, beside the venv's python


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> NightEnv:
    return first_night(tmp_path_factory.getbasetemp())


def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([str(CLI), *args], input=stdin, capture_output=True, text=True, timeout=60)


def test_the_cli_under_test_is_a_duckdb_1x() -> None:
    assert CLI.exists(), "duckdb-cli is in the dev extras: make .venv/.installed"
    version = cli("--version").stdout
    assert version.startswith("v1."), version
    assert not duckdb.__version__.startswith("1."), "the warehouse is written by DuckDB 2.x"


def test_the_newest_1x_cli_opens_the_published_warehouse(first: NightEnv) -> None:
    result = cli(
        "-readonly", "-csv", "-noheader", str(first.warehouse),
        "-c", "select current_setting('access_mode');",
        "-c", "select count(*) from marts.fct_contract_activity;",
        # what a reader's client lists: the reader schemas, none of the build's own
        "-c", "select string_agg(distinct table_schema, '+' order by table_schema)"
              " from information_schema.tables;",
        "-c", "select count(*) from information_schema.tables where table_schema = 'marts';",
    )
    assert result.returncode == 0, result.stderr
    mode, facts, schemas, marts = result.stdout.split()
    assert mode == "read_only"
    assert int(facts) == first.query("select count(*) from marts.fct_contract_activity")[0][0] > 0
    assert schemas == "dq+marts+ops+reference"
    assert int(marts) == first.query(
        "select count(*) from information_schema.tables where table_schema = 'marts'"
    )[0][0]


def test_the_newest_1x_cli_opens_an_extract(first: NightEnv, tmp_path: Path) -> None:
    out = tmp_path / "qkk.duckdb"
    taken, _ = write_extract(first.warehouse, "QKK", out)
    result = cli("-readonly", "-csv", "-noheader", str(out),
                 "-c", "select count(*) from main.extract_manifest where exported;",
                 "-c", "select count(*) filter (where comment is null), count(*) from duckdb_columns()"
                       " where schema_name = 'marts';")
    assert result.returncode == 0, result.stderr
    exported, _ = result.stdout.split()
    assert int(exported) == len(taken) > 0
    described = set(first.query(
        "select schema_name, table_name, column_name from duckdb_columns()"
        " where schema_name in ('marts', 'dq') and comment is not null"
    ))
    with duckdb.connect(str(out), read_only=True) as con:
        kept = con.execute(
            "select schema_name, table_name, column_name, comment is not null from duckdb_columns()"
            " where schema_name in ('marts', 'dq')"
        ).fetchall()
    assert {schema for schema, *_ in kept} == {"marts", "dq"}
    lost = [c[:3] for c in kept if not c[3] and c[:3] in described]
    assert lost == [], "every published column keeps its description in the extract"


def test_the_published_file_is_in_the_configured_storage_version(first: NightEnv) -> None:
    assert storage_version() == DEFAULT_STORAGE_VERSION == "v1.0.0"
    assert first.query(
        "select tags['storage_version'] from duckdb_databases() where database_name = 'speccomm'"
    ) == [("v1.0.0+",)]


def test_the_rewritten_file_holds_every_row_column_and_comment(first: NightEnv, tmp_path: Path) -> None:
    """The storage version keeps every feature the marts use: compare a 2.0-format copy."""
    modern = tmp_path / "speccomm.duckdb"
    rewrite_database(first.warehouse, modern, version="v2.0.0")
    with duckdb.connect() as con:
        con.execute(f"attach '{first.warehouse}' as old (read_only)")
        con.execute(f"attach '{modern}' as new (read_only)")
        columns = "schema_name, table_name, column_name, data_type, comment"
        assert con.execute(
            f"select {columns} from duckdb_columns() where database_name = 'old' except"
            f" select {columns} from duckdb_columns() where database_name = 'new'"
        ).fetchall() == []
        for schema, table in con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = 'new'"
        ).fetchall():
            assert con.execute(
                f'select count(*) from (select * from new."{schema}"."{table}"'
                f' except all select * from old."{schema}"."{table}")'
            ).fetchone()[0] == 0, f"{schema}.{table}"


def test_a_storage_version_setting_that_is_not_a_version_stops_the_night(
    first: NightEnv, tmp_path: Path
) -> None:
    env = first.copy(tmp_path / "night")
    result = env.run("nightly", "--force", env={"SPECCOMM_STORAGE_VERSION": "newest"})
    assert result.returncode == 1
    assert "SPECCOMM_STORAGE_VERSION='newest'" in result.stderr


def test_a_read_write_client_is_a_clear_logged_failure(first: NightEnv, tmp_path: Path) -> None:
    env = first.copy(tmp_path / "held")
    before = env.sha()
    with _held_read_write(env.warehouse) as holders:
        result = env.run("nightly")
    assert result.returncode == EXIT_WAREHOUSE_HELD == 76, result.stdout + result.stderr
    named = re.search(r"open read-write in another process, PID (\d+) \(duckdb, program ", result.stderr)
    assert named, result.stderr
    assert int(named[1]) in holders
    assert "Traceback" not in result.stderr
    last = env.runs()[-1]
    assert last["status"] == "failed" and f"PID {named[1]} (duckdb" in last["error"]
    assert env.sha() == before
    after = env.run("nightly")  # the client has gone: the next night runs as usual
    assert after.returncode == 0, after.stdout + after.stderr


def test_rollback_refuses_a_read_write_client_as_the_nightly_does(first: NightEnv, tmp_path: Path) -> None:
    """Renaming another file over one a client writes to would lose its writes, and it locks
    every reader out: rollback says so and exits 76, as the nightly does."""
    env = first.copy(tmp_path / "held")
    before = env.sha()
    with _held_read_write(env.warehouse):
        result = env.run("rollback")
    assert result.returncode == EXIT_WAREHOUSE_HELD == 76, result.stdout + result.stderr
    assert "open read-write in another process, PID" in result.stderr and "Traceback" not in result.stderr
    assert env.sha() == before
    last = env.runs()[-1]
    assert (last["kind"], last["status"]) == ("rollback", "failed") and "read-write" in last["error"]


@contextmanager
def _held_read_write(path: Path) -> Iterator[tuple[int, ...]]:
    """`path` open read-write in the 1.x command line without -readonly (the way people open a
    file by mistake) while the block runs; yields the holder's PIDs (the wrapper script runs
    the binary)."""
    holder = subprocess.Popen(
        [str(CLI), "-csv", "-noheader", str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdin is not None
        holder.stdin.write("select 42;\n")
        holder.stdin.flush()
        _wait_until_locked(path, holder)
        yield (holder.pid, *_descendants(holder.pid))
    finally:
        if holder.stdin is not None:
            holder.stdin.close()
        holder.wait(timeout=30)


def _descendants(pid: int) -> list[int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def _wait_until_locked(path: Path, holder: subprocess.Popen) -> None:
    """Until the holder has the file open: it has answered its first query (a probe before
    that could itself hold the lock the holder is taking). The CLI's wrapper starts slowly on a
    busy machine."""
    assert holder.stdout is not None and holder.stderr is not None
    ready, _, _ = select.select([holder.stdout], [], [], 90)
    answer = holder.stdout.readline() if ready else ""
    if "42" not in answer:
        holder.kill()
        raise AssertionError(f"the holder did not open {path}: {answer!r} {holder.stderr.read()}")
    with pytest.raises(duckdb.IOException, match="Could not set lock"):
        duckdb.connect(str(path), read_only=True).close()
