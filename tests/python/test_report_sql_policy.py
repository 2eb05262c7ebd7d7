"""The providers' emails take their figures and rules from dbt (issue 27, docs/decisions/0033):
no business SQL in the Python that selects them, no check id written in Python, no financial
calendar worked out in Python. Read from the files: no warehouse needed."""

from __future__ import annotations

import ast
import csv
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "speccomm"
REPORTS = PACKAGE / "reports"
# What a rule looks like in SQL: the report's Python selects a model's rows of one provider, in
# an order; it neither joins, groups, windows, filters on a rule nor computes a date.
RULE_SQL = re.compile(r"\b(join|group\s+by|over\s*\(|interval|case|having|median|coalesce)\b", re.I)
SQL = re.compile(r"\bselect\b", re.I)
CALENDAR = re.compile(r"%\s*12\b|financial_month\s*<=\s*9|\bcalendar_month\b")


def _registry_ids() -> set[str]:
    with (ROOT / "seeds" / "reference" / "dq_checks.csv").open(encoding="utf-8", newline="") as handle:
        return {row["check_id"] for row in csv.DictReader(handle)}


def _sql_strings(path: Path) -> list[str]:
    """The module's string literals (f-strings' literal parts joined) that are SQL."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.JoinedStr):
            parts = [v.value for v in node.values if isinstance(v, ast.Constant)]
            text = "".join(part for part in parts if isinstance(part, str))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        if SQL.search(text):
            found.append(text)
    return found


def _product_modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))  # the generator plants defects by id: the test kit's (0035)


def test_no_check_id_is_written_in_python() -> None:
    """How a check is shown, masked or listed is a column of the registry (report_as,
    value_withheld_as), read by the report models; Python names no check."""
    ids = _registry_ids()
    assert "submission_missing" in ids
    found = {
        f"{path.relative_to(ROOT)}: {check_id}"
        for path in _product_modules()
        for check_id in ids
        if re.search(rf"[\"']{check_id}[\"']", path.read_text(encoding="utf-8"))
    }
    assert not found, sorted(found)


@pytest.mark.parametrize("path", sorted(REPORTS.glob("*.py")), ids=lambda p: p.name)
def test_the_reports_python_holds_no_business_sql(path: Path) -> None:
    rules = [sql for sql in _sql_strings(path) if RULE_SQL.search(sql)]
    assert not rules, f"{path.name}: a rule in SQL belongs in models/dq/report/: {rules}"
    calendar = CALENDAR.findall(path.read_text(encoding="utf-8"))
    assert not calendar, f"{path.name}: the financial calendar is dbt's (date_of_financial_period)"


def test_the_nightly_reads_its_late_submissions_from_a_model() -> None:
    text = (PACKAGE / "nightly.py").read_text(encoding="utf-8")
    assert "dq_check_results" not in text and "rpt_dq_late_submissions" in text
