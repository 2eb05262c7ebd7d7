"""Is there anything for tonight's run to do?

What the published night knows is read from its build file (`build.duckdb` beside the
published file, which holds the raw layer: speccomm.state.StateLayout.state_source), which is
always of the same night as the published file (speccomm.publish.journal).

A run builds when the landing folder holds an entry the published night has neither loaded
nor rejected, or one whose size or modification time changed since it was loaded or rejected
(a file completed after a partial upload, one that changed while it was read), when the
reference folder (`<landing>/reference/`, speccomm.load.reference) differs from the one the
published build read, or when the dbt project (speccomm.dbt_runner.code_fingerprint: models,
macros, seeds, dbt_project.yml) changed since the published build. Otherwise it changes
nothing and sends nothing.

A night that failed or was killed never published, so the files it loaded are still unknown
to the published warehouse: the next run sees them as new and does the whole night again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from speccomm.load.entries import Seen, list_landing
from speccomm.load.reference import folder_digest
from speccomm.publish.holders import connect_read_only


@dataclass(frozen=True)
class PublishedState:
    # (feed, name) loaded or rejected -> its size and time then (None: not recorded)
    known_files: dict[tuple[str, str], Seen | None]
    build_fingerprint: str | None
    reference_digest: str | None = None
    seed_digest: str | None = None  # of the seed files its build loaded (None: not recorded)


def landing_files(landing: Path) -> Iterator[tuple[str, str, Seen | None]]:
    """(feed, name, size and time) of every entry the loader would look at (loaded or rejected)."""
    for entry in list_landing(landing):
        yield entry.feed, entry.name, entry.seen


def published_state(published: Path | None) -> PublishedState | None:
    """What the published night knows, read from its build file (StateLayout.state_source);
    raises WarehouseHeld when a client holds that file read-write."""
    if published is None or not published.exists():
        return None
    with connect_read_only(published) as con:
        tables: dict[str, set[str]] = {}
        for schema, name, column in con.execute(
            "select table_schema, table_name, column_name from information_schema.columns"
        ).fetchall():
            tables.setdefault(f"{schema}.{name}", set()).add(column)
        known: dict[tuple[str, str], Seen | None] = {}
        # rejections first, oldest first, so that a later rejection and then a load win
        for table, order in (("raw.rejected_files", "seen_at"), ("raw.file_registry", "file_id")):
            if table not in tables:
                continue
            seen = "file_size, file_mtime_ns" if "file_size" in tables[table] else "null, null"
            for feed, name, size, mtime in con.execute(
                f"select feed, file_name, {seen} from {table} order by {order}"
            ).fetchall():
                known[(feed, name)] = Seen(size, mtime) if size is not None and mtime is not None else None
        fingerprint = reference = seeds = None
        if "ops.run_log" in tables:
            # a log written by an older version lacks the newer columns
            logged = tables["ops.run_log"]
            digests = [c if c in logged else "null" for c in ("reference_digest", "seed_digest")]
            row = con.execute(
                f"select build_fingerprint, {', '.join(digests)} from ops.run_log"
                " where kind = 'nightly' and status = 'succeeded' order by started_at desc limit 1"
            ).fetchone()
            fingerprint, reference, seeds = row if row else (None, None, None)
    return PublishedState(known, fingerprint, reference, seeds)


def new_files(landing: Path, state: PublishedState) -> list[str]:
    """Entries not known to the published warehouse, or changed since it saw them."""
    known = state.known_files
    return [
        f"{feed}/{name}" for feed, name, seen in landing_files(landing)
        if (feed, name) not in known or (known[(feed, name)] not in (None, seen))
    ]


def why_build(landing: Path, published: Path | None, fingerprint: str) -> str | None:
    """The reason tonight must build, or None when there is nothing to do."""
    state = published_state(published)
    if state is None:
        return "first build: nothing is published yet"
    arrived = new_files(landing, state)
    if arrived:
        return f"{len(arrived)} new or changed landing entries"
    if state.reference_digest != folder_digest(landing):
        return "the reference folder changed since the published build"
    if state.build_fingerprint != fingerprint:
        return "the dbt project changed since the published build"
    return None


def built_by_other_code(published: Path | None, fingerprint: str) -> bool:
    """Whether the published warehouse was built by another version of the dbt project (or
    its build is not on record). Tonight's build then starts every incremental model afresh
    (`dbt build --full-refresh`): their tables may have another shape, which a pre-hook
    reading them would trip on."""
    state = published_state(published)
    return state is not None and state.build_fingerprint != fingerprint
