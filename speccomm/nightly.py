"""The night, in order: load new files → dbt build → data-quality checks → provider reports →
delivery → publish.

Everything happens in a working copy of the build file (`work/<run id>/`, a copy of
`build.duckdb` beside the published file: the last published night's whole build); the
published file readers use (its reader schemas only) and the build file are replaced together,
atomically, only at the very end and only when every
step succeeded — in particular only when `dbt build` exited 0, i.e. every model built and every
dbt test of severity `error` passed. Data-quality checks on provider data (speccomm.quality)
never block publishing: their failures are findings about the providers' data, reported to
the providers, not faults of the build. One run at a time (state/nightly.lock); a run log
row per run (state/runs.sqlite, mirrored as ops.run_log). See docs/operations.md.
"""

from __future__ import annotations

import errno
import re
import shutil
import signal
import sqlite3
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from secrets import token_hex
from types import FrameType
from typing import TYPE_CHECKING, Any

import duckdb

from speccomm.config import ENGINES, Paths
from speccomm.dbt_runner import (
    BuildFailed,
    KeptParse,
    build_fingerprint,
    build_warehouse,
    dbt_target_path,
    dbt_test_counts,
    nightly_selector,
    nightly_vars,
    seed_digest,
)
from speccomm.dbt_runner.data_tests import (
    DUCKDB_TESTS_PER_QUERY,
    DataTestsFailed,
    batched_data_tests,
    duckdb_statements,
    run_data_tests_batched,
)
from speccomm.footprint import footprint_notes
from speccomm.load import load_landing
from speccomm.load.entries import LandingUnavailable, check_landing_root
from speccomm.load.raw_layer import remove_unheld
from speccomm.load.reference import (
    ReferenceFolder,
    keep_accepted,
    read_reference_folder,
    record_reference_folder,
    write_seed_overlay,
)
from speccomm.memory_limit import duckdb_config
from speccomm.pack.night import write_night_pack
from speccomm.pending import built_by_other_code, published_state, why_build
from speccomm.progress import Ticker, dbt_progress, format_seconds, strip_ansi
from speccomm.publish.atomic import ROLLED_BACK, publish_database, remove_stale_stages
from speccomm.publish.comments import comment_sources
from speccomm.publish.holders import EXIT_WAREHOUSE_HELD, WarehouseHeld, refuse_writers
from speccomm.publish.journal import complete_pending
from speccomm.publish.storage import BadStorageVersion, storage_version
from speccomm.quality.tables import ensure_tables as ensure_dq_tables
from speccomm.relations import relation_exists
from speccomm.runlock import EXIT_LOCKED, LockHeld, RunLock
from speccomm.runlog import (
    FAILED,
    INTERRUPTED,
    NOTHING_TO_DO,
    RUNNING,
    SUCCEEDED,
    RunLog,
    RunRecord,
    utc_now,
)
from speccomm.safe_text import printable
from speccomm.state import StateLayout, keep_versions
from speccomm.test_hooks import run_test_hooks

if TYPE_CHECKING:
    from speccomm.delivery import RunSummaryMessage
    from speccomm.reports import ProviderReport

STEPS: tuple[tuple[str, str], ...] = (
    ("load", "load new landing files into a working copy"),
    ("build", "dbt build: every model and every data test"),
    ("quality", "data-quality checks on the slices that changed"),
    ("reports", "provider data-quality reports"),
    ("deliver", "send the reports (SMTP, else the outbox)"),
    ("publish", "swap the new warehouse in for readers, and the new build file beside it"),
)
EXIT_CODES = {name: 10 + number for number, (name, _) in enumerate(STEPS, start=1)}
EXIT_NOT_STARTED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
# the late or missing submissions the run's summary lists (models/dq/report/)
LATE_SUBMISSIONS = "dq_checks.rpt_dq_late_submissions"
_STEP_FAULTS = {
    "load": "; also a fault before the first step (landing folder missing, lock or run log not writable)",
    "publish": "; also a fault after the last step",
}
# Every exit status of `speccomm nightly`, with its meaning: the one table. `speccomm --help`
# and `speccomm nightly --help` print it; docs/operations.md's table is checked against it
# (tests/python/test_cli.py).
EXIT_STATUS: dict[int, str] = {
    0: "the night succeeded (published), or there was nothing to do",
    EXIT_NOT_STARTED: "a bad SPECCOMM_STORAGE_VERSION: not started (logged in the run log)",
    EXIT_USAGE: "bad command-line arguments, or a --footprint / SPECCOMM_FOOTPRINT naming an unknown "
    "ICB: not started",
    **{EXIT_CODES[name]: f"step '{name}' failed: {what}{_STEP_FAULTS.get(name, '')}" for name, what in STEPS},
    EXIT_LOCKED: "another run holds the lock: nothing done, try again later",
    EXIT_WAREHOUSE_HELD: "a client holds the published warehouse open read-write: nothing done "
    "(the message names its process)",
    EXIT_INTERRUPTED: "interrupted (SIGINT / SIGTERM): nothing published",
}


