"""DQMI-style scores (NHS England's Data Quality Maturity Index, adapted) for one run.

Computed from the results that are current as of the run (dq.dq_run_slices), so a run that
re-validated nothing still has a full set of scores. The SQL is in `sql/dqmi_*.sql`.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from speccomm.quality.suites import Suite

SQL_DIR = Path(__file__).parent / "sql"


def write_dqmi_scores(
    con: duckdb.DuckDBPyConnection, suites: list[Suite], run_id: str, run_at: object
) -> int:
    """Append this run's scores to dq.dqmi_scores and dq.dqmi_item_scores; returns the score rows."""
    _register_item_map(con, suites)
    params = {"run_id": run_id}
    con.execute(_sql("dqmi_items.sql"), params)
    con.execute(
        """
        insert into dq.dqmi_item_scores
        select
            $run_id, dataset, provider_code, financial_year, financial_month, data_item, records,
            incomplete_rate, invalid_rate, default_rate, default_threshold, excess_default_rate, item_score
        from dq_run_item_scores
        order by dataset, provider_code, financial_year, financial_month, data_item
        """,
        params,
    )
    before = _count(con, run_id)
    con.execute(
        f"insert into dq.dqmi_scores select * from ({_sql('dqmi_scores.sql')}) as scores "
        "order by dataset, provider_code, financial_year, financial_month",
        {"run_id": run_id, "run_at": run_at},
    )
    return _count(con, run_id) - before


def _register_item_map(con: duckdb.DuckDBPyConnection, suites: list[Suite]) -> None:
    rows = [
        (check.dataset, check.check_id, check.dqmi_item, check.dqmi_role, suite.batch(check.batch).primary)
        for suite in suites
        for check in suite.checks
        if check.dqmi_item
    ]
    frame = pd.DataFrame(rows, columns=["dataset", "check_id", "data_item", "role", "is_primary"])
    con.register("dq_item_map_frame", frame)
    try:
        con.execute("create or replace temp table dq_item_map as select * from dq_item_map_frame")
    finally:
        con.unregister("dq_item_map_frame")


def _count(con: duckdb.DuckDBPyConnection, run_id: str) -> int:
    row = con.execute("select count(*) from dq.dqmi_scores where run_id = ?", [run_id]).fetchone()
    return int(row[0]) if row else 0


def _sql(name: str) -> str:
    return (SQL_DIR / name).read_text(encoding="utf-8").strip().rstrip(";")
