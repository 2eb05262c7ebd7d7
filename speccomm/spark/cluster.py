"""A standalone Spark cluster on this machine, of separate processes the project starts and
stops (`python -m speccomm.spark cluster start|stop|status`, docs/scale-out.md, decision 0025).

Four JVMs from the pinned pyspark distribution, each its own process group, every socket on
the loopback address: the standalone **master**, two **workers** (one core, WORKER_MEMORY
each, which their executors take), and the **Spark Thrift server** (HiveServer2 over Spark
SQL), a Spark application whose driver asks the master for executors on the workers. dbt
reaches it as cluster users reach theirs: dbt-spark's `thrift` method (profile target
`spark_cluster`). The Thrift server holds the metastore (Derby, in the cluster folder) and
writes the tables under `<root>/warehouse`, a folder every process reads: the executors write
the Parquet files, the driver commits them, and a night's publish step reads them with DuckDB.

The cluster is described by `<root>/cluster.json` (ports, process ids, folders): a night on
the cluster (`SPECCOMM_SPARK_CLUSTER=<root>`) reads it to find the Thrift server and the
warehouse folder. pyspark's pip distribution has no start-master.sh/start-thriftserver.sh,
only `bin/spark-class` and `bin/spark-submit`, so the processes are started here from those.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType

from speccomm.spark.environment import java_home, require_pyspark

LOOPBACK = "127.0.0.1"
CLUSTER_ENV = "SPECCOMM_SPARK_CLUSTER"  # a night on the cluster: the cluster folder
STATE_FILE = "cluster.json"
WORKERS = 2
WORKER_CORES = 1
WORKER_MEMORY = "1g"  # what a worker offers its executors (its own daemon: DAEMON_MEMORY)
EXECUTOR_MEMORY = "768m"  # an executor's heap, inside its worker's 1 GiB with its overhead
DRIVER_MEMORY = "2g"  # the Thrift server's driver
DAEMON_MEMORY = "256m"  # the master's and each worker's own JVM
START_SECONDS = 180.0
STOP_SECONDS = 30.0
THRIFT_SERVER_CLASS = "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2"
# the settings the local `spark` target gives its session (profiles.yml), for every session
SQL_SETTINGS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
}


class ClusterError(RuntimeError):
    """The cluster could not be started, reached or stopped: the message says which process
    and which address, and where its log is."""


@dataclass
class ClusterState:
    """What `cluster.json` records: enough for a night to find the cluster and for `stop`."""

    root: str
    master_port: int
    master_ui_port: int
    thrift_port: int
    pids: dict[str, int]  # process name (master, worker-1, worker-2, thrift) -> process id

    @property
    def master_url(self) -> str:
        return f"spark://{LOOPBACK}:{self.master_port}"

    @property
    def warehouse(self) -> Path:
        return Path(self.root) / "warehouse"

    def log(self, name: str) -> Path:
        return Path(self.root) / "logs" / f"{name}.log"


def spark_home() -> Path:
    """The pinned pyspark distribution: bin/spark-class, bin/spark-submit and the jars."""
    require_pyspark()
    spec = importlib.util.find_spec("pyspark")
    assert spec is not None and spec.origin is not None  # require_pyspark found it
    return Path(spec.origin).resolve().parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def port_open(port: int, host: str = LOOPBACK) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1.0)
        return probe.connect_ex((host, port)) == 0


def read_state(root: Path) -> ClusterState:
    path = root / STATE_FILE
    if not path.exists():
        raise ClusterError(f"no Spark cluster in {root} ({STATE_FILE} missing): "
                           "start one with `python -m speccomm.spark cluster start`")
    return ClusterState(**json.loads(path.read_text(encoding="utf-8")))


def cluster_environment(root: Path) -> dict[str, str]:
    """The variables a dbt process on the `spark_cluster` target needs: the Thrift server's
    address. Fails, naming the address, when the master or the Thrift server does not answer."""
    state = read_state(root)
    if not port_open(state.master_port):
        raise ClusterError(f"the Spark master at {state.master_url} does not answer "
                           f"(cluster {root}; its log: {state.log('master')})")
    if not port_open(state.thrift_port):
        raise ClusterError(f"the Spark Thrift server at {LOOPBACK}:{state.thrift_port} does not answer "
                           f"(cluster {root}; its log: {state.log('thrift')})")
    return {"SPECCOMM_SPARK_THRIFT_HOST": LOOPBACK, "SPECCOMM_SPARK_THRIFT_PORT": str(state.thrift_port)}


def start_cluster(root: Path, *, thrift_port: int | None = None) -> ClusterState:
    """Start master, workers and Thrift server under `root` and wait until the Thrift server
    answers with both workers registered. A cluster already recorded there is stopped first.
    On any failure every process started is stopped again."""
    root = root.resolve()
    if (root / STATE_FILE).exists():
        stop_cluster(root)
    for folder in ("logs", "work", "warehouse", "tmp"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    state = ClusterState(str(root), free_port(), free_port(), thrift_port or free_port(), {})
    try:
        _start_master(state)
        for number in range(1, WORKERS + 1):
            _start_worker(state, number)
        _wait_for_workers(state)
        _start_thrift_server(state)
    except BaseException:
        _stop_processes(state)
        (root / STATE_FILE).unlink(missing_ok=True)
        raise
    return state


@contextmanager
def running_cluster(root: Path) -> Iterator[ClusterState]:
    """A standalone cluster for the duration, named to nights by SPECCOMM_SPARK_CLUSTER; stopped
    on the way out, on an exception, Ctrl-C or SIGTERM alike."""
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        state = start_cluster(root)
        print(f"speccomm spark: cluster started: master {state.master_url}, {WORKERS} workers, "
              f"Thrift server {LOOPBACK}:{state.thrift_port}, tables in {state.warehouse}", flush=True)
        os.environ[CLUSTER_ENV] = state.root
        yield state
    finally:
        os.environ.pop(CLUSTER_ENV, None)
        stop_cluster(root.resolve())
        signal.signal(signal.SIGTERM, previous)


def _terminate(number: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + number)


def cluster_memory_kib(root: Path) -> int:
    """The resident memory of every process of the cluster now (the daemons, the Thrift server
    and the executors the workers started, which share their worker's process group), in KiB."""
    groups = set(read_state(root).pids.values())
    listing = subprocess.run(["ps", "-eo", "pgid=,rss="], capture_output=True, text=True, check=True).stdout
    total = 0
    for line in listing.splitlines():
        group, rss = line.split()
        if int(group) in groups:
            total += int(rss)
    return total


def stop_cluster(root: Path) -> list[str]:
    """Stop every process `cluster.json` names (Thrift server first, master last); returns the
    names stopped. Nothing recorded: nothing to do."""
    path = root / STATE_FILE
    if not path.exists():
        return []
    state = read_state(root)
    stopped = _stop_processes(state)
    path.unlink(missing_ok=True)
    return stopped


def cluster_status(root: Path) -> dict[str, bool]:
    """Each recorded process: running or not."""
    state = read_state(root)
    return {name: _alive(pid) for name, pid in state.pids.items()}


def kill_process(root: Path, name: str) -> int:
    """SIGKILL one process of the cluster (a lost worker, the fault tests): returns its pid."""
    state = read_state(root)
    pid = state.pids[name]
    os.killpg(pid, signal.SIGKILL)
    return pid


def _environment(state: ClusterState, daemon_memory: str) -> dict[str, str]:
    home = spark_home()
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PYSPARK_")}
    environment.update({
        "SPARK_HOME": str(home),
        "JAVA_HOME": java_home(),
        "SPARK_LOCAL_IP": LOOPBACK,  # every listener, web UIs included, on the loopback address
        "SPARK_LOCAL_DIRS": str(Path(state.root) / "tmp"),
        "SPARK_CONF_DIR": str(Path(state.root) / "conf"),  # none: no site settings leak in
        # the JVM's heap; spark-submit takes the Thrift server's from here too, not --driver-memory
        "SPARK_DAEMON_MEMORY": daemon_memory,
        "SPARK_NO_DAEMONIZE": "1",
    })
    return environment


def _launch(state: ClusterState, name: str, command: list[str], *, memory: str = DAEMON_MEMORY) -> None:
    log = state.log(name)
    with log.open("ab") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=_environment(state, memory), cwd=state.root, start_new_session=True,
        )
    state.pids[name] = process.pid
    _write_state(state)


