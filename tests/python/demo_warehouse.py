"""A demo-scale warehouse for the data-quality, report and delivery tests (built once per session).

`speccomm generate --scale demo` writes a landing folder and its manifest; the folder is loaded
and built with dbt into a temporary DuckDB file, once for every pytest-xdist worker
(shared_build.build_once: each worker reads its own copy), and so is the checked demo. Tests
never change that file: each one works on a copy (`DemoWarehouse.copy_to`). Use it from a test
module with

    pytest_plugins = ["demo_warehouse"]
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from shared_build import build_once
from speccomm.dbt_runner import run_dbt
from speccomm.load import load_landing
from speccomm.quality.runner import QualitySummary, run_quality_checks
from speccomm.reports import build_provider_reports
from speccomm_testkit.generate import generate

DEMO_SEED = 11


@dataclass(frozen=True)
class DemoWarehouse:
    root: Path
    landing: Path
    database: Path
    dbt_returncode: int
    dbt_log: Path

    @property
    def manifest(self) -> dict:
        return json.loads((self.landing / "manifest.json").read_text(encoding="utf-8"))

    def copy_to(self, folder: Path, name: str = "warehouse.duckdb") -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / name
        shutil.copyfile(self.database, target)
        return target


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> DemoWarehouse:
    root = build_once(tmp_path_factory.getbasetemp(), "demo", _build_demo)
    log = root / "logs" / "dbt-console.log"  # run_dbt's log, beside the warehouse
    return DemoWarehouse(root, root / "landing", root / "warehouse.duckdb", 0, log)


def _build_demo(root: Path) -> None:
    landing = root / "landing"
    generate(scale="demo", out=landing, seed=DEMO_SEED)
    database = root / "warehouse.duckdb"
    with duckdb.connect(str(database)) as con:
        load_landing(con, landing)
    result = run_dbt(["build"], database, target="test", echo=False)
    if result.returncode != 0:
        pytest.fail("dbt build of the demo warehouse failed:\n" + result.log_path.read_text()[-3000:])


@dataclass(frozen=True)
class CheckedDemo:
    """A copy of the demo warehouse after one data-quality run (run id RUN_ID)."""

    warehouse: DemoWarehouse
    database: Path
    run_id: str
    summary: QualitySummary

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.database), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()


RUN_ID = "dq-demo-1"
RUN_AT = datetime(2026, 5, 1, 2, 0)


@pytest.fixture(scope="session")
def checked_demo(demo_warehouse: DemoWarehouse, tmp_path_factory: pytest.TempPathFactory) -> CheckedDemo:
    def check(root: Path) -> None:
        database = demo_warehouse.copy_to(root)
        with duckdb.connect(str(database)) as con:
            summary = run_quality_checks(con, RUN_ID, RUN_AT)
        (root / "summary.json").write_text(json.dumps(asdict(summary)), encoding="utf-8")

    root = build_once(tmp_path_factory.getbasetemp(), "checked-demo", check)
    saved = json.loads((root / "summary.json").read_text(encoding="utf-8"))
    summary = QualitySummary(**{**saved, "batches_skipped": tuple(saved["batches_skipped"])})
    return CheckedDemo(demo_warehouse, root / "warehouse.duckdb", RUN_ID, summary)


@pytest.fixture(scope="session")
def demo_reports(checked_demo: CheckedDemo, tmp_path_factory: pytest.TempPathFactory) -> list:
    """The provider reports of the checked demo run (list of speccomm.reports.ProviderReport)."""
    with duckdb.connect(str(checked_demo.database)) as con:
        return build_provider_reports(con, checked_demo.run_id, tmp_path_factory.mktemp("reports"))
