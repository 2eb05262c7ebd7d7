"""Small-number suppression of the aggregate marts in an extract (NHS disclosure practice,
as OpenSAFELY applies it), so that no withheld number can be worked back out of the extract.

For each count column a mart declares (`config.meta.extract`, read by extract_rules.py):

1. **Small counts**: a count from 1 to `up_to` (7) is withheld (NULL). Zero stays zero
   (nothing to disclose). Fractional counts (bed days) and negative adjustments follow the
   same rule on their size.
2. **With it**: the columns the mart lists after the count (its pounds, unit prices,
   variances, shares, a column repeating one of them) are withheld in the same row.
3. **Complementary cells**: for each group of rows whose total a reader can find (`totals`),
   a group in which exactly one cell of a count is withheld loses a second one (its smallest
   other non-zero cell, with its columns), repeated until no group has a lone withheld cell:
   total minus the parts then gives only the sum of two withheld cells.
4. **Year to date**: when a month's column is withheld, the year-to-date columns that sum it
   (`year_to_date`) are withheld in that month and every later month of the running total.
5. **Rounding**: every count still shown is rounded to the nearest `round_to` (5).
6. **Totals in another mart** (`totals_of`, applied once every mart is suppressed): a cell
   of a mart that totals another mart's column over a group of its rows (a money-only mart's
   pounds) is withheld, with the columns worked out from it, where the group holds exactly
   one withheld non-zero cell: total minus the parts shown would give it.

Every cell withheld is listed with its reason (`small`, `with_count`, `complementary`,
`year_to_date`, `total`) and its row's key, so a workbook can mark it and a reader can tell a
withheld cell from a missing value. Configured by `--suppress-up-to` / `--round-to` or the
environment (SPECCOMM_SUPPRESS_UP_TO, SPECCOMM_ROUND_TO); 0 turns a step off.
docs/bi-access.md.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb

from speccomm.publish.extract_rules import ExtractRuleError, IcbRows, TotalOf, YearToDate

DEFAULT_UP_TO = 7
DEFAULT_ROUND_TO = 5
MONTH = "financial_month"  # the month of a row (year to date and the next month follow it)
MAX_PASSES = 100  # complementary suppression passes (each withholds at least one more cell)

SMALL = "small"
WITH_COUNT = "with_count"
COMPLEMENTARY = "complementary"
YEAR_TO_DATE = "year_to_date"
TOTAL = "total"
REASONS = {
    SMALL: "a count from 1 to the threshold",
    WITH_COUNT: "derived from a withheld count in the same row",
    COMPLEMENTARY: "withheld so that a total minus its parts cannot give a small count",
    YEAR_TO_DATE: "a running total that would give a withheld month",
    TOTAL: "a total that would give a lone withheld cell of another mart",
}


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
            f"counts 1-{self.up_to} withheld (with the columns derived from them, a second cell"
            " where a total would give one, and the year-to-date figures from that month on)"
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
    cells_complementary: int = 0


WITHHELD_CELLS = "main.extract_withheld_cells"


def create_withheld_cells(con: duckdb.DuckDBPyConnection) -> None:
    """The extract's list of withheld cells: table, row key, column, reason."""
    con.execute(
        f"create table {WITHHELD_CELLS} (table_name varchar, row_key varchar,"
        " column_name varchar, reason varchar)"
    )


def suppress_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    counts: dict[str, tuple[str, ...]] | IcbRows,
    rule: Suppression,
    key: Sequence[str] = (),
) -> list[Suppressed]:
    """Apply the rule to the count columns of `table` (schema-qualified, in the extract).
    `counts` is a mart's rule (or only its counts); `key` the columns naming a row, for the
    list of withheld cells (written when the extract has that table)."""
    declared = counts if isinstance(counts, IcbRows) else IcbRows(provider_columns=("-",), counts=counts)
    flags = {column: f"__small_{number}" for number, column in enumerate(declared.counts)}
    try:
        withheld, complementary = _flag(con, table, declared, flags, rule)
        running = _flag_year_to_date(con, table, declared, flags, rule)
        running.update(_flag_repeats(con, table, declared, flags))
        _record(con, table, declared, flags, running, key, rule.up_to)
        _withhold(con, table, declared, flags, running)
    finally:
        extra = [*running_flags(declared.year_to_date), *repeat_flags(declared)]
        for flag in [*flags.values(), *extra]:
            con.execute(f'alter table {table} drop column if exists "{flag}"')
    done = []
    for column, linked in declared.counts.items():
        rounded = _round(con, table, column, rule)
        done.append(Suppressed(table, column, withheld[column], rounded, linked, complementary[column]))
    return done


