"""The warehouse core on a hand-written landing folder whose right answers are known."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from conftest import AMBER_THEN_GREEN, BuiltWarehouse
from speccomm.config import WAREHOUSE_SCHEMAS

pytestmark = pytest.mark.slow

CONTRACT_COLUMNS = {
    "fct_contract_activity": [
        "provider_code",
        "commissioner_code",
        "financial_year",
        "financial_month",
        "record_type",
        "service_line_code",
        "pod_code",
        "funding_stream",
        "icb_of_registration_code",
        "icb_of_residence_code",
        "attributed_icb_code",
        "attribution_method",
        "activity",
        "price",
        "source_file",
    ],
    "fct_sus_activity": [
        "sus_record_id",
        "dataset",
        "provider_code",
        "provider_record_ref",
        "activity_date",
        "financial_year",
        "financial_month",
        "service_line_code",
        "pod_code",
        "funding_stream",
        "icb_of_registration_code",
        "icb_of_residence_code",
        "attributed_icb_code",
        "attribution_method",
        "tariff_price",
        "source_file",
    ],
    "fct_ledger_posting": [
        "entity_code",
        "financial_year",
        "financial_month",
        "journal_id",
        "journal_line",
        "cost_centre",
        "subjective_code",
        "analysis_code",
        "supplier_code",
        "funding_stream",
        "amount",
        "source_file",
    ],
    "dim_service_line": ["service_line_code", "funding_stream", "valid_from", "valid_to"],
    "dim_icb": ["icb_code", "icb_name", "region_code", "valid_from", "valid_to", "current_icb_code"],
    "dim_provider": ["provider_code", "provider_name", "host_icb_code", "is_nhs_trust"],
    "dim_funding_stream": ["funding_stream"],
    "dim_point_of_delivery": ["pod_code"],
    "dim_date": ["date_key"],
}


def test_dbt_build_passes_every_model_and_test(core_warehouse: BuiltWarehouse) -> None:
    assert core_warehouse.dbt_returncode == 0, core_warehouse.dbt_log.read_text()[-3000:]
    # the nightly leaves the dbt unit tests out (speccomm.dbt_runner): this build is where they run
    run_results = json.loads((core_warehouse.database.parent / "run_results.json").read_text())
    unit_tests = [r for r in run_results["results"] if r["unique_id"].startswith("unit_test.")]
    assert len(unit_tests) >= 14
    assert {r["status"] for r in unit_tests} == {"pass"}


@pytest.mark.parametrize("table", sorted(CONTRACT_COLUMNS))
def test_published_tables_have_the_contract_columns(core_warehouse: BuiltWarehouse, table: str) -> None:
    columns = {
        name
        for (name,) in core_warehouse.query(
            "select column_name from information_schema.columns"
            " where table_schema = 'marts' and table_name = ?",
            [table],
        )
    }
    assert set(CONTRACT_COLUMNS[table]) <= columns


def test_warehouse_file_names_refused_are_the_warehouse_schemas(core_warehouse: BuiltWarehouse) -> None:
    # speccomm.config refuses a warehouse file named like a schema (DuckDB would find the name
    # ambiguous); a schema added to the project must be added to that list
    schemas = {
        name
        for (name,) in core_warehouse.query(
            "select schema_name from duckdb_schemas() where database_name = current_database()"
            " and not internal"
        )
    }
    assert schemas == set(WAREHOUSE_SCHEMAS)


def test_dq_tables_published(core_warehouse: BuiltWarehouse) -> None:
    rejected = core_warehouse.query("select file_name, reason from dq.rejected_files")
    assert [name for name, _ in rejected] == ["notes.txt"]


def test_slam_restatement_latest_file_stating_each_month_wins(core_warehouse: BuiltWarehouse) -> None:
    winners = dict(
        ((month), file)
        for month, file in core_warehouse.query(
            "select financial_month, winning_file from marts.rpt_slam_slice_winners "
            "where provider_code = 'RJ1' and financial_year = '2025/26'"
        )
    )
    assert winners == {
        1: "RJ1_ACM_2526_M01_20250720090000.csv",  # one-month correction replaces only M01
        2: "RJ1_ACM_2526_M03_20250710090000.csv",  # cumulative restatement
        3: "RJ1_ACM_2526_M03_20250710090000.csv",
        4: "RJ1_ACM_2526_M06_20260420100000.csv",  # split submission: both halves kept
        5: "RJ1_ACM_2526_M06_20260420100000.csv",
        6: "RJ1_ACM_2526_M06_20260420100000.csv",
        7: "RJ1_ACM_2526_M12_20260420100500.csv",
    }
    prices = core_warehouse.query(
        "select financial_month, sum(price), count(*) from marts.fct_contract_activity "
        "where financial_year = '2025/26' and financial_month <= 6 group by 1 order by 1"
    )
    assert prices == [
        (1, Decimal("155.00"), 1),
        (2, Decimal("310.00"), 1),
        (3, Decimal("400.00"), 1),
        (4, Decimal("1000.00"), 1),
        (5, Decimal("-50.00"), 1),
        (6, None, 1),
    ]


def test_a_resent_identical_statement_is_the_latest_statement(core_warehouse: BuiltWarehouse) -> None:
    rows = core_warehouse.query(
        "select financial_month, price, source_file from marts.fct_contract_activity "
        "where provider_code = 'RJZ' order by financial_month"
    )
    assert rows == [
        (1, Decimal("100.00"), "RJZ_ACM_2425_M01_20240710090000.csv"),
        (2, Decimal("300.00"), "RJZ_ACM_2425_M02_20240610090000.csv"),
    ]


def test_invalid_values_become_null_with_raw_text_kept(core_warehouse: BuiltWarehouse) -> None:
    assert core_warehouse.query(
        "select price, price_raw from marts.fct_contract_activity where financial_month = 6"
    ) == [(None, "TBC")]


def test_attribution_follows_the_contract_rule(core_warehouse: BuiltWarehouse) -> None:
    rows = core_warehouse.query(
        "select icb_of_registration_code_raw, icb_of_residence_code_raw, attributed_icb_code, "
        "attribution_method from marts.fct_contract_activity "
        "where financial_month = 7 and service_line_code = 'NCBPS01A' order by source_row"
    )
    assert rows == [
        ("QKK", "QKK", "QKK", "registration"),
        ("QKK", "QWE", "QWE", "residence"),  # default GP practice V81999
        ("XXX", "72Q", "QKK", "residence"),  # invalid registration; sub-ICB 72Q is QKK
        (None, None, "QKK", "provider_host"),  # RJ1 is hosted by QKK
        ("36L00", "QKK", "QWE", "registration"),  # 36L00 -> 36L -> QWE
    ]
    sus = dict(core_warehouse.query("select sus_record_id, attribution_method from marts.fct_sus_activity"))
    assert sus["S4"] == "unattributed"  # unknown provider, no ICBs
    assert sus["S5"] == "provider_host"  # site code RJ121 resolves to RJ1


def test_funding_stream_is_the_status_in_the_rows_year(core_warehouse: BuiltWarehouse) -> None:
    rows = core_warehouse.query(
        "select financial_year, funding_stream from marts.fct_contract_activity "
        "where service_line_code in (?, 'NCBPS99Z') order by source_row",
        [AMBER_THEN_GREEN],
    )
    assert rows == [("2024/25", "amber"), ("2025/26", "green"), ("2025/26", "unknown")]


def test_sus_latest_extract_replaces_wholesale_and_repeats_are_quarantined(core_warehouse) -> None:
    records = core_warehouse.query(
        "select sus_record_id, tariff_price from marts.fct_sus_activity order by sus_record_id"
    )
    assert [r[0] for r in records] == ["S1", "S2", "S4", "S5"]  # S3 only in the replaced extract
    assert records[0][1] == Decimal("1100.00")
    assert core_warehouse.query("select reason, source_row from dq.quarantined_rows where feed = 'sus'") == [
        ("sus_record_duplicate", 3)
    ]


def test_ledger_latest_extract_replaces_wholesale(core_warehouse: BuiltWarehouse) -> None:
    rows = core_warehouse.query(
        "select journal_line, amount, funding_stream from marts.fct_ledger_posting order by journal_line"
    )
    assert rows == [("1", Decimal("1500.00"), "green"), ("2", Decimal("-250.00"), "unknown")]


def test_conservation_current_rows_equal_facts_plus_quarantine(core_warehouse: BuiltWarehouse) -> None:
    """Rows and pounds of the current SUS and ledger extracts = facts + quarantine (SLAM: dbt tests)."""
    for placed, amount, fact, fact_amount, feed in [
        ("int_sus__records_placed", "tariff_price", "fct_sus_activity", "tariff_price", "sus"),
        ("int_ledger__postings_placed", "amount", "fct_ledger_posting", "amount", "ledger"),
    ]:
        current = core_warehouse.query(
            f"select count(*), sum({amount}) from intermediate.{placed} where is_current_extract"
        )
        published = core_warehouse.query(
            f"select (select count(*) from marts.{fact}) + (select count(*) from dq.quarantined_rows "
            f"where feed = '{feed}'), (select sum({fact_amount}) from marts.{fact}) + (select "
            f"coalesce(sum(amount), 0) from dq.quarantined_rows where feed = '{feed}')"
        )
        assert current == published, feed
