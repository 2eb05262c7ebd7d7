"""The check registry (seeds/reference/dq_checks.csv) and its batches (dq_check_batches.csv),
read from the project's files: where a check is defined.

A *check* is one row of the registry: id, dataset, batch, words and numbers (title, severity,
tolerance, meaning, fix), how a row fails, the raw column shown in samples, the DQMI item it
measures and the Great Expectations expectation that states its rule (or, in `flag_reason`,
why GX cannot: the check model then computes a `fails_<check_id>` flag). A *batch* is a dbt
model in `models/dq/checks/` (a view in schema `dq_checks`) returning one row per record with
the slice columns, the context columns, the raw values and the column(s) each check's
expectation reads, for the slices in `dq_checks.dq_check_scope`; another check model
fingerprints its slices. dbt builds both seeds too (reference.dq_checks,
reference.dq_check_batches), so the runner, the generator, the docs tables, the DQMI item map
and the reports read the same rows. The runner's steps (speccomm.quality.runner) start here;
the GX suites are built from these rows by speccomm.quality.suites. Reading the registry does
not import Great Expectations (the generator and the docs tables read it too).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from speccomm.config import SEEDS_DIR

DATASETS = ("slam", "sus", "ledger")
CHECK_SCHEMA = "dq_checks"  # models/dq/checks/ (dbt_project.yml)
SCOPE_RELATION = f"{CHECK_SCHEMA}.dq_check_scope"  # a source the runner writes (models/dq/_dq__sources.yml)
REGISTRY = "dq_checks.csv"
BATCHES = "dq_check_batches.csv"
SLICE_COLUMNS = ("provider_code", "financial_year", "financial_month")
CONTEXT_COLUMNS = ("source_file", "source_row", "record_ref", "service_line_code", "pod_code", "context")
DQMI_ROLES = ("incomplete", "invalid", "default")
SEVERITIES = ("warn", "error")
# The expectations a registry row may state its rule with: GX's row-level (map) expectations on
# one column, a pair of columns or a compound key, where each failing row is one 'unexpected'
# row, so failures are counted per slice and their context returned (GX's result format).
# Aggregate expectations (a mean, a row count) have no failing rows to count or show.
RULE_EXPECTATIONS = frozenset({
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_between",
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_not_be_in_set",
    "expect_column_values_to_match_regex",
    "expect_column_values_to_not_match_regex",
    "expect_column_values_to_be_unique",
    "expect_column_pair_values_to_be_equal",
    "expect_column_pair_values_a_to_be_greater_than_b",
    "expect_compound_columns_to_be_unique",
})
FLAG_EXPECTATION = "expect_column_values_to_be_in_set"
# The kwargs naming the column(s) an expectation reads (one column, a pair, a compound key).
COLUMN_KWARGS = ("column", "column_A", "column_B", "column_list")
# Set by the runner for every expectation, never by a registry row.
RUNNER_KWARGS = ("mostly", "result_format", "meta", "description")


@dataclass(frozen=True)
class Batch:
    """One set of rows validated together: a check model and how its slices are fingerprinted."""

    dataset: str
    name: str
    description: str
    model: str  # a view in schema dq_checks (models/dq/checks/<model>.sql)
    fingerprint_model: str  # likewise: provider_code, financial_year, financial_month, part, row_count
    requires: str | None  # a relation that may not exist yet: then the batch is skipped
    primary: bool  # the dataset's main rows: a slice with rows here counts as submitted

    @property
    def key(self) -> str:
        return f"{self.dataset}.{self.name}"

    @property
    def relation(self) -> str:
        return f"{CHECK_SCHEMA}.{self.model}"

    @property
    def fingerprint_relation(self) -> str:
        return f"{CHECK_SCHEMA}.{self.fingerprint_model}"

    @property
    def fingerprint_key(self) -> str:
        return f"{self.dataset}.{self.fingerprint_model}"


@dataclass(frozen=True)
class Check:
    """One check id on one dataset: a row of the registry."""

    check_id: str
    dataset: str
    batch: str
    severity: str  # warn or error
    max_failure_rate: float  # the share of a slice's rows that may fail and the slice still pass
    fails_when: str
    columns: tuple[str, ...]  # the check model's columns the expectation reads
    raw_value: str
    dqmi_item: str | None
    dqmi_role: str | None  # incomplete, invalid or default
    # The rule as GX states it: the registry's expectation on real columns of the check model,
    # or, where GX cannot state it (flag_reason: a join to reference data by date, other rows, a
    # mart), the model's flag: expect_column_values_to_be_in_set(fails_<check_id>, [false]).
    expectation: str = FLAG_EXPECTATION
    kwargs: dict[str, object] = field(default_factory=dict)
    flag_reason: str | None = None

    @property
    def is_flag(self) -> bool:
        return self.columns == (f"fails_{self.check_id}",)


@dataclass(frozen=True)
class DatasetChecks:
    """One dataset's batches and checks, in the registry's order."""

    dataset: str
    batches: tuple[Batch, ...]
    checks: tuple[Check, ...]

    def checks_of(self, batch: Batch) -> list[Check]:
        return [check for check in self.checks if check.batch == batch.name]

    def batch(self, name: str) -> Batch:
        return next(batch for batch in self.batches if batch.name == name)


def load_registry(seeds: Path = SEEDS_DIR) -> list[DatasetChecks]:
    """The three datasets' batches and checks (slam, sus, ledger), validated for consistency."""
    batches = _read(seeds / BATCHES)
    checks = _read(seeds / REGISTRY)
    _validate_words(checks)
    return [_dataset(dataset, batches, checks) for dataset in DATASETS]


