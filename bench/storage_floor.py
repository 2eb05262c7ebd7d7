"""What keeping landing rows costs, against reading them (the floor under bench/core_build.py).

    python -m bench.storage_floor --landing DIR [--files N] [--workdir DIR]

On the N largest SUS files of a landing folder, side by side and file by file, DuckDB:
- counts the rows (`count(*)`: core_build's read-once lower bound);
- reads every value (`sum(length(...))` over all columns, so no column is skipped);
- stores every value as text: `create table as` in memory, into a database file, and
  `copy ... to` Parquet;
- reads every value again from that Parquet file (what a build pays per read of the raw layer,
  against reading the landing CSV itself: decision 0030);
- and speccomm's loader loads the file into a fresh raw layer (sniff, checksum, its Parquet
  file with row numbers, registry, commit).

Each is timed twice, keeping the faster, and reported as seconds and as a ratio to the count.
Results are printed and written to bench/results/storage_floor.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from speccomm.load import load_landing

RESULTS = Path(__file__).resolve().parent / "results" / "storage_floor.json"
READ = "read_csv(?, all_varchar = true, header = true)"


def _fresh(path: Path) -> Path:
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    return path


def _count(csv: Path, work: Path) -> None:
    duckdb.connect().execute(f"select count(*) from {READ}", [str(csv)]).fetchall()


def _read_every_value(csv: Path, work: Path) -> None:
    duckdb.connect().execute(f"select sum(length(columns(*))) from {READ}", [str(csv)]).fetchall()


def _table_in_memory(csv: Path, work: Path) -> None:
    duckdb.connect().execute(f"create table kept as select * from {READ}", [str(csv)])


def _table_in_file(csv: Path, work: Path) -> None:
    with duckdb.connect(str(_fresh(work / "kept.duckdb"))) as con:
        con.execute(f"create table kept as select * from {READ}", [str(csv)])


def _parquet(csv: Path, work: Path) -> None:
    target = work / "kept.parquet"
    target.unlink(missing_ok=True)
    duckdb.connect().execute(f"copy (select * from {READ}) to '{target}' (format parquet)", [str(csv)])


def _read_every_value_from_parquet(csv: Path, work: Path) -> None:
    """What staging pays to read a file's text again from the raw layer (after _parquet)."""
    duckdb.connect().execute(
        "select sum(length(columns(*))) from read_parquet(?)", [str(work / "kept.parquet")]
    ).fetchall()


def _speccomm_loader(csv: Path, work: Path) -> None:
    landing = work / "landing"
    shutil.rmtree(landing, ignore_errors=True)
    (landing / "sus").mkdir(parents=True)
    (landing / "sus" / csv.name).symlink_to(csv.resolve())
    with duckdb.connect(str(_fresh(work / "loaded.duckdb"))) as con:
        load_landing(con, landing)


WAYS: dict[str, Callable[[Path, Path], None]] = {
    "count_rows": _count,
    "read_every_value": _read_every_value,
    "table_in_memory": _table_in_memory,
    "table_in_database_file": _table_in_file,
    "parquet_file": _parquet,
    "read_every_value_from_parquet": _read_every_value_from_parquet,
    "speccomm_loader": _speccomm_loader,
}


def _timed(way: Callable[[Path, Path], None], csv: Path, work: Path) -> float:
    started = time.perf_counter()
    way(csv, work)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--files", type=int, default=3, help="how many of the largest SUS files")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/speccomm-bench-storage"))
    args = parser.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    files = sorted((args.landing / "sus").glob("*"), key=lambda p: p.stat().st_size, reverse=True)
    files = files[: args.files]
    if not files:
        raise SystemExit(f"no SUS files under {args.landing / 'sus'}")

    seconds = dict.fromkeys(WAYS, 0.0)
    for csv in files:
        for name, way in WAYS.items():  # each file through every way, twice: side by side
            seconds[name] += min(_timed(way, csv, args.workdir) for _ in range(2))
    floor = seconds["count_rows"]
    figures = {
        "files": [p.name for p in files],
        "megabytes": round(sum(p.stat().st_size for p in files) / 1e6, 1),
        "seconds": {name: round(s, 2) for name, s in seconds.items()},
        "times_count_rows": {name: round(s / floor, 2) for name, s in seconds.items()},
    }
    print(json.dumps(figures, indent=2))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
