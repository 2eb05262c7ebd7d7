"""The `speccomm export` command: checks the target, chooses the writer for the format
(Parquet in speccomm.publish.export, CSV and the workbook in speccomm.publish.spreadsheets)
and, with `--icb`/`--footprint`, exports the footprint's extract (speccomm.publish.extract)
instead of the published file. Its own module so that the writers, which share export.py's
plumbing, and the command, which needs every writer, import in one direction.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from speccomm.config import Paths
from speccomm.publish.export import (
    NOTICE_FILE,
    STALE_FILES,
    ExportScope,
    UnknownTable,
    write_parquet_export,
)
from speccomm.publish.extract import UnknownIcb, write_footprint_extract
from speccomm.publish.output_path import Kind, OutputRefused, check_output, place_folder, staged_folder_beside
from speccomm.publish.spreadsheets import write_csv_export, write_xlsx_export
from speccomm.publish.suppression import Suppression
from speccomm.state import StateLayout

Writer = Callable[[ExportScope, Path], dict]


def export_parquet(
    paths: Paths,
    out: Path,
    fmt: str = "parquet",
    *,
    tables: Sequence[str] = (),
    icbs: Sequence[str] = (),
    footprint: str | None = None,
    force: bool = False,
) -> int:
    """CLI entry (any format): 0 when written; 1 when nothing is published, a name is unknown or
    `out` is refused."""
    if not paths.warehouse.exists():
        print(f"speccomm export: no published warehouse at {paths.warehouse}", file=sys.stderr)
        return 1
    writers: dict[str, Writer] = {
        "parquet": write_parquet_export, "csv": write_csv_export, "xlsx": write_xlsx_export,
    }
    try:
        out = check_output(out, Kind.FOLDER, force=force, layout=StateLayout.of(paths))
        staged = staged_folder_beside(out)
        try:
            with tempfile.TemporaryDirectory(prefix=".speccomm-export-") as work:
                scope = ExportScope(paths.warehouse, paths.warehouse, tuple(tables))
                if icbs or footprint:
                    rule = Suppression.configured()
                    extract = Path(work) / "extract.duckdb"
                    result = write_footprint_extract(
                        paths.warehouse, list(icbs), extract, footprint=footprint, suppression=rule,
                        parquet=False,
                    )
                    named = " + ".join(result.footprint.icbs)
                    if result.footprint.name:
                        named += f" (footprint {result.footprint.name})"
                    scope = ExportScope(extract, paths.warehouse, tuple(tables), named, rule.describe())
                manifest = writers[fmt](scope, staged)
            if scope.suppressed:
                (out / NOTICE_FILE).unlink(missing_ok=True)  # an older unsuppressed export's (--force)
            place_folder(staged, out, stale=STALE_FILES.get(fmt))
        finally:
            shutil.rmtree(staged, ignore_errors=True)
    except (OutputRefused, UnknownIcb, UnknownTable) as exc:
        print(f"speccomm export: {exc}", file=sys.stderr)
        return 1
    for entry in manifest["tables"]:
        where = entry.get("file") or (f"sheet {entry['sheet']}" if entry.get("sheet") else
                                      "NOT EXPORTED: too many rows for one sheet (use csv or parquet)")
        print(f"  {entry['table']:<40} {entry['rows']:>10,} rows -> {where}")
    print(f"speccomm export: {len(manifest['tables'])} tables from {paths.warehouse} to {out} ({fmt})")
    print(f"  {scope.notice}")
    return 0
