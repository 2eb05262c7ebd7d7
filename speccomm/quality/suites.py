"""The expectation suites in `expectations/` (one YAML file per dataset), read into objects.

A suite lists *batches* (a dbt model in `models/dq/checks/`, a view in schema `dq_checks`,
returning one row per record with the slice columns, the context columns, the raw values and
one boolean `fails_<check_id>` column per check, for the slices in `dq_checks.dq_check_scope`)
and *checks* (which batch, which column, how it counts in the DQMI-style score): how each
check is computed. A check's words and numbers (title, severity, tolerance, meaning, how to
fix) live in one place, `seeds/reference/dq_thresholds.csv`; a suite that repeats them is
refused.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import yaml

from speccomm.config import EXPECTATIONS_DIR

DATASETS = ("slam", "sus", "ledger")
CHECK_SCHEMA = "dq_checks"  # models/dq/checks/ (dbt_project.yml)
SCOPE_RELATION = f"{CHECK_SCHEMA}.dq_check_scope"
# Kept in seeds/reference/dq_thresholds.csv only (its columns); a suite may not state them.
WORDS_AND_NUMBERS = frozenset(
    {"title", "severity", "max_failure_rate", "default_threshold", "meaning", "how_to_fix"}
)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SLICE_COLUMNS = ("provider_code", "financial_year", "financial_month")
CONTEXT_COLUMNS = ("source_file", "source_row", "record_ref", "service_line_code", "pod_code", "context")


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
    """One check id on one dataset, as declared in the suite."""

    check_id: str
    dataset: str
    batch: str
    fails_when: str
    column: str
    raw_value: str
    dqmi_item: str | None
    dqmi_role: str | None  # incomplete, invalid or default


@dataclass(frozen=True)
class Suite:
    dataset: str
    batches: tuple[Batch, ...]
    checks: tuple[Check, ...]

    def checks_of(self, batch: Batch) -> list[Check]:
        return [check for check in self.checks if check.batch == batch.name]

    def batch(self, name: str) -> Batch:
        return next(batch for batch in self.batches if batch.name == name)


def load_suites(directory: Path = EXPECTATIONS_DIR) -> list[Suite]:
    """The three suites (slam, sus, ledger), validated for internal consistency."""
    return [load_suite(directory / f"{dataset}.yml") for dataset in DATASETS]


def check_ids(dataset: str, batch: str | None = None, directory: Path = EXPECTATIONS_DIR) -> tuple[str, ...]:
    """The ids of a dataset's checks (of one batch), in the suite's order."""
    suite = load_suite(directory / f"{dataset}.yml")
    return tuple(c.check_id for c in suite.checks if batch is None or c.batch == batch)


def load_suite(path: Path) -> Suite:
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # a C-accelerated safe loader
    dataset = document["dataset"]
    batches = tuple(
        Batch(
            dataset=dataset,
            name=name,
            description=" ".join(spec["description"].split()),
            model=spec["model"],
            fingerprint_model=spec["fingerprint"],
            requires=spec.get("requires"),
            primary=bool(spec.get("primary", False)),
        )
        for name, spec in document["batches"].items()
    )
    checks = tuple(_check(dataset, spec) for spec in document["checks"])
    _validate(path, batches, checks)
    return Suite(dataset=dataset, batches=batches, checks=checks)


def _check(dataset: str, spec: dict) -> Check:
    repeated = sorted(WORDS_AND_NUMBERS & set(spec))
    if repeated:
        raise ValueError(
            f"{dataset}.yml: check {spec.get('check_id')} states {', '.join(repeated)}: a check's words "
            "and numbers live only in seeds/reference/dq_thresholds.csv"
        )
    expectation = spec["expectation"]
    dqmi = spec.get("dqmi") or {}
    return Check(
        check_id=spec["check_id"],
        dataset=dataset,
        batch=spec["batch"],
        fails_when=" ".join(spec["fails_when"].split()),
        column=expectation["column"],
        raw_value=spec["raw_value"],
        dqmi_item=dqmi.get("item"),
        dqmi_role=dqmi.get("role"),
    )


def _validate(path: Path, batches: tuple[Batch, ...], checks: tuple[Check, ...]) -> None:
    names = {batch.name for batch in batches}
    for check in checks:
        if check.batch not in names:
            raise ValueError(f"{path.name}: check {check.check_id} names unknown batch {check.batch}")
        if check.column != f"fails_{check.check_id}":
            raise ValueError(f"{path.name}: check {check.check_id} must validate fails_{check.check_id}")
        if check.dqmi_role not in (None, "incomplete", "invalid", "default"):
            raise ValueError(f"{path.name}: check {check.check_id} has unknown DQMI role {check.dqmi_role}")
    if sum(batch.primary for batch in batches) != 1:
        raise ValueError(f"{path.name}: exactly one batch must be primary")
    ids = [check.check_id for check in checks]
    if len(ids) != len(set(ids)):
        raise ValueError(f"{path.name}: a check id is listed twice")


def rules_digest(
    con: duckdb.DuckDBPyConnection, suites: list[Suite], directory: Path = EXPECTATIONS_DIR
) -> str:
    """A hash of every suite file and of the check views as dbt built them (macros included,
    the database's own name left out): when a definition changes, every slice is re-validated."""
    digest = hashlib.sha256()
    for file in sorted({directory / f"{suite.dataset}.yml" for suite in suites}):
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
    views = sorted({name for s in suites for b in s.batches for name in (b.model, b.fingerprint_model)})
    for name, sql in con.execute(
        """
        select view_name, replace(sql, '"' || database_name || '".', '')
        from duckdb_views()
        where
            database_name = current_database()
            and schema_name = $schema
            and list_contains($views, view_name)
        order by view_name
        """,
        {"schema": CHECK_SCHEMA, "views": views},
    ).fetchall():
        digest.update(name.encode())
        digest.update(sql.encode())
    return digest.hexdigest()
