"""The data-quality runner on generated demo data: counts equal the generator's manifest,
only changed slices are validated, history is kept, statuses and DQMI follow their rules."""

from __future__ import annotations

import ast
import re
import shutil
import statistics
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd
import pytest
import yaml

from speccomm.config import PROJECT_ROOT, SEEDS_DIR
from speccomm.quality import catalogue
from speccomm.quality import registry as registry_module
from speccomm.quality import validate as validate_module
from speccomm.quality.registry import Batch, Check, load_registry
from speccomm.quality.results import status_of
from speccomm.quality.runner import run_quality_checks
from speccomm.quality.suites import build_suites
from speccomm.quality.validate import keep_samples, new_samples_table, validate_frame

if TYPE_CHECKING:
    from demo_warehouse import CheckedDemo, DemoWarehouse

pytest_plugins = ["demo_warehouse"]
pytestmark = pytest.mark.slow

CONTRACT_COLUMNS = [
    ("run_id", "VARCHAR"), ("run_at", "TIMESTAMP"), ("check_id", "VARCHAR"), ("dataset", "VARCHAR"),
    ("provider_code", "VARCHAR"), ("financial_year", "VARCHAR"), ("financial_month", "INTEGER"),
    ("severity", "VARCHAR"), ("rows_checked", "BIGINT"), ("rows_failed", "BIGINT"), ("status", "VARCHAR"),
]
CROSS_CHECKS = ("slam_sus_activity_variance", "slam_ledger_spend_variance")


def _results(checked: CheckedDemo, run_id: str | None = None) -> dict[tuple, tuple[int, int]]:
    rows = checked.query(
        """
        select check_id, dataset, provider_code, financial_year, financial_month, rows_checked, rows_failed
        from dq.dq_check_results where run_id = ?
        """,
        [run_id or checked.run_id],
    )
    return {tuple(row[:5]): (row[5], row[6]) for row in rows}


# --- the counts -------------------------------------------------------------------------------

def test_counts_equal_the_generators_manifest(checked_demo: CheckedDemo) -> None:
    mine = _results(checked_demo)
    expected = {
        (d["check_id"], d["dataset"], d["provider_code"], d["financial_year"], d["financial_month"]):
            (d["rows_checked"], d["rows_failed"])
        for d in checked_demo.warehouse.manifest["dq_counts"]
    }
    assert expected, "the manifest lists no dq_counts"
    wrong = {}
    for key, (checked, failed) in expected.items():
        got = mine.get(key)
        if checked is None:  # cross-dataset checks: the manifest states the planted failures only
            if got is None or got[1] != failed:
                wrong[key] = ((checked, failed), got)
        elif got != (checked, failed):
            wrong[key] = ((checked, failed), got)
    assert not wrong, f"{len(wrong)} counts differ from the manifest, e.g. {list(wrong.items())[:5]}"
    # nothing reported that the manifest does not know: every other result is a clean cross check
    extra = {k: v for k, v in mine.items() if k not in expected}
    assert all(k[0] in CROSS_CHECKS and v[1] == 0 for k, v in extra.items()), list(extra.items())[:5]


def test_every_dataset_and_most_check_ids_are_exercised(checked_demo: CheckedDemo) -> None:
    failing = Counter(key[0] for key, (_, failed) in _results(checked_demo).items() if failed)
    datasets = {key[1] for key in _results(checked_demo)}
    assert datasets == {"slam", "sus", "ledger"}
    assert {"icb_of_residence_missing", "sus_record_duplicate", "submission_missing",
            "slam_sus_activity_variance", "slam_ledger_spend_variance", "price_invalid"} <= set(failing)


def test_submissions_model_finds_the_planted_missing_and_late_months(checked_demo: CheckedDemo) -> None:
    manifest = checked_demo.warehouse.manifest
    missing = {tuple(r) for r in checked_demo.query(
        "select provider_code, financial_year, financial_month from dq.dq_slam_submissions where is_missing")}
    planted_missing = {(m["provider_code"], m["financial_year"], m["financial_month"])
                       for m in manifest["missing_submissions"]}
    assert missing == planted_missing
    late = {tuple(r) for r in checked_demo.query(
        "select provider_code, financial_year, financial_month from dq.dq_slam_submissions where is_late")}
    planted_late = {(m["provider_code"], m["financial_year"], m["financial_month"])
                    for m in manifest["late_submissions"]}
    assert planted_late and planted_late <= late
    nulls = checked_demo.query(
        "select count(*) from dq.dq_slam_submissions where is_missing and is_late is not null")
    assert nulls == [(0,)]


