"""The identification-rules step of a night (issue 13): dbt node times of the IR models and
their tests, against the whole `dbt build` and the whole night.

    DBT_TARGET_PATH=/tmp/ir-target .venv/bin/python -m bench.nightly_bench --scale pathfinder \\
        --workdir /tmp/bench-ir
    .venv/bin/python -m bench.ir_step --run-results /tmp/ir-target/run_results.json \\
        [--nightly bench/results/nightly.json]

The nightly cleans its work folder (and dbt's target folder in it) after a successful night, so
dbt's target path is set outside it; run_results.json is then night 2's (the one new month).
The IR step is int_sus__ir_assignments (the rules applied to the month's slices) and its tests,
the three rule staging views, and the three IR marts; fct_sus_activity's join to the derived
line is inside the fact's own time and is reported with it, apart. Results are printed and
written to bench/results/ir_step.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "ir_step.json"
IR_NODES = (
    "int_sus__ir_assignments",
    "stg_reference__ir_rules",
    "stg_reference__ir_code_sets",
    "stg_reference__ir_designated_providers",
    "rpt_service_line_ir_monitoring",
    "rpt_funding_stream_line_basis",
    "rpt_triangulation_slam_ir",
    "ir_rules",
    "ir_code_sets",
    "ir_designated_providers",
)


def is_ir_node(unique_id: str) -> bool:
    name = unique_id.split(".")[-1]
    return any(name == node or node in name for node in IR_NODES)


def summarise(run_results: Path, nightly: Path | None) -> dict[str, object]:
    results = json.loads(run_results.read_text(encoding="utf-8"))
    nodes = {r["unique_id"]: float(r.get("execution_time") or 0.0) for r in results["results"]}
    ir = {uid: round(t, 2) for uid, t in nodes.items() if is_ir_node(uid)}
    figures: dict[str, object] = {
        "dbt_elapsed_s": round(float(results.get("elapsed_time") or 0.0), 1),
        "dbt_node_time_s": round(sum(nodes.values()), 1),
        "ir_node_time_s": round(sum(ir.values()), 2),
        "ir_share_of_node_time": round(sum(ir.values()) / max(sum(nodes.values()), 1e-9), 4),
        "int_sus__ir_assignments_s": round(nodes.get("model.speccomm.int_sus__ir_assignments", 0.0), 2),
        "fct_sus_activity_s": round(nodes.get("model.speccomm.fct_sus_activity", 0.0), 2),
        "ir_nodes": dict(sorted(ir.items(), key=lambda kv: -kv[1])),
    }
    if nightly and nightly.exists():
        night = json.loads(nightly.read_text(encoding="utf-8"))
        night2 = night.get("night2_one_new_month", {})
        total, build = night2.get("wall_s"), (night2.get("step_s") or {}).get("build")
        figures["scale"] = night.get("scale")
        figures["night2_wall_s"], figures["night2_build_s"] = total, build
        if total:
            figures["ir_share_of_night2"] = round(sum(ir.values()) / float(total), 4)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--run-results", type=Path, required=True)
    parser.add_argument(
        "--nightly", type=Path, default=Path(__file__).resolve().parent / "results" / "nightly.json"
    )
    args = parser.parse_args()
    figures = summarise(args.run_results, args.nightly)
    print(json.dumps(figures, indent=2))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