def check_ids(dataset: str, batch: str | None = None, seeds: Path = SEEDS_DIR) -> tuple[str, ...]:
    """The ids of a dataset's checks (of one batch), in the registry's order."""
    found = next(s for s in load_registry(seeds) if s.dataset == dataset)
    return tuple(c.check_id for c in found.checks if batch is None or c.batch == batch)


def registry_rows(seeds: Path = SEEDS_DIR) -> list[dict[str, str]]:
    """The registry's rows as written (one per check x dataset), in file order."""
    return _read(seeds / REGISTRY)


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [{key: (value or "").strip() for key, value in row.items()} for row in csv.DictReader(handle)]


def _dataset(
    dataset: str, batch_rows: list[dict[str, str]], check_rows: list[dict[str, str]]
) -> DatasetChecks:
    batches = tuple(
        Batch(
            dataset=dataset,
            name=row["batch"],
            description=row["description"],
            model=row["model"],
            fingerprint_model=row["fingerprint_model"],
            requires=row["requires"] or None,
            primary=row["is_primary"] == "true",
        )
        for row in batch_rows
        if row["dataset"] == dataset
    )
    checks = tuple(_check(row) for row in check_rows if row["dataset"] == dataset)
    _validate(dataset, batches, checks)
    return DatasetChecks(dataset=dataset, batches=batches, checks=checks)


def _check(row: dict[str, str]) -> Check:
    where = f"{REGISTRY}: check {row['check_id']} ({row['dataset']})"
    flag = f"fails_{row['check_id']}"
    expectation = row.get("expectation") or FLAG_EXPECTATION
    kwargs = _kwargs(row) if row.get("expectation") else {"column": flag, "value_set": [False]}
    if expectation not in RULE_EXPECTATIONS:
        raise ValueError(
            f"{where} states expectation {expectation}, not one of {sorted(RULE_EXPECTATIONS)}"
        )
    reason = row.get("flag_reason") or None
    if row.get("expectation") and reason:
        raise ValueError(
            f"{where} states both an expectation and a flag_reason: GX states the rule, or says why not"
        )
    if not row.get("expectation") and not reason:
        raise ValueError(
            f"{where} has no expectation: state the rule in GX, or say in flag_reason why GX cannot "
            f"(its check model then computes {flag})"
        )
    return Check(
        check_id=row["check_id"],
        dataset=row["dataset"],
        batch=row["batch"],
        severity=row["severity"],
        max_failure_rate=float(row["max_failure_rate"] or 0.0),
        fails_when=" ".join(row["fails_when"].split()),
        columns=_columns(kwargs),
        expectation=expectation,
        kwargs=kwargs,
        flag_reason=reason,
        raw_value=row["raw_column"],
        dqmi_item=row["dqmi_item"] or None,
        dqmi_role=row["dqmi_role"] or None,
    )