def test_results_table_has_exactly_the_contract_columns(checked_demo: CheckedDemo) -> None:
    columns = checked_demo.query(
        """
        select column_name, data_type from information_schema.columns
        where table_schema = 'dq' and table_name = 'dq_check_results' order by ordinal_position
        """
    )
    assert columns == CONTRACT_COLUMNS


def test_statuses_follow_thresholds(checked_demo: CheckedDemo) -> None:
    thresholds = dict(checked_demo.query("select check_id, max_failure_rate from reference.dq_thresholds"))
    rows = checked_demo.query(
        "select check_id, severity, rows_checked, rows_failed, status from dq.dq_check_results"
    )
    for check_id, severity, checked, failed, status in rows:
        assert checked > 0, "a slice with no rows to check is not reported"
        expected = "pass" if failed / checked <= thresholds[check_id] + 1e-12 else (
            "fail" if severity == "error" else "warn")
        assert status == expected, (check_id, checked, failed, status)


def test_status_rule_edges() -> None:
    assert status_of(100, 5, "warn", 0.05) == "pass"  # equal to the tolerance passes
    assert status_of(100, 6, "warn", 0.05) == "warn"
    assert status_of(10, 0, "error", 0.0) == "pass"
    assert status_of(10, 1, "error", 0.0) == "fail"


# --- samples ----------------------------------------------------------------------------------

def test_samples_are_capped_and_carry_context_but_no_pseudonym(checked_demo: CheckedDemo) -> None:
    per_slice = checked_demo.query(
        """
        select check_id, dataset, provider_code, financial_year, financial_month, count(*)
        from dq.dq_failed_samples group by all having count(*) > 20
        """
    )
    assert per_slice == []
    samples = checked_demo.query("select * from dq.dq_failed_samples")
    assert samples
    pseudonyms = {p for (p,) in checked_demo.query(
        "select distinct trim(pseudo_patient_id) from raw.sus_rows where trim(pseudo_patient_id) <> ''")}
    assert pseudonyms
    text = "\n".join("|".join("" if v is None else str(v) for v in row) for row in samples)
    assert not pseudonyms & set(re.findall(r"[A-Za-z0-9]+", text))
    columns = [c for (c,) in checked_demo.query(
        "select column_name from information_schema.columns where table_schema = 'dq' "
        "and table_name = 'dq_failed_samples'")]
    assert "pseudo_patient_id" not in columns
    sus_refs = checked_demo.query(
        "select count(*) from dq.dq_failed_samples where dataset = 'sus' and record_ref is not null")
    assert sus_refs[0][0] > 0, "SUS samples carry the provider's own record reference"


def test_a_sample_row_really_fails(checked_demo: CheckedDemo) -> None:
    row = checked_demo.query(
        """
        select samples.raw_value, rows.price_raw
        from dq.dq_failed_samples as samples
        inner join intermediate.int_slam__current_rows as rows
            on samples.source_file = rows.source_file and samples.source_row = rows.source_row
        where samples.check_id = 'price_invalid' and samples.dataset = 'slam'
        limit 1
        """
    )
    assert row and row[0][0] == row[0][1]


# --- incremental validation and history -------------------------------------------------------

def test_second_run_without_changes_validates_nothing_and_keeps_history(
    checked_demo: CheckedDemo, tmp_path: Path
) -> None:
    first = checked_demo.summary
    database = tmp_path / "warehouse.duckdb"
    shutil.copyfile(checked_demo.database, database)
    with duckdb.connect(str(database)) as con:
        second = run_quality_checks(con, "r2", datetime(2026, 5, 2))
        assert first.slices_validated > 0 and first.slices_skipped_unchanged == 0
        assert second.slices_validated == 0
        assert second.slices_skipped_unchanged == first.slices_validated
        assert second.results_written == 0
        counts = dict(
            con.execute("select run_id, count(*) from dq.dq_check_results group by run_id").fetchall()
        )
        assert counts == {checked_demo.run_id: first.results_written}
        pointers = con.execute(
            "select distinct validated_run_id from dq.dq_run_slices where run_id = 'r2'").fetchall()
        assert pointers == [(checked_demo.run_id,)]
        scores = dict(con.execute("select run_id, count(*) from dq.dqmi_scores group by run_id").fetchall())
        assert scores[checked_demo.run_id] == scores["r2"] > 0
        with pytest.raises(ValueError, match="already exist"):
            run_quality_checks(con, "r2", datetime(2026, 5, 3))


