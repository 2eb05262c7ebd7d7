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
from typing import Any

import duckdb


def comment_sources(con: duckdb.DuckDBPyConnection, manifest_path: Path) -> int:
    """COMMENT ON each declared source table that exists, and its described columns; returns
    how many comments were set."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    described = [
        ((source["schema"], source["identifier"]), source)
        for source in manifest.get("sources", {}).values()
        if source.get("columns")
    ]
    return _comment(con, described)


def comment_models(
    con: duckdb.DuckDBPyConnection, manifest_path: Path, relations: set[tuple[str, str]]
) -> int:
    """COMMENT ON the models and seeds of `relations` (schema, name) as the manifest describes
    them: what dbt's persist_docs does on the engine that built them, for tables another engine
    built and DuckDB copied (speccomm.spark.night). Returns how many comments were set."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    described = [
        (key, node)
        for node in manifest["nodes"].values()
        if node["resource_type"] in ("model", "seed")
        and (key := (node["schema"], node["alias"] or node["name"])) in relations
    ]
    return _comment(con, described)


def _comment(con: duckdb.DuckDBPyConnection, described: list[tuple[tuple[str, str], dict[str, Any]]]) -> int:
    """COMMENT ON each (schema, table) that exists, with the entry's description and those of
    its described columns that exist; the first entry of a table wins."""
    existing: dict[tuple[str, str], set[str]] = {
        (schema, table): set() for schema, table in con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = current_database()"
        ).fetchall()
    }
    # one catalog query: one per table took 6 s of the demo's publish step
    for schema, table, column in con.execute(
        "select schema_name, table_name, column_name from duckdb_columns()"
        " where database_name = current_database()"
    ).fetchall():
        if (schema, table) in existing:
            existing[(schema, table)].add(column)
    done: set[tuple[str, str]] = set()
    count = 0
    con.execute("begin")  # one commit, not one per comment
    for key, entry in described:
        if key not in existing or key in done:
            continue
        relation = f'"{key[0]}"."{key[1]}"'
        if entry.get("description"):
            con.execute(f"comment on table {relation} is {_literal(entry['description'])}")
            count += 1
        for name, column in entry.get("columns", {}).items():
            if name in existing[key] and column.get("description"):
                con.execute(f'comment on column {relation}."{name}" is {_literal(column["description"])}')
                count += 1
        done.add(key)
    con.execute("commit")
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
