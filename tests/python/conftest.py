"""Shared fixtures: a small hand-written landing folder built into a warehouse once per session."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from landing_files import (
    LEDGER_HEADER,
    SLAM_HEADER,
    SUS_HEADER,
    ledger_row,
    slam_row,
    sus_row,
    write_csv,
)
from shared_build import build_once, shared_base
from speccomm.dbt_runner import dbt_target_path, run_dbt
from speccomm.dbt_runner.shared_parse import PARSE_CACHE_ENV
from speccomm.load import load_landing

# With the Spark extra installed, Great Expectations imports pyspark.sql.connect, whose import
# exits the process when __main__ has neither __spec__ nor __file__ (it takes that for a
# doctest run), as a pytest-xdist worker's __main__ has. speccomm never uses Spark Connect:
# in a worker that import fails as if it were not installed, and GX carries on without it.
if os.environ.get("PYTEST_XDIST_WORKER"):
    sys.modules.setdefault("pyspark.sql.connect", None)

# The slowest test modules, slowest first (from a whole run on a clean clone and module runs,
# 2026-12-07: about 370 s down to about 50 s, after decision 0037's savings). `make test` hands
# whole modules to the two workers in this order (--dist loadfile --no-loadscope-reorder):
# longest first, so no long module is left running alone at the end; xdist's own order (most
# tests first) put the slowest last. Then the other modules with a test marked slow (a build, a
# night or a server), then the quick ones: the last modules handed out take seconds, so both
# workers finish within seconds of each other. The session's demo warehouse, checked demo,
# first night and core warehouse are built once for both workers (shared_build.build_once):
# the first module to ask builds one while the other worker waits for it, so two modules
# needing the same build should not be the first two of this list (test_incremental builds
# its own; test_nightly, the first night; the identification rules, the demo).
SLOWEST_MODULES = (
    "test_incremental.py",  # a core night, a month night on a copy, a full build to compare
    "test_nightly.py",  # the shared first night, then nights on copies of it
    "test_identification_rules.py",  # the shared demo, two builds switching the basis
    "test_dbt_habits.py",  # a fresh build of +fct_contract_activity, comments, freshness, selectors
    "test_analytic_marts.py",
    "test_nightly_month.py",  # three core nightlies: two split by month, one whole
    "test_reference_updates.py",  # three core nightlies
    "test_merger.py",  # two demo nightlies
    "test_nightly_faults.py",
    "test_reference_truth_night.py",
    "test_mart_edge_values.py",
    "test_poison_inputs.py",
    "test_quality.py",  # the checked demo and data-quality runs on copies of the demo
    "test_docs_examples.py",
    "test_warehouse_core.py",
    "test_pack.py",
    "test_contracted_providers.py",
    "test_published_policy.py",
    "test_exports.py",
    "test_clients.py",
    "test_budget.py",  # a dbt build, not marked slow
    "test_delivery.py",
    "test_footprint.py",
    "test_report_layout.py",
    "test_generate.py",  # generates the demo landing, not marked slow
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """SLOWEST_MODULES first, then the other modules with a test marked slow, then the rest;
    each module's tests stay together in their own order (a stable sort)."""
    rank = {name: position for position, name in enumerate(SLOWEST_MODULES)}
    with_slow = {item.path.name for item in items if item.get_closest_marker("slow")}

    def place(item: pytest.Item) -> int:
        name = item.path.name
        return rank.get(name, len(rank) + (0 if name in with_slow else 1))

    items.sort(key=place)


@pytest.fixture(scope="session", autouse=True)
def shared_dbt_parse(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every dbt the suite runs, in both workers and in the commands they start, shares one
    parse per setting (speccomm.dbt_runner.shared_parse): about 8 s saved on each of the
    suite's builds. A test of the nightly's own kept parse unsets it."""
    os.environ[PARSE_CACHE_ENV] = str(shared_base(tmp_path_factory.getbasetemp()) / "dbt-parse-cache")


@pytest.fixture(scope="session", autouse=True)
def dbt_file_log_at_info() -> None:
    """dbt's own log file (`dbt.log`) at info, not dbt's default debug, for every dbt the suite
    runs: at debug dbt writes each statement it sends, and on the suite's small builds that
    writing was about a tenth of dbt's CPU (docs/performance.md, "Fourth round"). No test reads
    the debug lines; the console log and the info lines (parse reused or not) are unchanged. The
    nightly run by an operator keeps dbt's default."""
    os.environ["DBT_LOG_LEVEL_FILE"] = "info"


# A service line that is Amber in 2024/25 and Green in 2025/26 in the reference data.
AMBER_THEN_GREEN = "NCBPS01H"


@dataclass(frozen=True)
class BuiltWarehouse:
    database: Path
    dbt_returncode: int
    dbt_log: Path

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.database), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()


