"""Reference updates read from `<landing>/reference/` (speccomm.load.reference) and the
extract's small-number suppression and footprint rules, without dbt: fast.

The end-to-end merger and status change through the nightly are in test_reference_updates.py.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

import duckdb
import pytest

from speccomm.load.reference import read_reference_folder, shipped_rows, write_seed_overlay
from speccomm.load.seed_layout import seed_layouts
from speccomm.publish.extract import UnknownIcb, write_footprint_extract
from speccomm.publish.extract_rules import ExtractRuleError, IcbRows, TotalOf, YearToDate
from speccomm.publish.suppression import Suppression, create_withheld_cells, suppress_table, withhold_totals

ICBS_HEADER = ["icb_code", "icb_name", "region_code", "valid_from", "valid_to", "successor_icb_code"]


def _write(path: Path, rows: list[list[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def merged_icbs() -> list[list[str]]:
    """The shipped ICBs with QKK and QWE merged into the fixture ICB ZZ1 from 1 April 2025."""
    rows = [ICBS_HEADER]
    for row in shipped_rows("icbs"):
        row = list(row)
        if row[0] in ("QKK", "QWE"):
            row[4], row[5] = "2025-03-31", "ZZ1"
        rows.append(row)
    rows.append(["ZZ1", "Fixture ICB ZZ1 (not a real code)", "Y56", "2025-04-01", "", ""])
    return rows


# --- reading and validating ----------------------------------------------------------------------


def test_a_seed_layout_file_replaces_its_seed(tmp_path: Path) -> None:
    _write(tmp_path / "reference" / "icbs.csv", merged_icbs())
    folder = read_reference_folder(tmp_path)
    assert folder.rejected == []
    update = folder.updates["icbs"]
    assert update.layout == "seed" and len(update.rows) == 43
    assert folder.version.startswith("icbs@") and folder.digest != "shipped"
    seeds = write_seed_overlay(folder, tmp_path / "work")
    assert seeds is not None
    written = list(csv.reader((seeds / "reference" / "icbs.csv").open(encoding="utf-8")))
    assert (
        written[0] == ICBS_HEADER
        and ["ZZ1", "Fixture ICB ZZ1 (not a real code)", "Y56", "2025-04-01", "", ""] in written
    )
    # every other seed is the shipped one
    assert (seeds / "reference" / "providers.csv").read_bytes() == seed_layouts()[
        "providers"
    ].shipped_csv.read_bytes()


def test_no_reference_folder_means_the_shipped_seeds(tmp_path: Path) -> None:
    folder = read_reference_folder(tmp_path)
    assert folder.version == "shipped" and write_seed_overlay(folder, tmp_path / "work") is None


def test_a_malformed_file_is_rejected_naming_row_and_field(tmp_path: Path) -> None:
    rows = merged_icbs()
    rows[2][3] = "2022-13-01"  # data row 2
    rows[4][2] = ""  # data row 4: region_code is required
    _write(tmp_path / "reference" / "icbs.csv", rows)
    folder = read_reference_folder(tmp_path)
    assert folder.updates == {}
    [(name, reason)] = folder.rejected
    assert name == "icbs.csv"
    assert "the shipped seed icbs stays" in reason
    assert "row 2, field valid_from: '2022-13-01' is not a date" in reason
    assert "row 4, field region_code: must not be blank" in reason


@pytest.mark.parametrize(
    ("name", "rows", "expected"),
    [
        (
            "icbs.csv",
            [ICBS_HEADER[:-1], ["ZZ1", "x", "Y56", "2025-04-01", ""]],
            "missing column successor_icb_code",
        ),
        (
            "icbs.csv",
            [
                ICBS_HEADER,
                ["QKK", "x", "Y56", "2022-07-01", "", ""],
                ["QKK", "y", "Y56", "2022-07-01", "", ""],
            ],
            "row 2, field icb_code+valid_from: 'QKK/2022-07-01' repeats row 1",
        ),
        (
            "icbs.csv",
            [ICBS_HEADER, ["ZZ1", "x", "Y99", "2025-04-01", "", ""]],
            "row 1, field region_code: 'Y99' is not a region_code in regions",
        ),
        (
            "funding_streams.csv",
            [
                ["funding_stream", "funding_stream_name", "who_pays", "is_delegated"],
                ["purple", "Purple", "nobody", "maybe"],
            ],
            "row 1, field is_delegated: 'maybe' is not true or false",
        ),
        ("icb_boundaries.csv", [["a"], ["b"]], "not a reference seed"),
    ],
)
def test_what_does_not_fit_the_layout_is_rejected(
    tmp_path: Path, name: str, rows: list[list[str]], expected: str
) -> None:
    _write(tmp_path / "reference" / name, rows)
    folder = read_reference_folder(tmp_path)
    assert folder.updates == {}
    assert expected in folder.rejected[0][1], folder.rejected


def test_a_subfolder_of_the_reference_folder_is_reported_not_read(tmp_path: Path) -> None:
    _write(tmp_path / "reference" / "archive" / "icbs.csv", merged_icbs())
    folder = read_reference_folder(tmp_path)
    assert folder.updates == {}
    assert folder.rejected == [
        ("archive/", "a folder: reference updates are files reference/<seed>.csv"
                     " directly in the reference folder; nothing in it is read"),
        ("archive/icbs.csv", "in the folder archive/ of the reference folder: not read"),  # each entry named
    ]


def test_a_hidden_file_of_the_reference_folder_is_reported_not_read(tmp_path: Path) -> None:
    _write(tmp_path / "reference" / ".icbs.csv.part", merged_icbs())  # an upload in progress
    (tmp_path / "reference" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    folder = read_reference_folder(tmp_path)
    assert folder.updates == {}
    assert [name for name, _ in folder.rejected] == [".DS_Store", ".icbs.csv.part"]
    hidden = "hidden (its name starts with a dot): not read"
    assert all(reason.startswith(hidden) for _, reason in folder.rejected)


def test_a_relationship_is_checked_against_tonights_other_seeds(tmp_path: Path) -> None:
    """A provider hosted by ZZ1 fits when tonight's icbs has ZZ1, not otherwise."""
    providers = [list(seed_layouts()["providers"].columns)] + [list(r) for r in shipped_rows("providers")]
    providers[1][4] = "ZZ1"  # RJ1's host
    _write(tmp_path / "reference" / "providers.csv", providers)
    alone = read_reference_folder(tmp_path)
    assert "row 1, field host_icb_code: 'ZZ1' is not a icb_code in icbs" in alone.rejected[0][1]
    _write(tmp_path / "reference" / "icbs.csv", merged_icbs())
    both = read_reference_folder(tmp_path)
    assert both.rejected == [] and set(both.updates) == {"icbs", "providers"}


