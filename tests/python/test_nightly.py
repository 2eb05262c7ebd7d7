"""`speccomm nightly` end to end, as an operator runs it (a subprocess): the lock, the run log,
the no-op second night, failure exit codes, atomic publishing under a real concurrent reader,
versions and rollback, the Parquet export and the per-ICB extract.

The first night is built once per session and shared by the workers (`first_night`, also used
by test_nightly_faults.py, test_docs_site.py and others); a test that changes anything works on
its own copy.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from conftest import write_core_landing
from landing_files import SLAM_HEADER, SUS_HEADER, slam_row, sus_row, write_csv
from shared_build import build_once
from speccomm.dbt_runner import code_fingerprint
from speccomm.publish.atomic import NoEarlierVersion, list_versions, publish_database, rollback_published
from speccomm.publish.extract import write_extract
from speccomm.publish.extract_rules import NotExtracted, Shared, marts_rules
from speccomm.publish.journal import complete_pending
from speccomm.runlock import EXIT_LOCKED, LockHeld, RunLock
from speccomm.state import StateLayout

pytestmark = pytest.mark.slow

Completed = subprocess.CompletedProcess
MALFORMED = "RJ1_ACM_2526_M04_20250810090000.csv"  # lacks the required `price` column


@dataclass(frozen=True)
class NightEnv:
    """A landing folder, a warehouse folder and an outbox, all under one root."""

    root: Path

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def warehouse(self) -> Path:
        return self.root / "wh" / "speccomm.duckdb"

    @property
    def build(self) -> Path:
        """The build file beside the published one (raw layer, staging, intermediate)."""
        return self.root / "wh" / "build.duckdb"

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    @property
    def state(self) -> Path:
        return self.root / "wh" / "state"

    def args(self, command: str, *extra: str) -> list[str]:
        locations = ["--landing", str(self.landing), "--warehouse", str(self.warehouse)]
        if command == "nightly":
            locations += ["--outbox", str(self.outbox)]
        return [sys.executable, "-m", "speccomm.cli", command, *locations, *extra]

    def run(self, command: str, *extra: str, env: dict[str, str] | None = None) -> Completed:
        return subprocess.run(
            self.args(command, *extra), env={**os.environ, **(env or {})},
            capture_output=True, text=True, timeout=600,
        )

    def start(self, command: str, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        return subprocess.Popen(
            self.args(command, *extra), env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )

    def copy(self, destination: Path) -> NightEnv:
        shutil.copytree(self.root, destination, symlinks=True)
        return NightEnv(destination)

    def query(self, sql: str) -> list[tuple]:
        """On the published file (the reader schemas only)."""
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql).fetchall()

    def build_query(self, sql: str) -> list[tuple]:
        """On the build file, which holds the raw layer."""
        with duckdb.connect(str(self.build), read_only=True) as con:
            return con.execute(sql).fetchall()

    def sha(self) -> str:
        return hashlib.sha256(self.warehouse.read_bytes()).hexdigest()

    def runs(self) -> list[dict]:
        with sqlite3.connect(self.state / "runs.sqlite") as db:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute("select * from run_log order by started_at, run_id")]


def first_night(base: Path) -> NightEnv:
    """The hand-made core landing plus a malformed file, through one nightly. Built once per
    session for every worker (shared_build.build_once; `base` is the caller's base temp
    folder): each worker reads its own copy, and a test that changes anything copies that."""
    return NightEnv(build_once(base, "first-night", _build_first_night))


def _build_first_night(root: Path) -> None:
    env = NightEnv(root)
    write_core_landing(env.landing)
    header_without_price = SLAM_HEADER[:-1]
    write_csv(env.landing / "slam" / MALFORMED, header_without_price, [slam_row("4")[:-1]])
    result = env.run("nightly")
    assert result.returncode == 0, result.stdout + result.stderr
    (env.root / "first-night.out").write_text(result.stdout)


def add_second_month(env: NightEnv) -> None:
    """New files for a second night: a SLAM M07 statement and a SUS June extract."""
    write_csv(env.landing / "slam" / "RJ1_ACM_2526_M07_20251110090000.csv", SLAM_HEADER, [
        slam_row("7", price="700.00"), slam_row("7", price="70.00", registration="QWE", residence="QWE"),
    ])
    write_csv(env.landing / "sus" / "APC_202506_20250715060000.csv", SUS_HEADER, [
        sus_row("J1", "2025-06-01"), sus_row("J2", "2025-06-02", registration="QWE", residence="QWE"),
    ])


@pytest.fixture(scope="session")
def first(tmp_path_factory: pytest.TempPathFactory) -> NightEnv:
    return first_night(tmp_path_factory.getbasetemp())


# --- the first night -----------------------------------------------------------------------


def test_first_night_publishes_one_version_and_logs_the_run(first: NightEnv) -> None:
    assert [v.name for v in list_versions(first.warehouse.parent / "versions")] == [
        first.runs()[0]["run_id"] + ".duckdb"
    ]
    [run] = first.runs()
    assert run["status"] == "succeeded" and run["kind"] == "nightly" and run["failed_step"] is None
    [(registered, rows)] = first.build_query("select count(*), sum(row_count) from raw.file_registry")
    assert (run["files_loaded"], run["rows_loaded"], run["files_rejected"]) == (registered, rows, 2)
    assert run["dbt_tests_passed"] > 0 and run["dbt_tests_failed"] == 0
    steps = {"load", "build", "quality", "reports", "deliver", "publish"}
    assert set(json.loads(run["step_seconds"])) == steps
    published_log = first.query("select run_id, status, files_loaded, dbt_tests_failed from ops.run_log")
    assert published_log == [(run["run_id"], "succeeded", registered, 0)]


def test_the_published_file_holds_the_reader_schemas_and_the_build_file_the_rest(first: NightEnv) -> None:
    """Readers see marts, dq, reference and ops; the raw layer, staging, intermediate and the
    check models stay in build.duckdb beside it, of the same night."""
    listed = "select distinct table_schema from information_schema.tables order by 1"
    assert [s for (s,) in first.query(listed)] == ["dq", "marts", "ops", "reference"]
    assert {"raw", "staging", "intermediate", "dq_checks"} <= {s for (s,) in first.build_query(listed)}
    last_night = "select max(run_id) from ops.run_log where status = 'succeeded'"
    assert first.query(last_night) == first.build_query(last_night) == [(first.runs()[-1]["run_id"],)]
    versions = first.warehouse.parent / "versions"
    assert [v.name for v in list_versions(versions / "build")] == [v.name for v in list_versions(versions)]


def test_a_malformed_file_is_rejected_and_reported_while_the_rest_lands(first: NightEnv) -> None:
    console = (first.root / "first-night.out").read_text()
    assert f"REJECTED slam/{MALFORMED}: missing required column price" in console
    assert first.query(f"select count(*) from dq.rejected_files where file_name = '{MALFORMED}'") == [(1,)]
    landed = [p for feed in ("slam", "sus", "ledger") for p in (first.landing / feed).iterdir()]
    assert first.build_query("select count(*) from raw.file_registry") == [(len(landed) - 2,)]
    assert first.query("select count(*) from marts.fct_contract_activity")[0][0] > 0


# --- nothing new, the lock, failures -----------------------------------------------------------


def test_a_second_night_with_nothing_new_changes_nothing_and_sends_nothing(
    first: NightEnv, tmp_path: Path
) -> None:
    env = first.copy(tmp_path / "env")
    if code_fingerprint() != env.runs()[0]["build_fingerprint"]:
        pytest.skip("the dbt project was edited since the first night: a rebuild is right")
    before, outbox_before = env.sha(), sorted(env.outbox.rglob("*"))
    build_before = hashlib.sha256(env.build.read_bytes()).hexdigest()
    versions_before = list_versions(env.warehouse.parent / "versions")
    result = env.run("nightly")
    assert result.returncode == 0, result.stderr
    assert "nothing to do" in result.stdout
    assert env.sha() == before
    assert hashlib.sha256(env.build.read_bytes()).hexdigest() == build_before
    assert sorted(env.outbox.rglob("*")) == outbox_before
    assert list_versions(env.warehouse.parent / "versions") == versions_before
    assert [r["status"] for r in env.runs()] == ["succeeded", "nothing_to_do"]


def test_a_night_after_a_project_change_rebuilds_the_incremental_models_afresh(
    first: NightEnv, tmp_path: Path
) -> None:
    """An upgrade may change an incremental model's table: the first night after it runs
    `dbt build --full-refresh` instead of reading the old table in a pre-hook."""
    env = first.copy(tmp_path / "env")
    env.build.chmod(0o644)
    with duckdb.connect(str(env.build)) as con:  # where the next night starts
        con.execute("update ops.run_log set build_fingerprint = 'an older project'")
        # the table as an older version left it: without the column the pre-hook reads
        con.execute("alter table intermediate.int_slam__rows_placed drop column reference_fingerprint")
    result = env.run("nightly")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "the dbt project changed since the published build" in result.stdout
    assert "full refresh" in result.stdout
    [(rows, fingerprints)] = env.build_query(
        "select count(*), count(distinct reference_fingerprint) from intermediate.int_slam__rows_placed"
    )
    assert rows > 0 and fingerprints == 1


def test_a_second_caller_is_refused_while_a_run_holds_the_lock(first: NightEnv, tmp_path: Path) -> None:
    env = first.copy(tmp_path / "env")
    (env.landing / "slam" / "RJ1_ACM_2526_M08_20251210090000.csv").write_text("not even a header")
    before = env.sha()
    with RunLock(env.state / "nightly.lock"):
        result = env.run("nightly")
    assert result.returncode == EXIT_LOCKED
    assert "another speccomm run holds" in result.stderr
    assert f"pid {os.getpid()}" in result.stderr and "nightly" in result.stderr
    assert env.sha() == before
    assert len(env.runs()) == 1  # the refused caller did not even start a run


def test_a_killed_holder_releases_the_lock(tmp_path: Path) -> None:
    lock_path = tmp_path / "nightly.lock"
    holder = subprocess.Popen([
        sys.executable, "-c",
        "import sys, time; from pathlib import Path; from speccomm.runlock import RunLock; "
        f"RunLock(Path({str(lock_path)!r})).acquire(); print('held', flush=True); time.sleep(600)",
    ], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    with pytest.raises(LockHeld):
        RunLock(lock_path).acquire()
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    RunLock(lock_path).acquire().release()


def test_a_failed_data_test_fails_the_night_naming_it_and_publishes_nothing(
    first: NightEnv, tmp_path: Path
) -> None:
    """The night's data tests run after its build, outside dbt (decision 0045): one that fails
    fails the build step, named with what it found, and nothing is published. The fault: the
    new month's days deleted from the build file's date dimension by hand, which a month night
    keeps (it reads only seeds), so the new month's activity points at no date."""
    env = first.copy(tmp_path / "env")
    before = env.sha()
    with duckdb.connect(str(env.build)) as con:
        con.execute("delete from marts.dim_date where date_key >= date '2025-06-01'")
    add_second_month(env)
    result = env.run("nightly")
    assert result.returncode == 12, result.stdout + result.stderr
    assert "FAILED at step 'build' (exit 12)" in result.stderr
    assert "data tests after the build:" in result.stdout
    assert "FAILED test.speccomm.relationships_" in result.stdout
    assert "data test(s) failed: test.speccomm.relationships_" in result.stderr
    assert "configured to fail if != 0" in result.stderr
    assert "dbt's last lines" not in result.stdout  # the build's log shows only its success
    assert env.sha() == before
    last = env.runs()[-1]
    assert (last["status"], last["failed_step"]) == ("failed", "build")
    assert last["dbt_tests_failed"] >= 1 and last["dbt_tests_passed"] > 0


