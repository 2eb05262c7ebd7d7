"""`speccomm runs`: a header row; no run log, or a damaged one, is a one-line error naming the
file and a non-zero exit, never a traceback (issues 25 and 26)."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from speccomm.cli import main
from speccomm.runlog import EXIT_NO_RUN_LOG, RunLog, RunRecord


def _runs(warehouse: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "speccomm.cli", "runs", "--warehouse", str(warehouse)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_no_run_log_is_an_error_naming_where_it_looked(tmp_path: Path) -> None:
    result = _runs(tmp_path / "nope" / "speccomm.duckdb")
    assert result.returncode == EXIT_NO_RUN_LOG != 0
    assert f"no run log at {tmp_path / 'nope' / 'state' / 'runs.sqlite'}" in result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr


def test_a_damaged_run_log_is_named_without_a_traceback(tmp_path: Path) -> None:
    runs_db = tmp_path / "state" / "runs.sqlite"
    runs_db.parent.mkdir()
    runs_db.write_bytes(b"this is not an SQLite database, only its name\n" * 200)
    result = _runs(tmp_path / "speccomm.duckdb")
    assert result.returncode == EXIT_NO_RUN_LOG != 0
    assert f"the run log {runs_db} cannot be read" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_runs_prints_a_header_row_above_the_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = RunLog(tmp_path / "state" / "runs.sqlite")
    record = RunRecord(run_id="20261206T010203Z-abcd", started_at=datetime(2026, 12, 6, 1, 2, 3))
    record.files_loaded, record.rows_loaded, record.reference_version = 3, 1234, "shipped"
    record.finish("succeeded")
    log.save(record)
    assert main(["runs", "--warehouse", str(tmp_path / "speccomm.duckdb")]) == 0
    header, row = capsys.readouterr().out.splitlines()
    assert header.split()[:4] == ["RUN", "ID", "KIND", "STATUS"]
    assert "REFERENCE" in header and "ROWS" in header
    assert row.startswith("20261206T010203Z-abcd  nightly ") and "succeeded" in row
    # each figure sits under its heading
    assert row[header.index("ROWS") : header.index("ROWS") + 4].strip() == "1234"
    assert row[header.index("REFERENCE") :].startswith("shipped")
