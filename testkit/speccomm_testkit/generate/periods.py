"""Financial months of a scale and the calendar around them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from speccomm_testkit.generate.rules import fy_label, month_start


@dataclass(frozen=True, order=True)
class Month:
    """One financial month: year start (2025 for 2025/26) and month (1 = April)."""

    year: int
    month: int

    @property
    def fy(self) -> str:
        return fy_label(self.year)

    @property
    def fy_name(self) -> str:
        """The four-digit form used in file names: 2526."""
        return f"{self.year % 100:02d}{(self.year + 1) % 100:02d}"

    @property
    def first_day(self) -> date:
        return month_start(self.year, self.month)

    @property
    def yyyymm(self) -> str:
        return self.first_day.strftime("%Y%m")

    @property
    def days(self) -> int:
        start = self.first_day
        following = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
        return (following - start).days

    def shifted(self, months: int) -> date:
        """First day of the calendar month `months` after this one."""
        start = self.first_day
        index = start.year * 12 + start.month - 1 + months
        return date(index // 12, index % 12 + 1, 1)


def months_of(years: tuple[int, ...]) -> list[Month]:
    return [Month(year, month) for year in years for month in range(1, 13)]