def test_a_failed_build_exits_naming_the_step_and_publishes_nothing(first: NightEnv, tmp_path: Path) -> None:
    env = first.copy(tmp_path / "env")
    before = env.sha()
    # dbt itself exits 2 at once on a bad setting: a real dbt failure without a long build
    result = env.run("nightly", "--force", env={"DBT_PRINTER_WIDTH": "not-a-number"})
    assert result.returncode == 12, result.stdout + result.stderr
    assert "FAILED at step 'build' (exit 12)" in result.stderr
    assert "left untouched" in result.stderr
    assert env.sha() == before
    last = env.runs()[-1]
    assert (last["status"], last["failed_step"]) == ("failed", "build")
    assert env.query("select count(*) from ops.run_log") == [(1,)]  # the published log is as it was


def test_each_step_has_its_own_exit_status(first: NightEnv, tmp_path: Path) -> None:
    env = first.copy(tmp_path / "env")
    result = env.run("nightly", "--force", env={"SPECCOMM_TEST_FAIL_AT": "load"})
    assert result.returncode == 11
    assert "FAILED at step 'load' (exit 11)" in result.stderr


# --- a second night under concurrent readers, versions, rollback ------------------------------

READER = """
import json, sys, time, duckdb
path, ready, stop, out, mode = sys.argv[1:]
counts, errors = [], []
held = duckdb.connect(path, read_only=True) if mode == "held" else None
open(ready, "w").write("ready")
import os
while not os.path.exists(stop):
    try:
        if held is not None:
            counts.append(held.execute("select count(*) from ops.run_log").fetchone()[0])
        else:
            with duckdb.connect(path, read_only=True) as con:
                counts.append(con.execute("select count(*) from ops.run_log").fetchone()[0])
    except Exception as exc:
        errors.append(repr(exc))
    time.sleep(0.1 if held is not None else 0.3)  # opening a connection costs ~0.1 s of CPU
json.dump({"counts": counts, "errors": errors}, open(out, "w"))
"""