def _write_state(state: ClusterState) -> None:
    path = Path(state.root) / STATE_FILE
    temporary = path.with_name(f".{STATE_FILE}.tmp")
    temporary.write_text(json.dumps(asdict(state), indent=2), encoding="utf-8")
    temporary.replace(path)


def _spark_class(java_class: str, *arguments: str) -> list[str]:
    return [str(spark_home() / "bin" / "spark-class"), java_class, *arguments]


def _start_master(state: ClusterState) -> None:
    _launch(state, "master", _spark_class(
        "org.apache.spark.deploy.master.Master", "--host", LOOPBACK, "--port", str(state.master_port),
        "--webui-port", str(state.master_ui_port),
    ))
    _wait(state, "master", lambda: port_open(state.master_port))


def _start_worker(state: ClusterState, number: int) -> None:
    work = Path(state.root) / "work" / f"worker-{number}"
    work.mkdir(parents=True, exist_ok=True)
    _launch(state, f"worker-{number}", _spark_class(
        "org.apache.spark.deploy.worker.Worker", "--host", LOOPBACK, "--webui-port", str(free_port()),
        "--cores", str(WORKER_CORES), "--memory", WORKER_MEMORY, "--work-dir", str(work), state.master_url,
    ))


def _wait_for_workers(state: ClusterState) -> None:
    def registered() -> bool:
        try:
            status = f"http://{LOOPBACK}:{state.master_ui_port}/json/"
            with urllib.request.urlopen(status, timeout=2) as reply:
                return int(json.load(reply).get("aliveworkers", 0)) >= WORKERS
        except OSError:
            return False

    _wait(state, "worker-1", registered, what=f"{WORKERS} workers registered with {state.master_url}")


