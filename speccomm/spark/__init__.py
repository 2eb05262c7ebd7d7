"""The Spark engine (docs/scale-out.md): the raw layer as Parquet (`raw_export`), the
environment dbt-spark's session method needs (`environment`), the Spark build read back into
a DuckDB file (`publish`), and the parity check against a DuckDB build (`parity`)."""
