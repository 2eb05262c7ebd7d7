"""Load new landing files into the raw layer.

A file is loaded whole or not at all; a bad file is recorded in raw.rejected_files with a
reason a person can act on, and never stops the others.

Each new file's rows become one immutable Parquet file of the raw layer's folder
(speccomm.load.raw_layer, decision 0030), written to a hidden name and renamed into place once
whole; a file whose rows cannot be parsed leaves nothing and is rejected. The files count from
the moment their registry rows commit: files are registered by batches, one transaction each (a
national landing folder holds thousands of small SLAM and ledger files, and a commit per file
cost more than their rows), and the views raw.<feed>_rows read only the files the registry
holds, so a killed run leaves whole batches behind, never part of a file.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from speccomm.load.columns import COLUMNS_BY_FEED, match_header
from speccomm.load.csvfile import Sniffed, UnreadableFile, sniff, utf8_copy
from speccomm.load.entries import FEEDS, LandingEntry, Seen, list_landing
from speccomm.load.filenames import BadFileName, LandingName, parse_landing_name
from speccomm.load.raw_layer import (
    default_raw_dir,
    discard_partial,
    ensure_raw_layer,
    file_folder,
    next_file_id,
    publish_partial,
    rows_file,
    sweep,
    sync_folders,
    write_partial,
    write_snapshots,
)
from speccomm.load.raw_schema import ensure_raw_schema

__all__ = ["FEEDS", "LoadSummary", "load_landing"]

# A batch is committed once it holds this many bytes of landing files or this many files.
BATCH_BYTES = 64 << 20
BATCH_FILES = 500


class MissingColumn(ValueError):
    """A required contract column is not in the header."""


class DuplicateColumn(ValueError):
    """Two header names mean the same contract column after normalisation."""


class FileChanged(ValueError):
    """The file changed while it was being read: not loaded tonight, read again next night."""


@dataclass
class LoadSummary:
    files_loaded: int = 0
    files_duplicate: int = 0
    rows_loaded: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    replaced: list[tuple[str, str]] = field(default_factory=list)  # (file, what changed)

    @property
    def files_rejected(self) -> int:
        return len(self.rejected)


@dataclass(frozen=True)
class _NewFile:
    """A landing file whose name and header passed: its rows are still to be read."""

    feed: str
    name_in_feed: str  # the entry's name (a link's own name, not its target's)
    path: Path  # what is read
    name: LandingName
    sniffed: Sniffed
    positions: dict[str, int]  # canonical column -> position in the file's header
    seen: Seen | None = None  # size and modification time when listed
    replaces_file_id: int | None = None  # a loaded file of this name changed since: replaced


@dataclass(frozen=True)
class _Loaded:
    file: _NewFile
    file_id: int
    rows: int
    duplicate_of: int | None


class _RowsUnreadable(Exception):
    """One file's rows could not be read (or changed meanwhile): nothing of it is kept."""

    def __init__(self, file: _NewFile, error: Exception) -> None:
        super().__init__(str(error))
        self.file = file
        self.error = error


def load_landing(con: duckdb.DuckDBPyConnection, landing: Path, raw_dir: Path | None = None) -> LoadSummary:
    """Load every file under landing/{slam,sus,ledger,budget} not already in the registry.

    The rows go to the raw layer's folder `raw_dir` (default: `<stem>-raw` beside the
    connection's database file; the nightly passes `raw` beside build.duckdb); the registry,
    the rejected files and the views over the folder to `con`."""
    raw_dir = (raw_dir if raw_dir is not None else default_raw_dir(con)).resolve()
    con.execute("set enable_progress_bar = false")
    # _write_partial_rows numbers rows by their scan order, which is file order only while the
    # connection preserves insertion order; a caller may have turned that off.
    preserved = con.execute("select current_setting('preserve_insertion_order')").fetchone()[0]
    if not preserved:
        con.execute("set preserve_insertion_order = true")
    try:
        return _load_new_files(con, landing, raw_dir)
    finally:
        if not preserved:
            con.execute("set preserve_insertion_order = false")