def test_nhse_service_code_table_layout_is_read(tmp_path: Path) -> None:
    header = [
        "Service Code",
        "Service Description",
        "NPoC",
        "CRG",
        "Highly Specialised",
        "Effective From",
        "Effective To",
        "2025/26 ICB Delegation Status",
        "2026/27 ICB Delegation Status",
    ]
    rows = [header]
    for row in shipped_rows("service_codes"):
        code = row[0]
        green_2627 = "GREEN" if code == "NCBPS07E" else (row[13] or "N/A")
        rows.append(
            [
                code,
                row[1],
                "Internal Medicine" if row[4] == "IM" else row[4],
                row[5],
                "Y" if row[6] == "true" else "N",
                row[8],
                row[9],
                row[12] or "-",
                green_2627,
            ]
        )
    _write(tmp_path / "reference" / "service_codes.csv", rows)
    folder = read_reference_folder(tmp_path)
    assert folder.rejected == []
    update = folder.updates["service_codes"]
    assert update.layout == "nhse_service_codes"
    columns = seed_layouts()["service_codes"].columns
    by_code = {r[0]: dict(zip(columns, r, strict=True)) for r in update.rows}
    shipped = {r[0]: dict(zip(columns, r, strict=True)) for r in shipped_rows("service_codes")}
    assert by_code["NCBPS07E"]["icb_delegation_status_2026_27"] == "Green"  # shipped: Red
    assert shipped["NCBPS07E"]["icb_delegation_status_2026_27"] == "Red"
    assert by_code["NCBPS01A"]["npoc_code"] == "IM"
    # a year the file does not state comes from the shipped seed; the category likewise
    assert (
        by_code["NCBPS01H"]["icb_delegation_status_2024_25"]
        == shipped["NCBPS01H"]["icb_delegation_status_2024_25"]
    )
    assert all(by_code[c]["service_category"] == shipped[c]["service_category"] for c in shipped)
    assert by_code["99999999"]["icb_delegation_status_2025_26"] == ""  # "-" means no status


