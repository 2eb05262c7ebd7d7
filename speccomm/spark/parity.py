"""Parity: every published table Spark built equals DuckDB's build of the same raw layer.

For each table of the published schemas (speccomm.spark.publish.PUBLISHED_SCHEMAS) the Spark
side is read from its Parquet files with every column cast to the type DuckDB built it with,
and compared: row counts, the sum of every decimal column (money), and `except all` both
ways on every column (keys and values, duplicates counted). Double columns are compared
rounded to DOUBLE_DIGITS decimal places: the two engines sum and divide floating point in a
different order, so the last bits of a ratio can differ (docs/scale-out.md, "Parity").
Columns whose value is the time of the build itself are left out (BUILD_TIME_COLUMNS).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from speccomm.spark.publish import SparkTable, published_tables, table_files

DOUBLE_DIGITS = 9
# when and by which dbt invocation a table was built: differs between any two builds
BUILD_TIME_COLUMNS = frozenset({"built_at", "build_invocation_id"})
# engine-internal: a hash of the reference data's rows cast to text, which each engine formats
# its own way (the fingerprint is only ever compared with one built by the same engine)
ENGINE_INTERNAL_COLUMNS = frozenset({"reference_fingerprint"})
# KNOWN, NOT FIXED (docs/scale-out.md, "Parity"): columns left out of the except-all and sum
# comparison of their table only (every other column, and the row count, still compared).
# Empty: the half-penny rounding that was listed here is fixed (macros/numbers/round_quotient.sql).
KNOWN_DIFFERENCES: dict[str, frozenset[str]] = {}


@dataclass
class TableParity:
    table: str
    duckdb_rows: int
    spark_rows: int
    only_in_duckdb: int = 0
    only_in_spark: int = 0
    money_differences: list[str] = field(default_factory=list)
    problem: str | None = None

    @property
    def matches(self) -> bool:
        return (
            self.problem is None
            and self.duckdb_rows == self.spark_rows
            and self.only_in_duckdb == 0
            and self.only_in_spark == 0
            and not self.money_differences
        )

    def line(self) -> str:
        status = "ok  " if self.matches else "DIFF"
        text = (f"{status} {self.table}: rows duckdb {self.duckdb_rows}, spark {self.spark_rows}; "
                f"only in duckdb {self.only_in_duckdb}, only in spark {self.only_in_spark}")
        if self.money_differences:
            text += "; sums differ: " + ", ".join(self.money_differences)
        if self.problem:
            text += f"; {self.problem}"
        if self.table in KNOWN_DIFFERENCES:
            text += "; KNOWN difference not compared: " + ", ".join(sorted(KNOWN_DIFFERENCES[self.table]))
        return text


def compare_builds(duckdb_file: Path, spark_tables: Path, manifest: Path) -> list[TableParity]:
    """Compare every published table of the DuckDB build with Spark's."""
    results = []
    with duckdb.connect(str(duckdb_file), read_only=True) as con:
        for table in published_tables(manifest):
            results.append(_compare_table(con, spark_tables, table))
    return results


def _compare_table(con: duckdb.DuckDBPyConnection, spark_tables: Path, table: SparkTable) -> TableParity:
    name = f"{table.schema}.{table.name}"
    left_out = BUILD_TIME_COLUMNS | ENGINE_INTERNAL_COLUMNS | KNOWN_DIFFERENCES.get(name, frozenset())
    columns = [
        (column, kind)
        for column, kind, *_ in con.execute(f"describe {name}").fetchall()
        if column not in left_out
    ]
    duck_rows = _count(con, f"select 1 from {name}")
    files = table_files(spark_tables, table)
    try:
        spark_rows = _count(con, f"select 1 from read_parquet('{files}')")
    except duckdb.Error as exc:  # no files: Spark did not build it (an empty table has one)
        return TableParity(name, duck_rows, 0, problem=f"Spark table not readable: {exc}".splitlines()[0])
    duck_side = f"select {_values(columns)} from {name}"
    spark_side = f"select {_values(columns)} from (select {_typed(columns)} from read_parquet('{files}'))"
    result = TableParity(name, duck_rows, spark_rows)
    result.only_in_duckdb = _count(con, f"{duck_side} except all {spark_side}")
    result.only_in_spark = _count(con, f"{spark_side} except all {duck_side}")
    for column, kind in columns:
        if kind.startswith("DECIMAL"):
            duck_sum = _scalar(con, f'select sum("{column}") from {name}')
            spark_sum = _scalar(con, f'select sum("{column}") from ({spark_side})')
            if duck_sum != spark_sum:
                result.money_differences.append(f"{column} {duck_sum} ≠ {spark_sum}")
    return result


def _typed(columns: list[tuple[str, str]]) -> str:
    return ", ".join(f'cast("{column}" as {kind}) as "{column}"' for column, kind in columns)


def _values(columns: list[tuple[str, str]]) -> str:
    return ", ".join(
        f'round("{column}", {DOUBLE_DIGITS}) as "{column}"' if kind in ("DOUBLE", "FLOAT") else f'"{column}"'
        for column, kind in columns
    )


def _scalar(con: duckdb.DuckDBPyConnection, query: str) -> object:
    row = con.execute(query).fetchone()
    assert row is not None  # an aggregate without group by returns one row
    return row[0]


def _count(con: duckdb.DuckDBPyConnection, query: str) -> int:
    return int(_scalar(con, f"select count(*) from ({query})"))  # type: ignore[call-overload]
