"""`make lint` inside the suite: ruff, mypy and sqlfluff must find nothing.

`make test` used to run `make lint` first and the suite after it; the linters' single-process
stretches (mypy; sqlfluff's dbt templater compiling the project before it lints) left one of
the machine's two cores idle while the suite waited. As tests, each linter runs on one pytest
worker while the other worker runs test modules. `make lint` runs the same commands with the
same settings (Makefile) for a quick check by hand; the generated checks table is tested by
test_quality.py (catalogue.stale_docs).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from speccomm.config import PROJECT_ROOT

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent


def _lint(command: list[str], env: dict[str, str] | None = None) -> None:
    result = subprocess.run(
        [str(BIN / command[0]), *command[1:]], cwd=PROJECT_ROOT, env={**os.environ, **(env or {})},
        capture_output=True, text=True, timeout=1800,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]


def test_ruff_finds_nothing() -> None:
    _lint(["ruff", "check", "speccomm", "tests", "bench"])


def test_mypy_finds_nothing() -> None:
    _lint(["mypy"])  # the files and settings of pyproject.toml's [tool.mypy]


def test_sqlfluff_finds_nothing_in_the_models_and_data_tests(tmp_path: Path) -> None:
    """The dbt templater compiles the project into a scratch database and target folder."""
    scratch = {
        "SPECCOMM_DBT_DATABASE": str(tmp_path / "speccomm.duckdb"),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
    }
    _lint(["sqlfluff", "lint", "--processes", "1", "models", "tests/data_tests"], scratch)
