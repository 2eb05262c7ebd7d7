"""Ledger feed: each ICB entity's general-ledger postings per financial period.

Payments to providers follow the SLAM pounds attributed to the ICB on green service lines,
as aligned payment and incentive: a fixed monthly element (a twelfth of the year) plus a
variable element for actual activity, and high-cost drugs passed through. Place (non-
specialised) contracts, network hosting and suspense lines sit beside them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path

from tqdm import tqdm

from speccomm_testkit.generate import formats
from speccomm_testkit.generate.contract import LEDGER_COLUMNS
from speccomm_testkit.generate.expect_ledger import LedgerExpectations, LedgerFileText
from speccomm_testkit.generate.periods import Month
from speccomm_testkit.generate.rand import random_for
from speccomm_testkit.generate.world import World
from speccomm_testkit.generate.writers import WrittenFile, write_text_csv

SPEND_NOISE = 0.02  # ledger vs SLAM pounds per provider x ICB x month
SUBJECTIVE = {"nhs_trust": "52110000", "other": "52190000", "suspense": "59999000"}
MONTH_NAMES = ("April", "May", "June", "July", "August", "September", "October", "November",
               "December", "January", "February", "March")


@dataclass
class Posting:
    journal_id: str
    journal_line: int
    cost_centre: str
    subjective: str
    analysis: str
    supplier: str
    description: str
    pence: int
    raw: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LedgerStyle:
    headers: list[tuple[str, str]]
    encoding: str
    newline: str
    fy_format: str
    month_format: str
    money_style: str
    date_format: str


@dataclass
class LedgerOutput:
    files: list[WrittenFile] = field(default_factory=list)
    current: list[dict[str, object]] = field(default_factory=list)
    scenarios: list[dict[str, object]] = field(default_factory=list)


def ledger_entities(world: World) -> list[str]:
    entities = world.scale.ledger_entities
    return list(entities) if entities is not None else sorted(world.ref.icbs)


def generate_ledger(
    world: World, root: Path, green_spend: dict[tuple[str, str, int, int, str], int],
    planted: dict[tuple[str, str, int, int], float], expectations: LedgerExpectations,
) -> LedgerOutput:
    output = LedgerOutput()
    spend = _spend_by_entity(green_spend)
    entities = ledger_entities(world)
    for index, entity in enumerate(tqdm(entities, desc="ledger", unit="ICB", disable=None)):
        style = _style(index, random_for(world.seed, "ledger", "style", entity))
        texts = []
        for year in world.scale.years:
            fixed = _fixed_elements(spend.get(entity, {}), year)
            for month in range(1, 13):
                m = Month(year, month)
                postings = _postings(world, entity, m, spend.get(entity, {}), fixed, planted)
                texts += _write_period(world, root, entity, m, style, postings, output)
        expectations.add_entity(texts)
    return output


def _spend_by_entity(green_spend) -> dict[str, dict[tuple[str, int, int, str], int]]:
    result: dict[str, dict[tuple[str, int, int, str], int]] = {}
    for (provider, icb, year, month, part), pence in sorted(green_spend.items()):
        result.setdefault(icb, {})[(provider, year, month, part)] = pence
    return result


def _fixed_elements(spend: dict[tuple[str, int, int, str], int], year: int) -> dict[str, int]:
    """The aligned payment's fixed element: a twelfth of the year's activity pounds."""
    annual: dict[str, int] = {}
    for (provider, y, _month, part), pence in spend.items():
        if y == year and part == "activity":
            annual[provider] = annual.get(provider, 0) + pence
    return {provider: round(total / 12) for provider, total in annual.items()}


def _postings(
    world: World, entity: str, m: Month, spend, fixed: dict[str, int], planted,
) -> list[Posting]:
    rng = random_for(world.seed, "ledger", "postings", entity, m)
    period = f"{MONTH_NAMES[m.month - 1]} {m.first_day.year}"
    journal = f"GL{m.fy_name}{m.month:02d}"
    lines: list[Posting] = []
    providers = sorted({p for (p, y, mo, _part) in spend if (y, mo) == (m.year, m.month)})
    for provider in providers:
        factor = planted.get((provider, entity, m.year, m.month), 1.0)
        activity = spend.get((provider, m.year, m.month, "activity"), 0)
        drugs = spend.get((provider, m.year, m.month, "drugs"), 0)
        if activity:
            target = round(activity * (1 + rng.uniform(-SPEND_NOISE, SPEND_NOISE)) * factor)
            base = fixed.get(provider, 0)
            lines.append(Posting(f"{journal}AP", 0, "714110", SUBJECTIVE["nhs_trust"], "DSC01", provider,
                                 f"Aligned payment and incentive, fixed element: {period}", base))
            lines.append(Posting(f"{journal}AP", 0, "714110", SUBJECTIVE["nhs_trust"], "DSC02", provider,
                                 f"Aligned payment, variable element\n{period} activity", target - base))
        if drugs:
            amount = round(drugs * (1 + rng.uniform(-SPEND_NOISE, SPEND_NOISE)) * factor)
            lines.append(Posting(f"{journal}HD", 0, "714120", SUBJECTIVE["nhs_trust"], "DSC04", provider,
                                 f"High-cost drugs pass-through, {period}", amount))
    lines += _place_postings(world, entity, m, journal, period, rng)
    _number_lines(lines)
    return lines


def _place_postings(
    world: World, entity: str, m: Month, journal: str, period: str, rng: random.Random
) -> list[Posting]:
    """Place contracts, network hosting and suspense (outside the specialised comparison)."""
    ref = world.ref
    hosted = sorted(code for code, p in ref.providers.items() if p.host_icb == entity)
    lines = []
    for code in hosted[:5]:
        p = ref.providers[code]
        centre, analysis = (("621300", "PLC02") if p.type == "mental_health"
                            else ("621200", "PLC02") if p.type == "community" else ("621100", "PLC01"))
        annual = random_for(world.seed, "ledger", "place", entity, code, m.year).uniform(4e6, 4e7)
        amount = round(annual / 12 * rng.uniform(0.98, 1.02) * 100)
        name = p.name.replace("'", "’")
        lines.append(Posting(f"{journal}PL", 0, centre, SUBJECTIVE["nhs_trust"], analysis, code,
                             f"{name}, block contract {period}", amount))
    tertiary = [c for c in hosted if ref.providers[c].type == "tertiary"]
    if tertiary:
        lines.append(Posting(f"{journal}NW", 0, "714410", SUBJECTIVE["other"], "PLC99", tertiary[0],
                             f"Clinical network hosting, {period}", rng.randint(2_000_000, 8_000_000)))
    for _ in range(rng.randint(1, 2)):
        lines.append(Posting(f"{journal}SU", 0, "699900", SUBJECTIVE["suspense"], "PLC99", "",
                             "Unallocated receipt, to clear", rng.randint(-500_000, 500_000)))
    return lines


def _number_lines(lines: list[Posting]) -> None:
    counters: dict[str, int] = {}
    for posting in lines:
        counters[posting.journal_id] = counters.get(posting.journal_id, 0) + 1
        posting.journal_line = counters[posting.journal_id]


def _plant_defects(world: World, postings: list[Posting], entity: str, rng: random.Random,
                   force: bool) -> None:
    """Invalid amount, period and entity, only on place/suspense lines (never on specialised)."""
    rates = world.scale.rates
    place = [p for p in postings if p.analysis.startswith("PLC")]
    others = [icb for icb in sorted(world.ref.icbs) if icb != entity]
    for rate, plant in (
        (rates.price_invalid, lambda p: p.raw.update(amount=rng.choice(formats.INVALID_MONEY))),
        (rates.financial_period_invalid, lambda p: p.raw.update(
            {"financial_year": rng.choice(formats.INVALID_FY)} if rng.random() < 0.5
            else {"financial_month": rng.choice(formats.INVALID_MONTH)})),
        (rates.provider_code_mismatch, lambda p: p.raw.update(entity_code=rng.choice(others))),
    ):
        count = sum(rng.random() < rate * 5 for _ in place)  # few lines: planted more often
        if force and rate > 0:
            count = max(count, 1)
        candidates = [p for p in place if not p.raw]
        for posting in rng.sample(candidates, min(count, len(candidates))):
            plant(posting)


def _style(index: int, rng: random.Random) -> LedgerStyle:
    encoding = ("utf-8-sig", "cp1252", "utf-8")[index % 3]
    spelling = formats.HEADER_SPELLINGS[(index + 2) % len(formats.HEADER_SPELLINGS)]
    headers = [(name, formats.spell_header(rng.choice((name, *aliases)), spelling))
               for name, aliases in LEDGER_COLUMNS.items()]
    headers.append(("extra:approver", "Approved By"))
    money = ("pound_brackets", "pound", "comma")[index % 3]
    return LedgerStyle(headers, encoding, "\r\n" if encoding == "cp1252" else "\n",
                       formats.FY_FORMATS[(index + 1) % 6], formats.MONTH_FORMATS[(index + 2) % 4],
                       money, formats.DATE_FORMATS[index % 2])


def _write_period(
    world: World, root: Path, entity: str, m: Month, style: LedgerStyle, postings: list[Posting],
    output: LedgerOutput,
) -> list[LedgerFileText]:
    """The period's file, preceded by an earlier extract when the period was re-extracted."""
    rng = random_for(world.seed, "ledger", "files", entity, m)
    after = m.shifted(1)
    when = datetime(after.year, after.month, rng.randint(3, 9), 18, rng.randint(0, 59), rng.randint(0, 59))
    _plant_defects(world, postings, entity, rng, force=m.month == 1)
    versions: list[tuple[str, datetime, list[Posting]]] = []
    first_entity = entity == ledger_entities(world)[0]
    if rng.random() < world.scale.scenarios.ledger_reextract_share or (first_entity and m.month == 4):
        early = [replace(p, pence=round(p.pence * 0.9)) for p in postings if p.analysis != "DSC02"]
        versions.append(("early", when, early))
        when += timedelta(days=rng.randint(5, 12))
    if first_entity and m.month == 2 and m.year == world.scale.years[0]:
        versions.insert(0, ("header_only", when - timedelta(hours=6), []))
    versions.append(("final", when, postings))
    if first_entity and m.month == 6 and m.year == world.scale.years[0]:
        versions.append(("misnamed", when + timedelta(minutes=20), postings))
    texts = []
    for kind, received, lines in versions:
        texts.append(_write_file(root, entity, m, style, kind, received, lines, output, rng))
    return texts


