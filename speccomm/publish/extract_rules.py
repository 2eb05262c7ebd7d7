"""Which rows of each published table an extract may take away, and how: one declared rule
per table.

The Pathfinder's rule: an ICB sees the data on **its own patients and its own providers** —
a row is in the extract of a footprint (one ICB, or several under a data-sharing agreement)
when one of its ICB columns is a footprint ICB, or names an ICB whose population a footprint
ICB holds today (`dim_icb.current_icb_code`: history on today's boundaries), or its provider
is hosted by a footprint ICB (`dim_provider_host`, at any time, or `dim_provider`). Shared
dimensions (reference data) go whole.

Aggregate marts have their small numbers suppressed (`Aggregate.counts`, see
speccomm.publish.suppression). Row-level facts (`row_level=True`) go to one ICB about its own
data, and to a footprint of several ICBs only under a sharing agreement that allows row-level
data (seed `data_sharing_agreements`).

The rules live with each mart, in its YAML's `config.meta.extract` (one home: the model's
metadata, beside its grain and key; docs/architecture.md, "Where does my change go"):

    extract: shared                                   # reference data, every row
    extract: {withheld: "why it never leaves"}        # decided: not in extracts
    extract:
      icb_columns: [icb_code]                         # any of them a footprint ICB
      provider_columns: [provider_code]               # or a provider a footprint ICB hosts
      counts: {activity: [price_gbp]}                 # suppressed, with what goes with them
      repeats: {price_paying_gbp: [price_gbp]}        # a column repeating one of these in each row
      derived: {price_gbp: [variance_gbp]}            # a figure: the figures worked out from it
      totals: [[provider_code, financial_year]]       # groups whose total is known: a second cell goes
      year_to_date:                                   # running totals over financial_month
        by: [provider_code, financial_year]
        columns: {price_gbp: [ytd_price_gbp]}
      totals_of:                                      # this mart's cells that total another mart's
        - of: rpt_other.price_gbp                     # its column, over the rows sharing `by`
          by: [provider_code, financial_year]
          columns: [total_gbp, variance_gbp]          # withheld where one cell of `of` is alone
          year_to_date: [ytd_total_gbp]               # (optional) from that month on
          next_month: [previous_month_gbp]            # (optional) in the following month's row
      row_level: true                                 # one row per record

`counts` names every column that counts people or activity (records, spells, attendances,
units of activity, rows of activity): a count of 1 to 7 is withheld with the columns listed
after it (every figure derived from it: its pounds, unit prices, variances, shares), every
other count is rounded. `repeats` names a column that, row by row, repeats one of several
others (the pounds on the basis in force): in a row where it equals one of them, either
withheld withholds the other. `derived` names, for a figure that is not a count (pounds), the
figures of its row worked out from it with others shown (a variance, a like-for-like figure):
withheld with it whatever withheld it. One rule joins them (speccomm.publish.suppression): a
cell withheld for any reason — a small count, a complementary cell, a running total, a total
of another mart's withheld cell — withholds what its `counts`, `derived` and `repeats` tie to
it, repeated until nothing more is withheld.
`totals` names the groups of
rows whose total a reader can find (in the mart, in another mart, by summing): a group where
only one cell of a count is withheld loses a second one (its smallest other non-zero cell,
with its columns), so total minus parts never gives a withheld cell. `year_to_date` names the
running totals: when a month's column is withheld, the listed year-to-date columns are
withheld in that month and every later month of the running total (`by`), so consecutive
year-to-date figures never give a withheld month. `totals_of` names this mart's cells that
total a column of another mart over groups of its rows (a money-only mart's pounds over a
suppressed mart's rows): where a group holds exactly one withheld non-zero cell of that column,
the listed columns are withheld in the group's row here (its `year_to_date` columns from
that month on, its `next_month` columns in the following month's row), and a second total by
this mart's own `totals` where one would be alone, so total minus parts across marts never
gives it (applied after every mart is suppressed). docs/bi-access.md.

Fail closed: a table of schema `marts` whose model states no rule is not exported, and neither
is a table whose rule names a column the table does not have. So a new mart never leaks: it
stays out of the extracts until someone decides its rule. A rule that does not parse stops the
extract, naming the file, the model and the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from speccomm.config import PROJECT_ROOT

MARTS_MODELS = PROJECT_ROOT / "models" / "marts"

ROW = "extracted_row"  # the alias of the table being extracted in IcbRows' SQL


@dataclass(frozen=True)
class Shared:
    """Reference data every ICB may hold whole."""

    def columns(self) -> tuple[str, ...]:
        return ()

    def describe(self) -> str:
        return "shared dimension: every row"


@dataclass(frozen=True)
class NotExtracted:
    """A mart decided to stay out of every extract, with the reason."""

    reason: str

    def columns(self) -> tuple[str, ...]:
        return ()

    def describe(self) -> str:
        return f"not extracted: {self.reason}"


@dataclass(frozen=True)
class YearToDate:
    """Running totals over `financial_month` within each group of `by`: `columns` maps a
    month's column to the year-to-date columns that sum it (or are computed from such sums)."""

    by: tuple[str, ...]
    columns: dict[str, tuple[str, ...]]
    month: str = "financial_month"

    def columns_named(self) -> tuple[str, ...]:
        running = tuple(c for values in self.columns.values() for c in values)
        return (*self.by, self.month, *self.columns, *running)


