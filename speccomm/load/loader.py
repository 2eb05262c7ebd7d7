"""Load new landing files into the raw schema.

A file is loaded whole or not at all; a bad file is recorded in raw.rejected_files with a
reason a person can act on, and never stops the others.

Files go in by batches, one transaction each: a national landing folder holds thousands of
small SLAM and ledger files, and a commit (with its checkpoint) per file cost more than their
rows. A file whose rows cannot be parsed aborts its batch's transaction; it is rejected and
the batch is loaded again without it, so a file's rows and its registry row still commit or
roll back together, and a killed run leaves whole batches behind, never part of a file.
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

# A batch is committed once it holds this many bytes of landing files or this many files.
BATCH_BYTES = 64 << 20
BATCH_FILES = 500


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


@dataclass(frozen=True)
class _NewFile:
    """A landing file whose name and header passed: its rows are still to be read."""

    feed: str
    path: Path
    name: LandingName
    sniffed: Sniffed
    positions: dict[str, int]  # canonical column -> position in the file's header


@dataclass(frozen=True)
class _Loaded:
    file: _NewFile
    file_id: int
    rows: int
    duplicate_of: int | None


class _RowsUnreadable(Exception):
    """DuckDB could not read one file's rows; its batch's transaction is aborted."""

    def __init__(self, file: _NewFile, error: duckdb.Error) -> None:
        super().__init__(str(error))
        self.file = file
        self.error = error


def load_landing(con: duckdb.DuckDBPyConnection, landing: Path) -> LoadSummary:
    """Load every file under landing/{slam,sus,ledger} not already in the registry."""
    con.execute("set enable_progress_bar = false")
    # _number_rows numbers rows by their append order, which is file order only while the
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
    # the first file loaded with each content: a later file with the same bytes repeats it
    first_with_checksum: dict[tuple[str, str], int] = {
        (feed, checksum): file_id
        for feed, checksum, file_id in con.execute(
            "select feed, checksum, min(file_id) from raw.file_registry"
            " where duplicate_of_file_id is null group by feed, checksum"
        ).fetchall()
    }
    batch: list[_NewFile] = []
    with tempfile.TemporaryDirectory(prefix="speccomm-load-") as tmp:
        workdir = Path(tmp)
        for feed, path in landing_files(landing):
            if (feed, path.name) in known:
                continue
            try:
                batch.append(_read_name_and_header(feed, path))
            except (BadFileName, UnreadableFile, MissingColumn) as exc:
                _reject(con, summary, feed, path.name, str(exc))
                continue
            if len(batch) >= BATCH_FILES or sum(f.sniffed.size for f in batch) >= BATCH_BYTES:
                _load_batch(con, batch, first_with_checksum, summary, workdir)
                batch = []
        _load_batch(con, batch, first_with_checksum, summary, workdir)
    return summary


def landing_files(landing: Path) -> Iterator[tuple[str, Path]]:
    """(feed, path) of every file the loader looks at; `speccomm.pending` asks the same."""
    for feed in FEEDS:
        folder = landing / feed
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.is_file():
                    yield feed, path


def _read_name_and_header(feed: str, path: Path) -> _NewFile:
    name = parse_landing_name(feed, path.name)
    sniffed = sniff(path)
    positions: dict[str, int] = {}
    if sniffed.header is not None:
        match = match_header(feed, sniffed.header)
        if match.missing_required:
            raise MissingColumn(_missing_column_message(feed, match.missing_required))
        positions = match.positions
    return _NewFile(feed, path, name, sniffed, positions)


def _load_batch(
    con: duckdb.DuckDBPyConnection,
    batch: list[_NewFile],
    first_with_checksum: dict[tuple[str, str], int],
    summary: LoadSummary,
    workdir: Path,
) -> None:
    """Load the batch in one transaction; a file whose rows cannot be read is rejected and
    the rest loaded again without it."""
    pending = list(batch)
    while pending:
        try:
            loaded = _load_in_one_transaction(con, pending, first_with_checksum, workdir)
        except _RowsUnreadable as unreadable:
            pending.remove(unreadable.file)
            _reject(con, summary, unreadable.file.feed, unreadable.file.path.name, _reason(unreadable.error))
            continue
        for entry in loaded:
            if entry.duplicate_of is None:
                first_with_checksum[(entry.file.feed, entry.file.sniffed.checksum)] = entry.file_id
            summary.files_loaded += 1
            summary.files_duplicate += entry.duplicate_of is not None
            summary.rows_loaded += entry.rows
        return


def _load_in_one_transaction(
    con: duckdb.DuckDBPyConnection,
    files: list[_NewFile],
    first_with_checksum: dict[tuple[str, str], int],
    workdir: Path,
) -> list[_Loaded]:
    """Each file's rows, their numbers and the registry rows, committed together.

    A re-sent file is loaded all the same: the contract orders statements by their received
    time, so a re-sent statement is the latest one even when an earlier file says the same.
    """
    firsts = dict(first_with_checksum)  # this attempt's view; kept by the caller on commit
    con.begin()
    try:
        # file ids in landing order: restatement breaks received-time ties by the later id
        new_ids = con.execute("select nextval('raw.file_id_seq') from range(?)", [len(files)]).fetchall()
        file_ids = sorted(row[0] for row in new_ids)
        loaded = []
        for file, file_id in zip(files, file_ids, strict=True):
            rows = 0
            # No insert for a file without rows: in DuckDB 2.0 a CSV insert of no rows hides
            # the rows of the next large insert in the same transaction (_number_rows checks).
            if file.sniffed.has_data_rows:
                try:
                    rows = _insert_rows(con, file, file_id, workdir)
                except duckdb.Error as exc:
                    raise _RowsUnreadable(file, exc) from exc
            first = firsts.setdefault((file.feed, file.sniffed.checksum), file_id)
            loaded.append(_Loaded(file, file_id, rows, None if first == file_id else first))
        for feed in {entry.file.feed for entry in loaded if entry.rows}:
            _number_rows(con, feed, [entry for entry in loaded if entry.file.feed == feed and entry.rows])
        _register(con, loaded)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return loaded


def _insert_rows(con: duckdb.DuckDBPyConnection, file: _NewFile, file_id: int, workdir: Path) -> int:
    assert file.sniffed.header is not None
    csv_path = utf8_copy(file.path, file.sniffed.encoding, workdir)
    file_columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(file.sniffed.header)))
    canonical = [c.name for c in COLUMNS_BY_FEED[file.feed]]
    selected = ", ".join(
        f"c{file.positions[name]} as {name}" if name in file.positions else f"null::varchar as {name}"
        for name in canonical
    )
    # source_row goes in as a placeholder (0: the column is not null); _number_rows sets it.
    inserted = con.execute(
        f"""
        insert into raw.{file.feed}_rows (file_id, source_file, source_row, {", ".join(canonical)})
        select ?, ?, 0, {selected}
        from read_csv(?, header = true, auto_detect = false, columns = {{{file_columns}}},
                      delim = ',', quote = '"', escape = '"', strict_mode = true)
        """,
        [file_id, file.path.name, str(csv_path)],
    ).fetchone()
    return int(inserted[0]) if inserted else 0


def _number_rows(con: duckdb.DuckDBPyConnection, feed: str, loaded: list[_Loaded]) -> None:
    """source_row = each row's position in its file.

    row_number() over () would give it, but a window over the whole scan serialises the
    insert (about twice as slow on a national SUS file). Instead the rows are numbered from
    their row ids before the commit. This relies on two things: with preserve_insertion_order
    on (load_landing ensures it) a parallel scan is appended in file order; and rows appended
    in a transaction have transaction-local row ids, contiguous in append order, until the
    commit renumbers them. The check below stops the load if either ever fails.
    """
    ids = [entry.file_id for entry in loaded]
    spans = con.execute(
        f"""
        select file_id, min(rowid), max(rowid), count(*)
        from raw.{feed}_rows
        where file_id between ? and ?
        group by file_id
        """,
        [min(ids), max(ids)],
    ).fetchall()
    found = {file_id: (first, last, rows) for file_id, first, last, rows in spans}
    for entry in loaded:
        first, last, rows = found.get(entry.file_id, (0, -1, 0))
        if rows != entry.rows:
            raise RuntimeError(
                f"{entry.file.path.name}: {entry.rows} rows inserted but {rows} read back; nothing committed"
            )
        if last - first + 1 != rows:
            raise RuntimeError(f"row ids of {entry.file.path.name} are not contiguous: cannot number them")
    con.execute(
        f"""
        update raw.{feed}_rows
        set source_row = raw.{feed}_rows.rowid - firsts.first_row_id + 1
        from (
            select file_id as numbered_file_id, min(rowid) as first_row_id
            from raw.{feed}_rows
            where file_id between ? and ?
            group by file_id
        ) as firsts
        where raw.{feed}_rows.file_id = firsts.numbered_file_id
        """,
        [min(ids), max(ids)],
    )


def _register(con: duckdb.DuckDBPyConnection, loaded: list[_Loaded]) -> None:
    values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(loaded))
    loaded_at = _utc_now()
    parameters = []
    for entry in loaded:
        name = entry.file.name
        parameters += [
            entry.file_id,
            entry.file.path.name,
            entry.file.feed,
            name.dataset,
            name.org_code,
            name.financial_year,
            name.financial_month,
            name.activity_month,
            name.received_at.replace(tzinfo=None),
            entry.file.sniffed.encoding,
            entry.rows,
            entry.file.sniffed.checksum,
            entry.duplicate_of,
            loaded_at,
        ]
    con.execute(f"insert into raw.file_registry values {values}", parameters)


def _reject(
    con: duckdb.DuckDBPyConnection, summary: LoadSummary, feed: str, file_name: str, reason: str
) -> None:
    _record_rejection(con, feed, file_name, reason)
    summary.rejected.append((f"{feed}/{file_name}", reason))


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
