"""A group of models' share of a night: dbt node times of the group's models and of the tests
and unit tests on them, against the whole `dbt build` and the whole night (issue 12: the finance
marts at national scale).

    DBT_TARGET_PATH=/tmp/nat-target .venv/bin/python -m bench.nightly_bench --scale national \\
        --workdir /tmp/bench-nightly
    .venv/bin/python -m bench.step_share --group finance --target /tmp/nat-target \\
        [--nightly bench/results/nightly.json]

The nightly cleans its work folder after a successful night, so dbt's target path is set outside
it; manifest.json and run_results.json there are then night 2's (the one new month). A group is
the models under its folders; a test belongs to it when every model it reads is in the group.
Results are printed and written to bench/results/step_share_<group>.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
GROUPS: dict[str, tuple[str, ...]] = {
    "finance": ("models/intermediate/finance/", "models/after_marts/finance/", "models/marts/finance/"),
}


def group_nodes(manifest: dict, folders: tuple[str, ...]) -> set[str]:
    nodes = {**manifest["nodes"], **manifest.get("unit_tests", {})}
    models = {
        uid
        for uid, node in nodes.items()
        if node["resource_type"] == "model" and node["original_file_path"].startswith(folders)
    }
    tests = set()
    for uid, node in nodes.items():
        if node["resource_type"] not in ("test", "unit_test"):
            continue
        read = [d for d in node.get("depends_on", {}).get("nodes", []) if d.startswith("model.")]
        if read and set(read) <= models:
            tests.add(uid)
    return models | tests


def summarise(target: Path, group: str, nightly: Path | None) -> dict[str, object]:
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))
    times = {r["unique_id"]: float(r.get("execution_time") or 0.0) for r in results["results"]}
    members = group_nodes(manifest, GROUPS[group])
    mine = {uid: round(t, 2) for uid, t in times.items() if uid in members}
    total = sum(times.values())
    figures: dict[str, object] = {
        "group": group,
        "folders": list(GROUPS[group]),
        "dbt_elapsed_s": round(float(results.get("elapsed_time") or 0.0), 1),
        "dbt_node_time_s": round(total, 1),
        "group_node_time_s": round(sum(mine.values()), 2),
        "group_share_of_node_time": round(sum(mine.values()) / max(total, 1e-9), 4),
        "nodes_run": len(mine),
        "nodes": dict(sorted(mine.items(), key=lambda kv: -kv[1])),
    }
    if nightly and nightly.exists():
        night = json.loads(nightly.read_text(encoding="utf-8"))
        night2 = night.get("night2_one_new_month", {})
        wall, build = night2.get("wall_s"), (night2.get("step_s") or {}).get("build")
        figures["night2_wall_s"], figures["night2_build_s"] = wall, build
        if wall:
            figures["group_share_of_night2"] = round(sum(mine.values()) / float(wall), 4)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--group", choices=sorted(GROUPS), required=True)
    parser.add_argument("--target", type=Path, required=True, help="dbt's target folder of the night")
    parser.add_argument("--nightly", type=Path, default=RESULTS / "nightly.json")
    args = parser.parse_args()
    figures = summarise(args.target, args.group, args.nightly)
    print(json.dumps(figures, indent=2))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"step_share_{args.group}.json").write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