def _load_new_files(con: duckdb.DuckDBPyConnection, landing: Path, raw_dir: Path) -> LoadSummary:
    entries = list_landing(landing)  # before anything is written: a missing landing root fails here
    ensure_raw_schema(con)
    sweep(raw_dir, next_file_id(con))  # what a night that never committed left behind
    ensure_raw_layer(con, raw_dir)
    summary = LoadSummary()
    known: dict[tuple[str, str], _Registered] = {
        (feed, name): _Registered(file_id, checksum, Seen(size, mtime) if size is not None else None)
        for feed, name, file_id, checksum, size, mtime in con.execute(
            "select feed, file_name, file_id, checksum, file_size, file_mtime_ns from raw.file_registry"
        ).fetchall()
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
        unchanged: list[tuple[int, Seen]] = []  # loaded files seen for the first time since 0003
        for entry in entries:
            if not entry.loadable:
                _reject(con, summary, entry.feed, entry.name, entry.problem or "", entry.seen)
                continue
            registered = known.get((entry.feed, entry.name))
            if registered is not None and (registered.seen is None or registered.seen == entry.seen):
                if registered.seen is None and entry.seen is not None:
                    unchanged.append((registered.file_id, entry.seen))
                continue
            try:
                new_file = _read_name_and_header(entry)
            except (BadFileName, UnreadableFile, MissingColumn, DuplicateColumn, FileChanged) as exc:
                _reject(con, summary, entry.feed, entry.name, str(exc), entry.seen)
                continue
            except OSError as exc:  # unreadable (permissions), vanished, or an I/O error of the share
                _reject(con, summary, entry.feed, entry.name, _reason(exc), entry.seen)
                continue
            if registered is not None:
                if new_file.sniffed.checksum == registered.checksum:
                    if (seen := new_file.seen or entry.seen) is not None:  # touched only
                        unchanged.append((registered.file_id, seen))
                    continue
                new_file = _replacing(new_file, registered)
            batch.append(new_file)
            if len(batch) >= BATCH_FILES or sum(f.sniffed.size for f in batch) >= BATCH_BYTES:
                _load_batch(con, batch, first_with_checksum, summary, _Target(workdir, raw_dir))
                batch = []
        _load_batch(con, batch, first_with_checksum, summary, _Target(workdir, raw_dir))
        _record_seen(con, unchanged)
    write_snapshots(con, raw_dir)
    return summary


@dataclass(frozen=True)
class _Target:
    workdir: Path  # the night's UTF-8 copies of Windows-1252 files
    raw_dir: Path  # the raw layer's folder


@dataclass(frozen=True)
class _Registered:
    file_id: int
    checksum: str
    seen: Seen | None


def _replacing(new_file: _NewFile, registered: _Registered) -> _NewFile:
    """A loaded file whose bytes changed since (an upload completed after a partial one was
    loaded): the new version replaces the old one's rows (the contract's files are never
    edited in place, so the later bytes are the file the provider meant to send)."""
    return replace(new_file, replaces_file_id=registered.file_id)


def _read_name_and_header(entry: LandingEntry) -> _NewFile:
    name = parse_landing_name(entry.feed, entry.name)
    sniffed = sniff(entry.path)
    seen = _unchanged_since_listing(entry, sniffed)
    positions: dict[str, int] = {}
    if sniffed.header is not None:
        match = match_header(entry.feed, sniffed.header)
        if match.duplicates:
            raise DuplicateColumn(_duplicate_column_message(match.duplicates))
        if match.missing_required:
            raise MissingColumn(_missing_column_message(entry.feed, match.missing_required))
        positions = match.positions
    return _NewFile(entry.feed, entry.name, entry.path, name, sniffed, positions, seen)


def _unchanged_since_listing(entry: LandingEntry, sniffed: Sniffed | None = None) -> Seen:
    """The file's size and time now; FileChanged when they differ from the listing (or from
    the bytes just read): it is still being written, or was replaced meanwhile."""
    now = Seen.of(os.stat(entry.path))
    if entry.seen is not None and now != entry.seen:
        raise FileChanged(_changed_message(entry.seen, now))
    if sniffed is not None and sniffed.size != now.size:
        raise FileChanged(_changed_message(Seen(sniffed.size, now.mtime_ns), now))
    return now


def _changed_message(before: Seen, after: Seen) -> str:
    sizes = f"{before.size:,} -> {after.size:,} bytes" if before.size != after.size else "modified"
    return (
        f"changed while it was being read ({sizes}): not loaded tonight, so that no part of it is; "
        "it is read again on the next night"
    )


def _load_batch(
    con: duckdb.DuckDBPyConnection,
    batch: list[_NewFile],
    first_with_checksum: dict[tuple[str, str], int],
    summary: LoadSummary,
    target: _Target,
) -> None:
    """Write each file's rows as its Parquet file (a file whose rows cannot be read is
    rejected, leaving nothing), then register the batch in one transaction."""
    if not batch:
        return
    # file ids in landing order: restatement breaks received-time ties by the later id
    new_ids = con.execute("select nextval('raw.file_id_seq') from range(?)", [len(batch)]).fetchall()
    written: list[tuple[_NewFile, int, int]] = []
    for file, file_id in zip(batch, sorted(row[0] for row in new_ids), strict=True):
        try:
            written.append((file, file_id, _write_rows(con, file, file_id, target)))
        except _RowsUnreadable as unreadable:
            _reject(con, summary, file.feed, file.name_in_feed, _reason(unreadable.error), file.seen)
    sync_folders({file_folder(target.raw_dir, file.feed, file_id) for file, file_id, rows in written if rows})
    for entry in _register_in_one_transaction(con, written, first_with_checksum):
        if entry.duplicate_of is None:
            first_with_checksum[(entry.file.feed, entry.file.sniffed.checksum)] = entry.file_id
        if entry.file.replaces_file_id is not None:
            summary.replaced.append((
                f"{entry.file.feed}/{entry.file.name_in_feed}",
                f"changed since it was loaded: the new version ({entry.rows:,} rows) replaces the old",
            ))
        summary.files_loaded += 1
        summary.files_duplicate += entry.duplicate_of is not None
        summary.rows_loaded += entry.rows


def _write_rows(con: duckdb.DuckDBPyConnection, file: _NewFile, file_id: int, target: _Target) -> int:
    """The file's rows as its raw layer file, renamed into place only if the landing file is
    still the bytes listed and sniffed. No file for a file without data rows."""
    parquet = rows_file(target.raw_dir, file.feed, file_id, file.sniffed.checksum)
    rows = 0
    if file.sniffed.has_data_rows:
        try:
            rows = _write_partial_rows(con, file, file_id, parquet, target.workdir)
        except duckdb.Error as exc:
            raise _RowsUnreadable(file, exc) from exc
    try:  # the rows DuckDB read are the bytes listed and sniffed, or none of them count
        listed = LandingEntry(file.feed, file.name_in_feed, file.path, file.seen)
        _unchanged_since_listing(listed, file.sniffed)
    except (FileChanged, OSError) as exc:
        discard_partial(parquet)
        raise _RowsUnreadable(file, exc) from exc
    if rows:
        publish_partial(parquet)
    else:  # data rows sniffed but none read (blank lines only): no file, as for a header-only one
        discard_partial(parquet)
    return rows


def _register_in_one_transaction(
    con: duckdb.DuckDBPyConnection,
    written: list[tuple[_NewFile, int, int]],
    first_with_checksum: dict[tuple[str, str], int],
) -> list[_Loaded]:
    """The files' registry rows (and the removal of the versions they replace), committed together.

    A re-sent file is loaded all the same: the contract orders statements by their received
    time, so a re-sent statement is the latest one even when an earlier file says the same.
    """
    if not written:
        return []
    firsts = dict(first_with_checksum)  # this transaction's view; kept by the caller on commit
    con.begin()
    try:
        for file, _, _ in written:
            if file.replaces_file_id is not None:
                _remove_loaded_version(con, file.replaces_file_id)
                firsts = {key: first for key, first in firsts.items() if first != file.replaces_file_id}
        loaded = []
        for file, file_id, rows in written:
            first = firsts.setdefault((file.feed, file.sniffed.checksum), file_id)
            loaded.append(_Loaded(file, file_id, rows, None if first == file_id else first))
        _register(con, loaded)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return loaded


def _remove_loaded_version(con: duckdb.DuckDBPyConnection, file_id: int) -> None:
    """The registry row of a file's earlier version (in the caller's transaction): its rows stop
    counting with it. Its Parquet file stays, for the kept versions whose registries hold it."""
    con.execute(
        "update raw.file_registry set duplicate_of_file_id = null where duplicate_of_file_id = ?", [file_id]
    )
    con.execute("delete from raw.file_registry where file_id = ?", [file_id])


def _record_seen(con: duckdb.DuckDBPyConnection, seen: list[tuple[int, Seen]]) -> None:
    """Size and time of loaded files whose bytes are unchanged (touched, or first seen by this version)."""
    for start in range(0, len(seen), 500):
        chunk = seen[start:start + 500]
        values = ", ".join(["(?, ?, ?)"] * len(chunk))
        parameters = [value for file_id, s in chunk for value in (file_id, s.size, s.mtime_ns)]
        con.execute(
            f"""
            update raw.file_registry set file_size = seen.size, file_mtime_ns = seen.mtime_ns
            from (values {values}) as seen (seen_file_id, size, mtime_ns)
            where raw.file_registry.file_id = seen.seen_file_id
            """,
            parameters,
        )


def _write_partial_rows(
    con: duckdb.DuckDBPyConnection, file: _NewFile, file_id: int, parquet: Path, workdir: Path
) -> int:
    """The rows as text, with file_id, source_file and source_row (each row's position in the
    file: row_number() over the scan, which keeps the file's order while the connection
    preserves insertion order, as load_landing ensures; tests/python/test_load_row_numbers.py)."""
    assert file.sniffed.header is not None
    csv_path = utf8_copy(file.path, file.sniffed.encoding, workdir)
    file_columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(file.sniffed.header)))
    selected = ", ".join(
        f"c{file.positions[c.name]} as {c.name}" if c.name in file.positions else f"null::varchar as {c.name}"
        for c in COLUMNS_BY_FEED[file.feed]
    )
    query = f"""
        select ?::bigint as file_id, ?::varchar as source_file, row_number() over () as source_row, {selected}
        from read_csv(?, header = true, auto_detect = false, columns = {{{file_columns}}},
                      delim = ',', quote = '"', escape = '"', strict_mode = true)
        """
    return write_partial(con, query, [file_id, file.name_in_feed, str(csv_path)], parquet)


