"""DuckDB's memory limit: one rule (speccomm/memory_limit.py) for dbt's build and the publisher."""

from __future__ import annotations

from pathlib import Path

import pytest

from speccomm import dbt_runner
from speccomm.memory_limit import MEMORY_LIMIT_ENV, default_memory_limit, duckdb_memory_limit


def test_the_default_is_half_the_machine_and_never_below_six_gb() -> None:
    assert default_memory_limit(24) == "12GB"
    assert default_memory_limit(64) == "32GB"
    assert default_memory_limit(8) == "6GB"
    assert default_memory_limit(13) == "6GB"


def test_the_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "3GB")
    assert duckdb_memory_limit() == "3GB"
    monkeypatch.delenv(MEMORY_LIMIT_ENV)
    assert duckdb_memory_limit() == default_memory_limit()


def test_dbt_is_given_the_limit_in_force(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: dict[str, str] = {}

    def fake_run(command: list[str], env: dict[str, str], **_: object) -> object:
        seen.update(env)
        raise RuntimeError("stop here")

    monkeypatch.delenv(MEMORY_LIMIT_ENV, raising=False)
    monkeypatch.setattr(dbt_runner.subprocess, "Popen", fake_run)
    with pytest.raises(RuntimeError, match="stop here"):
        dbt_runner.run_dbt(["debug"], tmp_path / "wh.duckdb", echo=False)
    assert seen[MEMORY_LIMIT_ENV] == default_memory_limit()
