"""Step 1 of the runner: select the slices to validate.

A slice is one dataset x provider x financial year x month. Its fingerprint is a hash of cheap
facts about its current data — the ids and row counts of the files its rows come from, or the
content of the small marts the cross-dataset checks read (each batch's fingerprint model in
`models/dq/checks/`) — plus a hash of the check definitions (the registry, its batches and the
check views as dbt built them) and of the reference data the checks use. A slice is validated
again only when its fingerprint differs from the one stored when it was last validated
(dq.dq_slice_fingerprints), or on `revalidate_all`.

The selection is kept on the connection in three temporary tables, read by the later steps:
- `dq_slice_parts`: each fingerprint model's rows (with the rows a batch will read);
- `dq_current_slices`: every slice with current data and its fingerprint;
- `dq_changed_slices`: the slices to validate this run, numbered (`slice_no`).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import duckdb

from speccomm.config import SEEDS_DIR
from speccomm.quality.registry import BATCHES, CHECK_SCHEMA, REGISTRY, Batch, Check, DatasetChecks
from speccomm.relations import relation_exists, scalar

log = logging.getLogger(__name__)

# Reference tables whose content decides pass or fail (validity of codes, thresholds).
REFERENCE_TABLES = (
    "reference.dq_thresholds",
    "reference.service_codes",
    "reference.points_of_delivery",
    "reference.icbs",
    "reference.sub_icb_locations",
    "reference.providers",
    "reference.provider_sites",
)


@dataclass(frozen=True)
class Selection:
    """What this run validates: the batches whose check models exist, each with its checks,
    and how many slices have current data and how many of them changed."""

    batches: tuple[tuple[Batch, tuple[Check, ...]], ...]
    skipped: tuple[str, ...]  # batches whose source relation does not exist yet
    current: int
    changed: int


def select_slices(
    con: duckdb.DuckDBPyConnection, registry: list[DatasetChecks], revalidate_all: bool
) -> Selection:
    """The batches that can run, every current slice's fingerprint, and the changed slices."""
    batches, skipped = _available_batches(con, registry)
    rules = _rules_digest(con, [batch for batch, _ in batches]) + _reference_digest(con)
    current = _build_current_slices(con, [batch for batch, _ in batches], rules)
    changed = _build_changed_slices(con, revalidate_all)
    return Selection(tuple(batches), tuple(skipped), current, changed)


def _available_batches(
    con: duckdb.DuckDBPyConnection, registry: list[DatasetChecks]
) -> tuple[list[tuple[Batch, tuple[Check, ...]]], list[str]]:
    available: list[tuple[Batch, tuple[Check, ...]]] = []
    skipped: list[str] = []
    for dataset in registry:
        for batch in dataset.batches:
            if batch.requires and not relation_exists(con, batch.requires):
                log.warning("data quality: %s skipped, %s does not exist yet", batch.key, batch.requires)
                skipped.append(batch.key)
                continue
            for relation in (batch.relation, batch.fingerprint_relation):
                if not relation_exists(con, relation):
                    raise RuntimeError(
                        f"data quality: check model {relation} (models/dq/checks/) is not in the "
                        "warehouse: run dbt build first"
                    )
            available.append((batch, tuple(dataset.checks_of(batch))))
    return available, skipped


def _rules_digest(con: duckdb.DuckDBPyConnection, batches: list[Batch], seeds: Path = SEEDS_DIR) -> str:
    """A hash of the registry, its batches and the check views as dbt built them (macros
    included, the database's own name left out): when a definition changes, every slice is
    re-validated."""
    digest = hashlib.sha256()
    for file in (seeds / REGISTRY, seeds / BATCHES):
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
    views = sorted({name for batch in batches for name in (batch.model, batch.fingerprint_model)})
    for name, sql in con.execute(
        """
        select view_name, replace(sql, '"' || database_name || '".', '')
        from duckdb_views()
        where
            database_name = current_database()
            and schema_name = $schema
            and list_contains($views, view_name)
        order by view_name
        """,
        {"schema": CHECK_SCHEMA, "views": views},
    ).fetchall():
        digest.update(name.encode())
        digest.update(sql.encode())
    return digest.hexdigest()


def _reference_digest(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...] = REFERENCE_TABLES) -> str:
    """One hash of the reference rows the checks depend on."""
    parts = []
    for table in tables:
        row = con.execute(
            f"select coalesce(md5(string_agg(cast(t as varchar), '|' order by cast(t as varchar))), '') "
            f"from {table} as t"
        ).fetchone()
        parts.append(f"{table}:{row[0] if row else ''}")
    found = con.execute("select md5(?)", ["\n".join(parts)]).fetchone()
    return str(found[0]) if found else ""


def _build_current_slices(con: duckdb.DuckDBPyConnection, batches: list[Batch], rules: str) -> int:
    """Create `dq_slice_parts` and `dq_current_slices`; returns how many slices have current data.

    Each fingerprint model returns provider_code, financial_year, financial_month, part (text that
    changes when the slice's data changes) and row_count (the rows its batches will read, used
    to size the work)."""
    parts = []
    seen: set[str] = set()
    for batch in batches:
        if batch.fingerprint_key in seen:
            continue
        seen.add(batch.fingerprint_key)
        parts.append(
            f"select '{batch.dataset}' as dataset, '{batch.fingerprint_key}' as fingerprint_key, "
            "provider_code, financial_year, cast(financial_month as integer) as financial_month, part, "
            f"cast(row_count as bigint) as row_count from {batch.fingerprint_relation} as part_rows"
        )
    union = "\nunion all\n".join(parts) if parts else (
        "select null::varchar as dataset, null::varchar as fingerprint_key, null::varchar as provider_code, "
        "null::varchar as financial_year, null::integer as financial_month, null::varchar as part, "
        "null::bigint as row_count where false"
    )
    con.execute(
        f"""
        create or replace temp table dq_slice_parts as
        select * from ({union}) as parts
        where provider_code is not null and financial_year is not null and financial_month is not null
        """
    )
    con.execute(
        """
        create or replace temp table dq_current_slices as
        select
            dataset,
            provider_code,
            financial_year,
            financial_month,
            md5($rules || '|' || string_agg(part, ',' order by part)) as fingerprint
        from dq_slice_parts
        group by dataset, provider_code, financial_year, financial_month
        """,
        {"rules": rules},
    )
    return int(scalar(con, "select count(*) from dq_current_slices") or 0)


def _build_changed_slices(con: duckdb.DuckDBPyConnection, revalidate_all: bool) -> int:
    """Create `dq_changed_slices` (slices whose fingerprint changed, numbered); returns the count."""
    con.execute(
        """
        create or replace temp table dq_changed_slices as
        select
            row_number() over (
                order by current_slices.dataset, current_slices.provider_code,
                    current_slices.financial_year, current_slices.financial_month
            ) - 1 as slice_no,
            current_slices.dataset,
            current_slices.provider_code,
            current_slices.financial_year,
            current_slices.financial_month,
            current_slices.fingerprint
        from dq_current_slices as current_slices
        left join dq.dq_slice_fingerprints as stored
            on
                current_slices.dataset = stored.dataset
                and current_slices.provider_code = stored.provider_code
                and current_slices.financial_year = stored.financial_year
                and current_slices.financial_month = stored.financial_month
        where $revalidate_all or stored.fingerprint is distinct from current_slices.fingerprint
        """,
        {"revalidate_all": revalidate_all},
    )
    return int(scalar(con, "select count(*) from dq_changed_slices") or 0)
