"""Data tests run outside dbt's build (speccomm.dbt_runner.data_tests, docs/decisions/0038 and
0045): what a night runs after its build, one query per test on DuckDB and one per model's tests
on the Spark cluster. It is SQL over dbt's compiled tests, checked here on DuckDB against dbt's
own run of each test: the same status for every test of a build (batched by model), and the same
failed tests after a defect is planted, through the night's own function and setting
(run_data_tests_batched, one query a test), whose results the night counts from
run_results.json. (`make spark-parity` runs the batches on the cluster.)"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import duckdb
import pytest

from conftest import BuiltWarehouse
from speccomm.dbt_runner import dbt_test_counts, run_dbt
from speccomm.dbt_runner.data_tests import (
    DUCKDB_TESTS_PER_QUERY,
    ROWS_BUILT_BY_ENV,
    DataTest,
    DataTestsFailed,
    Execute,
    add_to_run_results,
    batch_query,
    batches,
    compiled_tests,
    duckdb_statements,
    failure_summary,
    judge,
    run_batched,
    run_data_tests_batched,
)


def _test(name: str, sql: str, model: str = "model.p.m", **config: object) -> DataTest:
    return DataTest(unique_id=f"test.p.{name}", model=model, sql=sql, **config)  # type: ignore[arg-type]


def _duckdb(con: duckdb.DuckDBPyConnection, log: list[str] | None = None) -> Execute:
    def execute(sql: str) -> list[tuple[object, ...]]:
        if log is not None:
            log.append(sql)
        return con.execute(sql).fetchall()
    return execute


def test_judged_as_dbt_judges_severity_and_thresholds() -> None:
    strict = _test("a", "select 1")
    assert judge(strict, 0, 0, 0).status == "pass"
    assert judge(strict, 3, 1, 1).status == "fail"
    assert judge(strict, 3, 1, 1).message == "Got 3 results, configured to fail if != 0"
    assert judge(_test("b", "select 1", severity="warn"), 3, 1, 1).status == "warn"  # never fails
    tolerant = _test("c", "select 1", warn_if="> 0", error_if="> 5")
    assert judge(tolerant, 2, 1, 0).status == "warn"


def test_each_test_keeps_its_own_threshold_limit_and_fail_calc_in_one_query() -> None:
    tests = [
        _test("none", "select * from t where x > 100"),
        _test("three", "select * from t where x <= 3"),
        _test("tolerated", "select * from t where x <= 3", warn_if="> 0", error_if="> 5"),
        _test("warned", "select * from t", severity="warn"),
        _test("limited", "select * from t", limit=2),
        _test("summed", "select x from t", fail_calc="coalesce(sum(x), 0)"),
    ]
    with duckdb.connect() as con:
        con.execute("create table t as select range + 1 as x from range(10)")
        queries: list[str] = []
        run = run_batched(tests, _duckdb(con, queries))
    assert len(queries) == 1
    by_id = {o.unique_id.removeprefix("test.p."): (o.status, o.failures) for o in run.outcomes}
    assert by_id == {
        "none": ("pass", 0), "three": ("fail", 3), "tolerated": ("warn", 3), "warned": ("warn", 10),
        "limited": ("fail", 2), "summed": ("fail", 55),
    }
    assert [o.unique_id for o in run.failed] == ["test.p.three", "test.p.limited", "test.p.summed"]
    assert "test.p.three (fail: Got 3 results" in failure_summary(run)


def test_one_query_per_model_split_when_large() -> None:
    tests = [_test(f"{m}{i}", "select 1", model=f"model.p.{m}") for m in "ab" for i in range(5)]
    tests.append(_test("c0", "select 1", model="model.p.c"))
    assert [len(b) for b in batches(tests, size=3)] == [3, 2, 3, 2, 1]
    assert batch_query(tests[:2]).count("union all") == 1


def test_a_batch_that_fails_is_run_test_by_test_naming_the_broken_one() -> None:
    tests = [_test("good", "select * from t where x > 5"), _test("broken", "select * from no_such_table"),
             _test("other", "select * from t where x < 0", model="model.p.other")]
    with duckdb.connect() as con:
        con.execute("create table t as select range as x from range(10)")
        queries: list[str] = []
        run = run_batched(tests, _duckdb(con, queries))
    statuses = {o.unique_id: o.status for o in run.outcomes}
    assert statuses == {"test.p.good": "fail", "test.p.broken": "error", "test.p.other": "pass"}
    assert run.queries == len(queries) == 4  # the failed batch, its two tests alone, the other model
    assert "no_such_table" in next(o.message for o in run.outcomes if o.status == "error")


def test_results_join_the_builds_run_results_as_dbt_writes_them(tmp_path: Path) -> None:
    build = tmp_path / "build_run_results.json"
    build.write_text(json.dumps({"metadata": {}, "elapsed_time": 10.0,
                                 "results": [{"unique_id": "model.p.m", "status": "success"}]}))
    with duckdb.connect() as con:
        run = run_batched([_test("a", "select 1 as x")], _duckdb(con))
    target = tmp_path / "run_results.json"
    add_to_run_results(target, build, run)
    results = json.loads(target.read_text())["results"]
    assert [(r["unique_id"], r["status"], r.get("failures")) for r in results] == [
        ("model.p.m", "success", None), ("test.p.a", "fail", 1)]


def _compile_tests(database: Path, target: Path, rows_built_by: str) -> list[DataTest]:
    result = run_dbt(
        ["compile", "--selector", "nightly_data_tests", "--no-populate-cache"], database, target="test",
        echo=False, log_dir=target.parent / "logs-compile",
        extra_env={"DBT_TARGET_PATH": str(target), ROWS_BUILT_BY_ENV: rows_built_by},
    )
    assert result.returncode == 0, result.log_path.read_text()[-3000:]
    return compiled_tests(target / "manifest.json", target / "run_results.json")


def _statuses(run_results: Path) -> dict[str, str]:
    results = json.loads(run_results.read_text())["results"]
    return {r["unique_id"]: r["status"] for r in results if r["unique_id"].startswith("test.")}


@pytest.fixture(scope="module")
def copied(core_warehouse: BuiltWarehouse, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A copy of the core warehouse (its file name kept: the compiled SQL names the catalog) and
    its build's run_results.json (every data test run by dbt, one by one)."""
    root = tmp_path_factory.mktemp("batched")
    database = root / core_warehouse.database.name
    shutil.copyfile(core_warehouse.database, database)
    return database, core_warehouse.database.parent / "run_results.json"


