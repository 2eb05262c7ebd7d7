"""Messy renderings: every way the contract allows a value or a header to be written,
and the invalid values the generator plants on purpose."""

from __future__ import annotations

import random

from speccomm.generate.reference import Reference
from speccomm.generate.rules import DEFAULT_GP_CODES

FY_FORMATS = ("2025/26", "2025-26", "202526", "2025-2026", "25/26", "2526")
MONTH_FORMATS = ("5", "05", "M5", "M05")
# positive form, negative form
MONEY_STYLES = {
    "plain": ("1234.56", "-1234.56"),
    "comma": ("1,234.56", "(1,234.56)"),
    "pound": ("£1,234.56", "-£1,234.56"),
    "pound_brackets": ("£1,234.56", "(1,234.56)"),
}
HEADER_SPELLINGS = ("as_is", "title_spaces", "upper_hyphen", "dots", "title_underscore", "padded")
DATE_FORMATS = ("YYYY-MM-DD", "DD/MM/YYYY")

# Planted invalid values (each one is counted by a data-quality check)
INVALID_MONEY = ("TBC", "n/a", "")
INVALID_ACTIVITY = ("TBC", "n/a", "")
INVALID_FY = ("2025/27", "FY25", "2025")
INVALID_MONTH = ("13", "M13", "Sept")
INVALID_RECORD_TYPE = ("Forecast", "Actuals")
INVALID_ICB = ("Q99", "Y56", "QKK1", "UNKNOWN", "08A")
UNKNOWN_SERVICE_LINES = ("NCBPS99Z", "TBC", "")
UNKNOWN_PODS = ("OPX", "ELX", "")
DEFAULT_GP = tuple(sorted(DEFAULT_GP_CODES))  # rules.py is the generator's one home of the codes
INVALID_DATES = ("31/02/2025", "2025-13-01", "")


def financial_year(start_year: int, fmt: str) -> str:
    end = start_year + 1
    return {
        "2025/26": f"{start_year}/{end % 100:02d}",
        "2025-26": f"{start_year}-{end % 100:02d}",
        "202526": f"{start_year}{end % 100:02d}",
        "2025-2026": f"{start_year}-{end}",
        "25/26": f"{start_year % 100:02d}/{end % 100:02d}",
        "2526": f"{start_year % 100:02d}{end % 100:02d}",
    }[fmt]


def financial_month(month: int, fmt: str) -> str:
    return {"5": f"{month}", "05": f"{month:02d}", "M5": f"M{month}", "M05": f"M{month:02d}"}[fmt]


def money(pence: int, style: str) -> str:
    """Pence as text in one of the contract's money formats (negatives per the style)."""
    positive, negative = MONEY_STYLES[style]
    sign = pence < 0
    pounds, pennies = divmod(abs(pence), 100)
    form = negative if sign else positive
    digits = f"{pounds:,}" if "," in form else f"{pounds}"
    text = f"{digits}.{pennies:02d}"
    if form.startswith("("):
        return f"({text})"
    if "£" in form:
        text = f"£{text}"
    return f"-{text}" if sign else text


def number(value: float) -> str:
    """Activity: an integer when whole, else up to two decimals."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def date_text(year: int, month: int, day: int, fmt: str) -> str:
    if fmt == "YYYY-MM-DD":
        return f"{year:04d}-{month:02d}-{day:02d}"
    return f"{day:02d}/{month:02d}/{year:04d}"


def spell_header(name: str, spelling: str) -> str:
    """One provider's way of writing a header that normalises back to `name`."""
    words = name.split("_")
    return {
        "as_is": name,
        "title_spaces": " ".join(w.capitalize() for w in words),
        "upper_hyphen": "-".join(w.upper() for w in words),
        "dots": ".".join(words),
        "title_underscore": "_".join(w.capitalize() for w in words),
        "padded": "  " + "  ".join(words) + " ",
    }[spelling]


def provider_text(code: str, style: str, ref: Reference, rng: random.Random) -> str:
    if style == "site" and ref.sites.get(code):
        return rng.choice(ref.sites[code])
    if style == "lower":
        return code.lower()
    if style == "padded":
        return f" {code} "
    return code


def icb_text(code: str, variety: float, ref: Reference, rng: random.Random) -> str:
    """An ICB code, sometimes as its sub-ICB location, 00-suffixed, lower-cased or padded."""
    if rng.random() >= variety:
        return code
    subs = ref.sub_icbs.get(code, [])
    roll = rng.random()
    if subs and roll < 0.4:
        return rng.choice(subs)
    if subs and roll < 0.7 and len(subs[0]) == 3:
        return f"{subs[0]}00"
    if roll < 0.85:
        return f"{code}00"
    return code.lower() if roll < 0.95 else f" {code} "
