"""The "true" activity: which provider treats whose patients on which service lines, how often.

The world is a table of *cells*: activity line (provider x service line x POD x HRG) x patient
flow (ICB of registration x ICB of residence) x month, each with a count of spells or
attendances. SUS records are that count expanded to patients; SLAM Actual rows are the cells
themselves; the ledger follows the SLAM pounds. Everything downstream is a rendering of this.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from speccomm.generate.codes import HRG_CHAPTERS, OP_HRG, TREATMENT_FUNCTIONS
from speccomm.generate.periods import Month, months_of
from speccomm.generate.rand import rng_for
from speccomm.generate.reference import Reference, ServiceLine
from speccomm.generate.scales import Scale

# Point of delivery: (dataset, relative volume, base price in pounds). HCD is SLAM only.
POD_PROFILE = {
    "EL": ("APC", 0.5, 5200.0),
    "DC": ("APC", 0.9, 1150.0),
    "NEL": ("APC", 0.45, 6100.0),
    "OPFA": ("OP", 1.4, 265.0),
    "OPFUP": ("OP", 3.0, 160.0),
    "OPPROC": ("OP", 0.9, 390.0),
    "HCD": ("", 0.6, 2400.0),
}
APC_PODS, OP_PODS = ("EL", "DC", "NEL"), ("OPFA", "OPFUP", "OPPROC")
PROVIDER_TYPE_WEIGHT = {
    "tertiary": 1.0,
    "specialist": 0.45,
    "district_general": 0.12,
    "mental_health": 0.08,
    "independent_sector": 0.03,
}
GREEN_SHARE = 0.6  # of each provider's service lines
SPECIAL_LINES = ("99999999", "NCBPSXXX")  # not specialised / not attributable: small volumes
SEL_SWL = ("QKK", "QWE")
OUT_OF_AREA = ("QKS", "QXU", "QNX")

# Registration-ICB mix at the South London providers (illustrative assumptions, tuned so that
# about 40% of their activity comes from Kent and Medway, Surrey Heartlands and Sussex).
# "*" is the rest of the country, spread over `Scale.other_icb_flows` ICBs (dropped if 0).
SOUTH_LONDON_FLOWS = {
    "RJ1": {"QKK": 0.31, "QWE": 0.12, "QKS": 0.23, "QXU": 0.08, "QNX": 0.16, "*": 0.10},
    "RJZ": {"QKK": 0.34, "QWE": 0.08, "QKS": 0.26, "QXU": 0.05, "QNX": 0.19, "*": 0.08},
    "RJ7": {"QWE": 0.33, "QKK": 0.10, "QKS": 0.07, "QXU": 0.24, "QNX": 0.16, "*": 0.10},
    "RPY": {"QWE": 0.24, "QKK": 0.15, "QKS": 0.12, "QXU": 0.16, "QNX": 0.10, "QRV": 0.10, "*": 0.13},
    "RJ2": {"QKK": 0.78, "QKS": 0.14, "QWE": 0.03, "*": 0.05},
    "RJ6": {"QWE": 0.78, "QXU": 0.10, "QKK": 0.07, "*": 0.05},
    "RAX": {"QWE": 0.70, "QXU": 0.20, "QRV": 0.05, "*": 0.05},
    "RVR": {"QWE": 0.68, "QXU": 0.24, "QNX": 0.03, "*": 0.05},
}
RESIDENCE_NEIGHBOUR = {"QKK": "QKS", "QWE": "QXU", "QKS": "QKK", "QXU": "QWE", "QNX": "QKS"}


@dataclass(frozen=True)
class Line:
    """One activity line a provider runs; service_line '' = not specialised (SUS only)."""

    provider: str
    service_line: str
    npoc: str
    pod: str
    hrg: str
    tfc: str
    dataset: str  # APC / OP; '' for SLAM-only lines (high-cost drugs)
    unit_price: float
    weight: float  # share of the provider's volume

    @property
    def in_slam(self) -> bool:
        return self.service_line != ""

    @property
    def in_sus(self) -> bool:
        return self.dataset != ""


@dataclass(frozen=True)
class Flow:
    provider: str
    registration: str
    residence: str
    share: float


@dataclass
class World:
    ref: Reference
    scale: Scale
    seed: int
    months: list[Month]
    providers: list[str]
    provider_weight: dict[str, float]
    lines: list[Line]
    flows: list[Flow]
    pair_line: np.ndarray  # pair -> line index
    pair_flow: np.ndarray  # pair -> flow index
    pair_lambda: np.ndarray  # expected count per month before seasonality and growth
    month_factor: np.ndarray  # per month: seasonality x growth
    counts: np.ndarray  # (month, pair) -> count

    def month_index(self, month: Month) -> int:
        return self.months.index(month)

    def expected_counts(self, month_index: int) -> np.ndarray:
        return self.pair_lambda * self.month_factor[month_index]


def build_world(ref: Reference, scale: Scale, seed: int) -> World:
    months = months_of(scale.years)
    providers = _providers(ref, scale)
    rng = rng_for(seed, "world", "providers")
    weights = {
        code: PROVIDER_TYPE_WEIGHT[ref.providers[code].type] * float(rng.lognormal(0.0, 0.25))
        for code in providers
    }
    lines = [line for code in providers for line in _lines(ref, scale, seed, code)]
    flows = [flow for code in providers for flow in _flows(ref, scale, seed, code)]
    pair_line, pair_flow, base = _pairs(lines, flows, weights)
    month_factor = _month_factor(months, scale.years)
    factor = _calibration(scale, lines, flows, pair_line, pair_flow, base, month_factor)
    pair_lambda = base * factor
    counts = _sample_counts(seed, lines, pair_line, pair_lambda, month_factor)
    return World(
        ref, scale, seed, months, providers, weights, lines, flows,
        pair_line, pair_flow, pair_lambda, month_factor, counts,
    )


def _providers(ref: Reference, scale: Scale) -> list[str]:
    if scale.providers is not None:
        return list(scale.providers)
    return sorted(
        code for code, p in ref.providers.items() if scale.lines_by_type.get(p.type, 0) > 0
    )


def emittable_service_lines(ref: Reference, scales: list[Scale]) -> set[str]:
    """Every specialised service line the generator can write at any of `scales`, whatever the
    seed: each provider type's candidate lines (the seed picks among them) and the high-cost
    drugs lines of tertiary providers; not the two special codes (not specialised lines)."""
    lines: set[str] = set()
    for scale in scales:
        for code in _providers(ref, scale):
            ptype = ref.providers[code].type
            if scale.lines_by_type.get(ptype, 0) > 0:
                lines |= {line.code for line in _candidate_lines(ref, scale, ptype)}
            if ptype == "tertiary":
                lines |= {line.code for line in _drug_lines(ref, scale)}
    return lines


def _drug_lines(ref: Reference, scale: Scale) -> list[ServiceLine]:
    return [
        line for code, line in sorted(ref.service_lines.items())
        if line.category == "high_cost_drugs"
        and all(line.in_force_all_year(y) for y in scale.years)
    ]


def _candidate_lines(ref: Reference, scale: Scale, provider_type: str) -> list[ServiceLine]:
    wanted = "mental_health" if provider_type == "mental_health" else "standard"
    return [
        line
        for code, line in sorted(ref.service_lines.items())
        if line.category == wanted
        and (wanted == "mental_health" or line.npoc != "MH")
        and all(line.in_force_all_year(y) and line.status[y] != "unknown" for y in scale.years)
    ]


def _lines(ref: Reference, scale: Scale, seed: int, provider: str) -> list[Line]:
    rng = rng_for(seed, "world", "lines", provider)
    ptype = ref.providers[provider].type
    candidates = _candidate_lines(ref, scale, ptype)
    if ptype == "specialist":
        focus = "CA" if provider == "RPY" else str(rng.choice(["IM", "CA", "WC", "TR", "BI"]))
        candidates = [line for line in candidates if line.npoc == focus] or candidates
    chosen = _choose_lines(rng, candidates, scale.lines_by_type.get(ptype, 0), scale.years[-1])
    lines: list[Line] = []
    for service in chosen:
        level = float(rng.lognormal(0.0, 0.35)) * (2.0 if service.highly_specialised else 1.0)
        volume = float(rng.gamma(2.0))
        pods = _pods_for(rng, ptype, scale)
        lines += _pod_lines(rng, scale, provider, service.code, service.npoc, pods, level, volume)
    if ptype == "tertiary":
        lines += _extra_tertiary_lines(ref, scale, rng, provider)
    lines += _background_lines(rng, scale, provider, lines)
    return lines


def _choose_lines(
    rng: np.random.Generator, candidates: list[ServiceLine], count: int, year: int
) -> list[ServiceLine]:
    """About 60% green lines (the delegated services the Pathfinder is about), rest other."""
    green = [line for line in candidates if line.status[year] == "green"]
    other = [line for line in candidates if line.status[year] != "green"]
    want_green = min(len(green), int(np.ceil(count * GREEN_SHARE)))
    want_other = min(len(other), count - want_green)
    chosen = [green[i] for i in rng.choice(len(green), want_green, replace=False)]
    chosen += [other[i] for i in rng.choice(len(other), want_other, replace=False)]
    return sorted(chosen, key=lambda line: line.code)


def _pods_for(rng: np.random.Generator, provider_type: str, scale: Scale) -> list[str]:
    per_setting = 2 if scale.hrgs_per_pod > 1 else 1
    apc = ("EL", "NEL") if provider_type == "mental_health" else APC_PODS
    pods = list(rng.choice(apc, per_setting, replace=False))
    pods += list(rng.choice(OP_PODS, per_setting, replace=False))
    return [str(p) for p in pods]


def _pod_lines(
    rng: np.random.Generator, scale: Scale, provider: str, service_line: str, npoc: str,
    pods: list[str], level: float, volume: float,
) -> list[Line]:
    lines = []
    tfc = str(rng.choice(TREATMENT_FUNCTIONS[npoc]))
    for pod in pods:
        dataset, pod_weight, base_price = POD_PROFILE[pod]
        for hrg in _hrgs(rng, npoc, pod, scale.hrgs_per_pod):
            price = round(base_price * level * float(rng.uniform(0.8, 1.25)), 2)
            weight = volume * pod_weight / scale.hrgs_per_pod
            lines.append(Line(provider, service_line, npoc, pod, hrg, tfc, dataset, price, weight))
    return lines


def _hrgs(rng: np.random.Generator, npoc: str, pod: str, count: int) -> list[str]:
    if pod in OP_HRG:
        return [OP_HRG[pod]][:count] if count == 1 else [OP_HRG[pod], f"{OP_HRG[pod][:4]}C"]
    chapter = str(rng.choice(list(HRG_CHAPTERS[npoc])))
    sub = "ABCDEFGHJ"[int(rng.integers(0, 9))]
    number = int(rng.integers(1, 60))
    return [f"{chapter}{sub}{number:02d}{'ABCDE'[i]}" for i in range(count)]


def _extra_tertiary_lines(
    ref: Reference, scale: Scale, rng: np.random.Generator, provider: str
) -> list[Line]:
    """High-cost drugs (SLAM only) and the two special service-line codes, small volumes."""
    drugs = _drug_lines(ref, scale)
    lines = []
    if drugs:
        service = drugs[int(rng.integers(0, len(drugs)))]
        lines.append(Line(provider, service.code, service.npoc, "HCD", "", "370", "", 2400.0, 0.25))
    for code in SPECIAL_LINES:
        if code in ref.service_lines:
            lines.append(Line(provider, code, "", "OPFA", "WF01B", "300", "OP", 180.0, 0.08))
    return lines


def _background_lines(
    rng: np.random.Generator, scale: Scale, provider: str, specialised: list[Line]
) -> list[Line]:
    """Not-specialised SUS activity (blank service line): in SUS, never in SLAM."""
    sus_weight = sum(line.weight for line in specialised if line.in_sus)
    total = sus_weight * scale.background_share / (1.0 - scale.background_share)
    shares = {"NEL": 0.2, "DC": 0.2, "OPFA": 0.6}
    return [
        Line(provider, "", "", pod, _hrgs(rng, "", pod, 1)[0], "300", POD_PROFILE[pod][0],
             round(POD_PROFILE[pod][2] * 0.6, 2), total * share)
        for pod, share in shares.items()
    ]


def _flows(ref: Reference, scale: Scale, seed: int, provider: str) -> list[Flow]:
    rng = rng_for(seed, "world", "flows", provider)
    mix = dict(SOUTH_LONDON_FLOWS.get(provider) or _generic_mix(ref, rng, provider))
    rest = mix.pop("*", 0.0)
    if scale.other_icb_flows and rest:
        others = [icb for icb in sorted(ref.icbs) if icb not in mix]
        for icb in rng.choice(others, scale.other_icb_flows, replace=False):
            mix[str(icb)] = rest / scale.other_icb_flows
    total = sum(mix.values())
    ordered = sorted(mix.items(), key=lambda kv: (-kv[1], kv[0]))
    flows = []
    for rank, (icb, share) in enumerate(ordered):
        share /= total
        if rank < scale.residence_split_flows:
            neighbour = RESIDENCE_NEIGHBOUR.get(icb) or _same_region(ref, rng, icb)
            flows.append(Flow(provider, icb, neighbour, share * 0.05))
            share *= 0.95
        flows.append(Flow(provider, icb, icb, share))
    return flows


def _generic_mix(ref: Reference, rng: np.random.Generator, provider: str) -> dict[str, float]:
    host = ref.providers[provider].host_icb or sorted(ref.icbs)[0]
    region = [icb for icb in sorted(ref.icbs) if ref.icbs[icb] == ref.icbs[host] and icb != host]
    neighbours = [str(i) for i in rng.choice(region, min(3, len(region)), replace=False)]
    mix = {host: 0.62}
    mix.update({icb: 0.08 for icb in neighbours})
    mix["*"] = 1.0 - sum(mix.values())
    return mix


def _same_region(ref: Reference, rng: np.random.Generator, icb: str) -> str:
    region = [i for i in sorted(ref.icbs) if ref.icbs[i] == ref.icbs.get(icb) and i != icb]
    return str(rng.choice(region)) if region else icb


def _pairs(
    lines: list[Line], flows: list[Flow], weights: dict[str, float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    flows_of: dict[str, list[int]] = {}
    for index, flow in enumerate(flows):
        flows_of.setdefault(flow.provider, []).append(index)
    line_weight: dict[str, float] = {}
    for line in lines:
        line_weight[line.provider] = line_weight.get(line.provider, 0.0) + line.weight
    pair_line, pair_flow, base = [], [], []
    for li, line in enumerate(lines):
        share_of_provider = line.weight / line_weight[line.provider]
        for fi in flows_of[line.provider]:
            pair_line.append(li)
            pair_flow.append(fi)
            base.append(weights[line.provider] * share_of_provider * flows[fi].share)
    return np.array(pair_line), np.array(pair_flow), np.array(base)


def _month_factor(months: list[Month], years: tuple[int, ...]) -> np.ndarray:
    """Seasonality (the plan phasing shape) times 3% growth a year."""
    phasing = (0.081, 0.082, 0.081, 0.082, 0.080, 0.082, 0.085, 0.086, 0.083, 0.088, 0.083, 0.087)
    return np.array([phasing[m.month - 1] * 12 * 1.03 ** (m.year - years[-1]) for m in months])


def _calibration(
    scale: Scale, lines: list[Line], flows: list[Flow], pair_line: np.ndarray,
    pair_flow: np.ndarray, base: np.ndarray, month_factor: np.ndarray,
) -> float:
    """Multiplier on `base` so the last year hits the scale's volume or spend target."""
    last_year = month_factor[-12:].sum()
    if scale.sel_swl_spend_per_year:
        price = np.array([line.unit_price if line.service_line not in ("", "99999999") else 0.0
                          for line in lines])
        local = np.array([flow.registration in SEL_SWL for flow in flows])
        expected = float((base * price[pair_line] * local[pair_flow]).sum() * last_year)
        return scale.sel_swl_spend_per_year / expected
    in_sus = np.array([line.in_sus for line in lines])
    return scale.sus_records_per_year / float((base * in_sus[pair_line]).sum() * last_year)


