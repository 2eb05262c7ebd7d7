"""A benchmark's own view of a landing folder, without copying gigabytes: each file is a hard
link to the original (a copy when they are on different filesystems). Not a symbolic link: the
loader does not follow a link out of the landing folder (speccomm/load/entries.py)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def link_file(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source.resolve(), target)
    except OSError:  # another filesystem, or links not allowed there
        shutil.copy2(source, target)
