"""The raw layer's files: one immutable Parquet file per loaded landing file, in a folder beside
the build file, read by both engines (docs/decisions/0030-one-parquet-raw-layer.md).

```
<raw folder>/                   beside build.duckdb (the nightly) or the loader's database file
    slam_rows/                  one folder a feed (likewise sus_rows, ledger_rows, budget_rows)
        file_id=000000000042/<sha256>.parquet   a loaded landing file's rows: file_id,
                                source_file, source_row and every contract column as the text sent
        file_id=999999999999/_schema.parquet   no rows: the columns, so that a feed with no file
                                yet reads as empty (Spark skips names starting with '_')
    file_registry/part-0.parquet    the registry as of the last load (for Spark)
    rejected_files/part-0.parquet   the rejected files as of the last load (for Spark)
```
A file is written once, to a hidden name (`.<name>.partial`: both engines skip names starting
with '.'), flushed to disk and renamed into place; a file's Parquet file counts only while the
registry of the database that reads it holds its file id (`raw.<feed>_rows` are views that say
so), so a file written by a load that never committed counts for nobody. The registry and the
rejected files stay tables of the database file: its commit is the load's commit.

Each file sits in a folder named `file_id=<id>` (hive style), so DuckDB knows a file's id from
its path and reads only the files a query's filter on `file_id` can match, without opening the
others: a night's incremental models (`file_id in (<the new files>)`, a filter DuckDB derives
while it runs the query) read the night's new files only, not every file's footer. The ids are
zero-padded so that the folders sort by id and the schema file's folder sorts last: DuckDB
estimates a scan's rows from the first file it lists, and a first file of no rows would make
it read every file to build the join instead of filtering them by the few new ids.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

import duckdb

from speccomm.durable import fsync_dir, fsync_file
from speccomm.load.columns import COLUMNS_BY_FEED

RAW_FOLDER_NAME = "raw"
SCHEMA_FILE = "_schema.parquet"
SCHEMA_FILE_ID = 999_999_999_999  # the schema file's folder, after every file id's (see above)
_ID_DIGITS = 12
SNAPSHOT_TABLES = ("file_registry", "rejected_files")
_FILE_FOLDER = re.compile(r"file_id=([0-9]+)\Z", re.ASCII)
_ROWS_FILE = re.compile(r"[0-9a-f]+\.parquet\Z", re.ASCII)


class RawLayerError(RuntimeError):
    """The raw layer's folder cannot be used (an in-memory database names none)."""


def default_raw_dir(con: duckdb.DuckDBPyConnection) -> Path:
    """The folder `<database file's stem>-raw` beside the connection's database file (two
    databases in one folder must not share one: each sweeps the file ids it has not given)."""
    path = con.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchone()
    if not path or not path[0]:
        raise RawLayerError("an in-memory database has no folder for the raw layer: pass raw_dir")
    database = Path(path[0]).resolve()
    return database.parent / f"{database.stem}-{RAW_FOLDER_NAME}"


def rows_folder(raw_dir: Path, feed: str) -> Path:
    return raw_dir / f"{feed}_rows"


def file_folder(raw_dir: Path, feed: str, file_id: int) -> Path:
    """The folder of one loaded landing file's rows, named by its file id (hive style)."""
    if not 0 < file_id <= SCHEMA_FILE_ID:
        raise RawLayerError(f"file id {file_id} is outside the raw layer's names (1 to {SCHEMA_FILE_ID})")
    return rows_folder(raw_dir, feed) / f"file_id={file_id:0{_ID_DIGITS}d}"


def rows_file(raw_dir: Path, feed: str, file_id: int, checksum: str) -> Path:
    """Where a loaded landing file's rows are: in its file id's folder, named by its checksum."""
    return file_folder(raw_dir, feed, file_id) / f"{checksum}.parquet"


def rows_glob(raw_dir: Path, feed: str) -> str:
    """Every rows file of a feed (and its schema file), as DuckDB's read_parquet takes it."""
    return str(rows_folder(raw_dir, feed) / "file_id=*" / "*.parquet")


def partial_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.partial")


def canonical_columns(feed: str) -> list[str]:
    return ["file_id", "source_file", "source_row", *(c.name for c in COLUMNS_BY_FEED[feed])]


