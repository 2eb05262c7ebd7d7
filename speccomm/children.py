"""The night's child processes (dbt, the report-chart workers) die with it."""

from __future__ import annotations

import contextlib
import ctypes
import signal

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Run in a child: get SIGKILL when the parent dies, so a killed night leaves nothing
    running behind it."""
    with contextlib.suppress(OSError):  # not Linux: the child simply outlives a killed parent
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
