"""dbt's parse kept between builds of one warehouse (the nightly's `state/dbt-parse/`,
docs/decisions/0026) or shared by many (speccomm.dbt_runner.shared_parse)."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class KeptParse:
    """A folder that keeps dbt's parse between builds of one warehouse (the nightly's
    `state/dbt-parse/`, speccomm.state.StateLayout.dbt_parse_dir): `partial_parse.msgpack`, and
    the stable name by which dbt opens each night's working copy.

    dbt re-reads a kept parse only when nothing it was parsed with has changed: the dbt
    version, the `--vars` (which carry code_fingerprint: any change of a model, macro, seed or
    dbt_project.yml parses afresh), the target, the env vars dbt_project.yml reads
    (SPECCOMM_SEED_PATH: the seed overlay is kept at a stable path for that reason) and the
    profile's connection settings, the database path among them. The working copy's path
    names the night (`work/<run id>/`), so dbt is given a symbolic link of a fixed name to it
    instead (docs/decisions/0026). Otherwise dbt reparses only the files whose checksums
    changed; a parse that cannot be trusted costs a full parse, never a wrong build."""

    folder: Path

    @property
    def parse_file(self) -> Path:
        return self.folder / "partial_parse.msgpack"

    def link(self, database: Path) -> Path:
        """`folder/<database's name>` pointing at `database` (the catalog is named after the
        file's stem, so the name is kept). A WAL left beside the link by a killed dbt belongs
        to another night's copy: it is removed, never replayed into this one."""
        self.folder.mkdir(parents=True, exist_ok=True)
        link = self.folder / database.name
        for stale in (link, link.with_name(link.name + ".wal")):
            stale.unlink(missing_ok=True)
        shutil.rmtree(link.with_name(link.name + ".tmp"), ignore_errors=True)  # DuckDB's spill folder
        link.symlink_to(database.resolve())
        return link

    def unlink(self, database: Path) -> None:
        (self.folder / database.name).unlink(missing_ok=True)

    def how_parsed(self, console_log: Path, *, had_parse: bool) -> str:
        """One line on what dbt did with the kept parse, from its console log: reused, or why
        it parsed the whole project ("Unable to do partial parsing because …"); "" when dbt
        did not run (no console log)."""
        try:
            text = console_log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        if not had_parse:
            return "dbt parsed the whole project (no parse kept yet)"
        found = re.search(r"Unable to do partial parsing because ([^\n\x1b]+)", text)
        if found:
            return f"dbt parsed the whole project: {found.group(1).strip()}"
        return "dbt reused the kept parse (only changed files parsed)"

    def lend(self, target: Path) -> None:
        """Put the kept parse where dbt reads it, in the run's target folder."""
        if self.parse_file.exists():
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.parse_file, target / self.parse_file.name)

    def keep(self, target: Path) -> None:
        """Keep the parse dbt wrote into the run's target folder (renamed into place, so a
        killed copy leaves the previous one). A failed build's parse is as good as any: a
        parse depends on the project, never on the data."""
        written = target / self.parse_file.name
        if written.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            partial = self.parse_file.with_suffix(".tmp")
            shutil.copyfile(written, partial)
            os.replace(partial, self.parse_file)
