"""What the metastore of a Spark cluster lists as a table's partitions (`show partitions`,
through the Thrift server), apart from speccomm.spark.parity because it needs the [spark]
extra's PyHive. `make spark-parity-two-nights` prints it after its month night, beside the
partitions the night wrote (speccomm.spark.parity.rewritten_partitions)."""

from __future__ import annotations

import contextlib

from pyhive import hive

from speccomm.spark.cluster import LOOPBACK


def show_partitions(thrift_port: int, table: str) -> list[str]:
    """`show partitions <table>` on the cluster's Thrift server, as Spark's metastore lists them."""
    with contextlib.closing(hive.connect(LOOPBACK, port=thrift_port, username="speccomm")) as connection:
        cursor = connection.cursor()
        cursor.execute(f"show partitions {table}")
        return [str(row[0]) for row in cursor.fetchall()]
