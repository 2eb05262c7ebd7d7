"""Integrity of the reference seeds (seeds/reference/*.csv), read with the csv module.

No dbt needed: these run in a second and catch the mistakes a hand-edited CSV invites
(a miscounted status, a provider pointing at a missing ICB, a check with no threshold).
The seed list and columns come from docs/architecture.md and the check ids from
docs/data-quality-checks.md, so the tests follow those documents rather than copies of them.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds" / "reference"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
DQ_CHECKS = ROOT / "docs" / "data-quality-checks.md"

YEARS = ["2023/24", "2024/25", "2025/26", "2026/27"]
STATUS_COLUMNS = {fy: f"icb_delegation_status_{fy.replace('/', '_')}" for fy in YEARS}
SPECIAL_CODES = {"99999999": "not_specialised", "NCBPSXXX": "unattributable"}
SERVICE_CODE = re.compile(r"^NCBPS\d{2}[A-Z]$")
BOOLEAN = {"true", "false"}
EXAMPLE_EMAIL = re.compile(r"^[a-z0-9._-]+@example\.org$")


@cache
def read(seed: str) -> tuple[dict[str, str], ...]:
    with open(SEEDS / f"{seed}.csv", newline="", encoding="utf-8") as handle:
        return tuple(csv.DictReader(handle))


@cache
def header(seed: str) -> tuple[str, ...]:
    with open(SEEDS / f"{seed}.csv", newline="", encoding="utf-8") as handle:
        return tuple(next(csv.reader(handle)))


def column(seed: str, name: str) -> list[str]:
    return [row[name] for row in read(seed)]


def as_date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def fy_bounds(fy: str) -> tuple[date, date]:
    start = int(fy[:4])
    return date(start, 4, 1), date(start + 1, 3, 31)


@cache
def architecture_seeds() -> dict[str, list[str]]:
    """Seed name -> column names, from the 'Reference data' table of docs/architecture.md."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text.split("## Reference data", 1)[1].split("\n## ", 1)[0]
    seeds: dict[str, list[str]] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        columns_cell = cells[2]
        while re.search(r"\([^()]*\)", columns_cell):  # drop "(values, notes)"
            columns_cell = re.sub(r"\([^()]*\)", "", columns_cell)
        seeds[cells[0].strip("`")] = re.findall(r"`([a-z0-9_]+)`", columns_cell)
    return seeds


