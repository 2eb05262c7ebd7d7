"""What a dbt run on the Spark target needs in its environment: Java 17, the driver's memory,
and the folders of the metastore, the tables and the raw layer (profiles.yml reads them)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

# Debian's openjdk-17-jre-headless (make system-deps installs it when missing)
DEBIAN_JAVA_17 = Path("/usr/lib/jvm/java-17-openjdk-amd64")
DRIVER_MEMORY_ENV = "SPECCOMM_SPARK_DRIVER_MEMORY"
DEFAULT_DRIVER_MEMORY = "4g"


class SparkUnavailable(RuntimeError):
    """pyspark or Java is missing: say how to install them."""


def java_home() -> str:
    """JAVA_HOME as set, else Debian's Java 17, else the folder above `java` on PATH."""
    configured = os.environ.get("JAVA_HOME")
    if configured:
        return configured
    if (DEBIAN_JAVA_17 / "bin" / "java").exists():
        return str(DEBIAN_JAVA_17)
    java = shutil.which("java")
    if java:
        return str(Path(java).resolve().parent.parent)
    raise SparkUnavailable(
        "no Java found for Spark: install Debian's openjdk-17-jre-headless (make system-deps) "
        "or set JAVA_HOME"
    )


def require_pyspark() -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError as exc:
        raise SparkUnavailable(
            'pyspark is not installed: pip install -c constraints.txt -e ".[spark]" (make spark-demo does)'
        ) from exc


def spark_environment(spark_dir: Path, raw_dir: Path) -> dict[str, str]:
    """Variables for a dbt process on the Spark target. `spark_dir` holds the metastore (Derby)
    and the tables' Parquet files; `raw_dir` the raw layer (speccomm.load.raw_layer). The
    driver's memory must be given before the JVM starts, so it goes in PYSPARK_SUBMIT_ARGS."""
    require_pyspark()
    spark_dir.mkdir(parents=True, exist_ok=True)
    memory = os.environ.get(DRIVER_MEMORY_ENV, DEFAULT_DRIVER_MEMORY)
    java_options = f"-Dderby.system.home={spark_dir.resolve()}"
    return {
        "JAVA_HOME": java_home(),
        "SPECCOMM_SPARK_DIR": str(spark_dir.resolve()),
        "SPECCOMM_RAW_PARQUET": str(raw_dir.resolve()),
        "PYSPARK_SUBMIT_ARGS": (
            f'--driver-memory {memory} --driver-java-options "{java_options}" pyspark-shell'
        ),
    }
