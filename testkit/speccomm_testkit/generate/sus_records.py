"""SUS records for one chunk of one extract, vectorised: integer codes into vocabularies,
rendered to Arrow string columns only at the end (20 million rows a year must stay fast)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from speccomm_testkit.generate import codes, formats
from speccomm_testkit.generate.periods import Month
from speccomm_testkit.generate.rand import rng_for
from speccomm_testkit.generate.reference import Reference
from speccomm_testkit.generate.scales import DefectRates
from speccomm_testkit.generate.world import World

MASK48 = np.uint64((1 << 48) - 1)
UNKNOWN_PROVIDER = "89999"  # the ODS default for a provider without a code
ICB_VARIANTS = 5  # code, lower case, sub-ICB, sub-ICB + 00, code + 00


def mix48(values: np.ndarray) -> np.ndarray:
    """A bijection on 48-bit integers: distinct inputs give distinct pseudonymous ids."""
    x = values.astype(np.uint64) & MASK48
    x ^= x >> np.uint64(23)
    x = (x * np.uint64(0x9E3779B97F4A7C15)) & MASK48
    x ^= x >> np.uint64(21)
    x = (x * np.uint64(0xBF58476D1CE4E5B9)) & MASK48
    x ^= x >> np.uint64(24)
    return x


_HEX = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)


def hex_text(values: np.ndarray, width: int) -> pa.Array:
    """Unsigned integers as fixed-width upper-case hexadecimal strings, without Python loops."""
    shifts = np.arange(width - 1, -1, -1, dtype=np.uint64) * np.uint64(4)
    digits = (values.astype(np.uint64)[:, None] >> shifts) & np.uint64(15)
    chars = _HEX[digits.astype(np.intp)]
    return pa.array(np.ascontiguousarray(chars).view(f"S{width}").ravel()).cast(pa.string())


class Vocabulary:
    """The texts SUS columns are drawn from; records hold indices into these lists."""

    def __init__(self, world: World) -> None:
        ref = world.ref
        self.icbs = sorted(ref.icbs)
        self.icb_index = {code: i for i, code in enumerate(self.icbs)}
        self.icb_text, self.icb_variant = self._icb_variants(ref)
        self.blank_icb = self._add_icb_text("")
        self.invalid_icb = np.array([self._add_icb_text(v) for v in formats.INVALID_ICB])
        providers = sorted({line.provider for line in world.lines})
        self.provider_text = [*providers, UNKNOWN_PROVIDER]
        self.provider_index = {code: i for i, code in enumerate(providers)}
        self.sites: dict[int, list[int]] = {}
        for code in providers:
            for site in ref.sites.get(code, []):
                self.sites.setdefault(self.provider_index[code], []).append(len(self.provider_text))
                self.provider_text.append(site)
        self.practices = [f"{'ABCDEFGHJKLMNPY'[i % 15]}{(i * 37) % 90000 + 10000:05d}"
                          for i in range(len(self.icbs) * 40)] + list(formats.DEFAULT_GP)
        self.lsoas = [f"E01{(i * 7919) % 35000:06d}" for i in range(len(self.icbs) * 120)]
        self.commissioners = [*self.icb_text[: len(self.icbs)], "13R", "13Q",
                              *sorted(set(ref.hubs.values()))]

    def _icb_variants(self, ref: Reference) -> tuple[list[str], np.ndarray]:
        texts, table = [], np.zeros((len(self.icbs), ICB_VARIANTS), dtype=np.int64)
        texts += self.icbs
        for i, code in enumerate(self.icbs):
            subs = ref.sub_icbs.get(code, [])
            forms = [code.lower(), subs[0] if subs else code,
                     f"{subs[0]}00" if subs and len(subs[0]) == 3 else f"{code}00", f"{code}00"]
            table[i, 0] = i
            for v, form in enumerate(forms, start=1):
                table[i, v] = len(texts)
                texts.append(form)
        return texts, table

    def _add_icb_text(self, text: str) -> int:
        self.icb_text.append(text)
        return len(self.icb_text) - 1


@dataclass
class Chunk:
    """Integer-coded records of one chunk (rows of the file, duplicates included)."""

    k: np.ndarray  # record number within the dataset-month (the id's source)
    line: np.ndarray
    provider: np.ndarray  # into vocab.provider_text
    registration: np.ndarray  # into vocab.icb_text
    residence: np.ndarray
    gp: np.ndarray  # into vocab.practices
    day: np.ndarray  # activity date: days from the month's first day
    stay: np.ndarray  # discharge: days after the activity date (APC)
    bad_activity_date: np.ndarray  # index into INVALID_DATES + 1, 0 = fine
    bad_discharge: np.ndarray
    pence: np.ndarray
    bad_price: np.ndarray  # index into INVALID_MONEY + 1, 0 = fine; -1 = blank (not a failure)
    nhs_status: np.ndarray  # 0 = 01, else index into NHS_STATUS_OTHER + 1
    service_line_override: np.ndarray  # -1 = the line's; else into UNKNOWN_SERVICE_LINES
    pod_override: np.ndarray
    patient: np.ndarray
    age: np.ndarray
    reg_icb: np.ndarray  # the true registration ICB (into vocab.icbs), for the commissioner


NHS_STATUS_OTHER = ("02", "03", "04", "06", "07", "")


class ChunkMaker:
    """Generates the integer-coded records of one chunk of one dataset-month."""

    def __init__(self, world: World, vocab: Vocabulary, rates: DefectRates) -> None:
        self.world, self.vocab, self.rates = world, vocab, rates
        lines = world.lines
        self.line_provider = np.array([vocab.provider_index[x.provider] for x in lines])
        self.line_background = np.array([x.service_line == "" for x in lines])
        self.line_price = np.array([x.unit_price for x in lines])
        self.line_npoc = [x.npoc for x in lines]
        flows = world.flows
        self.flow_reg = np.array([vocab.icb_index[f.registration] for f in flows])
        self.flow_res = np.array([vocab.icb_index[f.residence] for f in flows])

    def make(
        self, pairs: np.ndarray, counts: np.ndarray, first_k: int, month: Month, dataset: str,
        chunk_no: int, drop_pairs: np.ndarray, early: bool, force: bool,
    ) -> Chunk:
        w = self.world
        rng = rng_for(w.seed, "sus", dataset, month.yyyymm, chunk_no)
        k = first_k + np.arange(int(counts.sum()), dtype=np.int64)
        pair = np.repeat(pairs, counts)
        # a planted SUS under-count: every other record of the cell is missing (>= 50%)
        position = np.arange(pair.size) - np.repeat(np.cumsum(counts) - counts, counts)
        keep = ~(np.isin(pair, drop_pairs) & (position % 2 == 0))
        line, flow = w.pair_line[pair], w.pair_flow[pair]
        n = pair.size
        c = Chunk(
            k=k, line=line, provider=self._provider_text(line, rng),
            registration=self._icb_text(self.flow_reg[flow], rng),
            residence=self._icb_text(self.flow_res[flow], rng),
            gp=self.flow_reg[flow] * 40 + rng.integers(0, 40, n),
            day=rng.integers(0, month.days, n),
            stay=np.minimum(rng.geometric(0.25, n) - 1, 40) if dataset == "APC" else np.zeros(n, np.int64),
            bad_activity_date=np.zeros(n, np.int64), bad_discharge=np.zeros(n, np.int64),
            pence=np.round(self.line_price[line] * rng.lognormal(0.0, 0.12, n) * 100).astype(np.int64),
            bad_price=np.where(rng.random(n) < 0.01, -1, 0),
            nhs_status=np.zeros(n, np.int64),
            service_line_override=np.full(n, -1), pod_override=np.full(n, -1),
            patient=flow * 100_003 + rng.integers(0, max(8, n // 3), n),
            age=self._ages(line, rng), reg_icb=self.flow_reg[flow],
        )
        if early:
            keep &= rng.random(n) > 0.03
            repriced = (c.pence * rng.uniform(0.8, 1.2, n)).astype(np.int64)
            c.pence = np.where(rng.random(n) < 0.05, repriced, c.pence)
        c = _take(c, np.flatnonzero(keep))
        c = self._extras(c, rng, chunk_no, force)
        _Defects(self, rng, dataset, force).apply(c)
        c = self._duplicates(c, rng, force)
        c = self._blank_ids(c, rng, force)
        return _take(c, rng.permutation(c.k.size))

    def _provider_text(self, line: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        provider = self.line_provider[line].copy()
        for trust, sites in self.vocab.sites.items():
            chosen = np.flatnonzero((provider == trust) & (rng.random(provider.size) < 0.3))
            provider[chosen] = np.array(sites)[rng.integers(0, len(sites), chosen.size)]
        return provider

    def _icb_text(self, icb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        roll = rng.random(icb.size)
        variant = np.select([roll < 0.90, roll < 0.92, roll < 0.97, roll < 0.99], [0, 1, 2, 3], 4)
        return self.vocab.icb_variant[icb, variant]

    def _ages(self, line: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        mean = np.array([codes.AGES[x][0] for x in self.line_npoc])[line]
        spread = np.array([codes.AGES[x][1] for x in self.line_npoc])[line]
        return np.clip(np.round(rng.normal(mean, spread)), 0, 100).astype(np.int64)

    def _extras(self, c: Chunk, rng: np.random.Generator, chunk_no: int, force: bool) -> Chunk:
        """Records outside every comparison: unknown service line or POD (on background
        lines), and a few from an unknown provider with no ICB at all (unattributed)."""
        background = np.flatnonzero(self.line_background[c.line])
        if background.size == 0:
            return c
        n = c.k.size
        wanted = [
            (_count(rng, n, self.rates.service_line_unknown, force), "service_line"),
            (_count(rng, n, self.rates.pod_unknown, force), "pod"),
            (1 if force and self.rates.icb_of_registration_missing > 0
             and self.rates.icb_of_residence_missing > 0 else 0, "unattributed"),
        ]
        extra_k = (1 << 40) + chunk_no * (1 << 20)  # ids apart from every chunk's own range
        for count, kind in wanted:
            if not count:
                continue
            src = background[rng.integers(0, background.size, count)]
            extra = _take(c, src)
            extra.k = extra_k + np.arange(count)
            extra_k += count
            if kind == "service_line":
                extra.service_line_override = rng.integers(0, 2, count)  # never blank: a blank
            elif kind == "pod":  # service line just means "not specialised" in SUS
                extra.pod_override = rng.integers(0, len(formats.UNKNOWN_PODS), count)
            else:
                extra.provider = np.full(count, self.vocab.provider_text.index(UNKNOWN_PROVIDER))
                extra.registration = np.full(count, self.vocab.blank_icb)
                extra.residence = np.full(count, self.vocab.blank_icb)
            c = _concat(c, extra)
        return c

    def _duplicates(self, c: Chunk, rng: np.random.Generator, force: bool) -> Chunk:
        """Exact copies of clean records (so keeping any one copy gives the same fact)."""
        clean = np.flatnonzero(
            (c.bad_activity_date == 0) & (c.bad_discharge == 0) & (c.bad_price == 0)
            & (c.nhs_status == 0) & (c.service_line_override < 0) & (c.pod_override < 0)
            & (c.registration < self.vocab.blank_icb) & (c.residence < self.vocab.blank_icb)
            & (c.gp < len(self.vocab.practices) - len(formats.DEFAULT_GP))
        )
        count = min(_count(rng, c.k.size, self.rates.sus_record_duplicate, force), clean.size)
        if not count:
            return c
        return _concat(c, _take(c, rng.choice(clean, count, replace=False)))


    def _blank_ids(self, c: Chunk, rng: np.random.Generator, force: bool) -> Chunk:
        """Copies of records whose sus_record_id is blank (k < 0 renders as blank): the
        warehouse quarantines every one of them (sus_record_id_missing)."""
        count = _count(rng, c.k.size, self.rates.sus_record_id_missing, force)
        if not count:
            return c
        blank = _take(c, rng.integers(0, c.k.size, count))
        blank.k = -1 - np.arange(count)
        return _concat(c, blank)


class _Defects:
    """Rate-driven defects on a chunk's records (at least one of each when forced)."""

    def __init__(self, maker: ChunkMaker, rng: np.random.Generator, dataset: str, force: bool) -> None:
        self.m, self.rng, self.dataset, self.force = maker, rng, dataset, force

    def pick(self, eligible: np.ndarray, rate: float) -> np.ndarray:
        count = min(_count(self.rng, eligible.size, rate, self.force), eligible.size)
        return self.rng.choice(eligible, count, replace=False) if count else eligible[:0]

    def apply(self, c: Chunk) -> None:
        r, v, rng = self.m.rates, self.m.vocab, self.rng
        n = c.k.size
        everyone = np.arange(n)
        for column, missing, invalid in (
            ("residence", r.icb_of_residence_missing, r.icb_of_residence_invalid),
            ("registration", r.icb_of_registration_missing, r.icb_of_registration_invalid),
        ):
            values = getattr(c, column)
            clean = np.flatnonzero(values < v.blank_icb)
            values[self.pick(clean, missing)] = v.blank_icb
            clean = np.flatnonzero(values != v.blank_icb)
            chosen = self.pick(clean, invalid)
            values[chosen] = v.invalid_icb[rng.integers(0, v.invalid_icb.size, chosen.size)]
        default_gp = len(v.practices) - len(formats.DEFAULT_GP)
        chosen = self.pick(everyone, r.gp_practice_default)
        c.gp[chosen] = default_gp + rng.integers(0, len(formats.DEFAULT_GP), chosen.size)
        chosen = self.pick(everyone, r.nhs_number_not_verified)
        c.nhs_status[chosen] = 1 + rng.integers(0, len(NHS_STATUS_OTHER), chosen.size)
        chosen = self.pick(everyone, r.price_invalid)
        c.bad_price[chosen] = 1 + rng.integers(0, 2, chosen.size)  # TBC / n/a
        self._dates(c)

    def _dates(self, c: Chunk) -> None:
        """Activity-date defects only on background records (outside the triangulation);
        discharge before admission or unreadable on any APC record."""
        rate, rng = self.m.rates.sus_dates_inconsistent, self.rng
        background = np.flatnonzero(self.m.line_background[c.line])
        chosen = self.pick(background, rate)
        # 1-3 = an invalid or blank text, 4 = a date before the month starts
        c.bad_activity_date[chosen] = 1 + rng.integers(0, len(formats.INVALID_DATES) + 1, chosen.size)
        if self.dataset == "APC":
            chosen = self.pick(np.flatnonzero(c.bad_activity_date == 0), rate)
            c.bad_discharge[chosen] = 1 + rng.integers(0, 2, chosen.size)  # 1 invalid, 2 before


def _count(rng: np.random.Generator, n: int, rate: float, force: bool) -> int:
    if rate <= 0 or n == 0:
        return 0
    drawn = int(rng.binomial(n, rate))
    return max(drawn, 1) if force else drawn


def _take(c: Chunk, index: np.ndarray) -> Chunk:
    return Chunk(**{name: getattr(c, name)[index] for name in Chunk.__dataclass_fields__})


def _concat(a: Chunk, b: Chunk) -> Chunk:
    return Chunk(**{name: np.concatenate([getattr(a, name), getattr(b, name)])
                    for name in Chunk.__dataclass_fields__})
