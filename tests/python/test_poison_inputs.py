"""Issue 18 end to end: what a careless provider, a broken share or an attacker sends never
fails a night nor blocks other providers, and no pseudonym or secret leaves in any output.

One landing folder holds the core cases plus every poison value, file name and entry type;
one nightly builds it with an SMTP server that refuses connections (so the reports queue) and
a planted non-ASCII password; a second nightly, with nothing new and a working server, sends
the queue. Every output of both nights is then searched for the planted pseudonyms and the
password: console, run log, delivery ledger, emails, reports, dq tables, export and extract.
"""

from __future__ import annotations

import csv
import email
import email.policy
import io
import os
import socket
import sqlite3
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from aiosmtpd.controller import Controller
from test_nightly import NightEnv

from conftest import write_core_landing
from landing_files import LEDGER_HEADER, SLAM_HEADER, SUS_HEADER, ledger_row, slam_row, sus_row, write_csv
from speccomm.safe_text import FORMULA_LEADERS, neutralise_cell, printable

pytestmark = pytest.mark.slow

PSEUDONYMS = ("PSEUDO-ÄÖÜ-19a7c3", "PSEUDO-plain-88f21d", "PSEUDO-£-in-a-short-row")
PASSWORD = "Gehéim-£-pässwort-42"
SMTP_USER = "speccomm"
BIG = "9999999999999999.99"  # fits decimal(18,2); three of them do not
FORMULAS = ('=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3")
FORGED = "== speccomm nightly FAKE-RUN: SUCCEEDED"
RJZ_FILE = "RJZ_ACM_2526_M02_20250611090000.csv"
SUS_FILE = "APC_202507_20250815060000.csv"
LEDGER_FILE = "QKK_GL_2526_M06_20251010180000.csv"


def _poison_landing(landing: Path, outside: Path) -> None:
    write_core_landing(landing)
    write_csv(
        landing / "slam" / RJZ_FILE,
        SLAM_HEADER,
        [
            slam_row("1", provider="RJZ", price="99999999999999999999.99"),
            slam_row("1", provider="RJZ", activity="12345678901234567"),
            slam_row("2", provider="RJZ", price=BIG),
            slam_row("2", provider="RJZ", price=BIG),
            slam_row("2", provider="RJZ", price=BIG),
            slam_row("2", provider="RJZ", price="\t1,234.56\t"),
            slam_row("2", provider="RJZ", price="\u00a0500.00\u00a0"),
            slam_row("2", provider="RJZ", price="1000.00", record_type="Actuals"),
            slam_row("2", provider="RJZ", price="2000.00", record_type="Forecast"),
            slam_row("2", provider="RJZ", year="0999/00"),
            *[slam_row("2", provider="RJZ", residence=formula) for formula in FORMULAS],
        ],
    )
    write_csv(
        landing / "sus" / SUS_FILE,
        SUS_HEADER,
        [
            _with_pseudonym(sus_row("", "2025-07-01"), PSEUDONYMS[0]),
            _with_pseudonym(sus_row("", "2025-07-02"), PSEUDONYMS[1]),
            sus_row("X1", "0999-07-01", price="99999999999999999999.99"),
            sus_row("X2", "2025-07-03", price=BIG),
            sus_row("X3", "2025-07-03", price=BIG),
            sus_row("X4", "2025-07-03", price=BIG),
        ],
    )
    short_row = write_csv(
        landing / "sus" / "OP_202507_20250815060000.csv", SUS_HEADER, [sus_row("Y1", "2025-07-01")]
    )
    with short_row.open("a", encoding="utf-8", newline="") as handle:
        handle.write(f"Y2,RJ1,LOCAL-Y2,{PSEUDONYMS[2]}\r\n")
    write_csv(
        landing / "sus" / "APC_２０２８０５_20280615060000.csv", SUS_HEADER, [sus_row("Z1", "2028-05-01")]
    )
    write_csv(landing / "sus" / "OP_099905_20250615060000.csv", SUS_HEADER, [sus_row("Z2", "2025-05-01")])
    write_csv(
        landing / "ledger" / LEDGER_FILE,
        LEDGER_HEADER,
        [
            ledger_row("J9", "1", "99999999999999999999.99", month="6", cost_centre="714110"),
            ledger_row("J9", "2", BIG, month="6", cost_centre="714110"),
            ledger_row("J9", "3", BIG, month="6", cost_centre="714110"),
            ledger_row("J9", "4", BIG, month="6", cost_centre="714110"),
        ],
    )
    write_csv(
        landing / "slam" / "RJ7_ACM_2526_M01_20250512090000.csv",
        [*SLAM_HEADER, "Price Actual"],
        [[*slam_row("1", provider="RJ7"), "5.00"]],
    )
    write_csv(
        landing / "slam" / f"RJ1_ACM_2526_M09_20251210090000.csv\n{FORGED}", SLAM_HEADER, [slam_row("9")]
    )
    # entry types: a link inside (loaded), outside, dangling, looping; a pipe; a hidden file; a
    # folder named like a file; a file in a subfolder
    write_csv(outside / "RAX_ACM_2526_M01_20250510090000.csv", SLAM_HEADER, [slam_row("1", provider="RAX")])
    slam = landing / "slam"
    (slam / "RAX_ACM_2526_M01_20250510090000.csv").symlink_to(outside / "RAX_ACM_2526_M01_20250510090000.csv")
    (slam / "RVR_ACM_2526_M01_20250510090000.csv").symlink_to(landing / "gone.csv")
    (slam / "RJ6_ACM_2526_M01_20250510090000.csv").symlink_to(slam / "RJ6_ACM_2526_M01_20250510090000.csv")
    (slam / "RJ2_ACM_2526_M03_20250710090000.csv").symlink_to(slam / "RJ1_ACM_2526_M03_20250710090000.csv")
    os.mkfifo(slam / "RPY_ACM_2526_M01_20250510090000.csv")
    write_csv(
        slam / ".RPY_ACM_2526_M02_20250610090000.csv.part", SLAM_HEADER, [slam_row("2", provider="RPY")]
    )
    (slam / "y.csv").mkdir()
    write_csv(
        slam / "old" / "RPY_ACM_2526_M03_20250710090000.csv", SLAM_HEADER, [slam_row("3", provider="RPY")]
    )


def _with_pseudonym(row: list[str], pseudonym: str) -> list[str]:
    row[3] = pseudonym
    return row


@dataclass
class _Inbox:
    received: list[bytes] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:
        self.received.append(bytes(envelope.original_content or envelope.content))
        return "250 OK"


@dataclass(frozen=True)
class Nights:
    env: NightEnv
    first: object
    second: object
    inbox: _Inbox
    export_dir: Path
    extract_file: Path


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> Nights:
    root = tmp_path_factory.mktemp("poison")
    env = NightEnv(root / "env")
    _poison_landing(env.landing, root / "outside")
    port = _port()
    smtp = {
        "SPECCOMM_SMTP_HOST": "127.0.0.1",
        "SPECCOMM_SMTP_PORT": str(port),
        "SPECCOMM_SMTP_SECURITY": "none",
        "SPECCOMM_SMTP_USER": SMTP_USER,
        "SPECCOMM_SMTP_PASSWORD": PASSWORD,
        "SPECCOMM_SMTP_TIMEOUT": "5",
    }
    first = env.run("nightly", env=smtp)  # nothing listens on the port: every message queues
    inbox = _Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        auth_require_tls=False,
        authenticator=lambda *args: __import__("aiosmtpd.smtp").smtp.AuthResult(success=True),
    )
    controller.start()
    try:
        second = env.run("nightly", env=smtp)  # nothing new: the queue goes all the same
    finally:
        controller.stop()
    export_dir, extract_file = root / "export", root / "extract" / "qkk.duckdb"
    assert env.run("export", "--out", str(export_dir)).returncode == 0
    assert env.run("extract", "--icb", "QKK", "--out", str(extract_file)).returncode == 0
    return Nights(env, first, second, inbox, export_dir, extract_file)