def test_ods_trust_file_layout_is_read(tmp_path: Path) -> None:
    """Headerless ODS rows: code, name, national grouping, high level health geography, …"""

    def ods(code: str, name: str, region: str, icb: str) -> list[str]:
        return [
            code,
            name,
            region,
            icb,
            "",
            "",
            "",
            "",
            "",
            "SE1 9RT",
            "19930401",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ]

    _write(
        tmp_path / "reference" / "providers.csv",
        [
            ods("RJ1", "GUY'S AND ST THOMAS' NHS FOUNDATION TRUST", "Y56", "QKK"),
            ods("RJ7", "ST GEORGE'S UNIVERSITY HOSPITALS NHS FOUNDATION TRUST", "Y56", "QWE"),
            ods("R1K", "LONDON NORTH WEST UNIVERSITY HEALTHCARE NHS TRUST", "Y56", "QRV"),
        ],
    )
    folder = read_reference_folder(tmp_path)
    assert folder.rejected == []
    update = folder.updates["providers"]
    columns = seed_layouts()["providers"].columns
    by_code = {r[0]: dict(zip(columns, r, strict=True)) for r in update.rows}
    assert update.layout == "ods"
    assert by_code["RJ1"]["provider_name"] == "GUY'S AND ST THOMAS' NHS FOUNDATION TRUST"
    assert by_code["RJ1"]["provider_type"] == "tertiary"  # not in ODS: kept from the shipped seed
    assert by_code["NZX01"]["is_nhs_trust"] == "false"  # not in the ODS trust file: kept
    assert len(update.rows) == len(shipped_rows("providers")) + (
        "R1K" not in {r[0] for r in shipped_rows("providers")}
    )


# --- suppression ---------------------------------------------------------------------------------


def test_suppression_withholds_1_to_7_and_rounds_the_rest_cell_by_cell() -> None:
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        "create table marts.t as select * from (values"
        " (1, 0::decimal(18,3), 0.00::decimal(18,2), 3::bigint),"
        " (2, 1::decimal(18,3), 10.00, 8),"
        " (3, 7::decimal(18,3), 70.00, 12),"
        " (4, 7.5::decimal(18,3), 75.00, 13),"
        " (5, 8::decimal(18,3), 80.00, 0),"
        " (6, 22.4::decimal(18,3), 224.00, 1002),"
        " (7, -3::decimal(18,3), -30.00, 17)"
        ") v(id, activity, price_gbp, records)"
    )
    done = suppress_table(con, "marts.t", {"activity": ("price_gbp",), "records": ()}, Suppression(7, 5))
    got = con.execute("select id, activity, price_gbp, records from marts.t order by id").fetchall()
    from decimal import Decimal as D

    assert got == [
        (1, D("0.000"), D("0.00"), None),  # zero stays; 3 records withheld
        (2, None, None, 10),  # activity 1 withheld with its money; 8 -> 10
        (3, None, None, 10),  # 7 withheld; 12 -> 10
        (4, D("10.000"), D("75.00"), 15),  # 7.5 is above 7: rounded; 13 -> 15
        (5, D("10.000"), D("80.00"), 0),  # 8 -> 10
        (6, D("20.000"), D("224.00"), 1000),
        (7, None, None, 15),  # an adjustment of -3 is small too
    ]
    by_column = {s.column: s for s in done}
    assert (by_column["activity"].cells_withheld, by_column["activity"].cells_rounded) == (3, 3)
    assert (by_column["records"].cells_withheld, by_column["records"].cells_rounded) == (1, 5)


def test_suppression_is_configurable_and_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPECCOMM_SUPPRESS_UP_TO", "10")
    monkeypatch.setenv("SPECCOMM_ROUND_TO", "0")
    rule = Suppression.configured()
    assert (rule.up_to, rule.round_to) == (10, 0)
    con = duckdb.connect()
    con.execute("create table t as select * from (values (9), (11)) v(n)")
    suppress_table(con, "main.t", {"n": ()}, rule)
    assert con.execute("select n from t order by n nulls first").fetchall() == [(None,), (11,)]


def test_a_count_just_above_the_threshold_never_rounds_down_into_it() -> None:
    con = duckdb.connect()
    con.execute("create table t as select * from (values (7.2::decimal(18,3)), (-7.4), (9.0), (12.6)) v(n)")
    suppress_table(con, "main.t", {"n": ()}, Suppression(7, 5))
    assert [float(n) for (n,) in con.execute("select n from t order by rowid").fetchall()] == [
        10,
        -10,
        10,
        15,
    ]


def _cells(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], str]:
    rows = con.execute("select row_key, column_name, reason from main.extract_withheld_cells").fetchall()
    return {(key, column): reason for key, column, reason in rows}


