"""The standalone Spark cluster (speccomm.spark.cluster) and the faults a cluster has.

The first tests need no JVM: a night pointed at a cluster that does not answer, or at a folder
with no cluster, fails at the build step naming the address, and publishes nothing. The rest
start a real cluster (master, two workers, Thrift server: about 2 minutes on a loaded 2-core
machine, bounded to 1 GiB a worker and 2 GiB for the driver) and are run by `make spark-faults`
(SPECCOMM_SPARK_CLUSTER_TESTS=1), which .ci/run runs after `make spark-parity`: a worker killed
in the middle of a job (Spark runs its tasks again on the other worker, the answer is right),
an executor out of memory (the error says so), data tests batched in one query judged as
each run alone (decision 0038), and every process gone after stop.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from landing_files import SLAM_HEADER, slam_row, write_csv
from speccomm.cli import main
from speccomm.dbt_runner.data_tests import DataTest, dbt_test_sql, judge, run_batched
from speccomm.nightly import EXIT_CODES
from speccomm.spark.cluster import (
    CLUSTER_ENV,
    STATE_FILE,
    ClusterState,
    cluster_status,
    executor_failures,
    free_port,
    kill_process,
    out_of_memory_message,
    start_cluster,
    stop_cluster,
)
from speccomm.spark.parity import split_newest_month
from speccomm.spark.thrift import thrift_statements

RUN_CLUSTER = os.environ.get("SPECCOMM_SPARK_CLUSTER_TESTS") == "1"
needs_cluster = pytest.mark.skipif(not RUN_CLUSTER, reason="starts a Spark cluster: make spark-faults")


def _landing(root: Path) -> Path:
    write_csv(root / "slam" / "RJ1_ACM_2526_M01_20250512093000.csv", SLAM_HEADER, [slam_row("1")])
    return root


def _night(tmp_path: Path) -> tuple[int, Path]:
    warehouse = tmp_path / "w" / "speccomm.duckdb"
    code = main(["nightly", "--engine", "spark", "--landing", str(_landing(tmp_path / "landing")),
                 "--warehouse", str(warehouse), "--outbox", str(tmp_path / "outbox")])
    return code, warehouse


def test_a_night_on_a_cluster_whose_master_does_not_answer_fails_at_the_build_step_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "cluster"
    root.mkdir()
    state = ClusterState(str(root), free_port(), free_port(), free_port(), {"master": 1})
    (root / STATE_FILE).write_text(json.dumps(state.__dict__), encoding="utf-8")
    monkeypatch.setenv(CLUSTER_ENV, str(root))
    code, warehouse = _night(tmp_path)
    err = capsys.readouterr().err
    assert code == EXIT_CODES["build"]
    assert f"the Spark master at spark://127.0.0.1:{state.master_port} does not answer" in err
    assert not warehouse.exists()


def test_a_night_on_a_folder_with_no_cluster_says_how_to_start_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(CLUSTER_ENV, str(tmp_path / "nothing-here"))
    code, warehouse = _night(tmp_path)
    err = capsys.readouterr().err
    assert code == EXIT_CODES["build"]
    assert "no Spark cluster in" in err and "cluster start" in err
    assert not warehouse.exists()


def test_stopping_where_no_cluster_runs_stops_nothing(tmp_path: Path) -> None:
    assert stop_cluster(tmp_path) == []


def test_stop_ends_each_process_group_and_leaves_no_zombie(tmp_path: Path) -> None:
    # stand-ins for the four JVMs: each a process group of two, which stop must end whole
    names = ("master", "worker-1", "worker-2", "thrift")
    pids = {name: subprocess.Popen(["sh", "-c", "sleep 300 & exec sleep 300"],
                                   start_new_session=True).pid for name in names}
    state = ClusterState(str(tmp_path), free_port(), free_port(), free_port(), pids)
    (tmp_path / STATE_FILE).write_text(json.dumps(state.__dict__), encoding="utf-8")
    assert stop_cluster(tmp_path) == ["thrift", "worker-2", "worker-1", "master"]
    assert not (tmp_path / STATE_FILE).exists()
    for pid in pids.values():
        with pytest.raises(ProcessLookupError):
            os.killpg(pid, 0)


def test_an_executor_out_of_memory_is_named_from_its_stderr(tmp_path: Path) -> None:
    stderr = tmp_path / "work" / "worker-2" / "app-1" / "0" / "stderr"
    stderr.parent.mkdir(parents=True)
    stderr.write_text("INFO starting\nERROR Executor: Exception in task 0.0\n"
                      "java.lang.OutOfMemoryError: Java heap space\n\tat java.base/...\n", encoding="utf-8")
    assert executor_failures(tmp_path, since=0) == ["worker-2 executor 0: java.lang.OutOfMemoryError: "
                                                    "Java heap space"]
    message = out_of_memory_message(tmp_path, since=0)
    assert message is not None and "ran out of memory" in message and "768m" in message
    assert out_of_memory_message(tmp_path, since=time.time() + 60) is None  # an older executor's


def test_two_nights_hold_back_the_files_received_in_the_newest_month(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write_csv(landing / "slam" / "RJ1_ACM_2526_M01_20250512093000.csv", SLAM_HEADER, [slam_row("1")])
    write_csv(landing / "slam" / "RJ1_ACM_2526_M02_20250612093000.csv", SLAM_HEADER, [slam_row("2")])
    write_csv(landing / "sus" / "apc_202505_20250603061500.csv", ["x"], [])
    write_csv(landing / "slam" / "not a landing name.csv", ["x"], [])
    month = split_newest_month(landing, tmp_path / "night-1")
    assert month == "2025-06"
    night_1 = tmp_path / "night-1"
    assert sorted(str(path.relative_to(night_1)) for path in night_1.glob("*/*")) \
        == ["slam/RJ1_ACM_2526_M01_20250512093000.csv", "slam/not a landing name.csv"]


# --- a real cluster ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterState]:
    root = tmp_path_factory.mktemp("cluster")
    state = start_cluster(root)
    try:
        yield state
    finally:
        stop_cluster(root)


def _query(state: ClusterState, sql: str) -> list[tuple[object, ...]]:
    hive = importlib.import_module("pyhive.hive")  # the [spark] extra's: only where a cluster runs
    connection = hive.connect(host="127.0.0.1", port=state.thrift_port, username="speccomm")
    try:
        cursor = connection.cursor()
        cursor.execute(sql)
        return list(cursor.fetchall())
    finally:
        connection.close()


@pytest.mark.slow
@needs_cluster
def test_the_cluster_is_separate_processes_and_answers_over_thrift(cluster: ClusterState) -> None:
    status = cluster_status(Path(cluster.root))
    assert set(status) == {"master", "worker-1", "worker-2", "thrift"} and all(status.values())
    assert len(set(cluster.pids.values())) == 4 and os.getpid() not in cluster.pids.values()
    _query(cluster, "create table default.shared using parquet as select id, id % 7 as k from range(70000)")
    assert _query(cluster, "select count(*), count(distinct k) from default.shared") == [(70000, 7)]
    assert list((cluster.warehouse / "shared").glob("*.parquet"))  # in the folder every process reads


@pytest.mark.slow
@needs_cluster
def test_an_executor_out_of_memory_fails_the_query_and_is_named(cluster: ClusterState) -> None:
    started = time.time()
    with pytest.raises(Exception) as failure:  # PyHive's OperationalError, Spark's message inside
        _query(cluster, "select length(concat_ws(',', collect_list(repeat('x', 200000)))) "
                        "from range(0, 40000, 1, 1)")
    assert "failed" in str(failure.value)
    message = out_of_memory_message(Path(cluster.root), since=started)
    assert message is not None and "OutOfMemoryError" in message, str(failure.value)[:2000]


@pytest.mark.slow
@needs_cluster
def test_data_tests_batched_on_the_cluster_fail_the_tests_run_one_by_one_fail(cluster: ClusterState) -> None:
    """decision 0038 on Spark: a table with planted defects (a null key, a duplicate key, a
    value outside its list), tests in dbt's compiled shape for Spark; each test run alone (one
    statement, as dbt runs it) and all of them batched in one query give the same statuses."""
    _query(cluster, "create table default.planted using parquet as select * from values "
                    "(1, 'APC'), (2, 'OP'), (2, 'OP'), (cast(null as int), 'XX') as t(id, dataset)")
    tests = [
        DataTest("test.p.not_null_id", "model.p.planted", "select id from default.planted where id is null"),
        DataTest("test.p.unique_id", "model.p.planted", "select id as unique_field, count(*) as n_records "
                 "from default.planted where id is not null group by id having count(*) > 1"),
        DataTest("test.p.accepted_dataset", "model.p.planted", "with all_values as (select dataset as "
                 "value_field, count(*) as n_records from default.planted group by dataset) select * "
                 "from all_values where value_field not in ('APC','OP')", severity="warn"),
        DataTest("test.p.positive_id", "model.p.planted", "select * from default.planted where id < 0"),
    ]
    with thrift_statements(cluster.thrift_port) as execute:
        alone = {test.unique_id: judge(test, *execute(dbt_test_sql(test))[0][1:4]).status for test in tests}
        statements: list[str] = []
        batched = run_batched(tests, lambda sql: statements.append(sql) or execute(sql))
    assert alone == {"test.p.not_null_id": "fail", "test.p.unique_id": "fail",
                     "test.p.accepted_dataset": "warn", "test.p.positive_id": "pass"}
    assert {o.unique_id: o.status for o in batched.outcomes} == alone and len(statements) == 1


def _tasks_started(root: Path, worker: str) -> int:
    """How many tasks the worker's executors have started so far (their stderr says so)."""
    return sum(stderr.read_text(encoding="utf-8", errors="replace").count("Running task")
               for stderr in root.glob(f"work/{worker}/*/*/stderr"))


