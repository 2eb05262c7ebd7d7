"""Decision records in one template: title, status, date, context, decision, consequences."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DECISIONS = Path(__file__).resolve().parents[2] / "docs" / "decisions"
RECORDS = sorted(DECISIONS.glob("[0-9][0-9][0-9][0-9]-*.md"))
STATUS = re.compile(r"^- \*\*Status:\*\* (proposed|accepted|superseded|deprecated)\b", re.M)
DATE = re.compile(r"^- \*\*Date:\*\* \d{4}-\d{2}-\d{2}$", re.M)
SECTIONS = ("## Context", "## Decision", "## Consequences")


def test_there_are_records() -> None:
    assert len(RECORDS) >= 24


@pytest.mark.parametrize("path", RECORDS, ids=lambda p: p.name[:4])
def test_record_follows_the_template(path: Path) -> None:
    text = path.read_text()
    number = int(path.name[:4])
    assert text.startswith(f"# {number}. "), f"{path.name}: the first line is '# {number}. Title'"
    head = text.split("\n## ", 1)[0]
    assert STATUS.search(head), f"{path.name}: a '- **Status:** accepted' line before the sections"
    assert DATE.search(head), f"{path.name}: a '- **Date:** YYYY-MM-DD' line before the sections"
    headings = re.findall(r"^## .*$", text, flags=re.M)
    found = [h for h in headings if h in SECTIONS]
    assert found == list(SECTIONS), f"{path.name}: {list(SECTIONS)} in that order, once each; found {found}"
