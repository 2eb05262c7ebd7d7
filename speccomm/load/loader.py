"""Load new landing files into the raw schema, one transaction per file.

A file is loaded whole or not at all; a bad file is recorded in raw.rejected_files with a
reason a person can act on, and never stops the others.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from speccomm.load.columns import COLUMNS_BY_FEED, match_header
from speccomm.load.csvfile import Sniffed, UnreadableFile, sniff, utf8_copy
from speccomm.load.filenames import BadFileName, LandingName, parse_landing_name
from speccomm.load.raw_schema import ensure_raw_schema

FEEDS = ("slam", "sus", "ledger")


class MissingColumn(ValueError):
    """A required contract column is not in the header."""


@dataclass
class LoadSummary:
    files_loaded: int = 0
    files_duplicate: int = 0
    rows_loaded: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)

    @property
    def files_rejected(self) -> int:
        return len(self.rejected)


def load_landing(con: duckdb.DuckDBPyConnection, landing: Path) -> LoadSummary:
    """Load every file under landing/{slam,sus,ledger} not already in the registry."""
    con.execute("set enable_progress_bar = false")
    # _insert_rows numbers rows by their append order, which is file order only while the
    # connection preserves insertion order; a caller may have turned that off.
    preserved = con.execute("select current_setting('preserve_insertion_order')").fetchone()[0]
    if not preserved:
        con.execute("set preserve_insertion_order = true")
    try:
        return _load_new_files(con, landing)
    finally:
        if not preserved:
            con.execute("set preserve_insertion_order = false")


def _load_new_files(con: duckdb.DuckDBPyConnection, landing: Path) -> LoadSummary:
    ensure_raw_schema(con)
    summary = LoadSummary()
    known = {
        (feed, name) for feed, name in con.execute("select feed, file_name from raw.file_registry").fetchall()
    }
    with tempfile.TemporaryDirectory(prefix="speccomm-load-") as workdir:
        for feed, path in _landing_files(landing):
            if (feed, path.name) in known:
                continue
            try:
                rows, duplicate = _load_file(con, feed, path, Path(workdir))
            except (BadFileName, UnreadableFile, MissingColumn, duckdb.Error) as exc:
                reason = _reason(exc)
                _record_rejection(con, feed, path.name, reason)
                summary.rejected.append((f"{feed}/{path.name}", reason))
                continue
            summary.files_loaded += 1
            summary.files_duplicate += duplicate
            summary.rows_loaded += rows
    return summary


def _landing_files(landing: Path) -> Iterator[tuple[str, Path]]:
    for feed in FEEDS:
        folder = landing / feed
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.is_file():
                    yield feed, path


def _load_file(con: duckdb.DuckDBPyConnection, feed: str, path: Path, workdir: Path) -> tuple[int, bool]:
    """Returns (rows loaded, whether the file repeats the bytes of one already loaded).

    A re-sent file is loaded all the same: the contract orders statements by their received
    time, so a re-sent statement is the latest one even when an earlier file says the same.
    """
    name = parse_landing_name(feed, path.name)
    sniffed = sniff(path)
    positions: dict[str, int] = {}
    if sniffed.header is not None:
        match = match_header(feed, sniffed.header)
        if match.missing_required:
            raise MissingColumn(_missing_column_message(feed, match.missing_required))
        positions = match.positions
    duplicate_of = con.execute(
        "select min(file_id) from raw.file_registry"
        " where feed = ? and checksum = ? and duplicate_of_file_id is null",
        [feed, sniffed.checksum],
    ).fetchone()[0]
    con.begin()
    try:
        file_id = con.execute("select nextval('raw.file_id_seq')").fetchone()[0]
        rows = 0
        if sniffed.header is not None:
            rows = _insert_rows(con, feed, file_id, path, sniffed, positions, workdir)
        _register(con, file_id, feed, path.name, name, sniffed, rows, duplicate_of)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return rows, duplicate_of is not None


def _insert_rows(
    con: duckdb.DuckDBPyConnection,
    feed: str,
    file_id: int,
    path: Path,
    sniffed: Sniffed,
    positions: dict[str, int],
    workdir: Path,
) -> int:
    assert sniffed.header is not None
    csv_path = utf8_copy(path, sniffed.encoding, workdir)
    file_columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(sniffed.header)))
    canonical = [c.name for c in COLUMNS_BY_FEED[feed]]
    selected = ", ".join(
        f"c{positions[name]} as {name}" if name in positions else f"null::varchar as {name}"
        for name in canonical
    )
    # source_row is each row's position in the file. row_number() over () would give it, but a
    # window over the whole scan serialises the insert (about twice as slow on a national SUS
    # file). Instead the rows go in with a placeholder (0: the column is not null) and are
    # numbered from their row ids in the same transaction. This relies on two things: with
    # preserve_insertion_order on (load_landing ensures it) the parallel scan is appended in
    # file order; and rows appended in this transaction have transaction-local row ids,
    # contiguous in append order, until the commit renumbers them.
    inserted = con.execute(
        f"""
        insert into raw.{feed}_rows (file_id, source_file, source_row, {", ".join(canonical)})
        select ?, ?, 0, {selected}
        from read_csv(?, header = true, auto_detect = false, columns = {{{file_columns}}},
                      delim = ',', quote = '"', escape = '"', strict_mode = true)
        """,
        [file_id, path.name, str(csv_path)],
    ).fetchone()
    rows = int(inserted[0]) if inserted else 0
    if rows:
        first, last = con.execute(
            f"select min(rowid), max(rowid) from raw.{feed}_rows where file_id = ?", [file_id]
        ).fetchone()
        if last - first + 1 != rows:
            raise RuntimeError(f"row ids of {path.name} are not contiguous: cannot number its rows")
        con.execute(
            f"update raw.{feed}_rows set source_row = rowid - ? + 1 where file_id = ?", [first, file_id]
        )
    return rows


def _register(
    con: duckdb.DuckDBPyConnection,
    file_id: int,
    feed: str,
    file_name: str,
    name: LandingName,
    sniffed: Sniffed,
    rows: int,
    duplicate_of: int | None,
) -> None:
    con.execute(
        """
        insert into raw.file_registry values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
            file_id,
            file_name,
            feed,
            name.dataset,
            name.org_code,
            name.financial_year,
            name.financial_month,
            name.activity_month,
            name.received_at.replace(tzinfo=None),
            sniffed.encoding,
            rows,
            sniffed.checksum,
            duplicate_of,
            _utc_now(),
        ],
    )


def _record_rejection(con: duckdb.DuckDBPyConnection, feed: str, file_name: str, reason: str) -> None:
    """Once per file and reason: a file still lying in the landing folder is not re-reported."""
    already = con.execute(
        "select count(*) from raw.rejected_files where feed = ? and file_name = ? and reason = ?",
        [feed, file_name, reason],
    ).fetchone()[0]
    if not already:
        con.execute(
            "insert into raw.rejected_files values (?, ?, ?, ?)", [file_name, feed, reason, _utc_now()]
        )


def _missing_column_message(feed: str, missing: tuple[str, ...]) -> str:
    by_name = {c.name: c for c in COLUMNS_BY_FEED[feed]}
    parts = [f"{name} (accepted headers: {', '.join(by_name[name].accepted)})" for name in missing]
    return "missing required column " + "; ".join(parts)


def _reason(exc: Exception) -> str:
    if isinstance(exc, duckdb.Error):
        # DuckDB's CSV errors start with the line and what was wrong; keep those lines only.
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        kept = [line for line in lines[:4] if not line.startswith("Possible fixes")]
        return "cannot be parsed as CSV: " + " | ".join(kept)
    return str(exc)


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
