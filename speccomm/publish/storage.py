"""The DuckDB storage version of the files readers open: the published warehouse and extracts.

DuckDB 2.0 writes new files in its own storage format (version number 69), which no DuckDB
1.x client can open — and the ODBC and JDBC drivers BI tools embed, and the Node package
Evidence uses, lag behind the Python module. So the published warehouse and every extract are
written in an older storage version that 2.0 can still write: `SPECCOMM_STORAGE_VERSION`, by
default `v1.0.0`, the oldest 2.0 writes (extracts open in every DuckDB from 1.0 on, the
published file from 1.1 on: 1.0 cannot read the key constraints 2.0 writes; see
docs/bi-access.md, "Supported clients"). The marts use nothing that storage version cannot
hold: the publish step copies every table, view and comment, and a table it could not store
would fail the publish, never reach readers half-written.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

# What `duckdb.connect(config=...)` takes.
DuckDBConfig = dict[str, str | bool | int | float | list[str]]

STORAGE_VERSION_ENV = "SPECCOMM_STORAGE_VERSION"
DEFAULT_STORAGE_VERSION = "v1.0.0"
MEMORY_LIMIT_ENV = "SPECCOMM_DUCKDB_MEMORY_LIMIT"  # the same limit as the dbt build (profiles.yml)
_VERSION = re.compile(r"^v\d+\.\d+\.\d+$")


class BadStorageVersion(ValueError):
    pass


def storage_version(given: str | None = None) -> str:
    """The configured storage version (`v1.0.0`, `v1.5.0`, `v2.0.0`, …)."""
    version = (given or os.environ.get(STORAGE_VERSION_ENV) or DEFAULT_STORAGE_VERSION).strip()
    if not _VERSION.match(version):
        raise BadStorageVersion(
            f"{STORAGE_VERSION_ENV}={version!r}: a DuckDB storage version looks like v1.0.0 or v1.5.0"
        )
    return version


def new_file_config(version: str | None = None) -> DuckDBConfig:
    """`duckdb.connect(path, config=...)` for a file created in the configured storage version."""
    return {"storage_compatibility_version": storage_version(version)}


def rewrite_database(source: Path, target: Path, *, version: str | None = None) -> None:
    """Write every schema, table, view and comment of the closed file `source` into the new
    file `target` (which must not exist) in the configured storage version, checkpointed."""
    version = storage_version(version)
    config: DuckDBConfig = {"memory_limit": os.environ.get(MEMORY_LIMIT_ENV, "6GB")}
    with duckdb.connect(config=config) as con:
        con.execute(f"set temp_directory = {_literal(str(source.parent / 'duckdb-tmp'))}")
        # The source keeps its own name: views name their tables relative to it.
        con.execute(f"attach {_literal(str(source))} as {_identifier(source.stem)} (read_only)")
        try:
            con.execute(f"attach {_literal(str(target))} as published_copy (storage_version '{version}')")
        except duckdb.Error as exc:
            raise BadStorageVersion(
                f"DuckDB {duckdb.__version__} cannot write storage version {version}: {exc}"
            ) from exc
        con.execute(f"copy from database {_identifier(source.stem)} to published_copy")
        con.execute("checkpoint published_copy")
        con.execute("detach published_copy")
    wal = target.with_name(target.name + ".wal")
    if wal.exists():
        raise RuntimeError(f"{wal} exists after writing {target}: not publishing")


def file_storage_version(con: duckdb.DuckDBPyConnection, database: str) -> str | None:
    """The oldest DuckDB storage version that reads the attached `database` (e.g. 'v1.0.0+')."""
    found = con.execute(
        "select tags['storage_version'] from duckdb_databases() where database_name = ?", [database]
    ).fetchone()
    return found[0] if found else None


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'
