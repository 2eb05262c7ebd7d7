"""The Spark engine (docs/scale-out.md), over the loader's Parquet raw layer
(speccomm.load.raw_layer): the environment dbt-spark's session method needs (`environment`),
the Spark build read back into a DuckDB file (`publish`), and the parity check against a
DuckDB build (`parity`)."""
