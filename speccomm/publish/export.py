"""`speccomm export --format parquet|csv|xlsx --out DIR [--table NAME …] [--icb CODE …]
[--footprint NAME]`: published tables as files.

Parquet here, with the plumbing every writer shares (the scope, the manifest, the notice);
csv and xlsx (for spreadsheet users) in speccomm.publish.spreadsheets and
speccomm.publish.workbook; the command that picks a writer in speccomm.publish.export_command.

Without `--icb`/`--footprint` the export is the warehouse's tables of schemas `marts` and
`dq` **unsuppressed**, and says so on every file: the workbook on every sheet, each CSV file
in its first line, each Parquet file in its key-value metadata (`speccomm_notice`), and a
`NOT_FOR_SHARING.txt` beside them. With `--icb`/`--footprint` the tables are those of the
footprint's extract (speccomm.publish.extract: the footprint's rows, small numbers
suppressed), and the notice says so. `--table` (repeatable, `name` or `schema.name`) keeps
only those tables.

Writes `DIR/<schema>/<table>.parquet` per table and `DIR/manifest.json` (source file, run,
notice, tables and row counts). One read-only connection reads one file, so the export is a
consistent snapshot even if a nightly publishes meanwhile. Each file is written under a
temporary name and renamed into place.

`--out` must be a new or empty folder, or (with `--force`) one whose files of the same names
are replaced (speccomm.publish.output_path); the export is written into a temporary folder
beside it and moved into place when complete, so a failed export writes nothing.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from speccomm.relations import relation_exists, scalar

EXPORTED_SCHEMAS = ("marts", "dq")
# An older export's files that a forced export into the same folder removes when it no longer
# writes them (a table dropped since); other files in the folder are left alone.
STALE_FILES = {"parquet": "*/*.parquet", "csv": "*/*.csv"}
NOTICE_FILE = "NOT_FOR_SHARING.txt"


class UnknownTable(ValueError):
    pass


@dataclass(frozen=True)
class ExportScope:
    """What an export reads and what it says about itself."""

    source: Path  # the DuckDB file read: the published warehouse, or a suppressed extract of it
    published: Path  # the published warehouse (for the manifest)
    tables: tuple[str, ...] = ()  # empty: every table of marts and dq
    footprint: str | None = None  # "QKK + QKS": suppressed for those ICBs; None: unsuppressed
    rule: str = "nothing suppressed: every small number is shown"

    @property
    def suppressed(self) -> bool:
        return self.footprint is not None

    @property
    def notice(self) -> str:
        if self.suppressed:
            return (
                f"Suppressed for {self.footprint} ({self.rule}); a withheld cell is empty in CSV and"
                " Parquet, marked <8 or * in the workbook."
            )
        return (
            "NOT FOR SHARING: unsuppressed, small numbers are shown. For the warehouse's own users "
            "only; to share, export with --icb (suppressed)."
        )

    def chosen(self, con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
        """(schema, table) to export; an unknown --table name fails, naming it."""
        found = published_tables(con, schemas=EXPORTED_SCHEMAS)
        if not self.tables:
            return found
        picked = [(s, t) for s, t in found if t in self.tables or f"{s}.{t}" in self.tables]
        known = {t for _, t in picked} | {f"{s}.{t}" for s, t in picked}
        unknown = [name for name in self.tables if name not in known]
        if unknown:
            raise UnknownTable(
                f"no table {', '.join(unknown)} in schemas {' and '.join(EXPORTED_SCHEMAS)}"
                + (" of the extract (withheld from it, or not the footprint's)" if self.suppressed else "")
            )
        return picked


def write_parquet_export(scope: ExportScope, out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    with duckdb.connect(str(scope.source), read_only=True) as con:
        for schema, table in scope.chosen(con):
            target = out / schema / f"{table}.parquet"
            target.parent.mkdir(exist_ok=True)
            rows = copy_to_parquet(con, f'"{schema}"."{table}"', target, notice=scope.notice)
            entries.append({"table": f"{schema}.{table}", "rows": rows, "file": str(target.relative_to(out))})
        run_id = published_run(con)
    return write_manifest(out, scope, run_id, "parquet", entries)


def write_manifest(out: Path, scope: ExportScope, run_id: str | None, fmt: str, entries: list[dict]) -> dict:
    """manifest.json, and NOT_FOR_SHARING.txt beside an unsuppressed export's files."""
    manifest = {
        "source": str(scope.published),
        "format": fmt,
        "published_run_id": run_id,
        "suppressed_for": scope.footprint,
        "notice": scope.notice,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "tables": entries,
    }
    staged = out / ".manifest.json.tmp"
    staged.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    os.replace(staged, out / "manifest.json")
    notice = out / NOTICE_FILE
    if scope.suppressed:
        notice.unlink(missing_ok=True)
    else:
        notice.write_text(scope.notice + "\n", encoding="utf-8")
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


def copy_to_parquet(
    con: duckdb.DuckDBPyConnection, relation: str, target: Path, notice: str | None = None
) -> int:
    """Write `relation` to `target` atomically (with `notice` in the file's key-value metadata
    as `speccomm_notice`); returns the row count."""
    staged = target.with_name(f".{target.name}.tmp")
    metadata = f", kv_metadata {{speccomm_notice: {sql_string(notice)}}}" if notice else ""
    options = f"(format parquet, compression zstd{metadata})"
    con.execute(f"copy (select * from {relation}) to {sql_string(str(staged))} {options}")
    os.replace(staged, target)
    return int(scalar(con, f"select count(*) from {relation}"))


def sql_string(text: str) -> str:
    """A SQL string literal (COPY and ATTACH take no parameters)."""
    return "'" + text.replace("'", "''") + "'"


def published_run(con: duckdb.DuckDBPyConnection) -> str | None:
    if relation_exists(con, "ops.run_log"):
        row = con.execute(
            "select run_id from ops.run_log where status = 'succeeded' and kind = 'nightly'"
            " order by started_at desc limit 1"
        ).fetchone()
        return row[0] if row else None
    if relation_exists(con, "main.extract_info"):  # an extract: the night it was taken from
        row = con.execute("select run_id from main.extract_info").fetchone()
        return row[0] if row else None
    return None
