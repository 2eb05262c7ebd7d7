"""The landing folder, entry by entry: what is a landing file, and why anything else is not.

Every entry of a feed folder (`slam/`, `sus/`, `ledger/`, `budget/`) and of the landing root ends as
exactly one of: a file to load, or a rejection with its reason (raw.rejected_files). Nothing
is skipped without a word, no link is followed out of the landing folder, and nothing that is
not a regular file is ever opened (a named pipe would block the night). The rules
(docs/decisions/0004-one-bad-input-never-stops-the-night.md, item 7):

- a regular file in a feed folder: loaded if its name and content pass (the loader);
- a hidden entry (`.name`): rejected (upload tools write unfinished files under hidden names);
- a folder in a feed folder, even one named `x.csv`: rejected, and so is every entry inside
  it, by its path (`sub/x.csv`);
- a symbolic link to a regular file inside the landing folder: loaded as that file, under
  the link's own name;
- a symbolic link out of the landing folder, dangling, looping, or to anything but a
  regular file: rejected, not followed;
- a named pipe, socket or device: rejected, never opened;
- a feed folder that is not a folder or cannot be listed: rejected (feed `landing`);
- any other entry of the landing root (a hidden `.complete` marker, a `.DS_Store`, an upload
  tool's temporary name, a stray file or folder, and every entry inside such a folder):
  rejected (feed `landing`, a feed dq.rejected_files accepts), except `reference/` (reference
  updates, read by their own loader, which reports its own entries) and `manifest.json` (the
  generator's).

A missing or unreadable landing root is not an empty landing folder: LandingUnavailable, and
the night fails (an unmounted share must not look like a quiet night).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

FEEDS = ("slam", "sus", "ledger", "budget")
ROOT_FEED = "landing"  # the feed recorded for a rejected entry of the landing root itself
# Read by others, not by the feed loader: issue 14's reference updates (<landing>/reference/
# <seed>.csv) and the manifest `speccomm generate` writes beside the feeds.
NOT_FOR_THE_FEED_LOADER = ("reference", "manifest.json")


class LandingUnavailable(RuntimeError):
    """The landing root is missing, not a folder, or cannot be read."""


@dataclass(frozen=True)
class Seen:
    """An entry's size and modification time when listed: a file that changes is detected."""

    size: int
    mtime_ns: int

    @classmethod
    def of(cls, status: os.stat_result) -> Seen:
        return cls(status.st_size, status.st_mtime_ns)


@dataclass(frozen=True)
class LandingEntry:
    feed: str
    name: str  # the name in its feed folder; `sub/x.csv` inside a subfolder
    path: Path  # what to read (a link's target inside the landing folder)
    seen: Seen | None
    problem: str | None = None  # None: a regular file to load; else why it is rejected

    @property
    def loadable(self) -> bool:
        return self.problem is None


def check_landing_root(landing: Path) -> Path:
    """The landing root, resolved; LandingUnavailable when it cannot serve as one."""
    if not landing.exists():
        raise LandingUnavailable(
            f"landing folder {landing} does not exist (an unmounted share?): nothing can be loaded"
        )
    if not landing.is_dir():
        raise LandingUnavailable(f"landing folder {landing} is not a folder")
    try:
        with os.scandir(landing):
            pass
    except OSError as exc:
        raise LandingUnavailable(f"landing folder {landing} cannot be read: {exc.strerror or exc}") from None
    return landing.resolve()


def list_landing(landing: Path) -> list[LandingEntry]:
    """Every entry of the landing folder under its rule, feed by feed, in name order."""
    root = check_landing_root(landing)
    entries: list[LandingEntry] = []
    for entry in _scan(root):
        if entry.name in FEEDS:
            entries += _feed_folder(root, entry)
        elif entry.name not in NOT_FOR_THE_FEED_LOADER:
            entries.append(_rejected(ROOT_FEED, entry.name, entry, _root_problem(entry)))
            if entry.is_dir(follow_symlinks=False):
                entries += _inside_stray_folder(entry)
    return entries  # a missing feed folder is an empty feed (the contract: empty is valid)


def _root_problem(entry: os.DirEntry[str]) -> str:
    if entry.name.startswith("."):
        return _HIDDEN
    return (
        "not in a feed folder: only files in slam/, sus/, ledger/ and budget/ are loaded; move it into "
        "the folder of its feed"
    )


def _feed_folder(root: Path, entry: os.DirEntry[str]) -> list[LandingEntry]:
    feed = entry.name
    if entry.is_symlink() or not entry.is_dir(follow_symlinks=False):
        return [_rejected(ROOT_FEED, feed, entry, "the feed folder is not a folder (or is a symbolic link): "
                          "nothing in it is read")]
    try:
        children = list(_scan(Path(entry.path)))
    except OSError as exc:
        return [_rejected(ROOT_FEED, feed, entry, f"the feed folder cannot be listed: {exc.strerror or exc}")]
    found: list[LandingEntry] = []
    for child in children:
        found += _feed_entry(root, feed, child)
    return found


