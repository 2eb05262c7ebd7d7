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
import shutil
from collections.abc import Collection
from dataclasses import dataclass, field
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
        _attach_new(con, target, "published_copy", version)
        con.execute(f"copy from database {_identifier(source.stem)} to published_copy")
        con.execute("checkpoint published_copy")
        con.execute("detach published_copy")
    wal = target.with_name(target.name + ".wal")
    if wal.exists():
        raise RuntimeError(f"{wal} exists after writing {target}: not publishing")


@dataclass(frozen=True)
class ReaderCopy:
    """What `write_reader_copy` wrote: the relations (schema.name); `previous`, the published
    file it started from (None: written whole); and, of the tables it brought up to date rather
    than wrote again, the rows each gained and lost."""

    written: list[str]
    previous: Path | None = None
    added: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    why_whole: str = ""

    def describe(self) -> str:
        if self.previous is None:
            return f"{len(self.written)} relations written whole ({self.why_whole})"
        kept = ", ".join(f"{name} +{self.added[name]:,}/-{self.removed[name]:,} rows" for name in self.added)
        rewritten = len([name for name in self.written if name not in self.added])
        return (f"started from {self.previous.name}: {kept or 'no table kept'}; "
                f"{rewritten} relations written whole")


def _attach_new(con: duckdb.DuckDBPyConnection, target: Path, alias: str, version: str) -> None:
    """Attach the new file `target` as `alias`, created in storage version `version`."""
    try:
        con.execute(f"attach {_literal(str(target))} as {_identifier(alias)} (storage_version '{version}')")
    except duckdb.Error as exc:
        raise BadStorageVersion(
            f"DuckDB {duckdb.__version__} cannot write storage version {version}: {exc}"
        ) from exc


def write_reader_copy(
    source: Path, target: Path, *, version: str | None = None, previous: Path | None = None,
) -> ReaderCopy:
    """Write the reader schemas of the closed file `source` — their tables with their keys and
    rows, their views, and every comment — into the new file `target` (which must not exist),
    in the configured storage version, checkpointed. A view of a reader schema that reads a
    relation outside them fails the copy (ReaderCopyFailed): it would be published broken, or
    publish what readers may not see.

    Given `previous` (the published file of the night this build started from), the copy starts
    as a copy of it when it may (`_why_not_from`) and is brought up to date: a table of rows
    that name the build that wrote them (BUILD_COLUMN) keeps the rows of the builds `source`
    still holds whole, loses those of the builds it no longer holds and gains the new builds'
    rows; every other table and every view is written again; every comment set again. The
    result holds what a copy written whole would hold (docs/decisions/0046)."""
    version = storage_version(version)
    source_db, copy_db = _identifier(SOURCE), _identifier(COPY)
    with duckdb.connect(config=duckdb_config()) as con:
        con.execute(f"set temp_directory = {_literal(str(source.parent / 'duckdb-tmp'))}")
        con.execute(f"attach {_literal(str(source))} as {source_db} (read_only)")
        if previous is None or not previous.is_file():
            why_whole = "no published file before it"
        else:
            why_whole = _why_not_from(con, previous, version)
        if previous is not None and not why_whole:
            shutil.copyfile(previous, target)
            con.execute(f"attach {_literal(str(target))} as {copy_db}")
        else:
            _attach_new(con, target, COPY, version)
        _refuse_other_objects(con)
        con.execute(f"use {copy_db}")  # CREATE statements without a catalog land here
        added: dict[str, int] = {}
        removed: dict[str, int] = {}
        if not why_whole:
            con.execute("begin")
            added, removed = _bring_up_to_date(con)
            con.execute("commit")
            # what was dropped is free space before the tables are written again, which reuse it
            con.execute(f"checkpoint {copy_db}")
        con.execute("begin")  # one commit: not one per table
        for (schema,) in con.execute(f"select schema_name from duckdb_schemas() where {READERS}").fetchall():
            con.execute(f"create schema if not exists {_identifier(schema)}")
        written = _copy_tables(con, kept=added.keys())
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
    if why_whole:
        return ReaderCopy(written, why_whole=why_whole)
    return ReaderCopy(written, previous, added, removed)


