"""An intruder's audit of a suppressed extract: small counts shown, and withheld cells worked
back out of the extract itself.

Independent of speccomm.publish.suppression on purpose (a test oracle): it does not read the
marts' `counts` / `totals` / `year_to_date` metadata, only which tables are row-level (those
go whole to an ICB allowed to see them) and each mart's grain (its unique-combination test).
It tries what an analyst with the extract and a spreadsheet would:

- **small counts**: every integer cell (and every activity or record count) of 1 to 7;
Columns whose every value shown is a multiple of 5 are taken as rounded and not used to work
anything out: a sum through them is right only by chance, and the intruder cannot tell.

- **repeated and derived columns**: for a withheld cell, any column of the same row, or a sum
  or difference of up to three of them, or a quotient or product of two, that equals the
  withheld column in every row where all are shown;
- **year to date**: a column whose month-on-month difference equals the withheld column (or
  the reverse: a withheld running total from its neighbour and the month);
- **across marts**: for every pair of extracted marts where the second's grain columns are
  all columns of the first (a coarser grain, or the same grain), a column of the second that
  is the sum of the withheld column over the first's rows sharing that grain (total minus
  parts: a group with one withheld cell gives it), or, on the same grain, equals it row by
  row. Money-only marts (no count column) are tried like any other.

An intruder trusts a relation that holds to the cent on most rows where it can be checked
(counts shown are rounded to 5, so a relation through a rounded count holds only by chance).
A recovery counts when the value worked out equals the true value in the published warehouse
(`truth`) to the cent and is not zero (a withheld zero counts no one).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import yaml

from speccomm.publish.extract_rules import MARTS_MODELS, IcbRows, marts_rules

# integer columns that count neither people nor activity (the oracle's own list)
NOT_COUNTS = {
    "financial_month",  # a month, 1 = April
    "providers",  # organisations in a flow
    "comparison_icbs",  # ICBs in a comparison group
    "comparators",
    "registered_population",  # whole ICB populations
    "weighted_population",
    "providers_expected",
    "providers_reported",
    "files_stating",
    "months_reported",
    "months_expected",
    "months_submitted",
    "plan_months",
    "files_stating_slice",  # files of a provider's month
    "file_id",  # lineage: the landing file and its row
    "source_row",
    "budget_version",  # the V<N> of an ICB's budget file
    "missing_provider_months",  # provider-months without a submission
    "host_missing_provider_months",  # the same, at the providers an ICB hosts
}
INTEGER_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
)
COUNT_WORDS = ("activity", "records")  # decimal counts (units of activity, bed days)
MIN_EVIDENCE = 3  # non-zero rows on which a relation must hold before an intruder trusts it
MOSTLY = 0.8  # the share of the (non-zero) rows where it can be checked on which it holds
CENT = 0.005


@dataclass(frozen=True)
class Finding:
    table: str
    column: str
    method: str
    cells: int
    example: str = ""


def grains() -> dict[str, tuple[str, ...]]:
    """Each mart's grain: the columns of its unique-combination test."""
    found: dict[str, tuple[str, ...]] = {}
    for path in sorted(MARTS_MODELS.rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models") or []:
            for test in model.get("data_tests") or []:
                if isinstance(test, dict) and "unique_combination_of_columns" in test:
                    spec = test["unique_combination_of_columns"]
                    columns = (spec.get("arguments") or spec).get("combination_of_columns")
                    if columns:
                        found[model["name"]] = tuple(columns)
    return found


def aggregate_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rules = marts_rules()
    tables = [
        t
        for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
        ).fetchall()
    ]
    return [t for t in tables if isinstance(rules.get(t), IcbRows) and not rules[t].row_level]


def _types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    return dict(
        con.execute(
            "select column_name, data_type from information_schema.columns where table_schema = 'marts'"
            " and table_name = ? order by ordinal_position",
            [table],
        ).fetchall()
    )