def test_only_the_changed_slice_is_revalidated(checked_demo: CheckedDemo, tmp_path: Path) -> None:
    database = tmp_path / "warehouse.duckdb"
    shutil.copyfile(checked_demo.database, database)
    with duckdb.connect(str(database)) as con:
        provider, fy, fm = con.execute(
            "select file_entity_code, file_financial_year, file_financial_month "
            "from intermediate.int_ledger__postings_placed where is_current_extract order by all limit 1"
        ).fetchone()
        # A re-extracted ledger file for one period: same rows, a new file id, one amount now invalid.
        con.execute(
            """
            update intermediate.int_ledger__postings_placed
            set file_id = file_id + 1000000,
                amount = case when source_row = 1 then null else amount end,
                amount_raw = case when source_row = 1 then 'TBC' else amount_raw end
            where file_entity_code = ? and file_financial_year = ? and file_financial_month = ?
                and is_current_extract
            """,
            [provider, fy, fm],
        )
        changed = run_quality_checks(con, "r2", datetime(2026, 5, 2))
        assert changed.slices_validated == 1
        slices = con.execute(
            "select distinct dataset, provider_code, financial_year, financial_month "
            "from dq.dq_check_results where run_id = 'r2'").fetchall()
        assert slices == [("ledger", provider, fy, fm)]
        failed = con.execute(
            "select rows_failed from dq.dq_check_results where run_id = 'r2' and check_id = 'price_invalid'"
        ).fetchone()
        expected = con.execute(
            "select count(*) from intermediate.int_ledger__postings_placed where amount is null "
            "and is_current_extract and file_entity_code = ? and file_financial_year = ? "
            "and file_financial_month = ?",
            [provider, fy, fm],
        ).fetchone()
        assert failed == expected and expected[0] >= 1
        current = con.execute(
            "select count(*) from dq.dq_run_slices where run_id = 'r2' and validated_run_id = 'r2'"
        ).fetchone()
        assert current == (1,)
        everything = run_quality_checks(con, "r3", datetime(2026, 5, 3), revalidate_all=True)
        assert everything.slices_skipped_unchanged == 0
        assert everything.slices_validated == changed.slices_validated + changed.slices_skipped_unchanged


def test_missing_triangulation_mart_is_skipped_gracefully(
    demo_warehouse: DemoWarehouse, tmp_path: Path
) -> None:
    database = demo_warehouse.copy_to(tmp_path)
    with duckdb.connect(str(database)) as con:
        con.execute("drop table marts.rpt_triangulation_spend")
        summary = run_quality_checks(con, "r1", datetime(2026, 5, 1))
        assert "slam.triangulation_spend" in summary.batches_skipped
        found = con.execute(
            "select count(*) from dq.dq_check_results where check_id = 'slam_ledger_spend_variance'"
        ).fetchone()
        assert found == (0,)
        assert summary.results_written > 0


