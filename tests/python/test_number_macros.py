"""The rounding macros on exact halves, through `dbt show --inline` on an empty database:
`round_quotient` (macros/numbers/) and `pct_variance` (macros/triangulation/), which is built
on it. A quotient whose exact value ends in a half rounds away from zero, although the double
it is divided as lands a hair below the half (3130.02 / 12 = 260.835 is 260.834999… as a
double, which `round(double, 2)` makes 260.83 on DuckDB); that is what makes DuckDB's figures
and Spark's agree (docs/scale-out.md, "Parity")."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from speccomm.config import PROJECT_ROOT
from speccomm.dbt_runner import dbt_executable

pytestmark = pytest.mark.slow

MONEY = "decimal(18, 2)"
CASES = {
    "half_penny": ("{{ round_quotient('cast(3130.02 as " + MONEY + ")', '12') }}", 260.84),
    "negative_half_penny": ("{{ round_quotient('cast(-3130.02 as " + MONEY + ")', '12') }}", -260.84),
    "half_hundredth_percent": (
        "{{ pct_variance('cast(43.3002 as decimal(18, 4))', 'cast(12 as decimal(18, 4))') }}", 260.84),
    "no_base": ("{{ pct_variance('1', '0') }}", None),
    "plain_round_of_the_double": ("round(cast(3130.02 as double) / 12, 2)", 260.83),  # why the macro exists
}


def test_quotients_round_half_away_from_zero(tmp_path: Path) -> None:
    select = "select " + ", ".join(f"{sql} as {name}" for name, (sql, _) in CASES.items())
    env = {**os.environ, "SPECCOMM_DBT_DATABASE": str(tmp_path / "empty.duckdb"),
           "DBT_TARGET_PATH": str(tmp_path / "target"), "DBT_LOG_PATH": str(tmp_path / "logs")}
    shown = subprocess.run(
        [dbt_executable(), "show", "--inline", select, "--output", "json", "--log-format", "text",
         "--target", "test", "--quiet"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert shown.returncode == 0, shown.stdout[-3000:] + shown.stderr[-3000:]
    (row,) = json.loads(shown.stdout[shown.stdout.index("{"):])["show"]
    assert row == {name: expected for name, (_, expected) in CASES.items()}
