"""The raw layer Spark reads: the DuckDB raw schema written out as Parquet
(docs/decisions/0013-raw-layer-for-spark.md).

Each loaded landing file's rows become one immutable file, `<feed>_rows/<file_id>-<checksum>.parquet`,
written once (to a temporary name, then renamed, so a reader never sees half a file) and left
alone after; a file the registry no longer holds (replaced by a new version, decision 4) has
its Parquet file removed. The registry and the rejected files are small and change every
night: they are written whole, also through a rename.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

ROW_TABLES = ("slam_rows", "sus_rows", "ledger_rows", "budget_rows")
WHOLE_TABLES = ("file_registry", "rejected_files")


@dataclass(frozen=True)
class ExportSummary:
    written: int  # landing files' Parquet files written tonight
    kept: int  # already there from an earlier night
    removed: int  # of files the registry no longer holds


def export_raw_layer(con: duckdb.DuckDBPyConnection, out: Path) -> ExportSummary:
    """Write what Spark needs of the raw schema of `con` under `out`."""
    written = kept = removed = 0
    for table in WHOLE_TABLES:
        _write_whole(con, table, out / table)
    for table in ROW_TABLES:
        folder = out / table
        folder.mkdir(parents=True, exist_ok=True)
        wanted = _file_names(con, table)
        for name in sorted(set(os.listdir(folder)) - set(wanted.values())):
            if name.endswith(".parquet"):
                (folder / name).unlink()
                removed += 1
        for file_id, name in wanted.items():
            if (folder / name).exists():
                kept += 1
                continue
            _copy(con, f"select * from raw.{table} where file_id = {int(file_id)}", folder / name)
            written += 1
    return ExportSummary(written, kept, removed)


def _file_names(con: duckdb.DuckDBPyConnection, table: str) -> dict[int, str]:
    """file_id → Parquet file name, for the registry's files that have rows in `table`."""
    rows = con.execute(
        f"""
        select registry.file_id, registry.checksum
        from raw.file_registry as registry
        where registry.file_id in (select distinct rows.file_id from raw.{table} as rows)
        """
    ).fetchall()
    return {file_id: f"{file_id:08d}-{checksum}.parquet" for file_id, checksum in rows}


def _write_whole(con: duckdb.DuckDBPyConnection, table: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    _copy(con, f"select * from raw.{table}", folder / "part-0.parquet")


def _copy(con: duckdb.DuckDBPyConnection, query: str, target: Path) -> None:
    partial = target.with_name(f".{target.name}.partial")  # Spark skips names starting with '.'
    con.execute(f"copy ({query}) to '{partial}' (format parquet)")
    partial.replace(target)
