"""The loader: file names, encodings, headers, rejections, only-new files, all-or-nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from landing_files import LEDGER_HEADER, SLAM_HEADER, ledger_row, slam_row, write_csv
from speccomm.load import load_landing
from speccomm.load.columns import match_header, normalise_header
from speccomm.load.csvfile import _CHUNK, sniff
from speccomm.load.filenames import BadFileName, parse_landing_name


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(tmp_path / "wh.duckdb"))
    yield connection
    connection.close()


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


# --- names and headers -------------------------------------------------------------------


def test_names_parse_case_insensitively() -> None:
    name = parse_landing_name("slam", "rj1_acm_2526_m05_20250912093000.CSV")
    assert (name.org_code, name.financial_year, name.financial_month) == ("RJ1", "2025/26", 5)
    assert name.received_at.isoformat() == "2025-09-12T09:30:00+00:00"
    sus = parse_landing_name("sus", "op_202508_20250915061500.csv")
    assert (sus.dataset, sus.activity_month) == ("OP", "202508")
    ledger = parse_landing_name("ledger", "QKK_GL_2526_M12_20260410180000.csv")
    assert (ledger.org_code, ledger.financial_month) == ("QKK", 12)


@pytest.mark.parametrize(
    ("feed", "name", "why"),
    [
        ("slam", "RJ1_ACM_2526_M13_20250912093000.csv", "M13"),
        ("slam", "RJ1_ACM_2527_M05_20250912093000.csv", "2527"),
        ("slam", "RJ1_ACM_2526_M05_20251312093000.csv", "received"),
        ("slam", "RJ1_SLAM_2526_M05_20250912093000.csv", "does not match"),
        ("sus", "APC_202513_20250915061500.csv", "202513"),
        ("sus", "ECDS_202508_20250915061500.csv", "does not match"),
        ("ledger", "QKK_GL_2526_M05.csv", "does not match"),
    ],
)
def test_bad_names_say_why(feed: str, name: str, why: str) -> None:
    with pytest.raises(BadFileName, match=why):
        parse_landing_name(feed, name)


def test_headers_normalise_and_match_aliases() -> None:
    assert normalise_header("  Code Of - Provider ") == "code_of_provider"
    assert normalise_header("\ufeffFin.Year") == "fin_year"
    match = match_header(
        "slam",
        [
            "Code of Provider",
            "Cln-Commissioner Code",
            "FIN YEAR",
            "Fin Month",
            "NHSE Service Line",
            "Point of Delivery",
            "Activity Actual",
            "Total Cost",
            "Extra column",
        ],
    )
    assert match.missing_required == ()
    assert match.positions["provider_code"] == 0 and match.positions["price"] == 7
    assert "hrg_code" not in match.positions


# --- encodings across read chunks ---------------------------------------------------------


@pytest.mark.parametrize(
    ("tail", "encoding"),
    [
        # ASCII chunks throughout
        (b"x" * (2 * _CHUNK), "utf-8"),
        # a UTF-8 character split across the first chunk boundary
        (b"x" * (_CHUNK - 6) + "é".encode() + b"y" * _CHUNK, "utf-8"),
        # Windows-1252 "Ã" ends the first chunk, an all-ASCII chunk, then "©" opens the third:
        # were the ASCII chunk skipped, a UTF-8 decoder would join C3 A9 into "é"
        (b"x" * (_CHUNK - 6) + b"\xc3" + b"y" * _CHUNK + b"\xa9z", "cp1252"),
        # a file ending inside a UTF-8 sequence
        (b"x" * (2 * _CHUNK - 6) + b"\xc3", "cp1252"),
    ],
)
def test_sniff_reads_the_encoding_across_chunk_boundaries(tmp_path, tail: bytes, encoding: str) -> None:
    data = b"a,b\r\n" + tail
    path = tmp_path / "file.csv"
    path.write_bytes(data)
    sniffed = sniff(path)
    assert (sniffed.encoding, sniffed.size, sniffed.header) == (encoding, len(data), ["a", "b"])
    assert sniffed.checksum == hashlib.sha256(data).hexdigest()


# --- loading -------------------------------------------------------------------------------


def test_loads_rows_as_text_with_lineage_and_keeps_pound_sign_in_cp1252(con, tmp_path) -> None:
    landing = tmp_path / "landing"
    write_csv(
        landing / "slam/RJ1_ACM_2526_M01_20250510090000.csv",
        SLAM_HEADER,
        [slam_row("1", price="£1,234.56"), slam_row("01", price="(2.00)")],
        encoding="cp1252",
    )
    write_csv(
        landing / "slam/RJZ_ACM_2526_M01_20250510090000.csv",
        SLAM_HEADER,
        [slam_row("M1", provider="RJZ", price="£5.00")],
        encoding="utf-8-sig",
    )
    summary = load_landing(con, landing)
    assert (summary.files_loaded, summary.rows_loaded, summary.files_rejected) == (2, 3, 0)
    rows = _rows(
        con, "select source_file, source_row, price from raw.slam_rows order by source_file, source_row"
    )
    assert rows == [
        ("RJ1_ACM_2526_M01_20250510090000.csv", 1, "£1,234.56"),
        ("RJ1_ACM_2526_M01_20250510090000.csv", 2, "(2.00)"),
        ("RJZ_ACM_2526_M01_20250510090000.csv", 1, "£5.00"),
    ]
    encodings = dict(_rows(con, "select org_code, encoding from raw.file_registry"))
    assert encodings == {"RJ1": "cp1252", "RJZ": "utf-8-sig"}


def test_quoted_commas_and_line_breaks_survive(con, tmp_path) -> None:
    landing = tmp_path / "landing"
    write_csv(
        landing / "ledger/QKK_GL_2526_M05_20250910180000.csv",
        [*LEDGER_HEADER, "description"],
        [[*ledger_row("J1", "1", "1,000.00"), "Block, monthly\nsecond line"]],
    )
    load_landing(con, landing)
    assert _rows(con, "select amount, description from raw.ledger_rows") == [
        ("1,000.00", "Block, monthly\nsecond line")
    ]


def test_empty_and_header_only_files_are_valid_and_state_no_rows(con, tmp_path) -> None:
    landing = tmp_path / "landing"
    (landing / "sus").mkdir(parents=True)
    (landing / "sus/APC_202508_20250915061500.csv").write_bytes(b"")
    write_csv(landing / "slam/RJ1_ACM_2526_M01_20250510090000.csv", SLAM_HEADER, [])
    summary = load_landing(con, landing)
    assert (summary.files_loaded, summary.rows_loaded, summary.files_rejected) == (2, 0, 0)


def test_bad_files_are_rejected_with_a_reason_and_others_still_load(con, tmp_path) -> None:
    landing = tmp_path / "landing"
    write_csv(landing / "slam/RJ1_ACM_2526_M01_20250510090000.csv", SLAM_HEADER, [slam_row("1")])
    write_csv(landing / "slam/RJ1 April statement.csv", SLAM_HEADER, [slam_row("1")])
    no_price = [h for h in SLAM_HEADER if h != "price"]
    write_csv(landing / "slam/RJZ_ACM_2526_M01_20250510090000.csv", no_price, [slam_row("1")[:-1]])
    (landing / "slam/RJ7_ACM_2526_M01_20250510090000.csv").write_text(
        ",".join(SLAM_HEADER) + "\n" + ",".join(slam_row("1")) + "\nRJ7,13R,2025/26\n"
    )
    (landing / "ledger").mkdir()
    (landing / "ledger/QKK_GL_2526_M01_20250510090000.csv").write_bytes(b"entity_code\n\x81\x8d\n")
    summary = load_landing(con, landing)
    reasons = dict(_rows(con, "select file_name, reason from raw.rejected_files"))
    assert summary.files_loaded == 1
    assert "does not match" in reasons["RJ1 April statement.csv"]
    assert "missing required column price" in reasons["RJZ_ACM_2526_M01_20250510090000.csv"]
    assert "Line: 3" in reasons["RJ7_ACM_2526_M01_20250510090000.csv"]
    assert "neither UTF-8 nor Windows-1252" in reasons["QKK_GL_2526_M01_20250510090000.csv"]
    # nothing of the unparseable file was half-loaded
    assert _rows(con, "select count(*) from raw.slam_rows where source_file like 'RJ7%'") == [(0,)]
    # a second run reports nothing new and loads nothing new
    again = load_landing(con, landing)
    assert (again.files_loaded, again.rows_loaded) == (0, 0)
    assert _rows(con, "select count(*) from raw.rejected_files") == [(4,)]


def test_only_new_files_load_and_a_resent_identical_file_is_recognised_and_loaded(con, tmp_path) -> None:
    landing = tmp_path / "landing"
    first = write_csv(landing / "slam/RJ1_ACM_2526_M01_20250510090000.csv", SLAM_HEADER, [slam_row("1")])
    assert load_landing(con, landing).rows_loaded == 1
    (landing / "slam/RJ1_ACM_2526_M01_20250601090000.csv").write_bytes(first.read_bytes())
    summary = load_landing(con, landing)
    assert (summary.files_loaded, summary.files_duplicate, summary.rows_loaded) == (1, 1, 1)
    # its rows stand under its own name: a re-sent statement is the latest statement
    assert _rows(con, "select source_file from raw.slam_rows order by file_id") == [
        ("RJ1_ACM_2526_M01_20250510090000.csv",),
        ("RJ1_ACM_2526_M01_20250601090000.csv",),
    ]
    # the same name again is not read again
    assert load_landing(con, landing).files_loaded == 0
    assert _rows(con, "select count(*) from raw.file_registry where duplicate_of_file_id is not null") == [
        (1,)
    ]


def test_batches_load_every_good_file_around_an_unreadable_one(con, tmp_path, monkeypatch) -> None:
    """Files share a transaction per batch; an unreadable file aborts it, is rejected, and the
    batch is loaded again without it: every good file in, numbered, ids in landing order."""
    monkeypatch.setattr("speccomm.load.loader.BATCH_FILES", 3)
    landing = tmp_path / "landing"
    good = [f"RJ{n}_ACM_2526_M01_20250510090000.csv" for n in (1, 2, 4, 5, 6)]
    for count, name in enumerate(good, start=1):
        write_csv(
            landing / "slam" / name, SLAM_HEADER, [slam_row(str(month)) for month in range(1, count + 1)]
        )
    (landing / "slam/RJ3_ACM_2526_M01_20250510090000.csv").write_text(
        ",".join(SLAM_HEADER) + "\n" + ",".join(slam_row("1")) + "\nRJ3,13R,2025/26\n"
    )
    # a re-sent copy of RJ1 in a later batch, and one inside the retried batch
    (landing / "slam/RJ1_ACM_2526_M01_20250601090000.csv").write_bytes(
        (landing / "slam" / good[0]).read_bytes()
    )
    (landing / "slam/RJ2_ACM_2526_M01_20250601090000.csv").write_bytes(
        (landing / "slam" / good[1]).read_bytes()
    )
    summary = load_landing(con, landing)
    assert (summary.files_loaded, summary.files_duplicate, summary.files_rejected) == (7, 2, 1)
    assert summary.rows_loaded == 1 + 2 + 4 + 5 + 1 + 2 + 3
    registry = _rows(
        con,
        "select file_name, file_id, row_count, duplicate_of_file_id from raw.file_registry order by file_id",
    )
    assert [name for name, *_ in registry] == sorted(
        name for name, *_ in registry
    )  # ids follow landing order
    ids = {name: file_id for name, file_id, *_ in registry}
    duplicates = {name: of for name, _, _, of in registry if of is not None}
    assert duplicates == {
        "RJ1_ACM_2526_M01_20250601090000.csv": ids["RJ1_ACM_2526_M01_20250510090000.csv"],
        "RJ2_ACM_2526_M01_20250601090000.csv": ids["RJ2_ACM_2526_M01_20250510090000.csv"],
    }
    # every file's rows numbered 1..n in file order, whatever batch it was in
    numbered = _rows(
        con,
        "select source_file, list(source_row order by source_row), list(financial_month order by source_row)"
        " from raw.slam_rows group by source_file",
    )
    for name, rows, months in numbered:
        assert rows == list(range(1, len(rows) + 1)), name
        assert months == [str(month) for month in range(1, len(rows) + 1)], name
    assert _rows(con, "select count(*) from raw.slam_rows where source_file like 'RJ3%'") == [(0,)]
    assert _rows(con, "select file_name from raw.rejected_files") == [
        ("RJ3_ACM_2526_M01_20250510090000.csv",)
    ]


def test_a_header_only_file_before_a_large_one_in_a_batch_loses_nothing(con, tmp_path) -> None:
    """DuckDB 2.0 hides the rows of a large insert (more than a row group, 122,880 rows) that
    follows a CSV insert of no rows in the same transaction; the loader skips such inserts."""
    landing = tmp_path / "landing"
    write_csv(landing / "ledger/QKK_GL_2526_M01_20250510090000.csv", LEDGER_HEADER, [])
    rows = 130_000
    write_csv(
        landing / "ledger/QKK_GL_2526_M02_20250610090000.csv",
        LEDGER_HEADER,
        [ledger_row(f"J{n}", "1", "1.00") for n in range(rows)],
    )
    summary = load_landing(con, landing)
    assert (summary.files_loaded, summary.rows_loaded) == (2, rows)
    assert _rows(con, "select count(*), min(source_row), max(source_row) from raw.ledger_rows") == [
        (rows, 1, rows)
    ]
    assert _rows(con, "select row_count from raw.file_registry order by file_id") == [(0,), (rows,)]


def test_sniff_tells_a_header_only_file_from_one_with_rows(tmp_path) -> None:
    cases = {
        b"a,b\n": False,
        b"a,b\n\n\r\n": False,
        b"a,b": False,
        b"a,b\n1,2\n": True,
        b"a,b\n,\n": True,  # a row of empty values is a row
        b'"a\nb",c\n': False,  # a line break inside the quoted header
    }
    for data, has_rows in cases.items():
        path = tmp_path / "file.csv"
        path.write_bytes(data)
        assert sniff(path).has_data_rows is has_rows, data