def _is_number(kind: str) -> bool:
    return kind.startswith("DECIMAL") or kind in INTEGER_TYPES or kind in ("DOUBLE", "FLOAT")


def _is_count(column: str, kind: str) -> bool:
    if column in NOT_COUNTS or column.endswith("_key"):
        return False
    return kind in INTEGER_TYPES or (
        kind.startswith("DECIMAL")
        and any(w in column for w in COUNT_WORDS)
        and "pct" not in column
        and "per_100k" not in column
    )


def small_counts(extract: Path) -> list[Finding]:
    found = []
    with duckdb.connect(str(extract), read_only=True) as con:
        for table in aggregate_tables(con):
            for column, kind in _types(con, table).items():
                if not _is_count(column, kind):
                    continue
                (cells,) = con.execute(
                    f'select count(*) from marts."{table}" where abs("{column}") > 0 and abs("{column}") <= 7'
                ).fetchone()
                if cells:
                    found.append(Finding(table, column, "count of 1-7 shown", cells))
    return found


@dataclass
class Frames:
    """One table of the extract and the same rows in the published warehouse."""

    shown: pd.DataFrame
    truth: pd.DataFrame
    numbers: list[str]
    grain: tuple[str, ...]


def load(extract: Path, truth: Path) -> dict[str, Frames]:
    keys = grains()
    frames = {}
    with duckdb.connect(str(extract), read_only=True) as con:
        con.execute(f"attach '{truth}' as truth (read_only)")
        for table in aggregate_tables(con):
            grain = keys.get(table)
            types = _types(con, table)
            if not grain or not all(c in types for c in grain):
                continue
            numbers = [c for c, kind in types.items() if _is_number(kind) and c not in grain]
            columns = ", ".join(f'e."{c}"' for c in types if c != "extract_icb_code")
            true_columns = ", ".join(f't."{c}" as "{c}"' for c in numbers)
            shown = con.execute(f'select {columns} from marts."{table}" as e order by all').df()
            con.register("shown_rows", shown[list(grain)].assign(position=range(len(shown))))
            join = " and ".join(f's."{c}" is not distinct from t."{c}"' for c in grain)
            truth_frame = con.execute(
                f'select {true_columns} from shown_rows as s inner join truth.marts."{table}" as t on {join}'
                " order by s.position"
            ).df()
            con.unregister("shown_rows")
            if len(truth_frame) != len(shown):  # a grain that is not unique here: skip, said by the test
                continue
            frames[table] = Frames(shown, truth_frame, numbers, grain)
    return frames


