"""`speccomm extract --icb QKK [--icb QWE …] [--footprint NAME] --out FILE`: a footprint's rows
of every fact and mart, and its data-quality results.

The footprint is the union of the ICBs named (`--icb`, repeatable) and of a named footprint
from reference data (seed `footprints`). Every row of an ICB-level table carries
`extract_icb_code`, the footprint ICB it is in the extract for. Writes a DuckDB file (schemas
`marts` and `dq`, plus `main.extract_manifest` per table, `main.extract_info` — ICBs,
footprint, sharing agreement, the run the warehouse was published by, the suppression rule —
and `main.extract_suppression`, what was suppressed where), the same tables as Parquet in
`<FILE stem>_parquet/` and the manifest as `<FILE stem>_manifest.json`. The rules are each
mart's `config.meta.extract` (read by `extract_rules.py`); a table without one is withheld and
named on the console. An unknown ICB
or footprint fails closed: nothing is written. The three outputs are checked before anything is
written (speccomm.publish.output_path: a regular file path, never a device, a folder or the
warehouse's own files, and an existing one only with `--force`), written under temporary names
and renamed into place when complete: a failed extract writes nothing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from speccomm.config import NATIONAL, Paths
from speccomm.footprint import UnknownFootprint, footprint_icbs, icb_codes, parse_footprint
from speccomm.publish.comments import copy_comments
from speccomm.publish.export import copy_to_parquet, published_tables, sql_string
from speccomm.publish.extract_rules import (
    DQ_TABLES,
    ROW,
    IcbRows,
    NotExtracted,
    Rule,
    marts_keys,
    marts_rules,
)
from speccomm.publish.output_path import Kind, OutputRefused, check_output, place_folder, staged_folder_beside
from speccomm.publish.storage import new_file_config
from speccomm.publish.suppression import (
    Suppressed,
    Suppression,
    create_withheld_cells,
    suppress_table,
    withhold_totals,
)
from speccomm.state import StateLayout

ICB_CODE = re.compile(r"^[A-Z0-9]{3}$")
OWN_ICB = "own ICB: its own population and providers, no sharing agreement needed"


class UnknownIcb(ValueError):
    pass


@dataclass(frozen=True)
class Taken:
    table: str
    rule: str
    rows: int


@dataclass(frozen=True)
class Withheld:
    table: str
    why: str


@dataclass(frozen=True)
class Footprint:
    icbs: tuple[str, ...]
    name: str | None = None
    agreement: str | None = None  # the agreement's code; OWN_ICB for one ICB
    row_level_allowed: bool = False


@dataclass
class Extracted:
    footprint: Footprint
    taken: list[Taken] = field(default_factory=list)
    withheld: list[Withheld] = field(default_factory=list)
    suppressed: list[Suppressed] = field(default_factory=list)


def extract_icb(
    paths: Paths,
    icbs: Sequence[str] | str,
    out: Path,
    *,
    footprint: str | None = None,
    suppression: Suppression | None = None,
    force: bool = False,
) -> int:
    """CLI entry: 0 when the extract was written (tables withheld are listed), 1 on error."""
    if not paths.warehouse.exists():
        print(f"speccomm extract: no published warehouse at {paths.warehouse}", file=sys.stderr)
        return 1
    try:
        layout = StateLayout.of(paths)
        for target, kind in ((out, Kind.FILE), (parquet_dir(out), Kind.FOLDER),
                             (manifest_path(out), Kind.FILE)):
            check_output(target, kind, force=force, layout=layout)
        result = write_footprint_extract(
            paths.warehouse, icbs, out, footprint=footprint, suppression=suppression
        )
    except (UnknownIcb, OutputRefused) as exc:
        print(f"speccomm extract: {exc}", file=sys.stderr)
        return 1
    fp = result.footprint
    print(
        f"speccomm extract: ICB {' + '.join(fp.icbs)}"
        + (f" (footprint {fp.name})" if fp.name else "")
        + f" -> {out} (Parquet in {parquet_dir(out)})"
    )
    print(
        "  sharing: "
        + (fp.agreement or "no data-sharing agreement covers these ICBs: row-level tables withheld")
    )
    for item in result.taken:
        print(f"  {item.table:<40} {item.rows:>10,} rows  ({item.rule})")
    for item in result.withheld:
        print(f"  NOT EXPORTED {item.table}: {item.why}")
    for s in result.suppressed:
        if s.cells_withheld or s.cells_rounded or s.cells_complementary:
            print(
                f"  suppressed {s.table}.{s.column}: {s.cells_withheld} small counts withheld,"
                f" {s.cells_complementary} more withheld beside them, {s.cells_rounded} rounded"
            )
    return 0


def parquet_dir(out: Path) -> Path:
    return out.with_name(out.stem + "_parquet")


def manifest_path(out: Path) -> Path:
    return out.with_name(out.stem + "_manifest.json")


def write_extract(published: Path, icb: Sequence[str] | str, out: Path) -> tuple[list[Taken], list[Withheld]]:
    """The extract of one ICB or several (kept for callers of the one-ICB version)."""
    result = write_footprint_extract(published, icb, out)
    return result.taken, result.withheld


def write_footprint_extract(
    published: Path,
    icbs: Sequence[str] | str,
    out: Path,
    *,
    footprint: str | None = None,
    suppression: Suppression | None = None,
    parquet: bool = True,
) -> Extracted:
    """The extract as a DuckDB file `out`, with its Parquet copy and JSON manifest beside it
    (`parquet=False`: the DuckDB file only, for `speccomm export --icb`)."""
    rule = suppression or Suppression.configured()
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(fd)
    staged = Path(name)
    staged.unlink()  # DuckDB creates the file itself
    staged_parquet = staged_folder_beside(parquet_dir(out))
    staged_manifest = manifest_path(out).with_name(f".{manifest_path(out).name}.tmp")
    try:
        with duckdb.connect(str(staged), config=new_file_config()) as con:  # 1.x clients read it
            con.execute(f"attach {sql_string(str(published))} as src (read_only)")
            result = Extracted(_footprint(con, [icbs] if isinstance(icbs, str) else list(icbs), footprint))
            _footprint_tables(con, result.footprint.icbs)
            _copy_marts(con, result, rule)
            _copy_dq(con, result)
            info = _write_manifest(con, result, published, rule)
            con.execute("detach src")
            if parquet:
                _write_parquet(con, result.taken, staged_parquet)
        staged_manifest.write_text(json.dumps(info, indent=2, default=str) + "\n", encoding="utf-8")
        if parquet:
            # a table withheld today must not linger from an older extract (--force)
            place_folder(staged_parquet, parquet_dir(out), stale="*.parquet")
        os.replace(staged, out)
        os.replace(staged_manifest, manifest_path(out))
    finally:
        staged.unlink(missing_ok=True)
        staged.with_name(staged.name + ".wal").unlink(missing_ok=True)
        staged_manifest.unlink(missing_ok=True)
        shutil.rmtree(staged_parquet, ignore_errors=True)
    return result


# --- the footprint -----------------------------------------------------------------------------


def _footprint(con: duckdb.DuckDBPyConnection, icbs: list[str], footprint: str | None) -> Footprint:
    """The extract's ICBs: the codes of `--icb` and those of `--footprint` (read as the nightly
    reads its footprint, speccomm.footprint, against the published warehouse's ICBs and named
    footprints)."""
    codes = icb_codes(icbs)
    name = None
    if footprint is not None:
        try:
            parts = parse_footprint(footprint)
            codes += _footprint_codes(con, parts, f"--footprint={footprint!r}")
        except UnknownFootprint as exc:
            raise UnknownIcb(str(exc)) from None
        name = parts if isinstance(parts, str) else ",".join(parts)
    if not codes:
        raise UnknownIcb("name at least one ICB (--icb CODE) or a footprint (--footprint CODES|NAME)")
    bad = [code for code in codes if not ICB_CODE.match(code)]
    if bad:
        raise UnknownIcb(f"{bad[0]!r} is not an ICB code (three letters or digits, e.g. QKK)")
    known = _published_icbs(con)
    unknown = sorted(set(codes) - known)
    if unknown:
        raise UnknownIcb(
            f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not in marts.dim_icb: "
            "nothing extracted (check the code, or the ICB reference data)"
        )
    unique = tuple(dict.fromkeys(codes))
    if len(unique) == 1:
        return Footprint(unique, name, OWN_ICB, True)
    agreement = _agreement(con, unique)
    return Footprint(unique, name, agreement, agreement is not None)


def _published_icbs(con: duckdb.DuckDBPyConnection) -> set[str]:
    found = con.execute("select icb_code from src.marts.dim_icb where not is_unknown_member").fetchall()
    return {code for (code,) in found}


def _footprint_codes(con: duckdb.DuckDBPyConnection, parts: list[str] | str, source: str) -> list[str]:
    """The ICB codes of a footprint's parts: every published ICB for 'national'."""
    known = _published_icbs(con)
    if parts == NATIONAL:
        return sorted(known)
    return footprint_icbs(parts, _named_footprints(con), known, source)