def test_a_lone_withheld_cell_of_a_group_takes_its_smallest_neighbour_with_it() -> None:
    """Total minus parts: provider P's month total is known, so withholding one provider-month
    cell alone would give it away; the smallest other non-zero cell goes too, with its pounds."""
    con = duckdb.connect()
    create_withheld_cells(con)
    con.execute(
        "create table main.t as select * from (values"
        " ('a', 'P', 1, 3, 30.00), ('b', 'P', 1, 40, 400.00), ('c', 'P', 1, 20, 200.00),"
        " ('d', 'P', 1, 0, 0.00),"
        " ('e', 'P', 2, 2, 20.00), ('f', 'P', 2, 6, 60.00), ('g', 'P', 2, 50, 500.00),"
        " ('h', 'Q', 1, 4, 40.00), ('i', 'Q', 1, 0, 0.00))"
        " v(k, provider_code, financial_month, activity, price_gbp)"
    )
    rule = IcbRows(
        provider_columns=("provider_code",),
        counts={"activity": ("price_gbp",)},
        totals=(("provider_code", "financial_month"),),
    )
    done = suppress_table(con, "main.t", rule, Suppression(7, 5), key=("k",))
    got = {k: (a, p) for k, a, p in con.execute("select k, activity, price_gbp from t").fetchall()}
    assert got["a"] == got["c"] == (None, None)  # 3 withheld; 20 is the smallest other non-zero
    assert got["b"] == (40, D("400.00")) and got["d"] == (0, D("0.00"))
    assert got["e"] == got["f"] == (None, None) and got["g"] == (50, D("500.00"))  # two small: enough
    assert got["h"] == (None, None)  # nothing else to withhold beside it (the rest is zero)
    assert (done[0].cells_withheld, done[0].cells_complementary) == (4, 1)
    cells = _cells(con)
    assert cells[("a", "activity")] == "small" and cells[("c", "activity")] == "complementary"
    assert cells[("c", "price_gbp")] == "with_count" and ("b", "activity") not in cells


def test_a_withheld_month_takes_the_year_to_date_from_that_month_on() -> None:
    con = duckdb.connect()
    create_withheld_cells(con)
    con.execute(
        "create table main.t as select * from (values"
        " ('P', 1, 20, 200.00, 200.00), ('P', 2, 3, 30.00, 230.00), ('P', 3, 25, 250.00, 480.00),"
        " ('Q', 1, 30, 300.00, 300.00), ('Q', 2, 30, 300.00, 600.00))"
        " v(provider_code, financial_month, activity, actual_gbp, ytd_actual_gbp)"
    )
    rule = IcbRows(
        provider_columns=("provider_code",),
        counts={"activity": ("actual_gbp",)},
        year_to_date=YearToDate(("provider_code",), {"actual_gbp": ("ytd_actual_gbp",)}),
    )
    suppress_table(con, "main.t", rule, Suppression(7, 5), key=("provider_code", "financial_month"))
    got = con.execute(
        "select actual_gbp, ytd_actual_gbp from t order by provider_code, financial_month"
    ).fetchall()
    assert got == [
        (D("200.00"), D("200.00")),
        (None, None),  # month 2 withheld: its year to date would be 200 + it
        (D("250.00"), None),  # and month 3's would give month 2 as 480 - 250 - 200
        (D("300.00"), D("300.00")),
        (D("300.00"), D("600.00")),
    ]
    assert _cells(con)[("P|3", "ytd_actual_gbp")] == "year_to_date"


def test_a_column_repeating_a_withheld_one_is_withheld_with_it() -> None:
    con = duckdb.connect()
    con.execute(
        "create table main.t as select * from (values (3, 12, 30.00, 120.00, 30.00),"
        " (12, 3, 120.00, 30.00, 120.00))"
        " v(records_supplied, records_derived, gbp_supplied, gbp_derived, gbp_paying)"
    )
    rule = IcbRows(
        provider_columns=("-",),
        counts={"records_supplied": ("gbp_supplied",), "records_derived": ("gbp_derived",)},
        repeats={"gbp_paying": ("gbp_supplied", "gbp_derived")},
    )
    suppress_table(con, "main.t", rule, Suppression(7, 5))
    got = con.execute("select gbp_supplied, gbp_derived, gbp_paying from t order by rowid").fetchall()
    assert got == [(None, D("120.00"), None), (D("120.00"), None, D("120.00"))]


def _parts(rows: str, withheld: tuple[str, ...]) -> duckdb.DuckDBPyConnection:
    """A published mart `src.marts.parts` (k, provider_code, financial_month, price_gbp) of
    `rows`, and its extracted copy `marts.parts` with the cells of keys `withheld` emptied."""
    con = duckdb.connect()
    con.execute("attach ':memory:' as src")
    con.execute("create schema src.marts")
    con.execute(
        f"create table src.marts.parts as select * from (values {rows})"
        " v(k, provider_code, financial_month, price_gbp)"
    )
    con.execute("create schema marts")
    create_withheld_cells(con)
    con.execute(
        "create table marts.parts as select k, provider_code, financial_month,"
        " case when list_contains(?, k) then null else price_gbp end as price_gbp from src.marts.parts",
        [list(withheld)],
    )
    return con


