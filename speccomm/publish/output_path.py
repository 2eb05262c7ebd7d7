"""Where an output (`speccomm extract`, `speccomm export`) may be written: one rule for both.

An output is written only to a path that is, or will be, a regular file (`extract --out`) or a
folder of files (`export --out`, the extract's Parquet folder): never a device (`/dev/full`,
`/dev/null`: as root, a rename over one replaces the device), a pipe or a socket, never a
folder where a file is asked for or the reverse, never the published warehouse, the build file
or another of the nightly's own files (speccomm.state.StateLayout.protected), and never over an
existing file (or into a folder that already holds files) unless `--force` says so. The check
runs before anything is written; the writers write under temporary names and rename into place
only when complete, so a refused or failed output writes nothing.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from enum import Enum
from pathlib import Path

from speccomm.state import ProtectedTarget, StateLayout


class OutputRefused(ValueError):
    """The path is not one this output may write."""


class Kind(Enum):
    FILE = "a file"
    FOLDER = "a folder"


def check_output(target: Path, kind: Kind, *, force: bool, layout: StateLayout) -> Path:
    """The absolute path to write `kind` at, or OutputRefused saying why not."""
    path = target.absolute()
    try:
        layout.refuse_protected(path)
    except ProtectedTarget as exc:
        raise OutputRefused(str(exc)) from exc
    _check_parent(path)
    try:
        mode = path.stat().st_mode  # links followed: what a write would reach
    except FileNotFoundError:
        return path
    if kind is Kind.FILE:
        if stat.S_ISDIR(mode):
            raise OutputRefused(f"{target} is a folder: name the file to write, e.g. {target}/extract.duckdb")
        if not stat.S_ISREG(mode):
            raise OutputRefused(f"{target} is {_what(mode)}, not a regular file: name a file to write")
        if not force:
            raise OutputRefused(f"{target} exists: add --force to replace it, or name a new file")
    else:
        if not stat.S_ISDIR(mode):
            raise OutputRefused(f"{target} is {_what(mode)}, not a folder: name a folder to write into")
        if not force and any(path.iterdir()):
            raise OutputRefused(f"{target} is a folder that is not empty: add --force to replace what "
                                "it holds, or name a new or empty folder")
    return path


def _check_parent(path: Path) -> None:
    """Every existing ancestor must be a folder (a file in the way cannot hold the output)."""
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputRefused(f"{parent} is not a folder, so {path} cannot be written")
            return


def _what(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def staged_folder_beside(target: Path) -> Path:
    """A new empty folder beside `target` (same file system) to write a folder output into."""
    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))


def place_folder(staged: Path, target: Path, *, stale: str | None = None) -> None:
    """Put the complete folder `staged` at `target`: renamed there when `target` is missing or
    empty; else (--force) each file moved over the one of its name, and the files matching the
    glob `stale` that the new output does not hold removed (other files are left alone: a
    forced output never empties someone's folder)."""
    if not target.exists() or (target.is_dir() and not any(target.iterdir())):
        if target.exists():
            target.rmdir()
        os.replace(staged, target)
        return
    written = {path.relative_to(staged) for path in staged.rglob("*") if path.is_file()}
    for relative in sorted(written):
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged / relative, target / relative)
    if stale:
        for old in target.glob(stale):
            if old.is_file() and old.relative_to(target) not in written:
                old.unlink()
    shutil.rmtree(staged, ignore_errors=True)
