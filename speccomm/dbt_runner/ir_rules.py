"""Validation of the identification-rule seeds (ir_rules, ir_code_sets, ir_designated_providers)
before dbt loads them: a malformed file stops the build with the file, row and field named,
instead of a type-cast error from deep inside `dbt seed` or, worse, rules that silently never
fire. The layout is docs/identification-rules.md; the dbt tests on the seeds check the same
keys again once loaded."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

RULE_FILES = ("ir_rules", "ir_code_sets", "ir_designated_providers")
CODE_TYPES = ("diagnosis", "procedure", "hrg", "treatment_function")
_ID = re.compile(r"^[A-Z0-9_]+$")
_CODE = re.compile(r"^[A-Z0-9]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Check = Callable[[str], str | None]  # a field's text -> a problem, or None when fine


class RuleFileInvalid(ValueError):
    """A rule seed does not fit its layout; the message names file, row and field."""


def normalise_code(text: str) -> str:
    """Codes as the rules compare them: upper case, dots and spaces removed."""
    return re.sub(r"[.\s]", "", text).upper()


def pattern_problem(text: str) -> str | None:
    """None when `text` is one code, a prefix `C50*` or a range `C500-C509`."""
    code = normalise_code(text)
    if code.endswith("*"):
        return None if _CODE.match(code[:-1]) else "a prefix is letters and digits followed by *"
    if "-" in code:
        low, _, high = code.partition("-")
        if not (_CODE.match(low) and _CODE.match(high)):
            return "a range is two codes joined by -"
        if len(low) != len(high):
            return f"the two ends of a range must have the same length ({low!r}, {high!r})"
        return None if low <= high else f"the range runs backwards ({low!r} > {high!r})"
    return None if _CODE.match(code) else "not a code, a prefix (C50*) or a range (C500-C509)"


def _required(text: str) -> str | None:
    return "is blank" if not text else None


def _identifier(text: str) -> str | None:
    if not text:
        return "is blank"
    return None if _ID.match(text) else "use upper-case letters, digits and underscores only"


def _one_of(*values: str) -> Check:
    def check(text: str) -> str | None:
        return None if text in values else "must be one of " + ", ".join(repr(v) for v in values)

    return check


def _optional_age(text: str) -> str | None:
    if not text:
        return None
    return None if text.isdigit() and int(text) <= 120 else "must be blank or a whole number 0-120"


def _integer(text: str) -> str | None:
    return None if re.fullmatch(r"-?\d+", text) else "must be a whole number"


def _date(text: str, optional: bool = False) -> str | None:
    if not text and optional:
        return None
    if not _DATE.match(text):
        return "must be a date YYYY-MM-DD" + (" or blank" if optional else "")
    try:
        date.fromisoformat(text)
    except ValueError:
        return "is not a real date"
    return None


def _boolean(text: str) -> str | None:
    return None if text in ("true", "false") else "must be true or false"


LAYOUTS: dict[str, dict[str, Check]] = {
    "ir_rules": {
        "rule_id": _identifier,
        "service_line_code": _required,
        "dataset": _one_of("", "APC", "OP"),
        "code_set_id": _identifier,
        "code_position": _one_of("primary", "any"),
        "age_from": _optional_age,
        "age_to": _optional_age,
        "requires_designation": _boolean,
        "precedence": _integer,
        "valid_from": _date,
        "valid_to": lambda t: _date(t, optional=True),
        "description": lambda t: None,
        "is_illustrative": _boolean,
    },
    "ir_code_sets": {
        "code_set_id": _identifier,
        "code_type": _one_of(*CODE_TYPES),
        "code_pattern": lambda t: _required(t) or pattern_problem(t),
        "description": lambda t: None,
        "is_illustrative": _boolean,
    },
    "ir_designated_providers": {
        "service_line_code": _required,
        "provider_code": _required,
        "valid_from": _date,
        "valid_to": lambda t: _date(t, optional=True),
        "is_illustrative": _boolean,
    },
}


def _rows(path: Path, layout: dict[str, Check]) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [column for column in layout if column not in header]
        if missing:
            raise RuleFileInvalid(f"{path}: header lacks the column(s) {', '.join(missing)}")
        for number, row in enumerate(reader, start=1):
            yield number, {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}


def _where(path: Path, number: int, field: str) -> str:
    return f"{path}, row {number} (line {number + 1}), field {field}"


def _problems_in(path: Path, layout: dict[str, Check]) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    problems, rows = [], []
    for number, row in _rows(path, layout):
        rows.append((number, row))
        for field, check in layout.items():
            problem = check(row.get(field, ""))
            if problem:
                problems.append(f"{_where(path, number, field)}: {row.get(field, '')!r} {problem}")
    return problems, rows


def _service_codes(seeds: Path) -> set[str]:
    with (seeds / "service_codes.csv").open(encoding="utf-8-sig", newline="") as handle:
        return {(row.get("service_code") or "").strip() for row in csv.DictReader(handle)}


def _cross_checks(seeds: Path, rows: dict[str, list[tuple[int, dict[str, str]]]]) -> list[str]:
    """Keys unique, references resolve, one code type per set, age bands the right way round."""
    problems: list[str] = []
    lines = _service_codes(seeds)
    rules_path, sets_path = seeds / "ir_rules.csv", seeds / "ir_code_sets.csv"
    set_types: dict[str, str] = {}
    seen_patterns: set[tuple[str, str]] = set()
    for number, row in rows["ir_code_sets"]:
        set_id, code_type = row["code_set_id"], row["code_type"]
        if set_types.setdefault(set_id, code_type) != code_type:
            problems.append(
                f"{_where(sets_path, number, 'code_type')}: {code_type!r} but code set "
                f"{set_id} already has type {set_types[set_id]!r} (one type per set)"
            )
        key = (set_id, normalise_code(row["code_pattern"]))
        if key in seen_patterns:
            problems.append(
                f"{_where(sets_path, number, 'code_pattern')}: {row['code_pattern']!r} repeats "
                f"an earlier pattern of code set {set_id}"
            )
        seen_patterns.add(key)
    seen_rules: set[str] = set()
    for number, row in rows["ir_rules"]:
        if row["rule_id"] in seen_rules:
            problems.append(f"{_where(rules_path, number, 'rule_id')}: {row['rule_id']!r} is not unique")
        seen_rules.add(row["rule_id"])
        if row["service_line_code"] and row["service_line_code"] not in lines:
            problems.append(
                f"{_where(rules_path, number, 'service_line_code')}: "
                f"{row['service_line_code']!r} is not a service_code of service_codes.csv"
            )
        if row["code_set_id"] and row["code_set_id"] not in set_types:
            problems.append(
                f"{_where(rules_path, number, 'code_set_id')}: "
                f"{row['code_set_id']!r} is not a code set of ir_code_sets.csv"
            )
        low, high = row["age_from"], row["age_to"]
        if low.isdigit() and high.isdigit() and int(low) > int(high):
            problems.append(f"{_where(rules_path, number, 'age_to')}: {high!r} is below age_from {low!r}")
        if (
            not _date(row["valid_from"])
            and row["valid_to"]
            and not _date(row["valid_to"])
            and row["valid_to"] < row["valid_from"]
        ):
            problems.append(
                f"{_where(rules_path, number, 'valid_to')}: {row['valid_to']!r} is before "
                f"valid_from {row['valid_from']!r}"
            )
    return problems


def validate_rule_seeds(seeds: Path, most: int = 20) -> None:
    """Raise RuleFileInvalid listing (up to `most`) problems of the three rule files in `seeds`."""
    problems: list[str] = []
    rows: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for name in RULE_FILES:
        path = seeds / f"{name}.csv"
        if not path.is_file():
            raise RuleFileInvalid(f"{path}: the identification-rule file is missing")
        found, rows[name] = _problems_in(path, LAYOUTS[name])
        problems += found
    if not problems:
        problems = _cross_checks(seeds, rows)
    if problems:
        more = f"\n... and {len(problems) - most} more" if len(problems) > most else ""
        raise RuleFileInvalid("identification rules are malformed:\n" + "\n".join(problems[:most]) + more)