def _start_reader(env: NightEnv, folder: Path, mode: str) -> tuple[subprocess.Popen, Path]:
    ready, out = folder / f"{mode}.ready", folder / f"{mode}.json"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(env.warehouse), str(ready),
                               str(folder / "stop"), str(out), mode])
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert reader.poll() is None and time.monotonic() < deadline, "reader did not start"
        time.sleep(0.05)
    return reader, out


def test_readers_keep_working_through_a_publish_then_rollback_goes_back_one(
    first: NightEnv, tmp_path: Path
) -> None:
    env = first.copy(tmp_path / "env")
    first_sha, first_build = env.sha(), hashlib.sha256(env.build.read_bytes()).hexdigest()
    [(files_before,)] = env.build_query("select count(*) from raw.file_registry")
    [(nights_before,)] = env.query("select count(*) from ops.run_log")
    add_second_month(env)
    held, held_out = _start_reader(env, tmp_path, "held")
    fresh, fresh_out = _start_reader(env, tmp_path, "reconnecting")

    try:
        result = env.run("nightly")
        time.sleep(1.5)  # let the reconnecting reader open the new file a few times
    finally:  # never leave the readers running (a timed-out night must not leave them to a rerun)
        (tmp_path / "stop").write_text("stop")
        held.wait(timeout=60)
        fresh.wait(timeout=60)

    assert result.returncode == 0, result.stdout + result.stderr
    held_seen, fresh_seen = json.loads(held_out.read_text()), json.loads(fresh_out.read_text())
    assert held_seen["errors"] == [] and fresh_seen["errors"] == []
    assert set(held_seen["counts"]) == {nights_before}, "a connected reader keeps the file it opened"
    assert fresh_seen["counts"][0] == nights_before and fresh_seen["counts"][-1] == nights_before + 1
    assert fresh_seen["counts"] == sorted(fresh_seen["counts"]), "never an old file after the new one"
    assert env.build_query("select count(*) from raw.file_registry") == [(files_before + 2,)]
    assert len(list_versions(env.warehouse.parent / "versions")) == 2

    rolled = env.run("rollback")
    assert rolled.returncode == 0, rolled.stderr
    assert env.sha() == first_sha
    # the build file goes back with it: the next night loads the second month again
    assert hashlib.sha256(env.build.read_bytes()).hexdigest() == first_build
    again = env.run("rollback")
    assert again.returncode == 1 and "oldest version" in again.stderr
    assert [r["kind"] for r in env.runs()] == ["nightly", "nightly", "rollback", "rollback"]
    assert "rollback" in env.run("runs").stdout


