"""Console progress for long steps (the test-only fault hooks are in `test_hooks.py`).

A step that runs longer than `interval` seconds prints a line every `interval` seconds saying
it is still running (and, for dbt, how far it has got), so an operator watching a national
build knows it is alive.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

_DBT_PROGRESS = re.compile(r"(\d+) of (\d+) (START|OK|PASS|FAIL|ERROR|WARN|SKIP|NO-OP)")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def dbt_progress(console_log: Path) -> Callable[[], str]:
    """A callable reading how far dbt has got from its console log ('120 of 410')."""

    def read() -> str:
        try:
            with console_log.open("rb") as log:
                log.seek(max(0, console_log.stat().st_size - 16384))
                tail = strip_ansi(log.read().decode("utf-8", "replace"))
        except OSError:
            return ""
        found = _DBT_PROGRESS.findall(tail)
        return f"dbt node {found[-1][0]} of {found[-1][1]}" if found else ""

    return read


class Ticker:
    """Prints `<step> still running (1m30s; detail)` every `interval` seconds while active."""

    def __init__(self, step: str, detail: Callable[[], str] | None = None, interval: float = 20.0) -> None:
        self.step = step
        self.detail = detail
        self.interval = interval
        self._stop = threading.Event()
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"ticker-{step}")

    def __enter__(self) -> Ticker:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            extra = self.detail() if self.detail else ""
            elapsed = format_seconds(time.monotonic() - self._started)
            print(f"      ... {self.step} still running ({elapsed}{'; ' + extra if extra else ''})",
                  file=sys.stdout, flush=True)


def strip_ansi(text: str) -> str:
    """dbt colours its console lines; logs and summaries are plain text."""
    return _ANSI.sub("", text)


def format_seconds(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}m"
