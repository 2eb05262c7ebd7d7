"""No value the landing contract allows can stop the night (issue 25): a property-style test.

The hand-made core landing plus rows that take every edge value the contract allows, in every
combination, into every input a mart reads: activity negative (an adjustment), zero, missing,
fractional and as large as a quantity may be; price, tariff and ledger amount negative
(`-£500.00`, `(0.01)`), zero, missing, a penny and as large as money may be (16 digits before
the point), on Actual and Plan rows, for ICBs in and out of the footprint, a provider's only row
of a year, and the case that stopped the demo: a single adjustment row (activity −2, −£500) on
a line with no other activity that year. `dbt build` of every model and every data test must
pass; a figure a mart cannot compute is NULL, never an error (and the variation mart's limits
are NULL on a negative pooled rate)."""

from __future__ import annotations

import itertools
from pathlib import Path

import duckdb
import pytest

from conftest import write_core_landing
from landing_files import LEDGER_HEADER, SLAM_HEADER, SUS_HEADER, ledger_row, slam_row, sus_row, write_csv
from speccomm.dbt_runner import run_dbt
from speccomm.load import load_landing

pytestmark = pytest.mark.slow

ACTIVITY = ("-2", "0", "", "0.001", "999999999999999", "-999999999999999")
MONEY = ("-£500.00", "0", "", "0.01", "(0.01)", "9999999999999999.99", "-9999999999999999.99")
ICBS = ("QKK", "QWE", "QKS", "")  # in the footprint, out of it, missing
LINES = ("NCBPS01A", "NCBPS13A", "99999999", "NCBPSXXX")
LONE_LINE = "NCBPS08E"  # the lone adjustment's line: no other activity that year


def _edge_landing(landing: Path) -> None:
    write_core_landing(landing)
    combos = list(itertools.product(ACTIVITY, MONEY))
    slam = []
    for i, (activity, price) in enumerate(combos):
        icb = ICBS[i % len(ICBS)]
        slam.append(
            slam_row(
                str(i % 12 + 1),
                provider="RJ7",
                service_line=LINES[i % len(LINES)],
                registration=icb,
                residence=icb,
                activity=activity,
                price=price,
                record_type=("Plan" if i % 5 == 0 else "Actual"),
            )
        )
    write_csv(landing / "slam" / "RJ7_ACM_2526_M12_20260420100000.csv", SLAM_HEADER, slam)
    # the lone adjustment: one row, one provider-year, one line
    write_csv(
        landing / "slam" / "RYJ_ACM_2425_M03_20240620100000.csv",
        SLAM_HEADER,
        [
            slam_row(
                "3",
                provider="RYJ",
                year="2024/25",
                service_line=LONE_LINE,
                registration="QWE",
                residence="QWE",
                activity="-2",
                price="-£500.00",
            )
        ],
    )
    sus = [
        sus_row(
            f"E{i}",
            f"2025-06-{i % 28 + 1:02d}",
            provider="RJ7",
            price=price,
            registration=ICBS[i % len(ICBS)],
            residence=ICBS[i % len(ICBS)],
            service_line=LINES[i % len(LINES)],
        )
        for i, price in enumerate(MONEY * 2)
    ]
    write_csv(landing / "sus" / "APC_202506_20250715060000.csv", SUS_HEADER, sus)
    for entity in ("QKK", "QWE"):
        write_csv(
            landing / "ledger" / f"{entity}_GL_2526_M06_20251010180000.csv",
            LEDGER_HEADER,
            [
                ledger_row("E1", str(i + 1), amount, entity=entity, month="6", supplier="RJ7")
                for i, amount in enumerate(MONEY)
            ],
        )


@pytest.fixture(scope="module")
def edge_warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, Path]:
    root = tmp_path_factory.mktemp("edge-values")
    _edge_landing(root / "landing")
    database = root / "warehouse.duckdb"
    with duckdb.connect(str(database)) as con:
        load_landing(con, root / "landing")
    result = run_dbt(["build", "--exclude", "test_type:unit"], database, target="test", echo=False)
    return database, result.returncode, result.log_path


def _failures(log: Path) -> list[str]:
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line for line in lines if " ERROR " in line or "FAIL " in line or "Error" in line][:20]


def test_every_model_and_data_test_passes_on_the_contracts_edge_values(edge_warehouse) -> None:
    _, returncode, log = edge_warehouse
    assert returncode == 0, "\n".join(_failures(log))


def test_every_edge_value_reached_the_marts(edge_warehouse) -> None:
    database, _, _ = edge_warehouse
    with duckdb.connect(str(database), read_only=True) as con:
        prices = {
            row[0]
            for row in con.execute(
                "select price from marts.fct_contract_activity where provider_code = 'RJ7'"
            ).fetchall()
        }
        activity = {
            row[0]
            for row in con.execute(
                "select activity from marts.fct_contract_activity where provider_code = 'RJ7'"
            ).fetchall()
        }
    assert {None, 0} <= prices and max(p for p in prices if p is not None) > 10**15
    assert min(p for p in prices if p is not None) < -(10**15)
    assert {None} <= activity and min(a for a in activity if a is not None) < -(10**14)


def test_the_lone_adjustment_gives_variation_figures_or_null_never_an_error(edge_warehouse) -> None:
    database, _, _ = edge_warehouse
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            "select activity, activity_per_100k, activity_lower_95_per_100k, activity_upper_95_per_100k,"
            " is_outlier_95, is_outlier_998, no_flag_reason"
            " from marts.rpt_icb_variation where service_line_code = ? and financial_year = '2024/25'"
            " and icb_code = 'QWE'",
            [LONE_LINE],
        ).fetchall()
    assert rows, "the lone adjustment's line is in the variation mart"
    [(activity, per_100k, lower, upper, outlier_95, outlier_998, reason)] = rows
    assert activity < 0 and per_100k < 0
    # the limits, where the line has an outside reference rate, are that rate's at the ICB's
    # population (never around the negative rate itself); a negative rate is not judged against
    # them: no outlier flag, NULL, never true, with the reason
    assert (lower is None and upper is None) or (0 <= lower <= upper)
    assert outlier_95 is None and outlier_998 is None
    assert reason is not None