def test_batched_gives_dbts_status_for_every_test_of_a_build(copied: tuple[Path, Path]) -> None:
    database, built = copied
    build_invocation = json.loads(built.read_text())["metadata"]["invocation_id"]
    tests = _compile_tests(database, database.parent / "target", build_invocation)
    with duckdb.connect(str(database), read_only=True) as con:
        queries: list[str] = []
        run = run_batched(tests, _duckdb(con, queries))
    dbt_says = _statuses(built)
    assert len(run.outcomes) == len(tests) > 300
    # a test of the rows built in this run reads the build's rows, not the compile's (none):
    # the generic tests' where_subquery and the singular conservation test alike
    named = {found for test in tests for found in re.findall(r"build_invocation_id = '([^']*)'", test.sql)}
    assert named == {build_invocation}
    assert any("assert_sus_and_ledger_extracts_conserved" in test.unique_id and build_invocation in test.sql
               for test in tests)
    assert {o.unique_id: o.status for o in run.outcomes} == {t.unique_id: dbt_says[t.unique_id]
                                                             for t in tests}
    assert len(queries) < len(tests) / 3


def test_a_planted_defect_fails_the_same_tests_both_ways(
    copied: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The night's own function (compile, batch, judge, run_results.json) against `dbt test`."""
    database, built = copied
    nodes = json.loads((database.parent / "target" / "manifest.json").read_text())["nodes"]
    model_id, column = _not_null_column_of_a_table(nodes)
    model = nodes[model_id]
    with duckdb.connect(str(database)) as con:  # one row's key lost
        con.execute(f'update "{model["schema"]}"."{model["alias"]}" set "{column}" = null '
                    f'where rowid = (select min(rowid) from "{model["schema"]}"."{model["alias"]}")')
    dbt_run = run_dbt(["test", "--select", model["name"], "--exclude-resource-type", "unit_test"], database,
                      target="test", echo=False, log_dir=database.parent / "logs-defect",
                      extra_env={"DBT_TARGET_PATH": str(database.parent / "target-dbt")})
    assert dbt_run.returncode != 0
    dbt_says = _statuses(database.parent / "target-dbt" / "run_results.json")
    dbt_failed = {test for test, status in dbt_says.items() if status == "fail"}
    assert any(f"not_null_{model['name']}_{column}" in test for test in dbt_failed)

    night_target = database.parent / "target-night"  # as a night's build without its tests left it
    night_target.mkdir()
    build = json.loads(built.read_text())
    build["results"] = [r for r in build["results"] if r["unique_id"].startswith(("model.", "seed."))]
    (night_target / "run_results.json").write_text(json.dumps(build))
    monkeypatch.setenv("DBT_TARGET_PATH", str(night_target))
    started = time.time()
    with pytest.raises(DataTestsFailed, match=f"{len(dbt_failed)} data test\\(s\\) failed") as failed:
        run_data_tests_batched(database, lambda: duckdb_statements(database), selector="nightly",
                               dbt_vars={}, seed_path=None, echo=False, target="test",
                               per_query=DUCKDB_TESTS_PER_QUERY)
    assert all(test in str(failed.value) for test in dbt_failed)
    counts = dbt_test_counts(night_target, since=started)
    assert counts is not None
    passed, failed_count, warned, failing = counts
    assert failed_count == len(dbt_failed) and {f.split(" (")[0] for f in failing} == dbt_failed
    assert passed + failed_count + warned == len(_statuses(built)) > 300  # every data test judged


def _not_null_column_of_a_table(nodes: dict) -> tuple[str, str]:
    """A model built as a table (not incremental: its tests read every row) with a not_null test."""
    for node in nodes.values():
        meta = node.get("test_metadata") or {}
        model = nodes.get(node.get("attached_node") or "", {})
        if meta.get("name") == "not_null" and model.get("config", {}).get("materialized") == "table":
            return model["unique_id"], meta["kwargs"]["column_name"]
    raise AssertionError("no not_null test of a table")