def _flag(
    con: duckdb.DuckDBPyConnection, table: str, rule: IcbRows, flags: dict[str, str], suppression: Suppression
) -> tuple[dict[str, int], dict[str, int]]:
    """Flag the small cells of each count, then the complementary cells of each `totals` group."""
    small, second = {}, {}
    for column, flag in flags.items():
        test = (
            f'abs("{column}") > 0 and abs("{column}") <= {suppression.up_to}'
            if suppression.up_to
            else "false"
        )
        con.execute(f'alter table {table} add column "{flag}" boolean')
        con.execute(f'update {table} set "{flag}" = coalesce({test}, false)')
        small[column] = _count(con, table, f'"{flag}"')
        second[column] = 0
    for column, flag in flags.items():
        for _ in range(MAX_PASSES):
            added = sum(_complement(con, table, column, flag, group) for group in rule.totals)
            if not added:
                break
            second[column] += added
    return small, second


def _complement(
    con: duckdb.DuckDBPyConnection, table: str, column: str, flag: str, group: tuple[str, ...]
) -> int:
    """In each group of rows with exactly one withheld cell of `column`, withhold the smallest
    other non-zero cell. Returns the number of cells withheld."""
    by = ", ".join(f'"{c}"' for c in group)
    before = _count(con, table, f'"{flag}"')
    con.execute(
        f"""
        update {table} set "{flag}" = true
        where rowid in (
            select row_id from (
                select row_id, row_number() over (partition by {by} order by abs(value), row_id) as pick
                from (
                    select rowid as row_id, {by}, "{column}" as value, "{flag}" as is_withheld,
                        sum(case when "{flag}" then 1 else 0 end) over (partition by {by})
                            as withheld_in_group
                    from {table}
                ) as cells
                where withheld_in_group = 1 and not is_withheld and value is not null and value <> 0
            ) as candidates
            where pick = 1
        )
        """
    )
    return _count(con, table, f'"{flag}"') - before


def running_flags(year_to_date: YearToDate | None) -> list[str]:
    return [f"__ytd_{number}" for number in range(len(year_to_date.columns))] if year_to_date else []


def repeat_flags(rule: IcbRows) -> list[str]:
    return [f"__repeats_{number}" for number in range(len(rule.repeats))]


def _flag_repeats(
    con: duckdb.DuckDBPyConnection, table: str, rule: IcbRows, flags: dict[str, str]
) -> dict[str, tuple[str, ...]]:
    """Flag name -> the repeating column it withholds: where the column it repeats (the first
    listed that it equals in the row) is withheld."""
    repeated = {}
    for flag, (column, sources) in zip(repeat_flags(rule), rule.repeats.items(), strict=True):
        # the column it repeats in a row: the first of `sources` it equals
        cases = " ".join(
            f'when "{column}" is not distinct from "{source}" then ({_withheld_test(rule, flags, source)})'
            for source in sources
        )
        con.execute(f'alter table {table} add column "{flag}" boolean')
        con.execute(f'update {table} set "{flag}" = coalesce(case {cases} else false end, false)')
        repeated[flag] = (column,)
    return repeated


def _withheld_test(rule: IcbRows, flags: dict[str, str], column: str) -> str:
    """SQL true when `column` is withheld in a row by a count (its own, or one it goes with)."""
    tests = [
        f'"{flags[count]}"' for count, linked in rule.counts.items() if column == count or column in linked
    ]
    return " or ".join(tests) if tests else "false"


