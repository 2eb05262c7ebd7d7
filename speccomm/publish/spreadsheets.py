"""`speccomm export --format csv|xlsx`: the published marts for spreadsheet users.

- `csv`: `DIR/<schema>/<table>.csv` for every table of `marts` and `dq` (UTF-8 with a header
  row; money as plain numbers such as `-1234.50`, dates as `YYYY-MM-DD`, empty = NULL), and
  `manifest.json` as for Parquet. Text a spreadsheet would run as a formula (`=`, `+`, `-`,
  `@` …) gets a leading `'`, by the rule of the provider reports' CSVs
  (`speccomm.safe_text.neutralise_cell`, registered as a DuckDB function for the COPY); number
  and money columns are not text and stay numbers.
- `xlsx`: one workbook, `DIR/speccomm.xlsx`: a README sheet first (where the data comes from,
  which night, and every table and column with its description), then one sheet per table.
  Money is a number with two decimals (`#,##0.00`), dates are Excel dates, timestamps Excel
  date-times, so sums, filters and pivots work. A table with more rows than a sheet holds
  (1,048,575 under the header) is not cut short: it is left out and the README says so; use
  csv or Parquet for it. Text that openpyxl would write as a formula is written as a text
  cell (the value unchanged: Excel never evaluates a text cell).

Each file is written under a temporary name and renamed into place. One read-only connection
reads the published file, so every table is from the same night.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from speccomm.publish.export import EXPORTED_SCHEMAS, published_run, published_tables, sql_string
from speccomm.relations import scalar
from speccomm.safe_text import FORMULA_LEADERS, could_be_formula, neutralise_cell

XLSX_NAME = "speccomm.xlsx"
SHEET_ROWS = 1_048_576 - 1  # Excel's rows per sheet, less the header
SHEET_NAME_LENGTH = 31
BATCH = 10_000
BOLD = Font(bold=True)
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

    @property
    def number_format(self) -> str | None:
        kind = self.data_type.upper()
        if kind.startswith("DECIMAL"):
            scale = int(kind.rstrip(")").split(",")[1]) if "," in kind else 0
            return "#,##0" + ("." + "0" * scale if scale else "")
        if kind == "DATE":
            return "yyyy-mm-dd"
        if kind.startswith("TIMESTAMP"):
            return "yyyy-mm-dd hh:mm:ss"
        return None


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    description: str | None
    columns: tuple[Column, ...]
    rows: int

    @property
    def relation(self) -> str:
        return f'"{self.schema}"."{self.name}"'


def write_csv_export(published: Path, out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    with duckdb.connect(str(published), read_only=True) as con:
        con.create_function(NEUTRALISE, neutralise_cell, ["VARCHAR"], "VARCHAR", side_effects=False)
        for table in _tables(con):
            target = out / table.schema / f"{table.name}.csv"
            target.parent.mkdir(exist_ok=True)
            staged = target.with_name(f".{target.name}.tmp")
            columns = ", ".join(column.csv_select for column in table.columns)
            con.execute(
                f"copy (select {columns} from {table.relation}) to {sql_string(str(staged))}"
                " (format csv, header true, dateformat '%Y-%m-%d', timestampformat '%Y-%m-%d %H:%M:%S')"
            )
            os.replace(staged, target)
            entries.append({"table": f"{table.schema}.{table.name}", "rows": table.rows,
                            "file": str(target.relative_to(out))})
        run_id = published_run(con)
    return _write_manifest(out, published, run_id, "csv", entries)


def write_xlsx_export(published: Path, out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    target = out / XLSX_NAME
    staged = out / f".{XLSX_NAME}.tmp"
    workbook = Workbook(write_only=True)
    entries = []
    with duckdb.connect(str(published), read_only=True) as con:
        run_id = published_run(con)
        tables = _tables(con)
        sheets = _sheet_names(tables)
        readme = workbook.create_sheet("README")
        for table in tables:
            if table.rows > SHEET_ROWS:
                entries.append({"table": f"{table.schema}.{table.name}", "rows": table.rows, "sheet": None})
                continue
            _write_sheet(con, workbook.create_sheet(sheets[table.name]), table)
            entries.append({"table": f"{table.schema}.{table.name}", "rows": table.rows,
                            "sheet": sheets[table.name]})
        _write_readme(readme, published, run_id, tables, sheets)
    workbook.save(staged)
    os.replace(staged, target)
    return _write_manifest(out, published, run_id, "xlsx", entries)


def _tables(con: duckdb.DuckDBPyConnection) -> list[Table]:
    tables = []
    for schema, name in published_tables(con, schemas=EXPORTED_SCHEMAS):
        columns = tuple(
            Column(column, data_type, comment) for column, data_type, comment in con.execute(
                "select column_name, data_type, comment from duckdb_columns()"
                " where database_name = current_database() and schema_name = ? and table_name = ?"
                " order by column_index", [schema, name],
            ).fetchall()
        )
        found = con.execute(
            "select comment from duckdb_tables() where database_name = current_database()"
            " and schema_name = ? and table_name = ?"
            " union all select comment from duckdb_views() where database_name = current_database()"
            " and schema_name = ? and view_name = ?", [schema, name, schema, name],
        ).fetchone()
        rows = int(scalar(con, f'select count(*) from "{schema}"."{name}"'))
        tables.append(Table(schema, name, found[0] if found else None, columns, rows))
    return tables


def _sheet_names(tables: list[Table]) -> dict[str, str]:
    """Table name → a unique sheet name of at most 31 characters."""
    names: dict[str, str] = {}
    for table in tables:
        name = table.name[:SHEET_NAME_LENGTH]
        number = 2
        while name in names.values() or name == "README":
            suffix = f"~{number}"
            name = table.name[: SHEET_NAME_LENGTH - len(suffix)] + suffix
            number += 1
        names[table.name] = name
    return names


def _write_sheet(con: duckdb.DuckDBPyConnection, sheet: Worksheet, table: Table) -> None:
    sheet.freeze_panes = "A2"
    sheet.append([_bold(sheet, column.name) for column in table.columns])
    formats = [column.number_format for column in table.columns]
    result = con.execute(f"select * from {table.relation}")
    while batch := result.fetchmany(BATCH):
        for row in batch:
            sheet.append([_cell(sheet, value, fmt) for value, fmt in zip(row, formats, strict=True)])


def _cell(sheet: Worksheet, value: object, number_format: str | None) -> object:
    if isinstance(value, Decimal):
        value = float(value)  # Excel holds numbers as doubles; 18 significant digits fit money
    elif not isinstance(value, str | int | float | bool | date | datetime) and value is not None:
        value = json.dumps(value, default=str)  # lists and structs as text
    if could_be_formula(value):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # openpyxl would write `=…` as a formula
        return cell
    if number_format is None or value is None:
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell


def _bold(sheet: Worksheet, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=text)
    cell.font = BOLD
    return cell


def _write_readme(
    sheet: Worksheet, published: Path, run_id: str | None, tables: list[Table], sheets: dict[str, str]
) -> None:
    sheet.append([_bold(sheet, "speccomm: the published specialised commissioning warehouse")])
    sheet.append(["Source file", str(published)])
    sheet.append(["Night (ops.run_log.run_id)", run_id or "not recorded"])
    sheet.append(["Exported at (UTC)", datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")])
    sheet.append(["Money", "pounds, as numbers with two decimals; negative = credit"])
    sheet.append(["Dates", "Excel dates; financial years are text such as 2025/26, month 1 = April"])
    sheet.append(["Empty cell", "no value (NULL): missing or not valid as sent"])
    sheet.append([])
    sheet.append([_bold(sheet, text) for text in ("Sheet", "Table", "Rows", "Description")])
    for table in tables:
        sheet_name = sheets[table.name] if table.rows <= SHEET_ROWS else (
            f"not included: more than {SHEET_ROWS:,} rows (use --format csv or parquet)"
        )
        sheet.append([sheet_name, f"{table.schema}.{table.name}", table.rows, table.description or ""])
    sheet.append([])
    sheet.append([_bold(sheet, text) for text in ("Sheet", "Column", "Type", "Description")])
    for table in tables:
        for column in table.columns:
            sheet.append([sheets[table.name], column.name, column.data_type, column.description or ""])


def _write_manifest(out: Path, published: Path, run_id: str | None, fmt: str, entries: list[dict]) -> dict:
    manifest = {
        "source": str(published),
        "format": fmt,
        "published_run_id": run_id,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "tables": entries,
    }
    staged = out / ".manifest.json.tmp"
    staged.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    os.replace(staged, out / "manifest.json")
    return manifest
