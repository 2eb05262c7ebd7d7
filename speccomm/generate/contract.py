"""The contract's columns per feed as the generator writes them: canonical name -> aliases.

Read from the loader's table (speccomm.load.columns), the one home of the contract's header
aliases: the generator writes the aliases the loader accepts. The test oracle
(tests/python/contract_validator.py) keeps its own copy on purpose, written from the contract
page; tests/python/test_contract_aliases.py holds the two equal.
"""

from __future__ import annotations

from speccomm.load.columns import BUDGET_COLUMNS as _BUDGET
from speccomm.load.columns import LEDGER_COLUMNS as _LEDGER
from speccomm.load.columns import SLAM_COLUMNS as _SLAM
from speccomm.load.columns import SUS_COLUMNS as _SUS
from speccomm.load.columns import Column


def _aliases(columns: tuple[Column, ...]) -> dict[str, tuple[str, ...]]:
    return {column.name: column.aliases for column in columns}


SLAM_COLUMNS: dict[str, tuple[str, ...]] = _aliases(_SLAM)
SUS_COLUMNS: dict[str, tuple[str, ...]] = _aliases(_SUS)
LEDGER_COLUMNS: dict[str, tuple[str, ...]] = _aliases(_LEDGER)
BUDGET_COLUMNS: dict[str, tuple[str, ...]] = _aliases(_BUDGET)
