"""What the identification-rules monitoring must find in the current SUS extracts: per provider
× financial year × month, the records of each outcome (agree, supplied_not_derived,
derived_not_supplied, different_line) and their tariff pounds, the planted mis-assignments by
kind, and the rows of the check service_line_ir_mismatch. Computed from the written supplied
service line and the line each record's codes were made to derive (speccomm_testkit.generate.ir)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from speccomm_testkit.generate.expect_sus import _distinct, _money, current_records
from speccomm_testkit.generate.ir import KINDS
from speccomm_testkit.generate.periods import Month
from speccomm_testkit.generate.reference import Reference
from speccomm_testkit.generate.tallies import DqTally, pounds

OUTCOMES = ("agree", "supplied_not_derived", "derived_not_supplied", "different_line")
CHECK_ID = "service_line_ir_mismatch"


@dataclass
class IrExpectations:
    ref: Reference
    dq: DqTally
    targets: list[str]  # the lines the rules derive, as indexed by ir:target
    outcomes: dict[tuple[str, str, int, str], list[int]] = field(default_factory=dict)
    planted: Counter[tuple[str, str, int, str]] = field(default_factory=Counter)
    derived_lines: Counter[str] = field(default_factory=Counter)

    def add_current(self, values: dict[str, pa.Array], ir: dict[str, object], month: Month) -> None:
        """One chunk of a current extract; fct_sus_activity keeps the first copy of an id and no
        row with a blank id."""
        n = len(values["sus_record_id"])
        if n == 0:
            return
        keep = current_records(values["sus_record_id"])
        texts, index = _distinct(values["provider_code"], n)
        resolved = [self.ref.resolver.provider(t) for t in texts]
        orgs = sorted(set(resolved))
        org_of = np.array([orgs.index(r) for r in resolved])[index]
        # supplied and derived lines as integers: a rule line's index, another code's own id, -1 = none
        position = {line: i for i, line in enumerate(self.targets)}
        sl_texts, sl_index = _distinct(values.get("service_line_code"), n)
        ids = []
        for text in (t.upper() for t in sl_texts):
            none = text in ("", "99999999")
            ids.append(-1 if none else position.get(text, len(position) + len(ids)))
        supplied = np.array(ids)[sl_index]
        derived = np.asarray(ir["ir:target"])
        outcome = np.select([supplied == derived, derived < 0, supplied < 0], [0, 1, 2], 3)
        pence, _ = _money(values.get("tariff_price"), n)
        kept = np.flatnonzero(keep)
        org_of, outcome, kind = org_of[kept], outcome[kept], np.asarray(ir["ir:kind"])[kept]
        cell = org_of * len(OUTCOMES) + outcome
        rows = np.bincount(cell, minlength=len(orgs) * len(OUTCOMES))
        money = np.bincount(cell, weights=pence[kept], minlength=len(orgs) * len(OUTCOMES))
        for code in np.flatnonzero(rows):
            org, out = divmod(int(code), len(OUTCOMES))
            totals = self.outcomes.setdefault((str(orgs[org]), month.fy, month.month, OUTCOMES[out]), [0, 0])
            totals[0] += int(rows[code])
            totals[1] += round(money[code])
        planted = np.bincount(org_of * len(KINDS) + kind, minlength=len(orgs) * len(KINDS))
        for code in np.flatnonzero(planted):
            org, k = divmod(int(code), len(KINDS))
            if KINDS[k] != "agree":
                self.planted[(str(orgs[org]), month.fy, month.month, KINDS[k])] += int(planted[code])
        lines = np.bincount(derived[kept][derived[kept] >= 0], minlength=len(self.targets))
        for line in np.flatnonzero(lines):
            self.derived_lines[self.targets[line]] += int(lines[line])
        for org_index, org in enumerate(orgs):
            mine = org_of == org_index
            self.dq.add(
                CHECK_ID,
                "sus",
                str(org),
                month.fy,
                month.month,
                int(mine.sum()),
                int((outcome[mine] != 0).sum()),
            )

    def as_dict(self) -> dict[str, object]:
        return {
            "outcomes": [
                {
                    "provider_code": org,
                    "financial_year": fy,
                    "financial_month": fm,
                    "outcome": outcome,
                    "records": rows,
                    "tariff_gbp": pounds(pence),
                }
                for (org, fy, fm, outcome), (rows, pence) in sorted(self.outcomes.items())
            ],
            "planted": [
                {
                    "provider_code": org,
                    "financial_year": fy,
                    "financial_month": fm,
                    "kind": kind,
                    "records": count,
                }
                for (org, fy, fm, kind), count in sorted(self.planted.items())
            ],
            "kinds": {
                kind: sum(c for (_, _, _, k), c in self.planted.items() if k == kind)
                for kind in KINDS
                if kind != "agree"
            },
            "derived_lines": len(self.derived_lines),
        }