def _feed_entry(root: Path, feed: str, entry: os.DirEntry[str]) -> list[LandingEntry]:
    if entry.name.startswith("."):
        return [_rejected(feed, entry.name, entry, _HIDDEN)]
    if entry.is_symlink():
        return [_link(root, feed, entry)]
    try:
        mode = entry.stat(follow_symlinks=False).st_mode
    except OSError as exc:
        return [_rejected(feed, entry.name, entry, f"cannot be examined: {exc.strerror or exc}")]
    if stat.S_ISDIR(mode):
        return [_rejected(feed, entry.name, entry, _folder_problem(feed)), *_inside_subfolder(feed, entry)]
    if stat.S_ISREG(mode):
        return [LandingEntry(feed, entry.name, Path(entry.path), _seen(entry))]
    return [_rejected(feed, entry.name, entry, _special_problem(mode))]


def _link(root: Path, feed: str, entry: os.DirEntry[str]) -> LandingEntry:
    try:
        target = Path(entry.path).resolve(strict=True)
    except FileNotFoundError:
        return _rejected(feed, entry.name, entry, "symbolic link whose target does not exist: not followed")
    except (RuntimeError, OSError) as exc:  # a loop: RuntimeError (Python 3.11) or OSError ELOOP
        return _rejected(feed, entry.name, entry, f"symbolic link that cannot be resolved ({_why(exc)}): "
                         "not followed")
    if not target.is_relative_to(root):
        return _rejected(feed, entry.name, entry, "symbolic link to a target outside the landing folder: "
                         "not followed")
    try:
        status = target.stat()
    except OSError as exc:
        return _rejected(feed, entry.name, entry, f"symbolic link whose target cannot be examined: "
                         f"{_why(exc)}")
    if not stat.S_ISREG(status.st_mode):
        return _rejected(feed, entry.name, entry, "symbolic link to something other than a regular file: "
                         "not followed")
    return LandingEntry(feed, entry.name, target, Seen.of(status))


def _inside_subfolder(feed: str, folder: os.DirEntry[str]) -> Iterator[LandingEntry]:
    """Every entry below a subfolder of a feed folder, by its path; links are not followed."""
    reason = f"in a subfolder of {feed}/: only files directly in {feed}/ are loaded; move it up into {feed}/"
    return _everything_below(feed, folder, reason)


def _inside_stray_folder(folder: os.DirEntry[str]) -> Iterator[LandingEntry]:
    """Every entry below a folder of the landing root that is no feed, by its path (feed
    `landing`); links are not followed."""
    reason = (
        f"in {folder.name}/, which is not a feed folder: only files in slam/, sus/ and ledger/ are "
        "loaded; move it into the folder of its feed"
    )
    return _everything_below(ROOT_FEED, folder, reason)


def _everything_below(feed: str, folder: os.DirEntry[str], reason: str) -> Iterator[LandingEntry]:
    base = Path(folder.path)
    for directory, subfolders, files in os.walk(base, followlinks=False, onerror=None):
        for name in sorted(subfolders + files):
            path = Path(directory) / name
            relative = path.relative_to(base.parent).as_posix()
            try:
                seen = Seen.of(path.lstat())
            except OSError:
                seen = None
            yield LandingEntry(feed, relative, path, seen, reason)
        subfolders.sort()


def _scan(folder: Path) -> list[os.DirEntry[str]]:
    with os.scandir(folder) as scan:
        return sorted(scan, key=lambda entry: entry.name)


def _rejected(feed: str, name: str, entry: os.DirEntry[str], problem: str) -> LandingEntry:
    return LandingEntry(feed, name, Path(entry.path), _seen(entry), problem)


def _seen(entry: os.DirEntry[str]) -> Seen | None:
    try:
        return Seen.of(entry.stat(follow_symlinks=False))
    except OSError:
        return None


def _folder_problem(feed: str) -> str:
    return (
        f"a folder, not a file: folders in {feed}/ are not read (whatever their name); "
        f"put the files themselves directly in {feed}/"
    )


def _special_problem(mode: int) -> str:
    kind = (
        "a named pipe" if stat.S_ISFIFO(mode)
        else "a socket" if stat.S_ISSOCK(mode)
        else "a device" if stat.S_ISBLK(mode) or stat.S_ISCHR(mode)
        else "not a regular file"
    )
    return f"{kind}, not a regular file: never opened"


def _why(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


_HIDDEN = (
    "hidden (its name starts with a dot): not loaded; upload tools write unfinished files under "
    "hidden names, so give the finished file its contract name"
)
