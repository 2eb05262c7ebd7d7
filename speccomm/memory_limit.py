"""DuckDB's memory limit for the whole night: one rule, here.

`SPECCOMM_DUCKDB_MEMORY_LIMIT` (a DuckDB size, e.g. `8GB`) when set; else half the machine's
memory, and never less than 6 GB. dbt's profile reads the variable (profiles.yml), and
speccomm.dbt_runner sets it for dbt when it is unset, so the two agree. Every DuckDB
connection of the night's own steps (the loader, the data-quality checks, the reports, the
data tests after the build, the publisher) is opened with `duckdb_config()`: without it, a
connection may use 80 % of the machine whatever the setting says (the national quality step
held 5.36 GiB resident, 3.03 GiB with a 2 GB limit: docs/performance.md).

Why not a fixed 6 GB (decision 0042): the national build's identification-rule model alone
fills 5.5 GiB while spilling, and dbt's second thread runs another model in the same DuckDB
instance beside it; at 6 GB the national night failed with "Out of Memory Error" (measured
2026-12-07, docs/performance.md). The limit bounds DuckDB; it is not an allocation: a demo
build stays far below it.
"""

from __future__ import annotations

import os

MEMORY_LIMIT_ENV = "SPECCOMM_DUCKDB_MEMORY_LIMIT"
# What `duckdb.connect(config=...)` takes.
DuckDBConfig = dict[str, str | bool | int | float | list[str]]
FLOOR_GB = 6


def machine_memory_gb() -> int:
    """The machine's physical memory in whole GB (10^9 bytes, as DuckDB reads `GB`)."""
    return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 10**9


def default_memory_limit(machine_gb: int | None = None) -> str:
    """Half the machine's memory, at least FLOOR_GB."""
    machine = machine_memory_gb() if machine_gb is None else machine_gb
    return f"{max(FLOOR_GB, machine // 2)}GB"


def duckdb_memory_limit() -> str:
    """The limit in force: the environment's, else the default."""
    return os.environ.get(MEMORY_LIMIT_ENV) or default_memory_limit()


def duckdb_config(**settings: str | bool | int) -> DuckDBConfig:
    """`duckdb.connect(..., config=...)` under the limit in force, with `settings` beside it."""
    return {"memory_limit": duckdb_memory_limit(), **settings}
