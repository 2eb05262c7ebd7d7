"""The data-quality step of the night, top to bottom: `run_quality_checks`.

    summary = run_quality_checks(con, run_id, run_at)

It reads as the pipeline; each step is one module, called once, in this order, and none calls
back here (docs/data-quality.md, "Following one check"; decision 0039):

0. `registry`  the checks and batches as the registry states them (seeds/reference/dq_checks.csv);
1. `slices`    select the slices to validate: those whose fingerprint changed (all on revalidate_all);
2. `suites`    build the Great Expectations suites from the registry;
3. `validate`  validate the changed slices' rows of each check model, counting failures per
               slice and keeping samples;
4. `results`   write the run's results: statuses, samples, fingerprints, the run's slices;
5. `dqmi`      hand over to dbt's models: this run's rows of dbt's DQMI views appended.

Steps 4 and 5 are one transaction: a failure before the commit leaves the dq tables as they
were. The tables written are sources dbt declares (speccomm.quality.tables,
models/dq/_dq__sources.yml); dbt's report models read them, and speccomm.reports renders those.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime

import duckdb

from speccomm.quality.dqmi import write_dqmi_scores
from speccomm.quality.registry import load_registry
from speccomm.quality.results import FAIL, PASS, WARN, write_results
from speccomm.quality.slices import select_slices
from speccomm.quality.suites import build_suites
from speccomm.quality.tables import ensure_tables
from speccomm.quality.validate import validate_slices
from speccomm.relations import scalar

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
    if scalar(con, "select count(*) from dq.dq_run_slices where run_id = ?", [run_id]):
        raise ValueError(f"data-quality results for run {run_id} already exist: use a new run id")
    registry = load_registry()
    selection = select_slices(con, registry, revalidate_all)
    suites = build_suites(selection.batches)
    found = validate_slices(con, suites, sample_cap)
    con.execute("begin transaction")
    try:
        written = write_results(con, run_id, run_at, found)
        scores = write_dqmi_scores(con, run_id)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    summary = QualitySummary(
        run_id=run_id,
        slices_validated=selection.changed,
        slices_skipped_unchanged=selection.current - selection.changed,
        rows_validated=found.rows_validated,
        results_written=sum(written.statuses.values()),
        checks_passed=written.statuses[PASS],
        checks_failed=written.statuses[FAIL],
        checks_warned=written.statuses[WARN],
        samples_written=written.samples,
        dqmi_scores_written=scores,
        batches_skipped=selection.skipped,
        seconds=round(time.monotonic() - started, 2),
    )
    log.info("data quality: %s", summary)
    return summary
