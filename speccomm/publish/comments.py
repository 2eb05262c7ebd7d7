"""Descriptions of the tables Python writes, as comments BI tools show.

dbt's `persist_docs` (dbt_project.yml) comments every model and seed it builds. The tables
Python writes (`raw.*`, the data-quality runner's `dq.*`, `ops.run_log`) are declared as dbt
sources with their columns described (models/**/_*__sources.yml); this applies those
descriptions with COMMENT ON, read from the manifest of the night's build, just before the
publish. One home for every description: the YAML.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb


def comment_sources(con: duckdb.DuckDBPyConnection, manifest_path: Path) -> int:
    """COMMENT ON each declared source table that exists, and its described columns; returns
    how many comments were set."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    existing = {
        (schema, table): {c for (c,) in con.execute(
            "select column_name from duckdb_columns() where schema_name = ? and table_name = ?"
            " and database_name = current_database()", [schema, table]
        ).fetchall()}
        for schema, table in con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = current_database()"
        ).fetchall()
    }
    done: set[tuple[str, str]] = set()
    count = 0
    for source in manifest.get("sources", {}).values():
        key = (source["schema"], source["identifier"])
        if key not in existing or key in done or not source.get("columns"):
            continue
        relation = f'"{key[0]}"."{key[1]}"'
        con.execute(f"comment on table {relation} is {_literal(source['description'])}")
        count += 1
        for name, column in source["columns"].items():
            if name in existing[key] and column.get("description"):
                con.execute(f'comment on column {relation}."{name}" is {_literal(column["description"])}')
                count += 1
        done.add(key)
    return count


def _literal(text: str) -> str:
    return "'" + " ".join(text.split()).replace("'", "''") + "'"


def copy_comments(con: duckdb.DuckDBPyConnection, source: str, schema: str, table: str) -> None:
    """Give `schema.table` of the current database the table and column comments it has in the
    attached database `source` (CREATE TABLE AS drops them): extracts keep their descriptions."""
    found = con.execute(
        "select comment from duckdb_tables() where database_name = ? and schema_name = ? and table_name = ?",
        [source, schema, table],
    ).fetchone()
    relation = f'"{schema}"."{table}"'
    if found and found[0]:
        con.execute(f"comment on table {relation} is {_literal(found[0])}")
    for column, comment in con.execute(
        "select column_name, comment from duckdb_columns() where database_name = ? and schema_name = ?"
        " and table_name = ? and comment is not null",
        [source, schema, table],
    ).fetchall():
        con.execute(f'comment on column {relation}."{column}" is {_literal(comment)}')
