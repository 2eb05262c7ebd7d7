"""The landing contract's value rules, applied by the generator to what it wrote.

The manifest is computed with these functions from the *rendered text* of every file, so it
states what a correct warehouse must publish. They are written from the contract page, not
shared with `speccomm.load` or the dbt models, so the two implementations check each other.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache

DEFAULT_GP_CODES = frozenset({"V81997", "V81998", "V81999"})

_FY_PATTERNS = (
    re.compile(r"^(\d{4})/(\d{2})$"),  # 2025/26
    re.compile(r"^(\d{4})-(\d{2})$"),  # 2025-26
    re.compile(r"^(\d{4})(\d{2})$"),  # 202526
    re.compile(r"^(\d{4})-(\d{4})$"),  # 2025-2026
    re.compile(r"^(\d{2})/(\d{2})$"),  # 25/26
    re.compile(r"^(\d{2})(\d{2})$"),  # 2526
)
_MONTH = re.compile(r"^M?(\d{1,2})$", re.IGNORECASE)
_MONEY_PLAIN = re.compile(r"^(-)?(£)?(\d{1,3}(?:,\d{3})+|\d+)(\.\d{1,2})?$")
_MONEY_BRACKETS = re.compile(r"^\((£)?(\d{1,3}(?:,\d{3})+|\d+)(\.\d{1,2})?\)$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


# Clinical codes as the identification rules read them (docs/identification-rules.md), from the
# ICD-10 and OPCS-4 code formats: upper-cased, dots and white space dropped.
_CLINICAL_CODE = {
    "diagnosis": re.compile(r"^[A-Z][0-9]{2}([0-9X][0-9A-Z]{0,2})?$"),  # ICD-10: C50, C50.9, M06.90
    "procedure": re.compile(r"^[A-Z][0-9]{2}[0-9]?$"),  # OPCS-4: W37, W37.1
}
_NOT_IN_A_CODE = re.compile(r"[.\t\n\f\r ]")


def is_malformed_clinical_code(text: str | None, code_type: str) -> bool:
    """A diagnosis or procedure that is not blank and not a well-formed code of its type
    (counted by ir_code_invalid; no identification rule reads it)."""
    code = _NOT_IN_A_CODE.sub("", clean(text).upper())
    return clean(text) != "" and not _CLINICAL_CODE[code_type].match(code)


def clean(text: str | None) -> str:
    """Surrounding whitespace trimmed; None and blank both become ''."""
    return (text or "").strip()


def fy_label(start_year: int) -> str:
    """2025 -> '2025/26' (the warehouse's canonical form)."""
    return f"{start_year}/{(start_year + 1) % 100:02d}"


@lru_cache(maxsize=4096)
def parse_financial_year(text: str | None) -> int | None:
    """The financial year's start year (2025 for 2025/26), or None when invalid."""
    value = clean(text)
    for pattern in _FY_PATTERNS:
        match = pattern.match(value)
        if not match:
            continue
        first, second = match.groups()
        start = int(first) if len(first) == 4 else 2000 + int(first)
        end = int(second) if len(second) == 4 else (start // 100) * 100 + int(second)
        if len(second) == 2 and end < start:
            end += 100
        return start if end == start + 1 else None
    return None


@lru_cache(maxsize=4096)
def parse_financial_month(text: str | None) -> int | None:
    match = _MONTH.match(clean(text))
    if not match:
        return None
    month = int(match.group(1))
    return month if 1 <= month <= 12 else None


@lru_cache(maxsize=1 << 18)
def parse_money_pence(text: str | None) -> int | None:
    """Money as integer pence, or None when blank or not one of the contract's formats."""
    value = clean(text)
    plain = _MONEY_PLAIN.match(value)
    if plain:
        sign, _pound, whole, frac = plain.groups()
        negative = sign is not None
    else:
        brackets = _MONEY_BRACKETS.match(value)
        if not brackets:
            return None
        _pound, whole, frac = brackets.groups()
        negative = True
    pence = int(whole.replace(",", "")) * 100 + int(((frac or ".")[1:] + "00")[:2])
    return -pence if negative else pence


@lru_cache(maxsize=1 << 16)
def parse_number(text: str | None) -> float | None:
    value = clean(text)
    return float(value) if _NUMBER.match(value) else None


@lru_cache(maxsize=65536)
def parse_date(text: str | None) -> date | None:
    value = clean(text)
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def month_start(start_year: int, fin_month: int) -> date:
    """First day of financial month `fin_month` (1 = April) of the year starting `start_year`."""
    calendar_month = (fin_month + 2) % 12 + 1
    year = start_year if fin_month <= 9 else start_year + 1
    return date(year, calendar_month, 1)


class Resolver:
    """Organisation-code resolution and ICB validity against the reference data."""

    def __init__(
        self,
        trusts: set[str],
        icb_validity: dict[str, list[tuple[date, date | None]]],
        sub_icbs: dict[str, list[tuple[str, date, date | None]]],
    ) -> None:
        self._trusts = trusts
        self._icbs = icb_validity
        self._sub_icbs = sub_icbs
        self._icb_cache: dict[tuple[str, date], str | None] = {}
        self._provider_cache: dict[str | None, str] = {}

    def provider(self, text: str | None) -> str:
        """Upper-cased; a 5-character site code resolves to its trust when that is known."""
        if text not in self._provider_cache:
            code = clean(text).upper()
            self._provider_cache[text] = code[:3] if len(code) == 5 and code[:3] in self._trusts else code
        return self._provider_cache[text]

    def icb(self, text: str | None, on: date) -> str | None:
        """The ICB a code stands for on `on`, or None when blank or not a valid ICB then."""
        key = (clean(text).upper(), on)
        if key not in self._icb_cache:
            self._icb_cache[key] = self._resolve_icb(*key)
        return self._icb_cache[key]

    def _resolve_icb(self, code: str, on: date) -> str | None:
        if len(code) == 5 and code.endswith("00"):
            code = code[:3]
        for icb_code, start, end in self._sub_icbs.get(code, []):
            if start <= on and (end is None or on <= end):
                code = icb_code
                break
        for start, end in self._icbs.get(code, []):
            if start <= on and (end is None or on <= end):
                return code
        return None


def attribute(
    registration: str | None, residence: str | None, gp_practice: str | None, host: str | None
) -> tuple[str | None, str]:
    """The contract's attribution rule on already-resolved ICBs: (attributed ICB, method)."""
    if registration and clean(gp_practice).upper() not in DEFAULT_GP_CODES:
        return registration, "registration"
    if residence:
        return residence, "residence"
    if host:
        return host, "provider_host"
    return None, "unattributed"
