"""One provider's SLAM statement of one month: Actual rows from the world's cells, Plan rows
from the expected volumes, plus planted defects. Drafts are earlier, wrong versions."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from speccomm_testkit.generate import formats
from speccomm_testkit.generate.periods import Month
from speccomm_testkit.generate.rand import random_for
from speccomm_testkit.generate.world import World

ACTIVITY_NOISE = 0.03  # SLAM vs SUS per line and month, applied only where it moves a count
NOISE_MIN_COUNT = 34  # below this the noise would round to nothing anyway
PLANTED_FACTOR = 1.5  # a planted SLAM over-count


@dataclass
class SlamRow:
    record_type: str  # Actual / Plan
    commissioner: str
    service_line: str
    pod: str
    hrg: str
    tfc: str
    registration: str  # clean ICB code
    residence: str
    activity: float
    price: int  # pence
    gp: str = ""
    raw: dict[str, str] = field(default_factory=dict)  # column -> planted text, written as is
    plain: bool = True  # an ordinary Actual row a draft may change


@dataclass(frozen=True)
class Columns:
    """Which optional columns a provider-year's files carry (defects need their column)."""

    record_type: bool = True
    gp_practice: bool = True
    registration: bool = True


class StatementBuilder:
    """Builds and caches month statements (truth) and drafts for every provider."""

    def __init__(self, world: World, planted_cells: set[tuple[str, str, str, Month]]) -> None:
        self.world = world
        self.ref = world.ref
        self.rates = world.scale.rates
        self.planted = planted_cells
        self._pairs: dict[str, np.ndarray] = {}
        self._local_pairs: dict[str, dict[int, list[int]]] = {}  # line -> pairs with reg = res
        in_slam = np.array([line.in_slam for line in world.lines])
        providers = np.array([line.provider for line in world.lines], dtype=object)
        for provider in world.providers:
            mask = (providers[world.pair_line] == provider) & in_slam[world.pair_line]
            self._pairs[provider] = np.flatnonzero(mask)
            local = self._local_pairs.setdefault(provider, {})
            for pair in self._pairs[provider].tolist():
                flow = world.flows[world.pair_flow[pair]]
                if flow.registration == flow.residence:
                    local.setdefault(int(world.pair_line[pair]), []).append(pair)

    def truth(self, provider: str, month: Month, columns: Columns, has_plan: bool) -> list[SlamRow]:
        rng = random_for(self.world.seed, "slam", "truth", provider, month)
        rows = self._actual_rows(provider, month, rng)
        if has_plan:
            rows += self._plan_rows(provider, month, rng)
        _Defects(self, provider, month, columns, has_plan, rng).apply(rows, force=month.month == 2)
        return rows

    def draft(self, truth: list[SlamRow], tag: object) -> list[SlamRow]:
        """Earlier figures: some Actual rows lower, a few missing (keeps at least one row)."""
        rng = random_for(self.world.seed, "slam", "draft", tag)
        draft = []
        for row in truth:
            if row.plain and rng.random() < 0.05 and len(truth) > 1:
                continue
            if row.plain and rng.random() < 0.35:
                factor = rng.uniform(0.75, 0.95)
                row = replace(row, activity=float(round(row.activity * factor)),
                              price=round(row.price * factor))
            draft.append(row)
        return draft or truth[:1]

    def commissioner(self, provider: str, service_line: str, year: int, icb: str) -> str:
        stream = self.ref.funding_stream(service_line, year)
        p = self.ref.providers[provider]
        if stream in ("red", "amber"):
            return "13R" if p.region == "Y56" else self.ref.hubs.get(p.region, "13Q")
        if stream == "blue":
            return p.host_icb or icb
        return icb

    def _actual_rows(self, provider: str, month: Month, rng: random.Random) -> list[SlamRow]:
        w = self.world
        mi = w.month_index(month)
        rows_by_line: dict[int, list[SlamRow]] = {}
        for pair in self._pairs[provider]:
            n = int(w.counts[mi, pair])
            if n == 0:
                continue
            line, flow = w.lines[w.pair_line[pair]], w.flows[w.pair_flow[pair]]
            activity = n * (PLANTED_FACTOR if (provider, line.service_line, line.pod, month)
                            in self.planted else 1.0)
            row = SlamRow(
                "Actual", self.commissioner(provider, line.service_line, month.year, flow.registration),
                line.service_line, line.pod, line.hrg, line.tfc, flow.registration, flow.residence,
                float(round(activity)), round(n * line.unit_price * rng.uniform(0.99, 1.01) * 100),
            )
            rows_by_line.setdefault(int(w.pair_line[pair]), []).append(row)
        for line_rows in rows_by_line.values():
            _add_noise(line_rows, rng)
        return [row for line_rows in rows_by_line.values() for row in line_rows]

    def _plan_rows(self, provider: str, month: Month, rng: random.Random) -> list[SlamRow]:
        """Plan per line for the provider's largest flows (reg = res), phased, fractional."""
        w = self.world
        mi = w.month_index(month)
        expected = w.expected_counts(mi)
        rows = []
        for line_index, local in sorted(self._local_pairs[provider].items()):
            line = w.lines[line_index]
            pairs = sorted(local, key=lambda p: (-expected[p], p))
            for pair in pairs[: self.world.scale.plan_flows]:
                icb = w.flows[w.pair_flow[pair]].registration
                activity = round(float(expected[pair]) * rng.uniform(0.9, 1.1), 2)
                rows.append(SlamRow(
                    "Plan", self.commissioner(provider, line.service_line, month.year, icb),
                    line.service_line, line.pod, line.hrg, line.tfc, icb, icb, activity,
                    round(activity * line.unit_price * 100), plain=False,
                ))
        return rows


