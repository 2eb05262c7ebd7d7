"""Expensive test fixtures built once per test session, shared by every pytest-xdist worker.

`make test` runs two workers, each with its own base temp folder (`<basetemp>/popen-gwN`), so a
session fixture used to be built once per *worker*: the demo warehouse, the first night, the
checked demo and the core warehouse were built twice whenever modules on both workers used
them. `build_once` builds a folder once for the whole session, in the folder the workers
share (the parent of their base temp folders), under an exclusive file lock: the first worker
to ask builds it, the other waits and then finds it done (`built.ok`).
A failed build leaves no `built.ok`, so the next caller builds it again and reports its own
failure.

Each worker then works on its own copy (copied once per worker, symlinks kept as links): a test
may open its warehouse read-write, or run a command that takes the night's lock, exactly as
when the fixture was the worker's own, and no DuckDB file is ever open in two processes at
once. Without xdist the shared folder is the base temp folder and no copy is made.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

DONE = "built.ok"


def shared_base(worker_base: Path) -> Path:
    """The base temp folder every worker of this session shares: the parent of a local xdist
    worker's own (`<basetemp>/popen-gwN`); the worker's own without xdist."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return worker_base.parent if worker and worker_base.name == f"popen-{worker}" else worker_base


def build_once(worker_base: Path, name: str, build: Callable[[Path], None]) -> Path:
    """This worker's copy of folder `name`, built by `build(folder)` once per test session.

    `build` gets an empty folder and must leave in it everything its users read; it runs in
    one worker only, under `<shared base>/<name>.lock`."""
    shared = shared_base(worker_base)
    folder = shared / "shared" / name
    if not (folder / DONE).exists():
        folder.parent.mkdir(parents=True, exist_ok=True)
        with (shared / "shared" / f"{name}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            if not (folder / DONE).exists():
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir()
                build(folder)
                (folder / DONE).write_text("ok\n", encoding="utf-8")
    if shared == worker_base:
        return folder
    own = worker_base / "shared" / name
    if not (own / DONE).exists():
        shutil.rmtree(own, ignore_errors=True)
        shutil.copytree(folder, own, symlinks=True)
    return own
