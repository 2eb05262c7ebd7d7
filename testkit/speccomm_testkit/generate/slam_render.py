"""How each provider writes its SLAM files: template (headers, order, extras), encoding,
value formats; and the rendering of statement rows into that template's text."""

from __future__ import annotations

import random
from dataclasses import dataclass

from speccomm_testkit.generate import formats
from speccomm_testkit.generate.contract import SLAM_COLUMNS
from speccomm_testkit.generate.rand import random_for
from speccomm_testkit.generate.reference import Reference
from speccomm_testkit.generate.slam_schedule import SlamFile, YearPlan
from speccomm_testkit.generate.slam_statements import Columns, SlamRow

ENCODINGS = ("utf-8", "utf-8-sig", "cp1252")
PROVIDER_STYLES = ("plain", "lower", "plain", "padded")
EXTRAS = {  # extra columns providers add (ignored by the warehouse)
    "provider_name": "Provider Name",
    "comments": "Comments",
    "contract_ref": "Contract Ref.",
    "spec_flag": "Spec Flag",
}
COMMENTS = (
    "Includes backdated activity, see note\nrestated from M03",
    "Agreed with commissioner, pending \"final\" sign-off",
    "Price per tariff, MFF applied",
)


@dataclass(frozen=True)
class SlamStyle:
    headers: list[tuple[str, str]]  # (canonical column or "extra:<name>", header text)
    encoding: str
    newline: str
    quote_all: bool
    fy_format: str
    month_format: str
    money_style: str
    provider_style: str
    record_type_case: str
    icb_variety: float = 0.15


def columns_for(plan: YearPlan, index: int) -> Columns:
    return Columns(
        record_type=plan.has_plan,
        gp_practice=index % 7 != 5,
        registration=not plan.no_registration_column,
    )


def style_for(
    plan: YearPlan, index: int, seed: int, ref: Reference, first_year: int
) -> SlamStyle:
    """A provider-year's template; `index` rotates the formats so every one is used."""
    rng = random_for(seed, "slam", "style", plan.provider, plan.year)
    columns = columns_for(plan, index)
    encoding = ENCODINGS[index % 3]
    money_style = list(formats.MONEY_STYLES)[index % 4]
    if encoding == "cp1252" and "£" not in formats.MONEY_STYLES[money_style][0]:
        money_style = "pound"  # an Excel export: the pound sign is the byte 0xA3
    provider_style = PROVIDER_STYLES[index % 4]
    if plan.year == first_year and ref.sites.get(plan.provider):
        provider_style = "site"  # site codes (RJ121) instead of the trust code
    return SlamStyle(
        headers=_headers(columns, index, rng),
        encoding=encoding,
        newline="\r\n" if encoding == "cp1252" or index % 2 else "\n",
        quote_all=index % 5 == 4,
        fy_format=formats.FY_FORMATS[index % 6],
        month_format=formats.MONTH_FORMATS[index % 4],
        money_style=money_style,
        provider_style=provider_style,
        record_type_case=("Actual", "ACTUAL", "actual")[index % 3],
    )


def _headers(columns: Columns, index: int, rng: random.Random) -> list[tuple[str, str]]:
    spelling = formats.HEADER_SPELLINGS[index % len(formats.HEADER_SPELLINGS)]
    skip = set()
    if not columns.record_type:
        skip.add("record_type")
    if not columns.gp_practice:
        skip.add("gp_practice_code")
    if not columns.registration:
        skip.add("icb_of_registration_code")
    if index % 7 == 3:
        skip |= {"hrg_code", "treatment_function_code"}
    headers = []
    for name, aliases in SLAM_COLUMNS.items():
        if name in skip:
            continue
        chosen = rng.choice((name, *aliases))
        how = spelling if rng.random() < 0.8 else rng.choice(formats.HEADER_SPELLINGS)
        headers.append((name, formats.spell_header(chosen, how)))
    extras = [e for e in EXTRAS if rng.random() < 0.5] if index % 3 else list(EXTRAS)
    headers += [(f"extra:{e}", EXTRAS[e]) for e in extras]
    if index % 3 == 1:
        rng.shuffle(headers)
    return headers