@dataclass(frozen=True)
class TotalOf:
    """This mart's `columns` total `of_column` of mart `of_table` over its rows sharing `by`
    (or are worked out from such a total): withheld in a group where exactly one non-zero
    cell of `of_column` is withheld, so the total minus the parts shown cannot give it;
    `year_to_date` from that month to the year's end and `next_month` in the following
    month's row (the previous month's figure, the month-on-month movement). `where` (column,
    value) pairs narrow the parts to the rows the total adds up (a green-only total of a mart
    of every stream): a lone withheld part among them is the total minus the others."""

    of_table: str
    of_column: str
    by: tuple[str, ...]
    columns: tuple[str, ...]
    year_to_date: tuple[str, ...] = ()  # running totals of columns[0]: from the month withheld on
    next_month: tuple[str, ...] = ()  # the following month's row's columns that give it back
    where: tuple[tuple[str, str], ...] = ()  # the parts it totals: rows of the mart with these values


@dataclass(frozen=True)
class IcbRows:
    """Rows where any `icb_columns` is a footprint ICB (or an ICB whose population a footprint
    ICB holds today), or any `provider_columns` is a provider a footprint ICB hosts. NULLs
    match nothing, so national or unattributed rows stay out.

    `counts`: count columns suppressed in the extract (1-7 withheld, the rest rounded), each
    with the columns withheld along with it when it is (money or shares derived from it).
    `repeats`: a column repeating one of the listed columns in each row, withheld with it
    (and it with the column) where the two are equal.
    `derived`: a figure (not a count) -> the figures of its row worked out from it, withheld
    with it whatever withheld it.
    `totals`: groups of rows (column lists) whose totals are known: complementary suppression.
    `year_to_date`: running totals withheld from a withheld month on.
    `totals_of`: this mart's cells totalling another mart's column, withheld where its group
    holds a lone withheld cell.
    `row_level`: one row per record; shared across ICBs only under a sharing agreement."""

    icb_columns: tuple[str, ...] = ()
    provider_columns: tuple[str, ...] = ()
    counts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    repeats: dict[str, tuple[str, ...]] = field(default_factory=dict)
    derived: dict[str, tuple[str, ...]] = field(default_factory=dict)
    totals: tuple[tuple[str, ...], ...] = ()
    year_to_date: YearToDate | None = None
    totals_of: tuple[TotalOf, ...] = ()
    row_level: bool = False

    def columns(self) -> tuple[str, ...]:
        linked = tuple(c for values in self.counts.values() for c in values)
        grouped = tuple(c for group in self.totals for c in group)
        grouped += tuple(self.repeats) + tuple(c for values in self.repeats.values() for c in values)
        grouped += tuple(self.derived) + tuple(c for values in self.derived.values() for c in values)
        running = self.year_to_date.columns_named() if self.year_to_date else ()
        totalled = tuple(
            c
            for total in self.totals_of
            for c in (*total.by, *total.columns, *total.year_to_date, *total.next_month)
        )
        return (
            *self.icb_columns, *self.provider_columns, *self.counts, *linked, *grouped, *running, *totalled
        )

    def describe(self) -> str:
        parts = [f"{c} = ICB" for c in self.icb_columns]
        parts += [f"{c} hosted by ICB" for c in self.provider_columns]
        kind = "row-level; " if self.row_level else ""
        return kind + " or ".join(parts)

    def where(self) -> str:
        """Needs the extract's temp tables footprint_icbs(icb_code, footprint_icb_code) and
        footprint_providers(provider_code, footprint_icb_code)."""
        parts = [f'{ROW}."{c}" in (select icb_code from footprint_icbs)' for c in self.icb_columns]
        parts += [
            f'{ROW}."{c}" in (select provider_code from footprint_providers)' for c in self.provider_columns
        ]
        return " or ".join(parts)

    def extract_icb(self) -> str:
        """The footprint ICB a row is in the extract for: its first ICB column that is (or is
        held today by) a footprint ICB, else the ICB hosting its provider."""
        lookups = [
            f'(select f.footprint_icb_code from footprint_icbs as f where f.icb_code = {ROW}."{c}")'
            for c in self.icb_columns
        ]
        lookups += [
            "(select min(f.footprint_icb_code) from footprint_providers as f"
            f' where f.provider_code = {ROW}."{c}")'
            for c in self.provider_columns
        ]
        return lookups[0] if len(lookups) == 1 else f"coalesce({', '.join(lookups)})"


