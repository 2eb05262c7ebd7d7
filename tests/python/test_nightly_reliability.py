"""Issue 18, the night's faults: a missing landing folder, a full disk and a read-only warehouse
folder end the night with the step's documented exit code, one line of cause (no traceback)
and a run-log row that says failed; `extract` and `export` refuse to write over the
warehouse's own files.

The full disk and the read-only folder are real: the nightly runs in a private mount namespace
(`unshare -rm`) with the warehouse folder on a small tmpfs, or bind-mounted read-only. Where
the kernel does not allow that, those two tests are skipped and say why.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
import stat
import subprocess
from pathlib import Path

import duckdb
import pytest
from test_nightly import NightEnv, add_second_month, first_night

from speccomm.nightly import EXIT_CODES

pytestmark = pytest.mark.slow


@pytest.fixture
def env(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> NightEnv:
    copied = first_night(tmp_path_factory.getbasetemp()).copy(tmp_path / "env")
    add_second_month(copied)  # so that the night has work to do
    return copied


def _can_unshare() -> str | None:
    if shutil.which("unshare") is None:
        return "no unshare command"
    probe = subprocess.run(
        [
            "unshare",
            "-rm",
            "sh",
            "-c",
            "mount -t tmpfs -o size=1m tmpfs /mnt 2>&1 || mount -t tmpfs -o size=1m tmpfs /tmp 2>&1",
        ],
        capture_output=True,
        text=True,
    )
    return None if probe.returncode == 0 else f"cannot mount in a user namespace: {probe.stdout.strip()}"


def _in_namespace(setup: str, env: NightEnv, after: str = "") -> subprocess.CompletedProcess:
    nightly = shlex.join(env.args("nightly"))
    script = f"set -e; {setup}; set +e; {nightly}; code=$?; {after} exit $code"
    return subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, timeout=600)


def _one_clear_line(result: subprocess.CompletedProcess, step: str, words: str) -> None:
    assert result.returncode == EXIT_CODES[step], result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    failed = [line for line in result.stderr.splitlines() if line.startswith("speccomm nightly: FAILED")]
    assert len(failed) == 1 and words in failed[0], result.stderr


def test_a_missing_landing_folder_is_a_failed_night(env: NightEnv) -> None:
    shutil.rmtree(env.landing)  # the share is not mounted
    result = env.run("nightly")
    _one_clear_line(result, "load", "does not exist")
    last = env.runs()[-1]
    assert (last["status"], last["failed_step"]) == ("failed", "load") and "does not exist" in last["error"]


def test_a_full_disk_fails_the_night_with_its_step_code_and_a_run_log_row(
    env: NightEnv, tmp_path: Path
) -> None:
    if why := _can_unshare():
        pytest.skip(why)
    warehouse_dir = env.warehouse.parent
    keep = tmp_path / "kept"
    shutil.copytree(warehouse_dir, keep, symlinks=True)
    size_mb = sum(p.stat().st_size for p in keep.rglob("*") if p.is_file()) // (1 << 20) + 6
    result = _in_namespace(
        f"mount -t tmpfs -o size={size_mb}m tmpfs {shlex.quote(str(warehouse_dir))}; "
        f"cp -a {shlex.quote(str(keep))}/. {shlex.quote(str(warehouse_dir))}/",
        env,
        after=f"cp {shlex.quote(str(env.state / 'runs.sqlite'))} {shlex.quote(str(tmp_path))}/;",
    )
    step = next((s for s, code in EXIT_CODES.items() if code == result.returncode), None)
    assert step is not None, result.stdout + result.stderr
    _one_clear_line(result, step, "disk full")
    with sqlite3.connect(tmp_path / "runs.sqlite") as db:
        status, failed_step, error = db.execute(
            "select status, failed_step, error from run_log order by started_at desc limit 1"
        ).fetchone()
    assert (status, failed_step) == ("failed", step) and "disk full" in error


def test_a_read_only_warehouse_folder_fails_the_night_with_a_run_log_row(
    env: NightEnv, tmp_path: Path
) -> None:
    if why := _can_unshare():
        pytest.skip(why)
    warehouse_dir, state = env.warehouse.parent, env.state
    writable_state = tmp_path / "state"
    shutil.copytree(state, writable_state)
    result = _in_namespace(
        f"mount --bind {shlex.quote(str(warehouse_dir))} {shlex.quote(str(warehouse_dir))}; "
        f"mount -o remount,bind,ro {shlex.quote(str(warehouse_dir))}; "
        f"mount --bind {shlex.quote(str(writable_state))} {shlex.quote(str(state))}",
        env,
    )
    _one_clear_line(result, "load", "read-only file system")
    with sqlite3.connect(writable_state / "runs.sqlite") as db:
        status, failed_step, error = db.execute(
            "select status, failed_step, error from run_log order by started_at desc limit 1"
        ).fetchone()
    assert (status, failed_step) == ("failed", "load") and "read-only" in error
    # the whole folder read-only, the run log included: still a clear failure, not a traceback
    result = _in_namespace(
        f"mount --bind {shlex.quote(str(warehouse_dir))} {shlex.quote(str(warehouse_dir))}; "
        f"mount -o remount,bind,ro {shlex.quote(str(warehouse_dir))}",
        env,
    )
    _one_clear_line(result, "load", "read-only file system")


@pytest.mark.parametrize("command", ["extract", "export"])
def test_outputs_refuse_the_warehouses_own_files(command: str, env: NightEnv, tmp_path: Path) -> None:
    published = env.sha()
    version = next((env.warehouse.parent / "versions").glob("*.duckdb"))
    targets = [env.warehouse, version, env.state, env.state / "x.duckdb", env.warehouse.parent / "versions",
               env.build]
    link = tmp_path / "alias.duckdb"
    link.symlink_to(env.warehouse)
    targets.append(link)
    for target in targets:
        extra = ["--icb", "QKK"] if command == "extract" else []
        result = env.run(command, *extra, "--out", str(target))
        assert result.returncode == 1 and "refusing to write" in result.stderr, (target, result.stderr)
    assert env.sha() == published
    assert version.exists() and (env.state / "runs.sqlite").exists()
    ok = env.run(
        command,
        *(["--icb", "QKK"] if command == "extract" else []),
        "--out",
        str(tmp_path / ("x.duckdb" if command == "extract" else "export")),
    )
    assert ok.returncode == 0, ok.stderr


def _snapshot(folder: Path) -> dict[str, object]:
    """Every entry under `folder` (hidden ones too): its kind, and a regular file's bytes."""
    found: dict[str, object] = {}
    for path in sorted(folder.rglob("*")):
        mode = path.lstat().st_mode
        found[str(path.relative_to(folder))] = path.read_bytes() if stat.S_ISREG(mode) else stat.S_IFMT(mode)
    return found


