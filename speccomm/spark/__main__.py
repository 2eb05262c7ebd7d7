"""`python -m speccomm.spark`: `parity` (make spark-parity): one landing folder, a night on each
engine, the two published warehouses compared (speccomm.spark.parity); with `--cluster DIR` the
Spark night builds on a standalone cluster started in DIR and stopped after, whatever happens.
`cluster start|stop|status --root DIR`: that cluster by hand (speccomm.spark.cluster)."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from speccomm.config import Paths, resolve_paths
from speccomm.nightly import run_nightly
from speccomm.spark.cluster import (
    CLUSTER_ENV,
    ClusterError,
    cluster_status,
    read_state,
    start_cluster,
    stop_cluster,
)
from speccomm.spark.parity import compare_warehouses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m speccomm.spark")
    commands = parser.add_subparsers(dest="command", required=True)
    parity = commands.add_parser("parity", help="a night on DuckDB and one on Spark from one landing folder")
    parity.add_argument("--landing", type=Path, required=True)
    parity.add_argument("--work", type=Path, required=True, help="scratch folder (emptied first)")
    parity.add_argument("--cluster", type=Path, help="start a standalone Spark cluster in this folder, "
                        "build the Spark night on it, stop it after")
    cluster = commands.add_parser("cluster", help="the standalone Spark cluster: start, stop, status")
    cluster.add_argument("action", choices=("start", "stop", "status"))
    cluster.add_argument("--root", type=Path, required=True, help="the cluster's folder")
    args = parser.parse_args(argv)
    if args.command == "cluster":
        return _cluster(args.action, args.root)
    if args.cluster is None:
        return _parity(args.landing, args.work)
    with running_cluster(args.cluster):
        return _parity(args.landing, args.work)


@contextmanager
def running_cluster(root: Path) -> Iterator[None]:
    """A standalone cluster for the duration, named to nights by SPECCOMM_SPARK_CLUSTER; stopped
    on the way out, on an exception, Ctrl-C or SIGTERM alike."""
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        state = start_cluster(root)
        print(f"speccomm spark: cluster started: master {state.master_url}, {len(state.pids) - 2} workers, "
              f"Thrift server 127.0.0.1:{state.thrift_port}, tables in {state.warehouse}", flush=True)
        os.environ[CLUSTER_ENV] = str(root.resolve())
        yield
    finally:
        os.environ.pop(CLUSTER_ENV, None)
        stop_cluster(root.resolve())
        signal.signal(signal.SIGTERM, previous)


def _terminate(number: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + number)


def _cluster(action: str, root: Path) -> int:
    try:
        if action == "start":
            state = start_cluster(root)
            print(f"master {state.master_url}; Thrift server 127.0.0.1:{state.thrift_port}; "
                  f"tables in {state.warehouse}; logs in {root / 'logs'}")
            print(f"a night on it: {CLUSTER_ENV}={root.resolve()} speccomm nightly --engine spark …")
        elif action == "stop":
            stopped = stop_cluster(root)
            print("stopped: " + (", ".join(stopped) if stopped else f"nothing (no cluster in {root})"))
        else:
            state = read_state(root)
            for name, alive in cluster_status(root).items():
                print(f"{name:9} pid {state.pids[name]:>7}  {'running' if alive else 'NOT RUNNING'}")
    except ClusterError as exc:
        print(f"speccomm spark cluster {action}: {exc}", file=sys.stderr)
        return 1
    return 0


def _parity(landing: Path, work: Path) -> int:
    shutil.rmtree(work, ignore_errors=True)
    seconds: dict[str, float] = {}
    for engine in ("duckdb", "spark"):
        started = time.monotonic()
        code = run_nightly(_paths(landing, work, engine), engine=engine)
        seconds[engine] = time.monotonic() - started
        if code != 0:
            print(f"speccomm spark parity: the night on {engine} failed (exit {code})", file=sys.stderr)
            return 1
    results = compare_warehouses(_paths(landing, work, "duckdb").warehouse,
                                 _paths(landing, work, "spark").warehouse)
    for result in results:
        print(result.line())
    failed = [result for result in results if not result.matches]
    where = "on the cluster" if os.environ.get(CLUSTER_ENV) else "on Spark"
    print(f"speccomm spark parity: {len(results) - len(failed)} of {len(results)} published tables equal "
          f"(night on DuckDB {seconds['duckdb']:.0f} s, night {where} {seconds['spark']:.0f} s)")
    return 1 if failed or not results else 0


def _paths(landing: Path, work: Path, engine: str) -> Paths:
    """Each engine's night its own warehouse folder and outbox under `work`."""
    return resolve_paths(landing=landing, warehouse=work / engine / "speccomm.duckdb",
                         outbox=work / engine / "outbox")


if __name__ == "__main__":
    sys.exit(main())