Rule = Shared | NotExtracted | IcbRows

# schema `dq`: the data-quality results of the footprint's providers (and ICB ledgers), by the
# provider_code column; row samples of failures (raw values, record references) are not shared.
DQ_TABLES: tuple[str, ...] = ("dq_check_results", "dqmi_scores", "dqmi_item_scores", "dq_slam_submissions")

_ICB_ROWS_FIELDS = {
    "icb_columns",
    "provider_columns",
    "counts",
    "repeats",
    "derived",
    "totals",
    "year_to_date",
    "totals_of",
    "row_level",
}


class ExtractRuleError(ValueError):
    """A mart's `config.meta.extract` that does not parse: names the file, model and field."""


def parse_rule(value: Any, where: str) -> Rule:
    """One mart's `extract` metadata as a rule; `where` is "<file>: <model>" for the error."""
    if value == "shared":
        return Shared()
    if not isinstance(value, dict):
        raise ExtractRuleError(f"{where}: config.meta.extract must be 'shared' or a mapping, not {value!r}")
    if "withheld" in value:
        reason = value["withheld"]
        if set(value) != {"withheld"} or not isinstance(reason, str) or not reason.strip():
            raise ExtractRuleError(f"{where}: config.meta.extract.withheld must be the only field, a reason")
        return NotExtracted(reason.strip())
    unknown = sorted(set(value) - _ICB_ROWS_FIELDS)
    if unknown:
        raise ExtractRuleError(f"{where}: config.meta.extract has unknown fields {unknown}")
    icbs = _names(value.get("icb_columns", []), f"{where}: config.meta.extract.icb_columns")
    providers = _names(value.get("provider_columns", []), f"{where}: config.meta.extract.provider_columns")
    if not icbs and not providers:
        raise ExtractRuleError(f"{where}: config.meta.extract names no icb_columns or provider_columns")
    linked = _column_map(value, "counts", "map a count column to a list", where)
    repeated = _column_map(value, "repeats", "map a column to the columns it repeats", where)
    worked_out = _column_map(value, "derived", "map a figure to the figures worked out from it", where)
    totals = value.get("totals", [])
    if not isinstance(totals, list):
        raise ExtractRuleError(f"{where}: config.meta.extract.totals must be a list of column lists")
    groups = tuple(
        _names(group, f"{where}: config.meta.extract.totals[{number}]") for number, group in enumerate(totals)
    )
    row_level = value.get("row_level", False)
    if not isinstance(row_level, bool):
        raise ExtractRuleError(f"{where}: config.meta.extract.row_level must be true or false")
    return IcbRows(
        icb_columns=icbs,
        provider_columns=providers,
        counts=linked,
        repeats=repeated,
        derived=worked_out,
        totals=groups,
        year_to_date=_year_to_date(value.get("year_to_date"), f"{where}: config.meta.extract.year_to_date"),
        totals_of=_totals_of(value.get("totals_of", []), f"{where}: config.meta.extract.totals_of"),
        row_level=row_level,
    )


def _column_map(value: dict[str, Any], name: str, must: str, where: str) -> dict[str, tuple[str, ...]]:
    """`config.meta.extract.<name>`: a column -> a list of columns (empty when absent)."""
    found = value.get(name, {})
    if not isinstance(found, dict):
        raise ExtractRuleError(f"{where}: config.meta.extract.{name} must {must}")
    return {
        str(column): _names(columns, f"{where}: config.meta.extract.{name}.{column}")
        for column, columns in found.items()
    }