def _not_regular_files(folder: Path) -> dict[Path, str]:
    """A pipe, and as root a character device with /dev/full's numbers (never the real one:
    the old code replaced the device it was given)."""
    pipe = folder / "a-pipe"
    os.mkfifo(pipe)
    made = {pipe: "a pipe"}
    if os.geteuid() == 0:
        device = folder / "a-device"
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 7))
        made[device] = "a device"
    return made


def test_extract_writes_only_a_new_regular_file_or_with_force(env: NightEnv, tmp_path: Path) -> None:
    outputs = tmp_path / "outputs"
    (outputs / "a-folder").mkdir(parents=True)
    existing = outputs / "existing.duckdb"
    existing.write_bytes(b"someone's file")
    refused = {outputs / "a-folder": "is a folder", existing: "exists: add --force",
               **_not_regular_files(outputs)}
    before = _snapshot(outputs)
    for target, why in refused.items():
        result = env.run("extract", "--icb", "QKK", "--out", str(target))
        assert result.returncode == 1, (target, result.stdout, result.stderr)
        assert why in result.stderr and "Traceback" not in result.stderr, (target, result.stderr)
    assert _snapshot(outputs) == before  # no _parquet folder, no temporary file, the pipe still a pipe
    forced = env.run("extract", "--icb", "QKK", "--out", str(existing), "--force")
    assert forced.returncode == 0, forced.stderr
    with duckdb.connect(str(existing), read_only=True) as con:
        assert con.execute("select count(*) from main.extract_manifest").fetchone()[0] > 0
    assert any((outputs / "existing_parquet").glob("*.parquet"))
    again = env.run("extract", "--icb", "QKK", "--out", str(existing))  # its folder and manifest exist too
    assert again.returncode == 1 and "--force" in again.stderr


def test_export_writes_only_into_a_new_or_empty_folder_or_with_force(env: NightEnv, tmp_path: Path) -> None:
    outputs = tmp_path / "outputs"
    (outputs / "full").mkdir(parents=True)
    (outputs / "full" / "mine.txt").write_text("keep me")
    (outputs / "a-file").write_text("not a folder")
    refused = {outputs / "a-file": "not a folder", outputs / "full": "not empty: add --force",
               **{path: "not a folder" for path in _not_regular_files(outputs)}}
    before = _snapshot(outputs)
    for target, why in refused.items():
        result = env.run("export", "--out", str(target))
        assert result.returncode == 1, (target, result.stdout, result.stderr)
        assert why in result.stderr and "Traceback" not in result.stderr, (target, result.stderr)
    assert _snapshot(outputs) == before
    forced = env.run("export", "--out", str(outputs / "full"), "--force")
    assert forced.returncode == 0, forced.stderr
    assert (outputs / "full" / "mine.txt").read_text() == "keep me"  # --force replaces, never empties
    assert (outputs / "full" / "manifest.json").exists() and any((outputs / "full").glob("marts/*.parquet"))
    (outputs / "empty").mkdir()
    assert env.run("export", "--out", str(outputs / "empty")).returncode == 0
    assert not [p for p in outputs.iterdir() if p.name.startswith(".")]  # no temporary folder left
