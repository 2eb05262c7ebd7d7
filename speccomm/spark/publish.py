"""A Spark build read back into a DuckDB file, so BI tools keep one interface.

Spark writes each table as Parquet under its warehouse folder (`<tables>/<schema>.db/<table>/`,
dbt_project.yml sets file_format parquet). DuckDB reads those files: each table becomes a
table of the same name in a DuckDB file, typed as the model's YAML declares (`data_type`, the
contract of the published marts) and otherwise as Spark wrote them (docs/scale-out.md,
"Publishing"). `publish_spark_build` writes the published schemas into a new file;
`copy_spark_tables` writes every table of a night's Spark build into the night's DuckDB
working copy (speccomm.spark.night), which the rest of the night reads as after a DuckDB build.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import duckdb

PUBLISHED_SCHEMAS = ("marts", "dq")


@dataclass(frozen=True)
class SparkTable:
    schema: str
    name: str
    declared_types: dict[str, str]  # column → data_type from the YAML (may be empty), a seed's column_types
    columns: tuple[str, ...] = ()  # every column the YAML lists, typed or not


def published_tables(manifest_path: Path) -> list[SparkTable]:
    """The models Spark built as tables in the published schemas, from dbt's manifest."""
    return built_tables(manifest_path, PUBLISHED_SCHEMAS)


def built_tables(manifest_path: Path, schemas: Collection[str] | None = None) -> list[SparkTable]:
    """The tables a build wrote, from dbt's manifest: models that are not views (or ephemeral)
    and, when `schemas` is None (every schema), the seeds."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    tables = []
    for node in manifest["nodes"].values():
        wanted = node["resource_type"] == "model" or (node["resource_type"] == "seed" and schemas is None)
        if not wanted or (schemas is not None and node["schema"] not in schemas):
            continue
        if node["config"].get("materialized") in ("view", "ephemeral"):
            continue
        declared = dict(node["config"].get("column_types") or {})  # a seed's
        declared.update({
            name: column["data_type"]
            for name, column in node.get("columns", {}).items()
            if column.get("data_type")
        })
        listed = tuple(dict.fromkeys([*declared, *node.get("columns", {})]))
        tables.append(SparkTable(node["schema"], node["alias"] or node["name"], declared, listed))
    return sorted(tables, key=lambda table: (table.schema, table.name))


def table_files(tables_dir: Path, table: SparkTable) -> str:
    """The glob of a Spark table's Parquet files: the table's folder and, for a table
    partitioned by its slice (an incremental model on Spark, docs/decisions/0036), the
    `<column>=<value>` folders below it."""
    return str(tables_dir / f"{table.schema}.db" / table.name / "**" / "*.parquet")


def spark_relation_sql(con: duckdb.DuckDBPyConnection, tables_dir: Path, table: SparkTable) -> str:
    """A select over the Spark table's files, each declared column cast to its declared type.
    A partitioned table's partition columns are read from its folder names; Spark puts them
    last, so when the YAML lists every column (a contract) the select puts them in the YAML's
    order, as DuckDB builds it (else they stay last). A table Spark created but never wrote a
    row to (an empty seed) has no file: its declared columns, no rows."""
    files = table_files(tables_dir, table)
    folder = tables_dir / f"{table.schema}.db" / table.name
    if not any(folder.rglob("*.parquet")):
        untyped = [name for name in table.columns if name not in table.declared_types]
        if not table.declared_types or untyped:
            raise FileNotFoundError(f"Spark wrote no file for {table.schema}.{table.name} ({files}) "
                                    "and its YAML does not type every column to build it empty from")
        empty = ", ".join(f'cast(null as {kind}) as "{name}"' for name, kind in table.declared_types.items())
        return f"select {empty} where false"
    partitioned = any(path.is_dir() and "=" in path.name for path in folder.iterdir())
    source = f"read_parquet('{files}', hive_partitioning = {'true' if partitioned else 'false'})"
    columns = con.execute(f"describe select * from {source}").fetchall()
    selected = {}
    for name, parquet_type, *_ in columns:
        declared = table.declared_types.get(name)
        kind = "varchar" if declared in ("string", None) and parquet_type == "VARCHAR" else declared
        selected[name] = f'cast("{name}" as {kind}) as "{name}"' if kind else f'"{name}"'
    listed = partitioned and set(table.columns) >= set(selected)
    order = [name for name in table.columns if name in selected] if listed else []
    return f"select {', '.join(selected[name] for name in order or selected)} from {source}"


def copy_spark_tables(
    con: duckdb.DuckDBPyConnection, tables_dir: Path, tables: list[SparkTable]
) -> list[str]:
    """Write each Spark table into the database of `con` as a table of the same name, in place
    of any table or view of that name. Returns the tables written, as schema.table."""
    views = set(con.execute(
        "select schema_name, view_name from duckdb_views() where database_name = current_database()"
    ).fetchall())
    written = []
    for table in tables:
        relation = f'"{table.schema}"."{table.name}"'
        con.execute(f'create schema if not exists "{table.schema}"')
        if (table.schema, table.name) in views:  # e.g. a check model, a view on DuckDB
            con.execute(f"drop view {relation}")
        con.execute(f"create or replace table {relation} as {spark_relation_sql(con, tables_dir, table)}")
        written.append(f"{table.schema}.{table.name}")
    return written


def publish_spark_build(tables_dir: Path, manifest_path: Path, out: Path) -> list[str]:
    """Write every published Spark table into the DuckDB file `out` (a new file, renamed
    into place when complete). Returns the tables written, as schema.table."""
    partial = out.with_name(f".{out.name}.partial")
    partial.unlink(missing_ok=True)
    with duckdb.connect(str(partial)) as con:
        written = copy_spark_tables(con, tables_dir, published_tables(manifest_path))
        con.execute("checkpoint")
    partial.replace(out)
    return written