def _named_footprints(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """The published reference.footprints: upper-case name → its ICB codes."""
    if not _has(con, "reference", "footprints"):
        return {}
    found: dict[str, list[str]] = {}
    rows = con.execute(
        "select upper(footprint_code), upper(icb_code) from src.reference.footprints order by 1, 2"
    ).fetchall()
    for name, code in rows:
        found.setdefault(name, []).append(code)
    return found


def _agreement(con: duckdb.DuckDBPyConnection, icbs: tuple[str, ...]) -> str | None:
    """A data-sharing agreement in force today whose footprint holds every ICB and which allows
    row-level data, as `CODE (name)`; None when there is none."""
    if not (_has(con, "reference", "data_sharing_agreements") and _has(con, "reference", "footprints")):
        return None
    rows = con.execute(
        """
        select agreements.agreement_code, agreements.agreement_name, list(upper(footprints.icb_code))
        from src.reference.data_sharing_agreements as agreements
        inner join src.reference.footprints as footprints
            on upper(agreements.footprint_code) = upper(footprints.footprint_code)
        where agreements.allows_row_level
            and agreements.valid_from <= ? and coalesce(agreements.valid_to, date '9999-12-31') >= ?
        group by agreements.agreement_code, agreements.agreement_name
        order by agreements.agreement_code
        """,
        [date.today(), date.today()],
    ).fetchall()
    for code, agreement_name, members in rows:
        if set(icbs) <= set(members):
            return f"{code} ({agreement_name})"
    return None


def _footprint_tables(con: duckdb.DuckDBPyConnection, icbs: tuple[str, ...]) -> None:
    """footprint_icbs: each ICB code whose rows belong to the footprint (a footprint ICB, or
    one whose population a footprint ICB holds today) → that footprint ICB; footprint_providers:
    the providers a footprint ICB hosts, hosted at any time or today."""
    con.execute("create temp table footprint(icb_code varchar)")
    con.executemany("insert into footprint values (?)", [[code] for code in icbs])
    con.execute(
        """
        create temp table footprint_icbs as
        select distinct
            dim_icb.icb_code,
            case when dim_icb.icb_code in (select icb_code from footprint) then dim_icb.icb_code
                else dim_icb.current_icb_code end as footprint_icb_code
        from src.marts.dim_icb as dim_icb
        where dim_icb.icb_code in (select icb_code from footprint)
            or dim_icb.current_icb_code in (select icb_code from footprint)
        """
    )
    hosts = "select provider_code, host_icb_code from src.marts.dim_provider"
    if _has(con, "marts", "dim_provider_host"):
        hosts += " union select provider_code, host_icb_code from src.marts.dim_provider_host"
    con.execute(
        f"""
        create temp table footprint_providers as
        select distinct hosts.provider_code, footprint_icbs.footprint_icb_code
        from ({hosts}) as hosts
        inner join footprint_icbs on hosts.host_icb_code = footprint_icbs.icb_code
        """
    )


# --- the tables --------------------------------------------------------------------------------


def _copy_marts(con: duckdb.DuckDBPyConnection, result: Extracted, rule: Suppression) -> None:
    con.execute("create schema marts")
    create_withheld_cells(con)
    for schema, table in published_tables(con, catalog="src", schemas=("marts",)):
        name = f"{schema}.{table}"
        table_rule = marts_rules().get(table)
        missing = _missing_columns(con, schema, table, table_rule) if table_rule else []
        if table_rule is None:
            result.withheld.append(
                Withheld(name, "no extract rule (state one in the model's config.meta.extract)")
            )
        elif isinstance(table_rule, NotExtracted):
            result.withheld.append(Withheld(name, table_rule.describe()))
        elif missing:
            result.withheld.append(Withheld(name, f"its rule names missing columns {missing}"))
        elif (
            isinstance(table_rule, IcbRows)
            and table_rule.row_level
            and not result.footprint.row_level_allowed
        ):
            result.withheld.append(
                Withheld(
                    name,
                    "row-level data: no data-sharing agreement allows it across "
                    + " + ".join(result.footprint.icbs),
                )
            )
        else:
            rows = _copy_table(con, table, table_rule)
            if isinstance(table_rule, IcbRows) and table_rule.counts:
                present = set(_columns(con, "marts", table))
                key = tuple(c for c in marts_keys().get(table, ()) if c in present)
                result.suppressed += suppress_table(con, f'marts."{table}"', table_rule, rule, key)
            result.taken.append(Taken(name, table_rule.describe(), rows))
    if rule.up_to:
        _withhold_totals(con, result)


def _withhold_totals(con: duckdb.DuckDBPyConnection, result: Extracted) -> None:
    """Once every mart is suppressed: the cells of one mart that total a withheld cell of
    another (`totals_of`, speccomm.publish.suppression.withhold_totals)."""
    for taken in result.taken:
        schema, table = taken.table.split(".", 1)
        table_rule = marts_rules().get(table)
        if schema != "marts" or not isinstance(table_rule, IcbRows) or not table_rule.totals_of:
            continue
        key = tuple(c for c in marts_keys().get(table, ()) if c in set(_columns(con, "marts", table)))
        result.suppressed += withhold_totals(con, f'marts."{table}"', table_rule, marts_keys(), key=key)


def _copy_table(con: duckdb.DuckDBPyConnection, table: str, rule: Rule) -> int:
    select = f'select * from src.marts."{table}"'
    if isinstance(rule, IcbRows):
        select = (
            f'select {ROW}.*, {rule.extract_icb()} as extract_icb_code from src.marts."{table}" as {ROW}'
            f" where {rule.where()}"
        )
    con.execute(f'create table marts."{table}" as {select}')
    copy_comments(con, "src", "marts", table)
    return con.execute(f'select count(*) from marts."{table}"').fetchone()[0]


def _copy_dq(con: duckdb.DuckDBPyConnection, result: Extracted) -> None:
    """The data-quality results of the footprint's providers and of its ICBs' ledgers."""
    con.execute("create schema dq")
    for table in DQ_TABLES:
        name = f"dq.{table}"
        if not _has(con, "dq", table):
            continue
        con.execute(
            f"""
            create table dq."{table}" as
            select * from src.dq."{table}"
            where provider_code in (select provider_code from footprint_providers)
                or provider_code in (select icb_code from footprint_icbs)
            """
        )
        copy_comments(con, "src", "dq", table)
        rows = con.execute(f'select count(*) from dq."{table}"').fetchone()[0]
        result.taken.append(Taken(name, "the footprint's providers and ICB ledgers", rows))
    if _has(con, "dq", "dq_failed_samples"):
        result.withheld.append(
            Withheld(
                "dq.dq_failed_samples",
                "row samples (raw values, record references) "
                "stay in the warehouse; the counts are in dq.dq_check_results",
            )
        )


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    return [
        name
        for (name,) in con.execute(
            "select column_name from information_schema.columns"
            " where table_catalog = 'src' and table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchall()
    ]


def _missing_columns(con: duckdb.DuckDBPyConnection, schema: str, table: str, rule: Rule) -> list[str]:
    present = set(_columns(con, schema, table))
    return [c for c in dict.fromkeys(rule.columns()) if c not in present]


def _has(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return (
        con.execute(
            "select count(*) from information_schema.tables"
            " where table_catalog = 'src' and table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
        > 0
    )


# --- the manifest ------------------------------------------------------------------------------


def _published_run(con: duckdb.DuckDBPyConnection) -> tuple[str | None, str | None]:
    if not _has(con, "ops", "run_log"):
        return None, None
    row = con.execute(
        "select run_id, published_version from src.ops.run_log"
        " where kind = 'nightly' and status = 'succeeded'"
        " order by started_at desc limit 1"
    ).fetchone()
    return (row[0], row[1]) if row else (None, None)


def _write_manifest(
    con: duckdb.DuckDBPyConnection, result: Extracted, published: Path, rule: Suppression
) -> dict[str, object]:
    fp = result.footprint
    icbs = ",".join(fp.icbs)
    now = datetime.now(UTC).replace(tzinfo=None)
    run_id, version = _published_run(con)
    con.execute(
        "create table main.extract_manifest (icb_code varchar, table_name varchar, exported boolean,"
        " rule varchar, row_count bigint, source_file varchar, extracted_at timestamp)"
    )
    rows = [[icbs, t.table, True, t.rule, t.rows, str(published), now] for t in result.taken]
    rows += [[icbs, w.table, False, w.why, None, str(published), now] for w in result.withheld]
    if rows:
        con.executemany("insert into main.extract_manifest values (?, ?, ?, ?, ?, ?, ?)", rows)
    info = {
        "icb_codes": list(fp.icbs),
        "footprint": fp.name,
        "sharing_agreement": fp.agreement,
        "row_level_allowed": fp.row_level_allowed,
        "run_id": run_id,
        "published_version": version,
        "suppression": rule.describe(),
        "suppress_up_to": rule.up_to,
        "round_to": rule.round_to,
        "source_file": str(published),
        "extracted_at": now.isoformat(sep=" "),
    }
    con.execute(
        "create table main.extract_info (icb_codes varchar[], footprint varchar, sharing_agreement varchar,"
        " row_level_allowed boolean, run_id varchar, published_version varchar, suppression varchar,"
        " suppress_up_to integer, round_to integer, source_file varchar, extracted_at timestamp)"
    )
    con.execute(
        "insert into main.extract_info values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            list(fp.icbs),
            fp.name,
            fp.agreement,
            fp.row_level_allowed,
            run_id,
            version,
            rule.describe(),
            rule.up_to,
            rule.round_to,
            str(published),
            now,
        ],
    )
    con.execute(
        "create table main.extract_suppression (table_name varchar, column_name varchar,"
        " cells_withheld bigint, cells_rounded bigint, withheld_with varchar[], cells_complementary bigint)"
    )
    if result.suppressed:
        con.executemany(
            "insert into main.extract_suppression values (?, ?, ?, ?, ?, ?)",
            [
                [
                    s.table.replace('"', ""),
                    s.column,
                    s.cells_withheld,
                    s.cells_rounded,
                    list(s.linked_columns),
                    s.cells_complementary,
                ]
                for s in result.suppressed
            ],
        )
    info["tables"] = [asdict(t) for t in result.taken]
    info["withheld"] = [asdict(w) for w in result.withheld]
    info["suppressed"] = [{**asdict(s), "table": s.table.replace('"', "")} for s in result.suppressed]
    return info


def _write_parquet(con: duckdb.DuckDBPyConnection, taken: list[Taken], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for item in taken:
        schema, table = item.table.split(".")
        file_name = f"{table}.parquet" if schema == "marts" else f"{schema}.{table}.parquet"
        copy_to_parquet(con, f'{schema}."{table}"', folder / file_name)
