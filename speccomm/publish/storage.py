"""The DuckDB storage version of the files readers open: the published warehouse and extracts.

DuckDB 2.0 writes new files in its own storage format (version number 69), which no DuckDB
1.x client can open — and the ODBC and JDBC drivers BI tools embed, and the Node package
Evidence uses, lag behind the Python module. So the published warehouse and every extract are
written in an older storage version that 2.0 can still write: `SPECCOMM_STORAGE_VERSION`, by
default `v1.0.0`, the oldest 2.0 writes (extracts open in every DuckDB from 1.0 on, the
published file from 1.1 on: 1.0 cannot read the key constraints 2.0 writes; see
docs/bi-access.md, "Supported clients"). The marts use nothing that storage version cannot
hold: the publish step copies every table, view and comment of the reader schemas
(`write_reader_copy`), and a table it could not store would fail the publish, never reach
readers half-written.

The published file holds only what BI readers may see, `READER_SCHEMAS`; the build's own
schemas (raw, staging, intermediate, dq_checks) stay in the build file beside it
(speccomm.state.StateLayout.build_file, docs/decisions/0016).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

from speccomm.memory_limit import DuckDBConfig, duckdb_config

STORAGE_VERSION_ENV = "SPECCOMM_STORAGE_VERSION"
DEFAULT_STORAGE_VERSION = "v1.0.0"
_VERSION = re.compile(r"^v\d+\.\d+\.\d+$")
# The schemas of the published file: what BI readers may see (contract, "What the published
# file holds"). Everything else of a build stays in the build file.
READER_SCHEMAS = ("marts", "dq", "reference", "ops")


class BadStorageVersion(ValueError):
    pass


def storage_version(given: str | None = None) -> str:
    """The configured storage version (`v1.0.0`, `v1.5.0`, `v2.0.0`, …)."""
    version = (given or os.environ.get(STORAGE_VERSION_ENV) or DEFAULT_STORAGE_VERSION).strip()
    if not _VERSION.match(version):
        raise BadStorageVersion(
            f"{STORAGE_VERSION_ENV}={version!r}: a DuckDB storage version looks like v1.0.0 or v1.5.0"
        )
    return version


def new_file_config(version: str | None = None) -> DuckDBConfig:
    """`duckdb.connect(path, config=...)` for a file created in the configured storage version."""
    return {"storage_compatibility_version": storage_version(version)}


def rewrite_database(source: Path, target: Path, *, version: str | None = None) -> None:
    """Write every schema, table, view and comment of the closed file `source` into the new
    file `target` (which must not exist) in the configured storage version, checkpointed."""
    version = storage_version(version)
    with duckdb.connect(config=duckdb_config()) as con:
        con.execute(f"set temp_directory = {_literal(str(source.parent / 'duckdb-tmp'))}")
        # The source keeps its own name: views name their tables relative to it.
        con.execute(f"attach {_literal(str(source))} as {_identifier(source.stem)} (read_only)")
        try:
            con.execute(f"attach {_literal(str(target))} as published_copy (storage_version '{version}')")
        except duckdb.Error as exc:
            raise BadStorageVersion(
                f"DuckDB {duckdb.__version__} cannot write storage version {version}: {exc}"
            ) from exc
        con.execute(f"copy from database {_identifier(source.stem)} to published_copy")
        con.execute("checkpoint published_copy")
        con.execute("detach published_copy")
    wal = target.with_name(target.name + ".wal")
    if wal.exists():
        raise RuntimeError(f"{wal} exists after writing {target}: not publishing")


def write_reader_copy(source: Path, target: Path, *, version: str | None = None) -> list[str]:
    """Write the reader schemas of the closed file `source` — their tables with their keys and
    rows, their views, and every comment — into the new file `target` (which must not exist),
    in the configured storage version, checkpointed. Returns the relations written, as
    schema.name. A view of a reader schema that reads a relation outside them fails the copy
    (ReaderCopyFailed): it would be published broken, or publish what readers may not see."""
    version = storage_version(version)
    source_db, copy_db = _identifier(SOURCE), _identifier(COPY)
    with duckdb.connect(config=duckdb_config()) as con:
        con.execute(f"set temp_directory = {_literal(str(source.parent / 'duckdb-tmp'))}")
        con.execute(f"attach {_literal(str(source))} as {source_db} (read_only)")
        try:
            con.execute(f"attach {_literal(str(target))} as {copy_db} (storage_version '{version}')")
        except duckdb.Error as exc:
            raise BadStorageVersion(
                f"DuckDB {duckdb.__version__} cannot write storage version {version}: {exc}"
            ) from exc
        _refuse_other_objects(con)
        con.execute(f"use {copy_db}")  # CREATE statements without a catalog land here
        con.execute("begin")  # one commit: not one per table
        for (schema,) in con.execute(f"select schema_name from duckdb_schemas() where {READERS}").fetchall():
            con.execute(f"create schema if not exists {_identifier(schema)}")
        written = _copy_tables(con)
        con.execute("commit")
        written += _copy_views(con)  # one by one: a view whose relation is not there yet is retried
        con.execute("begin")  # one commit: not one per comment
        _copy_comments(con)
        con.execute("commit")
        con.execute("use memory")
        con.execute(f"checkpoint {copy_db}")
        con.execute(f"detach {copy_db}")
    wal = target.with_name(target.name + ".wal")
    if wal.exists():
        raise RuntimeError(f"{wal} exists after writing {target}: not publishing")
    return written


class ReaderCopyFailed(RuntimeError):
    """The reader schemas cannot be copied as they are (a view reads a build-only relation)."""


SOURCE, COPY = "build_source", "published_copy"
# the reader schemas' entries of DuckDB's catalog functions, in the source
READERS = f"database_name = '{SOURCE}' and list_contains({list(READER_SCHEMAS)!r}, schema_name)"


def _refuse_other_objects(con: duckdb.DuckDBPyConnection) -> None:
    """Sequences, macros, types and indexes are not copied: none is in a reader schema today;
    one that appears must be added here knowingly, not dropped without a word."""
    for kind, function, user in (("sequence", "duckdb_sequences", ""), ("index", "duckdb_indexes", ""),
                                 ("type", "duckdb_types", " and not internal"),
                                 ("macro", "duckdb_functions", " and not internal")):
        found = con.execute(f"select schema_name from {function}() where {READERS}{user}").fetchall()
        if found:
            raise ReaderCopyFailed(f"a {kind} in schema {found[0][0]}: the publish step copies no {kind}")


def _copy_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Each table as its own CREATE statement (keys and NOT NULL kept), then its rows."""
    written = []
    for schema, table, create in con.execute(
        f"select schema_name, table_name, sql from duckdb_tables() where {READERS}"
        " and not temporary order by schema_name, table_name"
    ).fetchall():
        relation = f"{_identifier(schema)}.{_identifier(table)}"
        con.execute(create)
        con.execute(f"insert into {_identifier(COPY)}.{relation}"
                    f" select * from {_identifier(SOURCE)}.{relation}")
        written.append(f"{schema}.{table}")
    return written


