"""The generator writes illustrative ERF baselines fitted to the landing it writes (issue 24):
`<landing>/reference/erf_baselines.csv`, a reference update in the shipped seed's layout, so the
ERF ratios are plausible at every scale (the demo-sized shipped seed read 55-114x on
pathfinder). The values are checked against the warehouse's own count on the demo night in
tests/python/test_merger.py (test_erf_baselines_fit_the_generated_landing); here, the file on a
small landing: accepted by the loader as it stands, illustrative, the baseline year's value
repeated for each year, and listed in the manifest."""

from __future__ import annotations

import csv
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from speccomm.config import SEEDS_DIR
from speccomm.generate import SCALES, generate
from speccomm.load.reference import read_reference_folder

SMALL = replace(SCALES["demo"], name="small", providers=("RJ1", "RJ6"), years=(2024, 2025))


def test_the_generator_writes_erf_baselines_the_loader_accepts(tmp_path: Path) -> None:
    manifest = generate(SMALL, tmp_path, seed=3)
    written = tmp_path / "reference" / "erf_baselines.csv"
    with written.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with (SEEDS_DIR / "erf_baselines.csv").open(newline="", encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == list(rows[0])  # the shipped seed's layout
    assert manifest["reference_updates"] == [
        {"file": "reference/erf_baselines.csv", "rows": len(rows),
         "holds": "illustrative ERF baselines fitted to this landing (speccomm/generate/erf.py)"}
    ]
    folder = read_reference_folder(tmp_path)
    assert folder.rejected == [] and set(folder.updates) == {"erf_baselines"}
    assert {row["provider_code"] for row in rows} == {"RJ1", "RJ6"}
    assert all(row["is_illustrative"] == "true" and "95 %" in row["baseline_basis"] for row in rows)
    by_year: dict[str, dict[tuple[str, str, str], Decimal]] = {}
    for row in rows:
        key = (row["provider_code"], row["icb_code"], row["financial_month"])
        by_year.setdefault(row["financial_year"], {})[key] = Decimal(row["baseline_value_gbp"])
    assert set(by_year) == {"2024/25", "2025/26"} and by_year["2024/25"] == by_year["2025/26"]
    assert all(value > 0 for value in by_year["2024/25"].values())
