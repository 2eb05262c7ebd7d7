"""A merger and a status change dropped into `<landing>/reference/` take effect on the next
night (the nightly run as an operator runs it), against a first night on the shipped seeds.

The fixture merger: QKK and QWE merge into ZZ1 (an obviously made-up code) from 1 April 2025.
The fixture status change: NCBPS07E (shipped: Green in 2025/26, Red in 2026/27) is Amber in
2025/26 and moves to Green in 2026/27. A malformed sub_icb_locations.csv beside them is
rejected with row and field, and the shipped seed stays.
"""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
from test_nightly import NightEnv
from test_reference_files import merged_icbs

from conftest import write_core_landing
from landing_files import SLAM_HEADER, slam_row, write_csv
from speccomm.load.reference import shipped_rows
from speccomm.load.seed_layout import seed_layouts

pytestmark = pytest.mark.slow

MOVING_LINE = "NCBPS07E"


def _write(path: Path, rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


def _status_change() -> list[list[str]]:
    columns = list(seed_layouts()["service_codes"].columns)
    rows = [columns]
    for row in shipped_rows("service_codes"):
        row = list(row)
        if row[0] == MOVING_LINE:
            row[columns.index("icb_delegation_status_2025_26")] = "Amber"
            row[columns.index("icb_delegation_status_2026_27")] = "Green"
        rows.append(row)
    return rows


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> tuple[NightEnv, Path]:
    """(the environment after the second night, the warehouse of the first night)."""
    env = NightEnv(tmp_path_factory.mktemp("reference-updates"))
    write_core_landing(env.landing)
    write_csv(
        env.landing / "slam" / "RJ7_ACM_2526_M01_20250510090000.csv",
        SLAM_HEADER,
        [
            slam_row(
                "1",
                provider="RJ7",
                service_line=MOVING_LINE,
                registration="QWE",
                residence="QWE",
                price="40.00",
            ),
        ],
    )
    write_csv(
        env.landing / "slam" / "RJ7_ACM_2627_M01_20260510090000.csv",
        SLAM_HEADER,
        [
            slam_row(
                "1",
                provider="RJ7",
                year="2026/27",
                service_line=MOVING_LINE,
                registration="36L",
                residence="QWE",
                price="50.00",
            ),
            slam_row(
                "1",
                provider="RJ7",
                year="2026/27",
                service_line=MOVING_LINE,
                registration="",
                residence="",
                price="60.00",
            ),  # provider host: QWE, by then ZZ1
        ],
    )
    first = env.run("nightly")
    assert first.returncode == 0, first.stdout + first.stderr
    baseline = env.root / "baseline.duckdb"
    shutil.copyfile(env.warehouse, baseline)
    _write(env.landing / "reference" / "icbs.csv", merged_icbs())
    _write(env.landing / "reference" / "service_codes.csv", _status_change())
    bad = [list(seed_layouts()["sub_icb_locations"].columns), ["72Q", "SEL", "QKK", "1 July 2022", ""]]
    _write(env.landing / "reference" / "sub_icb_locations.csv", bad)
    second = env.run("nightly")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "the reference folder changed" in second.stdout
    (env.root / "second.out").write_text(second.stdout)
    return env, baseline


def _query(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_nothing_attributed_before_is_unattributed_after_the_merger(nights: tuple[NightEnv, Path]) -> None:
    env, baseline = nights
    sql = (
        "select contract_activity_key, financial_year, attributed_icb_code, price"
        " from marts.fct_contract_activity"
    )
    before = {key: rest for key, *rest in _query(baseline, sql)}
    after = {key: rest for key, *rest in _query(env.warehouse, sql)}
    assert before.keys() == after.keys()
    for key, (year, icb, _) in before.items():
        if icb is not None:
            assert after[key][1] is not None, (key, year, icb)
        if icb in ("QKK", "QWE"):  # boundaries in force at the time
            assert after[key][1] == ("ZZ1" if year >= "2025/26" else icb)
    # the money of each year is unchanged, and no more of it is unattributed
    assert _money_by_year(env.warehouse) == _money_by_year(baseline)
    unattributed = (
        "select count(*) from marts.fct_contract_activity where attribution_method = 'unattributed'"
    )
    assert _query(env.warehouse, unattributed) == _query(baseline, unattributed)
    sus = "select count(*) from marts.fct_sus_activity where attribution_method = 'unattributed'"
    assert _query(env.warehouse, sus) == _query(baseline, sus)


def _money_by_year(database: Path) -> list[tuple]:
    return _query(
        database, "select financial_year, sum(price) from marts.fct_contract_activity group by 1 order by 1"
    )


def test_history_answers_on_todays_boundaries(nights: tuple[NightEnv, Path]) -> None:
    env, _ = nights
    assert _query(
        env.warehouse,
        "select icb_code, valid_to, successor_icb_code, current_icb_code from marts.dim_icb"
        " where icb_code in ('QKK', 'QWE', 'ZZ1') order by 1",
    ) == [
        ("QKK", _date("2025-03-31"), "ZZ1", "ZZ1"),
        ("QWE", _date("2025-03-31"), "ZZ1", "ZZ1"),
        ("ZZ1", None, None, "ZZ1"),
    ]
    # 2024/25 stays QKK's on the boundaries then, and is ZZ1's today
    assert _query(
        env.warehouse,
        "select distinct attributed_icb_code, attributed_current_icb_code"
        " from marts.fct_contract_activity where financial_year = '2024/25'",
    ) == [("QKK", "ZZ1")]
    # the provider host is effective-dated: RJ7 is hosted by QWE, then by ZZ1
    assert _query(
        env.warehouse,
        "select host_icb_code, valid_from, valid_to, current_host_icb_code"
        " from marts.dim_provider_host where provider_code = 'RJ7' order by valid_from",
    ) == [("QWE", _date("2022-07-01"), _date("2025-03-31"), "ZZ1"), ("ZZ1", _date("2025-04-01"), None, "ZZ1")]
    host_rows = _query(
        env.warehouse,
        "select attribution_method, attributed_icb_code, provider_host_icb_code"
        " from marts.fct_contract_activity where provider_code = 'RJ7'"
        " and financial_year = '2026/27' order by price",
    )
    assert host_rows == [("registration", "ZZ1", "ZZ1"), ("provider_host", "ZZ1", "ZZ1")]


def test_superseded_codes_are_counted_by_their_check(nights: tuple[NightEnv, Path]) -> None:
    env, baseline = nights
    expected = _query(
        env.warehouse,
        "select provider_code, financial_year, financial_month, count(*)"
        " from marts.fct_contract_activity where icb_code_superseded group by all order by all",
    )
    assert expected and all(year >= "2025/26" for _, year, _, _ in expected)
    run = "(select max(run_id) from dq.dq_check_results)"
    got = _query(
        env.warehouse,
        "select provider_code, financial_year, financial_month, rows_failed from dq.dq_check_results"
        f" where check_id = 'icb_code_superseded' and dataset = 'slam' and run_id = {run}"
        " and rows_failed > 0 order by all",
    )
    assert got == expected
    statuses = _query(
        env.warehouse,
        "select distinct status, severity from dq.dq_check_results"
        " where check_id = 'icb_code_superseded' and rows_failed > 0",
    )
    # information for the ICBs, never a provider's failure (issue 24): a pass with its rows counted
    assert statuses == [("pass", "warn")]
    assert _query(
        baseline,
        "select count(*) from dq.dq_check_results where check_id = 'icb_code_superseded' and rows_failed > 0",
    ) == [(0,)]


def test_the_finance_mart_follows_the_merger(nights: tuple[NightEnv, Path]) -> None:
    env, baseline = nights
    spend = (
        "select financial_year, sum(slam_actual_gbp) filter (where icb_code = {icbs})"
        " from marts.fct_icb_spend_monthly where financial_year in ('2024/25', '2025/26')"
        " group by 1 order by 1"
    )
    before = _query(baseline, spend.format(icbs="any(['QKK', 'QWE'])"))
    after_old = _query(env.warehouse, spend.format(icbs="any(['QKK', 'QWE'])"))
    after_new = _query(env.warehouse, spend.format(icbs="'ZZ1'"))
    assert before[1][1] and before[1][1] > 0
    assert after_new[1][1] == before[1][1] and not after_old[1][1]  # 2025/26: ZZ1 holds it all
    assert after_old[0][1] == before[0][1]  # 2024/25 stays with QKK and QWE, at the time


def test_a_status_change_takes_effect_by_year(nights: tuple[NightEnv, Path]) -> None:
    env, baseline = nights
    sql = (
        "select financial_year, funding_stream from marts.fct_contract_activity"
        f" where service_line_code = '{MOVING_LINE}'"
        " and provider_code = 'RJ7' group by all order by all"
    )
    assert _query(baseline, sql) == [("2025/26", "green"), ("2026/27", "red")]
    assert _query(env.warehouse, sql) == [("2025/26", "amber"), ("2026/27", "green")]
    assert _query(
        env.warehouse,
        f"select funding_stream, valid_from from marts.dim_service_line"
        f" where service_line_code = '{MOVING_LINE}' and valid_from >= date '2025-04-01'"
        " order by valid_from",
    ) == [("amber", _date("2025-04-01")), ("green", _date("2026-04-01"))]


def test_a_malformed_reference_file_is_rejected_and_the_shipped_seed_stays(
    nights: tuple[NightEnv, Path],
) -> None:
    env, _ = nights
    [(reason,)] = _query(
        env.warehouse,
        "select reason from dq.rejected_files where feed = 'reference'"
        " and file_name = 'sub_icb_locations.csv'",
    )
    assert "row 1, field valid_from: '1 July 2022' is not a date" in reason
    assert "the shipped seed sub_icb_locations stays" in reason
    assert _query(env.warehouse, "select count(*) from reference.sub_icb_locations") == [
        (len(shipped_rows("sub_icb_locations")),)
    ]


def test_the_run_log_and_speccomm_runs_show_the_reference_version(nights: tuple[NightEnv, Path]) -> None:
    env, _ = nights
    versions = [r["reference_version"] for r in env.runs()]
    assert versions[0] == "shipped"
    assert (
        versions[1].startswith("icbs@") and " service_codes@" in versions[1] and "sub_icb" not in versions[1]
    )
    assert _query(env.warehouse, "select reference_version from ops.run_log order by started_at") == [
        (v,) for v in versions
    ]
    runs = env.run("runs")
    header, *lines = runs.stdout.splitlines()
    column = header.index("REFERENCE")  # each run's version under its heading
    assert [line[column:].split("  ")[0] for line in lines] == list(reversed(versions))


def test_extracts_answer_on_todays_boundaries(nights: tuple[NightEnv, Path], tmp_path: Path) -> None:
    env, _ = nights
    out = tmp_path / "zz1.duckdb"
    result = env.run("extract", "--icb", "ZZ1", "--out", str(out))
    assert result.returncode == 0, result.stderr
    with duckdb.connect(str(out), read_only=True) as con:
        years = con.execute(
            "select financial_year, extract_icb_code, count(*) from marts.fct_contract_activity"
            " group by all order by all"
        ).fetchall()
        assert [y for y, _, _ in years] == ["2024/25", "2025/26", "2026/27"]  # history on today's boundaries
        assert {icb for _, icb, _ in years} == {"ZZ1"}
    union = tmp_path / "sl.duckdb"
    result = env.run("extract", "--icb", "QKK", "--icb", "QWE", "--out", str(union))
    assert result.returncode == 0, result.stderr
    with duckdb.connect(str(union), read_only=True) as con:
        by_icb = dict(
            con.execute(
                "select extract_icb_code, count(*) from marts.fct_contract_activity group by 1"
            ).fetchall()
        )
    expected = _query(
        env.warehouse,
        "select count(*) from marts.fct_contract_activity"
        " where attributed_icb_code in ('QKK', 'QWE') or provider_code in"
        " (select provider_code from marts.dim_provider_host where host_icb_code in ('QKK', 'QWE'))",
    )
    assert sum(by_icb.values()) == expected[0][0] and set(by_icb) == {"QKK", "QWE"}


def test_a_night_without_changes_has_nothing_to_do(nights: tuple[NightEnv, Path]) -> None:
    env, _ = nights
    third = env.run("nightly")
    assert third.returncode == 0 and "nothing to do" in third.stdout, third.stdout + third.stderr


def _date(text: str) -> date:
    return date.fromisoformat(text)
