"""`python -m speccomm.spark`: `parity` (make spark-parity): one landing folder, a night on each
engine, the two published warehouses compared (speccomm.spark.parity); with `--cluster DIR` the
Spark night builds on a standalone cluster started in DIR and stopped after, whatever happens;
with `--two-nights`, night 1 has the landing less the files received in its newest month and
night 2 those files, the warehouses compared after each night (the cluster's peak memory and
each night's time printed). `cluster start|stop|status --root DIR`: that cluster by hand
(speccomm.spark.cluster)."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

from speccomm.config import Paths, resolve_paths
from speccomm.nightly import run_nightly
from speccomm.spark.cluster import (
    CLUSTER_ENV,
    ClusterError,
    ClusterState,
    cluster_status,
    read_state,
    running_cluster,
    start_cluster,
    stop_cluster,
)
from speccomm.spark.parity import (
    PeakMemory,
    compare_warehouses,
    partition_files,
    rewritten_partitions,
    split_newest_month,
)
from speccomm.spark.partitions import show_partitions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m speccomm.spark")
    commands = parser.add_subparsers(dest="command", required=True)
    parity = commands.add_parser("parity", help="a night on DuckDB and one on Spark from one landing folder")
    parity.add_argument("--landing", type=Path, required=True)
    parity.add_argument("--work", type=Path, required=True, help="scratch folder (emptied first)")
    parity.add_argument("--cluster", type=Path, help="start a standalone Spark cluster in this folder, "
                        "build the Spark night on it, stop it after")
    parity.add_argument("--two-nights", action="store_true",
                        help="night 1 without the files received in the newest month, night 2 with them")
    cluster = commands.add_parser("cluster", help="the standalone Spark cluster: start, stop, status")
    cluster.add_argument("action", choices=("start", "stop", "status"))
    cluster.add_argument("--root", type=Path, required=True, help="the cluster's folder")
    args = parser.parse_args(argv)
    if args.command == "cluster":
        return _cluster(args.action, args.root)
    shutil.rmtree(args.work, ignore_errors=True)
    nights = [args.landing]
    if args.two_nights:
        month = split_newest_month(args.landing, args.work / "landing-night-1")
        print(f"speccomm spark parity: night 1 without the files received in {month}, night 2 with them")
        nights = [args.work / "landing-night-1", args.landing]
    if args.cluster is None:
        return _parity(nights, args.work)
    with running_cluster(args.cluster) as state, PeakMemory(Path(state.root)) as peak:
        code = _parity(nights, args.work)
    print(f"speccomm spark parity: the cluster's peak resident memory {peak.kib / 1024 / 1024:.2f} GiB "
          "(master, workers, executors, Thrift server)")
    return code


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


def _parity(nights: list[Path], work: Path) -> int:
    """Each night on each engine (the same warehouse folder per engine across nights), the two
    published warehouses compared after each night."""
    failed_nights = 0
    for number, landing in enumerate(nights, start=1):
        seconds: dict[str, float] = {}
        cluster = os.environ.get(CLUSTER_ENV)
        before = partition_files(read_state(Path(cluster)).warehouse) if cluster else {}
        for engine in ("duckdb", "spark"):
            started = time.monotonic()
            code = run_nightly(_paths(landing, work, engine), engine=engine)
            seconds[engine] = time.monotonic() - started
            if code != 0:
                print(f"speccomm spark parity: night {number} on {engine} failed (exit {code})",
                      file=sys.stderr)
                return 1
        results = compare_warehouses(_paths(landing, work, "duckdb").warehouse,
                                     _paths(landing, work, "spark").warehouse)
        for result in results:
            print(result.line())
        if cluster:
            _print_partitions(read_state(Path(cluster)), before, show=number == len(nights) > 1)
        failed = [result for result in results if not result.matches]
        failed_nights += bool(failed or not results)
        where = "on the cluster" if os.environ.get(CLUSTER_ENV) else "on Spark"
        print(f"speccomm spark parity: night {number} of {len(nights)}: {len(results) - len(failed)} of "
              f"{len(results)} published tables equal (night on DuckDB {seconds['duckdb']:.0f} s, "
              f"night {where} {seconds['spark']:.0f} s)", flush=True)
    return 1 if failed_nights else 0


def _print_partitions(state: ClusterState, before: dict[str, float], *, show: bool) -> None:
    """The partitions of each partitioned table on the cluster and those the Spark night wrote
    (its Parquet files newer than before the night); with `show`, the metastore's own list
    (`show partitions`)."""
    for table, (count, written) in rewritten_partitions(before, partition_files(state.warehouse)).items():
        print(f"speccomm spark parity: {table}: {count} partitions, {len(written)} written by the night"
              + (": " + ", ".join(written) if 0 < len(written) < count else ""))
        if show:
            print(f"  show partitions {table}: " + ", ".join(show_partitions(state.thrift_port, table)))


def _paths(landing: Path, work: Path, engine: str) -> Paths:
    """Each engine's night its own warehouse folder and outbox under `work`."""
    return resolve_paths(landing=landing, warehouse=work / engine / "speccomm.duckdb",
                         outbox=work / engine / "outbox")


if __name__ == "__main__":
    sys.exit(main())
