"""What a one-new-month night costs, by step and by dbt node, measured again and again on the
same landing (issue 28 item 4).

    DBT_TARGET_PATH=/tmp/t1 .venv/bin/python -m bench.nightly_bench --landing DIR --workdir /tmp/b1
    .venv/bin/python -m bench.month_night --snapshot /tmp/b1 --repeat 3 --label after

`--snapshot` is a `bench.nightly_bench` work folder after its night 1 (`landing/` with the new
month already linked in beside the old files, `wh/` the published night 1). Each repeat copies it
afresh to `--at`, the folder night 1 ran in (dbt reuses its kept parse only for a working copy
at the same path: docs/decisions/0026), so every night 2 starts from the same published state,
and runs night 2 in a process of
its own (`bench.nightly_bench --measure-night`) with dbt's target folder kept outside the night's
work folder. Two codes compare side by side by alternating their snapshots' repeats (each built
by its own code: a night built by other code is a full refresh). Printed, and written to
bench/results/month_night_<label>.json: every repeat's step seconds (the ICB pack, written after
publishing, included), and the best repeat's cost table: the night's steps, dbt's start-up and
parse (the build step less dbt's own elapsed time), and every dbt node, dearest first.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
NON_BUILD_STEPS = ("load", "quality", "reports", "deliver", "publish", "pack")


def run_night2(snapshot: Path, work: Path, target: Path) -> dict[str, object]:
    """Night 2 on a fresh copy of `snapshot`; its figures (bench.nightly_bench's) and dbt's target."""
    shutil.rmtree(work / "landing", ignore_errors=True)
    shutil.rmtree(work / "wh", ignore_errors=True)
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(snapshot / "landing", work / "landing", symlinks=True)
    shutil.copytree(snapshot / "wh", work / "wh", symlinks=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPECCOMM_SMTP_")}
    env["DBT_TARGET_PATH"] = str(target)
    measured = subprocess.run(
        [sys.executable, "-m", "bench.nightly_bench", "--measure-night", "--workdir", str(work)],
        stdout=subprocess.PIPE, text=True, env=env, check=False,
    )
    (work / "night2-console.log").write_text(measured.stdout, encoding="utf-8")
    if measured.returncode != 0:
        sys.exit(f"night 2 failed (exit {measured.returncode}):\n{measured.stdout[-4000:]}")
    figures: dict[str, object] = json.loads(measured.stdout.strip().splitlines()[-1])
    if figures.get("exit") != 0:
        sys.exit(f"night 2 did not succeed: {figures}")
    return figures


def cost_table(step_s: dict[str, float], target: Path, top: int = 15) -> list[dict[str, object]]:
    """The night's costs, dearest first: steps other than the build, dbt's start-up and parse,
    and each dbt node (kind: seed, model (incremental or rebuilt whole), test)."""
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    nodes = manifest["nodes"]
    elapsed = float(results.get("elapsed_time") or 0.0)
    rows: list[dict[str, object]] = [
        {"cost": f"step {name}", "kind": "step", "seconds": float(step_s[name])}
        for name in NON_BUILD_STEPS if name in step_s
    ]
    if "build" in step_s:
        rows.append({"cost": "dbt start-up and parse (build step less dbt's elapsed time)",
                     "kind": "dbt fixed", "seconds": round(float(step_s["build"]) - elapsed, 1)})
    for result in results["results"]:
        uid = result["unique_id"]
        node = nodes.get(uid, {})
        kind = node.get("resource_type", uid.split(".")[0])
        if kind == "model":
            kind = f"model ({node.get('config', {}).get('materialized', '?')})"
        seconds = round(float(result.get("execution_time") or 0), 2)
        rows.append({"cost": uid, "kind": kind, "seconds": seconds})
    return sorted(rows, key=lambda row: -float(str(row["seconds"])))[:top]


def node_summary(target: Path) -> dict[str, object]:
    """dbt's nodes of the night by kind: how many and their node time."""
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    summary: dict[str, list[float]] = {}
    for result in results["results"]:
        node = manifest["nodes"].get(result["unique_id"], {})
        kind = node.get("resource_type", "?")
        if kind == "model":
            kind = f"model ({node.get('config', {}).get('materialized', '?')})"
        summary.setdefault(kind, []).append(float(result.get("execution_time") or 0))
    return {
        "dbt_elapsed_s": round(float(results.get("elapsed_time") or 0.0), 1),
        **{kind: {"nodes": len(times), "seconds": round(sum(times), 1)}
           for kind, times in sorted(summary.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--snapshot", type=Path)
    parser.add_argument("--target", type=Path,
                        help="only the node table of one dbt target folder (e.g. bench.core_build's "
                             "month-target/): no night is run")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--label", default="night2")
    parser.add_argument("--at", type=Path, help="the folder night 1 ran in")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/speccomm-bench-month"),
                        help="dbt's target folders")
    args = parser.parse_args()
    if args.target:
        print(json.dumps({**node_summary(args.target), "top_costs": cost_table({}, args.target)}, indent=2))
        return
    if not (args.snapshot and args.at):
        parser.error("give --snapshot and --at (or --target)")
    repeats = []
    best: tuple[float, dict[str, object]] | None = None
    for number in range(args.repeat):
        target = args.workdir / f"target-{number}"
        figures = run_night2(args.snapshot, args.at, target)
        steps = {str(k): float(v) for k, v in dict(figures["step_s"]).items()}  # type: ignore[call-overload]
        total = round(sum(steps.values()), 1)
        entry = {"steps_total_s": total, "step_s": steps, "dbt": node_summary(target)}
        repeats.append(entry)
        print(json.dumps(entry), flush=True)
        if best is None or total < best[0]:
            best = (total, {**entry, "top_costs": cost_table(steps, target)})
    report = {"label": args.label, "snapshot": str(args.snapshot), "repeats": repeats,
              "best": best[1] if best else None}
    print(json.dumps(report, indent=2))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"month_night_{args.label}.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