def _copy_views(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Each view as its own CREATE statement, a view read by another first (in rounds)."""
    pending = con.execute(
        f"select schema_name, view_name, sql from duckdb_views() where {READERS}"
        " and not internal and not temporary order by schema_name, view_name"
    ).fetchall()
    written: list[str] = []
    while pending:
        failed: list[tuple[str, str, str]] = []
        errors: dict[str, str] = {}
        for schema, view, create in pending:
            try:
                con.execute(create)
            except duckdb.CatalogException as exc:
                failed.append((schema, view, create))
                errors[f"{schema}.{view}"] = str(exc).splitlines()[0]
            else:
                written.append(f"{schema}.{view}")
        if len(failed) == len(pending):
            name, error = next(iter(errors.items()))
            raise ReaderCopyFailed(
                f"view {name} reads a relation the published file does not hold ({error}): "
                "make it a table, or read only the schemas " + ", ".join(READER_SCHEMAS)
            )
        pending = failed
    return written


def _copy_comments(con: duckdb.DuckDBPyConnection) -> None:
    for kind, function, name in (("table", "duckdb_tables", "table_name"),
                                 ("view", "duckdb_views", "view_name")):
        for schema, relation, comment in con.execute(
            f"select schema_name, {name}, comment from {function}() where {READERS} and comment is not null"
        ).fetchall():
            con.execute(f"comment on {kind} {_identifier(schema)}.{_identifier(relation)}"
                        f" is {_literal(comment)}")
    for schema, relation, column, comment in con.execute(
        "select schema_name, table_name, column_name, comment from duckdb_columns()"
        f" where {READERS} and comment is not null"
    ).fetchall():
        con.execute(f"comment on column {_identifier(schema)}.{_identifier(relation)}.{_identifier(column)}"
                    f" is {_literal(comment)}")


def file_storage_version(con: duckdb.DuckDBPyConnection, database: str) -> str | None:
    """The oldest DuckDB storage version that reads the attached `database` (e.g. 'v1.0.0+')."""
    found = con.execute(
        "select tags['storage_version'] from duckdb_databases() where database_name = ?", [database]
    ).fetchone()
    return found[0] if found else None


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'
