"""One nightly at a time: an exclusive `fcntl.flock` on a lock file beside the warehouse.

The kernel drops a flock when its holder dies, however it dies (SIGKILL included), so a
killed run never leaves a stale lock. The file also says who holds it (PID, host, start time)
so that the refused caller can tell the operator which run is in the way.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

EXIT_LOCKED = 75  # sysexits EX_TEMPFAIL: another run holds the lock; try again later


class LockHeld(RuntimeError):
    """Another process holds the lock."""

    def __init__(self, lock_path: Path, holder: dict[str, object]) -> None:
        self.lock_path = lock_path
        self.holder = holder
        who = ", ".join(f"{key} {value}" for key, value in holder.items()) or "holder unknown"
        super().__init__(f"another speccomm run holds {lock_path} ({who})")


@dataclass
class RunLock:
    path: Path
    purpose: str = "nightly"
    _fd: int | None = None

    def acquire(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise LockHeld(self.path, holder) from None
        self._fd = fd
        self._write_holder()
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        os.ftruncate(self._fd, 0)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()

    def _write_holder(self) -> None:
        assert self._fd is not None
        holder = {
            "purpose": self.purpose,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        }
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, (json.dumps(holder) + "\n").encode(), 0)
        os.fsync(self._fd)


def _read_holder(fd: int) -> dict[str, object]:
    try:
        text = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
        holder = json.loads(text) if text else {}
    except (OSError, ValueError):
        return {}
    return holder if isinstance(holder, dict) else {}
