"""A night's data tests run batched: one query for all the tests of a model, not one per test
(docs/decisions/0038 on the Spark cluster, 0045 on DuckDB).

Run by `dbt build`, each data test is a node of its own: dbt renders it, opens a transaction,
sends one statement and logs it, about 50 ms of dbt's CPU on DuckDB and 0.8 s of fixed cost
through the cluster's Thrift server, whatever the test reads. So a night builds without its
data tests (`--exclude-resource-type test`), has dbt compile them (`dbt compile --selector
<selection>_data_tests`, the same selection, vars and tests as a `dbt build` would run, each
test's SQL dbt's own), and runs the compiled SQL here (run_data_tests_batched), the tests of
one model (dbt's `attached_node`) as one query: a `union all` of dbt's own test query per test
(dbt_test_sql: `fail_calc`, `warn_if`, `error_if` and `limit` as the test's config sets them),
each branch labelled with its test's unique id. Each test is judged as dbt judges it (judge:
severity, thresholds), its result is added to the build's run_results.json in dbt's shape (so
the night counts and names it as any dbt test), and a test of severity error that fails fails
the night, named. A batch whose query fails (an error in one test's SQL) is run again one test
at a time, so the error is the test's, named, and the others still count.

The rows a test reads are those dbt compiled it for: the incremental models' tests read the
rows the build wrote (macros/tests/where_subquery.sql), so the compile is told the build's
invocation id (SPECCOMM_ROWS_BUILT_BY). On DuckDB the saving is dbt's node around each test,
not the statement: there each test is a query of its own (DUCKDB_TESTS_PER_QUERY).
`SPECCOMM_BATCH_DATA_TESTS=0` runs the tests in dbt's build instead (batched_data_tests), to
compare the two ways."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from speccomm.dbt_runner import BuildFailed, dbt_target_path, run_dbt
from speccomm.dbt_runner.kept_parse import KeptParse
from speccomm.memory_limit import duckdb_config

Execute = Callable[[str], list[tuple[object, ...]]]  # one SQL statement -> its rows

ROWS_BUILT_BY_ENV = "SPECCOMM_ROWS_BUILT_BY"  # macros/tests/where_subquery.sql
# "0": a night runs its data tests in its dbt build, one statement each, not batched after it:
# to compare the two ways, or to run a test the batch cannot (store_failures)
BATCH_ENV = "SPECCOMM_BATCH_DATA_TESTS"
TESTS_PER_QUERY = 40  # a model with more tests is split into queries of this many


class DataTestsFailed(BuildFailed):
    """A data test of severity error failed or could not run."""


@dataclass(frozen=True)
class DataTest:
    """One compiled dbt data test: its SQL (the rows that fail it) and how dbt judges it."""

    unique_id: str
    model: str  # the node it tests (dbt's attached_node), the unit of batching
    sql: str
    severity: str = "error"
    fail_calc: str = "count(*)"
    warn_if: str = "!= 0"
    error_if: str = "!= 0"
    limit: int | None = None


@dataclass(frozen=True)
class TestOutcome:
    """A test's result as dbt reports one: status pass, warn, fail or error."""

    unique_id: str
    status: str
    failures: int | None
    message: str
    seconds: float = 0.0

    def run_result(self) -> dict[str, object]:
        """The entry dbt writes into run_results.json for a data test."""
        return {
            "unique_id": self.unique_id, "status": self.status, "failures": self.failures,
            "message": self.message or None, "execution_time": round(self.seconds, 3),
            "thread_id": "speccomm-batched-tests", "timing": [], "adapter_response": {},
            "compiled": True, "compiled_code": None, "relation_name": None, "batch_results": None,
        }


def compiled_tests(manifest: Path, run_results: Path) -> list[DataTest]:
    """The data tests a `dbt compile` compiled (its run_results.json names them), with the SQL
    and configuration its manifest.json holds, in the order dbt compiled them."""
    nodes = json.loads(manifest.read_text(encoding="utf-8"))["nodes"]
    compiled = json.loads(run_results.read_text(encoding="utf-8"))["results"]
    tests = []
    for result in compiled:
        node = nodes[result["unique_id"]]
        if node["resource_type"] != "test":
            continue
        if result.get("status") != "success" or not node.get("compiled_code"):
            why = result.get("message")
            raise DataTestsFailed(f"dbt did not compile data test {node['unique_id']}: {why}")
        tests.append(_data_test(node))
    return tests


