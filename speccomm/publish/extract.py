"""`speccomm extract --icb QKK --out FILE`: one ICB's rows of every fact and mart.

Writes a DuckDB file (schema `marts`, plus `main.extract_manifest` saying what was taken and
by which rule) and the same tables as Parquet files in `<FILE stem>_parquet/` beside it. The
rules are in `extract_rules.py`; a table without one is withheld and named on the console.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from speccomm.config import Paths
from speccomm.publish.export import copy_to_parquet, published_tables, sql_string
from speccomm.publish.extract_rules import HOSTED_PROVIDERS_SQL, MARTS_RULES, IcbRows, Rule

ICB_CODE = re.compile(r"^[A-Z0-9]{3}$")


class UnknownIcb(ValueError):
    pass


@dataclass(frozen=True)
class Taken:
    table: str
    rule: str
    rows: int


@dataclass(frozen=True)
class Withheld:
    table: str
    why: str


def extract_icb(paths: Paths, icb: str, out: Path) -> int:
    """CLI entry: 0 when the extract was written (tables withheld are listed), 1 on error."""
    if not paths.warehouse.exists():
        print(f"speccomm extract: no published warehouse at {paths.warehouse}", file=sys.stderr)
        return 1
    try:
        taken, withheld = write_extract(paths.warehouse, icb, out)
    except UnknownIcb as exc:
        print(f"speccomm extract: {exc}", file=sys.stderr)
        return 1
    print(f"speccomm extract: ICB {icb} -> {out} (Parquet in {parquet_dir(out)})")
    for item in taken:
        print(f"  {item.table:<40} {item.rows:>10,} rows  ({item.rule})")
    for item in withheld:
        print(f"  NOT EXPORTED {item.table}: {item.why}")
    return 0


def parquet_dir(out: Path) -> Path:
    return out.with_name(out.stem + "_parquet")


def write_extract(published: Path, icb: str, out: Path) -> tuple[list[Taken], list[Withheld]]:
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(fd)
    staged = Path(name)
    staged.unlink()  # DuckDB creates the file itself
    try:
        with duckdb.connect(str(staged)) as con:
            con.execute(f"attach {sql_string(str(published))} as src (read_only)")
            _check_icb(con, icb)
            taken, withheld = _copy_tables(con, icb)
            _write_manifest(con, icb, published, taken, withheld)
            con.execute("detach src")
            _write_parquet(con, taken, parquet_dir(out))
        os.replace(staged, out)
    finally:
        staged.unlink(missing_ok=True)
        staged.with_name(staged.name + ".wal").unlink(missing_ok=True)
    return taken, withheld


def _check_icb(con: duckdb.DuckDBPyConnection, icb: str) -> None:
    if not ICB_CODE.match(icb):
        raise UnknownIcb(f"{icb!r} is not an ICB code (three letters or digits, e.g. QKK)")
    known = con.execute("select count(*) from src.marts.dim_icb where icb_code = ?", [icb]).fetchone()[0]
    if not known:
        raise UnknownIcb(f"{icb} is not in marts.dim_icb")


def _copy_tables(con: duckdb.DuckDBPyConnection, icb: str) -> tuple[list[Taken], list[Withheld]]:
    con.execute("create schema marts")
    taken: list[Taken] = []
    withheld: list[Withheld] = []
    for schema, table in published_tables(con, catalog="src", schemas=("marts",)):
        rule = MARTS_RULES.get(table)
        missing = _missing_columns(con, table, rule) if rule else []
        if rule is None:
            withheld.append(Withheld(f"{schema}.{table}", "no extract rule (add one in extract_rules.py)"))
        elif missing:
            withheld.append(Withheld(f"{schema}.{table}", f"its rule names missing columns {missing}"))
        else:
            rows = _copy_table(con, table, rule, icb)
            taken.append(Taken(f"{schema}.{table}", rule.describe(), rows))
    return taken, withheld


def _missing_columns(con: duckdb.DuckDBPyConnection, table: str, rule: Rule) -> list[str]:
    present = {
        name for (name,) in con.execute(
            "select column_name from information_schema.columns"
            " where table_catalog = 'src' and table_schema = 'marts' and table_name = ?",
            [table],
        ).fetchall()
    }
    return [c for c in rule.columns() if c not in present]


def _copy_table(con: duckdb.DuckDBPyConnection, table: str, rule: Rule, icb: str) -> int:
    select = f'select * from src.marts."{table}"'
    if isinstance(rule, IcbRows):
        icb_literal = sql_string(icb)  # checked against ICB_CODE above
        select += " where " + rule.where(icb_literal, HOSTED_PROVIDERS_SQL.format(icb=icb_literal))
    con.execute(f'create table marts."{table}" as {select}')
    return con.execute(f'select count(*) from marts."{table}"').fetchone()[0]


def _write_manifest(
    con: duckdb.DuckDBPyConnection, icb: str, published: Path, taken: list[Taken], withheld: list[Withheld]
) -> None:
    con.execute(
        "create table main.extract_manifest (icb_code varchar, table_name varchar, exported boolean,"
        " rule varchar, row_count bigint, source_file varchar, extracted_at timestamp)"
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = [[icb, t.table, True, t.rule, t.rows, str(published), now] for t in taken]
    rows += [[icb, w.table, False, w.why, None, str(published), now] for w in withheld]
    if rows:
        con.executemany("insert into main.extract_manifest values (?, ?, ?, ?, ?, ?, ?)", rows)


def _write_parquet(con: duckdb.DuckDBPyConnection, taken: list[Taken], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    expected = set()
    for item in taken:
        schema, table = item.table.split(".")
        copy_to_parquet(con, f'{schema}."{table}"', folder / f"{table}.parquet")
        expected.add(f"{table}.parquet")
    for old in folder.glob("*.parquet"):
        if old.name not in expected:  # a table withheld today must not linger from an older extract
            old.unlink()