def _add_noise(line_rows: list[SlamRow], rng: random.Random) -> None:
    """SLAM counts differ from SUS by at most ACTIVITY_NOISE on a line-month."""
    total = sum(row.activity for row in line_rows)
    if total < NOISE_MIN_COUNT:
        return
    delta = int(total * rng.uniform(-ACTIVITY_NOISE, ACTIVITY_NOISE))
    biggest = max(line_rows, key=lambda row: row.activity)
    biggest.activity += delta


class _Defects:
    """Plants the rate-driven defects in one statement (at least one of each when forced)."""

    def __init__(
        self, builder: StatementBuilder, provider: str, month: Month, columns: Columns,
        has_plan: bool, rng: random.Random,
    ) -> None:
        self.b, self.provider, self.month = builder, provider, month
        self.columns, self.has_plan, self.rng = columns, has_plan, rng
        self.host = builder.ref.providers[provider].host_icb or "QKK"

    def apply(self, rows: list[SlamRow], force: bool) -> None:
        rates = self.b.rates
        plan: list[tuple[float, Callable[[list[SlamRow]], list[SlamRow]], Callable[[SlamRow], None]]]
        plan = [
            (rates.icb_of_residence_missing, self._icb_rows, _setter("icb_of_residence_code", [""])),
            (rates.icb_of_residence_invalid, self._icb_rows,
             _setter("icb_of_residence_code", formats.INVALID_ICB, self.rng)),
            (rates.gp_practice_default, self._gp_rows,
             lambda row: setattr(row, "gp", self.rng.choice(formats.DEFAULT_GP))),
            (rates.price_invalid, self._carriers, _setter("price", formats.INVALID_MONEY, self.rng)),
            (rates.activity_invalid, self._carriers,
             _setter("activity", formats.INVALID_ACTIVITY, self.rng)),
            (rates.provider_code_mismatch, self._carriers, self._mismatch),
            (rates.financial_period_invalid, self._carriers, self._bad_period),
        ]
        if self.columns.registration:
            plan += [
                (rates.icb_of_registration_missing, self._icb_rows,
                 _setter("icb_of_registration_code", [""])),
                (rates.icb_of_registration_invalid, self._icb_rows,
                 _setter("icb_of_registration_code", formats.INVALID_ICB, self.rng)),
            ]
        # last, so that the draws of the defects above are those of earlier versions: Plan rows
        # (never a provider's stray rows, which may have no record_type column) get an unknown type
        plan.append((rates.record_type_invalid, lambda rows: self._carriers(rows) or [],
                     _setter("record_type", formats.INVALID_RECORD_TYPE, self.rng)))
        for rate, eligible, plant in plan:
            self._plant(rows, rate, eligible, plant, force)
        self._adjustments(rows, force)
        self._unknown_codes(rows, force)

    def _count(self, eligible: int, rate: float, force: bool) -> int:
        if rate <= 0 or eligible == 0:
            return 0
        drawn = sum(self.rng.random() < rate for _ in range(eligible))
        return max(drawn, 1) if force else drawn

    def _plant(self, rows, rate, eligible, plant, force) -> None:
        candidates = eligible(rows)
        if candidates is None:  # no Plan rows: new stray rows, as many as Plan rows would get
            count = self._count(sum(r.record_type == "Actual" for r in rows), rate, force)
            targets = [self._new_stray(rows) for _ in range(count)]
        else:
            targets = self.rng.sample(candidates, self._count(len(candidates), rate, force))
        for row in targets:
            plant(row)
            row.plain = False

    def _icb_rows(self, rows: list[SlamRow]) -> list[SlamRow]:
        return [r for r in rows if not r.raw and r.record_type == "Actual"]

    def _gp_rows(self, rows: list[SlamRow]) -> list[SlamRow]:
        return [r for r in rows if r.record_type == "Actual" and not r.gp] if self.columns.gp_practice else []

    def _carriers(self, rows: list[SlamRow]) -> list[SlamRow] | None:
        """Plan rows carry the period/price/activity defects, so Actual totals stay intact;
        a provider with no Plan rows gets stray rows with an unknown service line (None)."""
        if not self.has_plan:
            return None
        return [r for r in rows if r.record_type == "Plan" and not r.raw]

    def _new_stray(self, rows: list[SlamRow]) -> SlamRow:
        stray = self._stray(self.rng.choice(formats.UNKNOWN_SERVICE_LINES[:2]), "OPFA")
        rows.append(stray)
        return stray

    def _stray(self, service_line: str, pod: str) -> SlamRow:
        activity = self.rng.randint(1, 3)
        return SlamRow("Actual", self.host, service_line, pod, "", "", self.host, self.host,
                       float(activity), activity * 31_500, plain=False)

    def _mismatch(self, row: SlamRow) -> None:
        others = [p for p in self.b.world.providers if p != self.provider]
        row.raw["provider_code"] = self.rng.choice(others)

    def _bad_period(self, row: SlamRow) -> None:
        if self.rng.random() < 0.5:
            row.raw["financial_year"] = self.rng.choice(formats.INVALID_FY)
        else:
            row.raw["financial_month"] = self.rng.choice(formats.INVALID_MONTH)

    def _adjustments(self, rows: list[SlamRow], force: bool) -> None:
        """A negative row that moves some activity out of an over-stated row: sums unchanged."""
        candidates = [r for r in rows if r.plain and r.activity >= 2]
        count = self._count(len(candidates), self.b.rates.activity_negative, force)
        for row in self.rng.sample(candidates, count):
            moved = max(1.0, float(round(row.activity * 0.2)))
            pence = round(row.price * moved / row.activity)
            row.activity += moved
            row.price += pence
            row.plain = False
            rows.append(replace(row, activity=-moved, price=-pence, raw={}, plain=False))

    def _unknown_codes(self, rows: list[SlamRow], force: bool) -> None:
        """Extra small rows with an unknown service line or POD (outside every comparison)."""
        actual = [r for r in rows if r.record_type == "Actual" and r.plain]
        rates = self.b.rates
        for _ in range(self._count(len(actual), rates.service_line_unknown, force)):
            rows.append(self._stray(self.rng.choice(formats.UNKNOWN_SERVICE_LINES), "OPFA"))
        for _ in range(self._count(len(actual), rates.pod_unknown, force)):
            template = self.rng.choice(actual) if actual else None
            line = template.service_line if template else "99999999"
            stray = self._stray(line, self.rng.choice(formats.UNKNOWN_PODS))
            stray.commissioner = template.commissioner if template else stray.commissioner
            rows.append(stray)


def _setter(column: str, values, rng: random.Random | None = None) -> Callable[[SlamRow], None]:
    def plant(row: SlamRow) -> None:
        row.raw[column] = rng.choice(values) if rng else values[0]
    return plant