# --- 1. quarantine, never a failed night ----------------------------------------------------------


def test_poison_values_and_names_fail_no_night(nights: Nights) -> None:
    assert nights.first.returncode == 0, nights.first.stdout + nights.first.stderr
    assert nights.second.returncode == 0, nights.second.stdout + nights.second.stderr
    assert [run["status"] for run in nights.env.runs()] == ["succeeded", "nothing_to_do"]


def test_overflowing_values_are_null_and_counted_and_sums_do_not_overflow(nights: Nights) -> None:
    env = nights.env
    assert env.query(
        f"select count(*) from marts.fct_contract_activity where source_file = '{RJZ_FILE}'"
        " and price is null and price_raw = '99999999999999999999.99'"
    ) == [(1,)]
    assert env.query(
        f"select count(*) from marts.fct_contract_activity where source_file = '{RJZ_FILE}'"
        " and activity is null and activity_raw = '12345678901234567'"
    ) == [(1,)]
    failed = dict(
        ((check, dataset), rows)
        for check, dataset, rows in env.query(
            "select check_id, dataset, sum(rows_failed) from dq.dq_check_results"
            " where provider_code in ('RJZ', 'RJ1', 'QKK') group by all"
        )
    )
    assert failed[("activity_invalid", "slam")] >= 1 and failed[("price_invalid", "slam")] >= 2
    assert failed[("price_invalid", "sus")] >= 1 and failed[("price_invalid", "ledger")] >= 1
    # three valid decimal(18,2) prices add up past decimal(18,2) in the marts
    total = env.query("select sum(slam_actual_gbp) from marts.fct_icb_spend_monthly")[0][0]
    assert total > 3 * Decimal(BIG) - 1
    ledger = env.query("select sum(ledger_actual_gbp) from marts.fct_icb_spend_monthly")[0][0]
    assert ledger > 3 * Decimal(BIG) - 1


