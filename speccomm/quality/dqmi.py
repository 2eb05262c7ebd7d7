"""DQMI-style scores (NHS England's Data Quality Maturity Index, adapted) for one run.

The formula and the item map are dbt's (models/dq/dqmi/: the item map is read from the check
registry, the scores are views over the runner's own tables that score every slice current as
of each run). Here the runner appends this run's rows of the views to dq.dqmi_item_scores and
dq.dqmi_scores, inside the transaction that wrote the run's results (dq.dq_run_slices), so a
run that re-validated nothing still has a full set of scores.
"""

from __future__ import annotations

import duckdb

from speccomm.quality.suites import CHECK_SCHEMA

RUN_ITEM_SCORES = f"{CHECK_SCHEMA}.dq_dqmi_run_item_scores"
RUN_SCORES = f"{CHECK_SCHEMA}.dq_dqmi_run_scores"
ITEM_SCORE_COLUMNS = (
    "run_id, dataset, provider_code, financial_year, financial_month, data_item, records, incomplete_rate, "
    "invalid_rate, default_rate, default_threshold, excess_default_rate, item_score"
)
SCORE_COLUMNS = (
    "run_id, run_at, dataset, provider_code, financial_year, financial_month, period_start_date, records, "
    "coverage, completeness, validity, excess_defaults, mean_item_score, item_scores, dqmi, "
    "peer_median_dqmi, peer_count"
)
SLICE_ORDER = "dataset, provider_code, financial_year, financial_month"


def write_dqmi_scores(con: duckdb.DuckDBPyConnection, run_id: str) -> int:
    """Append this run's scores to dq.dqmi_scores and dq.dqmi_item_scores; returns the score rows."""
    con.execute(
        f"insert into dq.dqmi_item_scores select {ITEM_SCORE_COLUMNS} from {RUN_ITEM_SCORES} "
        f"where run_id = ? order by {SLICE_ORDER}, data_item",
        [run_id],
    )
    before = _count(con, run_id)
    con.execute(
        f"insert into dq.dqmi_scores select {SCORE_COLUMNS} from {RUN_SCORES} where run_id = ? "
        f"order by {SLICE_ORDER}",
        [run_id],
    )
    return _count(con, run_id) - before


def _count(con: duckdb.DuckDBPyConnection, run_id: str) -> int:
    row = con.execute("select count(*) from dq.dqmi_scores where run_id = ?", [run_id]).fetchone()
    return int(row[0]) if row else 0
