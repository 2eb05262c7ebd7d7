"""Small-number suppression of the aggregate marts in an extract (NHS disclosure practice,
as OpenSAFELY applies it), so that no withheld number can be worked back out of the extract.

For each count column a mart declares (`config.meta.extract`, read by extract_rules.py):

1. **Small counts**: a count from 1 to `up_to` (7) is withheld (NULL). Zero stays zero
   (nothing to disclose). Fractional counts (bed days) and negative adjustments follow the
   same rule on their size.
2. **With it**: the columns the mart lists after the count (its pounds, unit prices,
   variances, shares) are withheld in the same row; a column repeating another in the row
   (`repeats`) is withheld with it, and it with the repeat; a figure withheld for any reason
   takes the figures worked out from it (`derived`).
3. **Complementary cells**: for each group of rows whose total a reader can find (`totals`),
   a group in which exactly one non-zero cell of a count (or of a figure named in `derived`
   or `repeats`) is withheld loses a second one (its smallest other non-zero cell, with its
   columns): total minus the parts then gives only the sum of two withheld cells.
4. **Year to date**: when a month's column is withheld, the year-to-date columns that sum it
   (`year_to_date`) are withheld in that month and every later month of the running total.
5. **Rounding**: every count still shown is rounded to the nearest `round_to` (5).
6. **Totals in another mart** (`totals_of`, applied once every mart is suppressed): a cell
   of a mart that totals another mart's column over a group of its rows (a money-only mart's
   pounds) is withheld, with the columns worked out from it, where the group holds exactly
   one withheld non-zero cell: total minus the parts shown would give it.

Steps 2 to 4 (and 6's own) are one rule applied to a fixed point: every cell withheld, for
whatever reason, withholds what the mart's declarations tie to it, until a pass withholds
nothing more; cells are emptied only then, so repeats are still recognised by their values.

Every cell withheld is listed with its reason (`small`, `with_count`, `derived`,
`complementary`, `year_to_date`, `total`) and its row's key, so a workbook can mark it and a reader can tell a
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

from speccomm.publish.extract_rules import ExtractRuleError, IcbRows, TotalOf

DEFAULT_UP_TO = 7
DEFAULT_ROUND_TO = 5
MONTH = "financial_month"  # the month of a row (year to date and the next month follow it)
MAX_PASSES = 100  # complementary suppression passes (each withholds at least one more cell)

SMALL = "small"
WITH_COUNT = "with_count"
COMPLEMENTARY = "complementary"
YEAR_TO_DATE = "year_to_date"
TOTAL = "total"
DERIVED = "derived"
REASONS = {
    SMALL: "a count from 1 to the threshold",
    WITH_COUNT: "derived from a withheld count in the same row",
    COMPLEMENTARY: "withheld so that a total minus its parts cannot give a small count",
    YEAR_TO_DATE: "a running total that would give a withheld month",
    TOTAL: "a total that would give a lone withheld cell of another mart",
    DERIVED: "repeats, or is worked out from, another withheld cell of its row",
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
    plan = _plan(table, declared, complement_reason=COMPLEMENTARY)
    try:
        _add_flags(con, plan)
        if rule.up_to:
            small = ", ".join(
                f'"{plan.flags[c]}" = case when abs("{c}") > 0 and abs("{c}") <= {rule.up_to}'
                f" then '{SMALL}' end"
                for c in declared.counts
            )
            if small:
                con.execute(f"update {table} set {small}")
            _settle(con, plan)
        withheld = {c: _count(con, table, f"\"{plan.flags[c]}\" = '{SMALL}'") for c in declared.counts}
        others = {
            c: _count(con, table, f"\"{plan.flags[c]}\" is not null") - withheld[c] for c in declared.counts
        }
        _record_and_withhold(con, plan, key)
    finally:
        _drop_flags(con, plan)
    done = []
    for column, linked in declared.counts.items():
        rounded = _round(con, table, column, rule)
        done.append(Suppressed(table, column, withheld[column], rounded, linked, others[column]))
    return done


# --- one rule for every withheld cell ----------------------------------------------------------
#
# Each column the rule names has a flag column during suppression (NULL: shown; else the reason
# it is withheld, the first found). Seeds (small counts, or totals of another mart's lone
# withheld cells) are spread to a fixed point by what the rule declares: in the row (a count's
# figures, a figure's derived figures, a repeat and the column it repeats), along the months
# (running totals from a withheld month on, the next month's repeat of it), and across the
# rows of a group whose total is known (a lone withheld cell takes a second). Only then are the
# flagged cells recorded and emptied, so values can still be compared while spreading.


@dataclass(frozen=True)
class _Tie:
    """In a row, `target` is withheld where `source` is (and `condition` holds)."""

    source: str
    target: str
    reason: str
    condition: str = "true"


FROM_MONTH_ON = "from_month_on"  # a running total: from the month withheld to the year's end
NEXT_MONTH = "next_month"  # the following month's row (its previous-month figure, its movement)
MONTH_OF = "month_of"  # a running total withheld beside a shown previous one: the month's figure


@dataclass(frozen=True)
class _Running:
    """Along the months of each group of `by`: `targets` withheld where `source` is withheld,
    from that month on, or in the following month's row, or (`MONTH_OF`, `source` a running
    total) in that month where the previous month's running total is shown."""

    by: tuple[str, ...]
    month: str
    source: str
    targets: tuple[str, ...]
    reason: str
    kind: str = FROM_MONTH_ON


