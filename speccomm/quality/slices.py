"""Slices (dataset x provider x financial year x month) and their fingerprints.

A slice's fingerprint is a hash of cheap facts about its current data — the ids and row counts
of the files its rows come from, or the content of the small marts the cross-dataset checks
read — plus a hash of the check definitions and the reference data the checks use. A slice is
validated again only when its fingerprint differs from the one stored when it was last
validated (or on `revalidate_all`).

The runner keeps two temporary tables on the connection:
- `dq_current_slices`: every slice with current data and its fingerprint;
- `dq_changed_slices`: the slices to validate this run, numbered (`slice_no`).
"""

from __future__ import annotations

import duckdb

from speccomm.quality.suites import Batch

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


def reference_digest(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...] = REFERENCE_TABLES) -> str:
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


def build_current_slices(con: duckdb.DuckDBPyConnection, batches: list[Batch], rules: str) -> int:
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
    return _count(con, "dq_current_slices")


def build_changed_slices(con: duckdb.DuckDBPyConnection, revalidate_all: bool) -> int:
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
    return _count(con, "dq_changed_slices")


def record_fingerprints(con: duckdb.DuckDBPyConnection, run_id: str, run_at: object) -> None:
    """Store the validated slices' fingerprints; forget slices that no longer have data."""
    con.execute(
        """
        delete from dq.dq_slice_fingerprints as stored
        where not exists (
            select 1 from dq_current_slices as current_slices
            where
                current_slices.dataset = stored.dataset
                and current_slices.provider_code = stored.provider_code
                and current_slices.financial_year = stored.financial_year
                and current_slices.financial_month = stored.financial_month
        )
        or exists (
            select 1 from dq_changed_slices as changed
            where
                changed.dataset = stored.dataset
                and changed.provider_code = stored.provider_code
                and changed.financial_year = stored.financial_year
                and changed.financial_month = stored.financial_month
        )
        """
    )
    con.execute(
        """
        insert into dq.dq_slice_fingerprints
        select dataset, provider_code, financial_year, financial_month, fingerprint, $run_id, $run_at
        from dq_changed_slices
        """,
        {"run_id": run_id, "run_at": run_at},
    )


def record_run_slices(con: duckdb.DuckDBPyConnection, run_id: str, run_at: object) -> None:
    """For this run, which run's results are current for every slice with data."""
    con.execute(
        """
        insert into dq.dq_run_slices
        select
            $run_id,
            $run_at,
            stored.dataset,
            stored.provider_code,
            stored.financial_year,
            stored.financial_month,
            stored.validated_run_id,
            stored.validated_run_id = $run_id
        from dq.dq_slice_fingerprints as stored
        """,
        {"run_id": run_id, "run_at": run_at},
    )


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"select count(*) from {table}").fetchone()
    return int(row[0]) if row else 0