class StepFailed(RuntimeError):
    def __init__(self, step: str, cause: BaseException) -> None:
        super().__init__(f"step '{step}' failed: {cause}")
        self.step = step
        self.cause = cause


class Interrupted(BaseException):
    """SIGTERM (systemd stop, kill) or SIGINT: stop where we are, publish nothing."""


@dataclass(frozen=True)
class NightlyOptions:
    revalidate_all: bool = False
    send_only_changed: bool = True
    force: bool = False
    keep_versions: int = 3
    verbose: bool = False
    footprint: list[str] | str | None = None  # None: dbt_project.yml's default (speccomm.config)
    engine: str = "duckdb"  # ENGINES: where dbt builds (docs/scale-out.md)


def run_nightly(
    paths: Paths,
    *,
    revalidate_all: bool = False,
    send_only_changed: bool = True,
    force: bool = False,
    keep: int | None = None,
    verbose: bool = False,
    footprint: list[str] | str | None = None,
    engine: str = "duckdb",
) -> int:
    """Run the night; returns the exit status (0 when it succeeded or had nothing to do).
    `footprint` comes checked from speccomm.footprint.resolve_footprint; `engine` is one of ENGINES."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: one of {', '.join(ENGINES)}")
    options = NightlyOptions(revalidate_all, send_only_changed, force, keep_versions(keep), verbose,
                             footprint, engine)
    layout = StateLayout.of(paths)
    try:
        lock = RunLock(layout.lock_path).acquire()
    except LockHeld as held:
        print(f"speccomm nightly: not started: {held}. Exit {EXIT_LOCKED}: try again when it has "
              "finished.", file=sys.stderr)
        return EXIT_LOCKED
    except OSError as exc:  # a read-only or full warehouse folder: no run log can be written either
        code = EXIT_CODES["load"]
        print(f"speccomm nightly: FAILED before the first step (exit {code}): cannot take the run lock "
              f"{layout.lock_path}: {describe_fault(exc)}", file=sys.stderr)
        return code
    try:
        with _signals_as_interrupts():
            try:
                night = Night(paths, layout, options)
            except (OSError, sqlite3.Error) as exc:
                code = EXIT_CODES["load"]
                print(f"speccomm nightly: FAILED before the first step (exit {code}): cannot open the run "
                      f"log {layout.runs_db}: {describe_fault(exc)}", file=sys.stderr)
                return code
            return night.run()
    finally:
        _quietly(lock.release)


@dataclass
class Night:
    paths: Paths
    layout: StateLayout
    options: NightlyOptions
    record: RunRecord = field(init=False)
    runlog: RunLog = field(init=False)
    reports: list[ProviderReport] = field(default_factory=list)
    late: list[str] = field(default_factory=list)
    rejected_new: list[tuple[str, str]] = field(default_factory=list)
    rejected_still: int = 0
    replaced: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reference: ReferenceFolder = field(default_factory=ReferenceFolder)
    reference_changed: bool = False  # since the published build: every slice is checked again
    footprint_notes: list[str] = field(default_factory=list)  # a footprint ICB followed to its successor

    def __post_init__(self) -> None:
        run_id = utc_now().strftime("%Y%m%dT%H%M%SZ") + "-" + token_hex(2)
        self.record = RunRecord(run_id=run_id)
        self.runlog = RunLog(self.layout.runs_db)

    @property
    def run_id(self) -> str:
        return self.record.run_id

    @property
    def working_copy(self) -> Path:
        return self.layout.working_copy(self.run_id)

    # --- the run -------------------------------------------------------------------------

    def run(self) -> int:
        """The night; any error, inside a step or not, ends it with a step's exit status."""
        try:
            return self._run()
        except StepFailed as failure:
            return self._failed(failure)
        except Exception as exc:  # outside the steps: tidying, the run log, the summary
            done = [name for name, seconds in self.record.step_seconds.items() if seconds >= 0]
            return self._failed(StepFailed(self._current_step() or ("publish" if done else "load"), exc))

    def _run(self) -> int:
        try:
            refuse_writers(self.paths.warehouse, self.layout.build_file)  # before any file is renamed
            self._tidy_after_earlier_runs()
            self.record.build_fingerprint = build_fingerprint(self.options.footprint, self.options.engine)
            storage_version()  # a bad setting fails now, not after the whole build
            check_landing_root(self.paths.landing)  # missing or unreadable: a failed night, not a quiet one
            reason = "--force" if self.options.force else why_build(
                self.paths.landing, self.layout.state_source(), self.record.build_fingerprint
            )
        except LandingUnavailable as exc:
            self.record.reason = "the landing folder is unavailable"
            raise StepFailed("load", exc) from exc
        except (WarehouseHeld, BadStorageVersion) as exc:
            return self._not_started(exc)
        if reason is None:
            return self._nothing_to_do()
        self.record.reason = reason
        self.runlog.save(self.record)
        print(f"speccomm nightly {self.run_id}: {reason}")
        print(f"  landing {printable(self.paths.landing)}\n  warehouse {printable(self.paths.warehouse)}")
        try:
            for number, (name, title, action) in enumerate(self._steps(), start=1):
                self._step(number, name, title, action)
        except Interrupted:
            self.record.failed_step = self._current_step()
            self.record.step_seconds = {k: v for k, v in self.record.step_seconds.items() if v >= 0}
            self.record.finish(INTERRUPTED)
            self.runlog.save(self.record)
            print(f"speccomm nightly: INTERRUPTED during {self.record.failed_step}; "
                  f"{self.paths.warehouse} left untouched.", file=sys.stderr)
            return EXIT_INTERRUPTED
        self._pack()
        self.runlog.save(self.record)
        self._print_summary()
        shutil.rmtree(self.layout.work_dir(self.run_id), ignore_errors=True)
        return 0

    def _steps(self) -> tuple[tuple[str, str, Callable[[], None]], ...]:
        """The night's steps in order, each with the method that does it (STEPS names them)."""
        actions = (self._load, self._build, self._quality, self._reports, self._deliver, self._publish)
        return tuple((name, title, action) for (name, title), action in zip(STEPS, actions, strict=True))

    def _step(self, number: int, name: str, title: str, action: Callable[[], None]) -> None:
        print(f"[{number}/{len(STEPS)}] {name}: {title}", flush=True)
        self.record.step_seconds[name] = -1.0  # in progress (read by _current_step)
        started = time.monotonic()
        detail = dbt_progress(self._dbt_log_dir() / "dbt-console.log") if name == "build" else None
        try:
            run_test_hooks(name, self.layout.state_dir)
            with Ticker(name, detail):
                action()
        except Exception as exc:
            self.record.step_seconds[name] = round(time.monotonic() - started, 1)
            raise StepFailed(name, exc) from exc
        elapsed = time.monotonic() - started
        self.record.step_seconds[name] = round(elapsed, 1)
        print(f"      {name} done in {format_seconds(elapsed)}", flush=True)

    def _current_step(self) -> str | None:
        running = [name for name, seconds in self.record.step_seconds.items() if seconds < 0]
        return running[-1] if running else None

    # --- the steps -----------------------------------------------------------------------

    def _load(self) -> None:
        self.working_copy.parent.mkdir(parents=True, exist_ok=True)
        source = self.layout.state_source()  # the build file (before the first night: none)
        if source is not None:
            shutil.copyfile(source, self.working_copy)
        with duckdb.connect(str(self.working_copy), config=duckdb_config()) as con:
            rejected_before = _rejected_files(con)
            summary = load_landing(con, self.paths.landing, self.layout.raw_dir)
            ensure_dq_tables(con)  # with their keys, before dbt's DQMI views are bound to them
            self.reference = read_reference_folder(self.paths.landing, self.layout.kept_reference_dir)
            reference_rejected = record_reference_folder(con, self.reference)
        self.rejected_new = [(f, why) for f, why in summary.rejected if f not in rejected_before]
        self.rejected_still = len(summary.rejected) - len(self.rejected_new)
        self.rejected_new += reference_rejected
        self.rejected_still += len(self.reference.rejected) - len(reference_rejected)
        self.record.reference_version = self.reference.version
        self.record.reference_digest = self.reference.digest
        published = published_state(self.layout.state_source())
        self.reference_changed = (
            published is not None and published.reference_digest != self.reference.digest
        )
        self.record.files_loaded = summary.files_loaded
        self.record.files_duplicate = summary.files_duplicate
        self.record.files_rejected = len(self.rejected_new)
        self.record.rows_loaded = summary.rows_loaded
        self.replaced = summary.replaced
        print(f"      {summary.files_loaded} file(s) loaded ({summary.files_duplicate} re-sent "
              f"duplicates), {summary.rows_loaded:,} rows; {len(self.rejected_new)} rejected")
        for name, why in self.rejected_new:
            print(f"      REJECTED {printable(name)}: {printable(why)}")
        for name, what in self.replaced:
            print(f"      REPLACED {printable(name)}: {printable(what)}")
        changed = " (changed since the published build: every slice is checked again)"
        print(f"      reference data: {self.reference.version}" + (changed if self.reference_changed else ""))
        self.footprint_notes = footprint_notes(self.options.footprint, self.reference)
        for note in self.footprint_notes:
            print(f"      {note}")

    def _build(self) -> None:
        started = time.time()
        failure: BuildFailed | None = None
        full_refresh = built_by_other_code(self.layout.state_source(), self.record.build_fingerprint or "")
        if full_refresh:
            print("      the published warehouse was built by another version of the project: full refresh")
        elif self.replaced:  # the incremental models hold rows of the versions replaced
            full_refresh = True
            print(f"      {len(self.replaced)} landing file(s) replaced by a later version: full refresh")
        try:  # build_warehouse logs to <working copy folder>/logs, i.e. _dbt_log_dir()
            seeds = write_seed_overlay(self.reference, self.layout.seed_overlay_dir)
            self.record.seed_digest = seed_digest(seeds)
            # --force: an operator asking for a build gets every node built and tested
            load_seeds = full_refresh or self.options.force or self._seeds_changed()
            if not load_seeds:  # selectors.yml nightly_seeds_loaded (decision 0041)
                print("      views: left as the published build defined them (their data tests run)")
            if self.options.engine == "spark":
                from speccomm.spark.night import build_night_on_spark

                build_night_on_spark(
                    self.working_copy, raw_parquet=self.layout.raw_dir,
                    spark_dir=self.layout.work_dir(self.run_id) / "spark", seed_path=seeds,
                    footprint=self.options.footprint, echo=self.options.verbose,
                    full_refresh=full_refresh, load_seeds=load_seeds,
                )
            else:
                self._build_on_duckdb(seeds, full_refresh=full_refresh, load_seeds=load_seeds)
        except BuildFailed as exc:
            failure = exc
        counts = dbt_test_counts(dbt_target_path(self.working_copy), since=started)
        if counts is not None:
            passed, failed, warned, failures = counts
            self.record.dbt_tests_passed, self.record.dbt_tests_failed = passed, failed
            self.record.dbt_tests_warned = warned
            print(f"      dbt tests: {passed} passed, {failed} failed, {warned} warned")
            for node in failures[:10]:
                print(f"      FAILED {node}")
        if failure is not None:
            # a failed data test is named above, with what it found; dbt's build log would
            # only show the build that succeeded before the tests ran
            if not self.options.verbose and not isinstance(failure, DataTestsFailed):
                _print_log_tail(self._dbt_log_dir() / "dbt-console.log")
            raise failure

    def _build_on_duckdb(self, seeds: Path | None, *, full_refresh: bool, load_seeds: bool) -> None:
        """`dbt build` with the parse kept between nights (speccomm.dbt_runner.KeptParse); says
        whether dbt reused it. The data tests run after the build, compiled by dbt and run here
        one query each (speccomm.dbt_runner.data_tests, docs/decisions/0045), unless
        SPECCOMM_BATCH_DATA_TESTS=0 keeps them in dbt's build."""
        kept = KeptParse(self.layout.dbt_parse_dir)
        had_parse = kept.parse_file.exists()
        batched = batched_data_tests()
        try:
            build_warehouse(
                self.working_copy, echo=self.options.verbose, full_refresh=full_refresh, seed_path=seeds,
                footprint=self.options.footprint, kept_parse=kept, load_seeds=load_seeds,
                data_tests=not batched,
            )
        finally:
            if parsed := kept.how_parsed(self._dbt_log_dir() / "dbt-console.log", had_parse=had_parse):
                print(f"      {parsed}")
        if batched:
            run_data_tests_batched(
                self.working_copy, lambda: duckdb_statements(self.working_copy), seed_path=seeds,
                echo=self.options.verbose, kept_parse=kept, per_query=DUCKDB_TESTS_PER_QUERY,
                selector=nightly_selector(load_seeds=load_seeds, full_refresh=full_refresh),
                dbt_vars=nightly_vars(self.options.footprint),
            )

    def _seeds_changed(self) -> bool:
        """Whether tonight's seed files differ from those the published build loaded (then
        dbt loads every seed again; else the working copy's seed tables are those very rows,
        and the night spends nothing on them). Without a recorded digest: changed."""
        published = published_state(self.layout.state_source())
        changed = published is None or published.seed_digest != self.record.seed_digest
        if not changed:
            print("      seeds: the files the published build loaded, not loaded again")
        return changed

    def _quality(self) -> None:
        from speccomm.quality.runner import run_quality_checks

        with duckdb.connect(str(self.working_copy), config=duckdb_config()) as con:
            # a slice's data-quality fingerprint knows its rows, not the reference data they are
            # checked against: after a reference change every slice is checked again
            revalidate_all = self.options.revalidate_all or self.reference_changed
            summary = run_quality_checks(
                con, self.run_id, self.record.started_at, revalidate_all=revalidate_all
            )
            self.late = _late_submissions(con, self.run_id)
        for column, attribute in (
            ("dq_slices_validated", "slices_validated"), ("dq_slices_skipped", "slices_skipped_unchanged"),
            ("dq_results_written", "results_written"), ("dq_checks_failed", "checks_failed"),
            ("dq_checks_warned", "checks_warned"),
        ):
            setattr(self.record, column, getattr(summary, attribute))
        self.record.late_submissions = len(self.late)
        print(f"      {self.record.dq_slices_validated} slice(s) checked "
              f"({self.record.dq_slices_skipped} unchanged, skipped); checks failed "
              f"{self.record.dq_checks_failed}, warned {self.record.dq_checks_warned}")

    def _reports(self) -> None:
        from speccomm.reports import build_provider_reports

        out_dir = self.layout.reports_root / self.run_id
        with duckdb.connect(str(self.working_copy), config=duckdb_config()) as con:
            self.reports = build_provider_reports(con, self.run_id, out_dir)
        self.record.reports_built = len(self.reports)
        print(f"      {len(self.reports)} provider report(s) in {out_dir}")

    def _deliver(self) -> None:
        from speccomm.delivery import deliver_reports

        summary = deliver_reports(
            self.reports,
            outbox=self.paths.outbox,
            state_path=self.layout.delivery_db,
            send_only_changed=self.options.send_only_changed,
            run_summary=self._run_summary_message(),
        )
        self.record.reports_sent = sum(1 for key in summary.sent if key.startswith("provider:"))
        for line in summary.lines():
            print(f"      {line}")

    def _run_summary_message(self) -> RunSummaryMessage:
        """The BI team's email about this night."""
        from speccomm.delivery import RunSummaryMessage

        r = self.record
        figures: dict[str, object] = {
            "reason for the run": r.reason,
            "files loaded": r.files_loaded,
            "re-sent duplicates": r.files_duplicate,
            "files rejected": r.files_rejected,
            "reference data": r.reference_version,
            "rows loaded": r.rows_loaded,
            "dbt tests passed / failed / warned": f"{r.dbt_tests_passed} / {r.dbt_tests_failed} / "
                                                  f"{r.dbt_tests_warned}",
            "slices checked": r.dq_slices_validated,
            "checks failed / warned": f"{r.dq_checks_failed} / {r.dq_checks_warned}",
            "late submissions": r.late_submissions,
            "provider reports built": r.reports_built,
        }
        notes = [f"Rejected {printable(name)}: {printable(why)}" for name, why in self.rejected_new]
        notes += [f"Replaced {printable(name)}: {printable(what)}" for name, what in self.replaced]
        notes += [f"Late submission: {line}" for line in self.late]
        notes += self.footprint_notes
        notes.append(f"The warehouse is published after delivery: {self.paths.warehouse}")
        return RunSummaryMessage(run_id=r.run_id, run_at=r.started_at, figures=figures, notes=tuple(notes))

    def _publish(self) -> None:
        self.record.published_version = f"{self.run_id}{self.paths.warehouse.suffix}"
        self.record.finish(SUCCEEDED)  # as the published copy of the log will say
        with duckdb.connect(str(self.working_copy), config=duckdb_config()) as con:
            self.runlog.copy_into(con, self.record)
            comment_sources(con, dbt_target_path(self.working_copy) / "manifest.json")
        published = publish_database(
            self.working_copy, self.layout, version_name=self.run_id, keep=self.options.keep_versions,
        )
        self.notes.append(f"published {published.path} (version {published.version.name}; "
                          f"{len(published.pruned)} old version(s) pruned); the build in "
                          f"{self.layout.build_file.name} beside it")
        self.notes.append(f"publish: {published.copy.describe()}")
        self._remove_unheld_raw_files()
        self.notes += self.footprint_notes
        keep_accepted(self.reference, self.layout.kept_reference_dir)

    def _remove_unheld_raw_files(self) -> None:
        """Replaced files' earlier rows, once no kept build file holds them (decision 0030).
        Published already: a fault here is a note, never a failed night."""
        builds = self.layout.build_versions_dir
        kept = sorted([*builds.glob("*.duckdb"), *(builds.parent / ROLLED_BACK / "build").glob("*.duckdb")])
        try:
            remove_unheld(self.layout.raw_dir, self.layout.build_file, kept)
        except (duckdb.Error, OSError) as exc:
            self.notes.append(f"raw layer: old rows of replaced files kept tonight: {describe_fault(exc)}")

    def _pack(self) -> None:
        """The footprint's ICB pack for the version just published (speccomm.pack.night). After
        publishing, so a failure is reported and never fails or un-publishes the night."""
        print("      pack: the footprint's ICB pack", flush=True)
        started = time.monotonic()
        try:
            run_test_hooks("pack", self.layout.state_dir)
            written = write_night_pack(self.layout, self.run_id)
        except (Exception, Interrupted) as exc:
            note = f"ICB pack NOT written (the night is published all the same): {describe_fault(exc)}"
            print(f"      {note}", file=sys.stderr, flush=True)
            self.notes.append(note)
            return
        took = format_seconds(time.monotonic() - started)
        self.notes.append(f"ICB pack: {len(written.pages)} page(s) in {written.folder} ({took})"
                          if written else "ICB pack: no footprint ICB in the warehouse, none written")

    # --- helpers -------------------------------------------------------------------------

    def _dbt_log_dir(self) -> Path:
        return self.layout.work_dir(self.run_id) / "logs"

    def _tidy_after_earlier_runs(self) -> None:
        finished = complete_pending(self.layout.publish_journal)  # before the work folder goes
        if finished is not None:
            print(f"note: an earlier run was stopped while {finished.what}; that is now done")
            self._record_published(finished.published_version)
        for run_id in self.runlog.mark_abandoned(found_by=self.run_id):
            print(f"note: run {run_id} stopped without finishing (killed?); its work is discarded")
        if self.layout.work_root.is_dir():
            shutil.rmtree(self.layout.work_root, ignore_errors=True)
        remove_stale_stages(self.layout)
        for marker in self.layout.state_dir.glob("test-paused-at-*"):
            marker.unlink()

    def _record_published(self, version: str | None) -> None:
        """The run whose publish a crash interrupted after its commit did publish: its run-log
        row says so (the published file's copy of the log already did)."""
        for record in self.runlog.records(last=50):
            if version and record.status == RUNNING and record.run_id == Path(version).stem:
                record.published_version = version
                record.error = "stopped while swapping the published and build files; the next run ended it"
                record.finish(SUCCEEDED)
                self.runlog.save(record)

    def _nothing_to_do(self) -> int:
        self.record.reason = "no new landing files and the dbt project is unchanged"
        retried = self._retry_queued_messages()
        self.record.finish(NOTHING_TO_DO)
        self.runlog.save(self.record)
        landing, warehouse = printable(self.paths.landing), printable(self.paths.warehouse)
        print(f"speccomm nightly {self.run_id}: nothing to do — no new files in {landing} since the "
              f"published build, and the dbt project is unchanged. {warehouse} left as it was; "
              + ("nothing sent." if retried is None else f"{retried}."))
        return 0

    def _not_started(self, cause: WarehouseHeld | BadStorageVersion) -> int:
        """The night cannot start: logged (run log, console) and a documented exit status."""
        self.record.reason = "not started: " + ("the published warehouse is held read-write"
                                                if isinstance(cause, WarehouseHeld) else "bad setting")
        self.record.error = str(cause)
        self.record.finish(FAILED)
        self.runlog.save(self.record)
        code = EXIT_WAREHOUSE_HELD if isinstance(cause, WarehouseHeld) else EXIT_NOT_STARTED
        print(f"speccomm nightly {self.run_id}: NOT STARTED (exit {code}): {cause}.", file=sys.stderr)
        print(f"  Nothing was loaded, built, sent or published; run log row {self.run_id} says so.",
              file=sys.stderr)
        return code

    def _retry_queued_messages(self) -> str | None:
        """Reports queued by an earlier night (a failed send) or left unresolved by a killed one
        are sent now, even though nothing new arrived (speccomm.delivery.retry_queued)."""
        from speccomm.delivery import retry_queued

        self.record.step_seconds["deliver"] = -1.0
        started = time.monotonic()
        try:
            summary = retry_queued(outbox=self.paths.outbox, state_path=self.layout.delivery_db)
        except Exception as exc:
            self.record.step_seconds["deliver"] = round(time.monotonic() - started, 1)
            raise StepFailed("deliver", exc) from exc
        self.record.step_seconds["deliver"] = round(time.monotonic() - started, 1)
        if summary is None:
            del self.record.step_seconds["deliver"]
            return None
        self.record.reports_sent = sum(1 for key in summary.sent if key.startswith("provider:"))
        for line in summary.lines():
            print(f"      {line}")
        return f"{len(summary.sent)} queued message(s) sent, {len(summary.failed)} still failing"

    def _failed(self, failure: StepFailed) -> int:
        """One line of cause, the run-log row `failed`, the step's exit status: whatever the fault.

        The traceback is printed only with --verbose: an operator reads the cause, and a
        traceback may quote values. On a full disk the night's work folder is removed first
        (it is of no use to the next run, which starts afresh), so that the run log can be
        written; if it still cannot be, that is said too.
        """
        cause = describe_fault(failure.cause)
        self.record.failed_step = failure.step
        self.record.error = cause[:2000]
        self.record.finish(FAILED)
        self.record.published_version = None
        disk_full = _is_disk_full(failure.cause)
        if disk_full:
            shutil.rmtree(self.layout.work_dir(self.run_id), ignore_errors=True)
        log_error = _quietly(self.runlog.save, self.record)
        if self.options.verbose and not isinstance(failure.cause, (BuildFailed, WarehouseHeld)):
            traceback.print_exception(failure.cause, file=sys.stderr)
        _quietly(self._print_summary)
        code = EXIT_WAREHOUSE_HELD if isinstance(failure.cause, WarehouseHeld) else EXIT_CODES[failure.step]
        print(f"speccomm nightly: FAILED at step '{failure.step}' (exit {code}): {cause}", file=sys.stderr)
        if log_error is not None:
            print(f"  The run log {self.layout.runs_db} could not be written either: "
                  f"{describe_fault(log_error)}", file=sys.stderr)
        work = self.layout.work_dir(self.run_id)
        kept = "removed (disk full)" if disk_full else f"kept in {work} until the next run"
        print(f"  The published warehouse {self.paths.warehouse} was left untouched; work {kept}.",
              file=sys.stderr)
        return code

    def _print_summary(self) -> None:
        r = self.record
        took = format_seconds((r.ended_at - r.started_at).total_seconds()) if r.ended_at else "?"
        print(f"\n== speccomm nightly {r.run_id}: {r.status.upper()} in {took}")
        if r.files_loaded is not None:  # the load step ran
            print(f"   landing    {r.files_loaded} file(s) loaded, {r.files_duplicate} re-sent duplicate(s), "
                  f"{(r.rows_loaded or 0):,} rows; {r.files_rejected} newly rejected"
                  + (f"; {self.rejected_still} rejected on an earlier night, still in the landing folder"
                     if self.rejected_still else ""))
        for name, why in self.rejected_new:
            print(f"              rejected {printable(name)}: {printable(why)}")
        print(f"   reference  {r.reference_version}")
        if r.dbt_tests_passed is not None:
            print(f"   dbt tests  {r.dbt_tests_passed} passed, {r.dbt_tests_failed} failed, "
                  f"{r.dbt_tests_warned} warned")
        if r.dq_checks_failed is not None:
            print(f"   quality    {r.dq_slices_validated} slice(s) checked, {r.dq_checks_failed} check(s) "
                  f"failed, {r.dq_checks_warned} warned (reported to providers; they never block publishing)")
        if self.late:
            print(f"   LATE       {len(self.late)} submission(s) missing:")
            for line in self.late[:25]:
                print(f"              {line}")
        if r.reports_built is not None:
            print(f"   reports    {r.reports_built} built, {r.reports_sent} sent")
        for note in self.notes:
            print(f"   {note}")
        steps = " · ".join(f"{name} {format_seconds(s)}" for name, s in r.step_seconds.items() if s >= 0)
        print(f"   steps      {steps}\n", flush=True)


