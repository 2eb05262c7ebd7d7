"""A warehouse built from generated demo data, for the analytic-mart tests.

`build_analytics_warehouse(root)` generates the demo landing folder (or reuses one named by
SPECCOMM_TEST_DEMO_LANDING, with its manifest.json), loads it and runs `dbt build` on the
analytic marts (tag `analytics`) and everything upstream of them, with a pace-of-change limit
set so that rpt_allocation_impact holds both the unlimited needs target and the limited needs
basis. Marts the analytic marts do not read are left out, which keeps the build short.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from speccomm.dbt_runner import run_dbt
from speccomm.load import load_landing

SEED = 7
PACE_LIMIT = 0.05
ANALYTICS_SELECTION = ["--select", "+tag:analytics", "--indirect-selection", "cautious"]


@dataclass(frozen=True)
class AnalyticsWarehouse:
    database: Path
    manifest: dict
    dbt_returncode: int
    dbt_log: Path

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.database), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()


def demo_landing(root: Path) -> Path:
    """The demo landing folder: SPECCOMM_TEST_DEMO_LANDING when set, else generated here."""
    given = os.environ.get("SPECCOMM_TEST_DEMO_LANDING")
    if given:
        return Path(given)
    from speccomm_testkit.generate import generate

    landing = root / "landing"
    generate("demo", landing, seed=SEED)
    return landing


def build_analytics_warehouse(root: Path) -> AnalyticsWarehouse:
    landing = demo_landing(root)
    manifest = json.loads((landing / "manifest.json").read_text(encoding="utf-8"))
    database = root / "warehouse.duckdb"
    with duckdb.connect(str(database)) as con:
        load_landing(con, landing)
    dbt_vars = ["--vars", json.dumps({"pace_of_change_limit": PACE_LIMIT})]
    result = run_dbt(["build", *ANALYTICS_SELECTION, *dbt_vars], database, target="test", echo=False)
    return AnalyticsWarehouse(database, manifest, result.returncode, result.log_path)
