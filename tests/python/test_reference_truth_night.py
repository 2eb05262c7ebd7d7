"""Reference files that lie never reach the build (issue 25), through the nightly as an operator
runs it.

Night 1 accepts a merger (QKK and QWE into the fixture ICB ZZ1 from 1 April 2025) with the
footprint QKK,QWE: the run's summary says the footprint follows ZZ1. Night 2 replaces icbs.csv
with a file that lies three ways at once (a successor cycle QKK → QWE → QKK, an ICB valid twice
at once, a period ending before it starts): the file is rejected naming each row and field, the
night publishes, the merger accepted on night 1 stays (not the shipped seed) and no row that
was attributed becomes unattributed. Before, the cycle left 1,306 SLAM rows and 12,017 SUS
records of the demo unattributed, and the overlap failed every night at build.
"""

from __future__ import annotations

import csv
import email
import email.policy
import shutil
from pathlib import Path

import duckdb
import pytest
from test_nightly import NightEnv
from test_reference_files import ICBS_HEADER, merged_icbs

from conftest import write_core_landing

pytestmark = pytest.mark.slow

FOOTPRINT = ("--footprint", "QKK,QWE")


def _write(path: Path, rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


def _lying_icbs() -> tuple[list[list[str]], dict[str, int]]:
    """The shipped ICBs with a cycle, an overlap and a backwards period; and the row number
    (1 = the first row after the header) of each lie."""
    rows = [ICBS_HEADER]
    for row in merged_icbs()[1:]:
        row = list(row)
        if row[0] == "QKK":
            row[4], row[5] = "2025-03-31", "QWE"
        elif row[0] == "QWE":
            row[4], row[5] = "2025-03-31", "QKK"
        elif row[0] == "QMJ":
            row[4] = "2021-01-31"  # ends before its valid_from, 2022-07-01
        rows.append(row)
    rows.append(["QKS", "NHS Kent and Medway ICB (again)", "Y59", "2024-04-01", "", ""])  # in force twice
    at = {code: next(i for i, r in enumerate(rows) if r[0] == code) for code in ("QKK", "QWE", "QMJ")}
    return rows, {**at, "QKS again": len(rows) - 1}


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> tuple[NightEnv, Path, dict[str, object]]:
    env = NightEnv(tmp_path_factory.mktemp("reference-truth"))
    write_core_landing(env.landing)
    _write(env.landing / "reference" / "icbs.csv", merged_icbs())
    first = env.run("nightly", *FOOTPRINT)
    assert first.returncode == 0, first.stdout + first.stderr
    baseline = env.root / "night1.duckdb"
    shutil.copyfile(env.warehouse, baseline)
    rows, lies = _lying_icbs()
    _write(env.landing / "reference" / "icbs.csv", rows)
    second = env.run("nightly", *FOOTPRINT)
    assert second.returncode == 0, second.stdout + second.stderr
    return env, baseline, {"first": first.stdout, "second": second.stdout, "lies": lies}


def _query(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_the_lying_file_is_rejected_with_row_and_field(nights) -> None:
    env, _, seen = nights
    lies = seen["lies"]
    [(reason,)] = _query(
        env.warehouse,
        "select reason from dq.rejected_files where feed = 'reference' and file_name = 'icbs.csv'",
    )
    assert "not used, the version of icbs used until now (icbs.csv sha256 " in reason
    assert f"row {lies['QKK']}, field successor_icb_code: 'QWE' leads back to QKK (QKK → QWE → QKK)" in reason
    assert f"row {lies['QMJ']}, field valid_to: '2021-01-31' is before valid_from '2022-07-01'" in reason
    assert (
        f"row {lies['QKS again']}, field valid_from: icb_code 'QKS' from 2024-04-01 overlaps its period"
        in reason
    )
    assert "REJECTED reference/icbs.csv" in seen["second"]


def test_the_merger_accepted_before_stays_and_nothing_is_newly_unattributed(nights) -> None:
    env, baseline, _ = nights
    icbs = "select * from reference.icbs order by all"
    assert _query(env.warehouse, icbs) == _query(baseline, icbs)
    assert ("ZZ1",) in _query(env.warehouse, "select icb_code from reference.icbs")
    for fact in ("fct_contract_activity", "fct_sus_activity"):
        sql = (
            f"select attribution_method, attributed_icb_code, count(*) from marts.{fact}"
            " group by all order by all"
        )
        assert _query(env.warehouse, sql) == _query(baseline, sql), fact
    runs = [r["reference_version"] for r in env.runs()]
    assert runs[0] == runs[1] and runs[0].startswith("icbs@")  # the same version both nights


def test_the_summary_says_the_footprint_follows_the_successor(nights) -> None:
    env, _, seen = nights
    line = (
        "Footprint: QKK closed on 2025-03-31 (QKK → ZZ1 in the reference data): the footprint follows ZZ1,"
        " which holds QKK's population and history"
    )
    assert line in seen["first"] and line in seen["second"]
    bodies = []
    for path in sorted(env.outbox.rglob("bi-summary_*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        bodies.append(message.get_body(("plain",)).get_content())
    assert len(bodies) == 2 and all(" ".join(line.split()) in " ".join(body.split()) for body in bodies)
