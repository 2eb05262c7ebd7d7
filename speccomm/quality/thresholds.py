"""Severity and tolerance of each check, from reference.dq_thresholds (seed dq_thresholds)."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from speccomm.quality.suites import Suite


@dataclass(frozen=True)
class Threshold:
    severity: str  # warn or error
    max_failure_rate: float  # the share of a slice's rows that may fail and still pass
    default_threshold: float | None  # DQMI: the share of default codes tolerated


def read_thresholds(con: duckdb.DuckDBPyConnection, suites: list[Suite]) -> dict[str, Threshold]:
    found = con.execute(
        "select check_id, severity, max_failure_rate, default_threshold from reference.dq_thresholds"
    ).fetchall()
    thresholds = {
        check_id: Threshold(severity, float(max_rate or 0.0), None if default is None else float(default))
        for check_id, severity, max_rate, default in found
    }
    missing = sorted({c.check_id for s in suites for c in s.checks} - set(thresholds))
    if missing:
        raise ValueError(f"reference.dq_thresholds has no row for checks {missing}")
    return thresholds
