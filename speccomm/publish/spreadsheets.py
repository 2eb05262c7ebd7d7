"""`speccomm export --format csv|xlsx`: the published tables for spreadsheet users.

- `csv`: `DIR/<schema>/<table>.csv` per table: **line 1 says what the file is** (`# NOT FOR
  SHARING: …` for the unsuppressed warehouse, `# Suppressed for QKK + QKS …` for a footprint),
  line 2 is the header row (read with `skiprows=1` in pandas, `skip=1` in DuckDB's
  read_csv); UTF-8, money as plain numbers such as `-1234.50`, dates as `YYYY-MM-DD`, empty =
  NULL; and `manifest.json` as for Parquet. Text a spreadsheet would run as a formula (`=`,
  `+`, `-`, `@` …) gets a leading `'`, by the rule of the provider reports' CSVs
  (`speccomm.safe_text.neutralise_cell`, registered as a DuckDB function for the COPY); number
  and money columns are not text and stay numbers.
- `xlsx`: one workbook, `DIR/speccomm.xlsx`, written by speccomm.publish.workbook.

Each file is written under a temporary name and renamed into place. One read-only connection
reads the source file, so every table is from the same night.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from speccomm.publish.export import ExportScope, published_run, sql_string, write_manifest
from speccomm.publish.workbook import Label, read_tables, write_workbook
from speccomm.relations import scalar
from speccomm.safe_text import FORMULA_LEADERS, neutralise_cell

XLSX_NAME = "speccomm.xlsx"
NEUTRALISE = "speccomm_neutralise_cell"  # speccomm.safe_text.neutralise_cell, in DuckDB


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    description: str | None

    @property
    def quoted(self) -> str:
        return '"' + self.name.replace('"', '""') + '"'

    @property
    def csv_select(self) -> str:
        """The column as the CSV export selects it: text through neutralise_cell. Only text
        starting with a formula leader crosses into Python (a national table has 10^8 cells)."""
        if self.data_type != "VARCHAR":
            return self.quoted
        leaders = ", ".join(sql_string(leader) for leader in FORMULA_LEADERS)
        return (f"case when left({self.quoted}, 1) in ({leaders}) then {NEUTRALISE}({self.quoted})"
                f" else {self.quoted} end as {self.quoted}")


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    columns: tuple[Column, ...]
    rows: int

    @property
    def relation(self) -> str:
        return f'"{self.schema}"."{self.name}"'


def write_csv_export(scope: ExportScope, out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    with duckdb.connect(str(scope.source), read_only=True) as con:
        con.create_function(NEUTRALISE, neutralise_cell, ["VARCHAR"], "VARCHAR", side_effects=False)
        for table in _tables(con, scope.chosen(con)):
            target = out / table.schema / f"{table.name}.csv"
            target.parent.mkdir(exist_ok=True)
            staged = target.with_name(f".{target.name}.tmp")
            body = target.with_name(f".{target.name}.body")
            columns = ", ".join(column.csv_select for column in table.columns)
            con.execute(
                f"copy (select {columns} from {table.relation}) to {sql_string(str(body))}"
                " (format csv, header true, dateformat '%Y-%m-%d', timestampformat '%Y-%m-%d %H:%M:%S')"
            )
            with staged.open("wb") as handle, body.open("rb") as rows:
                handle.write(("# " + scope.notice + "\n").encode("utf-8"))
                shutil.copyfileobj(rows, handle)
            body.unlink()
            os.replace(staged, target)
            entries.append({"table": f"{table.schema}.{table.name}", "rows": table.rows,
                            "file": str(target.relative_to(out))})
        run_id = published_run(con)
    return write_manifest(out, scope, run_id, "csv", entries)


def write_xlsx_export(scope: ExportScope, out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    target = out / XLSX_NAME
    staged = out / f".{XLSX_NAME}.tmp"
    label = Label(scope.suppressed, scope.footprint or "the whole warehouse: every ICB", scope.rule)
    with duckdb.connect(str(scope.source), read_only=True) as con:
        run_id = published_run(con)
        tables = read_tables(con, scope.chosen(con))
        entries = write_workbook(con, tables, staged, label=label, source=scope.published, run_id=run_id)
    os.replace(staged, target)
    return write_manifest(out, scope, run_id, "xlsx", entries)


def _tables(con: duckdb.DuckDBPyConnection, names: list[tuple[str, str]]) -> list[Table]:
    tables = []
    for schema, name in names:
        columns = tuple(
            Column(column, data_type, comment) for column, data_type, comment in con.execute(
                "select column_name, data_type, comment from duckdb_columns()"
                " where database_name = current_database() and schema_name = ? and table_name = ?"
                " order by column_index", [schema, name],
            ).fetchall()
        )
        rows = int(scalar(con, f'select count(*) from "{schema}"."{name}"'))
        tables.append(Table(schema, name, columns, rows))
    return tables