@pytest.mark.slow
@needs_cluster
def test_a_worker_killed_mid_job_is_survived_by_running_its_tasks_again(cluster: ClusterState) -> None:
    root = Path(cluster.root)
    # 96 tasks of a few hundred milliseconds each: still running when worker-1 starts its first
    sql = ("select count(*), sum(id % 1000) from range(0, 60000000, 1, 96) "
           "where sha2(cast(id as string), 256) like '0%'")
    answer: list[object] = []
    before = _tasks_started(root, "worker-1")
    job = threading.Thread(target=lambda: answer.extend(_query(cluster, sql)))
    started = time.monotonic()
    job.start()
    # kill the worker once its executor is running the job's tasks, not after a guessed sleep
    while job.is_alive() and _tasks_started(root, "worker-1") <= before \
            and time.monotonic() - started < 300:
        time.sleep(0.1)
    assert job.is_alive(), "the job finished before worker-1 started one of its tasks"
    assert _tasks_started(root, "worker-1") > before, "worker-1 ran none of the job's tasks in 300 s"
    kill_process(root, "worker-1")
    job.join(timeout=900)
    assert not job.is_alive() and answer, f"no answer after {time.monotonic() - started:.0f} s"
    assert answer == _query(cluster, sql)  # the same again on the worker left
    assert cluster_status(root) == {"master": True, "worker-1": False, "worker-2": True, "thrift": True}


@pytest.mark.slow
@needs_cluster
def test_stop_leaves_no_process_of_the_cluster(tmp_path: Path, cluster: ClusterState) -> None:
    root = Path(cluster.root)
    stopped = stop_cluster(root)
    assert stopped == ["thrift", "worker-2", "worker-1", "master"]
    assert not (root / STATE_FILE).exists()
    for pid in cluster.pids.values():
        with pytest.raises(ProcessLookupError):
            os.killpg(pid, 0)
