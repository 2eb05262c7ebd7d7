"""The pack's charts as inline SVG (matplotlib's SVG backend: glyphs drawn as paths, so no font
and no file is fetched; the page scales the drawing to its width).

Colours follow Making Data Count's (grey common cause, blue improvement, orange concern, purple
neither) and never the words of the funding streams.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from speccomm.pack.spc import SpcChart, Variation

COMMON = "#7b7d7d"
IMPROVEMENT = "#289de0"
CONCERN = "#e46c0a"
NEUTRAL = "#361475"
TARGET = "#b00020"
INK = "#212b32"
FAINT = "#d8dde0"
WIDTH = 4.6  # inches: 331 pt, drawn at 330-580 CSS px (the text stays 10-20 px)
FONT = 11.5

POINT_COLOURS = {
    Variation.COMMON_CAUSE: COMMON,
    Variation.IMPROVEMENT_HIGH: IMPROVEMENT,
    Variation.IMPROVEMENT_LOW: IMPROVEMENT,
    Variation.CONCERN_HIGH: CONCERN,
    Variation.CONCERN_LOW: CONCERN,
    Variation.NEUTRAL_HIGH: NEUTRAL,
    Variation.NEUTRAL_LOW: NEUTRAL,
}

matplotlib.rcParams["svg.hashsalt"] = "speccomm-pack"  # the same figures draw the same SVG
# text as <text> in the reader's own sans-serif (nothing fetched): a third of the size of glyph paths
matplotlib.rcParams["svg.fonttype"] = "none"
matplotlib.rcParams["font.sans-serif"] = ["DejaVu Sans", "Arial", "Helvetica"]


def money(value: float) -> str:
    """£ with a unit a reader takes in at a glance: £1.2m, £350k, £900."""
    size = abs(value)
    sign = "−" if value < 0 else ""
    if size >= 1e9:
        return f"{sign}£{size / 1e9:.2f}bn"
    if size >= 1e6:
        return f"{sign}£{size / 1e6:.2f}m"
    if size >= 1e3:
        return f"{sign}£{size / 1e3:.0f}k"
    return f"{sign}£{size:.0f}"


def _figure(
    height: float, *, left: float = 0.72, bottom: float = 0.95, top: float = 0.3
) -> tuple[Figure, Axes]:
    """Margins fixed in inches (room for the tick labels and the legend below): laying out by
    measuring the text (bbox_inches="tight") draws every chart twice."""
    figure = Figure(figsize=(WIDTH, height))
    FigureCanvasSVG(figure)
    figure.subplots_adjust(
        left=left / WIDTH, right=1 - 0.15 / WIDTH, bottom=bottom / height, top=1 - top / height
    )
    axes = figure.add_subplot(1, 1, 1)
    axes.tick_params(labelsize=FONT - 0.5, colors=INK)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.grid(axis="y", color=FAINT, linewidth=0.6)
    axes.set_axisbelow(True)
    return figure, axes


def _svg(figure: Figure, label_id: str) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)  # RDF boilerplate
    text = re.sub(r'<g id="[^"]+">', "<g>", text)  # group names nothing refers to
    text = re.sub(r"\n\s+", "\n", text)  # indentation
    # scale to the page: no fixed size, the viewBox keeps the proportions
    text = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r"<svg\1", text, count=1)
    # the page holds many drawings: their ids (clip paths, markers) made unique to each
    prefix = label_id.removesuffix("-finding")
    text = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', text)
    text = text.replace("url(#", f"url(#{prefix}-").replace('href="#', f'href="#{prefix}-')
    return text.replace("<svg", f'<svg role="img" aria-labelledby="{label_id}" class="chart"', 1)


def _legend(figure: Figure, axes: Axes, columns: int) -> None:
    """The legend across the foot of the figure, below the axis labels."""
    handles, labels = axes.get_legend_handles_labels()
    if handles:
        figure.legend(
            handles,
            labels,
            loc="lower center",
            bbox_to_anchor=(0.5, 0.0),
            ncol=columns,
            frameon=False,
            fontsize=FONT - 1.5,
            handlelength=1.5,
            columnspacing=0.8,
        )


def _money_axis(axes: Axes) -> None:
    axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _: money(v)))


def _month_ticks(axes: Axes, labels: Sequence[str], every: int) -> None:
    ticks = list(range(0, len(labels), every))
    axes.set_xticks(ticks)
    axes.set_xticklabels([labels[i] for i in ticks], rotation=0)


@dataclass(frozen=True)
class SpcSeries:
    labels: list[str]  # one per point, e.g. "Apr 25"
    chart: SpcChart
    estimated: list[bool]  # the point includes an estimate for a missing submission
    target: list[float | None]  # the plan per point; None where it is not shown


def spc_svg(series: SpcSeries, label_id: str) -> str:
    figure, axes = _figure(3.3)
    chart = series.chart
    x = list(range(len(chart.values)))
    axes.plot(x, chart.values, color=COMMON, linewidth=1.4, zorder=2)
    for i, value in enumerate(chart.values):
        colour = POINT_COLOURS[chart.point_types[i]]
        hollow = series.estimated[i]
        axes.scatter(
            [i],
            [value],
            s=34,
            zorder=3,
            linewidths=1.4,
            edgecolors=colour,
            facecolors="white" if hollow else colour,
        )
    top = max(chart.values)
    bottom = min(chart.values)
    if chart.limits is not None:
        limits = chart.limits
        axes.axhline(limits.mean, color=INK, linewidth=1.1, label="mean")
        axes.axhline(limits.upper, color=COMMON, linewidth=1, linestyle="--", label="process limits")
        # spend of no negative month: a lower limit below zero is drawn at zero (nothing to see)
        lower = max(limits.lower, 0.0) if bottom >= 0 else limits.lower
        axes.axhline(lower, color=COMMON, linewidth=1, linestyle="--")
        top, bottom = max(top, limits.upper), min(bottom, lower)
    _target_line(axes, x, series.target, top, bottom)
    if any(series.estimated):
        axes.scatter([], [], s=34, facecolors="white", edgecolors=COMMON, label="includes an estimate")
    _month_ticks(axes, series.labels, max(1, math.ceil(len(x) / 5)))
    _money_axis(axes)
    axes.set_ylim(bottom=max(0.0, bottom - 0.08 * (top - bottom)) if bottom >= 0 else None)
    _legend(figure, axes, 2)
    return _svg(figure, label_id)


def _target_line(axes: Axes, x: list[int], target: list[float | None], top: float, bottom: float) -> None:
    points = [(i, t) for i, t in zip(x, target, strict=True) if t is not None]
    if not points:
        return
    highest = max(t for _, t in points)
    span = max(top - bottom, abs(top) * 0.1, 1.0)
    if highest > top + 2 * span:  # drawing it would flatten the chart: say where it is instead
        axes.set_title(
            f"plan up to {money(highest)} a month: far above ↑", loc="right", fontsize=FONT - 2, color=TARGET
        )
        return
    axes.step(
        [i for i, _ in points],
        [t for _, t in points],
        where="mid",
        color=TARGET,
        linewidth=1.1,
        linestyle=(0, (4, 2)),
        label="plan (target)",
    )


@dataclass(frozen=True)
class PlanSeries:
    labels: list[str]  # month labels of the year
    plan: list[float] | None  # cumulative plan; None when not shown
    actual: list[float | None]  # cumulative actual (None after the last month reported)
    with_estimates: list[float | None]  # cumulative actual + estimates
    forecast: float | None
    forecast_low: float | None
    forecast_high: float | None


def plan_svg(series: PlanSeries, label_id: str) -> str:
    figure, axes = _figure(3.5, bottom=1.15)
    n = len(series.labels)
    x = list(range(n))
    reached = [i for i in x if series.with_estimates[i] is not None]
    estimates = [series.with_estimates[i] or 0.0 for i in reached]
    actual = [series.actual[i] or 0.0 for i in reached]
    axes.bar(
        reached,
        estimates,
        color="white",
        edgecolor=IMPROVEMENT,
        hatch="////",
        linewidth=0.8,
        label="estimate (missing months)",
    )
    axes.bar(reached, actual, color=IMPROVEMENT, label="actual")
    top = max([*estimates, 1.0])
    if series.forecast is not None:
        low = series.forecast_low if series.forecast_low is not None else series.forecast
        high = series.forecast_high if series.forecast_high is not None else series.forecast
        axes.errorbar(
            [n - 1],
            [series.forecast],
            yerr=[[series.forecast - low], [high - series.forecast]],
            fmt="D",
            color=NEUTRAL,
            markerfacecolor="white",
            capsize=5,
            linewidth=1.4,
            label="forecast (estimate)" + (" and range" if high > low else ""),
        )
        top = max(top, high)
    if series.plan is not None:
        if series.plan[-1] > 3 * top:
            axes.set_title(
                f"plan for the year {money(series.plan[-1])}: far above ↑",
                loc="right",
                fontsize=FONT - 2,
                color=TARGET,
            )
        else:
            axes.plot(x, series.plan, color=TARGET, linewidth=1.3, linestyle=(0, (4, 2)), label="plan")
    _month_ticks(axes, series.labels, 1 if n <= 6 else 3)
    _money_axis(axes)
    _legend(figure, axes, 2)
    return _svg(figure, label_id)


@dataclass(frozen=True)
class FunnelPoint:
    label: str
    population: float
    rate: float | None  # None: withheld (small numbers)
    highlighted: bool
    limits: dict[str, tuple[float, float]]  # "95", "99.8" → (lower, upper) at this population


def funnel_svg(points: list[FunnelPoint], centre: float | None, label_id: str) -> str:
    figure, axes = _figure(3.2, bottom=1.2, top=0.15)
    shown = sorted((p for p in points), key=lambda p: p.population)
    millions = [p.population / 1e6 for p in shown]
    for key, style in (("99.8", (0, (2, 2))), ("95", (0, (5, 2)))):
        pairs = [(m, p.limits[key]) for m, p in zip(millions, shown, strict=True) if key in p.limits]
        if pairs:
            xs = [m for m, _ in pairs]
            for side in (0, 1):
                axes.plot(
                    xs,
                    [lim[side] for _, lim in pairs],
                    color=COMMON,
                    linewidth=1,
                    linestyle=style,
                    label=f"{key} % limits" if side == 0 else None,
                )
    if centre is not None:
        axes.axhline(centre, color=INK, linewidth=1, label="comparison rate")
    for m, p in zip(millions, shown, strict=True):
        if p.rate is None:
            continue
        axes.scatter(
            [m],
            [p.rate],
            s=60 if p.highlighted else 30,
            zorder=3,
            color=IMPROVEMENT if p.highlighted else COMMON,
            edgecolors=INK,
            linewidths=0.6,
        )
        axes.annotate(p.label, (m, p.rate), textcoords="offset points", xytext=(6, 4), fontsize=FONT - 2)
    axes.set_xlabel("weighted population (millions)", fontsize=FONT - 2)
    lo, hi = (min(millions), max(millions)) if millions else (0.0, 1.0)
    pad = max((hi - lo) * 0.25, 0.2)
    axes.set_xlim(max(0.0, lo - pad), hi + pad)
    _money_axis(axes)
    _legend(figure, axes, 2)
    return _svg(figure, label_id)


@dataclass(frozen=True)
class AllocationBars:
    icbs: list[str]
    host: list[float]
    population: list[float]
    needs: list[float]


def allocation_svg(bars: AllocationBars, label_id: str) -> str:
    figure, axes = _figure(1.9 + 0.75 * len(bars.icbs), left=0.55, bottom=1.2, top=0.15)
    height = 0.26
    y = list(range(len(bars.icbs)))
    for offset, values, colour, name in (
        (-height, bars.host, COMMON, "host (follows the provider)"),
        (0.0, bars.population, IMPROVEMENT, "population (follows the patient)"),
        (height, bars.needs, NEUTRAL, "needs-based"),
    ):
        axes.barh([v + offset for v in y], values, height=height, color=colour, label=name)
    axes.set_yticks(y)
    axes.set_yticklabels(bars.icbs)
    axes.invert_yaxis()
    axes.grid(axis="x", color=FAINT, linewidth=0.6)
    axes.grid(axis="y", visible=False)
    axes.xaxis.set_major_locator(MaxNLocator(4))
    axes.xaxis.set_major_formatter(FuncFormatter(lambda v, _: money(v)))
    _legend(figure, axes, 2)
    return _svg(figure, label_id)


OUTCOME_COLOURS = {
    "agree": COMMON,
    "supplied_not_derived": CONCERN,
    "derived_not_supplied": IMPROVEMENT,
    "different_line": NEUTRAL,
}


def outcomes_svg(providers: list[str], shares: dict[str, list[float]], label_id: str) -> str:
    """Stacked horizontal bars: the share of each provider's records whose supplied and derived
    service lines disagree, by outcome (agreement is the rest of the bar, left out so that a few
    per cent stay visible)."""
    figure, axes = _figure(1.5 + 0.3 * len(providers), left=0.7, bottom=0.95, top=0.15)
    figure.subplots_adjust(right=1 - 0.35 / WIDTH)  # room for the last tick label
    left = [0.0] * len(providers)
    for outcome, colour in OUTCOME_COLOURS.items():
        if outcome == "agree":
            continue
        values = shares.get(outcome, [0.0] * len(providers))
        axes.barh(providers, values, left=left, color=colour, label=outcome.replace("_", " "), height=0.6)
        left = [a + b for a, b in zip(left, values, strict=True)]
    axes.set_xlim(0, max([*left, 1.0]) * 1.15)
    axes.set_xlabel("% of the provider's records", fontsize=FONT - 2)
    axes.invert_yaxis()
    axes.grid(axis="x", color=FAINT, linewidth=0.6)
    axes.grid(axis="y", visible=False)
    axes.xaxis.set_major_locator(MaxNLocator(5))
    axes.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g} %"))
    _legend(figure, axes, 2)
    return _svg(figure, label_id)
