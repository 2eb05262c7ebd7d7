"""Time `speccomm generate` at each scale: files, rows, bytes, seconds, peak memory.

    .venv/bin/python bench/generate_scales.py                     # demo and pathfinder
    .venv/bin/python bench/generate_scales.py demo pathfinder national --keep /tmp/bench

Each scale runs in its own process (`python -m speccomm.cli generate`); scales run in the
order given and the peak resident memory is the largest child so far, so list them smallest
first. Output folders are deleted unless --keep is given.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCALES = ("demo", "pathfinder", "national")


def _cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_scale(scale: str, out: Path, seed: int) -> dict[str, object]:
    cpu_before = _cpu_children()
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "speccomm.cli", "generate", "--scale", scale, "--out", str(out),
         "--seed", str(seed)],
        check=True,
    )
    seconds = time.perf_counter() - started
    cpu = _cpu_children() - cpu_before  # wall time on a shared machine varies; CPU less so
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # largest child so far
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    feeds = manifest["volumes"]["by_feed"]
    return {
        "scale": scale,
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu, 1),
        "peak_rss_mib": round(peak_kib / 1024),
        "files": sum(v["files"] for v in feeds.values()),
        "rows": sum(v["rows"] for v in feeds.values()),
        "bytes": sum(v["bytes"] for v in feeds.values()),
        "manifest_bytes": (out / "manifest.json").stat().st_size,
        "by_feed": feeds,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scales", nargs="*", choices=SCALES, default=["demo", "pathfinder"])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", type=Path, help="keep the generated folders under this directory")
    args = parser.parse_args(argv)
    base = args.keep or Path(tempfile.mkdtemp(prefix="speccomm-bench-"))
    results = []
    for scale in args.scales:
        out = base / scale
        shutil.rmtree(out, ignore_errors=True)
        results.append(run_scale(scale, out, args.seed))
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)
        r = results[-1]
        print(f"{scale:<11} {r['seconds']:>8.1f} s ({r['cpu_seconds']:.0f} s CPU)  {r['files']:>6} files  "
              f"{r['rows']:>11,} rows  "
              f"{r['bytes'] / 1e6:>9,.1f} MB  peak {r['peak_rss_mib']:>6} MiB", flush=True)
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
