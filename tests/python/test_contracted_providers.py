"""A contracted-providers list (`<landing>/reference/contracted_providers.csv`) makes a provider
expected that has sent nothing yet that year: its months are missing, named and estimated from
the contract value, never a silent £0 (docs/marts/completeness.md)."""

from __future__ import annotations

import csv
from decimal import Decimal

import pytest
from test_nightly import NightEnv

from conftest import write_core_landing

pytestmark = pytest.mark.slow

ANNUAL = Decimal("1200000.00")


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> NightEnv:
    env = NightEnv(tmp_path_factory.mktemp("contracted-providers"))
    write_core_landing(env.landing)
    path = env.landing / "reference" / "contracted_providers.csv"
    path.parent.mkdir(parents=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(
            [
                ["financial_year", "provider_code", "icb_code", "funding_stream", "annual_contract_gbp"],
                ["2025/26", "RAX", "QKK", "green", str(ANNUAL)],  # sent nothing in 2025/26
                ["2025/26", "RJ1", "QKK", "green", "5000.00"],  # sends: its run rate stays the basis
            ]
        )
    result = env.run("nightly")
    assert result.returncode == 0, result.stdout + result.stderr
    return env


def test_a_contracted_provider_that_sent_nothing_is_expected_every_month(night: NightEnv) -> None:
    [(months, missing, latest)] = night.query(
        "select count(*), count(*) filter (where is_missing), max(latest_month_stated)"
        " from dq.dq_slam_submissions where provider_code = 'RAX' and financial_year = '2025/26'"
    )
    assert months == latest and missing == months and months > 0
    [(flagged,)] = night.query(
        "select count(*) from dq.dq_check_results where check_id = 'submission_missing'"
        " and provider_code = 'RAX' and status <> 'pass'"
    )
    assert flagged > 0


def test_its_months_are_named_missing_and_estimated_from_the_contract(night: NightEnv) -> None:
    rows = night.query(
        "select financial_month, providers_expected, providers_reported, missing_providers, is_complete,"
        " slam_estimated_gbp"
        " from marts.fct_icb_spend_monthly"
        " where icb_code = 'QKK' and funding_stream = 'green' and financial_year = '2025/26'"
        "   and providers_expected is not null order by financial_month"
    )
    assert rows
    for _, expected, reported, missing, complete, estimated in rows:
        assert "RAX" in missing.split(", ") and not complete and reported < expected
        assert estimated > 0
    estimates = night.build_query(  # an intermediate model: in the build file
        f"select sum(e.estimated_gbp), sum(round({ANNUAL} * p.phase_weight, 2)),"
        " count(*) filter (where e.estimate_method <> 'contract_value'),"
        " count(*) filter (where e.estimated_activity is not null)"
        " from intermediate.int_finance__slam_flow_estimates as e"
        " inner join reference.plan_phasing as p on e.financial_month = p.financial_month"
        " where e.provider_code = 'RAX' and e.financial_year = '2025/26'"
    )
    [(total, expected_total, other_methods, with_activity)] = estimates
    assert total == expected_total and total > 0 and other_methods == 0 and with_activity == 0
    [(rj1_contract_months,)] = night.build_query(
        "select count(*) from intermediate.int_finance__slam_flow_estimates"
        " where provider_code = 'RJ1' and estimate_method = 'contract_value'"
    )
    assert rj1_contract_months == 0  # a provider that submits is estimated from its own run rate
