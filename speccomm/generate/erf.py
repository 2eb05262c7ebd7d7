"""Illustrative ERF baselines that fit the generated data, written as a reference update.

The shipped seed `erf_baselines` can only fit one landing; on another scale its ratios mean
nothing (pathfinder read 55-114x against the demo-sized seed). So the generator writes
`<landing>/reference/erf_baselines.csv` (the contract's reference update, in the seed's
layout) for the landing it writes: for every provider × attributed ICB with ERF activity in
the first generated year, 95 % of that year's value of the same month, repeated for every
generated year (the baseline year's activity at the year's prices; the generated tariffs do not
change between years), marked illustrative. ERF activity as rpt_erf_performance counts it:
current SUS records of specialised service lines (service category neither not_specialised
nor unattributable) in points of delivery EL, DC (admitted), OPFA and OPPROC (outpatients),
at their tariff price, on the contract's attribution rule. docs/marts/erf-performance.md.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np

from speccomm.generate.periods import Month
from speccomm.generate.reference import Reference
from speccomm.generate.rules import fy_label
from speccomm.generate.writers import write_text_csv

ERF_PODS = frozenset({"EL", "DC", "OPFA", "OPPROC"})
NOT_SPECIALISED = frozenset({"not_specialised", "unattributable"})
BASELINE_SHARE = Decimal("0.95")  # the baseline is 95 % of the baseline year's value
BASELINE_FILE = "reference/erf_baselines.csv"
BASELINE_COLUMNS = (
    "provider_code", "icb_code", "financial_year", "financial_month", "baseline_value_gbp",
    "baseline_basis", "is_illustrative",
)


@dataclass
class ErfTally:
    """The generated ERF value (pence) per provider × attributed ICB × year start × month."""

    pence: dict[tuple[str, str, int, int], int] = field(default_factory=lambda: defaultdict(int))

    def add(
        self, ref: Reference, month: Month, cells: tuple[np.ndarray, np.ndarray], lines: list[str],
        line_of: np.ndarray, pods: list[str], pod_of: np.ndarray, pence: np.ndarray,
    ) -> None:
        """One chunk's current records: `cells` = (provider code, attributed ICB code) per row
        (ICB None when unattributed), each row's line and POD index, and its tariff in pence."""
        in_scope_line = np.array([_is_specialised(ref, line) for line in lines], dtype=bool)
        in_scope_pod = np.array([pod in ERF_PODS for pod in pods], dtype=bool)
        providers, icbs = cells
        keep = in_scope_line[line_of] & in_scope_pod[pod_of] & (icbs != None)  # noqa: E711
        if not keep.any():
            return
        # vectorised over the chunk: one sum per provider × ICB (national chunks are large)
        pairs, pair_of = np.unique(
            np.char.add(np.char.add(providers[keep].astype(str), "|"), icbs[keep].astype(str)),
            return_inverse=True,
        )
        sums = np.bincount(pair_of, weights=pence[keep].astype(np.float64), minlength=len(pairs))
        for pair, amount in zip(pairs, sums, strict=True):
            provider, icb = str(pair).split("|")
            self.pence[(provider, icb, month.year, month.month)] += round(float(amount))

    def baseline_rows(self, years: tuple[int, ...]) -> list[list[str]]:
        """The reference update's rows: the first year's value × 95 %, for every year."""
        base_year = min(years)
        basis = f"illustrative (95 % of the generated {fy_label(base_year)} value)"
        rows = []
        for (provider, icb, year, month), pence in sorted(self.pence.items()):
            if year != base_year or pence <= 0:
                continue
            value = (Decimal(pence) / 100 * BASELINE_SHARE).quantize(Decimal("0.01"))
            rows += [[provider, icb, fy_label(y), str(month), f"{value:.2f}", basis, "true"] for y in years]
        return sorted(rows, key=lambda r: (r[0], r[1], r[2], int(r[3])))


def write_erf_baselines(root: Path, tally: ErfTally, years: tuple[int, ...]) -> int:
    """Write <landing>/reference/erf_baselines.csv; returns its data rows."""
    rows, _, _ = write_text_csv(root, BASELINE_FILE, BASELINE_COLUMNS, tally.baseline_rows(years))
    return rows


def _is_specialised(ref: Reference, line: str) -> bool:
    service = ref.service_lines.get(line)
    return service is not None and service.category not in NOT_SPECIALISED
