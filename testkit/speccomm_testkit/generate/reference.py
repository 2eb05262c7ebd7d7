"""The reference seeds the generator draws its world from (seeds/reference/*.csv)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from speccomm.config import SEEDS_DIR
from speccomm_testkit.generate.rules import Resolver

STATUS_YEARS = (2023, 2024, 2025, 2026)  # the seed's icb_delegation_status_<yyyy>_<yy> columns


@dataclass(frozen=True)
class ServiceLine:
    code: str
    npoc: str
    category: str
    highly_specialised: bool
    status: dict[int, str]  # financial year start -> green/amber/red/blue/unknown
    effective_from: date
    effective_to: date | None

    def in_force_all_year(self, start_year: int) -> bool:
        first, last = date(start_year, 4, 1), date(start_year + 1, 3, 31)
        return self.effective_from <= first and (self.effective_to is None or last <= self.effective_to)


@dataclass(frozen=True)
class Provider:
    code: str
    name: str
    type: str
    is_nhs_trust: bool
    host_icb: str | None
    region: str


@dataclass(frozen=True)
class Reference:
    service_lines: dict[str, ServiceLine]
    pods: dict[str, dict[str, str]]  # pod_code -> seed row
    providers: dict[str, Provider]
    sites: dict[str, list[str]]  # provider -> its 5-character site codes
    icbs: dict[str, str]  # icb_code -> region_code
    sub_icbs: dict[str, list[str]]  # icb_code -> its sub-ICB location codes
    cost_centres: dict[str, str]  # cost_centre -> funding stream
    analysis_codes: dict[str, bool]  # analysis_code -> is_delegated_specialised
    hubs: dict[str, str]  # region_code -> hub code
    resolver: Resolver

    def funding_stream(self, service_line: str, start_year: int) -> str:
        line = self.service_lines.get(service_line)
        return line.status.get(start_year, "unknown") if line else "unknown"


def _rows(seeds: Path, name: str) -> list[dict[str, str]]:
    path = seeds / f"{name}.csv"
    if not path.exists():
        raise FileNotFoundError(f"reference seed {path} is missing: the generator needs it")
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _date(text: str) -> date | None:
    return date.fromisoformat(text) if text.strip() else None


def _service_line(row: dict[str, str]) -> ServiceLine:
    status = {}
    for year in STATUS_YEARS:
        value = row.get(f"icb_delegation_status_{year}_{(year + 1) % 100:02d}", "").strip().lower()
        status[year] = value or "unknown"
    return ServiceLine(
        code=row["service_code"].strip().upper(),
        npoc=row["npoc_code"].strip(),
        category=row["service_category"].strip(),
        highly_specialised=row["highly_specialised"].strip().lower() == "true",
        status=status,
        effective_from=_date(row["effective_from"]) or date(2013, 4, 1),
        effective_to=_date(row["effective_to"]),
    )


def _provider(row: dict[str, str]) -> Provider:
    return Provider(
        code=row["provider_code"].strip().upper(),
        name=row["provider_name"].strip(),
        type=row["provider_type"].strip(),
        is_nhs_trust=row["is_nhs_trust"].strip().lower() == "true",
        host_icb=row["host_icb_code"].strip().upper() or None,
        region=row["region_code"].strip().upper(),
    )


def load_reference(seeds: Path = SEEDS_DIR) -> Reference:
    service_lines = {line.code: line for line in map(_service_line, _rows(seeds, "service_codes"))}
    providers = {p.code: p for p in map(_provider, _rows(seeds, "providers"))}
    sites: dict[str, list[str]] = {}
    for row in _rows(seeds, "provider_sites"):
        sites.setdefault(row["provider_code"].strip().upper(), []).append(row["site_code"].strip())
    icb_rows = _rows(seeds, "icbs")
    validity: dict[str, list[tuple[date, date | None]]] = {}
    for row in icb_rows:
        start = _date(row["valid_from"]) or date(1900, 1, 1)
        validity.setdefault(row["icb_code"].strip().upper(), []).append((start, _date(row["valid_to"])))
    sub_icb_rows = _rows(seeds, "sub_icb_locations")
    sub_validity: dict[str, list[tuple[str, date, date | None]]] = {}
    sub_icbs: dict[str, list[str]] = {}
    for row in sub_icb_rows:
        code, icb = row["sub_icb_code"].strip().upper(), row["icb_code"].strip().upper()
        start = _date(row["valid_from"]) or date(1900, 1, 1)
        sub_validity.setdefault(code, []).append((icb, start, _date(row["valid_to"])))
        sub_icbs.setdefault(icb, []).append(code)
    hubs = {
        row["region_code"].strip(): row["hub_code"].strip()
        for row in _rows(seeds, "commissioning_hubs")
        if row["region_code"].strip()
    }
    trusts = {code for code, p in providers.items() if len(code) == 3}
    return Reference(
        service_lines=service_lines,
        pods={row["pod_code"].strip().upper(): row for row in _rows(seeds, "points_of_delivery")},
        providers=providers,
        sites=sites,
        icbs={row["icb_code"].strip().upper(): row["region_code"].strip() for row in icb_rows},
        sub_icbs=sub_icbs,
        cost_centres={
            row["cost_centre"].strip(): row["funding_stream"].strip()
            for row in _rows(seeds, "ledger_cost_centres")
        },
        analysis_codes={
            row["analysis_code"].strip().upper(): row["is_delegated_specialised"].strip() == "true"
            for row in _rows(seeds, "ledger_analysis_codes")
        },
        hubs=hubs,
        resolver=Resolver(trusts, validity, sub_validity),
    )
