"""`speccomm export --format csv|xlsx`, read back the way a spreadsheet user's tools read it
(openpyxl for the workbook, the csv module for CSV): money as numbers, dates as dates, one
sheet per table plus a README sheet describing them; text a spreadsheet would run as a
formula neutralised by the provider CSVs' rule."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook
from test_nightly import NightEnv, first_night

from speccomm.safe_text import neutralise_cell

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> NightEnv:
    return first_night(tmp_path_factory.getbasetemp())


def _tables(env: NightEnv) -> list[tuple[str, str]]:
    return env.query(
        "select table_schema, table_name from information_schema.tables"
        " where table_schema in ('marts', 'dq') order by 1, 2"
    )


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
    header = [cell.value for cell in sheet[1]]
    rows = first.query(
        "select price, period_start_date from marts.fct_contract_activity order by contract_activity_key"
    )
    assert sheet.max_row - 1 == len(rows) > 0
    price_col, date_col = header.index("price") + 1, header.index("period_start_date") + 1
    cells = sorted(
        (sheet.cell(row=r, column=header.index("contract_activity_key") + 1).value,
         sheet.cell(row=r, column=price_col), sheet.cell(row=r, column=date_col))
        for r in range(2, sheet.max_row + 1)
    )
    for (_, price, day), (expected_price, expected_day) in zip(cells, rows, strict=True):
        if expected_price is None:
            assert price.value is None
        else:
            assert isinstance(price.value, int | float) and price.number_format == "#,##0.00"
            assert Decimal(str(price.value)) == expected_price
        assert isinstance(day.value, datetime) and day.is_date
        assert day.value.date() == expected_day
    assert sum(c[1].value or 0 for c in cells) == pytest.approx(float(sum(p or 0 for p, _ in rows)))

    readme = [[cell.value for cell in row] for row in book["README"].iter_rows()]
    listed = {row[1] for row in readme if len(row) > 1 and str(row[1]).startswith(("marts.", "dq."))}
    assert listed == {f"{s}.{t}" for s, t in tables}
    run_id = first.runs()[0]["run_id"]
    assert ["Night (ops.run_log.run_id)", run_id] in [row[:2] for row in readme]
    described = [row for row in readme if row[:2] == ["fct_contract_activity", "price"]]
    assert described and described[0][3], "the README describes each column"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format"] == "xlsx" and len(manifest["tables"]) == len(tables)


def test_csv_has_a_file_per_table_with_plain_numbers_and_iso_dates(first: NightEnv, tmp_path: Path) -> None:
    out = tmp_path / "csv"
    result = first.run("export", "--format", "csv", "--out", str(out))
    assert result.returncode == 0, result.stderr
    tables = _tables(first)
    assert sorted((p.parent.name, p.stem) for p in out.rglob("*.csv")) == sorted(tables)
    with (out / "marts" / "fct_contract_activity.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
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
    with (out / "marts" / "fct_contract_activity.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
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
        with (out / schema / f"{table}.csv").open(encoding="utf-8", newline="") as handle:
            for record in csv.DictReader(handle):
                assert all(neutralise_cell(record[c]) == record[c] for c in columns), (table, record)


def test_xlsx_writes_formula_text_as_text(planted: NightEnv, tmp_path: Path) -> None:
    out = tmp_path / "xlsx"
    result = planted.run("export", "--format", "xlsx", "--out", str(out))
    assert result.returncode == 0, result.stderr
    sheet = load_workbook(out / "speccomm.xlsx")["fct_contract_activity"]
    header = [cell.value for cell in sheet[1]]
    cells = {name: [row[i] for row in sheet.iter_rows(min_row=2)] for i, name in enumerate(header)}
    [index] = [i for i, cell in enumerate(cells["hrg_code"]) if cell.value == PLANTED["hrg_code"]]
    for column, value in PLANTED.items():
        cell = cells[column][index]
        assert (cell.value, cell.data_type) == (value, "s"), column  # text, never a formula
    assert cells["price"][index].value == -1234.5
    assert not [c for column in cells.values() for c in column if c.data_type == "f"]
