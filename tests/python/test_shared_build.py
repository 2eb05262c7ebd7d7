"""shared_build.build_once: a session's expensive fixture is built once for every pytest-xdist
worker, each worker gets its own copy, and a failed build is built again by the next caller."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import pytest

from shared_build import DONE, build_once, shared_base

BUILDS = "builds.log"


def _slow_build(folder: Path) -> None:
    """Counts its calls in the shared base folder; slow enough for the two workers to overlap."""
    with (folder.parent.parent / BUILDS).open("a", encoding="utf-8") as log:
        log.write(f"{os.getpid()}\n")
    (folder / "warehouse.txt").write_text("built\n", encoding="utf-8")
    (folder / "link").symlink_to("warehouse.txt")
    time.sleep(0.5)


def _worker(base: str, name: str, results: multiprocessing.Queue) -> None:
    os.environ["PYTEST_XDIST_WORKER"] = Path(base).name.removeprefix("popen-")
    own = build_once(Path(base), "demo", _slow_build)
    results.put((name, str(own), (own / "warehouse.txt").read_text(encoding="utf-8")))


def test_two_workers_build_once_and_each_reads_its_own_copy(tmp_path: Path) -> None:
    workers = [tmp_path / "popen-gw0", tmp_path / "popen-gw1"]
    results: multiprocessing.Queue = multiprocessing.Queue()
    processes = [
        multiprocessing.Process(target=_worker, args=(str(base), base.name, results)) for base in workers
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    got = sorted(results.get(timeout=5) for _ in workers)
    assert [Path(own) for _, own, _ in got] == [base / "shared" / "demo" for base in workers]
    assert {text for _, _, text in got} == {"built\n"}
    assert len((tmp_path / BUILDS).read_text(encoding="utf-8").splitlines()) == 1  # built once
    assert (tmp_path / "shared" / "demo" / DONE).exists()
    for base in workers:
        assert (base / "shared" / "demo" / "link").is_symlink()  # links stay links in a copy


def test_a_failed_build_is_built_again_by_the_next_caller(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    worker = tmp_path / "popen-gw0"

    def failing(folder: Path) -> None:
        (folder / "half.txt").write_text("half\n", encoding="utf-8")
        raise RuntimeError("the build failed")

    with pytest.raises(RuntimeError, match="the build failed"):
        build_once(worker, "night", failing)
    assert not (tmp_path / "shared" / "night" / DONE).exists()
    own = build_once(worker, "night", _slow_build)
    assert sorted(p.name for p in own.iterdir()) == [DONE, "link", "warehouse.txt"]  # nothing half-built


def test_without_xdist_the_build_is_the_sessions_own_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    assert shared_base(tmp_path) == tmp_path
    assert build_once(tmp_path, "demo", _slow_build) == tmp_path / "shared" / "demo"
    assert build_once(tmp_path, "demo", _slow_build) == tmp_path / "shared" / "demo"
    assert len((tmp_path / BUILDS).read_text(encoding="utf-8").splitlines()) == 1


def test_a_worker_whose_base_folder_xdist_did_not_make_shares_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A remote worker's base temp folder is not one of the session's: its parent is no
    session's own, so nothing is built there."""
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw3")
    assert shared_base(tmp_path / "pytest-7") == tmp_path / "pytest-7"
    assert shared_base(tmp_path / "popen-gw3") == tmp_path
