"""The ICB's own budget (landing feed budget/, issue 24): names, loading, versions, bad rows,
overlaps, and the plan fct_icb_spend_monthly takes from it.

The fixture is written by hand with answers worked out here: QKK 2025/26 in two versions (the
later one in force, the earlier kept), the later one with a drugs and devices line and two bad
rows; QWE 2025/26 with two lines that overlap; one SLAM file so that QKK green has an actual.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from landing_files import SLAM_HEADER, slam_row, write_csv
from speccomm.dbt_runner import run_dbt
from speccomm.load import load_landing
from speccomm.load.filenames import BadFileName, parse_landing_name

BUDGET_HEADER = ["icb_code", "financial_year", "financial_month", "funding_stream", "service_line_code",
                 "npoc_code", "budget_line", "budget_gbp"]
# the same columns under the contract's aliases, in another order, with an extra column
ALIASED_HEADER = ["Entity Code", "Fin-Year", "Period", "Stream", "Service Code", "Programme of Care",
                  "Cost Category", "Amount", "Owner"]
V1 = "QKK_BUDGET_2526_V1_20250301090000.csv"
V2 = "qkk_budget_2526_v2_20250901090000.csv"  # names match case-insensitively
QWE = "QWE_BUDGET_2526_V1_20250302090000.csv"
LINE = "NCBPS01A"  # green in 2025/26


def _months(icb: str, stream: str, line: str, budget_line: str, amount: str) -> list[list[str]]:
    return [[icb, "2025/26", str(month), stream, line, "", budget_line, amount] for month in range(1, 13)]


def write_budget_landing(landing: Path) -> None:
    budget = landing / "budget"
    write_csv(budget / V1, BUDGET_HEADER, _months("QKK", "green", LINE, "", "1000.00"))
    write_csv(
        budget / V2,
        BUDGET_HEADER,
        [
            *_months("QKK", "Green", LINE, "", "£1,200.00"),
            *_months("QKK", "GREEN", "", "Drugs and Devices", "100.00"),
            ["QKK", "2025/26", "M13", "green", LINE, "", "", "50.00"],  # row 25: month invalid
            ["QKK", "2025/26", "3", "green", LINE, "", "", "TBC"],  # row 26: money invalid
            ["QKK", "2025/26", "4", "purple", LINE, "", "", "10.00"],  # row 27: stream invalid
            ["QWE", "2025/26", "5", "green", LINE, "", "", "10.00"],  # row 28: another ICB's row
        ],
        encoding="cp1252",
    )
    write_csv(
        budget / QWE,
        ALIASED_HEADER,
        [
            ["QWE", "2025/26", "M01", "green", "", "", "", "500.00", "x"],  # row 1: the whole stream
            ["36L00", "2025/26", "1", "green", LINE, "", "", "200.00", "x"],  # row 2: overlaps row 1
            ["QWE", "2025/26", "2", "green", LINE, "", "", "200.00", "x"],  # row 3: alone in month 2
        ],
    )
    write_csv(landing / "slam" / "RJ1_ACM_2526_M01_20250510090000.csv", SLAM_HEADER,
              [slam_row("1", price="1,150.00")])


def test_budget_names_parse_and_bad_names_say_why() -> None:
    name = parse_landing_name("budget", V2)
    parts = (name.org_code, name.financial_year, name.financial_month, name.version)
    assert parts == ("QKK", "2025/26", None, 2)
    assert str(name.received_at) == "2025-09-01 09:00:00+00:00"
    for bad in ("QKK_BUDGET_2526_20250601090000.csv", "QKK_BUDGET_2527_V1_20250601090000.csv",
                "QKK_GL_2526_V1_20250601090000.csv"):
        with pytest.raises(BadFileName):
            parse_landing_name("budget", bad)


def test_budget_files_load_with_lineage_aliases_and_version(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write_budget_landing(landing)
    no_money = "QKK_BUDGET_2627_V1_20260301090000.csv"
    write_csv(landing / "budget" / no_money, BUDGET_HEADER[:4], [["QKK", "2026/27", "1", "green"]])
    write_csv(landing / "budget" / "QKK_PLAN_2627.csv", BUDGET_HEADER, [])
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        summary = load_landing(con, landing)
        rejected = dict(summary.rejected)
        assert "missing required column budget_gbp" in rejected[f"budget/{no_money}"]
        expected = "name does not match <ICB>_BUDGET_<FY>_V<N>_<RECEIVED>.csv"
        assert expected in rejected["budget/QKK_PLAN_2627.csv"]
        registry = con.execute(
            "select file_name, org_code, name_financial_year, name_version, row_count from raw.file_registry"
            " where feed = 'budget' order by file_name"
        ).fetchall()
        assert registry == [(V1, "QKK", "2025/26", 1, 12), (QWE, "QWE", "2025/26", 1, 3),
                            (V2, "QKK", "2025/26", 2, 28)]
        aliased = con.execute(
            "select source_row, icb_code, financial_month, funding_stream, service_line_code, budget_gbp"
            " from raw.budget_rows where source_file = ? order by source_row", [QWE]
        ).fetchall()
        assert aliased[1] == (2, "36L00", "1", "green", LINE, "200.00")
        pound = con.execute("select budget_gbp from raw.budget_rows where source_file = ? and source_row = 1",
                            [V2]).fetchone()
        assert pound == ("£1,200.00",)  # Windows-1252: the pound sign intact
        assert load_landing(con, landing).files_loaded == 0  # a file is counted once


@pytest.fixture(scope="module")
def budget_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("budget")
    landing = root / "landing"
    write_budget_landing(landing)
    database = root / "warehouse.duckdb"
    with duckdb.connect(str(database)) as con:
        load_landing(con, landing)
    selection = ["--select", "+fct_icb_spend_monthly", "+quarantined_rows", "+dq_budget_line_overlaps",
                 "+rpt_icb_budget_movements", "--indirect-selection", "cautious"]
    result = run_dbt(["build", *selection], database, target="test", echo=False)
    assert result.returncode == 0, result.log_path.read_text()[-4000:]
    return database


def _query(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_the_latest_received_version_is_in_force_and_earlier_ones_are_kept(budget_warehouse: Path) -> None:
    versions = _query(
        budget_warehouse,
        "select source_file, file_version, version_rank, count(*) from intermediate.int_budget__lines_placed"
        " where file_icb_code = 'QKK' group by all order by version_rank",
    )
    assert versions == [(V2, 2, 1, 28), (V1, 1, 2, 12)]
    in_force = _query(budget_warehouse, "select distinct source_file"
                      " from intermediate.int_budget__lines_in_force where icb_code = 'QKK'")
    assert in_force == [(V2,)]


def test_plan_movements_between_versions(budget_warehouse: Path) -> None:
    rows = _query(
        budget_warehouse,
        "select budget_file, budget_version, is_in_force, budget_gbp, budget_not_covered_by_feeds_gbp,"
        " previous_budget_gbp, movement_gbp from marts.rpt_icb_budget_movements"
        " where icb_code = 'QKK' and funding_stream = 'green' order by received_at",
    )
    assert rows == [
        (V1, 1, False, Decimal("12000.00"), Decimal("0.00"), None, None),
        (V2, 2, True, Decimal("15600.00"), Decimal("1200.00"), Decimal("12000.00"), Decimal("3600.00")),
    ]


def test_bad_budget_rows_are_held_back_named_and_counted(budget_warehouse: Path) -> None:
    held = _query(
        budget_warehouse,
        "select source_file, source_row, reason, detail, provider_code from dq.quarantined_rows"
        " where feed = 'budget' order by source_row",
    )
    assert held == [
        (V2, 25, "financial_month_invalid", 'financial_month = "M13"', "QKK"),
        (V2, 26, "budget_gbp_invalid", 'budget_gbp = "TBC"', "QKK"),
        (V2, 27, "funding_stream_invalid", 'funding_stream = "purple"', "QKK"),
        (V2, 28, "icb_code_mismatch", 'icb_code = "QWE" (the file is for QKK)', "QKK"),
    ]


def test_overlapping_lines_are_a_data_quality_failure_not_a_crash(budget_warehouse: Path) -> None:
    overlaps = _query(
        budget_warehouse,
        "select source_file, source_row, line_scope, overlapping_source_rows, icb_code"
        " from dq.dq_budget_line_overlaps order by source_row",
    )
    # 36L00 is a sub-ICB location of QWE: read as QWE. Row 3 (month 2) overlaps nothing.
    assert overlaps == [(QWE, 1, "funding_stream", "2", "QWE"), (QWE, 2, "service_line", "1", "QWE")]


def test_the_plan_is_the_budget_in_force_with_its_coverage_gap(budget_warehouse: Path) -> None:
    rows = _query(
        budget_warehouse,
        "select plan_source, budget_version, annual_plan_gbp, annual_plan_not_covered_by_feeds_gbp, plan_gbp,"
        " plan_covered_by_feeds_gbp, slam_actual_gbp, slam_variance_gbp, variance_withheld_reason"
        " from marts.fct_icb_spend_monthly where icb_code = 'QKK' and financial_year = '2025/26'"
        " and funding_stream = 'green' and financial_month = 1",
    )
    # V2: 12 x £1,200 activity + 12 x £100 drugs and devices; the bad rows are in no plan
    assert rows == [("icb_budget", 2, Decimal("15600.00"), Decimal("1200.00"), Decimal("1300.00"),
                     Decimal("1200.00"), Decimal("1150.00"), Decimal("-50.00"), None)]


def test_no_variance_is_published_against_an_illustrative_plan(budget_warehouse: Path) -> None:
    rows = _query(
        budget_warehouse,
        "select plan_source, variance_withheld_reason, count(*),"
        " count(slam_variance_gbp) + count(ledger_variance_gbp) + count(ytd_slam_with_estimates_variance_gbp)"
        " + count(slam_forecast_outturn_variance_gbp) + count(slam_forecast_variance_gbp)"
        " from marts.fct_icb_spend_monthly where icb_code = 'QKK' and financial_year = '2025/26'"
        " and funding_stream in ('red', 'blue') group by all",
    )
    assert rows == [("illustrative", "illustrative_plan", 24, 0)]
