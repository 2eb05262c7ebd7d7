"""A dbt-duckdb plugin (profiles.yml, `plugins`) that says what is missing before dbt opens
the database.

DuckDB creates a database file but not its folder, and `dbt debug` reports any failure to
connect as a matter of "database credentials". Before the first `make run` the development
database's folder, warehouse/dev/, does not exist, so `dbt debug` blamed credentials for a
missing folder. This plugin runs before the connection is opened (dbt-duckdb calls
`update_connection_config` first) and names the folder and what creates it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dbt.adapters.duckdb.credentials import DuckDBCredentials
from dbt.adapters.duckdb.plugins import BasePlugin

# Paths DuckDB does not read from a folder of this machine.
NOT_A_FILE = (":memory:", "md:", "motherduck:")


class DatabaseFolderMissing(RuntimeError):
    """The DuckDB file's folder does not exist: the message says what creates it."""


def missing_folder_message(path: str) -> str | None:
    """Why `path` cannot be opened, when the reason is a missing folder; else None."""
    if not path or path.startswith(NOT_A_FILE) or "://" in path:
        return None
    folder = Path(path).expanduser().absolute().parent
    if folder.is_dir():
        return None
    return (
        f"the folder {folder} of the DuckDB database {path} does not exist yet (nothing is wrong with "
        "any credentials: DuckDB has none). Before the first run that is expected: `make run` builds "
        "the demo warehouse and gives dbt its development database warehouse/dev/speccomm.duckdb "
        f"(`make dev` copies the published warehouse there again); `mkdir -p {folder}` gives dbt an "
        "empty one; or set SPECCOMM_DBT_DATABASE to a DuckDB file in a folder that exists"
    )


class Plugin(BasePlugin):
    def update_connection_config(self, creds: DuckDBCredentials, config: dict[str, Any]) -> None:
        message = missing_folder_message(str(creds.path))
        if message:
            raise DatabaseFolderMissing(message)
