"""Swap the published file and the build file together: a tiny roll-forward journal.

A night (or a rollback) replaces two files beside each other, the published file BI readers
open and the build file the next night starts from (speccomm.state.StateLayout). One rename
cannot replace two files, so a crash between the two would leave them out of step: readers on
one night, the next build on another. So both new files are first written whole and fsynced
under temporary names in the same file system; then the journal, `state/publishing.json`,
lists every rename still to do and is itself renamed into place (the commit point); then the
renames are done and the journal is deleted.

A crash before the commit leaves both files as they were (the temporary names are removed by
the next run). A crash after it leaves the journal: the next nightly or rollback, holding the
run lock, does the renames that are left (`complete_pending`) before anything else, so both
files move to the new night. Each step is a rename whose source is gone once done, so doing a
journal twice is doing it once. docs/decisions/0016.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from speccomm.durable import fsync_dir, fsync_file

JOURNAL_NAME = "publishing.json"


@dataclass
class Journal:
    """Renames (source → target, in order) and links (target → version, after the renames)."""

    path: Path
    what: str
    moves: list[tuple[Path, Path]] = field(default_factory=list)
    links: list[tuple[Path, Path]] = field(default_factory=list)
    published_version: str | None = None  # a night's publish: the version it publishes

    def commit_and_apply(self) -> None:
        """Write the journal durably (from here on the change happens, even after a crash),
        do it, then delete the journal."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        staged = self.path.with_name(f".{self.path.name}.tmp")
        staged.write_text(json.dumps(self._as_json(), indent=2) + "\n", encoding="utf-8")
        fsync_file(staged)
        os.replace(staged, self.path)
        fsync_dir(self.path.parent)
        self.apply()

    def apply(self) -> None:
        folders: set[Path] = set()
        for source, target in self.moves:
            if source.exists():  # else done before a crash
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(source, target)
                folders |= {source.parent, target.parent}
        for target, version in self.links:
            if target.exists() and not version.exists():
                version.parent.mkdir(parents=True, exist_ok=True)
                link_or_copy(target, version)
                folders.add(version.parent)
        for folder in folders:
            fsync_dir(folder)
        self.path.unlink(missing_ok=True)
        fsync_dir(self.path.parent)

    def _as_json(self) -> dict[str, object]:
        return {
            "what": self.what,
            "moves": [[str(a), str(b)] for a, b in self.moves],
            "links": [[str(a), str(b)] for a, b in self.links],
            "published_version": self.published_version,
        }

    @classmethod
    def read(cls, path: Path) -> Journal:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            path, str(data["what"]),
            [(Path(a), Path(b)) for a, b in data["moves"]],
            [(Path(a), Path(b)) for a, b in data["links"]],
            data.get("published_version"),
        )


def complete_pending(journal_path: Path) -> Journal | None:
    """Finish a swap a crash interrupted after its commit; returns its journal, or None.
    Call it holding the run lock, before tidying temporary files (the journal names some)."""
    if not journal_path.exists():
        return None
    journal = Journal.read(journal_path)
    journal.apply()
    return journal


def link_or_copy(source: Path, destination: Path) -> None:
    try:
        os.link(source, destination)
    except OSError:
        shutil.copyfile(source, destination)
        fsync_file(destination)
