"""Where the nightly keeps its own files, all beside the published warehouse.

```
<warehouse dir>/
    speccomm.duckdb            the published file BI tools open (read-only): schemas marts, dq,
                               reference and ops only (speccomm.publish.storage.READER_SCHEMAS)
    build.duckdb               the build file: the last published night's whole build (raw,
                               staging, intermediate, dq_checks too), where the next night starts;
                               engineers and auditors open it read-only, BI readers never
    versions/<run id>.duckdb   the last few published files (rollback goes back one)
    versions/build/<run id>.duckdb  the build file of each kept version (rollback restores both)
    work/<run id>/             the night's working copy, dbt target and logs (deleted when done)
    work/seed-overlay/         tonight's seeds with the reference updates written over them, at a
                               path that does not name the night (so dbt's kept parse holds)
    reports/<run id>/          the provider reports built that night
    pack/<run id>/             the ICB pack of that night's published version (speccomm.pack),
                               kept while its version is; pack/index.html lists them
    state/nightly.lock         one run at a time (fcntl.flock; PID, host and start inside)
    state/runs.sqlite          the run log, kept across runs (mirrored as ops.run_log)
    state/delivery.sqlite      the delivery queue and never-twice ledger (speccomm.delivery)
    state/publishing.json      only while the two files are swapped (speccomm.publish.journal)
    state/reference-in-force/  the reference updates the last published night used, kept for
                               when tonight's version of a file is rejected
    state/dbt-parse/           dbt's parse kept between nights (partial_parse.msgpack) and,
                               while dbt runs, the fixed name it opens the working copy by
                               (speccomm.dbt_runner.KeptParse)
    raw/                       the build's raw layer: one immutable Parquet file per loaded
                               landing file, the registry and rejected files as of the last
                               load (speccomm.load.raw_layer); build.duckdb's raw.<feed>_rows
                               are views over it, Spark reads it too; BI readers never
```
Everything that must survive a failed or killed night (run log, delivery ledger) lives
outside the warehouse file, because a failed night never publishes its working copy. The
published file and the build file are swapped together (speccomm.publish.journal), so they
always hold the same night. One warehouse per folder: two warehouses in one folder would share
these files (a warehouse named build.duckdb is refused: speccomm.config).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from speccomm.config import Paths


class ProtectedTarget(ValueError):
    """An output would overwrite the published warehouse, a kept version or the state folder."""


BUILD_FILE_NAME = "build.duckdb"
DEFAULT_KEEP_VERSIONS = 3
KEEP_VERSIONS_ENV = "SPECCOMM_KEEP_VERSIONS"


@dataclass(frozen=True)
class StateLayout:
    warehouse: Path

    @classmethod
    def of(cls, paths: Paths) -> StateLayout:
        return cls(paths.warehouse)

    @property
    def root(self) -> Path:
        return self.warehouse.parent

    @property
    def build_file(self) -> Path:
        """The last published night's whole build: where the next night starts."""
        return self.root / BUILD_FILE_NAME

    @property
    def versions_dir(self) -> Path:
        return self.root / "versions"

    @property
    def build_versions_dir(self) -> Path:
        return self.versions_dir / "build"

    @property
    def publish_journal(self) -> Path:
        return self.state_dir / "publishing.json"

    def state_source(self) -> Path | None:
        """The file the next night starts from and learns what is loaded from: the build file;
        the published file when there is none yet (a warehouse published before build files
        were kept held everything); None before the first night."""
        for candidate in (self.build_file, self.warehouse):
            if candidate.exists():
                return candidate
        return None

    @property
    def work_root(self) -> Path:
        return self.root / "work"

    @property
    def reports_root(self) -> Path:
        return self.root / "reports"

    @property
    def pack_root(self) -> Path:
        return self.root / "pack"

    @property
    def state_dir(self) -> Path:
        return self.root / "state"

    @property
    def lock_path(self) -> Path:
        return self.state_dir / "nightly.lock"

    @property
    def runs_db(self) -> Path:
        return self.state_dir / "runs.sqlite"

    @property
    def delivery_db(self) -> Path:
        return self.state_dir / "delivery.sqlite"

    @property
    def kept_reference_dir(self) -> Path:
        """The reference updates the last published night used (speccomm.load.reference
        keep_accepted): what stays when tonight's version of a file is rejected."""
        return self.state_dir / "reference-in-force"

    @property
    def dbt_parse_dir(self) -> Path:
        """dbt's parse kept between nights (speccomm.dbt_runner.KeptParse)."""
        return self.state_dir / "dbt-parse"

    @property
    def seed_overlay_dir(self) -> Path:
        """Where tonight's seed overlay is written (speccomm.load.reference.write_seed_overlay):
        one path every night, because dbt's kept parse holds only while the seed path is the same."""
        return self.work_root / "seed-overlay"

    @property
    def raw_dir(self) -> Path:
        """The raw layer's folder: the build file's (and its kept versions'), both engines read it."""
        return self.root / "raw"

    def protected(self) -> tuple[tuple[Path, str], ...]:
        """What an output (export, extract) must never be written over or into."""
        return (
            (self.warehouse, "the published warehouse"),
            (self.build_file, "the nightly's build file"),
            (self.versions_dir, "the folder of the published warehouse's kept versions"),
            (self.state_dir, "the nightly's state folder (run log, delivery ledger, lock)"),
            (self.work_root, "the nightly's work folder"),
            (self.reports_root, "the nightly's reports folder"),
            (self.pack_root, "the nightly's ICB pack folder"),
            (self.raw_dir, "the build's raw layer"),
        )

    def refuse_protected(self, target: Path) -> None:
        """ProtectedTarget when `target` (resolved, links followed) is, or lies inside, one of
        the nightly's own files and folders: `extract --out speccomm.duckdb` must not replace
        the warehouse readers open."""
        resolved = target.resolve()
        for path, what in self.protected():
            own = path.resolve()
            if resolved == own or resolved.is_relative_to(own):
                raise ProtectedTarget(
                    f"refusing to write to {target}: it is {what}"
                    + ("" if resolved == own else f" ({own}) or inside it")
                    + "; choose a target outside the warehouse's own files"
                )

    def work_dir(self, run_id: str) -> Path:
        return self.work_root / run_id

    def working_copy(self, run_id: str) -> Path:
        return self.work_dir(run_id) / self.warehouse.name


def keep_versions(given: int | None = None) -> int:
    """How many published versions to keep: the option, else SPECCOMM_KEEP_VERSIONS, else 3."""
    if given is None:
        given = int(os.environ.get(KEEP_VERSIONS_ENV, DEFAULT_KEEP_VERSIONS))
    if given < 1:
        raise ValueError(f"at least one published version must be kept, not {given}")
    return given