# --- module helpers ------------------------------------------------------------------------


def describe_fault(exc: BaseException) -> str:
    """One line saying what went wrong, without the values an error message may quote."""
    if isinstance(exc, BuildFailed | LandingUnavailable | StepFailed | WarehouseHeld):
        return printable(exc)
    if _is_disk_full(exc):
        where = getattr(exc, "filename", None)
        return "disk full: no space left on device" + (f" ({printable(where)})" if where else "") + \
            f" [{type(exc).__name__}]"
    if isinstance(exc, OSError) and exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        what = "read-only file system" if exc.errno == errno.EROFS else "permission denied"
        where = f" ({printable(exc.filename)})" if exc.filename else ""
        return f"cannot write: {what}{where} [{type(exc).__name__}]"
    first = next((line for line in str(exc).splitlines() if line.strip()), "") or type(exc).__name__
    shown = _QUOTED_VALUE.sub(r"\1 <value not shown>", first)
    return f"{type(exc).__name__}: {printable(shown)}"


# Database errors quote the offending value ("Could not convert string 'x' to INT32"); a
# value may be an identifier, so the run log and console name the error, not the value.
_QUOTED_VALUE = re.compile(r"\b(string|value|Original Line:?)\s*(\'[^\']*\'|\"[^\"]*\"|.*$)", re.IGNORECASE)