def _values(frame: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(frame[column], errors="coerce").astype(float).to_numpy()


def _withheld(frames: Frames, column: str) -> np.ndarray:
    """Cells shown empty that an intruder must not learn: a count of 1 to 7 (other counts are
    published to the nearest 5 anyway), or any other figure but zero (a withheld zero counts
    no one)."""
    return _sensitive(column, _values(frames.truth, column)) & np.isnan(_values(frames.shown, column))


def _sensitive(column: str, true: np.ndarray) -> np.ndarray:
    if _is_count(column, "DECIMAL"):
        return ~np.isnan(true) & (np.abs(true) > 0) & (np.abs(true) <= 7)
    return ~np.isnan(true) & (true != 0)


def derived_columns(frames: dict[str, Frames]) -> list[Finding]:
    """Sums and differences of up to three shown columns (three: money), quotients and
    products of two, that equal the withheld column in (nearly) every row where all are shown."""
    found = []
    for table, f in frames.items():
        shown = {c: _values(f.shown, c) for c in f.numbers}
        for target in f.numbers:
            hidden = _withheld(f, target)
            if not hidden.any():
                continue
            true = _values(f.truth, target)
            others = [c for c in f.numbers if c != target and not _rounded(f.shown, c)]
            recovered = np.zeros(len(hidden), dtype=bool)
            how = ""
            for formula, value in _formulas(shown, others):
                if not _holds(shown[target], value):
                    continue
                hits = hidden & ~np.isnan(value) & (np.abs(value - true) <= CENT)
                if hits.any() and not how:  # the first formula that works, for the message
                    how = formula
                recovered |= hits
            if recovered.any():
                found.append(Finding(table, target, f"derived in the row ({how})", int(recovered.sum())))
    return found


def _rounded(shown: pd.DataFrame, column: str) -> bool:
    """A column whose every value shown is a multiple of 5: rounded, so nothing worked out
    through it is certain (the intruder cannot tell a lucky guess from a recovery)."""
    values = _values(shown, column)
    values = values[~np.isnan(values)]
    return bool(len(values)) and bool(np.all(np.mod(values, 5) == 0))


def _holds(target: np.ndarray, value: np.ndarray) -> bool:
    """An exact relation an intruder would trust: it holds to the cent on most of the rows
    where both are shown and the target is not zero (counts shown are rounded, so a relation
    with a count holds only by chance)."""
    known = ~np.isnan(target) & ~np.isnan(value) & (target != 0)
    if int(known.sum()) < MIN_EVIDENCE:
        return False
    close = np.abs(value[known] - target[known]) <= CENT
    return bool(close.sum() >= MIN_EVIDENCE and close.mean() >= MOSTLY)


def _formulas(shown: dict[str, np.ndarray], others: list[str]) -> Iterator[tuple[str, np.ndarray]]:
    for a in others:
        yield a, shown[a]
    for a, b in itertools.combinations(others, 2):
        yield f"{a} + {b}", shown[a] + shown[b]
        yield f"{a} - {b}", shown[a] - shown[b]
        yield f"{b} - {a}", shown[b] - shown[a]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            yield f"{a} / {b}", np.round(shown[a] / shown[b], 2)
            yield f"{b} / {a}", np.round(shown[b] / shown[a], 2)
            yield f"{a} * {b}", np.round(shown[a] * shown[b], 2)
    money = [c for c in others if "gbp" in c]
    for a, b, c in itertools.combinations(money, 3):
        for sb, sc in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
            yield f"{a} {'+-'[sb < 0]} {b} {'+-'[sc < 0]} {c}", shown[a] + sb * shown[b] + sc * shown[c]
            yield f"-{a} {'+-'[sb < 0]} {b} {'+-'[sc < 0]} {c}", -shown[a] + sb * shown[b] + sc * shown[c]


def year_to_date(frames: dict[str, Frames]) -> list[Finding]:
    """A running total Y of a monthly column C: C(m) = Y(m) - Y(m-1), Y(m) = Y(m-1) + C(m),
    Y(m) = Y(m+1) - C(m+1)."""
    found = []
    for table, f in frames.items():
        if "financial_month" not in f.grain:
            continue
        by = [c for c in f.grain if c != "financial_month"]
        order = f.shown.sort_values([*by, "financial_month"]).index
        shown, truth = f.shown.loc[order].reset_index(drop=True), f.truth.loc[order].reset_index(drop=True)
        same = np.ones(len(shown), dtype=bool)
        same[0] = False
        for c in by:
            column = shown[c].astype(str).to_numpy()
            same[1:] &= column[1:] == column[:-1]
        month = shown["financial_month"].to_numpy()
        consecutive = same.copy()
        consecutive[1:] &= month[1:] == month[:-1] + 1
        first = month == 1
        values = {c: _values(shown, c) for c in f.numbers}
        true = {c: _values(truth, c) for c in f.numbers}
        exact = [c for c in f.numbers if not _rounded(f.shown, c)]
        for monthly, running in itertools.permutations(exact, 2):
            c, y = values[monthly], values[running]
            previous = np.concatenate([[np.nan], y[:-1]])
            previous = np.where(consecutive, previous, np.where(first, 0.0, np.nan))
            if not _holds(c, y - previous):
                continue
            guesses = {
                monthly: y - previous,
                running: np.where(np.isnan(previous), np.nan, previous + c),
            }
            following_c = np.concatenate([c[1:], [np.nan]])
            following_y = np.concatenate([y[1:], [np.nan]])
            following_ok = np.concatenate([consecutive[1:], [False]])
            back = np.where(following_ok, following_y - following_c, np.nan)
            for column, guess in guesses.items():
                if column == running:
                    guess = np.where(np.isnan(guess), back, guess)
                hidden = np.isnan(values[column]) & _sensitive(column, true[column])
                hits = hidden & ~np.isnan(guess) & (np.abs(guess - true[column]) <= CENT)
                if hits.any():
                    found.append(
                        Finding(table, column, f"year to date ({running} from {monthly})", int(hits.sum()))
                    )
    return found


def total_minus_parts(frames: dict[str, Frames]) -> list[Finding]:
    """A column T of table B equal to the sum of column C of table A over the rows sharing B's
    grain (every column of B's grain is a column of A): a group with one withheld C gives it
    as T minus the rest. When the two share a grain a group is one row, and T equal to C row
    by row gives it. Every pair of marts both ways, money-only marts (which count nothing)
    included."""
    found = []
    for (part_table, a), (total_table, b) in itertools.permutations(frames.items(), 2):
        common = [c for c in b.grain if c in a.shown.columns]
        if len(common) != len(b.grain):
            continue
        parts = [c for c in a.numbers if not _rounded(a.shown, c) and _withheld(a, c).any()]
        totals = [c for c in b.numbers if not _rounded(b.shown, c)]
        if not parts or not totals:
            continue
        keys = a.shown[common].astype(str)
        # B's candidate totals by its grain (unique: it is B's grain), matched once to A's groups
        by_grain = b.shown[common].astype(str).assign(**{c: _values(b.shown, c) for c in totals})
        by_grain = by_grain.set_index(common)
        for part in parts:
            found += _sums(part_table, a, part, keys, total_table, by_grain, common)
    return found


def _sums(
    table: str, a: Frames, part: str, keys: pd.DataFrame, total_table: str, totals: pd.DataFrame,
    common: list[str],
) -> list[Finding]:
    """Column `part` of A's rows summed by `common` (A's `keys`), against each column of
    `totals` (B's candidate totals indexed by the same columns)."""
    hidden = _withheld(a, part)
    value = _values(a.shown, part)
    parts = keys.assign(value=value, true=_values(a.truth, part), hidden=hidden, missing=np.isnan(value))
    # a sum skips the empty cells (0 for a group of empty cells only), as an intruder's would
    groups = parts.groupby(common, dropna=False).agg(
        shown_sum=("value", "sum"), missing=("missing", "sum"), hidden=("hidden", "sum")
    )
    hidden_true = parts[parts["hidden"]].groupby(common, dropna=False)["true"].sum()
    joined_all = groups.join(totals, how="inner")
    found = []
    for total in totals.columns:
        joined = joined_all[joined_all[total].notna()]
        complete = joined[joined["missing"] == 0]
        if not _holds(complete[total].to_numpy(float), complete["shown_sum"].to_numpy(float)):
            continue
        single = joined[(joined["hidden"] == 1) & (joined["missing"] == 1)]
        if single.empty:
            continue
        guess = single[total] - single["shown_sum"]
        truth = hidden_true.reindex(single.index)
        hits = int((np.abs(guess - truth) <= CENT).sum())
        if hits:
            found.append(Finding(table, part, f"total minus parts ({total_table}.{total} by {common})", hits))
    return found


def audit(extract: Path, truth: Path) -> list[Finding]:
    frames = load(extract, truth)
    return small_counts(extract) + derived_columns(frames) + year_to_date(frames) + total_minus_parts(frames)