def _year_to_date(value: Any, where: str) -> YearToDate | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"by", "columns"}:
        raise ExtractRuleError(f"{where} must be a mapping of `by` (column list) and `columns`")
    columns = value["columns"]
    if not isinstance(columns, dict) or not columns:
        raise ExtractRuleError(f"{where}.columns must map a month's column to its year-to-date columns")
    running = {str(month): _names(ytd, f"{where}.columns.{month}") for month, ytd in columns.items()}
    return YearToDate(_names(value["by"], f"{where}.by"), running)


TOTAL_OF_FIELDS = {"of", "by", "columns", "year_to_date", "next_month", "where"}


def _totals_of(value: Any, where: str) -> tuple[TotalOf, ...]:
    if not isinstance(value, list):
        raise ExtractRuleError(f"{where} must be a list of mappings of `of`, `by` and `columns`")
    found = []
    for number, entry in enumerate(value):
        here = f"{where}[{number}]"
        if not isinstance(entry, dict) or not {"of", "by", "columns"} <= set(entry) <= TOTAL_OF_FIELDS:
            raise ExtractRuleError(
                f"{here} must be a mapping of `of`, `by`, `columns` (and optionally `year_to_date`,"
                " `next_month`, `where`)"
            )
        of = entry["of"]
        if not isinstance(of, str) or of.count(".") != 1 or not all(of.split(".")):
            raise ExtractRuleError(f"{here}.of must name another mart's column as mart.column, not {of!r}")
        table, column = of.split(".")
        by = _names(entry["by"], f"{here}.by")
        running = _names(entry.get("year_to_date", []), f"{here}.year_to_date")
        following = _names(entry.get("next_month", []), f"{here}.next_month")
        if (running or following) and "financial_month" not in by:
            raise ExtractRuleError(f"{here}: year_to_date and next_month need financial_month in `by`")
        columns = _names(entry["columns"], f"{here}.columns")
        if not columns:
            raise ExtractRuleError(f"{here}.columns must name at least the total")
        where_parts = _where(entry.get("where", {}), f"{here}.where")
        found.append(TotalOf(table, column, by, columns, running, following, where_parts))
    return tuple(found)


def _where(value: Any, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and k and isinstance(v, str) and v for k, v in value.items()
    ):
        raise ExtractRuleError(f"{where} must be a mapping of column names to text values")
    return tuple(sorted(value.items()))


def _names(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ExtractRuleError(f"{where} must be a list of column names")
    return tuple(value)


def rules_in(folder: Path) -> dict[str, Rule]:
    """Model name -> rule, for every model in `folder`'s YAML files that states one."""
    rules: dict[str, Rule] = {}
    for path in sorted(folder.rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models") or []:
            meta = (model.get("config") or {}).get("meta") or {}
            if "extract" in meta:
                rules[model["name"]] = parse_rule(meta["extract"], f"{path.name}: {model['name']}")
    return rules


def keys_in(folder: Path) -> dict[str, tuple[str, ...]]:
    """Model name -> its `config.meta.primary_key` columns, for every model that states one."""
    keys: dict[str, tuple[str, ...]] = {}
    for path in sorted(folder.rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models") or []:
            key = ((model.get("config") or {}).get("meta") or {}).get("primary_key")
            if isinstance(key, list) and all(isinstance(c, str) for c in key):
                keys[model["name"]] = tuple(key)
    return keys


@cache
def grain_columns() -> dict[str, tuple[str, ...]]:
    """Model name -> the columns naming one row: its unique-combination test, else its
    `config.meta.primary_key` (every model of the project: marts and dq)."""
    grains: dict[str, tuple[str, ...]] = {}
    for path in sorted((PROJECT_ROOT / "models").rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models") or []:
            for test in model.get("data_tests") or []:
                spec = test.get("unique_combination_of_columns") if isinstance(test, dict) else None
                columns = ((spec.get("arguments") or spec) if isinstance(spec, dict) else {}).get(
                    "combination_of_columns"
                )
                if isinstance(columns, list) and model["name"] not in grains:
                    grains[model["name"]] = tuple(str(c) for c in columns)
            key = ((model.get("config") or {}).get("meta") or {}).get("primary_key")
            if model["name"] not in grains and isinstance(key, list):
                grains[model["name"]] = tuple(str(c) for c in key)
    return grains


@cache
def marts_keys() -> dict[str, tuple[str, ...]]:
    """The published marts' primary keys, from their models' metadata."""
    return keys_in(MARTS_MODELS)


@cache
def marts_rules() -> dict[str, Rule]:
    """The published marts' rules (schema `marts`), from their models' metadata."""
    return rules_in(MARTS_MODELS)
