"""One dbt parse shared by builds of different warehouse files (speccomm.dbt_runner.shared_parse),
as the suite uses it (conftest.shared_dbt_parse)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from speccomm.dbt_runner import run_dbt
from speccomm.dbt_runner.shared_parse import PARSE_CACHE_ENV, entry_key, shared_parse

REPARSED = "Unable to do partial parsing"


def test_an_entry_is_keyed_by_the_settings_not_by_the_files_folder() -> None:
    key = entry_key(["build", "--vars", '{"a": 1}'], Path("/one/speccomm.duckdb"), "test",
                    {"DBT_LOG_PATH": "/one"})
    assert key == entry_key(["build", "--vars", '{"a": 1}'], Path("/two/speccomm.duckdb"), "test",
                            {"DBT_LOG_PATH": "/two"})
    assert key != entry_key(["build", "--vars", '{"a": 2}'], Path("/one/speccomm.duckdb"), "test", {})
    assert key != entry_key(["build", "--vars", '{"a": 1}'], Path("/one/build.duckdb"), "test", {})
    assert key != entry_key(["build", "--vars", '{"a": 1}'], Path("/one/speccomm.duckdb"), "dev", {})
    assert key != entry_key(["build", "--vars", '{"a": 1}'], Path("/one/speccomm.duckdb"), "test",
                            {"SPECCOMM_SEED_PATH": "seeds-tonight"})
    assert key != entry_key(["build", "--vars", '{"a": 1}'], Path("/one/speccomm.duckdb"), "test",
                            {"SPECCOMM_DUCKDB_MEMORY_LIMIT": "8GB"})
    assert key == entry_key(["build", "--vars", '{"a": 1}'], Path("/one/speccomm.duckdb"), "test",
                            {"PYTEST_CURRENT_TEST": "another test", "SPECCOMM_DBT_DATABASE": "/x.duckdb",
                             "SPECCOMM_SMTP_PASSWORD": "hunter2", "DBT_ENV_SECRET_TOKEN": "t0ken"})


def test_an_entry_in_use_is_not_lent_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PARSE_CACHE_ENV, str(tmp_path / "cache"))
    database = tmp_path / "speccomm.duckdb"
    with shared_parse(["parse"], database, "test", {}) as first:
        assert first is not None
        with shared_parse(["parse"], tmp_path / "other" / "speccomm.duckdb", "test", {}) as second:
            assert second is None  # the same entry, held: this run parses on its own
    with shared_parse(["parse"], database, "test", {}) as again:
        assert again is not None and again.folder == first.folder
    monkeypatch.delenv(PARSE_CACHE_ENV)
    with shared_parse(["parse"], database, "test", {}) as none:
        assert none is None


@pytest.mark.slow
def test_a_second_warehouse_file_reuses_the_first_ones_parse(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PARSE_CACHE_ENV, str(tmp_path / "cache"))
    logs = []
    for name in ("one", "two"):
        database = tmp_path / name / "speccomm.duckdb"
        database.parent.mkdir()
        result = run_dbt(["parse"], database, target="test", echo=False)
        assert result.returncode == 0, result.log_path.read_text()
        logs.append(result.log_path.read_text())
        assert not (tmp_path / "cache" / os.listdir(tmp_path / "cache")[0] / "speccomm.duckdb").exists()
    assert REPARSED in logs[0]  # nothing kept yet
    assert REPARSED not in logs[1], logs[1]  # another file, the same settings: the parse is reused