def _data_test(node: dict) -> DataTest:
    config = node["config"]
    if config.get("store_failures"):
        raise DataTestsFailed(f"{node['unique_id']} stores its failures: run it with dbt, not batched")
    depends = node.get("depends_on", {}).get("nodes", [])
    return DataTest(
        unique_id=node["unique_id"], model=node.get("attached_node") or (depends[0] if depends else ""),
        sql=node["compiled_code"], severity=str(config.get("severity") or "error").lower(),
        fail_calc=config.get("fail_calc") or "count(*)", warn_if=config.get("warn_if") or "!= 0",
        error_if=config.get("error_if") or "!= 0", limit=config.get("limit"),
    )


def dbt_test_sql(test: DataTest) -> str:
    """dbt's own query of one data test (its `get_test_sql`): the failures by `fail_calc` over
    the failing rows (at most `limit`), and whether they pass `warn_if` and `error_if`; labelled
    with the test's unique id."""
    limit = f"\n    limit {int(test.limit)}" if test.limit is not None else ""
    label = test.unique_id.replace("'", "''")
    return (
        f"select '{label}' as unique_id, {test.fail_calc} as failures,\n"
        f"    case when {test.fail_calc} {test.warn_if} then 1 else 0 end as should_warn,\n"
        f"    case when {test.fail_calc} {test.error_if} then 1 else 0 end as should_error\n"
        f"from (\n{test.sql}{limit}\n) dbt_internal_test"
    )


def batch_query(tests: list[DataTest]) -> str:
    """One query of every test in `tests`: one row per test (union all of dbt_test_sql)."""
    branches = (f"select * from (\n{dbt_test_sql(test)}\n) t{i}" for i, test in enumerate(tests))
    return "\nunion all\n".join(branches)


def batches(tests: Iterable[DataTest], size: int = TESTS_PER_QUERY) -> list[list[DataTest]]:
    """The tests by model (the model's tests together: their queries read the same table), a
    model's tests split into queries of at most `size`."""
    by_model: dict[str, list[DataTest]] = {}
    for test in tests:
        by_model.setdefault(test.model, []).append(test)
    return [group[i:i + size] for group in by_model.values() for i in range(0, len(group), size)]


def judge(test: DataTest, failures: object, should_warn: object, should_error: object) -> TestOutcome:
    """As dbt judges a data test: fail when its severity is error and `error_if` holds, else
    warn when `warn_if` holds, else pass."""
    count = int(str(failures)) if failures is not None else 0
    got = f"Got {count} result{'' if count == 1 else 's'}, configured to"
    if test.severity == "error" and int(str(should_error)):
        return TestOutcome(test.unique_id, "fail", count, f"{got} fail if {test.error_if}")
    if int(str(should_warn)):
        return TestOutcome(test.unique_id, "warn", count, f"{got} warn if {test.warn_if}")
    return TestOutcome(test.unique_id, "pass", count, "")


@dataclass
class BatchedRun:
    """The outcomes of a batched run and how many queries it took."""

    outcomes: list[TestOutcome]
    queries: int
    seconds: float

    @property
    def failed(self) -> list[TestOutcome]:
        return [outcome for outcome in self.outcomes if outcome.status in ("fail", "error")]

    def counts(self) -> dict[str, int]:
        counts = {"pass": 0, "warn": 0, "fail": 0, "error": 0}
        for outcome in self.outcomes:
            counts[outcome.status] += 1
        return counts


def run_batched(tests: list[DataTest], execute: Execute, *, size: int = TESTS_PER_QUERY) -> BatchedRun:
    """Every test of `tests`, a batch (batches) per query; a batch whose query fails is run
    again one test at a time, so an error is its own test's."""
    started = time.monotonic()
    outcomes: list[TestOutcome] = []
    queries = 0
    for batch in batches(tests, size):
        batch_started = time.monotonic()
        queries += 1
        try:
            rows = execute(batch_query(batch))
        except Exception:  # the engine's error: each test is run alone to name the one
            for test in batch:
                queries += 1
                outcomes.append(_run_alone(test, execute))
            continue
        share = (time.monotonic() - batch_started) / len(batch)
        outcomes.extend(_outcomes(batch, rows, share))
    return BatchedRun(outcomes, queries, time.monotonic() - started)


def _outcomes(batch: list[DataTest], rows: list[tuple[object, ...]], share: float) -> list[TestOutcome]:
    by_id = {str(row[0]): row for row in rows}
    outcomes = []
    for test in batch:
        row = by_id.get(test.unique_id)
        if row is None:
            outcomes.append(TestOutcome(test.unique_id, "error", None, "no row in its batch"))
            continue
        outcomes.append(replace(judge(test, row[1], row[2], row[3]), seconds=share))
    return outcomes


def _run_alone(test: DataTest, execute: Execute) -> TestOutcome:
    started = time.monotonic()
    try:
        rows = execute(dbt_test_sql(test))
    except Exception as exc:  # reported as the test's error, as dbt does
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return TestOutcome(test.unique_id, "error", None, first_line[:500], time.monotonic() - started)
    return replace(judge(test, *rows[0][1:4]), seconds=time.monotonic() - started)


