"""Atomic publishing of the warehouse file, the kept versions and rollback.

Readers (BI tools) open the published file read-only. A new file is put in place with
`os.replace` from a fully written, fsynced file in the same directory, so at every instant the
path names either the old file or the new one, whole. A reader connected before the swap keeps
its open file (the old one) until it disconnects; its next connection opens the new one.

The published file is not the working copy itself but a copy of its reader schemas (marts, dq,
reference, ops) written in the configured storage version (speccomm.publish.storage: DuckDB
1.x clients must open it), straight into a temporary name beside the published file. The
working copy itself, whole, becomes the build file beside it (the next night starts there).
The two renames are done together through a journal (speccomm.publish.journal), so a crash
never leaves the published file and the build file on different nights (docs/decisions/0016).

The newest entry of `versions/` and the published file are the same file (a hard link where
the file system allows, else a copy), and so are `versions/build/<the same name>` and the
build file: a version costs no extra space until it is replaced.
"""

from __future__ import annotations

import filecmp
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from speccomm.durable import fsync_file
from speccomm.publish.journal import Journal, link_or_copy
from speccomm.publish.storage import ReaderCopy, write_reader_copy
from speccomm.state import StateLayout

ROLLED_BACK = "rolled-back"


class NoEarlierVersion(RuntimeError):
    """Rollback has nothing to go back to."""


@dataclass(frozen=True)
class Published:
    path: Path
    version: Path
    pruned: tuple[Path, ...]
    copy: ReaderCopy


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
    working: Path, layout: StateLayout, *, version_name: str, keep: int, storage_version: str | None = None,
) -> Published:
    """Publish a closed working copy: its reader schemas written in the configured storage
    version under a temporary name beside the published file (starting from a copy of the
    published file when it may: speccomm.publish.storage.write_reader_copy); then, together
    (speccomm.publish.journal), that copy renamed to the published file and the working copy
    itself to the build file, and both kept as this version."""
    published = layout.warehouse
    checkpoint(working)
    fsync_file(working)  # durable before the journal names it
    published.parent.mkdir(parents=True, exist_ok=True)
    layout.versions_dir.mkdir(parents=True, exist_ok=True)
    staged, copy = _reader_copy_beside(working, published, storage_version, previous=published)
    name = f"{version_name}{published.suffix}"
    version = layout.versions_dir / name
    journal = Journal(
        layout.publish_journal, f"publishing version {name}",
        moves=[(staged, published), (working, layout.build_file)],
        links=[(published, version), (layout.build_file, layout.build_versions_dir / name)],
        published_version=name,
    )
    _commit(journal, [staged])
    return Published(published, version, tuple(prune_versions(layout, keep)), copy)


def _commit(journal: Journal, staged: list[Path]) -> None:
    """Commit and apply `journal`; the staged files are removed if it never committed."""
    try:
        journal.commit_and_apply()
    except BaseException:
        if not journal.path.exists():
            for path in staged:
                path.unlink(missing_ok=True)
        raise


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


def prune_versions(layout: StateLayout, keep: int) -> list[Path]:
    """Delete all but the newest `keep` versions (never the one that is published), and the
    build files of the versions deleted."""
    pruned = []
    versions_dir, published = layout.versions_dir, layout.warehouse
    for old in list_versions(versions_dir)[:-keep]:
        if not _same_file(old, published):
            old.unlink()
            pruned.append(old)
    rolled_back = versions_dir / ROLLED_BACK
    for old in list_versions(rolled_back)[:-keep]:
        old.unlink()
        pruned.append(old)
    for folder, builds in ((versions_dir, layout.build_versions_dir), (rolled_back, rolled_back / "build")):
        kept = {version.name for version in list_versions(folder)}
        for old in list_versions(builds):
            if old.name not in kept:
                old.unlink()
    return pruned


def rollback_published(layout: StateLayout) -> tuple[Path, Path]:
    """Publish the version before the current one again, with its build file; returns (from, to).

    The versions newer than the one restored move to versions/rolled-back/ (their build files
    to versions/rolled-back/build/), so that the newest kept version is again the published one
    and a second rollback goes one further back. A version kept without a build file (published
    before build files were kept: it holds the whole build) becomes the build file, and its
    reader schemas the published file.
    """
    published, versions_dir = layout.warehouse, layout.versions_dir
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
    target_build = layout.build_versions_dir / target.name
    staged: list[Path] = []
    try:
        if target_build.exists():
            staged.append(_stage_beside(target, published))
        else:
            staged.append(_reader_copy_beside(target, published, None)[0])
            target_build = target
        staged.append(_stage_beside(target_build, layout.build_file))
    except BaseException:
        for path in staged:
            path.unlink(missing_ok=True)
        raise
    rolled = versions_dir / ROLLED_BACK
    moves = [(staged[0], published), (staged[1], layout.build_file)]
    links = []
    if target_build == target:  # the old whole file is now the build file's version
        moves.append((target, layout.build_versions_dir / target.name))
        links.append((published, target))
    for newer in versions[index:]:
        moves += [(newer, rolled / newer.name),
                  (layout.build_versions_dir / newer.name, rolled / "build" / newer.name)]
    _commit(Journal(layout.publish_journal, f"rolling back to version {target.name}", moves, links), staged)
    return current, target


def remove_stale_stages(layout: StateLayout) -> list[Path]:
    """Temporary files left in the published folder by a run killed while publishing, before
    its journal was committed (call complete_pending first)."""
    stale = [path for own in (layout.warehouse, layout.build_file)
             for path in own.parent.glob(f".{own.name}.*.publishing")]
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
        fsync_file(source)
        staged.unlink()
        link_or_copy(source, staged)
        _match_mode(staged, published)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    return staged


def _reader_copy_beside(
    source: Path, published: Path, storage_version: str | None, *, previous: Path | None = None,
) -> tuple[Path, ReaderCopy]:
    """A durable copy of `source`'s reader schemas in the configured storage version, in the
    published file's folder under a temporary name (removed again if anything fails), started
    from `previous` when it may."""
    fd, name = tempfile.mkstemp(dir=published.parent, prefix=f".{published.name}.", suffix=".publishing")
    os.close(fd)
    staged = Path(name)
    staged.unlink()  # DuckDB creates the file itself
    try:
        copy = write_reader_copy(source, staged, version=storage_version, previous=previous)
        fsync_file(staged)
        _match_mode(staged, published)
    except BaseException:
        staged.unlink(missing_ok=True)
        staged.with_name(staged.name + ".wal").unlink(missing_ok=True)
        raise
    return staged, copy


def _match_mode(staged: Path, published: Path) -> None:
    """Keep the published file's permissions (readers in other accounts must still read it)."""
    mode = stat.S_IMODE(published.stat().st_mode) if published.exists() else 0o644
    os.chmod(staged, mode)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b) or filecmp.cmp(a, b, shallow=False)
    except OSError:
        return False