def file_name(f: SlamFile, plan: YearPlan) -> str:
    fy = f"{f.year % 100:02d}{(f.year + 1) % 100:02d}"
    month = f"{f.name_month}" if f.kind == "misnamed" else f"{f.name_month:02d}"
    name = f"{f.provider}_ACM_{fy}_M{month}_{f.received_text}.csv"
    if plan.lower_case_names:
        name = name.lower()
    if plan.upper_case_extension:
        name = name[:-4] + ".CSV"
    return name


PERIOD_COLUMNS = ("financial_year", "financial_month")


class SlamRenderer:
    """Turns statement rows into one file's text values, keyed by canonical column.

    A provider's system writes a row the same way each time it restates it, so a row's text
    (all but the year and month, which follow each file's export) is rendered once per
    provider-year and reused; `new_template()` starts the next provider-year.
    """

    def __init__(self, ref: Reference, seed: int) -> None:
        self.ref = ref
        self.seed = seed
        self._cache: dict[int, tuple[SlamRow, dict[str, str]]] = {}

    def new_template(self) -> None:
        self._cache.clear()

    def render(
        self, f: SlamFile, style: SlamStyle, statements: dict[int, list[SlamRow]]
    ) -> list[dict[str, str]]:
        rng = random_for(self.seed, "slam", "render", f.provider, f.received_text, f.kind)
        fy_format = style.fy_format
        if rng.random() < 0.15:  # somebody else ran this month's export
            fy_format = rng.choice(formats.FY_FORMATS)
        year_text = formats.financial_year(f.year, fy_format)
        rows = []
        for month in f.stated:
            period = {"financial_year": year_text,
                      "financial_month": formats.financial_month(month, style.month_format)}
            for row in statements[month]:
                cached = self._cache.get(id(row))
                if cached is None or cached[0] is not row:
                    cached = (row, self._row(f, style, row, rng))
                    self._cache[id(row)] = cached
                text = cached[1]  # a planted period value is kept as written
                rows.append(text | {c: period[c] for c in PERIOD_COLUMNS
                                    if c in text and c not in row.raw})
        return rows

    def _row(self, f: SlamFile, style: SlamStyle, row: SlamRow, rng: random.Random) -> dict[str, str]:
        ref = self.ref
        record_type = {"ACTUAL": row.record_type.upper(), "actual": row.record_type.lower()}.get(
            style.record_type_case, row.record_type)
        commissioner = row.commissioner
        if commissioner in ref.icbs:
            commissioner = formats.icb_text(commissioner, 0.3, ref, rng)
        values = {
            "provider_code": formats.provider_text(f.provider, style.provider_style, ref, rng),
            "commissioner_code": commissioner,
            "financial_year": "",
            "financial_month": "",
            "record_type": record_type,
            "service_line_code": row.service_line,
            "pod_code": row.pod,
            "hrg_code": row.hrg,
            "treatment_function_code": row.tfc,
            "gp_practice_code": row.gp,
            "icb_of_registration_code": formats.icb_text(row.registration, style.icb_variety, ref, rng),
            "icb_of_residence_code": formats.icb_text(row.residence, style.icb_variety, ref, rng),
            "activity": formats.number(row.activity),
            "price": formats.money(row.price, style.money_style),
            "extra:provider_name": ref.providers[f.provider].name.replace("'", "’"),
            "extra:comments": rng.choice(COMMENTS) if rng.random() < 0.02 else "",
            "extra:contract_ref": f"{f.provider}/SPEC/{f.year}",
            "extra:spec_flag": "Y",
        }
        values.update(row.raw)
        return {column: values[column] for column, _ in style.headers}
