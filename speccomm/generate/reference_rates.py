"""The shipped illustrative `service_line_reference_rates`: a row for every service line the
generator can emit, at every scale.

The seed's rates per 100,000 needs-weighted population were measured on the demo data (seed 42,
the footprint's 2024/25 rate; `source` says so). A line the demo did not make has no measured
rate, so without a row the variation mart could not judge it on pathfinder or national data
(`no_reference_rate`). Such a line takes the median of the measured rates of the lines of its
national programme of care (else of every measured line), marked illustrative with the
programme in `source`. Run `python -m speccomm.generate.reference_rates` to rewrite the seed
after the generator's lines or the service-code reference change; a test pins the seed to it.
docs/reference-data.md ("service_line_reference_rates").
"""

from __future__ import annotations

import csv
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

from speccomm.config import SEEDS_DIR
from speccomm.generate.reference import Reference, load_reference
from speccomm.generate.scales import SCALES
from speccomm.generate.world import emittable_service_lines

SEED = SEEDS_DIR / "service_line_reference_rates.csv"
COLUMNS = ("service_line_code", "financial_year", "geography_code", "activity_per_100k",
           "spend_per_100k", "source", "is_illustrative")
MEASURED = "illustrative (the demo data footprint rate"  # the source of a measured row starts so
RATE_YEAR = "2024/25"
NATIONAL = "ENG"


def read_rows(path: Path = SEED) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def derived_rows(ref: Reference, rows: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    """The measured rows kept, and a derived England row for every other emittable line."""
    measured = [row for row in rows if row["source"].startswith(MEASURED)]
    have = {row["service_line_code"] for row in measured}
    missing = sorted(emittable_service_lines(ref, list(SCALES.values())) - have)
    return sorted(
        measured + [_derived(ref, line, measured) for line in missing],
        key=lambda row: (row["service_line_code"], row["financial_year"], row["geography_code"]),
    )


def _derived(ref: Reference, line: str, measured: Sequence[dict[str, str]]) -> dict[str, str]:
    npoc = ref.service_lines[line].npoc
    peers = [row for row in measured if row["geography_code"] == NATIONAL
             and ref.service_lines[row["service_line_code"]].npoc == npoc]
    basis = f"programme of care {npoc}" if peers else "all measured lines"
    peers = peers or [row for row in measured if row["geography_code"] == NATIONAL]
    return {
        "service_line_code": line,
        "financial_year": RATE_YEAR,
        "geography_code": NATIONAL,
        "activity_per_100k": _median(peers, "activity_per_100k", "{:.3f}"),
        "spend_per_100k": _median(peers, "spend_per_100k", "{:.2f}"),
        "source": f"illustrative (the median demo data footprint rate {RATE_YEAR} of {basis})",
        "is_illustrative": "true",
    }


def _median(rows: Sequence[dict[str, str]], column: str, form: str) -> str:
    return form.format(statistics.median(float(row[column]) for row in rows))


def write_rows(rows: Sequence[dict[str, str]], path: Path = SEED) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> int:
    rows = derived_rows(load_reference(), read_rows())
    write_rows(rows)
    print(f"{SEED}: {len(rows)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
