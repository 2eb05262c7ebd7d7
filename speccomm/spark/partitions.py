"""What the metastore of a Spark cluster lists as a table's partitions (`show partitions`,
through the Thrift server, speccomm.spark.thrift). `make spark-parity-two-nights` prints it
after its month night, beside the partitions the night wrote
(speccomm.spark.parity.rewritten_partitions)."""

from __future__ import annotations

from speccomm.spark.thrift import thrift_statements


def show_partitions(thrift_port: int, table: str) -> list[str]:
    """`show partitions <table>` on the cluster's Thrift server, as Spark's metastore lists them."""
    with thrift_statements(thrift_port) as execute:
        return [str(row[0]) for row in execute(f"show partitions {table}")]
