"""Warehouse-core benchmark (issue 3): full build and a one-new-month nightly, against the
time DuckDB needs only to read every landing file once (the lower bound), run side by side.

    python -m bench.core_build --landing DIR [--workdir DIR]

`DIR` is a landing folder (e.g. from `speccomm generate --scale national`). After the full
build, "one new month" arrives: the files received in the busiest calendar month are sent
again under new received times (the volume and kinds of a real month's statements, extracts
and ledgers), and the nightly's load + build is timed on top of the full build. Results are printed and
written to bench/results/core_build.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import time
from collections import Counter
from pathlib import Path

import duckdb

from bench.landing_view import link_file
from speccomm.dbt_runner import KeptParse, build_warehouse, dbt_target_path
from speccomm.load import load_landing
from speccomm.load.csvfile import sniff, utf8_copy

FEEDS = ("slam", "sus", "ledger", "budget")
RESULTS = Path(__file__).resolve().parent / "results" / "core_build.json"


def landing_files(landing: Path) -> list[Path]:
    return sorted(p for feed in FEEDS for p in (landing / feed).glob("*") if p.is_file())


def received(path: Path) -> str:
    """YYYYMMDDHHMMSS from the name's last part ('' when the name is not to the contract)."""
    stem = path.stem.split("_")[-1]
    return stem if stem.isdigit() and len(stem) == 14 else ""


def readable_copies(files: list[Path], scratch: Path) -> list[Path]:
    """The files as DuckDB can read them: a Windows-1252 file transcoded to UTF-8 (untimed)."""
    sources = []
    for path in files:
        if path.stat().st_size == 0:
            continue
        try:
            sources.append(utf8_copy(path, sniff(path).encoding, scratch))
        except ValueError:
            continue
    return sources


def read_once(sources: list[Path]) -> float:
    """Lower bound: DuckDB reads every file once, all columns as text. Only DuckDB's reading
    is timed: the loader's own pass (checksum, encoding check) counts against the build."""
    started = time.perf_counter()
    con = duckdb.connect()
    for source in sources:
        try:
            con.execute("select count(*) from read_csv(?, all_varchar = true, header = true)", [str(source)])
        except duckdb.Error:
            continue
    con.close()
    return time.perf_counter() - started


def resend_newest_month(landing: Path, arrivals: Path) -> int:
    """Copies of one month's arrivals, one year later in `<RECEIVED>`: the busiest received
    month (a typical month-end: every provider's statement, the SUS extracts, the ledgers)."""
    dated = [p for p in landing_files(landing) if received(p)]
    per_month = Counter(received(p)[:6] for p in dated)
    newest_month = max(per_month, key=lambda month: (per_month[month], month))
    count = 0
    for path in dated:
        stamp = received(path)
        if stamp[:6] != newest_month:
            continue
        later = str(int(stamp[:4]) + 1) + stamp[4:]
        target = arrivals / path.parent.name / path.name.replace(stamp, later)
        link_file(path, target)
        count += 1
    return count


def timed_night(landing: Path, database: Path, kept_parse: KeptParse, *, month: bool) -> tuple[float, float]:
    """(load seconds, dbt build seconds). As the nightly does (docs/decisions/0026): dbt's parse
    is kept between the two builds, and the month's build loads no seed (the same seed files,
    the same code)."""
    started = time.perf_counter()
    with duckdb.connect(str(database)) as con:
        load_landing(con, landing)
    loaded = time.perf_counter()
    build_warehouse(database, echo=False, kept_parse=kept_parse, load_seeds=not month)
    built = time.perf_counter()
    keep_run_results(database, database.parent / ("month-target" if month else "full-target"))
    return loaded - started, built - loaded


def keep_run_results(database: Path, kept: Path) -> None:
    """dbt's run_results.json and manifest.json of the build just done, kept for the node
    timings (bench.month_night's cost table): the next build writes over them."""
    kept.mkdir(parents=True, exist_ok=True)
    for name in ("run_results.json", "manifest.json"):
        shutil.copyfile(dbt_target_path(database) / name, kept / name)


def peak_rss_gib() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024 / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/speccomm-bench-core"))
    args = parser.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    scratch = args.workdir / "scratch"
    scratch.mkdir(parents=True)
    files = landing_files(args.landing)
    size_gib = sum(p.stat().st_size for p in files) / 2**30

    # Twice, keeping the faster: the first pass may read from disk, the build then reads the
    # page cache, and a cold lower bound would flatter the ratio.
    sources = readable_copies(files, scratch)
    lower_bound = min(read_once(sources), read_once(sources))
    kept_parse = KeptParse(args.workdir / "dbt-parse")
    full_load, full_build = timed_night(args.landing, args.workdir / "full.duckdb", kept_parse, month=False)
    full = full_load + full_build
    warehouse_gib = (args.workdir / "full.duckdb").stat().st_size / 2**30
    # and the raw layer's Parquet files beside it (decision 0030)
    raw_files = [p for p in (args.workdir / "full-raw").rglob("*") if p.is_file()]
    raw_layer_gib = sum(p.stat().st_size for p in raw_files) / 2**30

    landing_view = args.workdir / "landing"
    for path in files:  # the night's landing folder: every file so far, then the new month
        target = landing_view / path.parent.name / path.name
        link_file(path, target)
    n_new = resend_newest_month(args.landing, landing_view)
    month_load, month_build = timed_night(landing_view, args.workdir / "full.duckdb", kept_parse, month=True)
    one_month = month_load + month_build

    figures = {
        "landing_files": len(files),
        "landing_gib": round(size_gib, 2),
        "read_once_s": round(lower_bound, 1),
        "full_build_s": round(full, 1),
        "full_build_load_s": round(full_load, 1),
        "full_build_dbt_s": round(full_build, 1),
        "full_vs_read_once": round(full / lower_bound, 2),
        "new_month_files": n_new,
        "one_new_month_nightly_s": round(one_month, 1),
        "one_new_month_load_s": round(month_load, 1),
        "one_new_month_dbt_s": round(month_build, 1),
        "one_month_vs_full": round(one_month / full, 3),
        "peak_rss_gib": round(peak_rss_gib(), 2),
        "warehouse_gib": round(warehouse_gib, 2),
        "raw_layer_gib": round(raw_layer_gib, 2),
    }
    print(json.dumps(figures, indent=2))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