def test_unicode_digit_and_year_0999_files_are_rejected_with_a_reason(nights: Nights) -> None:
    reasons = dict(nights.env.query("select file_name, reason from dq.rejected_files"))
    assert "non-ASCII" in reasons["APC_２０２８０５_20280615060000.csv"]
    assert "year 0999" in reasons["OP_099905_20250615060000.csv"]


def test_blank_sus_record_ids_are_quarantined_and_counted(nights: Nights) -> None:
    env = nights.env
    assert env.query(
        f"select count(*) from dq.quarantined_rows where source_file = '{SUS_FILE}'"
        " and reason = 'sus_record_id_missing'"
    ) == [(2,)]
    assert env.query(
        "select sum(rows_failed) from dq.dq_check_results where check_id = 'sus_record_id_missing'"
    ) == [(2,)]
    assert env.query(
        f"select count(*) from marts.fct_sus_activity where source_file = '{SUS_FILE}'"
        " and sus_record_id is null"
    ) == [(0,)]
    # conservation: every row of the extract is in the fact or the quarantine, pounds too
    fact = env.query(
        f"select count(*), sum(tariff_price) from marts.fct_sus_activity where source_file = '{SUS_FILE}'"
    )
    held = env.query(
        f"select count(*), sum(amount) from dq.quarantined_rows where source_file = '{SUS_FILE}'"
    )
    assert fact[0][0] + held[0][0] == 6
    assert fact[0][1] + held[0][1] == 3 * Decimal(BIG) + 2000


# --- 5. values ------------------------------------------------------------------------------------


def test_tab_and_no_break_space_are_trimmed(nights: Nights) -> None:
    prices = nights.env.query(
        f"select price from marts.fct_contract_activity where source_file = '{RJZ_FILE}'"
        " and price_raw in (chr(9) || '1,234.56' || chr(9), chr(160) || '500.00' || chr(160))"
    )
    assert sorted(p for (p,) in prices) == [Decimal("500.00"), Decimal("1234.56")]


def test_unknown_record_types_are_counted_and_kept_out_of_actual_and_plan(nights: Nights) -> None:
    env = nights.env
    assert env.query(
        "select sum(rows_failed) from dq.dq_check_results"
        " where check_id = 'record_type_invalid' and provider_code = 'RJZ'"
    ) == [(2,)]
    rows = env.query(
        f"select record_type, sum(price) from marts.fct_contract_activity where source_file = '{RJZ_FILE}'"
        " and price in (1000.00, 2000.00) group by all"
    )
    assert rows == [(None, Decimal("3000.00"))]  # in the fact, in neither Actual nor Plan


def test_duplicate_columns_reject_the_file_naming_both_headers(nights: Nights) -> None:
    reasons = dict(nights.env.query("select file_name, reason from dq.rejected_files"))
    reason = reasons["RJ7_ACM_2526_M01_20250512090000.csv"]
    assert '"price"' in reason and '"Price Actual"' in reason


# --- 4. the landing folder, entry by entry --------------------------------------------------------


def test_every_landing_entry_is_loaded_or_rejected(nights: Nights) -> None:
    env = nights.env
    reasons = dict(env.query("select file_name, reason from dq.rejected_files"))
    for name, why in [
        ("RAX_ACM_2526_M01_20250510090000.csv", "outside the landing folder"),
        ("RVR_ACM_2526_M01_20250510090000.csv", "does not exist"),
        ("RJ6_ACM_2526_M01_20250510090000.csv", "cannot be resolved"),
        ("RPY_ACM_2526_M01_20250510090000.csv", "named pipe"),
        (".RPY_ACM_2526_M02_20250610090000.csv.part", "hidden"),
        ("y.csv", "a folder"),
        ("old/RPY_ACM_2526_M03_20250710090000.csv", "subfolder"),
    ]:
        assert why in reasons[name], name
    loaded = {name for (name,) in env.build_query("select file_name from raw.file_registry")}
    assert "RJ2_ACM_2526_M03_20250710090000.csv" in loaded  # a link inside the landing folder
    assert env.build_query("select count(*) from raw.slam_rows where provider_code = 'RAX'") == [(0,)]


# --- 6. output safety -----------------------------------------------------------------------------


