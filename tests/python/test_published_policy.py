"""What the published file holds: only what BI readers may see (contract, "What the published
file holds"; docs/decisions/0016).

The demo warehouse (built once per session, checked once: dq results and failed samples too)
is published the way the nightly publishes (speccomm.publish.atomic.publish_database): the
published file must hold the schemas marts, dq, reference and ops and nothing else, and no
pseudonymised patient id — no column named for one and, searched by value, none of the demo's
11,000-odd `pseudo_patient_id` values (read from the build file's raw.sus_rows) in any cell of
any table, nor in an extract or an export written from it. The same search over the build file
finds them: it is a search that can fail.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from demo_warehouse import CheckedDemo

from speccomm.publish.atomic import publish_database
from speccomm.publish.export import ExportScope, write_parquet_export
from speccomm.publish.extract import parquet_dir, write_footprint_extract
from speccomm.publish.spreadsheets import write_csv_export
from speccomm.publish.storage import READER_SCHEMAS
from speccomm.state import StateLayout

pytest_plugins = ["demo_warehouse"]
pytestmark = pytest.mark.slow

PSEUDONYM_COLUMN = re.compile(r"pseudo|patient_(id|key|hash)|nhs_number$", re.IGNORECASE)
ID_WIDTH = 12  # the generator's pseudonyms: 12 hex digits (speccomm.generate.sus_render)


@pytest.fixture(scope="module")
def published(checked_demo: CheckedDemo, tmp_path_factory: pytest.TempPathFactory) -> StateLayout:
    root = tmp_path_factory.mktemp("published-policy")
    working = root / "work" / "speccomm.duckdb"
    working.parent.mkdir()
    working.write_bytes(checked_demo.database.read_bytes())
    layout = StateLayout(root / "wh" / "speccomm.duckdb")
    publish_database(working, layout, version_name="20260501T020000Z", keep=3)
    return layout


@pytest.fixture(scope="module")
def pseudonyms(published: StateLayout) -> list[str]:
    with duckdb.connect(str(published.build_file), read_only=True) as con:
        ids = [i for (i,) in con.execute(
            "select distinct upper(pseudo_patient_id) from raw.sus_rows where pseudo_patient_id is not null"
        ).fetchall()]
    assert len(ids) > 1000 and {len(i) for i in ids} == {ID_WIDTH}
    return ids


# Every DuckDB database has a schema `main` that cannot be dropped ("Cannot drop entry main
# because it is an internal system entry"): the published file lists it, empty.
ALWAYS_THERE = "main"


def test_the_published_file_holds_the_reader_schemas_only(published: StateLayout) -> None:
    with duckdb.connect(str(published.warehouse), read_only=True) as con:
        schemas = {s for (s,) in con.execute(
            "select schema_name from duckdb_schemas() where database_name = current_database()"
        ).fetchall()}
        in_main = con.execute(
            "select count(*) from (select table_name from duckdb_tables() where database_name ="
            " current_database() and schema_name = 'main' union all select view_name from duckdb_views()"
            " where database_name = current_database() and schema_name = 'main' and not internal"
            " union all select sequence_name from duckdb_sequences() where database_name ="
            " current_database() and schema_name = 'main' union all select function_name from"
            " duckdb_functions() where database_name = current_database() and schema_name = 'main'"
            " and not internal union all select type_name from duckdb_types() where database_name ="
            " current_database() and schema_name = 'main' and not internal)"
        ).fetchone()
    # the reader schemas (ops holds the run log, which the nightly copies in: this build had no
    # night) and `main` (DuckDB's own, which no file can be without), empty; nothing else
    assert {"marts", "dq", "reference", ALWAYS_THERE} <= schemas <= {*READER_SCHEMAS, ALWAYS_THERE}
    assert in_main == (0,)
    with duckdb.connect(str(published.build_file), read_only=True) as con:  # the contract's raw layer
        for table in ("file_registry", "rejected_files", "slam_rows", "sus_rows", "ledger_rows"):
            assert con.execute(f"select count(*) from raw.{table}").fetchone() is not None


# What SQLAlchemy's inspector (duckdb_engine 0.17: Superset's schema list) shows for the file;
# run in a process of its own (duckdb_engine opens the file with settings of its own).
INSPECT = """
import sys
from sqlalchemy import create_engine, inspect
from sqlalchemy.pool import NullPool
engine = create_engine("duckdb:///" + sys.argv[1] + "?access_mode=read_only", poolclass=NullPool)
print("\\n".join(inspect(engine).get_schema_names()))
"""


def test_a_bi_client_lists_the_reader_schemas_and_nothing_of_the_build(published: StateLayout) -> None:
    listed = subprocess.run(
        [sys.executable, "-c", INSPECT, str(published.warehouse)],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout.split()
    database = published.warehouse.stem  # duckdb_engine names a schema <database>.<schema>
    of_the_file = {name.split(".", 1)[1] for name in listed if name.startswith(f"{database}.")}
    assert {"marts", "dq", "reference", ALWAYS_THERE} <= of_the_file <= {*READER_SCHEMAS, ALWAYS_THERE}
    # the rest is the client's own DuckDB instance (its catalog and temporary schema), in any file
    assert {name.split(".", 1)[0] for name in listed} == {database, "system", "temp"}
    for name in ("raw", "staging", "intermediate", "dq_checks"):
        assert f"{database}.{name}" not in listed


def test_no_published_column_is_named_for_a_pseudonymised_id(published: StateLayout) -> None:
    with duckdb.connect(str(published.warehouse), read_only=True) as con:
        named = [row for row in con.execute(
            "select schema_name, table_name, column_name from duckdb_columns()"
            " where database_name = current_database()"
        ).fetchall() if PSEUDONYM_COLUMN.search(row[2])]
    assert named == []
    with duckdb.connect(str(published.build_file), read_only=True) as con:  # the pattern does match
        assert ("raw", "sus_rows", "pseudo_patient_id") in con.execute(
            "select schema_name, table_name, column_name from duckdb_columns()").fetchall()


def test_no_pseudonymised_id_in_any_published_cell_extract_or_export(
    published: StateLayout, pseudonyms: list[str], tmp_path: Path
) -> None:
    with duckdb.connect() as con:  # the search finds them where they are
        con.execute(f"attach '{published.build_file}' as build (read_only)")
        _load_ids(con, pseudonyms)
        assert _holds(con, "build.raw.sus_rows", "pseudo_patient_id")
        assert not _holds(con, "build.raw.sus_rows", "provider_code")
    assert _cells_holding(published.warehouse, pseudonyms) == []

    extract = tmp_path / "extract" / "qkk_qwe.duckdb"
    write_footprint_extract(published.warehouse, ["QKK", "QWE"], extract)
    assert _cells_holding(extract, pseudonyms) == []
    exports = [tmp_path / "parquet", tmp_path / "csv"]
    whole = ExportScope(published.warehouse, published.warehouse)  # unsuppressed: everything
    write_parquet_export(whole, exports[0])
    write_csv_export(whole, exports[1])
    files = [*parquet_dir(extract).glob("*.parquet"), *exports[0].rglob("*.parquet"),
             *exports[1].rglob("*.csv")]
    assert len(files) > 20
    with duckdb.connect() as con:
        _load_ids(con, pseudonyms)
        for path in files:
            reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"
            # an export's CSV file says in its first line what it is (not for sharing): skipped
            options = ", all_varchar = true, skip = 1, header = true)" if reader == "read_csv" else ")"
            relation = f"{reader}('{path}'{options}"
            columns = [c for (c, *_) in con.execute(f"describe select * from {relation}").fetchall()]
            hits = [c for c in columns if _holds(con, relation, c)]
            assert hits == [], f"{path}: {hits}"


def _cells_holding(database: Path, pseudonyms: list[str]) -> list[str]:
    """`schema.table.column` of every column of `database` with a cell holding one of the
    pseudonyms (anywhere in its text, any case)."""
    found = []
    with duckdb.connect() as con:
        con.execute(f"attach '{database}' as searched (read_only)")
        _load_ids(con, pseudonyms)
        for schema, table, column in con.execute(
            "select schema_name, table_name, column_name from duckdb_columns()"
            " where database_name = 'searched' order by all"
        ).fetchall():
            if _holds(con, f'searched."{schema}"."{table}"', column):
                found.append(f"{schema}.{table}.{column}")
    return found


def _load_ids(con: duckdb.DuckDBPyConnection, pseudonyms: list[str]) -> None:
    con.execute("create temp table pseudonyms (id varchar primary key)")
    con.executemany("insert into pseudonyms values (?)", [[i] for i in pseudonyms])


def _holds(con: duckdb.DuckDBPyConnection, relation: str, column: str) -> bool:
    """Whether a cell of `relation.column`, as text, holds a pseudonym: every window of
    ID_WIDTH characters of each distinct value with a run of that many hex digits is looked up."""
    return con.execute(
        f"""
        with values_seen as (
            select distinct upper(cast("{column}" as varchar)) as v from {relation}
            where regexp_matches(cast("{column}" as varchar), '[0-9A-Fa-f]{{{ID_WIDTH}}}')
        ),
        windows as (
            select substr(v, cast(unnest(range(1, length(v) - {ID_WIDTH - 2})) as integer), {ID_WIDTH}) as w
            from values_seen
        )
        select exists (select 1 from windows inner join pseudonyms on windows.w = pseudonyms.id)
        """
    ).fetchone()[0]
