"""`speccomm export --format xlsx`: one workbook people can read (XlsxWriter, decision 0023).

- A **README** sheet first: what the workbook is (suppressed for which ICBs, or NOT FOR
  SHARING), the source file, the night, the footprint, the suppression rule and its legend,
  caveats, every table with its grain and meaning, every column with its description.
- Then one sheet per table, the marts before the data-quality tables (analytic marts and
  facts first, then the dimensions). Row 1 says what the sheet is (suppressed for … with the
  legend, or NOT FOR SHARING); row 2 is the header, frozen, with a filter; the column's
  description is the header cell's note.
- Human headers: the column's description when it is a short plain phrase ("Sum of SLAM
  pounds"), else its name in words ("SLAM price (£)").
- Widths from the longest value shown; money `£#,##0.00`, counts `#,##0`, other decimals with
  their places; dates `dd/mm/yyyy`. Surrogate keys (32-character hashes) are left out.
- Rows sorted by the table's grain (its unique columns; footprint ICBs first).
- In a suppressed workbook every withheld cell says so: `<8` (a count of 1 to 7) or `*`
  (withheld with it, beside it or from that month on, so it cannot be worked out), from the
  extract's `main.extract_withheld_cells`.

Written in XlsxWriter's constant-memory mode (a row at a time): the demo footprint's workbook
in a few seconds, where openpyxl took minutes (bench/export_workbook.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from speccomm.publish.extract_rules import grain_columns, marts_keys
from speccomm.publish.suppression import SMALL, WITHHELD_CELLS, row_key_sql

SHEET_ROWS = 1_048_576 - 2  # Excel's rows per sheet, less the label and the header
SHEET_NAME_LENGTH = 31
BATCH = 10_000
SMALL_MARK = "<8"
OTHER_MARK = "*"
HASH_KEY = re.compile(r"^[0-9a-f]{32}$")
WORDS = {
    "icb": "ICB",
    "icbs": "ICBs",
    "gbp": "(£)",
    "pct": "%",
    "slam": "SLAM",
    "sus": "SUS",
    "ytd": "YTD",
    "dq": "DQ",
    "dqmi": "DQMI",
    "pod": "POD",
    "id": "ID",
    "nhs": "NHS",
    "gp": "GP",
    "hrg": "HRG",
    "npoc": "NPOC",
    "crg": "CRG",
    "ir": "IR",
    "lsoa": "LSOA",
    "erf": "ERF",
    "ods": "ODS",
    "apc": "APC",
    "op": "OP",
    "100k": "100,000",
    "998": "99.8 %",
    "95": "95 %",
    "ok": "OK",
    "uk": "UK",
}
NOT_A_HEADER = re.compile(r"^(it|its|their|the|of|a|an|this|that|see|true|false|null)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    description: str | None
    header: str
    kind: str  # money, count, number, date, datetime, text, other
    places: int = 0


@dataclass(frozen=True)
class SheetTable:
    schema: str
    name: str
    description: str | None
    columns: tuple[Column, ...]
    rows: int
    grain: tuple[str, ...]
    key: tuple[str, ...]

    @property
    def relation(self) -> str:
        return f'"{self.schema}"."{self.name}"'

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class Label:
    """What the workbook is: suppressed for a footprint, or not for sharing."""

    suppressed: bool
    footprint: str  # "QKK + QKS (footprint SOUTH_LONDON)" or "whole warehouse: every ICB"
    rule: str  # the suppression rule in words, or why nothing is suppressed

    @property
    def banner(self) -> str:
        if self.suppressed:
            return (
                f"Suppressed for {self.footprint}. {SMALL_MARK} = a count of 1 to 7, withheld; "
                f"{OTHER_MARK} = withheld with it, beside it or from that month on, so it cannot be "
                "worked out; other counts rounded to 5. See README."
            )
        return (
            "NOT FOR SHARING: unsuppressed, small numbers are shown. For the warehouse's own "
            "users only; to share, export with --icb (suppressed)."
        )


def write_workbook(
    con: duckdb.DuckDBPyConnection,
    tables: Sequence[SheetTable],
    target: Path,
    *,
    label: Label,
    source: Path,
    run_id: str | None,
) -> list[dict[str, Any]]:
    """Write the workbook to `target`; returns the manifest entries."""
    book = xlsxwriter.Workbook(
        str(target),
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    styles = _styles(book, label)
    marked = _has_withheld_cells(con)
    sheets = sheet_names(tables)
    readme = book.add_worksheet("README")
    entries = []
    for table in tables:
        if table.rows > SHEET_ROWS:
            entries.append({"table": table.qualified, "rows": table.rows, "sheet": None})
            continue
        sheet = book.add_worksheet(sheets[table.name])
        _write_sheet(con, sheet, table, styles, label, marked)
        entries.append({"table": table.qualified, "rows": table.rows, "sheet": sheets[table.name]})
    _write_readme(readme, styles, label, source, run_id, tables, sheets)
    book.close()
    return entries


# --- the tables --------------------------------------------------------------------------------


def read_tables(con: duckdb.DuckDBPyConnection, names: Sequence[tuple[str, str]]) -> list[SheetTable]:
    """The tables to write, in sheet order: marts (analytic marts and facts, then dimensions),
    then dq."""
    grains = grain_columns()
    tables = []
    for schema, name in names:
        raw = con.execute(
            "select column_name, data_type, comment from duckdb_columns()"
            " where database_name = current_database() and schema_name = ? and table_name = ?"
            " order by column_index",
            [schema, name],
        ).fetchall()
        hashes = _hash_keys(
            con, schema, name, [c for c, kind, _ in raw if kind == "VARCHAR"]
        )
        columns = _columns(
            con, schema, name, [_described(r) for r in raw if r[0] not in hashes]
        )
        found = con.execute(
            "select comment from duckdb_tables() where database_name = current_database()"
            " and schema_name = ? and table_name = ?"
            " union all select comment from duckdb_views() where database_name = current_database()"
            " and schema_name = ? and view_name = ?",
            [schema, name, schema, name],
        ).fetchone()
        (rows,) = con.execute(f'select count(*) from "{schema}"."{name}"').fetchone() or (0,)
        present = {c for c, _, _ in raw}
        grain = tuple(c for c in grains.get(name, ()) if c in present)
        key = tuple(c for c in _key(name) if c in present)
        tables.append(SheetTable(schema, name, found[0] if found else None, columns, int(rows), grain, key))
    return sorted(tables, key=_sheet_order)


EXTRACT_ICB = (
    "The footprint ICB the row is in the extract for: its population's ICB, else the ICB hosting"
    " its provider."
)


def _described(column: tuple[str, str, str | None]) -> tuple[str, str, str | None]:
    """The extract's own column gets its description (the marts' come from dbt)."""
    name, data_type, comment = column
    return (name, data_type, EXTRACT_ICB) if name == "extract_icb_code" and not comment else column


def _sheet_order(table: SheetTable) -> tuple[int, str]:
    if table.schema != "marts":
        return (2, table.name)
    return (1 if table.name.startswith("dim_") else 0, table.name)


def _key(name: str) -> tuple[str, ...]:
    return marts_keys().get(name, ())


def _hash_keys(con: duckdb.DuckDBPyConnection, schema: str, name: str, candidates: list[str]) -> set[str]:
    """Surrogate keys and fingerprints: text columns whose every value is a 32-character hash
    (or the unknown member's `-1`); a column is scanned only when its first value is one."""
    hashes = set()
    for column in candidates:
        sample = con.execute(
            f'select "{column}" from "{schema}"."{name}"'
            f" where \"{column}\" is not null and \"{column}\" <> '-1' limit 1"
        ).fetchone()
        if not sample or not HASH_KEY.match(str(sample[0])):
            continue
        (bad,) = con.execute(
            f'select count(*) from "{schema}"."{name}"'
            f" where not regexp_full_match(\"{column}\", '[0-9a-f]{{32}}') and \"{column}\" <> '-1'"
        ).fetchone() or (1,)
        if bad == 0:
            hashes.add(column)
    return hashes


def _columns(
    con: duckdb.DuckDBPyConnection, schema: str, name: str, raw: list[tuple[str, str, str | None]]
) -> tuple[Column, ...]:
    headers: set[str] = set()
    columns = []
    for column, data_type, comment in raw:
        kind, places = _kind(con, schema, name, column, data_type)
        header = human_header(column, comment)
        if header.lower() in headers:
            header = words(column)
        headers.add(header.lower())
        columns.append(Column(column, data_type, comment, header, kind, places))
    return tuple(columns)


def _kind(
    con: duckdb.DuckDBPyConnection, schema: str, name: str, column: str, data_type: str
) -> tuple[str, int]:
    kind = data_type.upper()
    ratio = any(w in column for w in ("pct", "ratio", "share", "score", "index", "rate", "per_100k"))
    if kind in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UBIGINT", "UINTEGER"):
        return ("count", 0)
    if kind.startswith("DECIMAL"):
        scale = int(kind.rstrip(")").split(",")[1]) if "," in kind else 0
        if (scale == 2 and not ratio) or "gbp" in column:
            return ("money", 2)
        if scale and not ratio:
            (fractions,) = con.execute(
                f'select count(*) from "{schema}"."{name}" where "{column}" <> round("{column}")'
            ).fetchone() or (0,)
            return ("count", 0) if fractions == 0 else ("number", min(scale, 3))
        return ("number", min(scale, 4))
    if kind in ("DOUBLE", "FLOAT", "REAL"):
        return ("number", 4 if ratio else 2)
    if kind == "DATE":
        return ("date", 0)
    if kind.startswith("TIMESTAMP"):
        return ("datetime", 0)
    if kind == "BOOLEAN":
        return ("boolean", 0)
    if kind == "VARCHAR":
        return ("text", 0)
    return ("other", 0)


def words(column: str) -> str:
    """`slam_price_gbp` -> `SLAM price (£)`."""
    parts = [WORDS.get(part, part) for part in column.split("_") if part]
    text = " ".join(parts)
    return text[:1].upper() + text[1:] if text else column


def human_header(column: str, description: str | None) -> str:
    """The description when it is a short plain phrase, else the name in words."""
    if description:
        phrase = re.split(r"[.;:(,]| = | − | - ", description.strip(), maxsplit=1)[0].strip()
        if (
            3 <= len(phrase) <= 40
            and phrase[:1].isupper()
            and "_" not in phrase
            and "{" not in phrase
            and not NOT_A_HEADER.match(phrase)
        ):
            if "gbp" in column and "£" not in phrase and "pound" not in phrase.lower():
                phrase += " (£)"
            return phrase[:1].upper() + phrase[1:]
    return words(column)


def sheet_names(tables: Sequence[SheetTable]) -> dict[str, str]:
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


# --- writing -----------------------------------------------------------------------------------


def _styles(book: xlsxwriter.Workbook, label: Label) -> dict[str, Format]:
    colour = "#1F4E79" if label.suppressed else "#C00000"
    return {
        "banner": book.add_format({"bold": True, "font_color": colour}),
        "title": book.add_format({"bold": True, "font_size": 14}),
        "header": book.add_format(
            {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#D9E1F2", "bottom": 1}
        ),
        "bold": book.add_format({"bold": True}),
        "money": book.add_format({"num_format": "£#,##0.00"}),
        "count": book.add_format({"num_format": "#,##0"}),
        "number1": book.add_format({"num_format": "#,##0.0"}),
        "number2": book.add_format({"num_format": "#,##0.00"}),
        "number3": book.add_format({"num_format": "#,##0.000"}),
        "number4": book.add_format({"num_format": "#,##0.0000"}),
        "number0": book.add_format({"num_format": "#,##0"}),
        "date": book.add_format({"num_format": "dd/mm/yyyy"}),
        "datetime": book.add_format({"num_format": "dd/mm/yyyy hh:mm"}),
        "boolean": book.add_format({"num_format": '"Yes";"Yes";"No"', "align": "center"}),
        "mark": book.add_format({"italic": True, "align": "right", "font_color": "#595959"}),
    }


def _number_style(column: Column) -> str:
    if column.kind == "number":
        return f"number{column.places}"
    return column.kind


def _widths(con: duckdb.DuckDBPyConnection, table: SheetTable) -> list[int]:
    if not table.columns:
        return []
    lengths = ", ".join(f'max(length(cast("{c.name}" as varchar)))' for c in table.columns)
    found = con.execute(f"select {lengths} from {table.relation}").fetchone() or ()
    widths = []
    for column, longest in zip(table.columns, found, strict=True):
        size = int(longest or 0)
        if column.kind == "money":
            size += size // 3 + 3  # £, thousands separators, a minus
        elif column.kind in ("count", "number"):
            size += size // 3 + 2
        elif column.kind == "date":
            size = 11
        elif column.kind == "datetime":
            size = 17
        header = min(len(column.header), 24)
        widths.append(max(6, min(60, max(size, header) + 2)))
    return widths


def _select(table: SheetTable, marked: bool) -> str:
    columns = ", ".join(_cell_sql(c) for c in table.columns)
    order = [f't."{c}"' for c in table.grain] or [f't."{c.name}"' for c in table.columns if c.kind == "text"][
        :4
    ]
    if any(c.name == "is_in_footprint" for c in table.columns):
        order.insert(0, 't."is_in_footprint" desc')
    order_by = f" order by {', '.join(order)}" if order else ""
    if not (marked and table.key):
        return f"select {columns}, null as marks from {table.relation} as t{order_by}"
    qualified = table.qualified.replace("'", "''")
    return (
        f"select {columns}, w.marks from {table.relation} as t left join ("
        f" select row_key, map_from_entries(list((column_name, reason))) as marks from {WITHHELD_CELLS}"
        f" where table_name = '{qualified}' group by row_key) as w"
        f" on w.row_key = {row_key_sql(table.key, 't')}"
        f"{order_by}"
    )


def _write_sheet(
    con: duckdb.DuckDBPyConnection,
    sheet: Worksheet,
    table: SheetTable,
    styles: dict[str, Format],
    label: Label,
    marked: bool,
) -> None:
    sheet.set_tab_color("#1F4E79" if label.suppressed else "#C00000")
    sheet.set_header(f"&L&B{'SUPPRESSED' if label.suppressed else 'NOT FOR SHARING'}&R{table.qualified}")
    sheet.set_footer(f"&L{label.banner[:200]}")
    widths = _widths(con, table)
    for index, width in enumerate(widths):
        sheet.set_column(index, index, width)
    sheet.freeze_panes(2, 0)
    _print_setup(sheet)
    sheet.repeat_rows(0, 1)
    sheet.write_string(0, 0, label.banner, styles["banner"])
    lines = max(
        (len(c.header) // max(w - 2, 1) + 1 for c, w in zip(table.columns, widths, strict=True)), default=1
    )
    sheet.set_row(1, 15 * min(lines, 4))
    for index, column in enumerate(table.columns):
        sheet.write_string(1, index, column.header, styles["header"])
        if column.description:
            sheet.write_comment(1, index, f"{column.name}: {column.description}"[:2000])
    if table.columns:
        sheet.autofilter(1, 0, max(table.rows, 0) + 1, len(table.columns) - 1)
    writers = [_writer(sheet, column, styles) for column in table.columns]
    names = [column.name for column in table.columns]
    mark_style = styles["mark"]
    result = con.execute(_select(table, marked))
    row_number = 2
    while batch := result.fetchmany(BATCH):
        for row in batch:
            marks = row[-1]
            for index, (write, style) in enumerate(writers):
                value = row[index]
                if marks and (reason := marks.get(names[index])):
                    mark = SMALL_MARK if reason == SMALL else OTHER_MARK
                    sheet.write_string(row_number, index, mark, mark_style)
                elif value is not None:
                    write(row_number, index, value, style)
            row_number += 1


def _print_setup(sheet: Worksheet) -> None:
    """Printed (and so PDF): landscape A4, every column on one page's width."""
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)


def _writer(sheet: Worksheet, column: Column, styles: dict[str, Format]) -> tuple[Any, Format | None]:
    """The sheet's write method for the column's values as _select delivers them: numbers,
    dates and times as doubles (Excel's serial days), text as text (never a formula or link)."""
    if column.kind == "boolean":
        return sheet.write_boolean, styles["boolean"]
    if column.kind in ("money", "count", "number", "date", "datetime"):
        return sheet.write_number, styles.get(_number_style(column))
    return sheet.write_string, None


def _cell_sql(column: Column) -> str:
    """The column as the sheet takes it (DuckDB does the conversions, not a Python loop)."""
    quoted = f't."{column.name}"'
    if column.kind in ("money", "count", "number"):
        return f"cast({quoted} as double)"
    if column.kind == "date":
        return f"cast(date_diff('day', date '1899-12-30', {quoted}) as double)"
    if column.kind == "datetime":
        return f"epoch(cast({quoted} as timestamp)) / 86400.0 + 25569"
    if column.kind in ("text", "boolean"):
        return quoted
    return f"cast(to_json({quoted}) as varchar)"


def _has_withheld_cells(con: duckdb.DuckDBPyConnection) -> bool:
    schema, name = WITHHELD_CELLS.split(".")
    (found,) = con.execute(
        "select count(*) from information_schema.tables where table_catalog = current_database()"
        " and table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchone() or (0,)
    return bool(found)


CAVEATS = (
    ("Money", "Pounds sterling (£), two decimals; negative = a credit or an adjustment."),
    ("Periods", "Financial years as 2025/26; financial month 1 = April … 12 = March."),
    (
        "Estimates",
        "Columns named estimated or forecast are estimates for months not yet submitted, "
        "not submitted figures (docs/marts/).",
    ),
    (
        "Illustrative",
        "Reference rows marked is_illustrative (names, groupings, sharing agreements) are "
        "made up for the demonstration, not NHS England's.",
    ),
    ("Empty cell", "No value: missing, not valid as sent, or not computable (the column's note says which)."),
)


def _write_readme(
    sheet: Worksheet,
    styles: dict[str, Format],
    label: Label,
    source: Path,
    run_id: str | None,
    tables: Sequence[SheetTable],
    sheets: dict[str, str],
) -> None:
    sheet.set_column(0, 0, 30)
    sheet.set_column(1, 1, 42)
    sheet.set_column(2, 2, 12)
    sheet.set_column(3, 3, 44)
    sheet.set_column(4, 4, 100)
    sheet.set_tab_color("#1F4E79" if label.suppressed else "#C00000")
    sheet.set_landscape()
    rows: list[tuple[Any, ...]] = [
        ("speccomm: specialised commissioning, published tables",),
        (label.banner,),
        (),
        ("Source file", str(source)),
        ("Night (ops.run_log.run_id)", run_id or "not recorded"),
        ("Exported at (UTC)", datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")),
        ("Footprint", label.footprint),
        ("Suppression", label.rule),
    ]
    if label.suppressed:
        rows += [
            ("Legend: " + SMALL_MARK, "A count of 1 to 7, withheld (NHS small-number practice)."),
            (
                "Legend: " + OTHER_MARK,
                "Withheld with a small count in the same row (its pounds, variance, "
                "share), beside one so that a total minus its parts cannot give it, "
                "or a year-to-date figure from a withheld month on.",
            ),
        ]
    rows += [(name, text) for name, text in CAVEATS]
    row = 0
    for line in rows:  # one line each, unwrapped: the text runs on over the empty cells
        style = styles["title"] if row == 0 else styles["banner"] if row == 1 else None
        for index, value in enumerate(line):
            sheet.write_string(row, index, str(value), style if index == 0 else None)
        row += 1
    row += 1
    for index, text in enumerate(("Sheet", "Table", "Rows", "Grain (sorted by)", "Meaning")):
        sheet.write_string(row, index, text, styles["header"])
    row += 1
    for table in tables:
        sheet_name = (
            sheets[table.name]
            if table.rows <= SHEET_ROWS
            else (f"not included: more than {SHEET_ROWS:,} rows (use --format csv or parquet)")
        )
        sheet.write_string(row, 0, sheet_name)
        sheet.write_string(row, 1, table.qualified)
        sheet.write_number(row, 2, table.rows, styles["count"])
        sheet.write_string(row, 3, " × ".join(table.grain))
        sheet.write_string(row, 4, table.description or "")
        row += 1
    row += 1
    for index, text in enumerate(("Sheet", "Column", "Type", "Header", "Description")):
        sheet.write_string(row, index, text, styles["header"])
    row += 1
    for table in tables:
        for column in table.columns:
            for index, value in enumerate(
                (sheets[table.name], column.name, column.data_type, column.header, column.description or "")
            ):
                sheet.write_string(row, index, value)
            row += 1
