"""`speccomm export --format parquet --out DIR`: every published mart as a Parquet file.

Writes `DIR/<schema>/<table>.parquet` for every table and view of schemas `marts` and `dq`,
and `DIR/manifest.json` (source file, run, tables and row counts). One read-only connection
reads one published file, so the export is a consistent snapshot even if a nightly publishes
meanwhile. Each file is written under a temporary name and renamed into place.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from speccomm.config import Paths
from speccomm.relations import relation_exists, scalar

EXPORTED_SCHEMAS = ("marts", "dq")


def export_parquet(paths: Paths, out: Path) -> int:
    if not paths.warehouse.exists():
        print(f"speccomm export: no published warehouse at {paths.warehouse}", file=sys.stderr)
        return 1
    from speccomm.state import ProtectedTarget, StateLayout

    try:
        StateLayout.of(paths).refuse_protected(out)
    except ProtectedTarget as exc:
        print(f"speccomm export: {exc}", file=sys.stderr)
        return 1
    manifest = write_parquet_export(paths.warehouse, out)
    for entry in manifest["tables"]:
        print(f"  {entry['table']:<40} {entry['rows']:>10,} rows -> {entry['file']}")
    print(f"speccomm export: {len(manifest['tables'])} tables from {paths.warehouse} to {out}")
    return 0


def write_parquet_export(published: Path, out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    with duckdb.connect(str(published), read_only=True) as con:
        for schema, table in published_tables(con, schemas=EXPORTED_SCHEMAS):
            target = out / schema / f"{table}.parquet"
            target.parent.mkdir(exist_ok=True)
            rows = copy_to_parquet(con, f'"{schema}"."{table}"', target)
            entries.append({"table": f"{schema}.{table}", "rows": rows, "file": str(target.relative_to(out))})
        run_id = _published_run(con)
    manifest = {
        "source": str(published),
        "published_run_id": run_id,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "tables": entries,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def published_tables(
    con: duckdb.DuckDBPyConnection, *, schemas: tuple[str, ...], catalog: str | None = None
) -> list[tuple[str, str]]:
    """(schema, table) of the tables and views in `schemas`, sorted."""
    catalog = catalog or scalar(con, "select current_database()")
    return con.execute(
        "select table_schema, table_name from information_schema.tables"
        " where table_catalog = ? and list_contains(?, table_schema)"
        " order by table_schema, table_name",
        [catalog, list(schemas)],
    ).fetchall()


def copy_to_parquet(con: duckdb.DuckDBPyConnection, relation: str, target: Path) -> int:
    """Write `relation` to `target` atomically; returns the row count."""
    staged = target.with_name(f".{target.name}.tmp")
    options = "(format parquet, compression zstd)"
    con.execute(f"copy (select * from {relation}) to {sql_string(str(staged))} {options}")
    os.replace(staged, target)
    return int(scalar(con, f"select count(*) from {relation}"))


def sql_string(text: str) -> str:
    """A SQL string literal (COPY and ATTACH take no parameters)."""
    return "'" + text.replace("'", "''") + "'"


def _published_run(con: duckdb.DuckDBPyConnection) -> str | None:
    if not relation_exists(con, "ops.run_log"):
        return None
    row = con.execute(
        "select run_id from ops.run_log where status = 'succeeded' and kind = 'nightly'"
        " order by started_at desc limit 1"
    ).fetchone()
    return row[0] if row else None
