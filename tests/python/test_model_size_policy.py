"""A model reads as one idea: past ten CTEs, its stages become named intermediate steps
(issue 27 item 5, docs/decisions/0032). Read from the files, no dbt run needed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

MODELS = Path(__file__).resolve().parents[2] / "models"
MAX_CTES = 10
# a CTE's head at the start of a line (the project's style), after `with`, a comma or the
# previous CTE's closing parenthesis: `name as (`; not a window (`window w as (`)
CTE_HEAD = re.compile(
    r"^[\s)]*(?:with\s+|,\s*)?(?!window\b)([a-z_][a-z0-9_]*)\s+as\s*\(", flags=re.I | re.M
)
COMMENTS = re.compile(r"\{#.*?#\}|--[^\n]*", flags=re.S)


def ctes(sql: str) -> list[str]:
    """The CTE names of a model's SQL, comments aside."""
    return CTE_HEAD.findall(COMMENTS.sub("", sql))


@pytest.mark.parametrize("path", sorted(MODELS.rglob("*.sql")), ids=lambda p: p.stem)
def test_no_model_has_more_than_ten_ctes(path: Path) -> None:
    found = ctes(path.read_text(encoding="utf-8"))
    assert len(found) <= MAX_CTES, (
        f"{path.relative_to(MODELS.parent)} has {len(found)} CTEs ({', '.join(found)}): split its stages "
        f"into named intermediate steps (int_<subject>__<what>, ephemeral; docs/decisions/0032)"
    )


def test_the_cte_count_sees_every_cte_and_no_window() -> None:
    sql = """{#- a comment naming fake as ( -#}
with

first_step as (
    select 1 as x
),

-- commented_out as (
second_step as (
    select x, sum(x) over w as y from first_step
    window w as (order by x)
), third_step as (select 1 as z)

select * from second_step"""
    assert ctes(sql) == ["first_step", "second_step", "third_step"]
    eleven = "with\n" + ",\n".join(f"step_{n} as (\n    select {n} as x\n)" for n in range(11)) + "\nselect 1"
    assert len(ctes(eleven)) == 11
