"""speccomm.children: a worker process started as the night starts its own (dbt, the report-chart
workers) dies when the night is killed, instead of running on as an orphan."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

# The parent: a spawned process pool like the reports step's, whose workers write their pids
# and then sleep far longer than the test waits.
PARENT = textwrap.dedent(
    """
    import multiprocessing, os, sys, time
    from concurrent.futures import ProcessPoolExecutor
    from speccomm.children import die_with_parent

    def sleep_long(folder):
        open(os.path.join(folder, str(os.getpid())), "w").close()
        time.sleep(120)

    if __name__ == "__main__":
        initializer = die_with_parent if sys.argv[2] == "die_with_parent" else None
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(2, mp_context=context, initializer=initializer) as pool:
            list(pool.map(sleep_long, [sys.argv[1]] * 2))
    """
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _workers_after_parent_killed(tmp_path: Path, initializer: str, grace: float) -> list[int]:
    """The pids of the workers still alive `grace` seconds after their parent was killed."""
    script = tmp_path / "parent.py"
    script.write_text(PARENT, encoding="utf-8")
    pids_dir = tmp_path / "pids"
    pids_dir.mkdir()
    parent = subprocess.Popen([sys.executable, str(script), str(pids_dir), initializer])
    deadline = time.monotonic() + 60
    while len(list(pids_dir.iterdir())) < 2:
        assert time.monotonic() < deadline, "the workers never started"
        time.sleep(0.1)
    workers = [int(path.name) for path in pids_dir.iterdir()]
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait(timeout=30)
    deadline = time.monotonic() + grace
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    return [pid for pid in workers if _alive(pid)]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl(PR_SET_PDEATHSIG) is Linux only")
def test_workers_die_with_a_killed_parent(tmp_path: Path) -> None:
    assert _workers_after_parent_killed(tmp_path, "die_with_parent", grace=10) == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the control for the test above")
def test_without_it_the_workers_outlive_the_parent(tmp_path: Path) -> None:
    survivors = _workers_after_parent_killed(tmp_path, "none", grace=2)
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)
    assert len(survivors) == 2