@dataclass
class _Plan:
    table: str
    flags: dict[str, str]  # column -> its flag column
    ties: list[_Tie]
    running: list[_Running]
    complements: list[tuple[str, tuple[str, ...], str]]  # column, group with a known total, reason
    repeats: dict[str, tuple[str, tuple[str, ...]]]  # tie column -> (repeat, the columns it may repeat)


def _plan(table: str, rule: IcbRows, complement_reason: str) -> _Plan:
    """The ties the mart's rule declares: a count's figures go with it (`counts`), a figure's
    derived figures with it (`derived`), and a derived figure withheld while every figure it
    is worked out from is shown takes the first of them (it would be given back by them); a
    repeat with the column it equals in the row and that column with it (`repeats`); running
    totals from a withheld month on (`year_to_date`), and a running total withheld in a month
    whose previous running total is shown takes the month's figure it sums (the first running
    total listed for a month's figure that is not a count, rounded); complementary cells for
    every count and every figure the rule names in `derived` or `repeats`, in each `totals`
    group."""
    ytd = rule.year_to_date
    columns = [
        *rule.counts,
        *(c for linked in rule.counts.values() for c in linked),
        *(c for figure, targets in rule.derived.items() for c in (figure, *targets)),
        *(c for column, sources in rule.repeats.items() for c in (column, *sources)),
        *(c for month, targets in (ytd.columns.items() if ytd else ()) for c in (month, *targets)),
    ]
    flags = {column: f"__withheld_{number}" for number, column in enumerate(dict.fromkeys(columns))}
    ties = [_Tie(count, linked, WITH_COUNT) for count, columns in rule.counts.items() for linked in columns]
    ties += [_Tie(figure, target, DERIVED) for figure, targets in rule.derived.items() for target in targets]
    for target in dict.fromkeys(t for targets in rule.derived.values() for t in targets):
        worked_from = [figure for figure, targets in rule.derived.items() if target in targets]
        shown = " and ".join(f'"{flags[figure]}" is null' for figure in worked_from)
        ties.append(_Tie(target, worked_from[0], DERIVED, shown))
    repeats = {}
    for number, (column, sources) in enumerate(rule.repeats.items()):
        tie = f"__tie_{number}"
        repeats[tie] = (column, sources)
        for which, source in enumerate(sources, start=1):
            ties.append(_Tie(source, column, DERIVED, f'"{tie}" = {which}'))
            ties.append(_Tie(column, source, DERIVED, f'"{tie}" = {which}'))
    running = []
    if ytd:
        running = [
            _Running(ytd.by, ytd.month, month_column, targets, YEAR_TO_DATE)
            for month_column, targets in ytd.columns.items()
        ]
        running += [
            _Running(ytd.by, ytd.month, targets[0], (month_column,), YEAR_TO_DATE, kind=MONTH_OF)
            for month_column, targets in ytd.columns.items()
            if targets and month_column not in rule.counts
        ]
    figures = [*rule.counts, *rule.derived, *rule.repeats, *(c for s in rule.repeats.values() for c in s)]
    complements = [(c, group, complement_reason) for c in dict.fromkeys(figures) for group in rule.totals]
    return _Plan(table, flags, ties, running, complements, repeats)


def _add_flags(con: duckdb.DuckDBPyConnection, plan: _Plan) -> None:
    for flag in plan.flags.values():
        con.execute(f'alter table {plan.table} add column "{flag}" varchar')
    for tie, (column, sources) in plan.repeats.items():
        # the column a repeat repeats in a row: the first of `sources` it equals
        cases = " ".join(
            f'when "{column}" is not distinct from "{source}" then {which}'
            for which, source in enumerate(sources, start=1)
        )
        con.execute(f'alter table {plan.table} add column "{tie}" integer')
        con.execute(f'update {plan.table} set "{tie}" = case {cases} else 0 end')


