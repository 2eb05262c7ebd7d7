"""The year_to_date macro (macros/finance/year_to_date.sql), the one home of the financial year
to date, through `dbt show --inline` on an empty database: it sums from April (month 1) to the
row's month, in month order whatever the rows' order, per partition and per financial year
(a new year starts again), a NULL or a month without a row adding nothing."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from speccomm.config import PROJECT_ROOT
from speccomm.dbt_runner import dbt_executable

pytestmark = pytest.mark.slow

# icb_code, financial_year, financial_month, gbp: out of order, two ICBs, two years, a NULL, a gap
ROWS = [
    ("A", "2024/25", 2, "10.00"),
    ("A", "2024/25", 1, "5.00"),
    ("A", "2024/25", 3, None),
    ("A", "2024/25", 5, "1.50"),
    ("A", "2025/26", 1, "7.00"),
    ("B", "2024/25", 1, "100.00"),
    ("B", "2024/25", 2, "-40.00"),
]
# (icb_code, financial_year, financial_month) -> (year to date, months with a row to date)
EXPECTED = {
    ("A", "2024/25", 1): (5.0, 1),
    ("A", "2024/25", 2): (15.0, 2),
    ("A", "2024/25", 3): (15.0, 3),
    ("A", "2024/25", 5): (16.5, 4),
    ("A", "2025/26", 1): (7.0, 1),
    ("B", "2024/25", 1): (100.0, 1),
    ("B", "2024/25", 2): (60.0, 2),
}


def _values() -> str:
    def literal(value: str | None) -> str:
        return "cast(null as decimal(18, 2))" if value is None else f"cast({value} as decimal(18, 2))"

    return ", ".join(f"('{icb}', '{year}', {month}, {literal(gbp)})" for icb, year, month, gbp in ROWS)


def test_the_year_to_date_runs_from_april_per_partition_and_year(tmp_path: Path) -> None:
    select = (
        f"with figures as (select * from (values {_values()})"
        " as t (icb_code, financial_year, financial_month, gbp))"
        " select icb_code, financial_year, financial_month,"
        " cast({{ year_to_date('gbp', ['icb_code']) }} as double) as ytd_gbp,"
        " cast({{ year_to_date('1', 'icb_code') }} as integer) as months_to_date,"
        " cast({{ year_to_date('gbp', ['icb_code', 'financial_year'], financial_year=none) }} as double)"
        " as ytd_gbp_one_year"
        " from figures"
    )
    env = {**os.environ, "SPECCOMM_DBT_DATABASE": str(tmp_path / "empty.duckdb"),
           "DBT_TARGET_PATH": str(tmp_path / "target"), "DBT_LOG_PATH": str(tmp_path / "logs")}
    shown = subprocess.run(
        [dbt_executable(), "show", "--inline", select, "--limit", "100", "--output", "json",
         "--log-format", "text", "--target", "test", "--quiet"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert shown.returncode == 0, shown.stdout[-3000:] + shown.stderr[-3000:]
    rows = json.loads(shown.stdout[shown.stdout.index("{"):])["show"]
    got = {(r["icb_code"], r["financial_year"], r["financial_month"]): (r["ytd_gbp"], r["months_to_date"])
           for r in rows}
    assert got == EXPECTED
    assert all(r["ytd_gbp_one_year"] == r["ytd_gbp"] for r in rows)  # the year given as a key
