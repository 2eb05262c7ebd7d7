"""Small-number suppression of the aggregate marts in an extract (NHS disclosure practice,
as OpenSAFELY applies it): a count from 1 to `up_to` (7) is withheld (NULL), with the
columns derived from it (its money, its shares); every other count is rounded to the
nearest `round_to` (5). Zero stays zero (nothing to disclose). Fractional counts (bed days)
follow the same rule. Configured by `--suppress-up-to` / `--round-to` or the environment
(SPECCOMM_SUPPRESS_UP_TO, SPECCOMM_ROUND_TO); 0 turns a step off. docs/bi-access.md.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import duckdb

DEFAULT_UP_TO = 7
DEFAULT_ROUND_TO = 5


@dataclass(frozen=True)
class Suppression:
    up_to: int = DEFAULT_UP_TO
    round_to: int = DEFAULT_ROUND_TO

    @classmethod
    def configured(cls, up_to: int | None = None, round_to: int | None = None) -> Suppression:
        def pick(given: int | None, env_var: str, default: int) -> int:
            value = given if given is not None else int(os.environ.get(env_var, default))
            if value < 0:
                raise ValueError(f"{env_var.lower()}: {value} is negative")
            return value

        return cls(
            pick(up_to, "SPECCOMM_SUPPRESS_UP_TO", DEFAULT_UP_TO),
            pick(round_to, "SPECCOMM_ROUND_TO", DEFAULT_ROUND_TO),
        )

    def describe(self) -> str:
        withheld = (
            f"counts 1-{self.up_to} withheld (with the columns derived from them)"
            if self.up_to
            else "no counts withheld"
        )
        rounded = (
            f"other counts rounded to the nearest {self.round_to}"
            if self.round_to > 1
            else "counts not rounded"
        )
        return f"{withheld}; {rounded}"


@dataclass(frozen=True)
class Suppressed:
    table: str
    column: str
    cells_withheld: int
    cells_rounded: int
    linked_columns: tuple[str, ...]


def suppress_table(
    con: duckdb.DuckDBPyConnection, table: str, counts: dict[str, tuple[str, ...]], rule: Suppression
) -> list[Suppressed]:
    """Apply the rule to the count columns of `table` (schema-qualified, in the extract)."""
    done = []
    small = {column: f'abs("{column}") > 0 and abs("{column}") <= {rule.up_to}' for column in counts}
    withheld = {column: _count(con, table, small[column]) if rule.up_to else 0 for column in counts}
    if rule.up_to:
        # one pass over the flags first: a column linked to two counts goes when either does
        for column, linked in counts.items():
            if linked:
                assignments = ", ".join(f'"{c}" = null' for c in linked)
                con.execute(f"update {table} set {assignments} where {small[column]}")
        for column in counts:
            con.execute(f'update {table} set "{column}" = null where {small[column]}')
    for column, linked in counts.items():
        rounded = 0
        if rule.round_to > 1:
            kind = _column_type(con, table, column)
            scale = re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", kind.replace(" ", ""))
            if scale and int(scale.group(1)) < 38:  # rounding up may need one more digit (9.5 -> 10)
                kind = f"DECIMAL(38,{scale.group(2)})"
                con.execute(f'alter table {table} alter column "{column}" type {kind}')
            target = f'cast(round("{column}" / {rule.round_to}) * {rule.round_to} as {kind})'
            rounded = _count(con, table, f'"{column}" is not null and "{column}" <> {target}')
            con.execute(f'update {table} set "{column}" = {target} where "{column}" is not null')
        done.append(Suppressed(table, column, withheld[column], rounded, linked))
    return done


def _count(con: duckdb.DuckDBPyConnection, table: str, where: str) -> int:
    return con.execute(f"select count(*) from {table} where {where}").fetchone()[0]


def _column_type(con: duckdb.DuckDBPyConnection, table: str, column: str) -> str:
    schema, name = (part.strip('"') for part in table.split("."))
    return con.execute(
        "select data_type from information_schema.columns where table_schema = ? and table_name = ?"
        " and column_name = ? and table_catalog = current_database()",
        [schema, name, column],
    ).fetchone()[0]