def test_small_groups_and_chunks_give_the_same_counts(
    checked_demo: CheckedDemo, demo_warehouse: DemoWarehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bounded-memory path (many groups, many pandas chunks) counts exactly like one batch."""
    monkeypatch.setattr(validate_module, "GROUP_ROWS", 60_000)
    monkeypatch.setattr(validate_module, "CHUNK_ROWS", 25_000)
    database = demo_warehouse.copy_to(tmp_path)
    with duckdb.connect(str(database)) as con:
        run_quality_checks(con, "small", datetime(2026, 5, 1))
        small = {tuple(r[:5]): r[5:] for r in con.execute(
            "select check_id, dataset, provider_code, financial_year, financial_month, "
            "rows_checked, rows_failed from dq.dq_check_results").fetchall()}
        samples = con.execute("select count(*) from dq.dq_failed_samples").fetchone()
    assert small == _results(checked_demo)
    assert samples[0] == checked_demo.summary.samples_written


# --- DQMI-style scores ------------------------------------------------------------------------

def test_dqmi_follows_the_formula_and_the_peer_median(checked_demo: CheckedDemo) -> None:
    rows = checked_demo.query(
        """
        select dataset, provider_code, financial_year, financial_month, coverage, mean_item_score, dqmi,
            peer_median_dqmi, peer_count
        from dq.dqmi_scores where run_id = ?
        """,
        [checked_demo.run_id],
    )
    assert rows
    for *_, coverage, mean_item, dqmi, _median, _count in rows:
        assert 0 <= coverage <= 1 and 0 <= mean_item <= 100
        assert dqmi == pytest.approx(mean_item * coverage)
    by_month: dict[tuple, list[float]] = {}
    for dataset, _, fy, fm, _, _, dqmi, _, _ in rows:
        by_month.setdefault((dataset, fy, fm), []).append(dqmi)
    for dataset, _, fy, fm, _, _, _, median, count in rows:
        assert count == len(by_month[(dataset, fy, fm)])
        assert median == pytest.approx(statistics.median(by_month[(dataset, fy, fm)]))


def test_an_item_score_by_hand(checked_demo: CheckedDemo) -> None:
    dataset, provider, fy, fm, score = checked_demo.query(
        """
        select dataset, provider_code, financial_year, financial_month, item_score
        from dq.dqmi_item_scores where run_id = ? and dataset = 'slam' and data_item = 'icb_of_residence'
        order by item_score limit 1
        """,
        [checked_demo.run_id],
    )[0]
    results = dict(checked_demo.query(
        """
        select check_id, rows_failed / rows_checked from dq.dq_check_results
        where run_id = ? and dataset = ? and provider_code = ? and financial_year = ? and financial_month = ?
            and check_id in ('icb_of_residence_missing', 'icb_of_residence_invalid')
        """,
        [checked_demo.run_id, dataset, provider, fy, fm],
    ))
    expected = 100 * (1 - results["icb_of_residence_missing"] - results["icb_of_residence_invalid"])
    assert score == pytest.approx(max(expected, 0))


# --- the suites -------------------------------------------------------------------------------

def test_the_registry_is_the_one_home_of_each_check() -> None:
    """The suites hold exactly the registry's check x dataset rows; the docs tables are the
    ones generated from it."""
    rows = registry_module.registry_rows()
    suites = load_registry()
    listed = {(s.dataset, c.check_id) for s in suites for c in s.checks}
    assert listed == {(row["dataset"], row["check_id"]) for row in rows}
    assert len(listed) == len(rows)
    assert catalogue.stale_docs() == []
    assert listed == _documented_checks()


def _registry_copy(tmp_path: Path, edit: tuple[str, str]) -> Path:
    """The registry and batches in tmp_path, the registry with one edit (none for ("", ""))."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    for name in (registry_module.REGISTRY, registry_module.BATCHES):
        text = (SEEDS_DIR / name).read_text(encoding="utf-8")
        if name == registry_module.REGISTRY and edit[0]:
            edited = text.replace(*edit, 1)
            assert edited != text
            text = edited
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_a_check_stating_other_words_on_another_dataset_is_refused(tmp_path: Path) -> None:
    """price_invalid runs on slam, sus and ledger: its ledger row may not tolerate more."""
    seeds = _registry_copy(tmp_path, ("price_invalid,ledger,ledger_file_rows,Price not valid,error,0.0,",
                                      "price_invalid,ledger,ledger_file_rows,Price not valid,error,0.1,"))
    with pytest.raises(ValueError, match=r"dq_checks\.csv line \d+: check price_invalid \(ledger\) states "
                                         r"max_failure_rate differently"):
        load_registry(seeds)


def test_a_check_naming_an_unknown_batch_is_refused(tmp_path: Path) -> None:
    seeds = _registry_copy(
        tmp_path, ("price_invalid,ledger,ledger_file_rows,", "price_invalid,ledger,ledger_rows,")
    )
    with pytest.raises(ValueError, match=r"check price_invalid names unknown batch ledger_rows"):
        load_registry(seeds)


def test_a_check_stating_an_unknown_expectation_is_refused(tmp_path: Path) -> None:
    seeds = _registry_copy(
        tmp_path, ("expect_column_values_to_be_between,", "expect_column_mean_to_be_between,")
    )
    with pytest.raises(ValueError, match=r"activity_negative \(slam\) states expectation expect_column_mean"):
        load_registry(seeds)


def _gx_frame(**columns: list) -> pd.DataFrame:
    """A batch frame as the runner reads it: slice and row id, and the given columns."""
    size = len(next(iter(columns.values())))
    return pd.DataFrame({"slice_no": [0] * size, "row_id": list(range(10, 10 + size)), **columns})


def _validated(batch: Batch, checks: list[Check], frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Each check's failing rows as GX names them, the batch's suite built from the registry."""
    suites = build_suites(((batch, tuple(checks)),))
    return validate_frame(suites.batches[0], frame).unexpected_rows


def _failing_row_ids(batch: Batch, checks: list[Check], frame: pd.DataFrame) -> dict[str, list[int]]:
    outcome = _validated(batch, checks, frame)
    return {check_id: sorted(rows["row_id"]) for check_id, rows in outcome.items()}


def test_expectations_state_the_rule_or_validate_the_flag() -> None:
    """GX counts the rows each check's expectation finds: the registry's rule on a column
    (activity_invalid: not null; activity_negative: between 0 and no maximum, a NULL is not
    negative), on a pair of columns (provider_code_mismatch) or, where GX cannot state the rule
    (flag_reason), the model's flag."""
    suite = next(s for s in load_registry() if s.dataset == "slam")
    batch = suite.batch("slam_current_rows")
    checks = [c for c in suite.checks_of(batch)
              if c.check_id in ("activity_invalid", "activity_negative", "pod_unknown")]
    assert {c.check_id: c.expectation for c in checks} == {
        "activity_invalid": "expect_column_values_to_not_be_null",
        "activity_negative": "expect_column_values_to_be_between",
        "pod_unknown": "expect_column_values_to_be_in_set",
    }
    assert next(c for c in checks if c.check_id == "pod_unknown").flag_reason
    frame = _gx_frame(
        activity=[1.0, -2.0, None, 0.0, -0.5],
        fails_pod_unknown=[False, False, True, False, False],
    )
    assert _failing_row_ids(batch, checks, frame) == {
        "activity_invalid": [12],
        "activity_negative": [11, 14],
        "pod_unknown": [12],
    }
    files = suite.batch("slam_file_rows")
    pair = [c for c in suite.checks_of(files) if c.check_id == "provider_code_mismatch"]
    assert pair[0].expectation == "expect_column_pair_values_to_be_equal"
    frame = _gx_frame(provider_code=["RGT"] * 3, provider_code_resolved=["RGT", "RM1", None])
    assert _failing_row_ids(files, pair, frame) == {"provider_code_mismatch": [11, 12]}


def test_sus_rules_say_what_a_null_is() -> None:
    """The SUS rules GX states give the flags' answers on their edge rows: a blank NHS number
    status is not 01; a blank tariff price is not invalid (the row_condition), an unreadable one
    is; copy 0 is a blank id and copies 2+ are duplicates; two NULL service lines agree."""
    suite = next(s for s in load_registry() if s.dataset == "sus")
    batch = suite.batch("sus_extract_rows")
    wanted = ("nhs_number_not_verified", "price_invalid", "sus_record_duplicate", "sus_record_id_missing")
    checks = [c for c in suite.checks_of(batch) if c.check_id in wanted]
    price = next(c for c in checks if c.check_id == "price_invalid")
    assert price.columns == ("tariff_price", "tariff_price_raw")  # what its row_condition reads too
    frame = _gx_frame(
        nhs_number_status_or_blank=["01", "", "02", "01"],
        tariff_price_raw=["12.50", None, "twelve", ""],
        tariff_price=[12.5, None, None, None],
        occurrence_in_extract=[1, 0, 2, 3],
    )
    assert _failing_row_ids(batch, checks, frame) == {
        "nhs_number_not_verified": [11, 12],
        "price_invalid": [12],
        "sus_record_duplicate": [12, 13],
        "sus_record_id_missing": [11],
    }
    records = suite.batch("sus_ir_records")
    mismatch = suite.checks_of(records)
    frame = _gx_frame(supplied_line=["NCBPS01A", None, None, "NCBPS01A"],
                      derived_line=["NCBPS01A", None, "NCBPS02B", "NCBPS02B"])
    assert _failing_row_ids(records, mismatch, frame) == {"service_line_ir_mismatch": [12, 13]}


def test_gx_names_the_failing_rows_and_the_samples_show_their_context() -> None:
    """GX's result format names each failing row by its slice and row id; the samples read the
    context columns and the raw value the registry names from those rows of the batch, the
    first `cap` per check and slice in file and row order."""
    suite = next(s for s in load_registry() if s.dataset == "ledger")
    batch = suite.batch("ledger_file_rows")
    checks = [c for c in suite.checks_of(batch) if c.check_id == "price_invalid"]
    assert checks[0].raw_value == "amount_raw"
    with duckdb.connect() as con:
        con.execute(
            """
            create temp table dq_batch_rows as
            select * from (values
                (0, 'GL_2.csv', 7, 'ref a', 'NCBPS01A', 'OPFA', 'cc 1', null, 'ten'),
                (0, 'GL_1.csv', 9, 'ref b', 'NCBPS01A', 'OPFA', 'cc 1', null, ''),
                (0, 'GL_1.csv', 3, 'ref c', null, null, null, 12.5, '12.50'),
                (0, 'GL_1.csv', 8, 'ref d', 'NCBPS02B', 'APC', 'cc 2', null, 'n/a'),
                (1, 'GL_3.csv', 1, 'ref e', null, null, null, null, 'x')
            ) as t(slice_no, source_file, source_row, record_ref, service_line_code, pod_code,
                   context, amount, amount_raw)
            """
        )
        frame = con.execute("select slice_no, rowid as row_id, amount from dq_batch_rows").df()
        rows = _validated(batch, checks, frame)["price_invalid"]
        assert sorted(rows.itertuples(index=False)) == [(0, 0), (0, 1), (0, 3), (1, 4)]
        assert list(rows.columns) == ["slice_no", "row_id"]
        new_samples_table(con)
        keep_samples(con, rows.assign(check_id="price_invalid", raw_column="amount_raw"), 2, 0, 1)
        samples = con.execute("select * from dq_new_samples order by slice_no, sample_no").fetchall()
    assert samples == [
        ("price_invalid", 0, 1, "GL_1.csv", 8, "ref d", "NCBPS02B", "APC", "cc 2", "amount_raw", "n/a"),
        ("price_invalid", 0, 2, "GL_1.csv", 9, "ref b", "NCBPS01A", "OPFA", "cc 1", "amount_raw", ""),
        ("price_invalid", 1, 1, "GL_3.csv", 1, "ref e", None, None, None, "amount_raw", "x"),
    ]


def test_every_flag_says_why_gx_cannot_state_its_rule(tmp_path: Path) -> None:
    """A check without an expectation names its reason; a row with both, or one setting what
    the runner sets (result_format), is refused."""
    flags = [c for s in load_registry() for c in s.checks if c.is_flag]
    assert flags and all(c.flag_reason for c in flags)
    assert all(not c.flag_reason for s in load_registry() for c in s.checks if not c.is_flag)
    no_reason = _registry_copy(tmp_path / "a", (
        ",Triangulation: the cell is judged in marts.rpt_triangulation_activity from two datasets' "
        "aggregates (is_flagged); the check validates the mart's verdict.", ","))
    with pytest.raises(ValueError, match=r"slam_sus_activity_variance \(slam\) has no expectation: state the "
                                         r"rule in GX, or say in flag_reason why GX cannot"):
        load_registry(no_reason)
    both = _registry_copy(tmp_path / "b", ("{column: record_type},", "{column: record_type},why not"))
    with pytest.raises(ValueError, match=r"record_type_invalid \(slam\) states both an expectation and a "):
        load_registry(both)
    runner_set = _registry_copy(
        tmp_path / "c", ("{column: record_type}", '"{column: record_type, result_format: BOOLEAN_ONLY}"')
    )
    with pytest.raises(ValueError, match=r"states result_format: the runner sets it"):
        load_registry(runner_set)


def test_a_new_check_stated_in_gx_needs_only_its_registry_row(tmp_path: Path) -> None:
    """The path of a new check: a registry row (here a rule GX states on a column the check
    model already has), its planted defect in the generator, and — only when the rule needs a
    new column or a flag — its check model. The suites, GX and the docs tables take it from the
    registry alone."""
    seeds = _registry_copy(tmp_path, ("", ""))
    registry = seeds / registry_module.REGISTRY
    with registry.open("a", encoding="utf-8") as handle:
        handle.write(
            "activity_implausible,slam,slam_current_rows,Activity implausibly large,warn,0.01,,"
            "activity is a number above 10000.,An activity count above 10000 on one row.,"
            "Check the row's unit of activity.,activity_raw,,,expect_column_values_to_be_between,"
            "\"{column: activity, max_value: 10000}\",\n"
        )
    suite = next(s for s in load_registry(seeds) if s.dataset == "slam")
    batch = suite.batch("slam_current_rows")
    checks = [c for c in suite.checks_of(batch) if c.check_id == "activity_implausible"]
    assert [c.columns for c in checks] == [("activity",)]
    frame = _gx_frame(activity=[1.0, 20000.0, None])
    assert _failing_row_ids(batch, checks, frame) == {"activity_implausible": [11]}


def _check_ids_named_in_python() -> dict[str, set[str]]:
    """The check ids the package names: constants called *CHECK, *CHECK_ID or *CHECKS (strings,
    tuples, dict keys) and SQL comparing check_id with a literal."""
    sql_id = re.compile(r"check_id\s*(?:=|<>|!=)\s*'([a-z_]+)'")
    found: dict[str, set[str]] = {}
    for path in sorted((PROJECT_ROOT / "speccomm").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and re.search(r"CHECK(_ID|S)?$", t.id) for t in node.targets
            ):
                value = node.value
                items = value.keys if isinstance(value, ast.Dict) else getattr(value, "elts", [value])
                for item in items:
                    if isinstance(item, ast.Constant) and isinstance(item.value, str):
                        found.setdefault(item.value, set()).add(path.name)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                for check_id in sql_id.findall(node.value):
                    found.setdefault(check_id, set()).add(path.name)
    return found


def test_check_ids_named_in_python_are_in_the_registry() -> None:
    """Any id the package still names is a registered one (how a report shows a check is the
    registry's: test_report_sql_policy.py holds the product to naming none)."""
    named = _check_ids_named_in_python()
    registered = {row["check_id"] for row in registry_module.registry_rows()}
    unknown = {check_id: sorted(files) for check_id, files in named.items() if check_id not in registered}
    assert not unknown, f"check ids named in Python but not in seeds/reference/dq_checks.csv: {unknown}"


def test_each_dataset_has_one_primary_batch() -> None:
    for suite in load_registry():
        assert sum(batch.primary for batch in suite.batches) == 1, suite.dataset


def _documented_checks() -> set[tuple[str, str]]:
    text = (PROJECT_ROOT / "docs" / "data-quality-checks.md").read_text(encoding="utf-8")
    pairs = set()
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("`") and cells[0].endswith("`"):
            for dataset in cells[1].split(","):
                pairs.add((dataset.strip(), cells[0].strip("`")))
    return pairs


def test_check_sql_lives_in_dbt_and_the_exposure_lists_it() -> None:
    """Every batch and fingerprint of the suites is a model in models/dq/checks/ (no SQL files of
    the runner's own, DQMI's included), every such model is used, and the reports' exposure
    names exactly them."""
    root = PROJECT_ROOT
    assert not sorted((root / "speccomm").rglob("*.sql")), "the DQMI SQL belongs in models/dq/dqmi/"
    batches = [batch for suite in load_registry() for batch in suite.batches]
    named = {name for batch in batches for name in (batch.model, batch.fingerprint_model)}
    models = {path.stem for path in (root / "models" / "dq" / "checks").glob("*.sql")}
    assert named == models
    exposures = yaml.safe_load((root / "models" / "exposures.yml").read_text(encoding="utf-8"))
    reports = next(e for e in exposures["exposures"] if e["name"] == "provider_data_quality_reports")
    refs = {entry.removeprefix("ref('").removesuffix("')") for entry in reports["depends_on"]}
    assert {ref for ref in refs if ref in models or ref.startswith("dq_fingerprint_")} == named