def _start_thrift_server(state: ClusterState) -> None:
    root = Path(state.root)
    metastore = f"jdbc:derby:;databaseName={root / 'metastore_db'};create=true"
    settings = {
        **SQL_SETTINGS,
        "spark.app.name": "speccomm-thrift",
        "spark.ui.enabled": "false",
        "spark.executor.memory": EXECUTOR_MEMORY,
        "spark.cores.max": str(WORKERS * WORKER_CORES),
        "spark.sql.warehouse.dir": str(state.warehouse),
        "spark.hadoop.javax.jdo.option.ConnectionURL": metastore,
        "spark.driver.host": LOOPBACK,
        "spark.driver.bindAddress": LOOPBACK,
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={root}",
    }
    command = [
        str(spark_home() / "bin" / "spark-submit"), "--class", THRIFT_SERVER_CLASS,
        "--master", state.master_url, "--driver-memory", DRIVER_MEMORY,
        *[part for key, value in settings.items() for part in ("--conf", f"{key}={value}")],
        "spark-internal",
        "--hiveconf", f"hive.server2.thrift.port={state.thrift_port}",
        "--hiveconf", f"hive.server2.thrift.bind.host={LOOPBACK}",
    ]
    _launch(state, "thrift", command, memory=DRIVER_MEMORY)
    _wait(state, "thrift", lambda: port_open(state.thrift_port),
          what=f"the Thrift server listening on {LOOPBACK}:{state.thrift_port}")


def _wait(state: ClusterState, name: str, ready: Callable[[], bool], *, what: str | None = None) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if ready():
            return
        if not _alive(state.pids[name]):
            raise ClusterError(f"Spark {name} exited while starting; its log: {state.log(name)}")
        time.sleep(1.0)
    raise ClusterError(f"timed out after {START_SECONDS:.0f} s waiting for {what or name}; "
                       f"its log: {state.log(name)}")


def _alive(pid: int) -> bool:
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # not our child (another process started it): ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return not _zombie(pid)
    return finished == 0


def _zombie(pid: int) -> bool:
    try:
        return " Z " in Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").split(")", 1)[1][:3]
    except OSError:
        return False


def _stop_processes(state: ClusterState) -> list[str]:
    """SIGTERM each process group (the Thrift server first), then SIGKILL what is left."""
    order = [name for name in ("thrift", *[f"worker-{n}" for n in range(WORKERS, 0, -1)], "master")
             if name in state.pids]
    for name in order:
        _signal(state.pids[name], signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    while time.monotonic() < deadline and any(_alive(state.pids[name]) for name in order):
        time.sleep(0.5)
    for name in order:
        _signal(state.pids[name], signal.SIGKILL)  # the group: executors a worker started too
        _reap(state.pids[name])
    deadline = time.monotonic() + STOP_SECONDS  # until the last member of each group is gone
    while time.monotonic() < deadline and any(_group_exists(state.pids[name]) for name in order):
        time.sleep(0.2)
    return order


def _group_exists(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _reap(pid: int) -> None:
    """Collect a process this one started once it has ended, so that no zombie keeps its id."""
    with contextlib.suppress(ChildProcessError):  # started by another process: its parent reaps it
        os.waitpid(pid, 0)


def _signal(pid: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, number)


def executor_failures(root: Path, *, since: float) -> list[str]:
    """What the executors that died since `since` (a time.time()) said: each executor's stderr
    (`work/worker-N/<app>/<executor>/stderr`) that names a java.lang.OutOfMemoryError, as
    "worker-N executor E: <the error line>". A failed build on the cluster says this, since
    the driver reports only that an executor exited (code 52)."""
    failures = []
    for stderr in sorted(Path(root).glob("work/worker-*/*/*/stderr")):
        if stderr.stat().st_mtime < since:
            continue
        marker = "java.lang.OutOfMemoryError"
        with stderr.open(encoding="utf-8", errors="replace") as lines:
            error = next((line.strip() for line in lines if marker in line), None)
        if error:
            worker, executor = stderr.parts[-4], stderr.parts[-2]
            failures.append(f"{worker} executor {executor}: {error[error.index(marker):]}")
    return failures


def out_of_memory_message(root: Path, *, since: float) -> str | None:
    """A sentence for a build that failed because executors ran out of memory, else None."""
    failures = executor_failures(root, since=since)
    if not failures:
        return None
    return (f"Spark executors ran out of memory ({len(failures)} lost; {failures[0]}); each has "
            f"{EXECUTOR_MEMORY} of heap (speccomm.spark.cluster.EXECUTOR_MEMORY, inside a worker's "
            f"{WORKER_MEMORY}): give the workers more memory or the query more partitions")
