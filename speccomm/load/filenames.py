"""Landing file names: which feed, whose, which period, when received."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

_RECEIVED = r"(?P<received>\d{14})"
_PATTERNS = {
    "slam": re.compile(rf"^(?P<org>[A-Z0-9]{{3,5}})_ACM_(?P<fy>\d{{4}})_M(?P<mm>\d{{2}})_{_RECEIVED}\.CSV$"),
    "sus": re.compile(rf"^(?P<dataset>APC|OP)_(?P<yyyymm>\d{{6}})_{_RECEIVED}\.CSV$"),
    "ledger": re.compile(rf"^(?P<org>[A-Z0-9]{{3,5}})_GL_(?P<fy>\d{{4}})_M(?P<mm>\d{{2}})_{_RECEIVED}\.CSV$"),
}
_EXAMPLES = {
    "slam": "<PROVIDER>_ACM_<FY>_M<MM>_<RECEIVED>.csv, e.g. RJ1_ACM_2526_M05_20250912093000.csv",
    "sus": "<APC|OP>_<YYYYMM>_<RECEIVED>.csv, e.g. APC_202508_20250915061500.csv",
    "ledger": "<ICB>_GL_<FY>_M<MM>_<RECEIVED>.csv, e.g. QKK_GL_2526_M05_20250910180000.csv",
}


class BadFileName(ValueError):
    """The name does not follow the contract; the message says what was expected."""


@dataclass(frozen=True)
class LandingName:
    feed: str
    org_code: str | None  # provider (slam) or ICB entity (ledger)
    dataset: str | None  # APC / OP (sus)
    financial_year: str | None  # "2025/26"
    financial_month: int | None  # 1..12
    activity_month: str | None  # "YYYYMM" (sus)
    received_at: datetime


def parse_landing_name(feed: str, file_name: str) -> LandingName:
    match = _PATTERNS[feed].match(file_name.upper())
    if not match:
        raise BadFileName(f"name does not match {_EXAMPLES[feed]}")
    parts = match.groupdict()
    try:
        received = datetime.strptime(parts["received"], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError as exc:
        raise BadFileName(f"received time {parts['received']} is not a valid YYYYMMDDHHMMSS") from exc
    if feed == "sus":
        yyyymm = parts["yyyymm"]
        if not 1 <= int(yyyymm[4:]) <= 12:
            raise BadFileName(f"activity month {yyyymm} is not a valid YYYYMM")
        return LandingName(feed, None, parts["dataset"], None, None, yyyymm, received)
    fy, month = parts["fy"], int(parts["mm"])
    if int(fy[2:]) != (int(fy[:2]) + 1) % 100:
        raise BadFileName(f"financial year {fy} is not two consecutive years (e.g. 2526)")
    if not 1 <= month <= 12:
        raise BadFileName(f"financial month M{parts['mm']} is not M01 to M12")
    return LandingName(feed, parts["org"], None, f"20{fy[:2]}/{fy[2:]}", month, None, received)