def _register(con: duckdb.DuckDBPyConnection, loaded: list[_Loaded]) -> None:
    values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(loaded))
    loaded_at = _utc_now()
    parameters = []
    for entry in loaded:
        name = entry.file.name
        seen = entry.file.seen
        parameters += [
            entry.file_id,
            entry.file.name_in_feed,
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
            seen.size if seen else None,
            seen.mtime_ns if seen else None,
            name.version,
        ]
    con.execute(
        "insert into raw.file_registry (file_id, file_name, feed, dataset, org_code, name_financial_year,"
        " name_financial_month, name_activity_month, received_at, encoding, row_count, checksum,"
        f" duplicate_of_file_id, loaded_at, file_size, file_mtime_ns, name_version) values {values}",
        parameters,
    )


def _reject(
    con: duckdb.DuckDBPyConnection, summary: LoadSummary, feed: str, file_name: str, reason: str,
    seen: Seen | None = None,
) -> None:
    _record_rejection(con, feed, file_name, reason, seen)
    summary.rejected.append((f"{feed}/{file_name}", reason))


def _record_rejection(
    con: duckdb.DuckDBPyConnection, feed: str, file_name: str, reason: str, seen: Seen | None
) -> None:
    """Once per file and reason: a file still lying in the landing folder is not re-reported
    (its size and time are brought up to date, so that it is not new to speccomm.pending)."""
    size, mtime = (seen.size, seen.mtime_ns) if seen else (None, None)
    updated = con.execute(
        "update raw.rejected_files set file_size = ?, file_mtime_ns = ?"
        " where feed = ? and file_name = ? and reason = ?",
        [size, mtime, feed, file_name, reason],
    ).fetchone()[0]
    if not updated:
        con.execute(
            "insert into raw.rejected_files (file_name, feed, reason, seen_at, file_size, file_mtime_ns)"
            " values (?, ?, ?, ?, ?, ?)",
            [file_name, feed, reason, _utc_now(), size, mtime],
        )


