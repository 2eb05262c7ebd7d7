"""Run dbt against one DuckDB file (a subprocess, so a failure or a kill cannot leave dbt's
state inside the caller)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from speccomm.config import PROJECT_ROOT


class BuildFailed(RuntimeError):
    """dbt exited non-zero: a model failed or a test of severity error failed."""


@dataclass(frozen=True)
class BuildResult:
    returncode: int
    log_path: Path


def dbt_executable() -> str:
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def run_dbt(
    args: list[str],
    database: Path,
    *,
    target: str = "dev",
    log_dir: Path | None = None,
    echo: bool = True,
) -> BuildResult:
    """Run `dbt <args>` with the warehouse file `database`; stream dbt's console lines."""
    log_dir = log_dir or database.parent / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "SPECCOMM_DBT_DATABASE": str(database),
        "DBT_LOG_PATH": str(log_dir),
        "DBT_TARGET_PATH": os.environ.get("DBT_TARGET_PATH", str(database.parent / "dbt-target")),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    command = [
        dbt_executable(), *args,
        "--project-dir", str(PROJECT_ROOT),
        "--profiles-dir", str(PROJECT_ROOT),
        "--target", target,
    ]
    log_path = log_dir / "dbt-console.log"
    with log_path.open("w", encoding="utf-8") as log, subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            log.write(line)
            if echo:
                sys.stdout.write("  dbt | " + line)
                sys.stdout.flush()
    return BuildResult(process.returncode, log_path)


def build_warehouse(database: Path, *, echo: bool = True) -> BuildResult:
    """`dbt build`: seeds, models and their tests, in dependency order."""
    result = run_dbt(["build"], database, echo=echo)
    if result.returncode != 0:
        raise BuildFailed(f"dbt build failed (exit {result.returncode}); see {result.log_path}")
    return result


def build_docs(out: Path | None) -> int:
    """`dbt docs generate` into `out` (default target/docs)."""
    database = PROJECT_ROOT / "warehouse" / "docs" / "speccomm.duckdb"
    database.parent.mkdir(parents=True, exist_ok=True)
    target = out or PROJECT_ROOT / "target" / "docs"
    result = run_dbt(["docs", "generate", "--target-path", str(target)], database)
    return result.returncode
