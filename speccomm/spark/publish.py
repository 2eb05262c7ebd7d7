"""A Spark build read back into a DuckDB file, so BI tools keep one interface.

Spark writes each table as Parquet under its warehouse folder (`<tables>/<schema>.db/<table>/`,
dbt_project.yml sets file_format parquet). DuckDB reads those files: the tables of the
published schemas become tables of the same name in a DuckDB file, typed as the model's YAML
declares (`data_type`, the contract of the published marts) and otherwise as Spark wrote them
(docs/scale-out.md, "Publishing").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

PUBLISHED_SCHEMAS = ("marts", "dq")


@dataclass(frozen=True)
class SparkTable:
    schema: str
    name: str
    declared_types: dict[str, str]  # column → data_type from the model's YAML (may be empty)


def published_tables(manifest_path: Path) -> list[SparkTable]:
    """The models Spark built as tables in the published schemas, from dbt's manifest."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    tables = []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["schema"] not in PUBLISHED_SCHEMAS:
            continue
        if node["config"].get("materialized") == "view":
            continue
        declared = {
            name: column["data_type"]
            for name, column in node.get("columns", {}).items()
            if column.get("data_type")
        }
        tables.append(SparkTable(node["schema"], node["alias"] or node["name"], declared))
    return sorted(tables, key=lambda table: (table.schema, table.name))


def table_files(tables_dir: Path, table: SparkTable) -> str:
    """The glob of a Spark table's Parquet files."""
    return str(tables_dir / f"{table.schema}.db" / table.name / "*.parquet")


def spark_relation_sql(con: duckdb.DuckDBPyConnection, tables_dir: Path, table: SparkTable) -> str:
    """A select over the Spark table's files, each declared column cast to its declared type."""
    files = table_files(tables_dir, table)
    columns = con.execute(f"describe select * from read_parquet('{files}')").fetchall()
    selected = []
    for name, parquet_type, *_ in columns:
        declared = table.declared_types.get(name)
        kind = "varchar" if declared in ("string", None) and parquet_type == "VARCHAR" else declared
        selected.append(f'cast("{name}" as {kind}) as "{name}"' if kind else f'"{name}"')
    return f"select {', '.join(selected)} from read_parquet('{files}')"


def publish_spark_build(tables_dir: Path, manifest_path: Path, out: Path) -> list[str]:
    """Write every published Spark table into the DuckDB file `out` (a new file, renamed
    into place when complete). Returns the tables written, as schema.table."""
    partial = out.with_name(f".{out.name}.partial")
    partial.unlink(missing_ok=True)
    written = []
    with duckdb.connect(str(partial)) as con:
        for table in published_tables(manifest_path):
            con.execute(f"create schema if not exists {table.schema}")
            con.execute(
                f"create table {table.schema}.{table.name} as "
                f"{spark_relation_sql(con, tables_dir, table)}"
            )
            written.append(f"{table.schema}.{table.name}")
        con.execute("checkpoint")
    partial.replace(out)
    return written