def write_core_landing(landing: Path) -> None:
    """Restatement, replacement, attribution and funding-stream cases with known answers."""
    slam = landing / "slam"
    # RJ1 2025/26: the M02 statement, then the M03 statement restating M01-M02, then a
    # one-month correction of M01, then a year-end split into two files.
    write_csv(
        slam / "RJ1_ACM_2526_M02_20250610090000.csv",
        SLAM_HEADER,
        [
            slam_row("1", price="100.00"),
            slam_row("1", price="200.00"),
            slam_row("2", price="300.00"),
        ],
    )
    write_csv(
        slam / "RJ1_ACM_2526_M03_20250710090000.csv",
        SLAM_HEADER,
        [
            slam_row("1", price="150.00"),
            slam_row("2", price="310.00"),
            slam_row("3", price="400.00"),
            slam_row("M13", price="999.00"),  # cannot be placed: held back
        ],
    )
    write_csv(
        slam / "RJ1_ACM_2526_M01_20250720090000.csv",
        SLAM_HEADER,
        [slam_row("01", price="£155.00")],
        encoding="cp1252",
    )
    write_csv(
        slam / "RJ1_ACM_2526_M06_20260420100000.csv",
        SLAM_HEADER,
        [
            slam_row("4", price="1,000.00"),
            slam_row("5", price="(50.00)"),
            slam_row("6", price="TBC"),
        ],
    )
    write_csv(
        slam / "RJ1_ACM_2526_M12_20260420100500.csv",
        SLAM_HEADER,
        [
            slam_row("M7", gp="G85001", registration="QKK"),  # registration
            slam_row("M7", gp="V81999", registration="QKK", residence="QWE"),  # default GP: residence
            slam_row("M7", registration="XXX", residence="72Q"),  # invalid reg, sub-ICB res
            slam_row("M7", registration="", residence=""),  # provider host (RJ1: QKK)
            slam_row("M7", registration="36L00", residence="QKK"),  # 00 suffix + sub-ICB: QWE
            slam_row("M7", year="2024/25", service_line=AMBER_THEN_GREEN),  # status in 2024/25: amber
            slam_row("M7", year="bad year", service_line=AMBER_THEN_GREEN),  # file-name year: green
            slam_row("M7", service_line="NCBPS99Z"),  # not in reference: unknown
        ],
    )
    # RJZ 2024/25: M01, then M02 restating M01, then the M01 file re-sent byte for byte: the
    # re-sent statement is the latest that states M01, so M01 is 100 again.
    rjz_m01 = write_csv(
        slam / "RJZ_ACM_2425_M01_20240510090000.csv",
        SLAM_HEADER,
        [
            slam_row("1", provider="RJZ", year="2024/25", price="100.00"),
        ],
    )
    write_csv(
        slam / "RJZ_ACM_2425_M02_20240610090000.csv",
        SLAM_HEADER,
        [
            slam_row("1", provider="RJZ", year="2024/25", price="200.00"),
            slam_row("2", provider="RJZ", year="2024/25", price="300.00"),
        ],
    )
    (slam / "RJZ_ACM_2425_M01_20240710090000.csv").write_bytes(rjz_m01.read_bytes())
    # SUS APC May 2025 sent twice: the second extract replaces the first wholesale.
    sus = landing / "sus"
    write_csv(
        sus / "APC_202505_20250615060000.csv",
        SUS_HEADER,
        [
            sus_row("S1", "2025-05-01"),
            sus_row("S2", "2025-05-02"),
            sus_row("S3", "2025-05-03"),
        ],
    )
    write_csv(
        sus / "APC_202505_20250715060000.csv",
        SUS_HEADER,
        [
            sus_row("S1", "2025-05-01", price="1,100.00"),
            sus_row("S2", "02/05/2025"),
            sus_row("S2", "2025-05-02"),  # repeat: quarantined
            sus_row("S4", "2025-05-04", provider="R0Z99", registration="", residence=""),  # unattributed
            sus_row("S5", "2025-05-05", provider="RJ121", registration="", residence=""),  # site → RJ1
        ],
    )
    # Ledger QKK M05 re-extracted: the second file replaces the first wholesale.
    ledger = landing / "ledger"
    write_csv(
        ledger / "QKK_GL_2526_M05_20250910180000.csv",
        LEDGER_HEADER,
        [
            ledger_row("J1", "1", "1000.00"),
            ledger_row("J1", "2", "2000.00"),
        ],
    )
    write_csv(
        ledger / "QKK_GL_2526_M05_20250920180000.csv",
        LEDGER_HEADER,
        [
            ledger_row("J1", "1", "1,500.00", cost_centre="714110"),
            ledger_row("J1", "2", "-£250.00"),
            ledger_row("J1", "2", "99.00"),  # repeat: quarantined
        ],
    )
    (landing / "ledger" / "notes.txt").write_text("not a landing file")


@pytest.fixture(scope="session")
def core_warehouse(tmp_path_factory: pytest.TempPathFactory) -> BuiltWarehouse:
    """The core landing loaded and built by `dbt build` (its unit tests included), once for
    both workers (shared_build.build_once); each worker reads its own copy. The build's exit
    code is kept, not raised, so that the test of the build names what failed; its log is
    run_dbt's, beside the warehouse."""
    root = build_once(tmp_path_factory.getbasetemp(), "core", _build_core)
    returncode = int((root / "dbt-returncode").read_text(encoding="utf-8"))
    return BuiltWarehouse(root / "warehouse.duckdb", returncode, root / "logs" / "dbt-console.log")


def _build_core(root: Path) -> None:
    landing = root / "landing"
    write_core_landing(landing)
    database = root / "warehouse.duckdb"
    with duckdb.connect(str(database)) as con:
        load_landing(con, landing)
    result = run_dbt(["build"], database, target="test", echo=False)  # unit tests included
    shutil.copyfile(dbt_target_path(database) / "run_results.json", root / "run_results.json")
    (root / "dbt-returncode").write_text(f"{result.returncode}\n", encoding="utf-8")
