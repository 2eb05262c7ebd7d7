"""Data-quality benchmark (issue 5): the Great Expectations runner and the provider reports at
a given scale, timed with peak memory.

    python -m bench.quality_bench [--scale national] [--seed 42] [--workdir DIR] [--landing DIR]
                                  [--write-docs]

1. A landing folder is generated (or `--landing` reused), loaded and built with dbt (models and
   seeds; dbt tests are left to the other benchmarks) into `DIR/warehouse.duckdb`.
2. **Full re-validation**: `run_quality_checks(revalidate_all=True)` on every slice.
3. **Nothing changed**: the next run only fingerprints the slices.
4. **One new month**: the work a new month brings is re-created by forgetting the stored
   fingerprints of the slices a new month changes — every SLAM slice of the latest financial
   year (each provider's new cumulative file restates the year), and the SUS and ledger slices
   of the latest month — and running again. The runner then validates exactly those slices,
   as it would after loading the month (the build itself is measured by bench.core_build).
5. The provider reports of the last run are built.

Each measurement runs in a fresh process, so its peak resident memory (ru_maxrss) is its own.
Results go to bench/results/quality.json and, with --write-docs, to the "Data quality"
section of docs/performance.md (other sections are left as they are).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import textwrap
import time
from datetime import datetime
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "quality.json"
PERFORMANCE_PAGE = ROOT / "docs" / "performance.md"
SECTION = "## Data quality"


def prepare(scale: str, seed: int, workdir: Path, landing: Path | None) -> tuple[Path, dict[str, object]]:
    """Generate (unless given), load and build; return the warehouse file and the timings."""
    from speccomm.dbt_runner import run_dbt
    from speccomm.load import load_landing

    facts: dict[str, object] = {"scale": scale, "seed": seed}
    workdir.mkdir(parents=True, exist_ok=True)
    if landing is None:
        landing = workdir / "landing"
        if not (landing / "manifest.json").exists():
            from speccomm_testkit.generate import generate

            started = time.perf_counter()
            generate(scale=scale, out=landing, seed=seed)
            facts["generate_s"] = round(time.perf_counter() - started, 1)
    database = workdir / "warehouse.duckdb"
    if not database.exists():
        building = workdir / "building.duckdb"
        building.unlink(missing_ok=True)
        started = time.perf_counter()
        with duckdb.connect(str(building)) as con:
            load_landing(con, landing)
        facts["load_s"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        result = run_dbt(["build", "--exclude", "test_type:data", "test_type:unit"], building,
                         log_dir=workdir / "logs", echo=False)
        if result.returncode != 0:
            raise SystemExit(f"dbt build failed; see {result.log_path}")
        facts["dbt_build_s"] = round(time.perf_counter() - started, 1)
        building.replace(database)
    with duckdb.connect(str(database), read_only=True) as con:
        for table in ("int_slam__current_rows", "int_sus__records_placed", "int_ledger__postings_placed"):
            found = con.execute(f"select count(*) from intermediate.{table}").fetchone()
            facts[f"rows_{table}"] = int(found[0]) if found else 0
    facts["warehouse_gib"] = round(database.stat().st_size / 2**30, 2)
    return database, facts


def measure(mode: str, database: Path, run_id: str, out_dir: Path) -> dict[str, object]:
    """One measurement in this process (called in a child process by `run_all`)."""
    started = time.perf_counter()
    with duckdb.connect(str(database)) as con:
        if mode == "reports":
            from speccomm.reports import build_provider_reports

            reports = build_provider_reports(con, run_id, out_dir)
            figures: dict[str, object] = {"reports_built": len(reports)}
        else:
            from speccomm.quality.runner import run_quality_checks

            figures = {"fingerprints_forgotten": _forget_new_month(con)} if mode == "new_month" else {}
            summary = run_quality_checks(con, run_id, datetime.now(), revalidate_all=mode == "full")
            figures.update({
                "slices_validated": summary.slices_validated,
                "slices_skipped_unchanged": summary.slices_skipped_unchanged,
                "rows_validated": summary.rows_validated,
                "results_written": summary.results_written,
                "samples_written": summary.samples_written,
                "checks_failed": summary.checks_failed,
                "checks_warned": summary.checks_warned,
            })
    figures["seconds"] = round(time.perf_counter() - started, 1)
    figures["peak_rss_mib"] = peak_rss_mib()
    return figures


def peak_rss_mib() -> int:
    """This process's peak resident memory. VmHWM, because ru_maxrss survives exec and would
    report the parent's peak (the parent loaded the landing files)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _forget_new_month(con: duckdb.DuckDBPyConnection) -> int:
    """Forget the fingerprints of the slices a new month changes (see the module docstring)."""
    latest = con.execute(
        """
        select financial_year, financial_month from dq.dq_slice_fingerprints where dataset = 'sus'
        order by financial_year desc, financial_month desc limit 1
        """
    ).fetchone()
    if latest is None:
        return 0
    year, month = latest
    before = con.execute("select count(*) from dq.dq_slice_fingerprints").fetchone()
    con.execute(
        """
        delete from dq.dq_slice_fingerprints
        where (dataset = 'slam' and financial_year = $year)
            or (dataset in ('sus', 'ledger') and financial_year = $year and financial_month = $month)
        """,
        {"year": year, "month": month},
    )
    after = con.execute("select count(*) from dq.dq_slice_fingerprints").fetchone()
    return int(before[0]) - int(after[0]) if before and after else 0


