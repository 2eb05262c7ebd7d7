"""Deliberate copies of a contract rule, pinned equal (docs/architecture.md, "One home for each rule").

The loader's header aliases (speccomm.load.columns) are the one home the generator reads; the
test oracle (contract_validator.py) keeps its own copy, written from the contract page so that
it checks the loader rather than repeats it. Likewise the default GP practice codes: the dbt
macro is_default_gp_practice is the warehouse's rule, the generator's rules.py and the oracle
are independent on purpose. These tests fail when a copy drifts.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from contract_validator import ALIASES, DEFAULT_GP, REQUIRED

from speccomm.generate import contract as generator_contract
from speccomm.generate.formats import DEFAULT_GP as GENERATED_DEFAULT_GP
from speccomm.generate.rules import DEFAULT_GP_CODES
from speccomm.load.columns import COLUMNS_BY_FEED

ROOT = Path(__file__).resolve().parents[2]
ATTRIBUTION_MACRO = ROOT / "macros" / "attribution" / "attribution.sql"
GENERATOR_TABLES = {
    "slam": generator_contract.SLAM_COLUMNS,
    "sus": generator_contract.SUS_COLUMNS,
    "ledger": generator_contract.LEDGER_COLUMNS,
    "budget": generator_contract.BUDGET_COLUMNS,
}


def _loader_aliases(feed: str) -> dict[str, tuple[str, ...]]:
    return {column.name: column.aliases for column in COLUMNS_BY_FEED[feed]}


@pytest.mark.parametrize("feed", sorted(COLUMNS_BY_FEED))
def test_the_oracle_accepts_the_loaders_aliases(feed: str) -> None:
    assert ALIASES[feed] == _loader_aliases(feed), f"{feed}: contract_validator and load/columns.py differ"


@pytest.mark.parametrize("feed", sorted(COLUMNS_BY_FEED))
def test_the_oracle_requires_the_loaders_required_columns(feed: str) -> None:
    required = {column.name for column in COLUMNS_BY_FEED[feed] if column.required}
    assert REQUIRED[feed] == required


@pytest.mark.parametrize("feed", sorted(COLUMNS_BY_FEED))
def test_the_generator_writes_the_loaders_aliases(feed: str) -> None:
    assert GENERATOR_TABLES[feed] == _loader_aliases(feed)


def _macro_default_gp_codes() -> set[str]:
    macro = re.search(
        r"macro is_default_gp_practice\(.*?in \(([^)]*)\)", ATTRIBUTION_MACRO.read_text(), flags=re.S
    )
    assert macro, f"{ATTRIBUTION_MACRO}: is_default_gp_practice's code list not found"
    return set(re.findall(r"'([^']+)'", macro.group(1)))


def test_default_gp_practice_codes_agree() -> None:
    warehouse = _macro_default_gp_codes()
    assert warehouse == set(DEFAULT_GP_CODES) == set(DEFAULT_GP) == set(GENERATED_DEFAULT_GP)
    assert warehouse == {"V81997", "V81998", "V81999"}
