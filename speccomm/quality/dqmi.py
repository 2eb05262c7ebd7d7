"""Step 5 of the runner: hand over to dbt's models — this run's DQMI-style scores.

The formula and the item map are dbt's (models/dq/dqmi/: the item map is read from the check
registry; the scores are views over the runner's tables that score every slice current as of
each run). Here this run's rows of the two views are appended to dq.dqmi_item_scores and
dq.dqmi_scores, in the runner's transaction, so a run that re-validated nothing still has a
full set of scores. dbt's report models (models/dq/report/) read the runner's tables the same
way; speccomm.reports then selects one run's rows of them.
"""

from __future__ import annotations

import duckdb

from speccomm.quality.registry import CHECK_SCHEMA
from speccomm.relations import scalar

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
    con.execute(
        f"insert into dq.dqmi_scores select {SCORE_COLUMNS} from {RUN_SCORES} where run_id = ? "
        f"order by {SLICE_ORDER}",
        [run_id],
    )
    return int(scalar(con, "select count(*) from dq.dqmi_scores where run_id = ?", [run_id]) or 0)
