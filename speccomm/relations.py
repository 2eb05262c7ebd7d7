"""Small questions every stage asks DuckDB: does a relation exist, what is one value."""

from __future__ import annotations

from typing import Any

import duckdb


def relation_exists(con: duckdb.DuckDBPyConnection, qualified_name: str) -> bool:
    """Whether `schema.name` is a table or view of the connection's current database."""
    schema, _, name = qualified_name.partition(".")
    found = con.execute(
        "select count(*) from information_schema.tables"
        " where table_catalog = current_database() and table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchone()
    return bool(found and found[0])


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Any:
    """The first column of the first row of `sql` (None when it returns no row)."""
    row = con.execute(sql, params or []).fetchone()
    return row[0] if row else None