def test_a_cell_withheld_for_any_reason_withholds_its_repeats_and_derived_figures() -> None:
    """One rule for every withheld cell (issue 25): a pounds cell withheld with its count takes
    the like-for-like figure repeating it in that row, and that figure the variance worked out
    from it; the complementary cell of the month takes the same with it; a like-for-like figure
    that does not repeat the withheld one (a merger moved it) stays, and so does its variance."""
    con = duckdb.connect()
    create_withheld_cells(con)
    con.execute(
        "create table main.t as select * from (values"
        " ('a', 1, 3, 30.00, 30.00, 10.00, 20.00),"
        " ('b', 1, 20, 200.00, 200.00, 150.00, 50.00),"
        " ('c', 1, 40, 400.00, 380.00, 300.00, 80.00),"
        " ('d', 2, 5, 50.00, 45.00, 45.00, 0.00))"
        " v(k, financial_month, activity, actual_gbp, like_for_like_gbp, plan_gbp, variance_gbp)"
    )
    rule = IcbRows(
        provider_columns=("-",),
        counts={"activity": ("actual_gbp",)},
        repeats={"like_for_like_gbp": ("actual_gbp",)},
        derived={"like_for_like_gbp": ("variance_gbp",), "plan_gbp": ("variance_gbp",)},
        totals=(("financial_month",),),
    )
    suppress_table(con, "main.t", rule, Suppression(7, 5), key=("k",))
    got = {
        k: rest
        for k, *rest in con.execute(
            "select k, activity, actual_gbp, like_for_like_gbp, plan_gbp, variance_gbp from t"
        ).fetchall()
    }
    assert got["a"] == [None, None, None, D("10.00"), None]  # 30.00 - 10.00 would give 20.00
    assert got["b"] == [None, None, None, D("150.00"), None]  # the month's second cell, the same way
    assert got["c"] == [40, D("400.00"), D("380.00"), D("300.00"), D("80.00")]  # nothing to hide
    assert got["d"] == [None, None, D("45.00"), D("45.00"), D("0.00")]  # 45.00 is not the 50.00 withheld
    cells = _cells(con)
    assert cells[("a", "like_for_like_gbp")] == cells[("a", "variance_gbp")] == "derived"
    assert cells[("b", "activity")] == "complementary" and cells[("b", "variance_gbp")] == "derived"
    assert ("d", "like_for_like_gbp") not in cells and ("c", "actual_gbp") not in cells


def test_a_withheld_total_withholds_what_its_own_mart_derives_from_it_or_repeats() -> None:
    """A total withheld because its only part is withheld takes the variance worked out from it
    (`derived`) and the column repeating it (`repeats`) in its row, not only its listed columns."""
    con = _parts("('a', 'P', 1, 10.00), ('b', 'P', 2, 20.00), ('c', 'P', 2, 30.00)", withheld=("a",))
    con.execute(
        "create table marts.totals as select * from (values ('P', 1, 10.00, 4.00, 6.00, 10.00),"
        " ('P', 2, 50.00, 45.00, 5.00, 50.00))"
        " v(provider_code, financial_month, slam_gbp, ledger_gbp, variance_gbp, reported_gbp)"
    )
    rule = IcbRows(
        provider_columns=("provider_code",),
        repeats={"reported_gbp": ("slam_gbp",)},
        derived={"slam_gbp": ("variance_gbp",)},
        totals_of=(TotalOf("parts", "price_gbp", ("provider_code", "financial_month"), ("slam_gbp",)),),
    )
    withhold_totals(con, "marts.totals", rule, {"parts": ("k",)}, key=("provider_code", "financial_month"))
    got = con.execute("select * from marts.totals order by financial_month").fetchall()
    assert got == [
        ("P", 1, None, D("4.00"), None, None),  # the ledger is not worked out from the total
        ("P", 2, D("50.00"), D("45.00"), D("5.00"), D("50.00")),
    ]
    assert _cells(con) == {
        ("P|1", "slam_gbp"): "total",
        ("P|1", "variance_gbp"): "derived",
        ("P|1", "reported_gbp"): "derived",
    }


