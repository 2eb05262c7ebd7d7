"""The published facts equal what the generator planted (its manifest), on demo data.

The manifest is computed by the generator's own, independent reading of the contract; the
warehouse must arrive at the same winning files, rows, pounds and attribution counts.
"""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest
from demo_warehouse import DemoWarehouse

pytest_plugins = ["demo_warehouse"]
pytestmark = pytest.mark.slow

FACTS = {
    # fact: (money column, slice columns in the fact, slice keys in the manifest)
    "fct_contract_activity": ("price", "provider_code, financial_year, financial_month", "provider_code"),
    "fct_sus_activity": ("tariff_price", "provider_code, financial_year, financial_month", "provider_code"),
    "fct_ledger_posting": ("amount", "entity_code, financial_year, financial_month", "entity_code"),
}
MONEY_KEY = {
    "fct_contract_activity": "price_total",
    "fct_sus_activity": "tariff_price_total",
    "fct_ledger_posting": "amount_total",
}


def _query(warehouse: DemoWarehouse, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse.database), read_only=True) as con:
        return con.execute(sql).fetchall()


def _pounds(value: float | Decimal | None) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


@pytest.mark.parametrize("fact", sorted(FACTS))
def test_fact_rows_and_pounds_per_slice_equal_the_manifest(demo_warehouse: DemoWarehouse, fact: str) -> None:
    money, slice_columns, org_key = FACTS[fact]
    expected = demo_warehouse.manifest["expected"][fact]
    got = {
        (org, year, month): (rows, _pounds(total))
        for org, year, month, rows, total in _query(
            demo_warehouse,
            f"select {slice_columns}, count(*), sum({money}) from marts.{fact} group by all",
        )
    }
    want = {
        (s[org_key], s["financial_year"], s["financial_month"]): (s["rows"], _pounds(s[MONEY_KEY[fact]]))
        for s in expected["by_slice"]
    }
    assert got == want
    assert sum(rows for rows, _ in got.values()) == expected["rows"]


@pytest.mark.parametrize("fact", ["fct_contract_activity", "fct_sus_activity"])
def test_attribution_and_funding_stream_counts_equal_the_manifest(demo_warehouse, fact: str) -> None:
    expected = demo_warehouse.manifest["expected"][fact]
    for column, key in [
        ("attribution_method", "attribution_counts"),
        ("funding_stream", "funding_stream_counts"),
    ]:
        got = dict(_query(demo_warehouse, f"select {column}, count(*) from marts.{fact} group by all"))
        assert got == expected[key], column


def test_winning_files_equal_the_manifest(demo_warehouse: DemoWarehouse) -> None:
    manifest = demo_warehouse.manifest
    slam = {
        (r["provider_code"], r["financial_year"], r["financial_month"]): r["file"].split("/")[-1]
        for r in manifest["slam_winners"]
    }
    got = {
        (provider, year, month): file
        for provider, year, month, file in _query(
            demo_warehouse,
            "select provider_code, financial_year, financial_month, winning_file"
            " from marts.rpt_slam_slice_winners",
        )
    }
    assert got == slam
    sus = {r["file"].split("/")[-1] for r in manifest["sus_current"]}
    assert {
        f for (f,) in _query(demo_warehouse, "select distinct source_file from marts.fct_sus_activity")
    } <= sus
    ledger = {r["file"].split("/")[-1] for r in manifest["ledger_current"]}
    assert {
        f for (f,) in _query(demo_warehouse, "select distinct source_file from marts.fct_ledger_posting")
    } <= ledger


def test_rejected_files_equal_the_manifest(demo_warehouse: DemoWarehouse) -> None:
    want = {r["file"].split("/")[-1] for r in demo_warehouse.manifest["rejected_files"]}
    got = {name for (name,) in _query(demo_warehouse, "select file_name from dq.rejected_files")}
    assert got == want