def test_a_file_name_cannot_forge_console_lines(nights: Nights) -> None:
    for output in (nights.first.stdout, nights.first.stderr):
        assert not any(line.lstrip().startswith(FORGED) for line in output.splitlines())
    assert printable(f"RJ1_ACM_2526_M09_20251210090000.csv\n{FORGED}") in nights.first.stdout


def test_csv_attachments_neutralise_formula_cells(nights: Nights) -> None:
    cells = [
        cell for text in _csv_attachments(nights) for row in csv.reader(io.StringIO(text)) for cell in row
    ]
    assert any(cell.startswith("'=HYPERLINK") for cell in cells)  # the planted formula, neutralised
    for cell in cells:
        assert not cell.startswith(FORMULA_LEADERS) or neutralise_cell(cell) == cell, cell


def test_neutralise_cell_follows_owasp() -> None:
    for formula in (*FORMULAS, "\t=1", "\r=1"):
        assert neutralise_cell(formula) == "'" + formula
    for harmless in ("-1234.56", "+44", "1,234.56", "QKK", "", None, 5):
        assert neutralise_cell(harmless) == harmless


# --- 7. sending -----------------------------------------------------------------------------------


def test_reports_queued_by_a_failed_send_go_on_the_next_quiet_night(nights: Nights) -> None:
    assert "failed, queued for the next run: provider:" in nights.first.stdout
    assert nights.inbox.received, nights.second.stdout
    with sqlite3.connect(nights.env.state / "delivery.sqlite") as db:
        statuses = {status for (status,) in db.execute("select status from messages")}
    assert statuses == {"sent"}


# --- 2. no pseudonym or secret in any output ------------------------------------------------------


def test_no_pseudonym_or_password_in_any_output(nights: Nights) -> None:
    outputs = list(_every_output(nights))
    assert len(outputs) > 20
    assert any("PSEUDO-plain" in text for where, text in _every_input(nights))  # the plant is there
    for where, text in outputs:
        for secret in (*PSEUDONYMS, PASSWORD, "pässwort"):
            assert secret not in text, f"{secret!r} in {where}"


def _every_input(nights: Nights):
    for path in nights.env.landing.rglob("*.csv"):
        if path.is_file() and not path.is_symlink():
            yield str(path), path.read_text(encoding="utf-8", errors="replace")


def _every_output(nights: Nights):
    env = nights.env
    for result in (nights.first, nights.second):
        yield "console", result.stdout + result.stderr
    for database in (env.state / "runs.sqlite", env.state / "delivery.sqlite"):
        with sqlite3.connect(database) as db:
            for (table,) in db.execute("select name from sqlite_master where type = 'table'"):
                for row in db.execute(f"select * from {table}"):
                    for value in row:
                        yield f"{database.name}.{table}", _decoded(value)
    for raw in nights.inbox.received:
        yield "email", _decoded(raw)
    for path in (env.root / "wh" / "reports").rglob("*"):
        if path.is_file():
            yield str(path), path.read_bytes().decode("utf-8", "replace")
    for path in nights.export_dir.rglob("*.parquet"):
        yield str(path), str(duckdb.sql(f"select * from read_parquet('{path}')").fetchall())
    for path in nights.extract_file.parent.rglob("*.parquet"):
        yield str(path), str(duckdb.sql(f"select * from read_parquet('{path}')").fetchall())
    yield from _duckdb_tables(nights.extract_file, schemas=None)
    yield from _duckdb_tables(env.warehouse, schemas=None)  # the whole published file: readers see it all


def _duckdb_tables(database: Path, schemas: tuple[str, ...] | None):
    with duckdb.connect(str(database), read_only=True) as con:
        catalog = con.execute("select current_database()").fetchone()[0]
        for schema, table in con.execute(
            "select table_schema, table_name from information_schema.tables where table_catalog = ?",
            [catalog],
        ).fetchall():
            if schemas is None or schema in schemas:
                yield (
                    f"{database.name}:{schema}.{table}",
                    str(con.execute(f'select * from "{schema}"."{table}"').fetchall()),
                )


def _decoded(value: object) -> str:
    """Text of a value; an email (bytes starting like one) with every part decoded."""
    if isinstance(value, bytes):
        message = email.message_from_bytes(value, policy=email.policy.default)
        if message.get("Message-ID") or message.get("Subject"):
            parts = [str(message.items())]
            for part in message.walk():
                payload = part.get_payload(decode=True)
                if payload:
                    parts.append(payload.decode("utf-8", "replace"))
            return "\n".join(parts)
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


def _csv_attachments(nights: Nights) -> list[str]:
    texts = []
    for raw in nights.inbox.received:
        for part in email.message_from_bytes(raw, policy=email.policy.default).walk():
            if part.get_filename() and part.get_filename().endswith(".csv"):
                texts.append(part.get_payload(decode=True).decode("utf-8-sig"))
    assert texts, "no CSV attachment was sent"
    return texts
