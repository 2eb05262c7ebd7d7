"""Test-only fault hooks of the nightly: pause or fail a step on request.

Why they are in production code: docs/decisions/0174-test-hooks-in-production-code.md.

Never set in production. SPECCOMM_TEST_PAUSE_AT=<step> makes the nightly write
<warehouse dir>/state/test-paused-at-<step> (holding its PID) at the start of that step and
sleep, so that a test can kill it there deterministically. SPECCOMM_TEST_FAIL_AT=<step> makes
that step fail at its start. The nightly calls `run_test_hooks` at the start of every step;
with neither variable set it does nothing.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

PAUSE_ENV = "SPECCOMM_TEST_PAUSE_AT"
FAIL_ENV = "SPECCOMM_TEST_FAIL_AT"
PAUSE_SECONDS = 600


class InjectedFailure(RuntimeError):
    """Raised by the test-only SPECCOMM_TEST_FAIL_AT hook."""


def run_test_hooks(step: str, state_dir: Path) -> None:
    if os.environ.get(FAIL_ENV) == step:
        raise InjectedFailure(f"{FAIL_ENV}={step} (test hook)")
    if os.environ.get(PAUSE_ENV) == step:
        state_dir.mkdir(parents=True, exist_ok=True)
        marker = pause_marker(state_dir, step)
        marker.write_text(f"{os.getpid()}\n")
        print(f"      test hook: paused at {step} (pid {os.getpid()}); marker {marker}", flush=True)
        time.sleep(PAUSE_SECONDS)


def pause_marker(state_dir: Path, step: str) -> Path:
    return state_dir / f"test-paused-at-{step}"