def test_publishing_keeps_the_newest_versions_and_rollback_walks_back(tmp_path: Path) -> None:
    published = tmp_path / "wh" / "speccomm.duckdb"
    layout = StateLayout(published)
    versions = layout.versions_dir
    for night in range(1, 5):
        working = tmp_path / f"work{night}.duckdb"
        with duckdb.connect(str(working)) as con:
            con.execute(f"create schema marts; create table marts.night as select {night} as n")
            con.execute(f"create schema raw; create table raw.night as select {night} as n")
        publish_database(working, layout, version_name=f"2025010{night}T000000Z", keep=3)
        assert not working.exists()  # moved into place as the build file, not copied
    assert [v.stem for v in list_versions(versions)] == [f"2025010{n}T000000Z" for n in (2, 3, 4)]
    kept = [f"2025010{n}T000000Z" for n in (2, 3, 4)]
    assert [v.stem for v in list_versions(layout.build_versions_dir)] == kept
    assert os.path.samefile(published, versions / "20250104T000000Z.duckdb")
    assert os.path.samefile(layout.build_file, layout.build_versions_dir / "20250104T000000Z.duckdb")
    assert published.stat().st_mode & 0o777 == 0o644  # other accounts' BI tools can read it

    def night() -> tuple[int, int]:
        """(the published night, the build file's night): always the same."""
        with duckdb.connect(str(published), read_only=True) as con:
            raw = con.execute("select count(*) from duckdb_tables() where schema_name = 'raw'").fetchone()
            assert raw == (0,)
            readers = con.execute("select n from marts.night").fetchone()[0]
        with duckdb.connect(str(layout.build_file), read_only=True) as con:
            return readers, con.execute("select n from raw.night").fetchone()[0]

    assert night() == (4, 4)
    rollback_published(layout)
    assert night() == (3, 3)
    rollback_published(layout)
    assert night() == (2, 2)
    with pytest.raises(NoEarlierVersion):
        rollback_published(layout)
    assert sorted(p.name for p in (versions / "rolled-back").iterdir() if p.is_file()) == [
        "20250103T000000Z.duckdb", "20250104T000000Z.duckdb"
    ]
    assert sorted(p.name for p in (versions / "rolled-back" / "build").iterdir()) == [
        "20250103T000000Z.duckdb", "20250104T000000Z.duckdb"
    ]
    assert not list(published.parent.glob(".*publishing"))
    assert not layout.publish_journal.exists()