def _flag_year_to_date(
    con: duckdb.DuckDBPyConnection, table: str, rule: IcbRows, flags: dict[str, str], suppression: Suppression
) -> dict[str, tuple[str, ...]]:
    """Flag name -> the year-to-date columns it withholds."""
    ytd = rule.year_to_date
    if ytd is None:
        return {}
    by = ", ".join(f'"{c}"' for c in ytd.by)
    running = {}
    for flag, (month_column, ytd_columns) in zip(running_flags(ytd), ytd.columns.items(), strict=True):
        test = _withheld_test(rule, flags, month_column) if suppression.up_to else "false"
        con.execute(f'alter table {table} add column "{flag}" boolean')
        con.execute(
            f"""
            update {table} set "{flag}" = running.is_withheld
            from (
                select rowid as row_id,
                    bool_or({test}) over (
                        partition by {by} order by "{ytd.month}"
                        rows between unbounded preceding and current row
                    ) as is_withheld
                from {table}
            ) as running
            where {table}.rowid = running.row_id
            """
        )
        running[flag] = ytd_columns
    return running


def _record(
    con: duckdb.DuckDBPyConnection,
    table: str,
    rule: IcbRows,
    flags: dict[str, str],
    running: dict[str, tuple[str, ...]],
    key: Sequence[str],
    up_to: int,
) -> None:
    """List every cell about to be withheld, with its reason, in main.extract_withheld_cells."""
    if not key or not _has_withheld_cells(con):
        return
    row_key = row_key_sql(key)
    name = table.replace('"', "")
    selects = []
    for count, flag in flags.items():
        selects.append(
            f"select '{name}', {row_key}, '{count}',"
            f" case when abs(\"{count}\") <= {up_to} then '{SMALL}' else '{COMPLEMENTARY}' end"
            f' from {table} where "{flag}"'
        )
        selects += [
            f"select '{name}', {row_key}, '{linked}', '{WITH_COUNT}' from {table} where \"{flag}\""
            for linked in rule.counts[count]
        ]
    for flag, columns in running.items():
        selects += [
            f"select '{name}', {row_key}, '{column}',"
            f" '{YEAR_TO_DATE if flag.startswith('__ytd') else WITH_COUNT}' from {table} where \"{flag}\""
            for column in columns
        ]
    if not selects:
        return
    union = " union all ".join(selects)
    # one row per cell, the first reason in the order small, complementary, with_count, year_to_date
    con.execute(
        f"""
        insert into {WITHHELD_CELLS}
        select table_name, row_key, column_name, reason from (
            select *, row_number() over (
                partition by table_name, row_key, column_name
                order by case reason when '{SMALL}' then 1 when '{COMPLEMENTARY}' then 2
                    when '{WITH_COUNT}' then 3 else 4 end
            ) as choice
            from ({union})
                as cells(table_name, row_key, column_name, reason)
        ) where choice = 1
        """
    )


def row_key_sql(key: Sequence[str], alias: str | None = None) -> str:
    """The text naming a row in main.extract_withheld_cells: its key columns joined by `|`."""
    prefix = f"{alias}." if alias else ""
    return " || '|' || ".join(f"coalesce(cast({prefix}\"{c}\" as varchar), '')" for c in key)


def _has_withheld_cells(con: duckdb.DuckDBPyConnection) -> bool:
    schema, name = WITHHELD_CELLS.split(".")
    return _table_exists(con, schema, name)


def _withhold(
    con: duckdb.DuckDBPyConnection,
    table: str,
    rule: IcbRows,
    flags: dict[str, str],
    running: dict[str, tuple[str, ...]],
) -> None:
    targets: dict[str, list[str]] = {}
    for count, flag in flags.items():
        for column in (count, *rule.counts[count]):
            targets.setdefault(column, []).append(f'"{flag}"')
    for flag, columns in running.items():
        for column in columns:
            targets.setdefault(column, []).append(f'"{flag}"')
    if targets:
        assignments = ", ".join(
            f'"{column}" = case when {" or ".join(tests)} then null else "{column}" end'
            for column, tests in targets.items()
        )
        con.execute(f"update {table} set {assignments}")


