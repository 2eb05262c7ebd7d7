"""The pack's figures: the published marts' rows a footprint may see, taken and suppressed as
the footprint's extract takes and suppresses them (speccomm.publish.extract: each mart's
`config.meta.extract` rule, the footprint's ICBs and the providers they host; counts 1-7
withheld with the columns derived from them, the rest rounded to 5).

Nothing here decides a business figure: spend, plan, estimates, forecasts, funnel limits and
the allocation bases are columns of the marts. Python selects the footprint's rows, sums them
over the ICBs of a page, and hands them to the charts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from speccomm.publish.export import sql_string
from speccomm.publish.extract import Footprint, _footprint, _footprint_tables
from speccomm.publish.extract_rules import DQ_TABLES, ROW, IcbRows, marts_rules
from speccomm.publish.suppression import Suppressed, Suppression, suppress_table

# the marts a pack draws on (schema marts), each taken by its extract rule
PACK_MARTS: tuple[str, ...] = (
    "fct_icb_spend_monthly",
    "rpt_icb_variation",
    "rpt_allocation_impact",
    "rpt_service_line_ir_monitoring",
    "rpt_triangulation_spend",
    "rpt_triangulation_activity",
    "rpt_low_volume_flows",
)
PACK_DQ: tuple[str, ...] = ("dq_slam_submissions",)
# marts the pack sums before showing (by provider over the year): their counts are suppressed
# after the sum, on the figures the page shows (PackData.suppress), not cell by cell before it,
# which would drop every small cell from the total
SUMMED_BEFORE_SHOWN: tuple[str, ...] = ("rpt_service_line_ir_monitoring",)


class PackDataMissing(RuntimeError):
    """The warehouse lacks a mart the pack needs (an empty or foreign file)."""


@dataclass
class PackData:
    """The footprint's rows of each mart (column `extract_icb_code`: the footprint ICB a row
    is for), the rejected files that concern it, names, and the night that built them."""

    footprint: Footprint
    tables: dict[str, pd.DataFrame]
    rejected: pd.DataFrame
    icb_names: dict[str, str]
    provider_names: dict[str, str]
    provider_hosts: dict[str, set[str]]  # provider → footprint ICBs hosting it
    icb_footprint: dict[str, str]  # an ICB code → the footprint ICB whose rows it is in
    run: dict[str, Any]
    suppression: Suppression
    suppressed: list[Suppressed]

    def rows(self, table: str, icbs: Sequence[str]) -> pd.DataFrame:
        frame = self.tables[table]
        return frame[frame["extract_icb_code"].isin(list(icbs))].copy()

    def own_rows(self, table: str, icbs: Sequence[str]) -> pd.DataFrame:
        """Rows whose `icb_code` is one of `icbs` (or a predecessor), not those of other ICBs
        at the providers they host: the flows the ICBs themselves pay."""
        frame = self.rows(table, icbs)
        return frame[frame["icb_code"].map(self.icb_footprint).isin(list(icbs))].copy()

    def has_column(self, table: str, column: str) -> bool:
        return column in self.tables[table].columns

    def suppress(self, table: str, frame: pd.DataFrame) -> pd.DataFrame:
        """`frame` (figures summed from `table`'s rows) with the table's counts suppressed by
        the extract's rule (speccomm.publish.suppression.suppress_table)."""
        rule = marts_rules()[table]
        assert isinstance(rule, IcbRows)
        counts = {
            column: tuple(c for c in linked if c in frame.columns)
            for column, linked in rule.counts.items()
            if column in frame.columns
        }
        with duckdb.connect(":memory:") as con:
            con.register("shown", frame)
            con.execute("create schema pack")
            con.execute("create table pack.shown as select * from shown")
            self.suppressed += suppress_table(con, "pack.shown", counts, self.suppression)
            return con.execute("select * from pack.shown").fetchdf()


def read_pack_data(published: Path, icbs: Sequence[str], suppression: Suppression | None = None) -> PackData:
    """The footprint's figures from the published warehouse (opened read-only). An unknown
    ICB code raises speccomm.publish.extract.UnknownIcb: nothing is written."""
    rule = suppression or Suppression.configured()
    with duckdb.connect(":memory:") as con:
        con.execute(f"attach {sql_string(str(published))} as src (read_only)")
        for table in PACK_MARTS:
            if not _exists(con, "marts", table):
                raise PackDataMissing(f"{published} has no marts.{table}: is it a built speccomm warehouse?")
        footprint = _footprint(con, list(icbs), None)
        _footprint_tables(con, footprint.icbs)
        con.execute("create schema pack")
        suppressed: list[Suppressed] = []
        tables = {}
        for table in PACK_MARTS:
            tables[table] = _take(con, "marts", table, suppressed, rule)
        for table in PACK_DQ:
            tables[table] = _take(con, "dq", table, suppressed, rule) if _exists(con, "dq", table) else None
        return PackData(
            footprint,
            {k: v for k, v in tables.items() if v is not None},
            _rejected(con),
            dict(con.execute("select icb_code, icb_name from src.marts.dim_icb").fetchall()),
            dict(con.execute("select provider_code, provider_name from src.marts.dim_provider").fetchall()),
            _hosts(con),
            dict(con.execute("select icb_code, footprint_icb_code from footprint_icbs").fetchall()),
            _run(con),
            rule,
            suppressed,
        )


def _exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    row = con.execute(
        "select count(*) from information_schema.tables"
        " where table_catalog = 'src' and table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return row is not None and row[0] > 0


def _take(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, suppressed: list[Suppressed], rule: Suppression
) -> pd.DataFrame:
    """The extract's rows of one table, suppressed as the extract's are: its counts, what
    derives from them, repeated columns, complementary cells and running totals."""
    table_rule = (
        marts_rules().get(table) if schema == "marts" else IcbRows(provider_columns=("provider_code",))
    )
    if not isinstance(table_rule, IcbRows):
        raise PackDataMissing(f"{schema}.{table} has no per-ICB extract rule: the pack cannot show it")
    if schema == "dq" and table not in DQ_TABLES:
        raise PackDataMissing(f"dq.{table} is not shared in extracts")
    target = f"pack.{table}"
    con.execute(
        f"create table {target} as select {ROW}.*, {table_rule.extract_icb()} as extract_icb_code"
        f" from src.{schema}.{table} as {ROW} where {table_rule.where()}"
    )
    if table_rule.counts and table not in SUMMED_BEFORE_SHOWN:
        suppressed += suppress_table(con, target, table_rule, rule)
    return con.execute(f"select * from {target}").fetchdf()


def _rejected(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Rejected landing files of the footprint: a provider's file (a provider a footprint ICB
    hosts), an ICB's ledger or budget file, and every SUS extract (the DSCRO's, for all)."""
    if not _exists(con, "dq", "rejected_files"):
        return pd.DataFrame(
            columns=["file_name", "feed", "reason", "seen_at", "org_code", "extract_icb_code"]
        )
    return con.execute(
        """
        with files as (
            select
                file_name, feed, reason, seen_at,
                upper(split_part(regexp_replace(file_name, '^.*/', ''), '_', 1)) as org_code
            from src.dq.rejected_files
        )
        select distinct
            files.*,
            coalesce(providers.footprint_icb_code, icbs.footprint_icb_code) as extract_icb_code
        from files
        left join footprint_providers as providers on files.org_code = providers.provider_code
        left join footprint_icbs as icbs on files.org_code = icbs.icb_code
        where files.feed = 'sus' or providers.provider_code is not null or icbs.icb_code is not null
        order by files.seen_at desc, files.file_name
        """
    ).fetchdf()


def _hosts(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    hosts: dict[str, set[str]] = {}
    for provider, icb in con.execute(
        "select provider_code, footprint_icb_code from footprint_providers"
    ).fetchall():
        hosts.setdefault(provider, set()).add(icb)
    return hosts


def _run(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The night that published the warehouse (ops.run_log's latest succeeded run), if any."""
    if not _exists(con, "ops", "run_log"):
        return {}
    row = con.execute(
        "select run_id, started_at from src.ops.run_log where status = 'succeeded'"
        " order by started_at desc limit 1"
    ).fetchone()
    return {"run_id": row[0], "started_at": row[1]} if row else {}
