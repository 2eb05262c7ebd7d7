"""Landing file names: which feed, whose, which period, when received."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

# ASCII digits only: Python's \d, int() and str.isdigit() also accept other scripts' digits
# (full-width "２０２８"), which DuckDB cannot cast; such a name is rejected, never loaded.
# \Z, not $: a name ending in a line break is not a match either.
_DIGIT = "[0-9]"
_RECEIVED = rf"(?P<received>{_DIGIT}{{14}})"
_PATTERNS = {
    "slam": re.compile(
        rf"^(?P<org>[A-Z0-9]{{3,5}})_ACM_(?P<fy>{_DIGIT}{{4}})_M(?P<mm>{_DIGIT}{{2}})_{_RECEIVED}\.CSV\Z"
    ),
    "sus": re.compile(rf"^(?P<dataset>APC|OP)_(?P<yyyymm>{_DIGIT}{{6}})_{_RECEIVED}\.CSV\Z"),
    "ledger": re.compile(
        rf"^(?P<org>[A-Z0-9]{{3,5}})_GL_(?P<fy>{_DIGIT}{{4}})_M(?P<mm>{_DIGIT}{{2}})_{_RECEIVED}\.CSV\Z"
    ),
    "budget": re.compile(
        rf"^(?P<org>[A-Z0-9]{{3,5}})_BUDGET_(?P<fy>{_DIGIT}{{4}})_V(?P<version>{_DIGIT}{{1,3}})_{_RECEIVED}\.CSV\Z"
    ),
}
# Years a landing file may name (activity month, received time): the contract's financial
# years are 20xx (`2526`), so a SUS month in 0999 or 9999 is a typing error, not a period.
YEARS = range(2000, 2100)
_EXAMPLES = {
    "slam": "<PROVIDER>_ACM_<FY>_M<MM>_<RECEIVED>.csv, e.g. RJ1_ACM_2526_M05_20250912093000.csv",
    "sus": "<APC|OP>_<YYYYMM>_<RECEIVED>.csv, e.g. APC_202508_20250915061500.csv",
    "ledger": "<ICB>_GL_<FY>_M<MM>_<RECEIVED>.csv, e.g. QKK_GL_2526_M05_20250910180000.csv",
    "budget": "<ICB>_BUDGET_<FY>_V<N>_<RECEIVED>.csv, e.g. QKK_BUDGET_2526_V2_20250601090000.csv",
}


class BadFileName(ValueError):
    """The name does not follow the contract; the message says what was expected."""


@dataclass(frozen=True)
class LandingName:
    feed: str
    org_code: str | None  # provider (slam) or ICB entity (ledger, budget)
    dataset: str | None  # APC / OP (sus)
    financial_year: str | None  # "2025/26"
    financial_month: int | None  # 1..12
    activity_month: str | None  # "YYYYMM" (sus)
    received_at: datetime
    version: int | None = None  # budget: the V<N> of the name (a label for people; received orders)


def parse_landing_name(feed: str, file_name: str) -> LandingName:
    if not file_name.isascii():
        raise BadFileName(
            f"name holds non-ASCII characters (e.g. full-width digits); expected {_EXAMPLES[feed]}"
        )
    match = _PATTERNS[feed].match(file_name.upper())
    if not match:
        raise BadFileName(f"name does not match {_EXAMPLES[feed]}")
    parts = match.groupdict()
    try:
        received = datetime.strptime(parts["received"], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError as exc:
        raise BadFileName(f"received time {parts['received']} is not a valid YYYYMMDDHHMMSS") from exc
    if received.year not in YEARS:
        raise BadFileName(f"received time {parts['received']}: year {received.year} is not 2000 to 2099")
    if feed == "sus":
        yyyymm = parts["yyyymm"]
        if int(yyyymm[:4]) not in YEARS:
            raise BadFileName(f"activity month {yyyymm}: year {yyyymm[:4]} is not 2000 to 2099")
        if not 1 <= int(yyyymm[4:]) <= 12:
            raise BadFileName(f"activity month {yyyymm} is not a valid YYYYMM")
        return LandingName(feed, None, parts["dataset"], None, None, yyyymm, received)
    fy = parts["fy"]
    if int(fy[2:]) != (int(fy[:2]) + 1) % 100:
        raise BadFileName(f"financial year {fy} is not two consecutive years (e.g. 2526)")
    if feed == "budget":
        return LandingName(feed, parts["org"], None, f"20{fy[:2]}/{fy[2:]}", None, None, received,
                           int(parts["version"]))
    month = int(parts["mm"])
    if not 1 <= month <= 12:
        raise BadFileName(f"financial month M{parts['mm']} is not M01 to M12")
    return LandingName(feed, parts["org"], None, f"20{fy[:2]}/{fy[2:]}", month, None, received)
