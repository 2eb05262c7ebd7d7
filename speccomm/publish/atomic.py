"""Atomic publishing of the warehouse file, the kept versions and rollback.

Readers (BI tools) open the published file read-only. A new file is put in place with
`os.replace` from a fully written, fsynced file in the same directory, so at every instant the
path names either the old file or the new one, whole. A reader connected before the swap keeps
its open file (the old one) until it disconnects; its next connection opens the new one.

The published file is not the working copy itself but a copy of it written in the configured
storage version (speccomm.publish.storage: DuckDB 1.x clients must open it), straight into a
temporary name beside the published file; only that finished file is renamed into place.

The newest entry of `versions/` and the published file are the same file (a hard link where
the file system allows, else a copy), so a version costs no extra space until it is replaced.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from speccomm.publish.storage import rewrite_database

ROLLED_BACK = "rolled-back"


class NoEarlierVersion(RuntimeError):
    """Rollback has nothing to go back to."""


@dataclass(frozen=True)
class Published:
    path: Path
    version: Path
    pruned: tuple[Path, ...]


def checkpoint(database: Path) -> None:
    """Fold the write-ahead log into the file and prove that it opens read-only."""
    with duckdb.connect(str(database)) as con:
        con.execute("checkpoint")
    wal = database.with_name(database.name + ".wal")
    if wal.exists():
        raise RuntimeError(f"{wal} still exists after CHECKPOINT and close: not publishing")
    with duckdb.connect(str(database), read_only=True) as con:
        con.execute("select count(*) from information_schema.tables").fetchone()


def publish_database(
    working: Path, published: Path, versions_dir: Path, *, version_name: str, keep: int,
    storage_version: str | None = None,
) -> Published:
    """Publish a closed working copy: rewritten in the configured storage version under a
    temporary name beside the published file, then renamed into place."""
    checkpoint(working)
    published.parent.mkdir(parents=True, exist_ok=True)
    versions_dir.mkdir(parents=True, exist_ok=True)
    staged = _rewrite_beside(working, published, storage_version)
    version = versions_dir / f"{version_name}{published.suffix}"
    try:
        _link_or_copy(staged, version)
        os.replace(staged, published)
    finally:
        staged.unlink(missing_ok=True)
    fsync_dir(published.parent)
    fsync_dir(versions_dir)
    working.unlink()  # its night is published; the copy is all that is needed
    return Published(published, version, tuple(prune_versions(versions_dir, keep, published)))


def list_versions(versions_dir: Path) -> list[Path]:
    """Kept versions, oldest first (names start with the run's UTC time, so they sort)."""
    if not versions_dir.is_dir():
        return []
    return sorted(p for p in versions_dir.glob("*.duckdb") if p.is_file() and not p.name.startswith("."))


def current_version(versions_dir: Path, published: Path) -> Path | None:
    if not published.exists():
        return None
    for version in reversed(list_versions(versions_dir)):
        if _same_file(version, published):
            return version
    return None


def prune_versions(versions_dir: Path, keep: int, published: Path) -> list[Path]:
    """Delete all but the newest `keep` versions (never the one that is published)."""
    pruned = []
    for old in list_versions(versions_dir)[:-keep]:
        if not _same_file(old, published):
            old.unlink()
            pruned.append(old)
    rolled_back = versions_dir / ROLLED_BACK
    for old in list_versions(rolled_back)[:-keep]:
        old.unlink()
        pruned.append(old)
    return pruned


def rollback_published(published: Path, versions_dir: Path) -> tuple[Path, Path]:
    """Publish the version before the current one again; returns (from, to).

    The versions newer than the one restored move to versions/rolled-back/, so that the newest
    kept version is again the published one and a second rollback goes one further back.
    """
    versions = list_versions(versions_dir)
    current = current_version(versions_dir, published)
    if current is None:
        raise NoEarlierVersion(
            f"{published} is not one of the versions kept in {versions_dir}, so there is no "
            "'previous' to go back to; copy the version you want in place by hand if you must"
        )
    index = versions.index(current)
    if index == 0:
        raise NoEarlierVersion(f"{current.name} is the oldest version kept in {versions_dir}")
    target = versions[index - 1]
    staged = _stage_beside(target, published)
    try:
        os.replace(staged, published)
    finally:
        staged.unlink(missing_ok=True)
    fsync_dir(published.parent)
    (versions_dir / ROLLED_BACK).mkdir(exist_ok=True)
    for newer in versions[index:]:
        os.replace(newer, versions_dir / ROLLED_BACK / newer.name)
    fsync_dir(versions_dir)
    return current, target


def remove_stale_stages(published: Path) -> list[Path]:
    """Temporary files left in the published folder by a run killed while publishing."""
    stale = list(published.parent.glob(f".{published.name}.*.publishing"))
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def _stage_beside(source: Path, published: Path) -> Path:
    """A durable file with `source`'s bytes in the published file's folder, under a temporary
    name: hard-linked when the file system allows, else copied."""
    fd, name = tempfile.mkstemp(dir=published.parent, prefix=f".{published.name}.", suffix=".publishing")
    os.close(fd)
    staged = Path(name)
    try:
        _fsync_file(source)
        staged.unlink()
        _link_or_copy(source, staged)
        _match_mode(staged, published)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    return staged


def _rewrite_beside(working: Path, published: Path, storage_version: str | None) -> Path:
    """A durable copy of `working` in the configured storage version, in the published file's
    folder under a temporary name (removed again if anything fails)."""
    fd, name = tempfile.mkstemp(dir=published.parent, prefix=f".{published.name}.", suffix=".publishing")
    os.close(fd)
    staged = Path(name)
    staged.unlink()  # DuckDB creates the file itself
    try:
        rewrite_database(working, staged, version=storage_version)
        _fsync_file(staged)
        _match_mode(staged, published)
    except BaseException:
        staged.unlink(missing_ok=True)
        staged.with_name(staged.name + ".wal").unlink(missing_ok=True)
        raise
    return staged


def _link_or_copy(source: Path, destination: Path) -> None:
    try:
        os.link(source, destination)
    except OSError:
        shutil.copyfile(source, destination)
        _fsync_file(destination)


def _match_mode(staged: Path, published: Path) -> None:
    """Keep the published file's permissions (readers in other accounts must still read it)."""
    mode = stat.S_IMODE(published.stat().st_mode) if published.exists() else 0o644
    os.chmod(staged, mode)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b) or filecmp.cmp(a, b, shallow=False)
    except OSError:
        return False


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