class ReaderCopyFailed(RuntimeError):
    """The reader schemas cannot be copied as they are (a view reads a build-only relation)."""


SOURCE, COPY, PREVIOUS = "build_source", "published_copy", "published_before"


def _readers(database: str) -> str:
    """The reader schemas' entries of DuckDB's catalog functions, in the attached `database`."""
    return f"database_name = '{database}' and list_contains({list(READER_SCHEMAS)!r}, schema_name)"


READERS = _readers(SOURCE)
# A table with this column names, on each row, the dbt build that wrote it: such a table is
# incremental, its rows written once by one build and only ever deleted after
# (models/marts/activity/fct_sus_activity.sql), so rows of one build are the same rows
# wherever that build's row count is the same.
BUILD_COLUMN = "build_invocation_id"
# Past this share of free blocks in the previous published file, the copy is written whole.
MOST_FREE = 0.25


def _why_not_from(con: duckdb.DuckDBPyConnection, previous: Path, version: str) -> str:
    """Why the copy cannot start from the published file `previous` ('' when it can): another
    storage version, anything beyond the reader schemas (a file published before decision
    0016 held the whole build), or too much free space left by the nights before."""
    con.execute(f"attach {_literal(str(previous))} as {PREVIOUS} (read_only)")
    try:
        found = file_storage_version(con, PREVIOUS)
        if (found or "").rstrip("+") != version:
            return f"{previous.name} is in storage version {found}, not {version}"
        others = con.execute(
            f"""
            select schema_name from duckdb_tables() where database_name = '{PREVIOUS}'
                and not list_contains({list(READER_SCHEMAS)!r}, schema_name)
            union all
            select schema_name from duckdb_views() where database_name = '{PREVIOUS}' and not internal
                and not list_contains({list(READER_SCHEMAS)!r}, schema_name)
            union all
            select schema_name from duckdb_sequences() where database_name = '{PREVIOUS}'
            union all
            select schema_name from duckdb_indexes() where database_name = '{PREVIOUS}'
            union all
            select schema_name from duckdb_types() where database_name = '{PREVIOUS}' and not internal
            union all
            select schema_name from duckdb_functions() where database_name = '{PREVIOUS}' and not internal
            """
        ).fetchall()
        if others:
            return f"{previous.name} holds more than the reader schemas (schema {others[0][0]})"
        total, free = con.execute(
            f"select total_blocks, free_blocks from pragma_database_size() where database_name = '{PREVIOUS}'"
        ).fetchone() or (0, 0)
        if total and free / total > MOST_FREE:
            return f"{free / total:.0%} of {previous.name} is free space"
        return ""
    finally:
        con.execute(f"detach {PREVIOUS}")