def copy_to_parquet(
    con: duckdb.DuckDBPyConnection, query: str, parameters: list[object], target: Path
) -> int:
    """The query's rows as the Parquet file `target`, whole or not at all: written to a hidden
    name, flushed to disk, then renamed. Returns the rows written."""
    written = write_partial(con, query, parameters, target)
    publish_partial(target)
    return written


def write_partial(
    con: duckdb.DuckDBPyConnection, query: str, parameters: list[object], target: Path
) -> int:
    """The query's rows under `target`'s hidden name, flushed to disk (removed if the write
    fails): `publish_partial` renames it into place. Returns the rows written."""
    partial = partial_name(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        copy = f"copy ({query}) to '{_quoted(partial)}' (format parquet)"
        written = con.execute(copy, parameters).fetchone()
        fsync_file(partial)
    except BaseException:
        discard_partial(target)
        raise
    return int(written[0]) if written else 0


def publish_partial(target: Path) -> None:
    partial_name(target).replace(target)


def discard_partial(target: Path) -> None:
    """The hidden file gone, and its file id's folder when nothing else is in it."""
    partial_name(target).unlink(missing_ok=True)
    _remove_if_empty(target.parent)


def sync_folders(folders: set[Path]) -> None:
    """The renames into these folders, and the folders themselves, on disk before the registry
    commits them."""
    for folder in sorted(folders | {folder.parent for folder in folders}):
        fsync_dir(folder)


def ensure_raw_layer(con: duckdb.DuckDBPyConnection, raw_dir: Path) -> None:
    """The folders, their schema files and the views `raw.<feed>_rows` over them (absolute
    paths: the views work from any working directory); a database whose rows are still tables
    (before decision 0030) has them written out as Parquet and dropped first."""
    raw_dir = raw_dir.resolve()
    for feed in COLUMNS_BY_FEED:
        schema = file_folder(raw_dir, feed, SCHEMA_FILE_ID) / SCHEMA_FILE
        if not schema.exists():
            empty = ", ".join(
                f"null::{'bigint' if name in ('file_id', 'source_row') else 'varchar'} as {name}"
                for name in canonical_columns(feed)
            )
            copy_to_parquet(con, f"select {empty} where false", [], schema)
    for feed in COLUMNS_BY_FEED:
        if _is_table(con, f"{feed}_rows"):
            _move_table_out(con, raw_dir, feed)
        _create_view(con, raw_dir, feed)


def _create_view(con: duckdb.DuckDBPyConnection, raw_dir: Path, feed: str) -> None:
    columns = ", ".join(canonical_columns(feed))
    files = _quoted(rows_glob(raw_dir, feed))
    # file_id from the folder's name (the same value as the column in the file): a filter on it
    # skips the other files unopened, also one DuckDB derives from a join while the query runs
    con.execute(
        f"""
        create or replace view raw.{feed}_rows as
        select {columns}
        from read_parquet('{files}', hive_partitioning = true, hive_types = {{'file_id': 'bigint'}})
        where file_id in (select registry.file_id from raw.file_registry as registry)
        """
    )
    con.execute(
        f"comment on view raw.{feed}_rows is 'The {feed} landing files'' rows as text with file and row "
        f"lineage: one Parquet file per loaded landing file in {_quoted(str(rows_folder(raw_dir, feed)))}, "
        "counted while raw.file_registry holds its file_id'"
    )


def _is_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    found = con.execute(
        "select table_type from information_schema.tables"
        " where table_catalog = current_database() and table_schema = 'raw' and table_name = ?",
        [name],
    ).fetchone()
    return found is not None and found[0] == "BASE TABLE"


def _move_table_out(con: duckdb.DuckDBPyConnection, raw_dir: Path, feed: str) -> None:
    """A raw table of an earlier warehouse: each registered file's rows become its Parquet
    file (one pass over the table), then the table goes."""
    columns = ", ".join(canonical_columns(feed))
    files = con.execute(
        f"select registry.file_id, registry.checksum from raw.file_registry as registry"
        f" where registry.file_id in (select distinct file_id from raw.{feed}_rows)"
    ).fetchall()
    for file_id, checksum in files:
        target = rows_file(raw_dir, feed, file_id, checksum)
        if not target.exists():
            copy_to_parquet(
                con, f"select {columns} from raw.{feed}_rows where file_id = ? order by source_row",
                [file_id], target,
            )
    sync_folders({file_folder(raw_dir, feed, file_id) for file_id, _ in files})
    con.execute(f"drop table raw.{feed}_rows")


def next_file_id(con: duckdb.DuckDBPyConnection) -> int:
    """The file id the registry's sequence gives next (without taking it)."""
    row = con.execute(
        "select last_value, start_value from duckdb_sequences()"
        " where database_name = current_database() and schema_name = 'raw' and sequence_name = 'file_id_seq'"
    ).fetchone()
    if row is None:
        return 1
    last, start = row
    return start if last is None else last + 1


def sweep(raw_dir: Path, first_unused_id: int) -> int:
    """Remove what a load that never committed left: hidden partial files, and the folders of
    file ids this database has not yet given (a killed or failed night's, a night rolled back);
    they would otherwise meet a later file given the same id. Returns files removed."""
    removed = 0
    for file_id, folder in _file_folders(raw_dir):
        left_over = first_unused_id <= file_id < SCHEMA_FILE_ID
        for entry in os.scandir(folder):
            if entry.is_file(follow_symlinks=False) and (left_over or entry.name.endswith(".partial")):
                os.unlink(entry.path)
                removed += 1
        if left_over:
            _remove_if_empty(folder)
    return removed


def remove_unheld(raw_dir: Path, build_file: Path, kept_builds: list[Path]) -> int:
    """After a night is published: remove the rows files no build file holds any more (the
    earlier versions of replaced files, once no kept version's registry holds them). Files
    whose id the build file has not given yet are left to `sweep`. Returns files removed."""
    with duckdb.connect(str(build_file), read_only=True) as con:
        first_unused = next_file_id(con)
    held: set[str] = set()
    for database in [build_file, *kept_builds]:
        held |= _held_names(database)
    removed = 0
    for file_id, folder in _file_folders(raw_dir):
        if file_id == SCHEMA_FILE_ID or file_id >= first_unused:
            continue
        for entry in os.scandir(folder):
            name = f"{folder.parent.name}/{folder.name}/{entry.name}"
            if _ROWS_FILE.match(entry.name) and name not in held and entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed += 1
        _remove_if_empty(folder)
    return removed


def _file_folders(raw_dir: Path) -> list[tuple[int, Path]]:
    """Each feed's `file_id=<id>` folders, with their ids."""
    found = []
    for feed in COLUMNS_BY_FEED:
        folder = rows_folder(raw_dir, feed)
        if not folder.is_dir():
            continue
        for entry in os.scandir(folder):
            match = _FILE_FOLDER.match(entry.name)
            if match and entry.is_dir(follow_symlinks=False):
                found.append((int(match.group(1)), Path(entry.path)))
    return found


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not empty (a file the caller leaves), or gone
        folder.rmdir()


def _held_names(database: Path) -> set[str]:
    """'<feed>_rows/file_id=<padded id>/<checksum>.parquet' of each file the database's registry holds
    (none for a file without a raw schema, such as a published file)."""
    with duckdb.connect(str(database), read_only=True) as con:
        found = con.execute(
            "select count(*) from duckdb_tables() where database_name = current_database()"
            " and schema_name = 'raw' and table_name = 'file_registry'"
        ).fetchone()
        if not found or not found[0]:
            return set()
        registered = con.execute("select feed, file_id, checksum from raw.file_registry").fetchall()
    return {
        rows_file(Path(), feed, file_id, checksum).as_posix() for feed, file_id, checksum in registered
    }


def write_snapshots(con: duckdb.DuckDBPyConnection, raw_dir: Path) -> None:
    """The registry and the rejected files beside the rows, for Spark (small: written whole)."""
    for table in SNAPSHOT_TABLES:
        folder = raw_dir / table
        folder.mkdir(parents=True, exist_ok=True)
        copy_to_parquet(con, f"select * from raw.{table}", [], folder / "part-0.parquet")


def _quoted(text: str | Path) -> str:
    return str(text).replace("'", "''")