def _drop_flags(con: duckdb.DuckDBPyConnection, plan: _Plan) -> None:
    for flag in [*plan.flags.values(), *plan.repeats]:
        con.execute(f'alter table {plan.table} drop column if exists "{flag}"')


def _flagged(con: duckdb.DuckDBPyConnection, plan: _Plan) -> int:
    if not plan.flags:
        return 0
    found = con.execute(
        "select " + " + ".join(f'count("{f}")' for f in plan.flags.values()) + f" from {plan.table}"
    ).fetchone()
    return int(found[0]) if found else 0


def _settle(con: duckdb.DuckDBPyConnection, plan: _Plan) -> None:
    """Spread the seeds until nothing more is withheld: in the row, along the months, and a
    second cell in each group where one would be alone."""
    for _ in range(MAX_PASSES):
        before = _flagged(con, plan)
        _spread_in_rows(con, plan)
        _spread_along_months(con, plan)
        _spread_in_rows(con, plan)
        for column, group, reason in plan.complements:
            _complement(con, plan.table, column, plan.flags[column], group, reason)
        if _flagged(con, plan) == before:
            return


def _spread_in_rows(con: duckdb.DuckDBPyConnection, plan: _Plan) -> None:
    incoming: dict[str, list[_Tie]] = {}
    for tie in plan.ties:
        incoming.setdefault(tie.target, []).append(tie)
    if not incoming:
        return
    assignments = ", ".join(
        f'"{plan.flags[target]}" = coalesce("{plan.flags[target]}", case '
        + " ".join(
            f"""when "{plan.flags[t.source]}" is not null and ({t.condition}) then '{t.reason}'"""
            for t in ties
        )
        + " end)"
        for target, ties in incoming.items()
    )
    for _ in range(MAX_PASSES):
        before = _flagged(con, plan)
        con.execute(f"update {plan.table} set {assignments}")
        if _flagged(con, plan) == before:
            return


def _spread_along_months(con: duckdb.DuckDBPyConnection, plan: _Plan) -> None:
    for running in plan.running:
        by = ", ".join(f'"{c}"' for c in running.by if c != running.month) or "1"
        window = f'partition by {by} order by "{running.month}"'
        withheld = f'"{plan.flags[running.source]}" is not null'
        previous = f"coalesce(lag({withheld}) over ({window}), false)"
        so_far = f"{window} rows between unbounded preceding and current row"
        tests = {
            FROM_MONTH_ON: f"bool_or({withheld}) over ({so_far})",
            NEXT_MONTH: f'{previous} and lag("{running.month}") over ({window}) = "{running.month}" - 1',
            MONTH_OF: f"{withheld} and not {previous}",
        }
        test = tests[running.kind]
        assignments = ", ".join(
            f'"{plan.flags[t]}" = coalesce("{plan.flags[t]}", case when shifted.is_withheld'
            f" then '{running.reason}' end)"
            for t in running.targets
        )
        con.execute(
            f"""
            update {plan.table} set {assignments}
            from (select rowid as row_id, {test} as is_withheld from {plan.table}) as shifted
            where {plan.table}.rowid = shifted.row_id and shifted.is_withheld
            """
        )


def _complement(
    con: duckdb.DuckDBPyConnection, table: str, column: str, flag: str, group: tuple[str, ...], reason: str
) -> int:
    """In each group of rows with exactly one withheld non-zero cell of `column`, withhold the
    smallest other non-zero cell. Returns the number of cells withheld."""
    by = ", ".join(f'"{c}"' for c in group)
    before = _count(con, table, f'"{flag}" is not null')
    con.execute(
        f"""
        update {table} set "{flag}" = '{reason}'
        where rowid in (
            select row_id from (
                select row_id, row_number() over (partition by {by} order by abs(value), row_id) as pick
                from (
                    select rowid as row_id, {by}, "{column}" as value, "{flag}" is not null as is_withheld,
                        count(case when "{flag}" is not null and "{column}" <> 0 then 1 end)
                            over (partition by {by}) as withheld_in_group
                    from {table}
                ) as cells
                where withheld_in_group = 1 and not is_withheld and value is not null and value <> 0
            ) as candidates
            where pick = 1
        )
        """
    )
    return _count(con, table, f'"{flag}" is not null') - before


