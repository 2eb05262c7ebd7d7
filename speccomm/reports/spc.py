"""Statistical process control (XmR) for the DQMI trend, as NHS "Making Data Count" advises.

Centre line: the mean of the points. Natural process limits: mean ± 2.66 × the mean moving
range (the average absolute difference between consecutive points), clipped to the 0–100
range the score can take. Special-cause signals marked: a point outside the limits, and a run
of RUN_LENGTH or more consecutive points on one side of the mean. Colours are deliberately not
red/amber/green (those words mean funding streams here).
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

XMR_CONSTANT = 2.66
RUN_LENGTH = 7
SCORE_RANGE = (0.0, 100.0)
DATA_COLOUR = "#1f4e79"  # dark blue
LIMIT_COLOUR = "#7f7f7f"  # grey
SIGNAL_COLOUR = "#6a3d9a"  # purple
PEER_COLOUR = "#2b8cbe"  # light blue
# Drawn for a phone: 5.2 inches at 100 dpi is the 520 px the email shows it at, at most (a
# 400 px phone scales it to about 0.7), so 10-11 pt text stays about 10 px high. Saved at
# twice the pixels for sharp high-density screens.
WIDTH = 5.2  # inches
PANEL_HEIGHT = 3.3  # inches
DPI = 200


@dataclass(frozen=True)
class XmR:
    values: tuple[float, ...]
    mean: float
    mean_moving_range: float | None
    upper_limit: float | None
    lower_limit: float | None
    signals: tuple[bool, ...]  # per point: a special-cause signal


def xmr(values: list[float]) -> XmR:
    if not values:
        raise ValueError("an XmR chart needs at least one point")
    mean = sum(values) / len(values)
    if len(values) < 2:
        return XmR(tuple(values), mean, None, None, None, (False,) * len(values))
    moving = [abs(b - a) for a, b in itertools.pairwise(values)]
    mr_bar = sum(moving) / len(moving)
    upper = min(mean + XMR_CONSTANT * mr_bar, SCORE_RANGE[1])
    lower = max(mean - XMR_CONSTANT * mr_bar, SCORE_RANGE[0])
    outside = [v > upper + 1e-9 or v < lower - 1e-9 for v in values]
    runs = _run_signals(values, mean)
    signals = tuple(a or b for a, b in zip(outside, runs, strict=True))
    return XmR(tuple(values), mean, mr_bar, upper, lower, signals)


def _run_signals(values: list[float], mean: float) -> list[bool]:
    """True for every point in a run of RUN_LENGTH or more on the same side of the mean."""
    sides = [(v > mean) - (v < mean) for v in values]
    flags = [False] * len(values)
    start = 0
    for i in range(1, len(values) + 1):
        if i == len(values) or sides[i] != sides[start] or sides[i] == 0:
            if sides[start] != 0 and i - start >= RUN_LENGTH:
                for j in range(start, i):
                    flags[j] = True
            start = i
    return flags


@dataclass(frozen=True)
class Panel:
    title: str
    labels: list[str]
    values: list[float]
    peer_median: list[float | None]


LEGEND_HEIGHT = 0.75  # inches: one legend, under the last panel, for every panel


def render_chart(panels: list[Panel]) -> bytes:
    """One PNG with an XmR panel per dataset and one legend under them."""
    height = PANEL_HEIGHT * max(len(panels), 1) + LEGEND_HEIGHT
    figure = Figure(figsize=(WIDTH, height), dpi=100)
    FigureCanvasAgg(figure)
    # Fixed margins (in inches) rather than tight_layout: as readable, and twice as fast.
    figure.subplots_adjust(left=0.62 / WIDTH, right=1 - 0.12 / WIDTH, top=1 - 0.35 / height,
                           bottom=(LEGEND_HEIGHT + 0.6) / height, hspace=1.0 / (PANEL_HEIGHT - 1.0))
    for index, panel in enumerate(panels, start=1):
        _draw_panel(figure.add_subplot(len(panels), 1, index), panel)
    if panels:
        figure.legend(handles=_legend_handles(), loc="lower center", ncol=3, fontsize=10, frameon=False,
                      handlelength=1.6, columnspacing=1.0, bbox_to_anchor=(0.5, 0.02))
    else:
        figure.text(0.5, 0.5, "No scores yet", ha="center", va="center", fontsize=12)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _legend_handles() -> list[Line2D]:
    return [
        Line2D([], [], color=DATA_COLOUR, marker="o", linewidth=1.5, label="your score"),
        Line2D([], [], color=LIMIT_COLOUR, linewidth=1, label="mean"),
        Line2D([], [], color=LIMIT_COLOUR, linewidth=1, linestyle="--", label="process limits"),
        Line2D([], [], color=PEER_COLOUR, linewidth=1.5, linestyle=":", label="median provider"),
        Line2D([], [], color=SIGNAL_COLOUR, marker="o", markersize=11, markerfacecolor="none",
               markeredgewidth=2, linestyle="none", label="special cause"),
    ]


def _draw_panel(axes: Axes, panel: Panel) -> None:
    chart = xmr(panel.values)
    x = list(range(len(panel.values)))
    axes.plot(x, panel.values, color=DATA_COLOUR, marker="o", linewidth=1.5)
    signal_x = [i for i, s in zip(x, chart.signals, strict=True) if s]
    if signal_x:
        axes.scatter(signal_x, [panel.values[i] for i in signal_x], s=140, facecolors="none",
                     edgecolors=SIGNAL_COLOUR, linewidths=2, zorder=3)
    axes.axhline(chart.mean, color=LIMIT_COLOUR, linewidth=1)
    if chart.upper_limit is not None and chart.lower_limit is not None:
        for limit in (chart.upper_limit, chart.lower_limit):
            axes.axhline(limit, color=LIMIT_COLOUR, linewidth=1, linestyle="--")
    peer = [(i, v) for i, v in zip(x, panel.peer_median, strict=True) if v is not None]
    if peer:
        axes.plot([i for i, _ in peer], [v for _, v in peer], color=PEER_COLOUR, linestyle=":", linewidth=1.5)
    axes.set_title(panel.title, fontsize=11, loc="left")
    axes.set_xticks(x)
    axes.set_xticklabels(panel.labels, fontsize=10)
    axes.set_ylabel("score", fontsize=10)
    low = min([*panel.values, chart.lower_limit or 100.0, *(v for _, v in peer)])
    axes.set_ylim(max(0.0, low - 2.0), 101.0)
    axes.tick_params(axis="y", labelsize=10)
    axes.grid(axis="y", color="#e0e0e0", linewidth=0.5)