def _sample_counts(
    seed: int, lines: list[Line], pair_line: np.ndarray, pair_lambda: np.ndarray,
    month_factor: np.ndarray,
) -> np.ndarray:
    """Poisson counts; every provider-month gets at least one SLAM row (it states the month)."""
    rng = rng_for(seed, "world", "counts")
    counts = rng.poisson(np.outer(month_factor, pair_lambda)).astype(np.int64)
    provider_of = np.array([lines[i].provider for i in pair_line], dtype=object)
    in_slam = np.array([lines[i].in_slam for i in pair_line])
    for provider in dict.fromkeys(provider_of):
        pairs = np.flatnonzero((provider_of == provider) & in_slam)
        biggest = pairs[np.argmax(pair_lambda[pairs])]
        empty = counts[:, pairs].sum(axis=1) == 0
        counts[empty, biggest] = 1
    return counts


def volume_summary(world: World) -> dict[str, float]:
    """Expected-value volumes of the last year, from the cells alone (no files written)."""
    year = world.months[-1].year
    rows = [i for i, m in enumerate(world.months) if m.year == year]
    counts = world.counts[rows].sum(axis=0)
    price = np.array([line.unit_price for line in world.lines])[world.pair_line]
    specialised = np.array(
        [line.service_line not in ("", "99999999") for line in world.lines]
    )[world.pair_line]
    in_sus = np.array([line.in_sus for line in world.lines])[world.pair_line]
    reg = np.array([f.registration for f in world.flows], dtype=object)[world.pair_flow]
    spend = counts * price * specialised
    total = float(spend.sum())
    return {
        "financial_year_start": year,
        "sus_records": float((counts * in_sus).sum()),
        "specialised_spend": total,
        "sel_swl_spend": float(spend[np.isin(reg, SEL_SWL)].sum()),
        "out_of_area_share": float(spend[np.isin(reg, OUT_OF_AREA)].sum()) / total if total else 0.0,
        "cells": int((counts > 0).sum()),
    }
