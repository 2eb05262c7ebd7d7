"""The raw schema's tables: the file registry and the rejected files (the landing rows are
Parquet files, read through the views of speccomm.load.raw_layer)."""

from __future__ import annotations

import duckdb


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists raw")
    con.execute("create sequence if not exists raw.file_id_seq start 1")
    con.execute(
        """
        create table if not exists raw.file_registry (
            file_id bigint primary key,
            file_name varchar not null,
            feed varchar not null,
            dataset varchar,
            org_code varchar,
            name_financial_year varchar,
            name_financial_month integer,
            name_activity_month varchar,
            received_at timestamp not null,
            encoding varchar,
            row_count bigint not null,
            checksum varchar not null,
            duplicate_of_file_id bigint,
            loaded_at timestamp not null,
            unique (feed, file_name)
        )
        """
    )
    con.execute(
        """
        create table if not exists raw.rejected_files (
            file_name varchar not null,
            feed varchar not null,
            reason varchar not null,
            seen_at timestamp not null
        )
        """
    )
    # Size and modification time of each landing file when it was loaded or rejected: a file
    # that changes afterwards is noticed (speccomm.load.entries, speccomm.pending). Added to
    # warehouses built before they existed; NULL there until the file is seen again.
    for table in ("file_registry", "rejected_files"):
        con.execute(f"alter table raw.{table} add column if not exists file_size bigint")
        con.execute(f"alter table raw.{table} add column if not exists file_mtime_ns bigint")
    # The V<N> of a budget file's name (NULL for the other feeds): added to older warehouses.
    con.execute("alter table raw.file_registry add column if not exists name_version integer")
