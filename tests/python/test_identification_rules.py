"""Identification rules (issue 13): the generator's planted service-line mis-assignments are all
found and none invented, per provider × month; every current SUS record has a decision; the
funding-stream switch works both ways; a malformed rule file stops the build naming the file,
row and field. Precedence, ties, effective dating, age bands and designation are proved on
fixtures by the dbt unit test in models/intermediate/sus/_sus__unit_tests.yml."""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from speccomm import config
from speccomm.config import SEEDS_DIR
from speccomm.dbt_runner import BuildFailed, build_warehouse, run_dbt
from speccomm.dbt_runner.ir_rules import RULE_FILES, RuleFileInvalid, validate_rule_seeds
from speccomm_testkit.generate.ir import OUTCOME_OF_KIND

pytest_plugins = ["demo_warehouse"]

DISAGREEMENTS = ("supplied_not_derived", "derived_not_supplied", "different_line")
# the basis is part of the reference fingerprint: a switch rebuilds every SUS slice downstream
SWITCH_SELECTION = ["--select", "int_reference__fingerprint+", "--exclude", "test_type:unit"]


def _query(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchall()


# --- found equals planted ---------------------------------------------------------------------


def test_monitoring_mart_equals_the_manifest_per_provider_month_and_outcome(demo_warehouse) -> None:
    manifest = demo_warehouse.manifest["identification_rules"]
    expected = {
        (d["provider_code"], d["financial_year"], d["financial_month"], d["outcome"]): (
            d["records"],
            d["tariff_gbp"],
        )
        for d in manifest["outcomes"]
    }
    found = {
        (p, fy, fm, o): (int(r), float(t))
        for p, fy, fm, o, r, t in _query(
            demo_warehouse.database,
            """
        select provider_code, financial_year, financial_month, outcome, sum(records), sum(tariff_gbp)
        from marts.rpt_service_line_ir_monitoring group by all
        """,
        )
    }
    assert expected, "the manifest states no identification-rule outcomes"
    assert set(found) == set(expected)
    wrong = {
        k: (expected[k], found[k])
        for k in expected
        if found[k][0] != expected[k][0] or abs(found[k][1] - expected[k][1]) > 0.005
    }
    assert not wrong, list(wrong.items())[:5]


def test_found_equals_planted_per_provider_and_month(demo_warehouse) -> None:
    manifest = demo_warehouse.manifest["identification_rules"]
    planted: Counter[tuple[str, str, int, str]] = Counter()
    for p in manifest["planted"]:
        planted[
            (p["provider_code"], p["financial_year"], p["financial_month"], OUTCOME_OF_KIND[p["kind"]])
        ] += p["records"]
    found = {
        (p, fy, fm, o): int(r)
        for p, fy, fm, o, r in _query(
            demo_warehouse.database,
            """
        select provider_code, financial_year, financial_month, outcome, sum(records)
        from marts.rpt_service_line_ir_monitoring where is_disagreement group by all
        """,
        )
    }
    assert found == dict(planted)
    kinds = manifest["kinds"]
    assert kinds["wrong_line"] and kinds["non_specialised_flagged"] and kinds["specialised_not_flagged"]
    assert {o for (_, _, _, o) in found} == set(DISAGREEMENTS)


def test_every_current_record_has_a_decision(demo_warehouse) -> None:
    ((facts, decided, derived, ruled, consistent),) = _query(
        demo_warehouse.database,
        """
        select
            count(*),
            count(ir.file_id),
            count(fct.derived_service_line_code),
            count(fct.ir_rule_id),
            count(*) filter (where (fct.derived_service_line_code is null) = (fct.ir_rule_id is null))
        from marts.fct_sus_activity as fct
        left join intermediate.int_sus__ir_assignments as ir
            on fct.file_id = ir.file_id and fct.source_row = ir.source_row
        """,
    )
    ((ir_rows,),) = _query(
        demo_warehouse.database, "select count(*) from intermediate.int_sus__ir_assignments"
    )
    assert facts == decided == ir_rows
    assert derived == ruled > 0 and consistent == facts
    ((mart_records,),) = _query(
        demo_warehouse.database, "select sum(records) from marts.rpt_service_line_ir_monitoring"
    )
    assert mart_records == facts


def test_the_check_counts_the_disagreements(checked_demo) -> None:
    expected = {
        (d["provider_code"], d["financial_year"], d["financial_month"]): (d["rows_checked"], d["rows_failed"])
        for d in checked_demo.warehouse.manifest["dq_counts"]
        if d["check_id"] == "service_line_ir_mismatch"
    }
    found = {
        (p, fy, fm): (c, f)
        for p, fy, fm, c, f in checked_demo.query(
            """
        select provider_code, financial_year, financial_month, rows_checked, rows_failed
        from dq.dq_check_results where check_id = 'service_line_ir_mismatch' and run_id = ?
        """,
            [checked_demo.run_id],
        )
    }
    assert found == expected and any(f for _, f in found.values())
    samples = checked_demo.query(
        """
        select record_ref, raw_value from dq.dq_failed_samples
        where check_id = 'service_line_ir_mismatch' and run_id = ?
        """,
        [checked_demo.run_id],
    )
    assert samples and all(ref and "/" in ref for ref, _ in samples)  # provider_record_ref, e.g. RJ1/202504/…
    assert all(value.startswith("supplied ") and "rules derive" in value for _, value in samples)


def test_provider_reports_show_their_own_disagreements_by_provider_record_ref(
    demo_reports, checked_demo
) -> None:
    ids = {str(i) for (i,) in checked_demo.query("select sus_record_id from marts.fct_sus_activity")}
    shown = 0
    for report in demo_reports:
        text = report.csv_path.read_text(encoding="utf-8")
        rows = [
            r for r in csv.DictReader(text.splitlines()) if r.get("check_id") == "service_line_ir_mismatch"
        ]
        for row in rows:
            assert row["provider_record_ref"].startswith(report.provider_code + "/")
            shown += 1
        html = report.html_path.read_text(encoding="utf-8")
        assert not _ids_in(ids, text + "\n" + html)  # SUS record ids never appear
        if rows:
            assert "Service line differs from the identification rules" in html
            assert "Against the identification rules, in these months:" in html
            assert "would change funding stream" in report.text_path.read_text(encoding="utf-8")
    assert shown > 0


def _ids_in(ids: set[str], text: str) -> set[str]:
    """The ids found anywhere in `text`, as `id in text` finds them (also inside a longer
    word), without one search of the whole text per id (48,000 ids of the demo times nine
    reports took two minutes): an id can only sit inside a run of its own characters at least
    its length long, so every window of an id's length in such a run is a candidate."""
    alphabet = re.escape("".join(sorted(set("".join(ids)))))
    lengths = {len(i) for i in ids}
    windows: set[str] = set()
    for run in re.findall(f"[{alphabet}]{{{min(lengths)},}}", text):
        for n in lengths:
            windows.update(run[k : k + n] for k in range(len(run) - n + 1))
    return windows & ids


# --- which line pays --------------------------------------------------------------------------


def _build_with_basis(database: Path, basis: str) -> None:
    result = run_dbt(
        ["build", *SWITCH_SELECTION, "--vars", json.dumps({"service_line_basis": basis})],
        database,
        target="test",
        echo=False,
    )
    assert result.returncode == 0, result.log_path.read_text()[-3000:]


@pytest.mark.slow
def test_the_funding_stream_switch_works_both_ways(demo_warehouse, tmp_path: Path) -> None:
    database = demo_warehouse.copy_to(tmp_path)
    supplied_sql = """
        select count(*) filter (where funding_stream = funding_stream_supplied
                                  and paying_service_line_code is not distinct from service_line_code),
               count(*) filter (where funding_stream = funding_stream_derived
                   and paying_service_line_code is not distinct from derived_service_line_code),
               count(*), min(service_line_basis), max(service_line_basis)
        from marts.fct_sus_activity
    """
    on_supplied, _, total, low, high = _query(database, supplied_sql)[0]
    assert on_supplied == total and low == high == "supplied"
    before = _query(
        database,
        "select funding_stream, sum(tariff_gbp_paying) from marts.rpt_funding_stream_line_basis"
        " group by all order by all",
    )

    _build_with_basis(database, "derived")
    _, on_derived, total_after, low, high = _query(database, supplied_sql)[0]
    assert on_derived == total_after == total and low == high == "derived"
    paying = _query(
        database,
        """
        select count(*) filter (
                   where paying_basis = 'derived' and tariff_gbp_paying = tariff_gbp_derived_basis),
               count(*), sum(moved_gbp), sum(abs(moved_gbp))
        from marts.rpt_funding_stream_line_basis
    """,
    )[0]
    assert paying[0] == paying[1] and paying[2] == 0 and paying[3] > 0  # money moves, none is lost
    changed = _query(
        database, "select sum(tariff_gbp_stream_changed) from marts.rpt_service_line_ir_monitoring"
    )[0][0]
    assert changed > 0

    _build_with_basis(database, "supplied")
    assert _query(database, supplied_sql)[0][0] == total
    after = _query(
        database,
        "select funding_stream, sum(tariff_gbp_paying) from marts.rpt_funding_stream_line_basis"
        " group by all order by all",
    )
    assert after == before


def test_an_unknown_basis_is_refused(demo_warehouse, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SPECCOMM_SERVICE_LINE_BASIS", "Derived ")
    assert config.service_line_basis() == "derived"
    monkeypatch.setenv("SPECCOMM_SERVICE_LINE_BASIS", "provider")
    with pytest.raises(ValueError, match="SPECCOMM_SERVICE_LINE_BASIS"):
        config.service_line_basis()
    database = demo_warehouse.copy_to(tmp_path)
    result = run_dbt(
        ["run", "--select", "fct_sus_activity", "--vars", '{"service_line_basis": "provider"}'],
        database,
        target="test",
        echo=False,
    )
    assert result.returncode != 0
    assert "use 'supplied' or 'derived'" in result.log_path.read_text()


# --- malformed rule files ---------------------------------------------------------------------


def _seeds_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "seeds"
    folder.mkdir()
    for name in (*RULE_FILES, "service_codes"):
        shutil.copyfile(SEEDS_DIR / f"{name}.csv", folder / f"{name}.csv")
    return folder


def _edit(path: Path, row: int, field: str, value: str) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields, rows = reader.fieldnames or [], list(reader)
    rows[row - 1][field] = value
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def test_the_shipped_rule_files_are_valid() -> None:
    validate_rule_seeds(SEEDS_DIR)


@pytest.mark.parametrize(
    ("name", "row", "field", "value", "says"),
    [
        ("ir_rules", 7, "precedence", "high", "must be a whole number"),
        ("ir_rules", 3, "valid_from", "2025-02-30", "not a real date"),
        ("ir_rules", 12, "code_set_id", "NO_SUCH_SET", "not a code set of ir_code_sets.csv"),
        ("ir_rules", 5, "service_line_code", "NCBPS00Z", "not a service_code of service_codes.csv"),
        ("ir_rules", 9, "age_to", "150", "0-120"),
        ("ir_rules", 2, "dataset", "AE", "must be one of"),
        ("ir_code_sets", 4, "code_pattern", "C509-C500", "runs backwards"),
        ("ir_code_sets", 6, "code_type", "drug", "must be one of"),
        ("ir_designated_providers", 10, "valid_from", "", "must be a date"),
    ],
)
def test_a_malformed_rule_file_names_file_row_and_field(
    tmp_path: Path, name, row, field, value, says
) -> None:
    seeds = _seeds_copy(tmp_path)
    _edit(seeds / f"{name}.csv", row, field, value)
    with pytest.raises(RuleFileInvalid) as caught:
        validate_rule_seeds(seeds)
    message = str(caught.value)
    assert f"{name}.csv, row {row} (line {row + 1}), field {field}" in message
    assert says in message


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    seeds = _seeds_copy(tmp_path)
    path = seeds / "ir_rules.csv"
    text = path.read_text(encoding="utf-8").replace("precedence", "priority", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleFileInvalid, match=r"ir_rules.csv: header lacks the column\(s\) precedence"):
        validate_rule_seeds(seeds)


def test_the_build_stops_before_dbt_on_a_malformed_rule_file(tmp_path: Path, monkeypatch) -> None:
    seeds = _seeds_copy(tmp_path)
    _edit(seeds / "ir_rules.csv", 1, "requires_designation", "yes")
    monkeypatch.setattr("speccomm.dbt_runner.SEEDS_DIR", seeds)
    with pytest.raises(BuildFailed, match=r"ir_rules.csv, row 1 \(line 2\), field requires_designation"):
        build_warehouse(tmp_path / "never_built.duckdb", echo=False)
    assert not (tmp_path / "never_built.duckdb").exists()


def test_a_reference_update_of_the_rules_is_checked_and_a_bad_one_rejected(tmp_path: Path) -> None:
    """`<landing>/reference/` (speccomm.load.reference): rule files that fit are taken; a rule
    file that does not is rejected naming row and field, and the shipped rule seeds stay."""
    from speccomm.load.reference import read_reference_folder

    folder = tmp_path / "landing" / "reference"
    folder.mkdir(parents=True)
    for name in ("ir_rules", "ir_code_sets"):
        shutil.copyfile(SEEDS_DIR / f"{name}.csv", folder / f"{name}.csv")
    good = read_reference_folder(tmp_path / "landing")
    assert sorted(good.updates) == ["ir_code_sets", "ir_rules"] and not good.rejected
    _edit(folder / "ir_code_sets.csv", 1, "code_pattern", "C50-")
    bad = read_reference_folder(tmp_path / "landing")
    assert not bad.updates
    reasons = dict(bad.rejected)
    assert set(reasons) == {"ir_rules.csv", "ir_code_sets.csv"}
    assert "the shipped seed ir_code_sets stays" in reasons["ir_code_sets.csv"]
    assert "ir_code_sets.csv, row 1 (line 2), field code_pattern" in reasons["ir_code_sets.csv"]
