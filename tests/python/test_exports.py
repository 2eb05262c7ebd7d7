"""`speccomm export --format csv|xlsx|parquet`, read back the way a spreadsheet user's tools
read it (openpyxl for the workbook, the csv module for CSV): money as numbers, dates as dates,
one sheet per table plus a README sheet describing them; text a spreadsheet would run as a
formula neutralised by the provider CSVs' rule; a workbook people can read (human headers,
formats, widths, a frozen header with a filter, no hash keys, rows by grain, marts first);
every suppressed cell of a footprint's export marked; an unsuppressed export saying on every
sheet and file that it is not for sharing."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from openpyxl import load_workbook
from pyarrow import parquet
from test_nightly import NightEnv, first_night

from speccomm.safe_text import neutralise_cell

pytestmark = pytest.mark.slow

HEADER_ROW = 2  # row 1 says what the sheet is (NOT FOR SHARING, or suppressed for …)


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> NightEnv:
    return first_night(tmp_path_factory.getbasetemp())


def _tables(env: NightEnv) -> list[tuple[str, str]]:
    return env.query(
        "select table_schema, table_name from information_schema.tables"
        " where table_schema in ('marts', 'dq') order by 1, 2"
    )


def _readme(book: Any) -> list[list[Any]]:
    return [[cell.value for cell in row] for row in book["README"].iter_rows()]


def _by_name(book: Any, sheet_name: str) -> dict[str, int]:
    """Column name -> 1-based column of the sheet, from the README's column list (the header
    row shows human headers)."""
    readme = _readme(book)
    header = [cell.value for cell in book[sheet_name][HEADER_ROW]]
    names = {row[3]: row[1] for row in readme if len(row) > 4 and row[0] == sheet_name and row[3]}
    return {names[h]: i + 1 for i, h in enumerate(header) if h in names}


def _csv_rows(path: Path) -> tuple[str, list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        notice = handle.readline()
        return notice, list(csv.DictReader(handle))


def test_xlsx_has_a_readme_and_one_sheet_per_table_with_numbers_and_dates(
    first: NightEnv, tmp_path: Path
) -> None:
    out = tmp_path / "xlsx"
    result = first.run("export", "--format", "xlsx", "--out", str(out))
    assert result.returncode == 0, result.stderr
    book = load_workbook(out / "speccomm.xlsx", read_only=False)
    tables = _tables(first)
    assert book.sheetnames[0] == "README"
    assert sorted(book.sheetnames[1:]) == sorted(name[:31] for _, name in tables)

    sheet = book["fct_contract_activity"]
    columns = _by_name(book, "fct_contract_activity")
    rows = first.query(
        "select price, period_start_date from marts.fct_contract_activity order by contract_activity_key"
    )
    assert sheet.max_row - HEADER_ROW == len(rows) > 0
    price_col, date_col = columns["price"], columns["period_start_date"]
    cells = sorted(
        (sheet.cell(row=r, column=columns["contract_activity_key"]).value,
         sheet.cell(row=r, column=price_col), sheet.cell(row=r, column=date_col))
        for r in range(HEADER_ROW + 1, sheet.max_row + 1)
    )
    for (_, price, day), (expected_price, expected_day) in zip(cells, rows, strict=True):
        if expected_price is None:
            assert price.value is None
        else:
            assert isinstance(price.value, int | float) and price.number_format == "£#,##0.00"
            assert Decimal(str(price.value)) == expected_price
        assert isinstance(day.value, datetime) and day.is_date
        assert day.value.date() == expected_day
    assert sum(c[1].value or 0 for c in cells) == pytest.approx(float(sum(p or 0 for p, _ in rows)))

    readme = _readme(book)
    listed = {row[1] for row in readme if len(row) > 1 and str(row[1]).startswith(("marts.", "dq."))}
    assert listed == {f"{s}.{t}" for s, t in tables}
    run_id = first.runs()[0]["run_id"]
    assert ["Night (ops.run_log.run_id)", run_id] in [row[:2] for row in readme]
    described = [row for row in readme if row[:2] == ["fct_contract_activity", "price"]]
    assert described and described[0][4], "the README describes each column"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format"] == "xlsx" and len(manifest["tables"]) == len(tables)


def test_csv_has_a_file_per_table_with_plain_numbers_and_iso_dates(first: NightEnv, tmp_path: Path) -> None:
    out = tmp_path / "csv"
    result = first.run("export", "--format", "csv", "--out", str(out))
    assert result.returncode == 0, result.stderr
    tables = _tables(first)
    assert sorted((p.parent.name, p.stem) for p in out.rglob("*.csv")) == sorted(tables)
    notice, rows = _csv_rows(out / "marts" / "fct_contract_activity.csv")
    assert notice.startswith("# NOT FOR SHARING")
    expected = first.query("select sum(price), min(period_start_date) from marts.fct_contract_activity")[0]
    assert sum(Decimal(r["price"]) for r in rows if r["price"]) == expected[0]
    assert min(date.fromisoformat(r["period_start_date"]) for r in rows) == expected[1]


PLANTED = {
    "hrg_code": '=HYPERLINK("http://evil.example","click")',
    "treatment_function_code": "+cmd|' /C calc'!A0",
    "gp_practice_code": "-2+3",
    "price_raw": "@SUM(1+1)*cmd",
    "activity_raw": "-12.50",  # a plain number: not a formula, left as it is
}


@pytest.fixture(scope="module")
def planted(first: NightEnv, tmp_path_factory: pytest.TempPathFactory) -> NightEnv:
    """The first night's published file with formula-like text planted in one row's text
    columns (and a negative price), as a provider could send them."""
    env = NightEnv(tmp_path_factory.mktemp("planted"))
    env.warehouse.parent.mkdir(parents=True)
    shutil.copyfile(first.warehouse, env.warehouse)
    assignments = ", ".join(f"{column} = ?" for column in PLANTED)
    with duckdb.connect(str(env.warehouse)) as con:
        con.execute(
            f"update marts.fct_contract_activity set {assignments}, price = -1234.50 where"
            " contract_activity_key = (select min(contract_activity_key) from marts.fct_contract_activity)",
            list(PLANTED.values()),
        )
    return env


def test_csv_neutralises_formula_text_and_keeps_numbers(planted: NightEnv, tmp_path: Path) -> None:
    out = tmp_path / "csv"
    result = planted.run("export", "--format", "csv", "--out", str(out))
    assert result.returncode == 0, result.stderr
    _, rows = _csv_rows(out / "marts" / "fct_contract_activity.csv")
    [row] = [r for r in rows if r["hrg_code"] == "'" + PLANTED["hrg_code"]]
    for column, value in PLANTED.items():
        assert row[column] == neutralise_cell(value), column  # the provider CSVs' rule
        assert row[column] == (value if column == "activity_raw" else "'" + value), column
    assert row["price"] == "-1234.50", "money is a number, not neutralised"
    text_columns = planted.query(
        "select schema_name, table_name, list(column_name) from duckdb_columns()"
        " where schema_name in ('marts', 'dq') and data_type = 'VARCHAR' group by all"
    )
    for schema, table, columns in text_columns:  # no text cell of any table can run as a formula
        for record in _csv_rows(out / schema / f"{table}.csv")[1]:
            assert all(neutralise_cell(record[c]) == record[c] for c in columns), (table, record)


def test_xlsx_writes_formula_text_as_text(planted: NightEnv, tmp_path: Path) -> None:
    out = tmp_path / "xlsx"
    result = planted.run("export", "--format", "xlsx", "--out", str(out))
    assert result.returncode == 0, result.stderr
    book = load_workbook(out / "speccomm.xlsx")
    sheet = book["fct_contract_activity"]
    cells = {
        name: [row[i - 1] for row in sheet.iter_rows(min_row=HEADER_ROW + 1)]
        for name, i in _by_name(book, "fct_contract_activity").items()
    }
    [index] = [i for i, cell in enumerate(cells["hrg_code"]) if cell.value == PLANTED["hrg_code"]]
    for column, value in PLANTED.items():
        cell = cells[column][index]
        assert (cell.value, cell.data_type) == (value, "s"), column  # text, never a formula
    assert cells["price"][index].value == -1234.5
    assert not [c for column in cells.values() for c in column if c.data_type == "f"]


def test_the_workbook_reads_as_a_person_expects(first: NightEnv, tmp_path: Path) -> None:
    out = tmp_path / "xlsx"
    result = first.run("export", "--format", "xlsx", "--out", str(out))
    assert result.returncode == 0, result.stderr
    book = load_workbook(out / "speccomm.xlsx")
    names = book.sheetnames
    assert names[0] == "README"
    listed = [str(r[1]) for r in _readme(book) if len(r) > 1 and str(r[1]).startswith(("marts.", "dq."))]
    schemas = [name.split(".")[0] for name in listed]
    assert schemas == sorted(schemas, key=["marts", "dq"].index), "marts before dq"
    assert names.index("fct_icb_spend_monthly") < names.index("dim_date") < names.index("dq_check_results")
    for sheet in book.worksheets[1:]:
        header = [cell.value for cell in sheet[HEADER_ROW]]
        assert sheet.freeze_panes == "A3" and sheet.auto_filter.ref, sheet.title
        assert all(h and "_" not in h for h in header), (sheet.title, header)  # human headers
        assert all(sheet.column_dimensions[c.column_letter].width for c in sheet[HEADER_ROW]), sheet.title
        first_row = [cell.value for cell in sheet[HEADER_ROW + 1]]
        assert not any(isinstance(v, str) and len(v) == 32 and v.isalnum() for v in first_row), sheet.title
    spend = book["fct_icb_spend_monthly"]
    columns = _by_name(book, "fct_icb_spend_monthly")
    assert "icb_spend_monthly_key" not in columns  # a 32-character hash: dropped
    formats = {
        name: {c.number_format for row in spend.iter_rows(min_row=HEADER_ROW + 1)
               if (c := row[columns[name] - 1]).value is not None}
        for name in ("slam_actual_gbp", "providers_expected")
    }
    assert formats == {"slam_actual_gbp": {"£#,##0.00"}, "providers_expected": {"#,##0"}}
    grain = ["icb_code", "financial_year", "financial_month", "funding_stream"]  # footprint ICBs first
    keys = [(not r[columns["is_in_footprint"] - 1].value, *(r[columns[c] - 1].value for c in grain))
            for r in spend.iter_rows(min_row=HEADER_ROW + 1)]
    assert keys == sorted(keys), "rows in the order of the table's grain"
    activity = book["rpt_cross_boundary_flows"]
    flows = _by_name(book, "rpt_cross_boundary_flows")
    shown = {c.number_format for row in activity.iter_rows(min_row=HEADER_ROW + 1)
             if (c := row[flows["activity"] - 1]).value is not None}
    assert shown == {"#,##0"}, "activity in whole units is a count, not 338.000"


def test_an_unsuppressed_export_says_on_every_sheet_and_file_it_is_not_for_sharing(
    first: NightEnv, tmp_path: Path
) -> None:
    for fmt in ("xlsx", "csv", "parquet"):
        out = tmp_path / fmt
        result = first.run("export", "--format", fmt, "--out", str(out))
        assert result.returncode == 0, result.stderr
        assert (out / "NOT_FOR_SHARING.txt").exists()
        assert json.loads((out / "manifest.json").read_text())["notice"].startswith("NOT FOR SHARING")
    book = load_workbook(tmp_path / "xlsx" / "speccomm.xlsx")
    for sheet in book.worksheets:
        assert "NOT FOR SHARING" in str(sheet["A2"].value if sheet.title == "README" else sheet["A1"].value)
    for path in (tmp_path / "csv").rglob("*.csv"):
        assert path.read_text(encoding="utf-8").startswith("# NOT FOR SHARING"), path
    for path in (tmp_path / "parquet").rglob("*.parquet"):
        notice = parquet.read_metadata(path).metadata[b"speccomm_notice"].decode()
        assert notice.startswith("NOT FOR SHARING"), path


def test_a_footprint_export_marks_every_suppressed_cell(first: NightEnv, tmp_path: Path) -> None:
    out = tmp_path / "qkk"
    result = first.run("export", "--format", "xlsx", "--icb", "QKK", "--out", str(out))
    assert result.returncode == 0, result.stderr
    extract = tmp_path / "qkk.duckdb"
    assert first.run("extract", "--icb", "QKK", "--out", str(extract)).returncode == 0
    with duckdb.connect(str(extract), read_only=True) as con:
        withheld = dict(con.execute(
            "select replace(table_name, 'marts.', ''), count(*) from main.extract_withheld_cells group by 1"
        ).fetchall())
    assert withheld, "the core night has small numbers to suppress"
    book = load_workbook(out / "speccomm.xlsx")
    readme = _readme(book)
    legend = ["Legend: <8", "A count of 1 to 7, withheld (NHS small-number practice)."]
    assert legend in [r[:2] for r in readme]
    for sheet in book.worksheets:
        assert "NOT FOR SHARING" not in f"{sheet['A1'].value} {sheet['A2'].value}"
    for table, cells in withheld.items():
        marks = [c.value for row in book[table].iter_rows(min_row=HEADER_ROW + 1) for c in row]
        assert sum(v in ("<8", "*") for v in marks) == cells, table
        assert book[table]["A1"].value.startswith("Suppressed for QKK")


def test_export_takes_chosen_tables_and_refuses_an_unknown_one(first: NightEnv, tmp_path: Path) -> None:
    out = tmp_path / "two"
    result = first.run("export", "--format", "csv", "--table", "fct_icb_spend_monthly",
                       "--table", "dq.rejected_files", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*.csv")) == [
        "dq/rejected_files.csv", "marts/fct_icb_spend_monthly.csv"]
    result = first.run("export", "--format", "csv", "--table", "no_such_table", "--out", str(tmp_path / "x"))
    assert result.returncode == 1 and "no_such_table" in result.stderr
