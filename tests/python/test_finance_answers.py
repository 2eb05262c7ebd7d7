"""bench/finance_answers.py on two tiny hand-made warehouses: A (QKK and QWE) and B (the same money
on ZZ1, their successor from 2025/26). Each test breaks one invariant in B, or none."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

# bench/ is scripts run from the checkout (python -m bench.…), not an installed package
_spec = importlib.util.spec_from_file_location(
    "finance_answers", Path(__file__).resolve().parents[2] / "bench" / "finance_answers.py"
)
assert _spec and _spec.loader
finance_answers = importlib.util.module_from_spec(_spec)
sys.modules["finance_answers"] = finance_answers
_spec.loader.exec_module(finance_answers)
main = finance_answers.main
VARIANCES = finance_answers.VARIANCE_COLUMNS

YEAR = "2025/26"
# the footprint's money per ICB in force: (plan, SLAM actual, estimate, ledger)
BEFORE = {"QKK": (100, 60, 5, 55), "QWE": (50, 40, 3, 35), "QXX": (70, 70, 0, 70)}
AFTER = {"ZZ1": (150, 100, 8, 90), "QXX": (70, 70, 0, 70)}
Edit = Callable[[duckdb.DuckDBPyConnection], object]


def _table(con: duckdb.DuckDBPyConnection, name: str, columns: str, rows: list[tuple]) -> None:
    """A table of the columns named (type `money`: decimal(18,2)) holding the rows."""
    con.execute(f"create table {name} ({columns.replace(' money', ' decimal(18,2)')})")
    if rows:
        marks = ", ".join("?" for _ in rows[0])
        con.executemany(f"insert into {name} values ({marks})", rows)


def warehouse(
    path: Path, money: dict[str, tuple[int, int, int, int]], merged: bool, edit: Edit | None = None
) -> Path:
    """A published warehouse with only what the checker reads: one year, one stream, one month."""
    footprint = {"ZZ1"} if merged else {"QKK", "QWE"}
    current = {"QKK": "ZZ1" if merged else "QKK", "QWE": "ZZ1" if merged else "QWE", "QXX": "QXX"}
    if merged:
        current["ZZ1"] = "ZZ1"
    with duckdb.connect(str(path)) as con:
        for schema in ("marts", "reference", "dq"):
            con.execute(f"create schema {schema}")
        _table(
            con,
            "marts.dim_icb",
            "icb_code varchar, current_icb_code varchar, is_unknown_member boolean",
            [(code, now, False) for code, now in current.items()] + [("UNKNOWN", "UNKNOWN", True)],
        )
        _table(
            con,
            "reference.footprints",
            "footprint_code varchar, icb_code varchar",
            [("SOUTH_LONDON", "QKK"), ("SOUTH_LONDON", "QWE")],
        )
        variances = ", ".join(f"{column} money" for column in VARIANCES)
        _table(
            con,
            "marts.fct_icb_spend_monthly",
            "icb_code varchar, is_in_footprint boolean, financial_year varchar, financial_month int,"
            " funding_stream varchar, plan_source varchar, variance_withheld_reason varchar,"
            " annual_plan_gbp money, annual_plan_covered_by_feeds_gbp money, plan_gbp money,"
            " plan_covered_by_feeds_gbp money,"
            " slam_actual_gbp money, slam_estimated_gbp money, ledger_actual_gbp money,"
            " ledger_feed_providers_gbp money, is_slam_reported boolean, slam_forecast_outturn_gbp"
            " money, slam_forecast_outturn_low_gbp money, slam_forecast_outturn_high_gbp"
            f" money, forecast_range_method varchar, {variances}",
            [
                (
                    icb,
                    icb in footprint,
                    YEAR,
                    month,
                    "green",
                    "icb_budget",
                    None,
                    plan * 2,
                    plan * 2,
                    plan,
                    plan,
                    slam,
                    estimate,
                    ledger,
                    ledger,
                    True,
                    slam + estimate,
                    slam,
                    slam + 2 * estimate,
                    "default",
                    *([slam + estimate - plan] * len(VARIANCES)),
                )
                for icb, (plan, slam, estimate, ledger) in money.items()
                for month in (11, 12)
            ],
        )
        _table(
            con,
            "marts.rpt_allocation_impact",
            "icb_code varchar, is_in_footprint boolean, financial_year varchar, funding_stream varchar,"
            " footprint_total_gbp money, footprint_estimated_gbp money, host_basis_gbp money,"
            " host_estimated_gbp money, population_basis_gbp money, population_estimated_gbp"
            " money, needs_target_gbp money, needs_basis_gbp money",
            [
                (
                    icb,
                    icb in footprint,
                    YEAR,
                    "green",
                    208,
                    8,
                    slam + estimate,
                    estimate,
                    slam + estimate,
                    estimate,
                    slam + estimate,
                    slam + estimate,
                )
                for icb, (_, slam, estimate, _) in money.items()
            ],
        )
        _table(
            con,
            "marts.rpt_low_volume_flows",
            "icb_code varchar, is_in_footprint boolean, financial_year varchar, price_gbp money,"
            " annual_value_gbp money",
            [(icb, icb in footprint, YEAR, 2, 24) for icb in money],
        )
        _table(
            con,
            "marts.rpt_erf_performance",
            "icb_code varchar, is_in_footprint boolean, financial_year varchar, elective_records bigint,"
            " elective_value_gbp money, baseline_value_gbp money",
            [
                (icb, icb in footprint, YEAR, slam // 10, slam, plan)
                for icb, (plan, slam, _, _) in money.items()
            ],
        )
        _table(
            con,
            "marts.rpt_icb_variation",
            "icb_code varchar, is_in_footprint boolean, financial_year varchar, spend_gbp money,"
            " estimated_spend_gbp money, activity money, comparators int, is_outlier_95 boolean,"
            " is_outlier_998 boolean, is_spend_outlier_95 boolean, is_spend_outlier_998 boolean,"
            " no_flag_reason varchar",
            [
                (
                    icb,
                    icb in footprint,
                    YEAR,
                    slam,
                    estimate,
                    slam // 10,
                    len(footprint),
                    None,
                    None,
                    None,
                    None,
                    "fewer_than_5_comparators",
                )
                for icb, (_, slam, estimate, _) in money.items()
            ],
        )
        _table(
            con,
            "marts.rpt_contract_plan_vs_actual",
            "provider_code varchar, icb_code varchar, is_in_footprint boolean, financial_year varchar,"
            " plan_gbp money, like_for_like_actual_gbp money, has_plan boolean",
            [
                ("RJ1", icb, icb in footprint, YEAR, plan, slam, True)
                for icb, (plan, slam, _, _) in money.items()
            ],
        )
        _table(
            con,
            "marts.rpt_triangulation_spend",
            "financial_year varchar, is_flagged boolean, is_compared boolean, slam_gbp money,"
            " ledger_gbp money",
            [(YEAR, False, True, 100, 90), (YEAR, True, True, 50, 20)],
        )
        _table(
            con,
            "marts.fct_contract_activity",
            "provider_code varchar, attributed_icb_code varchar, funding_stream varchar,"
            " financial_year varchar, financial_month int, record_type varchar",
            [("RJ1", icb, "green", YEAR, 12, "Actual") for icb in money],
        )
        _table(
            con,
            "dq.dq_check_results",
            "check_id varchar, status varchar, dataset varchar, provider_code varchar,"
            " financial_year varchar, financial_month int, run_at timestamp, rows_failed bigint,"
            " rows_checked bigint",
            [
                (
                    "slam_ledger_spend_variance",
                    "warn",
                    "slam",
                    "RJ1",
                    YEAR,
                    3,
                    "2026-12-07 02:00:00",
                    1,
                    len(money),
                ),
                ("ledger_dup", "fail", "ledger", None, YEAR, 3, "2026-12-07 02:00:00", 2, 9),
            ],
        )
        if edit:
            edit(con)
    return path


def _run(tmp_path: Path, edit: Edit | None = None, *extra: str) -> int:
    a = warehouse(tmp_path / "a.duckdb", BEFORE, merged=False)
    b = warehouse(tmp_path / "b.duckdb", AFTER, merged=True, edit=edit)
    return main(["--a", str(a), "--b", str(b), *extra])


def test_a_merger_that_keeps_every_figure_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(tmp_path, None, "--footprint", "SOUTH_LONDON") == 0
    out = capsys.readouterr().out
    assert (
        "A = " in out
        and "(footprint SOUTH_LONDON: QKK, QWE)" in out
        and "(footprint SOUTH_LONDON: QKK, QWE, ZZ1)" in out
    )
    # the footprint's plan per year, A | B | B - A, and RJ1's like-for-like variance on both
    assert "2025/26 plan_gbp" in out and "300.00 |               300.00 |           0.00" in out
    assert "RJ1  plan" in out and "-33.3 % |   -33.3 %" in out
    # the provider's warning stays; its records checked fall with two ICBs' cells made one
    assert "slam_ledger_spend_variance               warn   1 / 1 / 1 / 3 | 1 / 1 / 1 / 2" in out
    assert "every invariant holds" in out


def test_one_warehouse_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = warehouse(tmp_path / "a.duckdb", BEFORE, merged=False)
    assert main(["--a", str(a)]) == 0
    assert "forecast range coverage" in capsys.readouterr().out


def _move_money(con: duckdb.DuckDBPyConnection) -> None:
    # the merger loses QWE's SLAM actual in the spend mart: ZZ1 shows only QKK's
    con.execute("update marts.fct_icb_spend_monthly set slam_actual_gbp = 60 where icb_code = 'ZZ1'")


def _variance_on_illustrative(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("update marts.fct_icb_spend_monthly set plan_source = 'illustrative' where icb_code = 'QXX'")


def _flag_with_few_comparators(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "update marts.rpt_icb_variation set is_outlier_95 = true, no_flag_reason = null"
        " where icb_code = 'ZZ1'"
    )


def _forecast_without_range(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "update marts.fct_icb_spend_monthly set slam_forecast_outturn_high_gbp = null where icb_code = 'ZZ1'"
    )


def _provider_blamed(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "insert into dq.dq_check_results values"
        " ('slam_ledger_spend_variance', 'warn', 'slam', 'RJ7', '2025/26', 4, '2026-12-07 02:00:00', 1, 2)"
    )


def _cell_flagged(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("update marts.rpt_triangulation_spend set is_flagged = true")


def _footprint_flag_wrong(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("update marts.rpt_low_volume_flows set is_in_footprint = false where icb_code = 'ZZ1'")


@pytest.mark.parametrize(
    ("edit", "broken"),
    [
        (_move_money, "fct_icb_spend_monthly 2025/26 slam_actual_gbp: moved with the merger"),
        (
            _variance_on_illustrative,
            "B fct_icb_spend_monthly: 2 rows publish a variance against an illustrative plan",
        ),
        (_flag_with_few_comparators, "B rpt_icb_variation: 1 funnel flags set"),
        (_forecast_without_range, "B fct_icb_spend_monthly: 2 forecast rows without a range"),
        (_provider_blamed, "data quality (providers): 1 non-pass results added"),
        (_cell_flagged, "rpt_triangulation_spend 2025/26 cells flagged: moved with the merger"),
        (_footprint_flag_wrong, "B rpt_low_volume_flows: 1 rows whose is_in_footprint disagrees"),
    ],
)
def test_a_broken_invariant_exits_1_and_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: Edit, broken: str
) -> None:
    assert _run(tmp_path, edit) == 1
    out = capsys.readouterr().out
    assert "1 invariant(s) broken:" in out and broken in out, out[-2000:]


def test_estimates_may_differ_by_a_penny_per_flow(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # two flows (RJ1 with QKK and with QWE): ZZ1's estimate may be 2p off theirs, not 3p
    def pennies(amount: str) -> Edit:
        return lambda con: con.execute(
            f"update marts.fct_icb_spend_monthly set slam_estimated_gbp = slam_estimated_gbp + {amount}"
            " where icb_code = 'ZZ1' and financial_month = 12"
        )

    for case in ("two", "three"):
        (tmp_path / case).mkdir()
    assert _run(tmp_path / "two", pennies("0.02")) == 0
    assert _run(tmp_path / "three", pennies("0.03")) == 1
    assert "slam_estimated_gbp: moved with the merger" in capsys.readouterr().out


def test_a_missing_warehouse_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--a", str(tmp_path / "nothing.duckdb")]) == 2
    assert "nothing.duckdb: no such warehouse file" in capsys.readouterr().err