def _record_and_withhold(con: duckdb.DuckDBPyConnection, plan: _Plan, key: Sequence[str]) -> None:
    """List every flagged cell with its reason in main.extract_withheld_cells (one row per
    cell), then empty them."""
    if not plan.flags:
        return
    table = plan.table
    if key and _has_withheld_cells(con):
        name = table.replace('"', "")
        selects = [
            f"select '{name}', {row_key_sql(key)}, '{column}', \"{flag}\" from {table}"
            f' where "{flag}" is not null and "{column}" is not null'  # an empty cell hides nothing
            for column, flag in plan.flags.items()
        ]
        con.execute(f"insert into {WITHHELD_CELLS} {' union all '.join(selects)}")
    assignments = ", ".join(
        f'"{column}" = case when "{flag}" is not null then null else "{column}" end'
        for column, flag in plan.flags.items()
    )
    con.execute(f"update {table} set {assignments}")


def row_key_sql(key: Sequence[str], alias: str | None = None) -> str:
    """The text naming a row in main.extract_withheld_cells: its key columns joined by `|`."""
    prefix = f"{alias}." if alias else ""
    return " || '|' || ".join(f"coalesce(cast({prefix}\"{c}\" as varchar), '')" for c in key)


def _has_withheld_cells(con: duckdb.DuckDBPyConnection) -> bool:
    schema, name = WITHHELD_CELLS.split(".")
    return _table_exists(con, schema, name)


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
    following month's row, and what the mart's own `derived` and `repeats` tie to them."""
    done = []
    for total in rule.totals_of:
        if not _table_exists(con, "marts", total.of_table):
            continue  # the mart totalled is not in this extract: nothing of it to work out
        plan = _total_plan(table, rule, total)
        _lone_withheld_groups(con, total, tuple(keys.get(total.of_table, ())), source)
        try:
            _add_flags(con, plan)
            flag = plan.flags[total.columns[0]]
            match = " and ".join(f'{LONE}."{c}" is not distinct from {table}."{c}"' for c in total.by)
            con.execute(
                f"update {table} set \"{flag}\" = '{TOTAL}' where exists (select 1 from {LONE} where {match})"
            )
            lone = _count(con, table, f'"{flag}" is not null')
            _settle(con, plan)
            second = _count(con, table, f'"{flag}" is not null') - lone
            _record_and_withhold(con, plan, key)
        finally:
            con.execute(f"drop table if exists {LONE}")
            _drop_flags(con, plan)
        done.append(
            Suppressed(
                table, f"{total.of_table}.{total.of_column}", lone + second, 0,
                (*total.columns, *total.year_to_date, *total.next_month), second,
            )
        )
    return done


def _total_plan(table: str, rule: IcbRows, total: TotalOf) -> _Plan:
    """The total (`columns[0]`) with what is worked out from it: the other listed columns in
    its row, its running totals from that month on, the next month's row's repeats; a second
    total by the mart's own `totals`; and the mart's own in-row ties (not its counts, done)."""
    own = _plan(table, IcbRows(provider_columns=("-",), repeats=rule.repeats, derived=rule.derived), TOTAL)
    first = total.columns[0]
    ties = [_Tie(first, column, TOTAL) for column in total.columns[1:]] + own.ties
    by = tuple(c for c in total.by if c != MONTH)
    running = []
    if total.year_to_date:
        running.append(_Running(by, MONTH, first, total.year_to_date, TOTAL))
    if total.next_month:
        running.append(_Running(by, MONTH, first, total.next_month, TOTAL, kind=NEXT_MONTH))
    columns = [*total.columns, *total.year_to_date, *total.next_month, *own.flags]
    flags = {column: f"__withheld_{number}" for number, column in enumerate(dict.fromkeys(columns))}
    complements = [(first, tuple(group), TOTAL) for group in rule.totals]
    return _Plan(table, flags, ties, running, complements, own.repeats)


LONE = "lone_withheld_groups"


def _lone_withheld_groups(
    con: duckdb.DuckDBPyConnection, total: TotalOf, part_key: tuple[str, ...], source: str
) -> None:
    """A temp table of the `by` groups of the mart totalled holding exactly one withheld
    non-zero cell of its column."""
    part = f'marts."{total.of_table}"'
    filters = tuple(c for c, _ in total.where)
    missing = [
        c for c in (*total.by, total.of_column, *part_key, *filters) if not _has_column(con, part, c)
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
    narrowed = "".join(f' and truth."{c}" = ?' for c in filters)
    con.execute(
        f"""
        create or replace temp table {LONE} as
        select {by} from {part} as shown
        inner join {source}.{part} as truth on {join}
        where shown.{column} is null and truth.{column} is not null and truth.{column} <> 0{narrowed}
        group by {by} having count(*) = 1
        """,
        [value for _, value in total.where],
    )


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
