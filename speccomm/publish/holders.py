"""Open the published warehouse read-only, and name the process that stops us.

A client that opens the published file read-write (the default of `duckdb.connect`, the DuckDB
command line without `-readonly`, DBeaver without `duckdb.read_only`) takes DuckDB's exclusive
file lock: every reader is locked out, the nightly included. DuckDB's error names the holder's
program and PID; `WarehouseHeld` says it in words, with the process name when /proc lets us
read it, and what to do about it. (Not the command line: it may carry someone's password.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from speccomm.state import BUILD_FILE_NAME

# The exit status of a command refused because a client holds the published (or build) file
# read-write: `speccomm nightly` and `speccomm rollback`.
EXIT_WAREHOUSE_HELD = 76

_CONFLICT = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")


@dataclass(frozen=True)
class Holder:
    pid: int
    program: str  # the executable DuckDB names
    process_name: str | None  # /proc/<pid>/comm, when readable

    def describe(self) -> str:
        name = self.process_name or "process name not readable"
        return f"PID {self.pid} ({name}, program {self.program})"


class WarehouseHeld(RuntimeError):
    """Another process holds the published warehouse (or the build file) open read-write."""

    def __init__(self, path: Path, holder: Holder) -> None:
        what = "build file" if path.name == BUILD_FILE_NAME else "published warehouse"
        super().__init__(
            f"the {what} {path} is open read-write in another process, "
            f"{holder.describe()}, which locks every reader out. Close that client, or open the "
            "file read-only (docs/bi-access.md, 'Open it read-only'), then run again"
        )
        self.path = path
        self.holder = holder


def holder_from_error(error: BaseException) -> Holder | None:
    """The lock holder DuckDB names in `error`, or None if it is another error."""
    found = _CONFLICT.search(str(error))
    if not found:
        return None
    pid = int(found["pid"])
    return Holder(pid, found["program"], _process_name(pid))


@contextmanager
def connect_read_only(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the published file; WarehouseHeld if a writer holds it."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as exc:
        holder = holder_from_error(exc)
        if holder is None:
            raise
        raise WarehouseHeld(path, holder) from exc
    with con:
        yield con


def refuse_writers(*paths: Path) -> None:
    """WarehouseHeld when a process holds one of `paths` (those that exist) read-write: a file
    about to be replaced by a rename must not be one a client is writing to."""
    for path in paths:
        if path.exists():
            with connect_read_only(path):
                pass


def _process_name(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/comm").read_text(encoding="utf-8", errors="replace").strip() or None
    except OSError:
        return None
