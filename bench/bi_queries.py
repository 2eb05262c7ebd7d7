"""BI-query benchmark (issue 4): the queries of docs/marts/queries.md, timed on a warehouse.

    python -m bench.bi_queries --warehouse FILE
    python -m bench.bi_queries --landing DIR [--workdir DIR]

With `--landing` (e.g. a folder from `speccomm generate --scale pathfinder`) the landing files
are loaded and the analytic marts built (with everything upstream of them) into
`--workdir` first. The queries are read from docs/marts/queries.md (each SQL block after a
`<!-- bench: NAME -->` marker), so the page and the benchmark cannot drift apart. Each query
runs once cold (first touch after opening the file, as a dashboard does each morning) and then
`--repeat` times warm, on a read-only connection. A report, not a test: it prints the timings
and writes them to bench/results/bi_queries.json.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from speccomm.dbt_runner import run_dbt
from speccomm.load import load_landing

ROOT = Path(__file__).resolve().parent.parent
QUERIES_PAGE = ROOT / "docs" / "marts" / "queries.md"
RESULTS = ROOT / "bench" / "results" / "bi_queries.json"
MARKER = re.compile(r"<!--\s*bench:\s*(\w+)\s*-->\s*```sql\n(.*?)```", re.DOTALL)
BUDGET_SECONDS = 1.0


@dataclass(frozen=True)
class Timing:
    name: str
    rows: int
    cold_ms: float
    warm_median_ms: float
    warm_max_ms: float


def read_queries(page: Path = QUERIES_PAGE) -> dict[str, str]:
    """NAME -> SQL for every `<!-- bench: NAME -->` block of the page."""
    queries = {name: sql.strip() for name, sql in MARKER.findall(page.read_text(encoding="utf-8"))}
    if not queries:
        raise ValueError(f"no '<!-- bench: NAME -->' SQL blocks in {page}")
    return queries


def build(landing: Path, workdir: Path) -> Path:
    """Load the landing folder and build the analytic marts; return the warehouse file."""
    workdir.mkdir(parents=True, exist_ok=True)
    database = workdir / "speccomm.duckdb"
    database.unlink(missing_ok=True)
    started = time.perf_counter()
    with duckdb.connect(str(database)) as con:
        load_landing(con, landing)
    print(f"loaded {landing} in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    selection = ["--select", "+tag:analytics", "--exclude", "test_type:data", "test_type:unit"]
    result = run_dbt(["build", *selection], database, echo=False)
    if result.returncode != 0:
        raise SystemExit(f"dbt build failed (exit {result.returncode}); see {result.log_path}")
    print(f"built the analytic marts in {time.perf_counter() - started:.1f} s")
    return database


def time_query(con: duckdb.DuckDBPyConnection, name: str, sql: str, repeat: int) -> Timing:
    started = time.perf_counter()
    rows = len(con.execute(sql).fetchall())
    cold = time.perf_counter() - started
    warm = []
    for _ in range(repeat):
        started = time.perf_counter()
        con.execute(sql).fetchall()
        warm.append(time.perf_counter() - started)
    return Timing(name, rows, cold * 1000, statistics.median(warm) * 1000, max(warm) * 1000)


def scale_of(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    tables = ("fct_contract_activity", "fct_sus_activity", "fct_ledger_posting", "fct_icb_spend_monthly",
              "rpt_provider_out_of_area_share", "dim_service_line")
    return {t: con.execute(f"select count(*) from marts.{t}").fetchone()[0] for t in tables}


def run(database: Path, repeat: int) -> dict[str, object]:
    queries = read_queries()
    with duckdb.connect(str(database), read_only=True) as con:
        timings = [time_query(con, name, sql, repeat) for name, sql in queries.items()]
        sizes = scale_of(con)
    return {"warehouse": str(database), "table_rows": sizes, "repeat": repeat,
            "timings": [asdict(t) for t in timings]}


def report(results: dict[str, object]) -> None:
    print(f"\nwarehouse {results['warehouse']}")
    for table, rows in results["table_rows"].items():
        print(f"  {table:32} {rows:>12,} rows")
    print(f"\n{'query':28} {'rows':>6} {'cold ms':>9} {'warm median ms':>15} {'warm max ms':>12}")
    for t in results["timings"]:
        flag = "" if t["cold_ms"] < BUDGET_SECONDS * 1000 else "  <- over 1 s"
        print(f"{t['name']:28} {t['rows']:>6} {t['cold_ms']:>9.1f} {t['warm_median_ms']:>15.1f} "
              f"{t['warm_max_ms']:>12.1f}{flag}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--warehouse", type=Path, help="a built warehouse (DuckDB file)")
    source.add_argument("--landing", type=Path, help="a landing folder to load and build first")
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "results" / "bi_queries")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    database = args.warehouse or build(args.landing, args.workdir)
    results = run(database, args.repeat)
    report(results)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"\nwritten {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
