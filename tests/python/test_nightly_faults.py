"""A night killed (SIGKILL) at any point leaves readers the last good warehouse, and the next
night completes without duplicate rows or duplicate emails.

The test-only hook SPECCOMM_TEST_PAUSE_AT=<step> makes the nightly write a marker file and
sleep at the start of that step, so the test kills it exactly there. One chain on one warehouse
keeps the number of dbt builds down: each killed night is the "next run" of the one before it
(it gets past the step its predecessor died in), and a last night runs to the end.
"""

from __future__ import annotations

import email
import os
import signal
import time
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from test_nightly import NightEnv, add_second_month, first_night

from landing_files import SUS_HEADER, write_csv
from speccomm.test_hooks import PAUSE_ENV, pause_marker

pytestmark = pytest.mark.slow

# "publish" pauses after the reports were sent and before publishing: the worst moment for
# duplicate emails, as the next night loads, builds, reports and delivers all over again.
KILL_POINTS = ("load", "build", "quality", "publish")
MALFORMED_SUS = "APC_202507_20250815060000.csv"


def _kill_at(env: NightEnv, step: str) -> str:
    night = env.start("nightly", env={PAUSE_ENV: step})
    marker = pause_marker(env.state, step)
    deadline = time.monotonic() + 300
    while not marker.exists():
        if night.poll() is not None or time.monotonic() > deadline:
            night.kill()
            output = night.stdout.read() if night.stdout else ""
            pytest.fail(f"the nightly never reached {step}:\n{output}")
        time.sleep(0.1)
    os.kill(night.pid, signal.SIGKILL)
    night.wait(timeout=30)
    return night.stdout.read() if night.stdout else ""


def _emails(outbox: Path) -> Counter:
    sent: Counter = Counter()
    for path in outbox.rglob("*.eml"):
        message = email.message_from_bytes(path.read_bytes())
        sent[(message["To"], message["Subject"], message["X-Speccomm-Report-Fingerprint"])] += 1
    return sent


def test_killed_nights_leave_the_published_warehouse_intact_and_the_next_completes(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    env = first_night(tmp_path_factory.getbasetemp()).copy(tmp_path / "env")
    [(files_before,)] = env.build_query("select count(*) from raw.file_registry")
    add_second_month(env)  # two new files
    write_csv(env.landing / "sus" / MALFORMED_SUS, SUS_HEADER[1:], [["RJ1", "x"]])  # no sus_record_id
    published, build = env.sha(), env.build.read_bytes()
    facts = env.query("select count(*) from marts.fct_contract_activity")

    for step in KILL_POINTS:
        output = _kill_at(env, step)
        assert env.sha() == published, f"killed at {step}: the published file changed\n{output}"
        assert env.build.read_bytes() == build, f"killed at {step}: the build file changed\n{output}"
        assert env.query("select count(*) from marts.fct_contract_activity") == facts
        assert not list(env.warehouse.parent.glob(".*publishing"))
    emails_before_last_night = _emails(env.outbox)

    result = env.run("nightly")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("stopped without finishing (killed?)") == 1  # each run notes the one before
    assert f"REJECTED sus/{MALFORMED_SUS}: missing required column sus_record_id" in result.stdout
    assert env.sha() != published

    _assert_no_duplicate_rows(env, files_expected=files_before + 2)
    statuses = [(r["status"], r["failed_step"]) for r in env.runs()]
    assert statuses == [("succeeded", None)] + [("killed", None)] * len(KILL_POINTS) + [("succeeded", None)]
    emails = _emails(env.outbox)
    assert all(count == 1 for count in emails.values()), emails
    reports = [key for key in emails if key[2] is not None]
    assert set(reports) == {key for key in emails_before_last_night if key[2] is not None}, (
        "the reports sent by the night killed before publishing are not sent again"
    )


def _assert_no_duplicate_rows(env: NightEnv, files_expected: int) -> None:
    with duckdb.connect(str(env.build), read_only=True) as con:
        assert con.execute(
            "select count(*) - count(distinct (feed, file_name)) from raw.file_registry"
        ).fetchone()[0] == 0
        assert con.execute("select count(*) from raw.file_registry").fetchone()[0] == files_expected
        for feed in ("slam", "sus", "ledger"):
            mismatched = con.execute(f"""
                select count(*) from raw.file_registry as registry
                left join (select file_id, count(*) as n from raw.{feed}_rows group by file_id) as loaded
                    on loaded.file_id = registry.file_id
                where registry.feed = '{feed}' and coalesce(loaded.n, 0) != registry.row_count
            """).fetchone()[0]
            assert mismatched == 0, f"{feed}: rows loaded twice or lost"
        rejected = con.execute(
            f"select count(*) from dq.rejected_files where file_name = '{MALFORMED_SUS}'"
        ).fetchone()[0]
        assert rejected == 1