def _kwargs(row: dict[str, str]) -> dict[str, object]:
    where = f"{REGISTRY}: check {row['check_id']} ({row['dataset']}) expectation_kwargs"
    try:
        kwargs = yaml.safe_load(row.get("expectation_kwargs") or "")
    except yaml.YAMLError as error:
        raise ValueError(f"{where} is not a YAML mapping: {error}") from None
    if not isinstance(kwargs, dict) or not _columns(kwargs):
        raise ValueError(
            f"{where} must be a YAML mapping naming the column(s), e.g. {{column: price}} or "
            "{column_A: a, column_B: b}"
        )
    if "mostly" in kwargs:
        raise ValueError(f"{where} states mostly: it is 1 - max_failure_rate")
    runner_set = [name for name in RUNNER_KWARGS if name in kwargs and name != "mostly"]
    if runner_set:
        raise ValueError(f"{where} states {', '.join(runner_set)}: the runner sets it for every check")
    return kwargs


def _columns(kwargs: dict[str, object]) -> tuple[str, ...]:
    """The columns named by an expectation's kwargs (column, column_A and column_B, column_list),
    then those its row_condition reads (GX's serialised Condition: `column: {name: …}`)."""
    named: list[str] = []
    for key in COLUMN_KWARGS:
        value = kwargs.get(key)
        if isinstance(value, str):
            named.append(value)
        elif isinstance(value, list) and all(isinstance(item, str) for item in value):
            named.extend(value)
    named.extend(_condition_columns(kwargs.get("row_condition")))
    return tuple(dict.fromkeys(named))


def _condition_columns(condition: object) -> list[str]:
    """The column names a serialised GX Condition reads, in order."""
    if isinstance(condition, list):
        return [name for item in condition for name in _condition_columns(item)]
    if not isinstance(condition, dict):
        return []
    column = condition.get("column")
    own = [column["name"]] if isinstance(column, dict) and isinstance(column.get("name"), str) else []
    return own + _condition_columns(condition.get("conditions"))


def _validate(dataset: str, batches: tuple[Batch, ...], checks: tuple[Check, ...]) -> None:
    where = f"{REGISTRY} ({dataset})"
    names = {batch.name for batch in batches}
    for check in checks:
        if check.severity not in SEVERITIES:
            raise ValueError(
                f"{where}: check {check.check_id} has severity {check.severity!r}, not one of {SEVERITIES}"
            )
        if check.batch not in names:
            raise ValueError(f"{where}: check {check.check_id} names unknown batch {check.batch}")
        if check.dqmi_role not in (None, *DQMI_ROLES):
            raise ValueError(f"{where}: check {check.check_id} has unknown DQMI role {check.dqmi_role}")
        if (check.dqmi_item is None) != (check.dqmi_role is None):
            raise ValueError(
                f"{where}: check {check.check_id} needs both dqmi_item and dqmi_role, or neither"
            )
    if sum(batch.primary for batch in batches) != 1:
        raise ValueError(f"{BATCHES} ({dataset}): exactly one batch must be primary")
    ids = [check.check_id for check in checks]
    if len(ids) != len(set(ids)):
        raise ValueError(f"{where}: a check id is listed twice")


WORDS_AND_NUMBERS = ("title", "severity", "max_failure_rate", "default_threshold", "meaning", "how_to_fix")


def _validate_words(rows: list[dict[str, str]]) -> None:
    """A check on several datasets states the same words and numbers on each of its rows."""
    first: dict[str, dict[str, str]] = {}
    for number, row in enumerate(rows, start=2):
        seen = first.setdefault(row["check_id"], row)
        differ = [name for name in WORDS_AND_NUMBERS if row[name] != seen[name]]
        if differ:
            raise ValueError(
                f"{REGISTRY} line {number}: check {row['check_id']} ({row['dataset']}) states "
                f"{', '.join(differ)} differently from its {seen['dataset']} row"
            )