def _is_disk_full(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        text = str(current).lower()
        if "no space left on device" in text or "database or disk is full" in text:
            return True
        current = current.__cause__ or current.__context__
    return False


def _quietly(action: Callable[..., Any], *args: Any) -> BaseException | None:
    """Run a tidy-up action of a failing night; its own error is returned, not raised."""
    try:
        action(*args)
    except Exception as exc:
        return exc
    return None


def _rejected_files(con: duckdb.DuckDBPyConnection) -> set[str]:
    if not relation_exists(con, "raw.rejected_files"):
        return set()
    rows = con.execute("select feed, file_name from raw.rejected_files").fetchall()
    return {f"{feed}/{name}" for feed, name in rows}


def _late_submissions(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    """This run's late or missing submissions (dbt's rpt_dq_late_submissions: the results of the
    check the registry shows as months not received that did not pass), one line each."""
    if not relation_exists(con, LATE_SUBMISSIONS):
        return []
    rows = con.execute(
        f"select * from {LATE_SUBMISSIONS} where run_id = ? order by provider_code, dataset, financial_year,"
        " financial_month",
        [run_id],
    ).fetchall()
    names = [column[0] for column in con.description or []]
    found = [dict(zip(names, row, strict=True)) for row in rows]
    return [
        f"{r['provider_code']} {r['dataset']} {r['financial_year']}"
        + (f" M{int(r['financial_month']):02d}" if r["financial_month"] is not None else "")
        + f" ({r['status']})"
        for r in found
    ]


def _print_log_tail(log: Path, lines: int = 30) -> None:
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return
    # dbt's errors quote database errors, which may quote a value: shown without it
    kept = [printable(_QUOTED_VALUE.sub(r"\1 <value not shown>", line))
            for line in strip_ansi(text).splitlines() if line.strip()][-lines:]
    print("      dbt's last lines:\n" + "\n".join(f"      | {line}" for line in kept), flush=True)


class _signals_as_interrupts:
    """SIGTERM and SIGINT raise Interrupted in the main thread (elsewhere: left alone)."""

    def __enter__(self) -> None:
        self._previous: dict[int, Any] = {}
        try:
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._previous[sig] = signal.signal(sig, _raise_interrupted)
        except ValueError:  # not the main thread
            self._previous = {}

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def _raise_interrupted(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signal.Signals(signum).name)