def _missing_column_message(feed: str, missing: tuple[str, ...]) -> str:
    by_name = {c.name: c for c in COLUMNS_BY_FEED[feed]}
    parts = [f"{name} (accepted headers: {', '.join(by_name[name].accepted)})" for name in missing]
    return "missing required column " + "; ".join(parts)


def _duplicate_column_message(duplicates: tuple[tuple[str, str, str], ...]) -> str:
    parts = [f'headers "{first}" and "{second}" both mean {column}' for column, first, second in duplicates]
    return "duplicate column: " + "; ".join(parts) + " (keep one of them)"


def _reason(exc: Exception) -> str:
    if isinstance(exc, duckdb.Error):
        return "cannot be parsed as CSV: " + csv_error_without_values(str(exc))
    if isinstance(exc, OSError):
        return f"cannot be read: {exc.strerror or exc}"
    return str(exc)


def csv_error_without_values(message: str) -> str:
    """DuckDB's CSV error, with where and what went wrong but none of the file's values.

    DuckDB quotes the offending line ("Original Line: ...") and values ("Could not convert
    string 'x'"): a line may hold a pseudonymised patient id or any other identifier, and the
    reason travels to the console, the run summary email and dq.rejected_files. So only the
    line number and the kind of error are kept (the file and line locate the row).
    """
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    line_number = next((m.group(1) for line in lines for m in [_LINE_NUMBER.search(line)] if m), None)
    kind = next((m.group(0) for line in lines for m in [_CSV_PROBLEM.search(line)] if m), None)
    where = f"Line: {line_number}" if line_number else "a line"
    return f"{where}: {kind if kind else 'the row does not fit the header'} (values not shown)"


# What is kept of a DuckDB CSV error: its line number and one of its known kinds of fault,
# nothing else (everything else it says may quote the file's values).
_LINE_NUMBER = re.compile(r"\bLine: (\d+)", re.ASCII)
_CSV_PROBLEM = re.compile(
    r"Expected Number of Columns: \d+ Found: \d+|Value with unterminated quote found"
    r"|Invalid unicode[^.:]*|Maximum line size of \d+ bytes exceeded",
    re.IGNORECASE | re.ASCII,
)


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
