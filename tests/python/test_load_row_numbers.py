"""source_row is each row's exact position in its file, even when DuckDB scans the file in parallel."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from landing_files import SUS_HEADER, sus_row, write_csv
from speccomm.load import load_landing

# ~20 MB: DuckDB splits the scan between threads (the file order is lost without
# preserve_insertion_order from about 13 MB).
BIG_ROWS = 150_000


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(tmp_path / "wh.duckdb"))
    connection.execute("set threads = 4")
    yield connection
    connection.close()


def _big_rows(count: int, *, seed: int, non_ascii: list[str]) -> list[list[str]]:
    """Unique, unordered ids; now and then a quoted comma, an embedded line break, non-ASCII text."""
    rows = []
    for i in range(count):
        row = sus_row(f"S{(i * 7919 + seed) % 1_000_003:07d}-{i}", "2025-08-01")
        row[1] = f"R{i % 97:02d}"
        if i % 1013 == 0:
            row[2] = f"ref {i}, with a comma\nand a second line"
        elif i % 1009 == 0:
            row[2] = f'ref {i} "quoted"\r\nover two lines, {non_ascii[i % len(non_ascii)]}'
        elif i % 101 == 0:
            row[2] = f"{non_ascii[i % len(non_ascii)]} {i}"
        else:
            row[2] = f"PRR{i:09d}-padding-to-make-the-file-big"
        rows.append(row)
    return rows


def _file_order(path: Path, encoding: str) -> list[tuple[str, str]]:
    """(sus_record_id, provider_record_ref) of every data row, as Python's csv module reads the file."""
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        assert header == SUS_HEADER
        return [(row[0], row[2]) for row in reader]


def _loaded(con: duckdb.DuckDBPyConnection, file_name: str) -> list[tuple[int, str, str]]:
    return con.execute(
        "select source_row, sus_record_id, provider_record_ref from raw.sus_rows"
        " where source_file = ? order by source_row",
        [file_name],
    ).fetchall()


@dataclass(frozen=True)
class BigFile:
    path: Path
    encoding: str
    expected: list[tuple[str, str]]


@pytest.fixture(scope="module")
def big_landing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[BigFile]]:
    """Written once: the tests below only read the landing folder."""
    landing = tmp_path_factory.mktemp("big") / "landing"
    files = []
    for name, count, encoding, non_ascii in [
        ("APC_202508_20250915061500.csv", BIG_ROWS, "utf-8", ["Łódź", "café", "£12", "naïve – ok"]),
        ("OP_202508_20250915061500.csv", BIG_ROWS // 3, "cp1252", ["café", "£12", "naïve – ok"]),
    ]:
        rows = _big_rows(count, seed=count, non_ascii=non_ascii)
        path = write_csv(landing / "sus" / name, SUS_HEADER, rows, encoding=encoding)
        files.append(BigFile(path, encoding, _file_order(path, encoding)))
    assert files[0].path.stat().st_size > 18_000_000
    return landing, files


@pytest.mark.parametrize("caller_preserves_order", [True, False])
def test_big_files_scanned_in_parallel_are_numbered_in_file_order(
    con, big_landing, caller_preserves_order: bool
) -> None:
    landing, files = big_landing
    if not caller_preserves_order:
        con.execute("set preserve_insertion_order = false")
    summary = load_landing(con, landing)
    assert (summary.files_loaded, summary.files_rejected) == (2, 0)
    assert summary.rows_loaded == sum(len(f.expected) for f in files)
    encodings = dict(con.execute("select file_name, encoding from raw.file_registry").fetchall())
    assert encodings == {f.path.name: f.encoding for f in files}
    for big in files:
        loaded = _loaded(con, big.path.name)
        assert len(loaded) == len(big.expected)
        assert [r[0] for r in loaded] == list(range(1, len(loaded) + 1))
        mismatched = [(r[0], r[1:], e) for r, e in zip(loaded, big.expected, strict=True) if r[1:] != e]
        assert mismatched[:5] == []
    # the caller's setting is left as it was
    setting = con.execute("select current_setting('preserve_insertion_order')").fetchone()[0]
    assert setting is caller_preserves_order


def test_a_file_loaded_after_another_numbers_from_one_again(con, tmp_path) -> None:
    landing = tmp_path / "landing"
    first = write_csv(
        landing / "sus/APC_202508_20250915061500.csv",
        SUS_HEADER,
        [sus_row(f"A{i}", "2025-08-01") for i in range(5)],
    )
    load_landing(con, landing)
    second = write_csv(
        landing / "sus/APC_202509_20251015061500.csv",
        SUS_HEADER,
        [sus_row(f"B{i}", "2025-08-01") for i in range(3)],
    )
    third = write_csv(
        landing / "sus/APC_202510_20251115061500.csv",
        SUS_HEADER,
        [sus_row(f"C{i}", "2025-08-01") for i in range(4)],
    )
    assert load_landing(con, landing).files_loaded == 2
    for path, prefix, count in [(first, "A", 5), (second, "B", 3), (third, "C", 4)]:
        assert [r[:2] for r in _loaded(con, path.name)] == [(i + 1, f"{prefix}{i}") for i in range(count)]
    file_ids = con.execute("select distinct file_id from raw.sus_rows").fetchall()
    assert len(file_ids) == 3
