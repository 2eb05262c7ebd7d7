"""No extract of the generated demo data shows a count of 1 to 7 or lets a withheld cell be
worked back out of the extract itself (issue 25): every integer cell searched, and the
intruder's differencing of `disclosure_audit` tried (repeated and derived columns, year to
date, total minus parts), checked against the unsuppressed warehouse."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from demo_warehouse import DemoWarehouse
from disclosure_audit import Finding, audit, small_counts

from speccomm.publish.extract import write_footprint_extract

pytest_plugins = ["demo_warehouse"]
pytestmark = pytest.mark.slow

Audited = tuple[Path, list[Finding]]


@pytest.fixture(scope="module")
def audited(
    demo_warehouse: DemoWarehouse, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[tuple[str, ...]], Audited]:
    """The extract of these ICBs and its audit's findings, each written and audited once for
    the module (the QWE extract serves two tests)."""
    done: dict[tuple[str, ...], Audited] = {}

    def extract(icbs: tuple[str, ...]) -> Audited:
        if icbs not in done:
            out = tmp_path_factory.mktemp("extract") / "extract.duckdb"
            write_footprint_extract(demo_warehouse.database, list(icbs), out)
            done[icbs] = (out, audit(out, demo_warehouse.database))
        return done[icbs]

    return extract


# each footprint ICB alone, and the extract of two ICBs
@pytest.mark.parametrize("icbs", [("QKK", "QKS"), ("QKK",), ("QWE",)], ids=["QKK+QKS", "QKK", "QWE"])
def test_no_small_count_is_shown_or_worked_out(
    audited: Callable[[tuple[str, ...]], Audited], icbs: tuple[str, ...]
) -> None:
    out, findings = audited(icbs)
    assert not findings, "\n".join(f"{f.table}.{f.column}: {f.cells} cells, {f.method}" for f in findings)
    with duckdb.connect(str(out), read_only=True) as con:
        withheld = con.execute(
            "select reason, count(*) from main.extract_withheld_cells group by all"
        ).fetchall()
    reasons = dict(withheld)
    assert reasons.get("small") and reasons.get("with_count"), reasons  # the demo has small cells


def test_no_pounds_are_worked_out_from_money_only_marts(
    demo_warehouse: DemoWarehouse, audited: Callable[[tuple[str, ...]], Audited]
) -> None:
    """A withheld pounds cell of rpt_pathfinder_scope alone in its provider x ICB x month was
    rpt_triangulation_spend.slam_gbp (197 cells of the QWE extract): that total is withheld
    now (reason `total`), and so is the variance that gives it back with the ledger."""
    out, findings = audited(("QWE",))
    money_only = {"rpt_triangulation_spend", "fct_icb_spend_monthly", "rpt_icb_spend_movements",
                  "rpt_allocation_impact"}
    found = [f for f in findings if any(m in f.method for m in money_only)]
    assert found == []
    with duckdb.connect(str(out), read_only=True) as con:
        con.execute(f"attach '{demo_warehouse.database}' as truth (read_only)")
        lone = con.execute(
            """
            select count(*) filter (where spend.slam_gbp is not null),
                count(*) filter (where spend.spend_variance_gbp is not null), count(*)
            from marts.rpt_pathfinder_scope as scope
            inner join truth.marts.rpt_pathfinder_scope as true_scope
                on scope.pathfinder_scope_key = true_scope.pathfinder_scope_key
            inner join marts.rpt_triangulation_spend as spend
                on spend.provider_code = scope.provider_code and spend.icb_code = scope.icb_code
                and spend.financial_year = scope.financial_year
                and spend.financial_month = scope.financial_month
            where scope.price_gbp is null and true_scope.price_gbp <> 0
                and 1 = (select count(*) from marts.rpt_pathfinder_scope as other
                    where other.provider_code = scope.provider_code and other.icb_code = scope.icb_code
                        and other.financial_year = scope.financial_year
                        and other.financial_month = scope.financial_month)
            """
        ).fetchone()
        reasons = dict(con.execute(
            "select column_name, count(*) from main.extract_withheld_cells"
            " where table_name = 'marts.rpt_triangulation_spend' and reason = 'total' group by all"
        ).fetchall())
    assert lone is not None and lone[2] > 0 and lone[:2] == (0, 0), lone  # the lone cells' totals withheld
    assert reasons.get("slam_gbp", 0) >= lone[2] and reasons.get("spend_variance_gbp"), reasons


def test_the_audit_finds_what_an_unsuppressed_extract_shows(
    demo_warehouse: DemoWarehouse, tmp_path: Path
) -> None:
    """The oracle is not blind: with suppression turned off it finds the small counts."""
    from speccomm.publish.suppression import Suppression

    out = tmp_path / "open.duckdb"
    write_footprint_extract(demo_warehouse.database, ["QKK"], out, suppression=Suppression(0, 0))
    shown = {(f.table, f.column) for f in small_counts(out)}
    assert ("rpt_triangulation_activity", "sus_activity") in shown
    assert ("rpt_triangulation_activity", "sus_priced_records") in shown