def _night_file(tmp_path: Path, night: int) -> Path:
    working = tmp_path / "work" / f"{night}" / "speccomm.duckdb"
    working.parent.mkdir(parents=True)
    with duckdb.connect(str(working)) as con:
        con.execute(f"create schema marts; create table marts.night as select {night} as n")
        con.execute(f"create schema raw; create table raw.night as select {night} as n")
    return working


def _nights(layout: StateLayout) -> tuple[int, int]:
    """(the published file's night, the build file's night)."""
    with duckdb.connect(str(layout.warehouse), read_only=True) as con:
        published = con.execute("select n from marts.night").fetchone()[0]
    with duckdb.connect(str(layout.build_file), read_only=True) as con:
        return published, con.execute("select n from raw.night").fetchone()[0]


def _crash_at_rename(monkeypatch: pytest.MonkeyPatch, number: int) -> None:
    """os.replace fails from its `number`-th call on, as if the power went there."""
    real, calls = os.replace, []

    def replace(source: object, target: object) -> None:
        calls.append(target)
        if len(calls) >= number:
            raise OSError("power cut (test)")
        real(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", replace)


def test_a_publish_cut_after_its_commit_is_finished_by_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The journal's rename is the commit: cut after it, between the two files' renames, the
    published file is of night 2 and the build file of night 1 until the next run (nightly or
    rollback) finishes the journal first thing."""
    layout = StateLayout(tmp_path / "wh" / "speccomm.duckdb")
    publish_database(_night_file(tmp_path, 1), layout, version_name="20250101T000000Z", keep=3)
    _crash_at_rename(monkeypatch, 3)  # 1 the journal, 2 the published file, 3 the build file
    with pytest.raises(OSError, match="power cut"):
        publish_database(_night_file(tmp_path, 2), layout, version_name="20250102T000000Z", keep=3)
    monkeypatch.undo()
    assert _nights(layout) == (2, 1) and layout.publish_journal.exists()
    finished = complete_pending(layout.publish_journal)
    assert finished is not None and finished.published_version == "20250102T000000Z.duckdb"
    assert _nights(layout) == (2, 2) and not layout.publish_journal.exists()
    assert os.path.samefile(layout.build_file, layout.build_versions_dir / "20250102T000000Z.duckdb")
    assert os.path.samefile(layout.warehouse, layout.versions_dir / "20250102T000000Z.duckdb")
    assert complete_pending(layout.publish_journal) is None  # done once, nothing left


def test_a_publish_cut_before_its_commit_leaves_both_files_as_they_were(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = StateLayout(tmp_path / "wh" / "speccomm.duckdb")
    publish_database(_night_file(tmp_path, 1), layout, version_name="20250101T000000Z", keep=3)
    _crash_at_rename(monkeypatch, 1)  # the journal's own rename: no commit
    with pytest.raises(OSError, match="power cut"):
        publish_database(_night_file(tmp_path, 2), layout, version_name="20250102T000000Z", keep=3)
    monkeypatch.undo()
    assert not layout.publish_journal.exists() and complete_pending(layout.publish_journal) is None
    assert _nights(layout) == (1, 1)
    assert not list(layout.root.glob(".*publishing"))
    assert [v.stem for v in list_versions(layout.versions_dir)] == ["20250101T000000Z"]


def test_rollback_to_a_version_kept_before_build_files_splits_it(tmp_path: Path) -> None:
    """A version published before build files were kept is a whole build: rolled back to, it
    becomes the build file and its reader schemas the published file."""
    layout = StateLayout(tmp_path / "wh" / "speccomm.duckdb")
    layout.versions_dir.mkdir(parents=True)
    for night in (1, 2):
        shutil.move(_night_file(tmp_path, night), layout.versions_dir / f"2025010{night}T000000Z.duckdb")
    os.link(layout.versions_dir / "20250102T000000Z.duckdb", layout.warehouse)
    rollback_published(layout)
    assert _nights(layout) == (1, 1)
    with duckdb.connect(str(layout.warehouse), read_only=True) as con:
        raw = con.execute("select count(*) from duckdb_tables() where schema_name = 'raw'").fetchone()
    assert raw == (0,)
    assert os.path.samefile(layout.warehouse, layout.versions_dir / "20250101T000000Z.duckdb")
    assert os.path.samefile(layout.build_file, layout.build_versions_dir / "20250101T000000Z.duckdb")


# --- export and extract ----------------------------------------------------------------------


def test_export_writes_every_mart_and_dq_table_as_parquet(first: NightEnv, tmp_path: Path) -> None:
    out = tmp_path / "export"
    result = first.run("export", "--format", "parquet", "--out", str(out))
    assert result.returncode == 0, result.stderr
    tables = first.query(
        "select table_schema, table_name from information_schema.tables"
        " where table_schema in ('marts', 'dq') order by 1, 2"
    )
    assert sorted((p.parent.name, p.stem) for p in out.rglob("*.parquet")) == sorted(tables)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["published_run_id"] == first.runs()[0]["run_id"]
    for schema, table in tables:
        parquet_file = out / schema / f"{table}.parquet"
        parquet = duckdb.sql(f"select count(*) from read_parquet('{parquet_file}')").fetchall()[0]
        assert parquet == first.query(f'select count(*) from {schema}."{table}"')[0]


def _hosted_by(con: duckdb.DuckDBPyConnection, icb: str) -> set[str]:
    return {p for (p,) in con.execute(
        "select provider_code from marts.dim_provider where host_icb_code = ?", [icb]
    ).fetchall()}


@pytest.mark.parametrize("icb", ["QKK", "QWE"])
def test_extract_holds_only_the_icbs_own_patients_and_providers(
    first: NightEnv, tmp_path: Path, icb: str
) -> None:
    out = tmp_path / "extract" / f"{icb.lower()}.duckdb"
    result = first.run("extract", "--icb", icb.lower(), "--out", str(out))
    assert result.returncode == 0, result.stderr
    published = {t for (t,) in first.query(
        "select table_name from information_schema.tables where table_schema = 'marts'"
    )}
    rules = marts_rules()
    shared = {t for t, rule in rules.items() if isinstance(rule, Shared)}
    extractable = {t for t, rule in rules.items() if not isinstance(rule, NotExtracted)}
    with duckdb.connect(str(out), read_only=True) as con:
        hosted = _hosted_by(con, icb)
        exported = {t for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()}
        assert exported == published & extractable
        for table in sorted(exported - shared):
            _assert_no_foreign_rows(con, table, icb, hosted)
        for table in sorted(exported & shared):
            whole = first.query(f"select count(*) from marts.{table}")
            assert con.execute(f"select count(*) from marts.{table}").fetchall() == whole
        extracted = con.execute("select count(*) from marts.fct_contract_activity").fetchone()[0]
    [(expected, total)] = first.query(
        f"select count(*) filter (where attributed_icb_code = '{icb}' or provider_code in"
        f" (select provider_code from marts.dim_provider where host_icb_code = '{icb}')), count(*)"
        " from marts.fct_contract_activity"
    )
    assert extracted == expected
    if icb == "QWE":  # RJ1, the core landing's provider, is hosted by QKK: QWE sees its patients only
        assert 0 < expected < total
    parquet = out.with_name(f"{icb.lower()}_parquet") / "fct_contract_activity.parquet"
    assert duckdb.sql(f"select count(*) from read_parquet('{parquet}')").fetchall() == [(expected,)]


def _assert_no_foreign_rows(con: duckdb.DuckDBPyConnection, table: str, icb: str, hosted: set[str]) -> None:
    """Every row names the ICB in some ICB column, or a provider the ICB hosts."""
    columns = [c for (c,) in con.execute(
        "select column_name from information_schema.columns where table_schema = 'marts' and table_name = ?",
        [table],
    ).fetchall()]
    icb_columns = [c for c in columns if c.endswith("icb_code") or c == "entity_code"]
    provider_columns = [c for c in columns if c in ("provider_code", "supplier_code")]
    assert icb_columns or provider_columns, f"{table}: nothing to tell whose row it is"
    selected = ", ".join(icb_columns + provider_columns)
    for row in con.execute(f"select {selected} from marts.{table}").fetchall():
        icbs, providers = row[: len(icb_columns)], row[len(icb_columns):]
        assert icb in icbs or any(p in hosted for p in providers), f"{table} leaks {row}"


def _synthetic_warehouse(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.dim_icb as select * from (values ('QKK', 'QKK', false),"
                    " ('QWE', 'QWE', false)) t(icb_code, current_icb_code, is_unknown_member)")
        con.execute("create table marts.dim_provider as select * from (values ('RJ1', 'QKK'), ('RAX', 'QWE'))"
                    " t(provider_code, host_icb_code)")
        con.execute("create table marts.fct_contract_activity as select * from (values"
                    " ('QKK', 'QKK', 'RAX', 1), ('QWE', 'QWE', 'RJ1', 2), ('QWE', 'QWE', 'RAX', 3),"
                    " (null, null, 'RAX', 4))"
                    " t(attributed_icb_code, attributed_current_icb_code, provider_code, price)")
        con.execute("create table marts.rpt_allocation_impact as select * from (values"
                    " ('QKK', 10), ('QWE', 20), (null, 30)) t(icb_code, gbp)")
        # a rule naming a column the table lacks, and a mart nobody wrote a rule for
        con.execute("create table marts.fct_icb_spend_monthly as select 'QWE' as icb, 5 as gbp")
        con.execute("create table marts.rpt_brand_new_mart as select 'QWE' as icb_code, 1 as n")


def test_extract_fails_closed_on_a_mart_without_a_fitting_rule(tmp_path: Path) -> None:
    published = tmp_path / "published.duckdb"
    _synthetic_warehouse(published)
    out = tmp_path / "extract.duckdb"
    taken, withheld = write_extract(published, "QKK", out)
    assert {w.table for w in withheld} == {"marts.rpt_brand_new_mart", "marts.fct_icb_spend_monthly"}
    with duckdb.connect(str(out), read_only=True) as con:
        prices = con.execute("select price from marts.fct_contract_activity order by 1").fetchall()
        assert prices == [(1,), (2,)]
        assert con.execute("select icb_code from marts.rpt_allocation_impact").fetchall() == [("QKK",)]
        assert con.execute(
            "select count(*) from information_schema.tables where table_name in"
            " ('rpt_brand_new_mart', 'fct_icb_spend_monthly')"
        ).fetchone()[0] == 0
        assert con.execute("select count(*) from extract_manifest where not exported").fetchone()[0] == 2
    assert sorted(p.name for p in (tmp_path / "extract_parquet").iterdir()) == sorted(
        t.table.split(".")[1] + ".parquet" for t in taken
    )


def test_extract_refuses_an_unknown_icb(first: NightEnv, tmp_path: Path) -> None:
    result = first.run("extract", "--icb", "ZZZ", "--out", str(tmp_path / "zzz.duckdb"))
    assert result.returncode == 1 and "ZZZ is not in marts.dim_icb" in result.stderr, result.stderr
    assert not (tmp_path / "zzz.duckdb").exists()


@pytest.mark.parametrize("name", ["marts.duckdb", "Raw.duckdb"])
def test_a_warehouse_file_named_like_a_schema_is_refused_before_anything_runs(
    tmp_path: Path, name: str
) -> None:
    env = NightEnv(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "speccomm.cli", "nightly", "--landing", str(env.landing),
         "--warehouse", str(tmp_path / "wh" / name), "--outbox", str(env.outbox)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    assert f"warehouse file {tmp_path / 'wh' / name}" in result.stderr
    assert "Choose another file name" in result.stderr
    assert not (tmp_path / "wh").exists()
