"""The Excel export, the old way against the new (issue 26): `python -m bench.export_workbook
--warehouse FILE [--rounds N] [--old REV]`.

The old way is `speccomm export --format xlsx` of revision REV (default: where this branch left
main, openpyxl's write-only mode, every table of the warehouse); the new ways are today's
whole-warehouse workbook (XlsxWriter, unsuppressed) and the footprint's workbook
(`--icb QKK --icb QWE`: the footprint's extract, suppressed and marked). Each is run as an
operator runs it (a subprocess), alternating, `--rounds` times; the table shows the median
wall time and CPU time (user + system of the subprocess) and each against the old way. The
machine is shared: CPU time is the steadier figure. Figures in docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _old_tree(revision: str, folder: Path) -> Path:
    folder.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


def _run(tree: Path, warehouse: Path, out: Path, extra: list[str]) -> tuple[float, float]:
    shutil.rmtree(out, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "speccomm.cli", "export", "--warehouse", str(warehouse), "--format", "xlsx",
         "--out", str(out), *extra],
        check=True, capture_output=True, cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)},
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--warehouse", type=Path, required=True, help="a published warehouse (the demo's)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--old", default="98942c9", help="the revision of the old export")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-export-") as work:
        old = _old_tree(args.old, Path(work) / "old")
        cases = {
            "old: whole warehouse (openpyxl)": (old, []),
            "new: whole warehouse (XlsxWriter)": (ROOT, []),
            "new: footprint QKK + QWE, suppressed": (ROOT, ["--icb", "QKK", "--icb", "QWE"]),
        }
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
        for _ in range(args.rounds):
            for name, (tree, extra) in cases.items():
                times[name].append(_run(tree, args.warehouse.resolve(), Path(work) / "out", extra))
    base_wall, base_cpu = (statistics.median(t[i] for t in times[next(iter(times))]) for i in (0, 1))
    print(f"{'case':<40} {'wall s':>8} {'× old':>7} {'CPU s':>8} {'× old':>7}")
    for name, runs in times.items():
        wall = statistics.median(t[0] for t in runs)
        cpu = statistics.median(t[1] for t in runs)
        print(f"{name:<40} {wall:>8.1f} {wall / base_wall:>7.2f} {cpu:>8.1f} {cpu / base_cpu:>7.2f}")


if __name__ == "__main__":
    main()
