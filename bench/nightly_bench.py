"""End-to-end nightly benchmark: a national warehouse, and one new month arriving.

    .venv/bin/python -m bench.nightly_bench --scale national [--seed 42] [--workdir DIR]
    .venv/bin/python -m bench.nightly_bench --landing DIR [--workdir DIR]

1. With --scale, `speccomm generate` writes the landing folder (else --landing is used as is).
2. The newest full month of *received* files (the name's last part; months with only a few
   stray late files are skipped) is held back.
3. Night 1: `speccomm nightly` on the older files builds and publishes the warehouse.
4. The new month arrives; night 2 runs in a fresh process of its own that reports, per step,
   the seconds (from the run log) and the peak resident memory of the nightly and its dbt
   child (sampled every 0.25 s), and at the end `resource.getrusage` of itself (loader,
   quality, reports, delivery, publish) and of its children (dbt).
Results are printed and written to bench/results/nightly.json. Reports go to an outbox
folder in the work directory (SMTP settings are removed from the environment).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bench.landing_view import link_file

FEEDS = ("slam", "sus", "ledger", "budget")
RESULTS = Path(__file__).resolve().parent / "results" / "nightly.json"
PAGE = os.sysconf("SC_PAGE_SIZE")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", choices=("demo", "pathfinder", "national"))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--landing", type=Path)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/speccomm-bench-nightly"))
    parser.add_argument("--measure-night", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--night1-only", action="store_true",
                        help="stop after night 1, the new month linked into the landing folder "
                             "(a snapshot for bench.month_night)")
    args = parser.parse_args()
    if args.measure_night:
        measure_one_night(args.workdir)
        return
    if not (args.scale or args.landing):
        parser.error("give --scale or --landing")
    figures = run_benchmark(args)
    print(json.dumps(figures, indent=2))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")


def run_benchmark(args: argparse.Namespace) -> dict[str, object]:
    work = args.workdir
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    figures: dict[str, object] = {}
    landing = args.landing
    if args.scale:
        landing = work / "generated"
        started = time.perf_counter()
        _speccomm("generate", "--scale", args.scale, "--out", str(landing), "--seed", str(args.seed))
        figures.update(scale=args.scale, seed=args.seed, generate_s=round(time.perf_counter() - started, 1))
    files = landing_files(landing)
    figures["landing_files"] = len(files)
    figures["landing_gib"] = round(sum(p.stat().st_size for p in files) / 2**30, 2)
    old, new = work / "landing", work / "new-month"
    n_old, n_new = split_newest_month(landing, old, new)
    figures.update(files_before_new_month=n_old, new_month_files=n_new)

    started = time.perf_counter()
    _speccomm("nightly", *_locations(work))
    figures["night1_full_build_s"] = round(time.perf_counter() - started, 1)
    figures["warehouse_gib_after_night1"] = _gib(work / "wh" / "speccomm.duckdb")
    figures["build_gib_after_night1"] = _gib(work / "wh" / "build.duckdb")  # beside it: decision 16

    for path in landing_files(new):  # the new month arrives beside the old files
        link_file(path, old / path.parent.name / path.name)
    if args.night1_only:
        return figures
    measured = subprocess.run(
        [sys.executable, "-m", "bench.nightly_bench", "--measure-night", "--workdir", str(work)],
        stdout=subprocess.PIPE, text=True, env=_clean_env(),  # stderr: the console, as it happens
    )
    if measured.returncode != 0:
        sys.exit(f"night 2 failed (exit {measured.returncode}):\n{measured.stdout[-4000:]}")
    figures["night2_one_new_month"] = json.loads(measured.stdout.strip().splitlines()[-1])
    figures["warehouse_gib_after_night2"] = _gib(work / "wh" / "speccomm.duckdb")
    figures["build_gib_after_night2"] = _gib(work / "wh" / "build.duckdb")  # beside it: decision 16
    figures["cpus"] = os.cpu_count()
    return figures


def landing_files(landing: Path) -> list[Path]:
    return sorted(p for feed in FEEDS for p in (landing / feed).glob("*") if p.is_file())


def split_newest_month(landing: Path, old: Path, new: Path) -> tuple[int, int]:
    """Link the files received in the newest full month into `new`, the others into `old`
    (a file whose name has no received time stays with the old ones)."""

    def received_month(path: Path) -> str:
        stamp = path.stem.split("_")[-1]
        return stamp[:6] if stamp.isdigit() and len(stamp) == 14 else ""

    files = landing_files(landing)
    # The newest *full* month of arrivals: months with only a few stray late files are skipped.
    per_month = Counter(received_month(p) for p in files if received_month(p))
    busiest = max(per_month.values())
    newest = max(month for month, count in per_month.items() if count >= busiest // 4)
    counts = [0, 0]
    for path in files:
        is_new = received_month(path) == newest
        target = (new if is_new else old) / path.parent.name / path.name
        link_file(path, target)
        counts[is_new] += 1
    return counts[0], counts[1]


def measure_one_night(work: Path) -> None:
    """Night 2, in this process: step seconds, per-step peak memory, getrusage."""
    from speccomm.config import resolve_paths
    from speccomm.nightly import Night, run_nightly
    from speccomm.runlog import RunLog
    from speccomm.state import StateLayout

    sampler = MemorySampler()
    original_step = Night._step

    original_pack = Night._pack
    pack_seconds: list[float] = []

    def tagged_step(self: Night, number: int, name: str, title: str, action: Callable[[], None]) -> None:
        sampler.step = name
        original_step(self, number, name, title, action)

    def timed_pack(self: Night) -> None:  # after publishing: not one of the run log's steps
        sampler.step = "pack"
        started = time.perf_counter()
        original_pack(self)
        pack_seconds.append(round(time.perf_counter() - started, 1))

    Night._step = tagged_step  # type: ignore[method-assign]
    Night._pack = timed_pack  # type: ignore[method-assign]
    landing, warehouse, outbox = (work / "landing", work / "wh" / "speccomm.duckdb", work / "outbox")
    paths = resolve_paths(landing=landing, warehouse=warehouse, outbox=outbox)
    started = time.perf_counter()
    with sampler:
        code = run_nightly(paths)
    wall = time.perf_counter() - started
    record = RunLog(StateLayout.of(paths).runs_db).records(last=1)[0]
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = {
        "exit": code,
        "status": record.status,
        "wall_s": round(wall, 1),
        "step_s": {**record.step_seconds, **({"pack": pack_seconds[0]} if pack_seconds else {})},
        "step_peak_rss_mib": {step: round(peak / 2**20) for step, peak in sampler.peaks.items()},
        "peak_rss_self_mib": round(own / 1024),
        "peak_rss_children_mib": round(children / 1024),
        "files_loaded": record.files_loaded,
        "rows_loaded": record.rows_loaded,
        "dbt_tests_passed": record.dbt_tests_passed,
        "dq_slices_validated": record.dq_slices_validated,
        "dq_slices_skipped": record.dq_slices_skipped,
        "reports_built": record.reports_built,
        "reports_sent": record.reports_sent,
    }
    print(json.dumps(result))


class MemorySampler:
    """Peak resident memory of this process plus its descendants, per nightly step."""

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self.step = "start"
        self.peaks: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            rss = sum(_rss(pid) for pid in [os.getpid(), *_descendants(os.getpid())])
            self.peaks[self.step] = max(self.peaks.get(self.step, 0), rss)


def _descendants(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    found, frontier = [], [root]
    while frontier:
        children = parents.get(frontier.pop(), [])
        found += children
        frontier += children
    return found


def _rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _locations(work: Path) -> list[str]:
    return ["--landing", str(work / "landing"), "--warehouse", str(work / "wh" / "speccomm.duckdb"),
            "--outbox", str(work / "outbox")]


def _speccomm(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "speccomm.cli", *args], check=True, env=_clean_env())


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SPECCOMM_SMTP_")}


def _gib(path: Path) -> float:
    return round(path.stat().st_size / 2**30, 2)


if __name__ == "__main__":
    main()