def test_a_total_in_another_mart_of_a_lone_withheld_cell_is_withheld_with_its_variance() -> None:
    """A money-only mart's pounds total another mart's rows: where a group holds exactly one
    withheld non-zero cell, total minus the parts shown would give it, so the total goes with
    what is worked out from it; two withheld cells (or one withheld zero) keep it."""
    con = duckdb.connect()
    con.execute("attach ':memory:' as src")
    con.execute("create schema src.marts")
    con.execute(
        "create table src.marts.parts as select * from (values"
        " ('a', 'P', 1, 10.00), ('b', 'P', 2, 20.00), ('c', 'P', 2, 5.00), ('d', 'P', 3, 30.00),"
        " ('e', 'P', 3, 40.00), ('f', 'P', 4, 0.00), ('g', 'P', 4, 8.00), ('h', 'P', 5, 50.00))"
        " v(k, provider_code, financial_month, price_gbp)"
    )
    con.execute(
        "create table src.marts.totals as select * from (values"
        " ('P', 1, 10.00, 1.00), ('P', 2, 25.00, 5.00), ('P', 3, 70.00, 7.00), ('P', 4, 8.00, 8.00),"
        " ('P', 5, 50.00, 5.00)) v(provider_code, financial_month, slam_gbp, variance_gbp)"
    )
    con.execute("create schema marts")
    create_withheld_cells(con)
    withheld = ("a", "b", "d", "e", "f")  # P1 alone, P2 beside a shown cell, P3 two, P4 a zero
    con.execute(
        "create table marts.parts as select k, provider_code, financial_month,"
        f" case when k in {withheld} then null else price_gbp end as price_gbp from src.marts.parts"
    )
    con.execute("create table marts.totals as select * from src.marts.totals")
    rule = IcbRows(
        provider_columns=("provider_code",),
        totals_of=(
            TotalOf("parts", "price_gbp", ("provider_code", "financial_month"), ("slam_gbp", "variance_gbp")),
        ),
    )
    key = ("provider_code", "financial_month")
    done = withhold_totals(con, "marts.totals", rule, {"parts": ("k",)}, key=key)
    got = con.execute("select financial_month, slam_gbp, variance_gbp from marts.totals order by 1")
    got = got.fetchall()
    assert got == [
        (1, None, None),  # its only part withheld: the total is the part
        (2, None, None),  # total minus the shown 5.00 gives 20.00
        (3, D("70.00"), D("7.00")),  # two withheld: only their sum
        (4, D("8.00"), D("8.00")),  # the withheld cell is zero: nothing to give
        (5, D("50.00"), D("5.00")),  # nothing withheld
    ]
    assert (done[0].column, done[0].cells_withheld) == ("parts.price_gbp", 2)
    assert _cells(con) == {
        ("P|1", "slam_gbp"): "total",
        ("P|1", "variance_gbp"): "total",
        ("P|2", "slam_gbp"): "total",
        ("P|2", "variance_gbp"): "total",
    }


def test_a_total_of_one_streams_parts_counts_only_that_streams_withheld_cells() -> None:
    """A green-only total over a mart of every stream: a month with one withheld green line and
    one withheld red line still gives the green line (the total minus the green lines shown),
    so the total goes; two withheld green lines keep it."""
    con = duckdb.connect()
    con.execute("attach ':memory:' as src")
    con.execute("create schema src.marts")
    con.execute(
        "create table src.marts.parts as select * from (values"
        " ('a', 'P', 1, 'green', 10.00), ('b', 'P', 1, 'red', 7.00), ('c', 'P', 1, 'green', 3.00),"
        " ('d', 'P', 2, 'green', 20.00), ('e', 'P', 2, 'green', 4.00), ('f', 'P', 2, 'red', 9.00))"
        " v(k, provider_code, financial_month, funding_stream, actual_gbp)"
    )
    con.execute(
        "create table src.marts.totals as select * from (values ('P', 1, 13.00), ('P', 2, 24.00))"
        " v(provider_code, financial_month, slam_gbp)"
    )
    con.execute("create schema marts")
    create_withheld_cells(con)
    withheld = ("a", "b", "d", "e")  # month 1: one green and one red; month 2: two green
    con.execute(
        "create table marts.parts as select k, provider_code, financial_month, funding_stream,"
        f" case when k in {withheld} then null else actual_gbp end as actual_gbp from src.marts.parts"
    )
    con.execute("create table marts.totals as select * from src.marts.totals")
    by = ("provider_code", "financial_month")
    green = TotalOf("parts", "actual_gbp", by, ("slam_gbp",), where=(("funding_stream", "green"),))
    rule = IcbRows(provider_columns=("provider_code",), totals_of=(green,))
    withhold_totals(con, "marts.totals", rule, {"parts": ("k",)}, key=by)
    got = con.execute("select financial_month, slam_gbp from marts.totals order by 1").fetchall()
    assert got == [(1, None), (2, D("24.00"))]


