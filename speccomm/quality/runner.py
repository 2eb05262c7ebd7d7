"""The data-quality runner: validate the slices whose data changed, write results and scores.

    summary = run_quality_checks(con, run_id, run_at)

1. Fingerprint every slice (dataset x provider x financial year x month) with current data.
2. Pick the slices whose fingerprint differs from the stored one (all on revalidate_all).
3. For each batch of the suites, validate those slices' rows with Great Expectations.
4. In one transaction: append dq_check_results and dq_failed_samples, store the fingerprints,
   record which run's results are current for every slice (dq_run_slices), and append this
   run's DQMI-style scores. A failure before the commit leaves the dq tables as they were.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime

import duckdb

from speccomm.quality import batches as batch_runner
from speccomm.quality import results, slices
from speccomm.quality.dqmi import write_dqmi_scores
from speccomm.quality.suites import Batch, Suite, load_suites, rules_digest
from speccomm.quality.tables import ensure_tables
from speccomm.quality.thresholds import Threshold, read_thresholds
from speccomm.relations import relation_exists

log = logging.getLogger(__name__)
DEFAULT_SAMPLE_CAP = 20


@dataclass(frozen=True)
class QualitySummary:
    run_id: str
    slices_validated: int
    slices_skipped_unchanged: int
    rows_validated: int
    results_written: int
    checks_passed: int
    checks_failed: int  # result rows with status fail
    checks_warned: int  # result rows with status warn
    samples_written: int
    dqmi_scores_written: int
    batches_skipped: tuple[str, ...]  # batches whose source relation does not exist yet
    seconds: float


def run_quality_checks(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    run_at: datetime,
    *,
    revalidate_all: bool = False,
    sample_cap: int = DEFAULT_SAMPLE_CAP,
) -> QualitySummary:
    """Validate the changed slices (every slice with revalidate_all) and write the dq tables."""
    started = time.monotonic()
    ensure_tables(con)
    _refuse_repeated_run(con, run_id)
    suites = load_suites()
    thresholds = read_thresholds(con, suites)
    available, skipped = _available_batches(con, suites)
    rules = rules_digest(con, suites) + slices.reference_digest(con)
    current = slices.build_current_slices(con, [batch for _, batch in available], rules)
    changed = slices.build_changed_slices(con, revalidate_all)
    results.create_staging_tables(con)
    rows_validated = _validate_changed(con, available, thresholds, sample_cap) if changed else 0
    statuses = results.staged_status_counts(con)
    samples = _count(con, "dq_new_samples")
    dqmi_rows = _write(con, run_id, run_at)
    summary = QualitySummary(
        run_id=run_id,
        slices_validated=changed,
        slices_skipped_unchanged=current - changed,
        rows_validated=rows_validated,
        results_written=sum(statuses.values()),
        checks_passed=statuses.get(results.PASS, 0),
        checks_failed=statuses.get(results.FAIL, 0),
        checks_warned=statuses.get(results.WARN, 0),
        samples_written=samples,
        dqmi_scores_written=dqmi_rows,
        batches_skipped=tuple(skipped),
        seconds=round(time.monotonic() - started, 2),
    )
    log.info("data quality: %s", summary)
    return summary


def _refuse_repeated_run(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    found = con.execute("select count(*) from dq.dq_run_slices where run_id = ?", [run_id]).fetchone()
    if found and found[0]:
        raise ValueError(f"data-quality results for run {run_id} already exist: use a new run id")


def _available_batches(
    con: duckdb.DuckDBPyConnection, suites: list[Suite]
) -> tuple[list[tuple[Suite, Batch]], list[str]]:
    available: list[tuple[Suite, Batch]] = []
    skipped: list[str] = []
    for suite in suites:
        for batch in suite.batches:
            if batch.requires and not relation_exists(con, batch.requires):
                log.warning("data quality: %s skipped, %s does not exist yet", batch.key, batch.requires)
                skipped.append(batch.key)
                continue
            for relation in (batch.relation, batch.fingerprint_relation):
                if not relation_exists(con, relation):
                    raise RuntimeError(
                        f"data quality: check model {relation} (models/dq/checks/) is not in the "
                        "warehouse: run dbt build first"
                    )
            available.append((suite, batch))
    return available, skipped


def _validate_changed(
    con: duckdb.DuckDBPyConnection,
    available: list[tuple[Suite, Batch]],
    thresholds: dict[str, Threshold],
    sample_cap: int,
) -> int:
    from speccomm.quality.validate import GxValidator  # imports Great Expectations: seconds

    validator = GxValidator(thresholds)
    rows = 0
    for suite, batch in available:
        checks = suite.checks_of(batch)
        if not checks:
            continue
        counts = batch_runner.validate_batch(con, validator, batch, checks, sample_cap)
        results.stage_results(con, counts, thresholds)
        rows += counts.rows_validated
    return rows


def _write(con: duckdb.DuckDBPyConnection, run_id: str, run_at: datetime) -> int:
    con.execute("begin transaction")
    try:
        results.write_results(con, run_id, run_at)
        slices.record_fingerprints(con, run_id, run_at)
        slices.record_run_slices(con, run_id, run_at)
        dqmi_rows = write_dqmi_scores(con, run_id)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return dqmi_rows


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"select count(*) from {table}").fetchone()
    return int(row[0]) if row else 0