def _round(con: duckdb.DuckDBPyConnection, table: str, column: str, rule: Suppression) -> int:
    """Round the counts still shown (zero stays zero: sign)."""
    if rule.round_to <= 1:
        return 0
    kind = _column_type(con, table, column)
    scale = re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", kind.replace(" ", ""))
    if scale and int(scale.group(1)) < 38:  # rounding up may need one more digit (9.5 -> 10)
        kind = f"DECIMAL(38,{scale.group(2)})"
        con.execute(f'alter table {table} alter column "{column}" type {kind}')
    nearest = f'round(abs("{column}") / {rule.round_to}) * {rule.round_to}'
    # a count above the threshold never rounds down into it (7.2 is shown 10, not 5)
    floor = rule.round_to * ((rule.up_to // rule.round_to) + 1) if rule.up_to else 0
    target = f'cast(sign("{column}") * greatest({nearest}, {floor}) as {kind})'
    rounded = _count(con, table, f'"{column}" is not null and "{column}" <> {target}')
    con.execute(f'update {table} set "{column}" = {target} where "{column}" is not null')
    return rounded


def withhold_totals(
    con: duckdb.DuckDBPyConnection,
    table: str,
    rule: IcbRows,
    keys: Mapping[str, Sequence[str]],
    source: str = "src",
    key: Sequence[str] = (),
) -> list[Suppressed]:
    """Apply the mart's `totals_of` (step 6) to `table` (`marts."name"` of the extract) once
    every mart of the extract is suppressed. `keys` names each mart's key columns, to find
    which of its cells were withheld (empty in the extract, not empty in `source`, the
    published warehouse attached); `key` names this mart's rows in the withheld-cells list.
    A total withheld takes, by the mart's own `totals` groups, a second total with it where
    it would be alone in its group (complementary, as for counts), the listed columns of its
    row, its `year_to_date` columns from that month on and its `next_month` columns in the
    following month's row."""
    done = []
    for total in rule.totals_of:
        if not _table_exists(con, "marts", total.of_table):
            continue  # the mart totalled is not in this extract: nothing of it to work out
        _lone_withheld_groups(con, total, tuple(keys.get(total.of_table, ())), source)
        flag = "__total"
        try:
            con.execute(f'alter table {table} add column "{flag}" boolean')
            match = " and ".join(f'{LONE}."{c}" is not distinct from {table}."{c}"' for c in total.by)
            con.execute(f'update {table} set "{flag}" = exists (select 1 from {LONE} where {match})')
            lone = _count(con, table, f'"{flag}"')
            second = _complement_totals(con, table, total, rule.totals, flag)
            _withhold_flagged(con, table, total, flag, key)
        finally:
            con.execute(f"drop table if exists {LONE}")
            con.execute(f'alter table {table} drop column if exists "{flag}"')
        done.append(
            Suppressed(
                table, f"{total.of_table}.{total.of_column}", lone + second, 0,
                (*total.columns, *total.year_to_date, *total.next_month), second,
            )
        )
    return done


LONE = "lone_withheld_groups"


def _lone_withheld_groups(
    con: duckdb.DuckDBPyConnection, total: TotalOf, part_key: tuple[str, ...], source: str
) -> None:
    """A temp table of the `by` groups of the mart totalled holding exactly one withheld
    non-zero cell of its column."""
    part = f'marts."{total.of_table}"'
    missing = [
        c for c in (*total.by, total.of_column, *part_key) if not _has_column(con, part, c)
    ]
    if not part_key or missing:
        raise ExtractRuleError(
            f"totals_of {total.of_table}.{total.of_column}: that mart has no key"
            if not part_key
            else f"totals_of {total.of_table}.{total.of_column}: that mart has no column {missing}"
        )
    join = " and ".join(f'shown."{c}" is not distinct from truth."{c}"' for c in part_key)
    by = ", ".join(f'shown."{c}"' for c in total.by)
    column = f'"{total.of_column}"'
    con.execute(
        f"""
        create or replace temp table {LONE} as
        select {by} from {part} as shown
        inner join {source}.{part} as truth on {join}
        where shown.{column} is null and truth.{column} is not null and truth.{column} <> 0
        group by {by} having count(*) = 1
        """
    )


def _complement_totals(
    con: duckdb.DuckDBPyConnection, table: str, total: TotalOf, groups: Sequence[Sequence[str]], flag: str
) -> int:
    """Withhold a second total where a flagged one is alone in a group of the mart's own
    `totals` (its first column's smallest other non-zero cell). Returns the cells added."""
    added = 0
    for _ in range(MAX_PASSES):
        more = sum(_complement(con, table, total.columns[0], flag, tuple(group)) for group in groups)
        if not more:
            break
        added += more
    return added


def _withhold_flagged(
    con: duckdb.DuckDBPyConnection, table: str, total: TotalOf, flag: str, key: Sequence[str]
) -> None:
    """Record and withhold the flagged rows' columns, their year-to-date columns from that
    month on and their next-month columns in the following month's row."""
    targets: dict[str, list[str]] = {column: [f'"{flag}"'] for column in total.columns}
    if total.year_to_date or total.next_month:
        by = ", ".join(f'"{c}"' for c in total.by if c != MONTH) or "1"
        window = f'partition by {by} order by "{MONTH}"'
        con.execute(f'alter table {table} add column "{flag}_ytd" boolean')
        con.execute(f'alter table {table} add column "{flag}_next" boolean')
        con.execute(
            f"""
            update {table} set "{flag}_ytd" = shifted.is_ytd, "{flag}_next" = shifted.is_next
            from (
                select rowid as row_id,
                    bool_or("{flag}") over ({window} rows between unbounded preceding and current row)
                        as is_ytd,
                    coalesce(lag("{flag}") over ({window}), false)
                        and lag("{MONTH}") over ({window}) = "{MONTH}" - 1 as is_next
                from {table}
            ) as shifted
            where {table}.rowid = shifted.row_id
            """
        )
        for column in total.year_to_date:
            targets.setdefault(column, []).append(f'"{flag}_ytd"')
        for column in total.next_month:
            targets.setdefault(column, []).append(f'"{flag}_next"')
    try:
        if key and _has_withheld_cells(con):
            name = table.replace('"', "")
            for column, tests in targets.items():
                con.execute(
                    f"insert into {WITHHELD_CELLS} select '{name}', {row_key_sql(key)}, '{column}', '{TOTAL}'"
                    f' from {table} where ({" or ".join(tests)}) and "{column}" is not null'
                )
        assignments = ", ".join(
            f'"{c}" = case when {" or ".join(tests)} then null else "{c}" end' for c, tests in targets.items()
        )
        con.execute(f"update {table} set {assignments}")
    finally:
        for extra in ("_ytd", "_next"):
            con.execute(f'alter table {table} drop column if exists "{flag}{extra}"')


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?"
        " and table_catalog = current_database()",
        [schema, name],
    ).fetchone()
    return bool(found and found[0])


def _has_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    try:
        _column_type(con, table, column)
    except KeyError:
        return False
    return True


def _count(con: duckdb.DuckDBPyConnection, table: str, where: str) -> int:
    found = con.execute(f"select count(*) from {table} where {where}").fetchone()
    return int(found[0]) if found else 0


def _column_type(con: duckdb.DuckDBPyConnection, table: str, column: str) -> str:
    schema, name = (part.strip('"') for part in table.split("."))
    found = con.execute(
        "select data_type from information_schema.columns where table_schema = ? and table_name = ?"
        " and column_name = ? and table_catalog = current_database()",
        [schema, name, column],
    ).fetchone()
    if not found:
        raise KeyError(f"{table} has no column {column}")
    return str(found[0])
