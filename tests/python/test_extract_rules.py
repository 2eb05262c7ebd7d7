"""The extract rules as each mart's metadata states them (config.meta.extract)."""

from __future__ import annotations

from pathlib import Path

import pytest

from speccomm.publish.extract_rules import (
    ExtractRuleError,
    IcbRows,
    NotExtracted,
    Shared,
    TotalOf,
    YearToDate,
    parse_rule,
    rules_in,
)


def test_the_three_kinds_of_rule_parse() -> None:
    assert parse_rule("shared", "x") == Shared()
    assert parse_rule({"withheld": " row samples "}, "x") == NotExtracted("row samples")
    rule = parse_rule(
        {"icb_columns": ["icb_code"], "counts": {"activity": ["price_gbp"]}, "row_level": True}, "x"
    )
    assert rule == IcbRows(icb_columns=("icb_code",), counts={"activity": ("price_gbp",)}, row_level=True)
    assert rule.columns() == ("icb_code", "activity", "price_gbp")


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ("everyone", "config.meta.extract must be"),
        ({"icb_column": ["icb_code"]}, "unknown fields ['icb_column']"),
        ({"counts": {"activity": []}}, "names no icb_columns or provider_columns"),
        ({"icb_columns": "icb_code"}, "config.meta.extract.icb_columns must be a list"),
        ({"icb_columns": ["icb_code"], "counts": {"activity": "price_gbp"}}, "extract.counts.activity"),
        ({"icb_columns": ["icb_code"], "row_level": "yes"}, "extract.row_level"),
        ({"withheld": ""}, "extract.withheld"),
        ({"withheld": "why", "icb_columns": ["icb_code"]}, "extract.withheld"),
        ({"icb_columns": ["icb_code"], "totals": ["icb_code"]}, "extract.totals[0] must be a list"),
        ({"icb_columns": ["icb_code"], "totals": "icb_code"}, "extract.totals must be a list"),
        ({"icb_columns": ["icb_code"], "repeats": ["x"]}, "extract.repeats must map"),
        ({"icb_columns": ["icb_code"], "derived": ["x"]}, "extract.derived must map"),
        ({"icb_columns": ["icb_code"], "derived": {"x_gbp": "y_gbp"}}, "extract.derived.x_gbp must be"),
        ({"icb_columns": ["icb_code"], "year_to_date": {"by": ["icb_code"]}}, "extract.year_to_date must be"),
        (
            {"icb_columns": ["icb_code"], "year_to_date": {"by": ["icb_code"], "columns": {}}},
            "year_to_date.columns",
        ),
        ({"icb_columns": ["icb_code"], "totals_of": {"of": "x.y"}}, "extract.totals_of must be a list"),
        (
            {"icb_columns": ["icb_code"], "totals_of": [{"of": "rpt_x", "by": ["a"], "columns": ["b"]}]},
            "extract.totals_of[0].of must name another mart's column as mart.column",
        ),
        (
            {"icb_columns": ["icb_code"], "totals_of": [{"of": "rpt_x.y", "by": ["a"]}]},
            "extract.totals_of[0] must be a mapping of `of`, `by`, `columns`",
        ),
        (
            {
                "icb_columns": ["icb_code"],
                "totals_of": [{"of": "rpt_x.y", "by": ["a"], "columns": ["b"], "next_month": ["c"]}],
            },
            "extract.totals_of[0]: year_to_date and next_month need financial_month in `by`",
        ),
    ],
)
def test_a_rule_that_does_not_parse_names_the_file_model_and_field(value: object, field: str) -> None:
    with pytest.raises(ExtractRuleError) as raised:
        parse_rule(value, "_marts.yml: rpt_new")
    assert str(raised.value).startswith("_marts.yml: rpt_new: ")
    assert field in str(raised.value)


def test_totals_repeats_and_year_to_date_parse_and_name_their_columns() -> None:
    rule = parse_rule(
        {
            "provider_columns": ["provider_code"],
            "counts": {"activity": ["actual_gbp"]},
            "repeats": {"paying_gbp": ["actual_gbp", "other_gbp"]},
            "derived": {"actual_gbp": ["variance_gbp"]},
            "totals": [["provider_code", "financial_year"]],
            "year_to_date": {"by": ["provider_code"], "columns": {"actual_gbp": ["ytd_actual_gbp"]}},
        },
        "x",
    )
    assert isinstance(rule, IcbRows)
    assert rule.totals == (("provider_code", "financial_year"),)
    assert rule.derived == {"actual_gbp": ("variance_gbp",)}
    assert rule.year_to_date == YearToDate(("provider_code",), {"actual_gbp": ("ytd_actual_gbp",)})
    named = {"paying_gbp", "other_gbp", "financial_month", "ytd_actual_gbp", "variance_gbp"}
    assert named <= set(rule.columns())


def test_totals_of_parses_and_names_its_columns() -> None:
    rule = parse_rule(
        {
            "icb_columns": ["icb_code"],
            "totals_of": [
                {
                    "of": "rpt_parts.price_gbp",
                    "by": ["icb_code", "financial_month"],
                    "columns": ["total_gbp"],
                    "year_to_date": ["ytd_total_gbp"],
                    "next_month": ["previous_month_gbp"],
                }
            ],
        },
        "x",
    )
    assert isinstance(rule, IcbRows)
    assert rule.totals_of == (
        TotalOf(
            "rpt_parts", "price_gbp", ("icb_code", "financial_month"), ("total_gbp",),
            ("ytd_total_gbp",), ("previous_month_gbp",),
        ),
    )
    # a mart lacking one of them is kept out of extracts, as for every rule
    assert {"financial_month", "total_gbp", "ytd_total_gbp", "previous_month_gbp"} <= set(rule.columns())


def test_totals_of_narrows_its_parts_by_where_and_refuses_a_where_that_is_not_a_mapping() -> None:
    entry = {"of": "rpt_parts.actual_gbp", "by": ["icb_code"], "columns": ["slam_gbp"]}
    green = {**entry, "where": {"funding_stream": "green"}}
    rule = parse_rule({"icb_columns": ["icb_code"], "totals_of": [green]}, "x")
    assert isinstance(rule, IcbRows)
    assert rule.totals_of[0].where == (("funding_stream", "green"),)
    with pytest.raises(ExtractRuleError, match=r"totals_of\[0\]\.where must be a mapping"):
        parse_rule({"icb_columns": ["icb_code"], "totals_of": [{**entry, "where": ["funding_stream"]}]}, "x")


def test_rules_are_read_from_the_models_yaml_and_a_mart_without_one_has_none(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "_models.yml").write_text(
        "version: 2\nmodels:\n"
        "  - name: rpt_stated\n    config:\n      meta:\n"
        "        extract: {provider_columns: [provider_code]}\n"
        "  - name: rpt_undecided\n    config:\n      meta: {grain: x}\n"
        "  - name: dim_thing\n    config:\n      meta: {extract: shared}\n",
        encoding="utf-8",
    )
    assert rules_in(tmp_path) == {
        "rpt_stated": IcbRows(provider_columns=("provider_code",)),
        "dim_thing": Shared(),
    }


def test_a_broken_rule_in_a_yaml_file_is_reported_with_that_file(tmp_path: Path) -> None:
    (tmp_path / "_broken.yml").write_text(
        "version: 2\nmodels:\n  - name: rpt_bad\n    config:\n      meta:\n        extract: {rows: all}\n",
        encoding="utf-8",
    )
    with pytest.raises(ExtractRuleError, match=r"^_broken.yml: rpt_bad: config.meta.extract has unknown"):
        rules_in(tmp_path)