def test_a_withheld_total_takes_a_second_its_running_totals_and_the_next_months_repeat() -> None:
    """Provider P's month 2 total is withheld (its only part is): Q's month 2 total goes too
    (the month's total over providers is known elsewhere), and P's and Q's running totals from
    month 2 on and month 3's previous-month figure and movement (which repeat or give it)."""
    con = _parts("('a', 'P', 2, 20.00), ('b', 'Q', 2, 30.00), ('c', 'R', 2, 90.00)", withheld=("a",))
    con.execute(
        "create table marts.totals as select * from (values"
        " ('P', 1, 10.00, 10.00, null, null), ('P', 2, 20.00, 30.00, 10.00, 10.00),"
        " ('P', 3, 5.00, 35.00, 20.00, -15.00),"
        " ('Q', 2, 30.00, 30.00, null, null), ('R', 2, 90.00, 90.00, null, null))"
        " v(provider_code, financial_month, current_gbp, ytd_gbp, previous_month_gbp, month_on_month_gbp)"
    )
    rule = IcbRows(
        provider_columns=("provider_code",),
        totals=(("financial_month",),),
        totals_of=(
            TotalOf(
                "parts",
                "price_gbp",
                ("provider_code", "financial_month"),
                ("current_gbp", "month_on_month_gbp"),
                year_to_date=("ytd_gbp",),
                next_month=("previous_month_gbp", "month_on_month_gbp"),
            ),
        ),
    )
    key = ("provider_code", "financial_month")
    done = withhold_totals(con, "marts.totals", rule, {"parts": ("k",)}, key=key)
    got = con.execute("select * from marts.totals order by provider_code, financial_month").fetchall()
    assert got == [
        ("P", 1, D("10.00"), D("10.00"), None, None),
        ("P", 2, None, None, D("10.00"), None),  # month 1's figure stays
        ("P", 3, D("5.00"), None, None, None),  # 35 - 5 - 10, 20 and 5 - -15 would give 20
        ("Q", 2, None, None, None, None),  # the smallest other total of month 2
        ("R", 2, D("90.00"), D("90.00"), None, None),
    ]
    assert (done[0].cells_withheld, done[0].cells_complementary) == (2, 1)
    assert _cells(con)[("P|3", "previous_month_gbp")] == "total"


def test_a_total_of_a_mart_that_lacks_the_group_column_stops_the_extract() -> None:
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute("create table marts.parts as select 'a' as k, 1.00 as price_gbp")
    con.execute("create table marts.totals as select 'P' as provider_code, 1.00 as slam_gbp")
    rule = IcbRows(
        provider_columns=("provider_code",),
        totals_of=(TotalOf("parts", "price_gbp", ("provider_code",), ("slam_gbp",)),),
    )
    missing = r"parts.price_gbp: that mart has no column \['provider_code'\]"
    with pytest.raises(ExtractRuleError, match=missing):
        withhold_totals(con, "marts.totals", rule, {"parts": ("k",)}, source="memory")


# --- footprint extracts on a small hand-made warehouse ------------------------------------------


def _warehouse(path: Path, *, agreement: bool) -> Path:
    with duckdb.connect(str(path)) as con:
        for schema in ("marts", "dq", "reference", "ops"):
            con.execute(f"create schema {schema}")
        con.execute(
            "create table marts.dim_icb as select * from (values ('QKK', 'QKK', false),"
            " ('QWE', 'QWE', false), ('QKS', 'QKS', false), ('UNKNOWN', 'UNKNOWN', true))"
            " t(icb_code, current_icb_code, is_unknown_member)"
        )
        con.execute(
            "create table marts.dim_provider as select * from (values ('RJ1', 'QKK'), ('RJ7', 'QWE'),"
            " ('RVV', 'QKS')) t(provider_code, host_icb_code)"
        )
        con.execute(
            "create table marts.fct_contract_activity as select * from (values"
            " ('QKK', 'QKK', 'RJ1', 1), ('QWE', 'QWE', 'RJ1', 2), ('QKS', 'QKS', 'RJ7', 3),"
            " ('QKS', 'QKS', 'RVV', 4))"
            " t(attributed_icb_code, attributed_current_icb_code, provider_code, price)"
        )
        con.execute(
            "create table marts.rpt_cross_boundary_flows as select * from (values"
            " ('QKK', 'QKK', 'green', 3.0, 30.00, 0.0, 0.00),"
            " ('QWE', 'QKK', 'amber', 12.0, 120.00, 9.0, 90.00),"
            " ('QKS', 'QWE', 'red', 8.0, 80.00, 1.0, 10.00), ('QKS', 'QKS', 'blue', 2.0, 20.00, 0.0, 0.00))"
            " t(patient_icb_code, provider_host_icb_code, funding_stream, activity, price_gbp,"
            " host_fallback_activity, host_fallback_gbp)"
            # one flow per stream: no group of `totals` with two flows (complementary cells elsewhere)
            " cross join (select '2025/26' as financial_year)"
        )
        con.execute(
            "create table dq.dq_check_results as select * from (values ('r1', 'RJ1', 'x'),"
            " ('r1', 'RJ7', 'x'), ('r1', 'RVV', 'x'), ('r1', 'QKK', 'ledger'))"
            " t(run_id, provider_code, check_id)"
        )
        con.execute(
            "create table reference.footprints as select * from (values ('SOUTH_LONDON', 'QKK'),"
            " ('SOUTH_LONDON', 'QWE')) t(footprint_code, icb_code)"
        )
        con.execute(
            "create table reference.data_sharing_agreements as select 'DSA1' as agreement_code,"
            " 'Test agreement' as agreement_name, 'SOUTH_LONDON' as footprint_code,"
            f" {agreement} as allows_row_level,"
            " date '2023-04-01' as valid_from, cast(null as date) as valid_to"
        )
        con.execute(
            "create table ops.run_log as select 'RUN-1' as run_id, 'nightly' as kind, 'succeeded' as status,"
            " 'RUN-1.duckdb' as published_version, timestamp '2026-01-01' as started_at"
        )
    return path


