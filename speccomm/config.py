"""Where things live: project paths and the settings that come from the environment."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = PROJECT_ROOT / "seeds" / "reference"

# The warehouse's schemas (raw from speccomm.load, the rest from dbt_project.yml). DuckDB names a
# database after its file, so a file named like one of them makes `raw.file_registry` or
# `marts.fct_sus_activity` ambiguous, for the build and for every reader.
WAREHOUSE_SCHEMAS = ("raw", "reference", "staging", "intermediate", "marts", "dq", "dq_checks")


SERVICE_LINE_BASES = ("supplied", "derived")
# Where a night's dbt build runs (`speccomm nightly --engine`): DuckDB in the working copy
# itself, or Spark, whose tables are copied into the working copy (speccomm.spark.night).
ENGINES = ("duckdb", "spark")


class BadWarehouseName(ValueError):
    """The warehouse file's name would make the warehouse's own schema names ambiguous."""


@dataclass(frozen=True)
class Paths:
    """The folders and files one nightly run works with."""

    landing: Path
    warehouse: Path  # the published DuckDB file BI tools open
    outbox: Path  # the nightly's own files beside the warehouse: speccomm.state.StateLayout


def resolve_paths(
    landing: str | os.PathLike[str] | None = None,
    warehouse: str | os.PathLike[str] | None = None,
    outbox: str | os.PathLike[str] | None = None,
) -> Paths:
    """Command-line value, else environment variable, else the project default."""
    paths = Paths(
        landing=_pick(landing, "SPECCOMM_LANDING", PROJECT_ROOT / "data" / "landing"),
        warehouse=_pick(warehouse, "SPECCOMM_WAREHOUSE", PROJECT_ROOT / "warehouse" / "speccomm.duckdb"),
        outbox=_pick(outbox, "SPECCOMM_OUTBOX", PROJECT_ROOT / "outbox"),
    )
    if paths.warehouse.name.lower() == "build.duckdb":  # speccomm.state.BUILD_FILE_NAME
        raise BadWarehouseName(
            f"warehouse file {paths.warehouse}: build.duckdb is the name of the nightly's build file "
            "beside the published one. Choose another file name (e.g. speccomm.duckdb)."
        )
    if paths.warehouse.stem.lower() in WAREHOUSE_SCHEMAS:
        raise BadWarehouseName(
            f"warehouse file {paths.warehouse}: DuckDB would name the database '{paths.warehouse.stem}',"
            f" like the warehouse's schema of that name, and `{paths.warehouse.stem}.<table>` would be"
            " ambiguous. Choose another file name (e.g. speccomm.duckdb)."
        )
    return paths


def _pick(given: str | os.PathLike[str] | None, env_var: str, default: Path) -> Path:
    if given is not None:
        return Path(given).resolve()
    from_env = os.environ.get(env_var)
    return Path(from_env).resolve() if from_env else default


DEFAULT_BI_TEAM_EMAIL = "bi-team@example.org"
DEFAULT_CONTACT_NAME = "the specialised commissioning BI team"


@dataclass(frozen=True)
class ReportContact:
    """Who a provider asks about its report: named in the report, and the Reply-To address.
    `SPECCOMM_DQ_CONTACT_NAME` (default: the BI team) and `SPECCOMM_REPLY_TO` (default:
    `SPECCOMM_BI_TEAM_EMAIL`)."""

    name: str
    email: str


def report_contact(environ: Mapping[str, str] | None = None) -> ReportContact:
    env = os.environ if environ is None else environ
    bi_team = env.get("SPECCOMM_BI_TEAM_EMAIL", "").strip() or DEFAULT_BI_TEAM_EMAIL
    return ReportContact(
        name=env.get("SPECCOMM_DQ_CONTACT_NAME", "").strip() or DEFAULT_CONTACT_NAME,
        email=env.get("SPECCOMM_REPLY_TO", "").strip() or bi_team,
    )
def service_line_basis() -> str:
    """Which SUS service line decides the funding stream: `supplied` (the service_line_code on the
    record, the default) or `derived` (the identification rules' line); SPECCOMM_SERVICE_LINE_BASIS.
    See docs/identification-rules.md ("Which line pays")."""
    value = os.environ.get("SPECCOMM_SERVICE_LINE_BASIS", "").strip().lower() or "supplied"
    if value not in SERVICE_LINE_BASES:
        raise ValueError(f"SPECCOMM_SERVICE_LINE_BASIS={value!r}: use one of {', '.join(SERVICE_LINE_BASES)}")
    return value


# --- the footprint: the ICBs this deployment serves -----------------------------------------
# One home for the rule: dbt var `footprint` (dbt_project.yml holds the default), set for a
# night by `--footprint` or SPECCOMM_FOOTPRINT, checked by speccomm.footprint; docs/footprint.md.
NATIONAL = "national"
FOOTPRINT_ENV = "SPECCOMM_FOOTPRINT"


def icb_codes(values: Iterable[str]) -> list[str]:
    """ICB codes as a person gives them, parsed one way everywhere (`--footprint QKK,QWE`,
    SPECCOMM_FOOTPRINT, repeated `--icb`, `--icb QKK,QWE`): split on commas, trimmed,
    upper-cased, blanks dropped, each code once in the order first given. Whether a code is
    an ICB is for the caller (speccomm.footprint against tonight's reference data, an extract
    against the published dim_icb)."""
    codes: dict[str, None] = {}
    for value in values:
        for part in value.split(","):
            if part.strip():
                codes.setdefault(part.strip().upper(), None)
    return list(codes)