def _bring_up_to_date(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, int], dict[str, int]]:
    """In the copy of the previous published file: drop every view, and every table but those
    whose rows can be kept (the same CREATE statement as in the source, a BUILD_COLUMN, and
    `_keep_rows` agreeing), and the schemas the source has not; clear the kept tables' comments
    (every comment is set again after). Returns the rows each kept table gained and lost."""
    for schema, view in con.execute(
        f"select schema_name, view_name from duckdb_views() where {_readers(COPY)} and not internal"
    ).fetchall():
        con.execute(f"drop view {_identifier(schema)}.{_identifier(view)}")
    sources = {(schema, table): create for schema, table, create in con.execute(
        f"select schema_name, table_name, sql from duckdb_tables() where {READERS}"
    ).fetchall()}
    with_build = {(schema, table) for schema, table in con.execute(
        f"select schema_name, table_name from duckdb_columns() where {_readers(COPY)} and column_name = ?",
        [BUILD_COLUMN],
    ).fetchall()}
    added: dict[str, int] = {}
    removed: dict[str, int] = {}
    for schema, table, create in con.execute(
        f"select schema_name, table_name, sql from duckdb_tables() where {_readers(COPY)}"
    ).fetchall():
        relation = f"{_identifier(schema)}.{_identifier(table)}"
        counts = None
        if sources.get((schema, table)) == create and (schema, table) in with_build:
            counts = _keep_rows(con, relation)
        if counts is None:
            con.execute(f"drop table {relation}")
            continue
        removed[f"{schema}.{table}"], added[f"{schema}.{table}"] = counts
        con.execute(f"comment on table {relation} is null")
        for (column,) in con.execute(
            f"select column_name from duckdb_columns() where {_readers(COPY)}"
            " and schema_name = ? and table_name = ? and comment is not null", [schema, table]
        ).fetchall():
            con.execute(f"comment on column {relation}.{_identifier(column)} is null")
    for (schema,) in con.execute(
        f"select schema_name from duckdb_schemas() where {_readers(COPY)}"
        f" except select schema_name from duckdb_schemas() where {READERS}"
    ).fetchall():
        con.execute(f"drop schema {_identifier(schema)} cascade")
    return added, removed


def _keep_rows(con: duckdb.DuckDBPyConnection, relation: str) -> tuple[int, int] | None:
    """For a table of the copy and of the source with a BUILD_COLUMN: delete the rows of builds
    the source no longer holds and insert the rows of builds the copy does not hold; returns
    (rows deleted, rows inserted). None, touching nothing, when a build they share has not the
    same row count in both (some of its rows deleted since: the table is written whole) or the
    rows they share are less than half the source's (writing it whole is then the cheaper)."""
    def builds(database: str) -> dict[str, int]:
        return dict(con.execute(
            f"select {BUILD_COLUMN}, count(*) from {_identifier(database)}.{relation} group by all"
        ).fetchall())

    before, now = builds(COPY), builds(SOURCE)
    shared = before.keys() & now.keys()
    if any(before[build] != now[build] for build in shared):
        return None
    if 2 * sum(now[build] for build in shared) < sum(now.values()):
        return None
    gone = sorted(before.keys() - shared)
    new = sorted(now.keys() - shared)
    copied, source = f"{_identifier(COPY)}.{relation}", f"{_identifier(SOURCE)}.{relation}"
    if gone:
        con.execute(f"delete from {copied} where list_contains(?, {BUILD_COLUMN})", [gone])
    if new:
        con.execute(f"insert into {copied} select * from {source}"
                    f" where list_contains(?, {BUILD_COLUMN})", [new])
    return sum(before[build] for build in gone), sum(now[build] for build in new)


def _refuse_other_objects(con: duckdb.DuckDBPyConnection) -> None:
    """Sequences, macros, types and indexes are not copied: none is in a reader schema today;
    one that appears must be added here knowingly, not dropped without a word."""
    for kind, function, user in (("sequence", "duckdb_sequences", ""), ("index", "duckdb_indexes", ""),
                                 ("type", "duckdb_types", " and not internal"),
                                 ("macro", "duckdb_functions", " and not internal")):
        found = con.execute(f"select schema_name from {function}() where {READERS}{user}").fetchall()
        if found:
            raise ReaderCopyFailed(f"a {kind} in schema {found[0][0]}: the publish step copies no {kind}")


def _copy_tables(con: duckdb.DuckDBPyConnection, kept: Collection[str] = ()) -> list[str]:
    """Each table as its own CREATE statement (keys and NOT NULL kept), then its rows; a table
    named in `kept` (schema.name) is already in the copy, up to date."""
    written = []
    for schema, table, create in con.execute(
        f"select schema_name, table_name, sql from duckdb_tables() where {READERS}"
        " and not temporary order by schema_name, table_name"
    ).fetchall():
        if f"{schema}.{table}" in kept:
            written.append(f"{schema}.{table}")
            continue
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
