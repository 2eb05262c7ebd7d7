"""`make lint`'s Python linters inside the suite: ruff and mypy must find nothing.

They run as tests, on one pytest worker while the other runs test modules (decision 0027).
sqlfluff, the SQL linter, is not here: at about 3 minutes of one core it was the suite's
costliest entry, so `.ci/run` runs it in `make lint` after the suite (decision 0044). `make
lint` runs the same commands with the same settings (Makefile) for a check by hand; the
generated checks table is tested by test_quality.py (catalogue.stale_docs).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from speccomm.config import PROJECT_ROOT

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent


def _lint(command: list[str]) -> None:
    result = subprocess.run(
        [str(BIN / command[0]), *command[1:]], cwd=PROJECT_ROOT, capture_output=True, text=True,
        timeout=1800,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]


def test_ruff_finds_nothing() -> None:
    _lint(["ruff", "check", "speccomm", "testkit", "tests", "bench"])


def test_mypy_finds_nothing() -> None:
    _lint(["mypy"])  # the files and settings of pyproject.toml's [tool.mypy]