def run_all(database: Path, workdir: Path) -> dict[str, dict[str, object]]:
    measured: dict[str, dict[str, object]] = {}
    stamp = datetime.now().strftime("%Y%m%d%H%M%S")
    for mode, run_id in (("full", f"bench-full-{stamp}"), ("unchanged", f"bench-unchanged-{stamp}"),
                         ("new_month", f"bench-new-month-{stamp}"), ("reports", f"bench-new-month-{stamp}")):
        out_dir = workdir / "reports"
        shutil.rmtree(out_dir, ignore_errors=True)
        command = [sys.executable, "-m", "bench.quality_bench", "--measure", mode, str(database), run_id,
                   str(out_dir)]
        completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            raise SystemExit(f"{mode} failed:\n{completed.stderr[-3000:]}")
        measured[mode] = json.loads(completed.stdout.strip().splitlines()[-1])
        print(f"{mode:10s} {measured[mode]}", flush=True)
    return measured


def write_docs(facts: dict[str, object], measured: dict[str, dict[str, object]]) -> None:
    text = PERFORMANCE_PAGE.read_text(encoding="utf-8") if PERFORMANCE_PAGE.exists() else "# Performance\n"
    section = _section(facts, measured)
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    PERFORMANCE_PAGE.write_text(text, encoding="utf-8")


def _section(facts: dict[str, object], m: dict[str, dict[str, object]]) -> str:
    rows = [
        ("Full re-validation (`--revalidate-all`)", m["full"]),
        ("Nothing changed (fingerprints only)", m["unchanged"]),
        ("One new month (changed slices only)", m["new_month"]),
    ]
    lines = [
        SECTION,
        "",
        f"`python -m bench.quality_bench --scale {facts['scale']} --seed {facts['seed']}` "
        f"(bench/quality_bench.py; figures of {facts['measured_on']}, on {facts['machine']}). "
        f"Warehouse: {facts['rows_int_sus__records_placed']:,} SUS rows, "
        f"{facts['rows_int_slam__current_rows']:,} current SLAM rows, "
        f"{facts['rows_int_ledger__postings_placed']:,} ledger rows ({facts['warehouse_gib']} GiB).",
        *([f"Preparing it took: generate {facts['generate_s']} s, load {facts['load_s']} s, dbt build "
           f"without tests {facts['dbt_build_s']} s (not part of the figures below)."]
          if "dbt_build_s" in facts else []),
        "",
        "| run | slices validated | slices skipped | rows validated | results | time (s) | peak RSS (MiB) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, r in rows:
        lines.append(
            f"| {label} | {r['slices_validated']:,} | {r['slices_skipped_unchanged']:,} | "
            f"{r['rows_validated']:,} | {r['results_written']:,} | {r['seconds']} | {r['peak_rss_mib']:,} |"
        )
    reports = m["reports"]
    lines += [
        f"| Provider reports ({reports['reports_built']} providers: HTML, CSV, chart) | | | | | "
        f"{reports['seconds']} | {reports['peak_rss_mib']:,} |",
        "",
        "\"One new month\" re-creates the work a month brings by forgetting the fingerprints of the "
        "slices it changes: every SLAM slice of the latest financial year (a new cumulative file "
        "restates the year) and the SUS and ledger slices of the latest month "
        f"({m['new_month']['fingerprints_forgotten']:,} slices). Memory stays bounded because the "
        "runner reads the changed slices in groups of about 2 million rows and validates them with "
        "Great Expectations in pandas chunks of at most 500,000 rows. Each figure is measured in its "
        "own process (peak resident memory of that process, DuckDB included).",
        "",
    ]
    return "\n".join(_wrap(line) for line in lines) + "\n"


def _wrap(line: str) -> str:
    """Paragraph lines wrapped at 96 characters; table rows and headings as they are."""
    if line.startswith(("|", "#")) or len(line) <= 96:
        return line
    return textwrap.fill(line, width=96, break_on_hyphens=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default="national", choices=("demo", "pathfinder", "national"))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/speccomm-quality-bench"))
    parser.add_argument("--landing", type=Path, help="reuse a generated landing folder")
    parser.add_argument("--write-docs", action="store_true", help="update docs/performance.md")
    parser.add_argument("--docs-only", action="store_true",
                        help="write docs/performance.md from bench/results/quality.json, measure nothing")
    parser.add_argument("--measure", nargs=4, metavar=("MODE", "DATABASE", "RUN_ID", "OUT_DIR"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        mode, database, run_id, out_dir = args.measure
        print(json.dumps(measure(mode, Path(database), run_id, Path(out_dir))))
        return 0
    if args.docs_only:
        saved = json.loads(RESULTS.read_text(encoding="utf-8"))
        write_docs(saved["facts"], saved["measured"])
        return 0
    os.environ.setdefault("DBT_TARGET_PATH", str(args.workdir / "dbt-target"))
    database, facts = prepare(args.scale, args.seed, args.workdir, args.landing)
    facts["measured_on"] = datetime.now().strftime("%Y-%m-%d")
    facts["machine"] = f"{os.cpu_count()} CPUs shared with other work"
    measured = run_all(database, args.workdir)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"facts": facts, "measured": measured}, indent=2) + "\n", encoding="utf-8")
    if args.write_docs:
        write_docs(facts, measured)
    print(json.dumps(facts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