def _write_file(
    root: Path, entity: str, m: Month, style: LedgerStyle, kind: str, received: datetime,
    postings: list[Posting], output: LedgerOutput, rng: random.Random,
) -> LedgerFileText:
    stamp = received.strftime("%Y%m%d%H%M%S")
    name = f"{entity}_GL_{m.fy_name}_M{m.month:02d}_{stamp}.csv"
    if kind == "misnamed":
        name = f"{entity}_GL_{m.fy_name}_P{m.month:02d}_{stamp}.csv"
    elif m.month == 3 and m.year % 2:
        name = name.lower()
    relative = f"ledger/{name}"
    rows = [_render(p, entity, m, style, rng) for p in postings]
    count, size, encoding = write_text_csv(root, relative, [h for _, h in style.headers],
                                           ([row[c] for c, _ in style.headers] for row in rows),
                                           encoding=style.encoding, newline=style.newline)
    written = WrittenFile(relative, "ledger", count, size, encoding, kind=kind)
    if kind == "misnamed":
        written.outcome, written.reason = "rejected", "bad_name"
    output.files.append(written)
    if kind == "final":
        output.current.append({"entity_code": entity, "financial_year": m.fy,
                               "financial_month": m.month, "file": relative})
    else:
        output.scenarios.append({"entity_code": entity, "financial_year": m.fy,
                                 "financial_month": m.month, "scenario": kind, "file": relative})
    return LedgerFileText(relative, entity, m.year, m.month, stamp, rows, kind != "misnamed")


def _render(p: Posting, entity: str, m: Month, style: LedgerStyle, rng: random.Random) -> dict[str, str]:
    last = m.shifted(1) - timedelta(days=1)
    entity_text = entity
    roll = rng.random()
    if roll < 0.05:
        entity_text = entity.lower()
    elif roll < 0.08:
        entity_text = f"{entity}00"
    values = {
        "entity_code": entity_text,
        "financial_year": formats.financial_year(m.year, style.fy_format),
        "financial_month": formats.financial_month(m.month, style.month_format),
        "journal_id": p.journal_id,
        "journal_line": str(p.journal_line),
        "posting_date": formats.date_text(last.year, last.month, _working_day(last), style.date_format),
        "cost_centre": p.cost_centre,
        "subjective_code": p.subjective,
        "analysis_code": p.analysis,
        "supplier_code": p.supplier,
        "description": p.description,
        "amount": formats.money(p.pence, style.money_style),
        "extra:approver": "Finance Business Partner, Specialised",
    }
    values.update(p.raw)
    return {column: values[column] for column, _ in style.headers}


def _working_day(last: date) -> int:
    """The last weekday of the month (postings are dated on the month-end run)."""
    day = last
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day.day