def add_to_run_results(run_results: Path, build_results: Path, run: BatchedRun) -> None:
    """run_results.json as the build's (`build_results`, saved before the compile overwrote it)
    with the tests' results added, as a `dbt build` with its tests would have written it."""
    document = json.loads(build_results.read_text(encoding="utf-8"))
    document["results"].extend(outcome.run_result() for outcome in run.outcomes)
    document["elapsed_time"] = float(document.get("elapsed_time") or 0.0) + run.seconds
    partial = run_results.with_suffix(".tmp")
    partial.write_text(json.dumps(document, indent=1), encoding="utf-8")
    partial.replace(run_results)


def failure_summary(run: BatchedRun, limit: int = 10) -> str:
    """The failed tests by name (with what failed), for the night's error."""
    failed = run.failed
    named = "; ".join(f"{o.unique_id} ({o.status}: {o.message})" for o in failed[:limit])
    more = f"; and {len(failed) - limit} more" if len(failed) > limit else ""
    return f"{len(failed)} data test(s) failed: {named}{more}"


def batched_data_tests() -> bool:
    """Whether a night runs its data tests batched after its build (else in dbt's build)."""
    return os.environ.get(BATCH_ENV, "1") != "0"


# On DuckDB a query from this process costs about 2 ms whatever it reads (the 653 tests of the
# demo build: 1.7-2.0 s one query each, 1.5-1.7 s in 122 batches), so each test is its own
# query there: it holds only its own hash table, as under dbt, where a batch of a large
# table's tests would hold all of theirs at once.
DUCKDB_TESTS_PER_QUERY = 1


@contextlib.contextmanager
def duckdb_statements(database: Path) -> Iterator[Execute]:
    """A function that runs one statement on the DuckDB file `database` (opened under the name
    dbt's compiled SQL gives its catalog: the file's stem) and returns its rows, with the
    build's memory limit, over one connection closed at the end."""
    with duckdb.connect(
        str(database), config=duckdb_config(preserve_insertion_order=False)
    ) as con:
        yield lambda sql: con.execute(sql).fetchall()


def run_data_tests_batched(
    database: Path, statements: Callable[[], contextlib.AbstractContextManager[Execute]], *, selector: str,
    dbt_vars: dict[str, object], seed_path: Path | None, echo: bool, target: str = "dev",
    extra_env: dict[str, str] | None = None, kept_parse: KeptParse | None = None,
    per_query: int = TESTS_PER_QUERY,
) -> BatchedRun:
    """The data tests of the build just run on `database` (a `dbt build --selector <selector>`
    without its tests), run here: dbt compiles the selection's tests (`<selector>_data_tests`,
    with the build's vars, seeds, target and parse, and the build's invocation id for the tests
    of rows built in that run), then they run through `statements()` (the engine's connection),
    up to `per_query` of one model's tests in one query (batches). Their results join the
    build's run_results.json; a failed test of severity error raises DataTestsFailed naming it."""
    target_dir = dbt_target_path(database)
    build_results = target_dir / "build_run_results.json"
    shutil.copyfile(target_dir / "run_results.json", build_results)
    invocation = json.loads(build_results.read_text(encoding="utf-8"))["metadata"]["invocation_id"]
    started = time.monotonic()
    compile_args = ["compile", "--selector", f"{selector}_data_tests", "--vars", json.dumps(dbt_vars)]
    compiled = run_dbt(
        [*compile_args, "--no-populate-cache"], database, target=target, echo=echo,
        seed_path=seed_path, log_dir=database.parent / "logs-data-tests",
        extra_env={**(extra_env or {}), ROWS_BUILT_BY_ENV: invocation}, kept_parse=kept_parse,
    )
    if compiled.returncode != 0:
        shutil.copyfile(build_results, target_dir / "run_results.json")
        raise DataTestsFailed(
            f"dbt compile of the data tests failed (exit {compiled.returncode}); see {compiled.log_path}"
        )
    tests = compiled_tests(target_dir / "manifest.json", target_dir / "run_results.json")
    compile_seconds = time.monotonic() - started
    with statements() as execute:
        run = run_batched(tests, execute, size=per_query)
    add_to_run_results(target_dir / "run_results.json", build_results, run)
    counts = run.counts()
    print(f"      data tests after the build: {len(tests)} compiled by dbt in {compile_seconds:.0f} s, "
          f"run in {run.queries} queries in {run.seconds:.0f} s ({counts['pass']} passed, "
          f"{counts['warn']} warned, {counts['fail'] + counts['error']} failed)", flush=True)
    if run.failed:
        raise DataTestsFailed(failure_summary(run))
    return run
