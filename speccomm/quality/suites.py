"""The expectation suites in `expectations/` (one YAML file per dataset), read into objects.

A suite lists *batches* (a SQL file returning one row per record with the slice columns, the
context columns, the raw values and one boolean `fails_<check_id>` column per check) and
*checks* (which batch, which column, how it counts in the DQMI-style score). Severity and
tolerance are not taken from the YAML at run time but from `reference.dq_thresholds`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import yaml

from speccomm.config import EXPECTATIONS_DIR

DATASETS = ("slam", "sus", "ledger")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SLICE_COLUMNS = ("provider_code", "financial_year", "financial_month")
CONTEXT_COLUMNS = ("source_file", "source_row", "record_ref", "service_line_code", "pod_code", "context")


@dataclass(frozen=True)
class Batch:
    """One set of rows validated together: a SQL file and how its slices are fingerprinted."""

    dataset: str
    name: str
    description: str
    sql_path: Path
    fingerprint_path: Path
    requires: str | None  # a relation that may not exist yet: then the batch is skipped
    primary: bool  # the dataset's main rows: a slice with rows here counts as submitted

    @property
    def key(self) -> str:
        return f"{self.dataset}.{self.name}"

    def sql(self) -> str:
        return self.sql_path.read_text(encoding="utf-8")

    def fingerprint_sql(self) -> str:
        return self.fingerprint_path.read_text(encoding="utf-8")

    @property
    def fingerprint_key(self) -> str:
        return f"{self.dataset}.{self.fingerprint_path.stem}"


@dataclass(frozen=True)
class Check:
    """One check id on one dataset, as declared in the suite."""

    check_id: str
    dataset: str
    batch: str
    fails_when: str
    column: str
    severity: str
    raw_value: str
    dqmi_item: str | None
    dqmi_role: str | None  # incomplete, invalid or default
    meaning: str
    how_to_fix: str


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


def load_suite(path: Path) -> Suite:
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # a C-accelerated safe loader
    dataset = document["dataset"]
    batches = tuple(
        Batch(
            dataset=dataset,
            name=name,
            description=" ".join(spec["description"].split()),
            sql_path=path.parent / spec["sql"],
            fingerprint_path=path.parent / spec["fingerprint"],
            requires=spec.get("requires"),
            primary=bool(spec.get("primary", False)),
        )
        for name, spec in document["batches"].items()
    )
    checks = tuple(_check(dataset, spec) for spec in document["checks"])
    _validate(path, batches, checks)
    return Suite(dataset=dataset, batches=batches, checks=checks)


def _check(dataset: str, spec: dict) -> Check:
    expectation = spec["expectation"]
    dqmi = spec.get("dqmi") or {}
    return Check(
        check_id=spec["check_id"],
        dataset=dataset,
        batch=spec["batch"],
        fails_when=" ".join(spec["fails_when"].split()),
        column=expectation["column"],
        severity=spec["severity"],
        raw_value=spec["raw_value"],
        dqmi_item=dqmi.get("item"),
        dqmi_role=dqmi.get("role"),
        meaning=spec["meaning"],
        how_to_fix=spec["how_to_fix"],
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
    for batch in batches:
        for file in (batch.sql_path, batch.fingerprint_path):
            if not file.is_file():
                raise ValueError(f"{path.name}: batch {batch.name} refers to missing file {file}")


def rules_digest(suites: list[Suite], directory: Path = EXPECTATIONS_DIR) -> str:
    """A hash of every suite and SQL file: when a definition changes, every slice is re-validated."""
    digest = hashlib.sha256()
    files = sorted({directory / f"{suite.dataset}.yml" for suite in suites}
                   | {b.sql_path for s in suites for b in s.batches}
                   | {b.fingerprint_path for s in suites for b in s.batches})
    for file in files:
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()
