"""dbt as dbt users work: the shipped profiles.yml, a fresh database with no landing file
loaded (the raw tables are created empty), `dbt build -s <model>+` with its unit tests, the
selectors the nightly uses, `dbt source freshness` on the file registry, and descriptions
persisted as comments (what BI tools show as column metadata)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from test_nightly import NightEnv, first_night

from speccomm.config import PROJECT_ROOT
from speccomm.dbt_runner import dbt_executable
from speccomm.load.raw_layer import ensure_raw_layer
from speccomm.load.raw_schema import ensure_raw_schema
from speccomm.quality.tables import ensure_tables as ensure_dq_tables

pytestmark = pytest.mark.slow


def dbt(args: list[str], database: Path, target_path: Path) -> subprocess.CompletedProcess:
    """dbt as a person types it in the project folder: profiles.yml found there, no extra flags."""
    env = {**os.environ, "SPECCOMM_DBT_DATABASE": str(database), "DBT_TARGET_PATH": str(target_path),
           "DBT_LOG_PATH": str(target_path / "logs")}
    return subprocess.run([dbt_executable(), *args], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=900)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, subprocess.CompletedProcess]:
    root = tmp_path_factory.mktemp("fresh-dbt")
    database, target = root / "speccomm.duckdb", root / "target"
    built = dbt(["build", "-s", "+fct_contract_activity"], database, target)
    return database, target, built


def test_dbt_debug_works_with_the_shipped_profile(tmp_path: Path) -> None:
    result = dbt(["debug"], tmp_path / "speccomm.duckdb", tmp_path / "target")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "All checks passed" in result.stdout


def test_dbt_debug_before_the_first_run_names_the_missing_folder(tmp_path: Path) -> None:
    """Before `make run` warehouse/dev/ does not exist: dbt debug says so and what creates it
    (it used to blame "credentials" alone)."""
    folder = tmp_path / "warehouse" / "dev"
    result = dbt(["debug"], folder / "speccomm.duckdb", tmp_path / "target")
    assert result.returncode != 0
    said = " ".join(result.stdout.split())
    assert f"the folder {folder} of the DuckDB database" in said, said[-3000:]
    assert "does not exist yet" in said
    assert "`make run`" in said and f"mkdir -p {folder}" in said
    assert not folder.exists(), "debug creates nothing"


def test_the_default_development_database_is_not_the_published_file() -> None:
    profile = (PROJECT_ROOT / "profiles.yml").read_text(encoding="utf-8")
    assert "'warehouse/dev/speccomm.duckdb'" in profile


def test_a_model_and_its_parents_build_on_a_fresh_database(
    fresh: tuple[Path, Path, subprocess.CompletedProcess]
) -> None:
    database, target, built = fresh
    assert built.returncode == 0, built.stdout[-5000:]
    results = json.loads((target / "run_results.json").read_text())["results"]
    assert any(r["unique_id"].startswith("unit_test.") for r in results), "unit tests run with the model"
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("select count(*) from raw.slam_rows").fetchone() == (0,)
        assert con.execute("select count(*) from marts.fct_contract_activity").fetchone() == (0,)


def test_the_declared_raw_tables_are_those_the_loader_creates(
    fresh: tuple[Path, Path, subprocess.CompletedProcess], tmp_path: Path
) -> None:
    loader = tmp_path / "loader.duckdb"
    with duckdb.connect(str(loader)) as con:
        ensure_raw_schema(con)
        ensure_raw_layer(con, tmp_path / "raw")  # the views over the rows' Parquet files
    query = ("select table_name, column_name, data_type from duckdb_columns()"
             " where schema_name = 'raw' order by table_name, column_index")
    with duckdb.connect(str(fresh[0]), read_only=True) as con:
        by_dbt = con.execute(query).fetchall()
    with duckdb.connect(str(loader), read_only=True) as con:
        by_loader = con.execute(query).fetchall()
    assert by_dbt == by_loader


def test_the_declared_dq_tables_are_those_the_runner_creates(
    fresh: tuple[Path, Path, subprocess.CompletedProcess], tmp_path: Path
) -> None:
    """A fresh database gets the runner's tables from their YAML (the DQMI views read them)."""
    runner = tmp_path / "runner.duckdb"
    with duckdb.connect(str(runner)) as con:
        ensure_dq_tables(con)
    query = ("select table_name, column_name, data_type from duckdb_columns()"
             " where schema_name = 'dq' and table_name in (select table_name from duckdb_tables()"
             " where schema_name = 'dq' and database_name = current_database())"
             " order by table_name, column_index")
    with duckdb.connect(str(runner), read_only=True) as con:
        by_runner = con.execute(query).fetchall()
    with duckdb.connect(str(fresh[0]), read_only=True) as con:
        by_dbt = [row for row in con.execute(query).fetchall() if row[0] in {r[0] for r in by_runner}]
    assert by_runner and by_dbt == by_runner


