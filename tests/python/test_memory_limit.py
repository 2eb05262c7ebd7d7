"""DuckDB's memory limit: one rule (speccomm/memory_limit.py) for dbt's build and every DuckDB
connection of the night's own steps."""

from __future__ import annotations

import ast
from pathlib import Path

import duckdb
import pytest

from speccomm import dbt_runner
from speccomm.memory_limit import MEMORY_LIMIT_ENV, default_memory_limit, duckdb_config, duckdb_memory_limit

PROJECT_ROOT = Path(__file__).resolve().parents[2]


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


# The modules whose DuckDB connections are the night's own steps on the working copy or its
# published copy: the loader's and the checks' (nightly), the data tests after the build, the
# publisher's rewrite.
NIGHT_MODULES = ("speccomm/nightly.py", "speccomm/dbt_runner/data_tests.py", "speccomm/publish/storage.py")


def _connects_without_the_limit(source: str) -> list[int]:
    """Lines of `duckdb.connect(...)` calls not given `config=duckdb_config(...)`."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and ast.unparse(node.func) == "duckdb.connect"):
            continue
        config = next((k.value for k in node.keywords if k.arg == "config"), None)
        if not (isinstance(config, ast.Call) and ast.unparse(config.func) == "duckdb_config"):
            lines.append(node.lineno)
    return lines


@pytest.mark.parametrize("module", NIGHT_MODULES)
def test_every_duckdb_connection_of_the_night_is_under_the_limit(module: str) -> None:
    source = (PROJECT_ROOT / module).read_text(encoding="utf-8")
    assert "duckdb.connect(" in source, module  # the check below would otherwise pass on nothing
    assert _connects_without_the_limit(source) == [], f"{module}: duckdb.connect without duckdb_config()"


def test_a_connection_opened_with_the_config_has_the_limit(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "1GB")
    config = duckdb_config(preserve_insertion_order=False)
    with duckdb.connect(str(tmp_path / "wh.duckdb"), config=config) as con:
        limit, order = con.execute(
            "select current_setting('memory_limit'), current_setting('preserve_insertion_order')"
        ).fetchone()
    assert limit == "953.6 MiB"  # 1 GB (10^9 bytes) as DuckDB shows it
    assert order is False