@cache
def documented_check_ids() -> set[str]:
    text = DQ_CHECKS.read_text(encoding="utf-8")
    section = text.split("## The checks", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\|\s*`([a-z_]+)`\s*\|", section, flags=re.MULTILINE))


@cache
def seeds_yaml() -> dict[str, dict]:
    declared: dict[str, dict] = {}
    for path in sorted(SEEDS.glob("_*__seeds.yml")):  # every seeds file in the folder
        with open(path, encoding="utf-8") as handle:
            declared.update({seed["name"]: seed for seed in yaml.safe_load(handle)["seeds"]})
    return declared


def specialised_lines() -> list[dict[str, str]]:
    return [row for row in read("service_codes") if row["service_code"] not in SPECIAL_CODES]


def in_force(row: dict[str, str], fy: str) -> bool:
    start, end = fy_bounds(fy)
    valid_to = as_date(row["effective_to"])
    return as_date(row["effective_from"]) <= end and (valid_to is None or valid_to >= start)


def ranges_overlap(rows: list[dict[str, str]], start: str, end: str) -> bool:
    spans = sorted((as_date(r[start]), as_date(r[end]) or date.max) for r in rows)
    return any(later[0] <= earlier[1] for earlier, later in itertools.pairwise(spans))


# --------------------------------------------------------------------------- layout


def test_architecture_table_is_parsed() -> None:
    seeds = architecture_seeds()
    assert len(seeds) >= 17
    assert seeds["regions"] == ["region_code", "region_name"]


@pytest.mark.parametrize("seed", sorted(architecture_seeds()))
def test_seed_has_exactly_the_architecture_columns(seed: str) -> None:
    assert list(header(seed)) == architecture_seeds()[seed]


def test_no_seed_outside_the_architecture() -> None:
    on_disk = {path.stem for path in SEEDS.glob("*.csv")}
    assert on_disk == set(architecture_seeds())


@pytest.mark.parametrize("seed", sorted(architecture_seeds()))
def test_seed_is_declared_typed_and_described(seed: str) -> None:
    declared = seeds_yaml()[seed]
    assert declared.get("description", "").strip()
    assert list(declared["config"]["column_types"]) == list(header(seed))
    described = {c["name"]: c.get("description", "").strip() for c in declared["columns"]}
    assert set(described) == set(header(seed))
    assert all(described.values())


@pytest.mark.parametrize("seed", sorted(architecture_seeds()))
def test_typed_values_parse(seed: str) -> None:
    types = seeds_yaml()[seed]["config"]["column_types"]
    for row in read(seed):
        for name, kind in types.items():
            value = row[name]
            assert value == value.strip(), (seed, name, value)
            if not value:
                continue
            if kind == "boolean":
                assert value in BOOLEAN, (seed, name, value)
            elif kind == "date":
                date.fromisoformat(value)
            elif kind == "integer":
                int(value)
            elif kind.startswith(("decimal", "double")):
                Decimal(value)


@pytest.mark.parametrize(
    ("seed", "key"),
    [
        ("service_codes", ("service_code",)),
        ("npoc", ("npoc_code",)),
        ("funding_streams", ("funding_stream",)),
        ("regions", ("region_code",)),
        ("icbs", ("icb_code", "valid_from")),
        ("sub_icb_locations", ("sub_icb_code", "valid_from")),
        ("commissioning_hubs", ("hub_code",)),
        ("providers", ("provider_code",)),
        ("provider_sites", ("site_code",)),
        ("points_of_delivery", ("pod_code",)),
        ("ledger_cost_centres", ("cost_centre",)),
        ("ledger_analysis_codes", ("analysis_code",)),
        ("icb_allocations", ("icb_code", "financial_year", "funding_stream")),
        ("icb_populations", ("icb_code", "financial_year")),
        ("provider_dq_contacts", ("provider_code", "email")),
        ("dq_checks", ("check_id", "dataset")),
        ("dq_check_batches", ("dataset", "batch")),
        ("plan_phasing", ("financial_month",)),
        ("low_volume_flow_thresholds", ("financial_year",)),
    ],
)
def test_keys_are_unique_and_filled(seed: str, key: tuple[str, ...]) -> None:
    keys = [tuple(row[k] for k in key) for row in read(seed)]
    assert all(all(part for part in k) for k in keys)
    duplicates = [k for k, n in Counter(keys).items() if n > 1]
    assert not duplicates


# --------------------------------------------------------------------------- service codes


def test_2023_24_status_counts_match_the_nhse_board_decision() -> None:
    counts = Counter(row[STATUS_COLUMNS["2023/24"]] for row in specialised_lines())
    counts.pop("", None)
    assert counts == {"Green": 109, "Amber": 57, "Red": 105, "Blue": 14}
    assert sum(counts.values()) == 285


def test_285_lines_in_157_prescribed_services_in_2023_24() -> None:
    lines = [row for row in specialised_lines() if in_force(row, "2023/24")]
    assert len(lines) == 285
    assert len({row["prescribed_service_code"] for row in lines}) == 157


def test_service_codes_are_well_formed() -> None:
    codes = column("service_codes", "service_code")
    assert len(codes) == len(set(codes))
    odd = [c for c in codes if c not in SPECIAL_CODES and not SERVICE_CODE.match(c)]
    assert not odd


def test_special_codes_are_present_without_status() -> None:
    rows = {row["service_code"]: row for row in read("service_codes")}
    for code, category in SPECIAL_CODES.items():
        assert rows[code]["service_category"] == category
        assert all(rows[code][col] == "" for col in STATUS_COLUMNS.values())
    specialised = [r for r in specialised_lines()]
    assert all(r["service_category"] not in SPECIAL_CODES.values() for r in specialised)


def test_every_specialised_line_is_fully_described() -> None:
    npoc = set(column("npoc", "npoc_code"))
    for row in specialised_lines():
        assert row["npoc_code"] in npoc, row["service_code"]
        assert row["prescribed_service_code"] and row["crg_name"], row["service_code"]


def test_status_is_given_exactly_in_the_years_a_line_is_in_force() -> None:
    for row in specialised_lines():
        for fy, col in STATUS_COLUMNS.items():
            assert (row[col] != "") == in_force(row, fy), (row["service_code"], fy)


def test_no_amber_from_2025_26() -> None:
    for fy in ("2025/26", "2026/27"):
        assert "Amber" not in column("service_codes", STATUS_COLUMNS[fy])


def test_amber_lines_move_to_green_in_2024_25_and_nothing_turns_amber() -> None:
    rows = specialised_lines()
    first, second = STATUS_COLUMNS["2023/24"], STATUS_COLUMNS["2024/25"]
    to_green = [r for r in rows if (r[first], r[second]) == ("Amber", "Green")]
    assert to_green
    for row in rows:
        for before, after in itertools.pairwise(YEARS):
            if row[STATUS_COLUMNS[after]] == "Amber":
                assert row[STATUS_COLUMNS[before]] in ("Amber", ""), row["service_code"]


def test_mental_health_lines_are_never_green() -> None:
    mental_health = [r for r in specialised_lines() if r["service_category"] == "mental_health"]
    assert mental_health
    for row in mental_health:
        assert "Green" not in {row[col] for col in STATUS_COLUMNS.values()}, row["service_code"]


def test_highly_specialised_lines_are_red_whenever_in_force() -> None:
    highly = [r for r in specialised_lines() if r["highly_specialised"] == "true"]
    assert highly
    for row in highly:
        statuses = {row[col] for col in STATUS_COLUMNS.values()} - {""}
        assert statuses == {"Red"}, row["service_code"]


def test_clinical_networks_are_blue() -> None:
    networks = [r for r in specialised_lines() if r["service_category"] == "clinical_network"]
    assert networks
    assert all(r[STATUS_COLUMNS["2023/24"]] == "Blue" for r in networks)


def test_lines_other_tests_rely_on_keep_their_status() -> None:
    """tests/python fixtures use NCBPS01A as an always-green line and NCBPS01H as a line
    that is Amber in 2024/25 and Green from 2025/26; regenerating the seed must keep them."""
    rows = {row["service_code"]: row for row in read("service_codes")}
    assert [rows["NCBPS01A"][c] for c in STATUS_COLUMNS.values()] == ["Green"] * 4
    assert rows["NCBPS01H"][STATUS_COLUMNS["2024/25"]] == "Amber"
    assert rows["NCBPS01H"][STATUS_COLUMNS["2025/26"]] == "Green"
    assert "NCBPS99Z" not in rows


def test_illustrative_lines_say_so_in_their_description() -> None:
    for row in read("service_codes"):
        if row["is_illustrative"] == "true":
            assert row["service_description"].startswith("Illustrative"), row["service_code"]


# --------------------------------------------------------------------------- organisations


def test_seven_real_regions() -> None:
    assert dict((r["region_code"], r["region_name"]) for r in read("regions")) == {
        "Y56": "London",
        "Y58": "South West",
        "Y59": "South East",
        "Y60": "Midlands",
        "Y61": "East of England",
        "Y62": "North West",
        "Y63": "North East and Yorkshire",
    }


def test_42_icbs_with_unique_codes_in_known_regions() -> None:
    rows = read("icbs")
    codes = {row["icb_code"] for row in rows}
    assert len(codes) == 42
    assert all(re.fullmatch(r"Q[A-Z0-9]{2}", code) for code in codes)
    assert {"QKK", "QWE", "QKS", "QXU", "QNX"} <= codes
    regions = set(column("regions", "region_code"))
    assert all(row["region_code"] in regions for row in rows)


def test_south_london_and_neighbours_are_in_the_right_regions() -> None:
    region = {row["icb_code"]: row["region_code"] for row in read("icbs")}
    assert region["QKK"] == region["QWE"] == "Y56"
    assert region["QKS"] == region["QXU"] == region["QNX"] == "Y59"


def test_icb_validity_ranges_do_not_overlap_and_successors_exist() -> None:
    by_code: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in read("icbs"):
        by_code[row["icb_code"]].append(row)
        valid_to = as_date(row["valid_to"])
        assert valid_to is None or valid_to >= as_date(row["valid_from"])
        if row["successor_icb_code"]:
            assert row["successor_icb_code"] in by_code or row["successor_icb_code"] in set(
                column("icbs", "icb_code")
            )
            assert valid_to is not None, "a successor only makes sense once the ICB has ended"
    for code, rows in by_code.items():
        assert not ranges_overlap(rows, "valid_from", "valid_to"), code


def test_every_sub_icb_location_resolves_to_an_icb() -> None:
    icbs = set(column("icbs", "icb_code"))
    rows = read("sub_icb_locations")
    assert {"72Q", "36L"} <= set(column("sub_icb_locations", "sub_icb_code"))
    for row in rows:
        assert row["icb_code"] in icbs, row["sub_icb_code"]
    by_code: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_code[row["sub_icb_code"]].append(row)
    assert not any(ranges_overlap(r, "valid_from", "valid_to") for r in by_code.values())
    london_and_south_east = {r["icb_code"] for r in read("icbs") if r["region_code"] in {"Y56", "Y59"}}
    assert london_and_south_east <= {row["icb_code"] for row in rows}


def test_sub_icb_codes_do_not_collide_with_icb_codes() -> None:
    assert not set(column("sub_icb_locations", "sub_icb_code")) & set(column("icbs", "icb_code"))


def test_commissioning_hubs() -> None:
    hubs = {row["hub_code"]: row for row in read("commissioning_hubs")}
    assert hubs["13Q"]["region_code"] == ""
    assert hubs["13R"]["is_illustrative"] == "true"
    regional = Counter(row["region_code"] for row in hubs.values() if row["region_code"])
    assert set(regional) == set(column("regions", "region_code"))
    assert set(regional.values()) == {1}
    assert all(row["is_illustrative"] == "true" for code, row in hubs.items() if code != "13Q")


def test_every_provider_has_a_real_host_icb_and_its_region() -> None:
    icb_region = {row["icb_code"]: row["region_code"] for row in read("icbs")}
    for row in read("providers"):
        assert row["host_icb_code"] in icb_region, row["provider_code"]
        assert row["region_code"] == icb_region[row["host_icb_code"]], row["provider_code"]


def test_providers_cover_every_icb_at_national_scale() -> None:
    providers = read("providers")
    assert 120 <= len(providers) <= 200
    assert {row["host_icb_code"] for row in providers} == set(column("icbs", "icb_code"))


def test_south_london_providers_are_as_documented() -> None:
    providers = {row["provider_code"]: row for row in read("providers")}
    expected = {
        "RJ1": ("tertiary", "QKK"),
        "RJZ": ("tertiary", "QKK"),
        "RJ7": ("tertiary", "QWE"),
        "RPY": ("specialist", "QWE"),
        "RJ2": ("district_general", "QKK"),
        "RJ6": ("district_general", "QWE"),
        "RAX": ("district_general", "QWE"),
        "RVR": ("district_general", "QWE"),
        "RV5": ("mental_health", "QKK"),
    }
    for code, (kind, host) in expected.items():
        row = providers[code]
        assert (row["provider_type"], row["host_icb_code"]) == (kind, host), code
        assert row["is_nhs_trust"] == "true" and row["is_illustrative"] == "false", code


def test_provider_codes_are_well_formed_and_clash_with_nothing() -> None:
    other_codes = (
        set(column("icbs", "icb_code"))
        | set(column("regions", "region_code"))
        | set(column("commissioning_hubs", "hub_code"))
        | set(column("sub_icb_locations", "sub_icb_code"))
    )
    for row in read("providers"):
        code = row["provider_code"]
        assert code not in other_codes, code
        if row["is_nhs_trust"] == "true":
            assert re.fullmatch(r"[A-Z0-9]{3}", code), code
            assert row["provider_type"] != "independent_sector", code
        else:
            assert re.fullmatch(r"N[A-Z0-9]{4}", code), code
            assert row["provider_type"] == "independent_sector", code
            assert row["is_illustrative"] == "true", code
        if code.startswith("Z"):
            assert row["is_illustrative"] == "true" and row["provider_name"].startswith("Illustrative")


def test_every_site_belongs_to_a_known_trust() -> None:
    trusts = {r["provider_code"] for r in read("providers") if r["is_nhs_trust"] == "true"}
    providers = set(column("providers", "provider_code"))
    for row in read("provider_sites"):
        assert len(row["site_code"]) == 5, row["site_code"]
        assert row["provider_code"] in trusts, row["site_code"]
        assert row["site_code"].startswith(row["provider_code"]), row["site_code"]
        assert row["site_code"] not in providers, row["site_code"]


def test_every_provider_has_an_example_org_contact() -> None:
    contacts = read("provider_dq_contacts")
    assert all(EXAMPLE_EMAIL.match(row["email"]) for row in contacts)
    covered = {row["provider_code"] for row in contacts}
    assert covered == set(column("providers", "provider_code"))


# --------------------------------------------------------------------------- money and codes


def test_funding_streams() -> None:
    rows = {row["funding_stream"]: row for row in read("funding_streams")}
    assert set(rows) == {"green", "amber", "red", "blue", "unknown"}
    assert [s for s, row in rows.items() if row["is_delegated"] == "true"] == ["green"]
    assert all(row["who_pays"] for row in rows.values())


def test_cost_centres_map_to_a_funding_stream() -> None:
    streams = set(column("funding_streams", "funding_stream"))
    mapped = column("ledger_cost_centres", "funding_stream")
    assert set(mapped) <= streams
    assert {"green", "amber", "red", "blue", "unknown"} <= set(mapped)


def test_analysis_codes_tell_delegated_from_place_spend() -> None:
    assert set(column("ledger_analysis_codes", "is_delegated_specialised")) == BOOLEAN


def test_points_of_delivery() -> None:
    rows = {row["pod_code"]: row for row in read("points_of_delivery")}
    assert {"EL", "DC", "NEL", "NELNE", "OPFA", "OPFUP", "OPPROC", "CC", "HCD", "DEVICE"} <= set(rows)
    assert {c for c, r in rows.items() if r["is_high_cost_drugs_devices"] == "true"} == {"HCD", "DEVICE"}
    for row in rows.values():
        assert (row["setting"] == "drugs_devices") == (row["is_high_cost_drugs_devices"] == "true")


def test_allocations_cover_every_icb_year_and_stream() -> None:
    icbs = set(column("icbs", "icb_code"))
    streams = {"green", "amber", "red", "blue"}
    keys = {(r["icb_code"], r["financial_year"], r["funding_stream"]) for r in read("icb_allocations")}
    assert keys == {(i, fy, s) for i in icbs for fy in YEARS for s in streams}


def test_allocation_amounts_and_bases_are_plausible() -> None:
    totals: Counter[str] = Counter()
    for row in read("icb_allocations"):
        amount = Decimal(row["allocation_gbp"])
        assert amount >= 0
        expected_basis = "population" if row["funding_stream"] in ("green", "amber") else "host"
        assert row["allocation_basis"] == expected_basis
        if row["funding_stream"] == "amber" and row["financial_year"] >= "2025/26":
            assert amount == 0, row
        totals[row["financial_year"]] += amount
    for fy in YEARS:
        assert Decimal("18e9") <= totals[fy] <= Decimal("25e9"), fy


def test_populations_cover_every_icb_and_year() -> None:
    icbs = set(column("icbs", "icb_code"))
    rows = read("icb_populations")
    assert {(r["icb_code"], r["financial_year"]) for r in rows} == {(i, fy) for i in icbs for fy in YEARS}
    for row in rows:
        assert 400_000 <= int(row["registered_population"]) <= 3_500_000, row
        assert Decimal("0.85") <= Decimal(row["needs_index"]) <= Decimal("1.2"), row
    england = sum(int(r["registered_population"]) for r in rows if r["financial_year"] == "2023/24")
    assert 55_000_000 <= england <= 65_000_000


def test_plan_phasing_sums_to_exactly_one() -> None:
    rows = read("plan_phasing")
    assert sorted(int(r["financial_month"]) for r in rows) == list(range(1, 13))
    assert sum(Decimal(r["phase_weight"]) for r in rows) == Decimal(1)
    assert all(Decimal(r["phase_weight"]) > 0 for r in rows)


# --------------------------------------------------------------------------- data quality


def test_dq_check_ids_are_parsed_from_the_docs() -> None:
    expected = {"icb_of_residence_missing", "activity_invalid", "submission_missing"}
    assert expected <= documented_check_ids()


def test_dq_checks_cover_exactly_the_documented_checks() -> None:
    assert set(column("dq_checks", "check_id")) == documented_check_ids()


def test_dq_threshold_severity_and_rates() -> None:
    errors = {
        "price_invalid",
        "financial_period_invalid",
        "provider_code_mismatch",
        "sus_record_duplicate",
        "sus_record_id_missing",
        "record_type_invalid",
        "activity_invalid",
    }
    # counted for the ICBs, never a provider's failure (a merger: decision 0018); reports leave
    # a check with a 100 % tolerance out
    information = {"icb_code_superseded"}
    for row in read("dq_checks"):
        assert row["dataset"] in {"slam", "sus", "ledger"}
        assert row["severity"] == ("error" if row["check_id"] in errors else "warn"), row["check_id"]
        rate = Decimal(row["max_failure_rate"])
        if row["check_id"] in information:
            assert rate == 1, row["check_id"]
        else:
            assert Decimal(0) <= rate <= Decimal("0.1"), row["check_id"]
        if row["severity"] == "error":
            assert rate == 0, row["check_id"]
        assert row["meaning"] and row["how_to_fix"], row["check_id"]
        if row["default_threshold"]:
            assert Decimal(0) < Decimal(row["default_threshold"]) < 1


def test_dq_threshold_dataset_matches_the_docs() -> None:
    text = DQ_CHECKS.read_text(encoding="utf-8")
    documented = {
        match.group(1): [d.strip() for d in match.group(2).split(",")]
        for match in re.finditer(r"^\|\s*`([a-z_]+)`\s*\|\s*([a-z, ]+?)\s*\|", text, re.MULTILINE)
    }
    registered: dict[str, set[str]] = {}
    for row in read("dq_checks"):
        registered.setdefault(row["check_id"], set()).add(row["dataset"])
    assert registered == {check_id: set(datasets) for check_id, datasets in documented.items()}