# One dbt process lists every selection: it parses once and hands the parsed project to each
# `dbt ls` (dbt's programmatic runner), where eight `dbt ls` commands took 9 s each under load,
# most of it starting dbt and reading the parse again. The names are what `dbt ls --output name`
# prints.
_LIST_SELECTIONS = """
import json, sys
from dbt.cli.main import dbtRunner
selections, out = json.loads(sys.argv[1]), sys.argv[2]
parsed = dbtRunner().invoke(["parse", "--quiet"])
if not parsed.success:
    raise SystemExit(f"dbt parse failed: {parsed.exception}")
runner, listed = dbtRunner(manifest=parsed.result), {}
for name, arguments in selections.items():
    result = runner.invoke(["ls", *arguments, "--output", "name", "--quiet"])
    if not result.success:
        raise SystemExit(f"dbt ls {arguments} failed: {result.exception}")
    listed[name] = sorted(result.result)
with open(out, "w", encoding="utf-8") as handle:
    json.dump(listed, handle)
"""


def listed_by(selections: dict[str, list[str]], tmp_path: Path) -> dict[str, set[str]]:
    """The names `dbt ls <arguments> --output name` lists, for each named selection."""
    out = tmp_path / "listed.json"
    env = {**os.environ, "SPECCOMM_DBT_DATABASE": str(tmp_path / "speccomm.duckdb"),
           "DBT_TARGET_PATH": str(tmp_path / "target"), "DBT_LOG_PATH": str(tmp_path / "target" / "logs")}
    result = subprocess.run([sys.executable, "-c", _LIST_SELECTIONS, json.dumps(selections), str(out)],
                            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    return {name: set(names) for name, names in json.loads(out.read_text(encoding="utf-8")).items()}


def test_selectors_name_the_nightly_marts_and_dq_selections(tmp_path: Path) -> None:
    views = ["--select", "source:*+,config.materialized:view"]
    listed = listed_by({
        "nightly": ["--selector", "nightly"], "marts": ["--selector", "marts"], "dq": ["--selector", "dq"],
        "seeds_loaded": ["--selector", "nightly_seeds_loaded"],
        "unit_tests": ["--select", "test_type:unit"],
        # a month night leaves the views as published but runs every test of those below a
        # source (docs/decisions/0041)
        "views_below_a_source": [*views, "--resource-type", "model"],
        "tests_of_those": [*views, "--indirect-selection", "eager", "--resource-type", "test"],
    }, tmp_path)
    nightly, marts, dq, seeds_loaded = (listed[name] for name in ("nightly", "marts", "dq", "seeds_loaded"))
    assert listed["unit_tests"], "the project has unit tests"
    assert {"fct_contract_activity", "dim_icb", "rejected_files", "icbs"} <= nightly
    assert not nightly & listed["unit_tests"], "the nightly leaves the unit tests out"
    assert "fct_contract_activity" in marts and "stg_slam__contract_lines" in marts
    assert {"rejected_files", "dq_check_slam_current_rows"} <= dq, "the dq models and their check models"
    assert "fct_contract_activity" in dq, "with the marts the checks read"
    assert "rpt_icb_variation" in marts and "rpt_icb_variation" not in dq, "but not the marts they do not"
    build = (PROJECT_ROOT / "speccomm" / "dbt_runner" / "__init__.py").read_text(encoding="utf-8")
    # the night builds the nightly selection, or its seeds-loaded twin when the seeds are unchanged
    assert '"--selector", selector' in build and '"nightly" if load_seeds' in build
    assert not seeds_loaded & listed["unit_tests"]
    # a month night builds no view, and the tests of the views below a source all run in it
    views_below_a_source, tests_of_those = listed["views_below_a_source"], listed["tests_of_those"]
    assert {"stg_sus__records", "int_sus__records_placed"} <= views_below_a_source
    assert not views_below_a_source & seeds_loaded, "a month night builds no view"
    assert tests_of_those and tests_of_those <= seeds_loaded, sorted(tests_of_those - seeds_loaded)[:10]


def test_source_freshness_warns_for_a_provider_late_against_the_timetable(
    fresh: tuple[Path, Path, subprocess.CompletedProcess], tmp_path: Path
) -> None:
    database = tmp_path / "speccomm.duckdb"
    database.write_bytes(fresh[0].read_bytes())
    now = datetime.now(UTC).replace(tzinfo=None)
    with duckdb.connect(str(database)) as con:
        for file_id, (feed, org, days) in enumerate(
            [("slam", "RJ1", 10), ("slam", "RJZ", 50), ("sus", None, 5), ("ledger", "QKK", 3)], start=1
        ):
            con.execute(
                "insert into raw.file_registry (file_id, file_name, feed, org_code, received_at, row_count,"
                " checksum, loaded_at) values (?, ?, ?, ?, ?, 0, 'x', ?)",
                [file_id, f"f{file_id}.csv", feed, org, now - timedelta(days=days), now],
            )
    result = dbt(["source", "freshness", "-s", "source:landing"], database, tmp_path / "target")
    assert result.returncode == 0, result.stdout[-3000:]  # warnings only
    sources = json.loads((tmp_path / "target" / "sources.json").read_text())["results"]
    status = {r["unique_id"].rsplit(".", 1)[1]: r["status"] for r in sources}
    expected = {"landing_files": "pass", "slam_files": "warn", "sus_files": "pass", "ledger_files": "pass"}
    assert status == expected, status


def test_source_freshness_of_a_sample_landing_explains_itself(
    fresh: tuple[Path, Path, subprocess.CompletedProcess], tmp_path: Path
) -> None:
    """A landing dated long ago (the demo's files were received in 2024-26): each feed is
    measured as at the landing's newest file, so only the genuinely late feed warns, the whole
    landing's age is a warning that says what it is, and nothing fails (it was ERROR STALE on
    every feed, exit 1)."""
    database = tmp_path / "speccomm.duckdb"
    database.write_bytes(fresh[0].read_bytes())
    newest = datetime(2026, 4, 16, 18, 5)
    with duckdb.connect(str(database)) as con:
        for file_id, (feed, org, days) in enumerate(
            [("slam", "RJ1", 60), ("slam", "RJZ", 10), ("sus", None, 5), ("ledger", "QKK", 0)], start=1
        ):
            con.execute(
                "insert into raw.file_registry (file_id, file_name, feed, org_code, received_at, row_count,"
                " checksum, loaded_at) values (?, ?, ?, ?, ?, 0, 'x', ?)",
                [file_id, f"f{file_id}.csv", feed, org, newest - timedelta(days=days), newest],
            )
    result = dbt(["source", "freshness", "-s", "source:landing"], database, tmp_path / "target")
    assert result.returncode == 0, result.stdout[-3000:]
    sources = json.loads((tmp_path / "target" / "sources.json").read_text())["results"]
    status = {r["unique_id"].rsplit(".", 1)[1]: r["status"] for r in sources}
    expected = {"landing_files": "warn", "slam_files": "warn", "sus_files": "pass", "ledger_files": "pass"}
    assert status == expected, status
    said = " ".join(result.stdout.split())
    assert "measured as at the landing's newest file, received 2026-04-16 18:05:00 UTC" in said, said[-3000:]


def test_comments_on_every_published_column(tmp_path_factory: pytest.TempPathFactory) -> None:
    env: NightEnv = first_night(tmp_path_factory.getbasetemp())
    [(missing, total)] = env.query(
        "select count(*) filter (where comment is null or comment = ''), count(*) from duckdb_columns()"
        " where database_name = 'speccomm' and schema_name in ('marts', 'dq', 'reference', 'ops', 'raw')"
    )
    assert total > 400 and missing == 0
    [(tables_without,)] = env.query(
        "select count(*) from duckdb_tables() where database_name = 'speccomm'"
        " and schema_name in ('marts', 'dq', 'reference', 'ops', 'raw') and comment is null"
    )
    assert tables_without == 0
    assert env.query(
        "select comment from duckdb_columns() where schema_name = 'dq' and table_name = 'dq_check_results'"
        " and column_name = 'status'"
    )[0][0].startswith("`pass`, `warn` or `fail`")
