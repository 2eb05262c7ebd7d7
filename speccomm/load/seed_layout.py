"""The layout of each shipped reference seed, read from its declaration
(`seeds/reference/_*__seeds.yml`): columns in file order, their types, and the tests dbt runs
on them (not_null, unique, accepted_values, relationships, unique_combination_of_columns).

A reference update (`<landing>/reference/<seed>.csv`) is checked against this before it may
replace the shipped seed, so a file dbt would reject never reaches the build.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

import yaml

from speccomm.config import SEEDS_DIR


class BadReferenceFile(ValueError):
    """The file cannot replace its seed; the message names the row and field."""


class BadValue(ValueError):
    """A value that does not fit its column's type; the message says what is expected."""


@dataclass(frozen=True)
class Relationship:
    column: str
    seed: str
    field: str


@dataclass(frozen=True)
class SeedLayout:
    name: str
    columns: tuple[str, ...]  # in the shipped file's order
    types: dict[str, str]
    not_null: frozenset[str] = frozenset()
    unique: tuple[tuple[str, ...], ...] = ()  # single columns and combinations
    accepted: dict[str, frozenset[str]] = field(default_factory=dict)
    relationships: tuple[Relationship, ...] = ()

    @property
    def shipped_csv(self) -> Path:
        return SEEDS_DIR / f"{self.name}.csv"


@cache
def seed_layouts() -> dict[str, SeedLayout]:
    """Every shipped reference seed's layout, by seed name."""
    layouts: dict[str, SeedLayout] = {}
    for path in sorted(SEEDS_DIR.glob("_*__seeds.yml")):
        for seed in yaml.safe_load(path.read_text(encoding="utf-8"))["seeds"]:
            layouts[seed["name"]] = _layout(seed)
    return layouts


def _layout(seed: dict) -> SeedLayout:
    name = seed["name"]
    with (SEEDS_DIR / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        columns = tuple(next(csv.reader(handle)))
    types = {column: str(kind).lower() for column, kind in seed["config"]["column_types"].items()}
    not_null: set[str] = set()
    unique: list[tuple[str, ...]] = []
    accepted: dict[str, frozenset[str]] = {}
    relationships: list[Relationship] = []
    for test in seed.get("data_tests") or []:
        if isinstance(test, dict) and "unique_combination_of_columns" in test:
            unique.append(tuple(test["unique_combination_of_columns"]["arguments"]["combination_of_columns"]))
    for column in seed.get("columns") or []:
        for test in column.get("data_tests") or []:
            kind, arguments = (test, {}) if isinstance(test, str) else next(iter(test.items()))
            arguments = (arguments or {}).get("arguments", arguments or {})
            if kind == "not_null":
                not_null.add(column["name"])
            elif kind == "unique":
                unique.append((column["name"],))
            elif kind == "accepted_values":
                accepted[column["name"]] = frozenset(str(v) for v in arguments["values"])
            elif kind == "relationships":
                target = re.fullmatch(r"ref\('([a-z0-9_]+)'\)", arguments["to"].strip())
                if target:
                    relationships.append(Relationship(column["name"], target.group(1), arguments["field"]))
    return SeedLayout(
        name, columns, types, frozenset(not_null), tuple(unique), accepted, tuple(relationships)
    )


# --- values ----------------------------------------------------------------------------------

# The seeds declare text as `string` (DuckDB's alias of VARCHAR, and Spark's text type: one
# declaration both engines' dbt seeds accept, docs/decisions/0013); varchar is accepted too.
TEXT_TYPES = ("string", "varchar")
_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL_TYPE = re.compile(r"^decimal\((\d+),\s*(\d+)\)$")


def normalise_value(text: str, kind: str) -> str:
    """The value as the shipped seeds write it (dates YYYY-MM-DD, booleans true/false), or
    BadValue. Empty text is a missing value and stays empty."""
    text = text.strip()
    if text == "" or kind in TEXT_TYPES:
        return text
    if kind == "boolean":
        lowered = text.lower()
        if lowered in ("true", "false"):
            return lowered
        raise BadValue(f"{text!r} is not true or false")
    if kind == "date":
        return _date(text).isoformat()
    if kind in ("integer", "bigint"):
        if not _INTEGER.match(text):
            raise BadValue(f"{text!r} is not a whole number")
        return str(int(text))
    if kind == "double":
        try:
            return repr(float(text))
        except ValueError as exc:
            raise BadValue(f"{text!r} is not a number") from exc
    decimal = _DECIMAL_TYPE.match(kind)
    if decimal:
        return _decimal(text, int(decimal.group(1)), int(decimal.group(2)))
    raise BadValue(f"column type {kind} is not supported by the reference loader")


def _date(text: str) -> date:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise BadValue(f"{text!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)")


def _decimal(text: str, precision: int, scale: int) -> str:
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise BadValue(f"{text!r} is not a number") from exc
    if not value.is_finite():
        raise BadValue(f"{text!r} is not a number")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > scale:
        raise BadValue(f"{text!r} has more than {scale} decimal places")
    if abs(value) >= Decimal(10) ** (precision - scale):
        raise BadValue(f"{text!r} does not fit decimal({precision},{scale})")
    return format(value, "f")


def shipped_rows(seed: str) -> tuple[tuple[str, ...], ...]:
    """The shipped seed's rows (header left out), as text."""
    with (SEEDS_DIR / f"{seed}.csv").open(encoding="utf-8", newline="") as handle:
        return tuple(tuple(record) for record in list(csv.reader(handle))[1:])
