"""What the warehouse must publish from the ledger files (latest file per entity x year x
period wins wholesale), from the rendered text with the contract's rules."""

from __future__ import annotations

from dataclasses import dataclass, field

from speccomm_testkit.generate import rules
from speccomm_testkit.generate.reference import Reference
from speccomm_testkit.generate.tallies import DqTally, FactTotals, InvalidValues


@dataclass
class LedgerFileText:
    name: str
    org: str  # the ICB entity in the file name
    name_year: int
    name_month: int
    received: str
    rows: list[dict[str, str]]
    loaded: bool


@dataclass
class LedgerExpectations:
    ref: Reference
    dq: DqTally
    invalid: InvalidValues
    facts: FactTotals = field(default_factory=lambda: FactTotals("amount"))
    green_spend: dict[tuple[str, str, int, int], int] = field(default_factory=dict)

    def add_entity(self, files: list[LedgerFileText]) -> None:
        for f in files:
            self._collect_invalid(f)
        latest: dict[tuple[int, int], LedgerFileText] = {}
        for f in sorted((f for f in files if f.loaded), key=lambda f: f.received):
            latest[(f.name_year, f.name_month)] = f
        for (year, month), f in sorted(latest.items()):
            self._current_file(f, year, month)

    def _current_file(self, f: LedgerFileText, year: int, month: int) -> None:
        fy, on = rules.fy_label(year), rules.month_start(year, month)
        bad_amount = bad_period = mismatch = 0
        for row in f.rows:
            pence = rules.parse_money_pence(row.get("amount"))
            stream = self.ref.cost_centres.get(rules.clean(row.get("cost_centre")), "unknown")
            self.facts.add(f.org, fy, month, 1, pence or 0)
            self.facts.funding_stream[stream] += 1
            bad_amount += pence is None
            bad_period += (rules.parse_financial_year(row.get("financial_year")) is None
                           or rules.parse_financial_month(row.get("financial_month")) is None)
            entity_text = rules.clean(row.get("entity_code")).upper()
            mismatch += (self.ref.resolver.icb(entity_text, on) or entity_text) != f.org
            analysis = rules.clean(row.get("analysis_code")).upper()
            if stream == "green" and self.ref.analysis_codes.get(analysis) and pence is not None:
                supplier = self.ref.resolver.provider(row.get("supplier_code"))
                key = (supplier, f.org, year, month)
                self.green_spend[key] = self.green_spend.get(key, 0) + pence
        checked = len(f.rows)
        self.dq.add("price_invalid", "ledger", f.org, fy, month, checked, bad_amount)
        self.dq.add("financial_period_invalid", "ledger", f.org, fy, month, checked, bad_period)
        self.dq.add("provider_code_mismatch", "ledger", f.org, fy, month, checked, mismatch)

    def _collect_invalid(self, f: LedgerFileText) -> None:
        for row in f.rows:
            for column, parse in (
                ("financial_year", rules.parse_financial_year),
                ("financial_month", rules.parse_financial_month),
                ("amount", rules.parse_money_pence),
                ("posting_date", rules.parse_date),
            ):
                if column in row and parse(row[column]) is None:
                    self.invalid.add("ledger", column, row[column])
