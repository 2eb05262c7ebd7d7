"""What the warehouse must publish from the SLAM files: winners, current rows, checks.

Works on the rendered text of every file (what the warehouse reads), with the contract's
rules from `rules.py`. One provider at a time, so memory stays bounded at any scale.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from speccomm.quality.registry import check_ids
from speccomm_testkit.generate import rules
from speccomm_testkit.generate.reference import Reference
from speccomm_testkit.generate.tallies import DqTally, FactTotals, InvalidValues

# Which checks count SLAM current rows: the ids come from the suite (one list of checks); how
# each row fails them is decided here, independently of the warehouse's check models.
SLAM_ROW_CHECKS = check_ids("slam", batch="slam_current_rows")


@dataclass
class SlamFileText:
    name: str  # relative path in the landing folder
    org: str  # provider in the file name, upper-case
    name_year: int
    name_month: int
    received: str  # YYYYMMDDHHMMSS
    rows: list[dict[str, str]]
    loaded: bool


@dataclass
class SlamExpectations:
    ref: Reference
    dq: DqTally
    invalid: InvalidValues
    facts: FactTotals = field(default_factory=lambda: FactTotals("price"))
    winners: list[dict[str, object]] = field(default_factory=list)
    stated: dict[tuple[str, int], set[int]] = field(default_factory=dict)
    activity_cells: dict[tuple[str, str, str, int, int], float] = field(default_factory=dict)
    green_spend: dict[tuple[str, str, int, int, str], int] = field(default_factory=dict)
    # Actual pence per attributed ICB x year x funding stream x service line: what a budget is set against
    line_spend: dict[tuple[str, int, str, str], int] = field(default_factory=dict)

    def add_provider(self, files: list[SlamFileText]) -> None:
        for f in files:
            self._collect_invalid(f)
        loaded = [f for f in files if f.loaded]
        placed = {id(f): [self._place(f, row) for row in f.rows] for f in loaded}
        winner: dict[tuple[int, int], SlamFileText] = {}
        for f in sorted(loaded, key=lambda f: f.received):
            for period in dict.fromkeys(p for p in placed[id(f)] if p):
                if period in winner and winner[period].received == f.received:
                    raise ValueError(f"two files received at the same time: {f.name}")
                winner[period] = f
        for (year, month), f in sorted(winner.items()):
            self.stated.setdefault((f.org, year), set()).add(month)
            self.winners.append({"provider_code": f.org, "financial_year": rules.fy_label(year),
                                 "financial_month": month, "file": f.name})
            rows = [row for row, period in zip(f.rows, placed[id(f)], strict=True)
                    if period == (year, month)]
            self._current_slice(f.org, year, month, rows)
        self._name_slice_checks(loaded)

    def _place(self, f: SlamFileText, row: dict[str, str]) -> tuple[int, int] | None:
        """The row's financial year (else the file name's) and month; None if unplaceable."""
        month = rules.parse_financial_month(row.get("financial_month"))
        if month is None:
            return None
        year = rules.parse_financial_year(row.get("financial_year"))
        return (year if year is not None else f.name_year), month

    def _current_slice(self, org: str, year: int, month: int, rows: list[dict[str, str]]) -> None:
        """The current rows of one provider x year x month: fact totals and row checks."""
        failed: Counter[str] = Counter()
        pence = activity = 0
        on = rules.month_start(year, month)
        for row in rows:
            row_pence, row_activity, failures = self._current_row(org, year, month, on, row)
            pence += row_pence or 0
            activity += row_activity or 0.0
            failed.update(failures)
        fy = rules.fy_label(year)
        self.facts.add(org, fy, month, len(rows), pence, activity)
        for check in SLAM_ROW_CHECKS:
            self.dq.add(check, "slam", org, fy, month, len(rows), failed[check])

    def _current_row(
        self, org: str, year: int, month: int, on: date, row: dict[str, str]
    ) -> tuple[int | None, float | None, list[str]]:
        """One current row: attribution, funding stream, cross-check sums; its failed checks."""
        ref = self.ref
        resolver = ref.resolver
        registration_text = rules.clean(row.get("icb_of_registration_code"))
        residence_text = rules.clean(row.get("icb_of_residence_code"))
        registration = resolver.icb(registration_text, on)
        residence = resolver.icb(residence_text, on)
        gp = rules.clean(row.get("gp_practice_code")).upper()
        icb, method = self._attribute(org, row, registration, residence, gp)
        service_line = rules.clean(row.get("service_line_code")).upper()
        pod = rules.clean(row.get("pod_code")).upper()
        stream = ref.funding_stream(service_line, year)
        pence = rules.parse_money_pence(row.get("price"))
        activity = rules.parse_number(row.get("activity"))
        record_type = rules.clean(row.get("record_type")).capitalize() or "Actual"

        self.facts.attribution[method] += 1
        self.facts.funding_stream[stream] += 1
        self.facts.count("record_type_counts", record_type)
        failed = {
            "icb_of_residence_missing": not residence_text,
            "icb_of_residence_invalid": bool(residence_text) and residence is None,
            "icb_of_registration_missing": not registration_text,
            "icb_of_registration_invalid": bool(registration_text) and registration is None,
            "service_line_unknown": service_line not in ref.service_lines,
            "pod_unknown": pod not in ref.pods,
            "price_invalid": pence is None,
            "activity_invalid": activity is None,
            "activity_negative": activity is not None and activity < 0,
            "price_negative": pence is not None and pence < 0,
            "gp_practice_default": gp in rules.DEFAULT_GP_CODES,
            # the generator writes against the shipped seeds, which dissolve no ICB
            "icb_code_superseded": False,
            "record_type_invalid": record_type not in ("Actual", "Plan"),
        }
        failures = [check for check, bad in failed.items() if bad]
        if record_type == "Actual":
            self._cross_sums(org, year, month, service_line, pod, stream, icb, pence, activity)
        return pence, activity, failures

    def _attribute(
        self, org: str, row: dict[str, str], registration: str | None, residence: str | None, gp: str
    ) -> tuple[str | None, str]:
        """The contract's attribution of one row (its ICBs resolved): (attributed ICB, method)."""
        provider = self.ref.resolver.provider(row.get("provider_code"))
        host_of = self.ref.providers.get(provider) or self.ref.providers.get(org)
        return rules.attribute(registration, residence, gp, host_of.host_icb if host_of else None)

    def would_have_been(
        self, org: str, year: int, month: int, rows: list[dict[str, str]]
    ) -> list[dict[str, object]]:
        """A withheld month's Actual pounds and activity per attributed ICB x funding stream, as
        the warehouse would have published them had the file come (rows as the file's text)."""
        on = rules.month_start(year, month)
        cells: dict[tuple[str, str], list[float]] = {}
        for row in rows:
            if (rules.clean(row.get("record_type")).capitalize() or "Actual") != "Actual":
                continue
            resolver = self.ref.resolver
            icb, _ = self._attribute(
                org, row, resolver.icb(rules.clean(row.get("icb_of_registration_code")), on),
                resolver.icb(rules.clean(row.get("icb_of_residence_code")), on),
                rules.clean(row.get("gp_practice_code")).upper(),
            )
            stream = self.ref.funding_stream(rules.clean(row.get("service_line_code")).upper(), year)
            cell = cells.setdefault((icb or "UNKNOWN", stream), [0, 0.0])
            cell[0] += rules.parse_money_pence(row.get("price")) or 0
            cell[1] += rules.parse_number(row.get("activity")) or 0.0
        return [{"icb_code": icb, "funding_stream": stream, "price_gbp": round(pence / 100, 2),
                 "activity": round(activity, 3)}
                for (icb, stream), (pence, activity) in sorted(cells.items())]

    def _cross_sums(self, org, year, month, service_line, pod, stream, icb, pence, activity) -> None:
        """Actual rows feed the two triangulations (SLAM side)."""
        ref = self.ref
        if pence is not None and icb:
            line_key = (icb, year, stream, service_line)
            self.line_spend[line_key] = self.line_spend.get(line_key, 0) + pence
        if activity is not None:
            key = (org, service_line, pod, year, month)
            self.activity_cells[key] = self.activity_cells.get(key, 0.0) + activity
        if stream == "green" and pence is not None and icb:
            part = "drugs" if ref.pods.get(pod, {}).get("setting") == "drugs_devices" else "activity"
            spend_key = (org, icb, year, month, part)
            self.green_spend[spend_key] = self.green_spend.get(spend_key, 0) + pence

    def _name_slice_checks(self, loaded: list[SlamFileText]) -> None:
        latest: dict[tuple[int, int], SlamFileText] = {}
        for f in sorted(loaded, key=lambda f: f.received):
            latest[(f.name_year, f.name_month)] = f
        resolver = self.ref.resolver
        for (year, month), f in sorted(latest.items()):
            bad_period = mismatch = 0
            for row in f.rows:
                bad_period += (rules.parse_financial_year(row.get("financial_year")) is None
                               or rules.parse_financial_month(row.get("financial_month")) is None)
                mismatch += resolver.provider(row.get("provider_code")) != f.org
            fy = rules.fy_label(year)
            self.dq.add("financial_period_invalid", "slam", f.org, fy, month, len(f.rows), bad_period)
            self.dq.add("provider_code_mismatch", "slam", f.org, fy, month, len(f.rows), mismatch)

    def _collect_invalid(self, f: SlamFileText) -> None:
        for row in f.rows:
            for column, valid in (
                ("financial_year", rules.parse_financial_year),
                ("financial_month", rules.parse_financial_month),
                ("activity", rules.parse_number),
                ("price", rules.parse_money_pence),
            ):
                if column in row and valid(row[column]) is None:
                    self.invalid.add("slam", column, row[column])
            if rules.clean(row.get("record_type")).lower() not in ("", "actual", "plan"):
                self.invalid.add("slam", "record_type", row["record_type"])

    def submission_missing(self) -> list[dict[str, object]]:
        """Every month up to the year's latest stated month, for each provider that submitted."""
        latest: dict[int, int] = defaultdict(int)
        for (_, year), months in self.stated.items():
            latest[year] = max(latest[year], max(months))
        missing = []
        for (org, year), months in sorted(self.stated.items()):
            for month in range(1, latest[year] + 1):
                failed = month not in months
                self.dq.add("submission_missing", "slam", org, rules.fy_label(year), month, 1,
                            int(failed))
                if failed:
                    missing.append({"provider_code": org, "financial_year": rules.fy_label(year),
                                    "financial_month": month})
        return missing
