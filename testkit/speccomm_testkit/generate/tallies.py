"""Counters the manifest is built from: published-fact totals, data-quality counts, and the
invalid values planted in the files."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class FactTotals:
    """Row count, money (pence) and activity of one published fact, overall and per slice."""

    money_column: str
    rows: int = 0
    pence: int = 0
    activity: float = 0.0
    by_slice: dict[tuple[str, str, int], list[float]] = field(default_factory=dict)
    attribution: Counter[str] = field(default_factory=Counter)
    funding_stream: Counter[str] = field(default_factory=Counter)
    other: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, org: str, fy: str, month: int, rows: int, pence: int, activity: float = 0.0) -> None:
        self.rows += rows
        self.pence += pence
        self.activity += activity
        cell = self.by_slice.setdefault((org, fy, month), [0, 0, 0.0])
        cell[0] += rows
        cell[1] += pence
        cell[2] += activity

    def count(self, name: str, value: str, n: int = 1) -> None:
        self.other.setdefault(name, Counter())[value] += n

    def as_dict(self, org_column: str, with_activity: bool = False) -> dict[str, object]:
        slices = []
        for (org, fy, month), (rows, pence, activity) in sorted(self.by_slice.items()):
            item: dict[str, object] = {org_column: org, "financial_year": fy,
                                       "financial_month": month, "rows": int(rows),
                                       f"{self.money_column}_total": pounds(int(pence))}
            if with_activity:
                item["activity_total"] = round(activity, 2)
            slices.append(item)
        result: dict[str, object] = {"rows": self.rows, f"{self.money_column}_total": pounds(self.pence)}
        if with_activity:
            result["activity_total"] = round(self.activity, 2)
        if self.attribution:
            result["attribution_counts"] = dict(sorted(self.attribution.items()))
        result["funding_stream_counts"] = dict(sorted(self.funding_stream.items()))
        for name, counter in sorted(self.other.items()):
            result[name] = dict(sorted(counter.items()))
        result["by_slice"] = slices
        return result


def pounds(pence: int) -> float:
    return round(pence / 100, 2)


@dataclass
class DqTally:
    """rows_checked / rows_failed per check x dataset x provider x financial year x month."""

    counts: dict[tuple[str, str, str, str, int], list[int]] = field(default_factory=dict)

    def add(self, check: str, dataset: str, org: str, fy: str, month: int, checked: int,
            failed: int) -> None:
        cell = self.counts.setdefault((check, dataset, org, fy, month), [0, 0])
        cell[0] += checked
        cell[1] += failed

    def rows(self) -> list[dict[str, object]]:
        return [
            {"check_id": check, "dataset": dataset, "provider_code": org, "financial_year": fy,
             "financial_month": month, "rows_checked": checked, "rows_failed": failed}
            for (check, dataset, org, fy, month), (checked, failed) in sorted(self.counts.items())
            if checked > 0
        ]


@dataclass
class InvalidValues:
    """Every value written that does not parse under the contract's format rules, by
    feed and column, with how often it was written (all files, current or not)."""

    seen: dict[tuple[str, str], Counter[str]] = field(default_factory=dict)

    def add(self, feed: str, column: str, value: str, n: int = 1) -> None:
        self.seen.setdefault((feed, column), Counter())[value] += n

    def as_dict(self) -> dict[str, dict[str, dict[str, int]]]:
        result: dict[str, dict[str, dict[str, int]]] = {}
        for (feed, column), counter in sorted(self.seen.items()):
            result.setdefault(feed, {})[column] = dict(sorted(counter.items()))
        return result
