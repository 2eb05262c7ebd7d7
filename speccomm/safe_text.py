"""Text made safe for where it goes: spreadsheet cells, console logs, email bodies.

Two rules, each in one place, for every writer of CSV files, logs and messages to reuse:

- `neutralise_cell`: a CSV cell that a spreadsheet would run as a formula (OWASP "CSV
  Injection": a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a
  leading single quote, so Excel and LibreOffice show it as text. A plain number (`-1234.56`,
  `+44`) cannot be a formula and is left alone, so negative amounts stay numbers.
- `printable`: text from outside (a file name, a value a provider sent, an error message)
  with every character that could move the cursor or fake a new line (line breaks, control
  characters, Unicode line separators, bidirectional overrides) written as its escape
  (`\\n`, `\\x1b`, `\\u202e`): one value can never forge a line of a log or an email.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_LEADERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?", re.ASCII)


def neutralise_cell(value: Any) -> Any:
    """The value as a CSV writer should write it: text that a spreadsheet would evaluate is
    prefixed with `'`; numbers, None and other text unchanged."""
    if not isinstance(value, str) or not value.startswith(FORMULA_LEADERS):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def neutralise_row(row: list[Any] | tuple[Any, ...]) -> list[Any]:
    return [neutralise_cell(value) for value in row]


def printable(text: object) -> str:
    """str(text) with every non-printable character (space excepted) as its escape."""
    return "".join(
        ch if ch == " " or ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
        for ch in str(text)
    )
