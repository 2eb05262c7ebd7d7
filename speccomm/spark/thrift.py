"""Statements on the standalone cluster's Thrift server (HiveServer2 over Spark SQL), as
dbt-spark's `thrift` method sends them: through PyHive, the [spark] extra's (imported when a
connection is opened, so the modules that name this one load without it)."""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator

from speccomm.dbt_runner.data_tests import Execute
from speccomm.spark.cluster import LOOPBACK


@contextlib.contextmanager
def thrift_statements(thrift_port: int) -> Iterator[Execute]:
    """A function that runs one statement on the Thrift server at `thrift_port` and returns its
    rows, over one connection closed at the end."""
    hive = importlib.import_module("pyhive.hive")
    connection = hive.connect(LOOPBACK, port=thrift_port, username="speccomm")
    try:
        cursor = connection.cursor()

        def execute(sql: str) -> list[tuple[object, ...]]:
            cursor.execute(sql)
            return [tuple(row) for row in cursor.fetchall()]

        yield execute
    finally:
        connection.close()
