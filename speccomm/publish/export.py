"""`speccomm export --format parquet|csv|xlsx --out DIR`: every published mart as files.

Parquet here; csv and xlsx (for spreadsheet users) in speccomm.publish.spreadsheets.

Writes `DIR/<schema>/<table>.parquet` for every table and view of schemas `marts` and `dq`,
and `DIR/manifest.json` (source file, run, tables and row counts). One read-only connection
reads one published file, so the export is a consistent snapshot even if a nightly publishes
meanwhile. `--out` must be a new or empty folder, or (with `--force`) one whose files of the
same names are replaced (speccomm.publish.output_path); the export is written into a temporary
folder beside it and moved into place when complete, so a failed export writes nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from speccomm.config import Paths
from speccomm.publish.output_path import Kind, OutputRefused, check_output, place_folder, staged_folder_beside
from speccomm.relations import relation_exists, scalar
from speccomm.state import StateLayout

EXPORTED_SCHEMAS = ("marts", "dq")
# An older export's files that a forced export into the same folder removes when it no longer
# writes them (a table dropped since); other files in the folder are left alone.
STALE_FILES = {"parquet": "*/*.parquet", "csv": "*/*.csv"}


def export_parquet(paths: Paths, out: Path, fmt: str = "parquet", *, force: bool = False) -> int:
    """CLI entry (any format): 0 when written, 1 when nothing is published or `out` is refused."""
    from speccomm.publish.spreadsheets import write_csv_export, write_xlsx_export

    if not paths.warehouse.exists():
        print(f"speccomm export: no published warehouse at {paths.warehouse}", file=sys.stderr)
        return 1
    try:
        out = check_output(out, Kind.FOLDER, force=force, layout=StateLayout.of(paths))
    except OutputRefused as exc:
        print(f"speccomm export: {exc}", file=sys.stderr)
        return 1
    writers = {"parquet": write_parquet_export, "csv": write_csv_export, "xlsx": write_xlsx_export}
    staged = staged_folder_beside(out)
    try:
        manifest = writers[fmt](paths.warehouse, staged)
        place_folder(staged, out, stale=STALE_FILES.get(fmt))
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    for entry in manifest["tables"]:
        where = entry.get("file") or (f"sheet {entry['sheet']}" if entry.get("sheet") else
                                      "NOT EXPORTED: too many rows for one sheet (use csv or parquet)")
        print(f"  {entry['table']:<40} {entry['rows']:>10,} rows -> {where}")
    print(f"speccomm export: {len(manifest['tables'])} tables from {paths.warehouse} to {out} ({fmt})")
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
        run_id = published_run(con)
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


def published_run(con: duckdb.DuckDBPyConnection) -> str | None:
    if not relation_exists(con, "ops.run_log"):
        return None
    row = con.execute(
        "select run_id from ops.run_log where status = 'succeeded' and kind = 'nightly'"
        " order by started_at desc limit 1"
    ).fetchone()
    return row[0] if row else None