def test_repeated_icb_extracts_the_union_each_row_with_its_icb(tmp_path: Path) -> None:
    published = _warehouse(tmp_path / "published.duckdb", agreement=True)
    out = tmp_path / "sl.duckdb"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "speccomm.cli",
            "extract",
            "--warehouse",
            str(published),
            "--icb",
            "qkk",
            "--icb",
            "QWE",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    with duckdb.connect(str(out), read_only=True) as con:
        rows = con.execute(
            "select attributed_icb_code, provider_code, price, extract_icb_code"
            " from marts.fct_contract_activity order by price"
        ).fetchall()
        # QKK's patient, QWE's patient, and QKS's patient at RJ7 (hosted by QWE); not QKS at RVV
        assert rows == [("QKK", "RJ1", 1, "QKK"), ("QWE", "RJ1", 2, "QWE"), ("QKS", "RJ7", 3, "QWE")]
        flows = con.execute(
            "select patient_icb_code, provider_host_icb_code, activity, price_gbp,"
            " host_fallback_activity, host_fallback_gbp, extract_icb_code"
            " from marts.rpt_cross_boundary_flows order by all"
        ).fetchall()
        from decimal import Decimal as D

        assert flows == [
            ("QKK", "QKK", None, None, D("0.0"), D("0.00"), "QKK"),  # 3 withheld with its money
            ("QKS", "QWE", D("10.0"), D("80.00"), None, None, "QWE"),  # 8 -> 10; 1 withheld
            ("QWE", "QKK", D("10.0"), D("120.00"), D("10.0"), D("90.00"), "QWE"),  # 12 -> 10, 9 -> 10
        ]
        assert con.execute("select provider_code from dq.dq_check_results order by 1").fetchall() == [
            ("QKK",),
            ("RJ1",),
            ("RJ7",),
        ]
        info = con.execute(
            "select icb_codes, sharing_agreement, row_level_allowed, run_id, suppress_up_to, round_to"
            " from extract_info"
        ).fetchone()
        assert info == (["QKK", "QWE"], "DSA1 (Test agreement)", True, "RUN-1", 7, 5)
        suppressed = dict(
            ((t, c), (w, r))
            for t, c, w, r in con.execute(
                "select table_name, column_name, cells_withheld, cells_rounded from extract_suppression"
            ).fetchall()
        )
        assert suppressed[("marts.rpt_cross_boundary_flows", "activity")] == (1, 2)
        assert suppressed[("marts.rpt_cross_boundary_flows", "host_fallback_activity")] == (1, 1)
    manifest = (tmp_path / "sl_manifest.json").read_text()
    assert '"run_id": "RUN-1"' in manifest and '"DSA1 (Test agreement)"' in manifest


def test_a_named_footprint_without_an_agreement_gets_no_row_level_tables(tmp_path: Path) -> None:
    published = _warehouse(tmp_path / "published.duckdb", agreement=False)
    out = tmp_path / "sl.duckdb"
    result = write_footprint_extract(published, [], out, footprint="south_london")
    assert result.footprint.icbs == ("QKK", "QWE") and result.footprint.agreement is None
    assert "marts.fct_contract_activity" in {w.table for w in result.withheld}
    with duckdb.connect(str(out), read_only=True) as con:
        tables = {
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
        assert "fct_contract_activity" not in tables and "rpt_cross_boundary_flows" in tables


@pytest.mark.parametrize(
    ("icbs", "footprint", "message"),
    [
        (["QKK", "ZZZ"], None, "ZZZ is not in marts.dim_icb"),
        (["QKK", "Q1"], None, "'Q1' is not an ICB code"),
        ([], "NOWHERE", "NOWHERE is neither an ICB code nor a footprint of the reference data"
         " (footprints: SOUTH_LONDON)"),
        ([], "south_london,QZZ", "QZZ is neither an ICB code nor a footprint"),
        (["QKK"], "", "--footprint='': no ICB code given"),
    ],
)
def test_an_unknown_icb_or_footprint_fails_closed(
    tmp_path: Path, icbs: list[str], footprint: str | None, message: str
) -> None:
    published = _warehouse(tmp_path / "published.duckdb", agreement=True)
    out = tmp_path / "x.duckdb"
    with pytest.raises(UnknownIcb, match=message.replace("(", r"\(").replace(")", r"\)")):
        write_footprint_extract(published, icbs, out, footprint=footprint)
    assert not out.exists() and not list(tmp_path.glob(".x.duckdb*"))
