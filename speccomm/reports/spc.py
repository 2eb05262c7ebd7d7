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

XMR_CONSTANT = 2.66
RUN_LENGTH = 7
SCORE_RANGE = (0.0, 100.0)
DATA_COLOUR = "#1f4e79"  # dark blue
LIMIT_COLOUR = "#7f7f7f"  # grey
SIGNAL_COLOUR = "#6a3d9a"  # purple
PEER_COLOUR = "#2b8cbe"  # light blue
PANEL_HEIGHT = 2.9  # inches


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


def render_chart(panels: list[Panel]) -> bytes:
    """One PNG with an XmR panel per dataset."""
    height = PANEL_HEIGHT * max(len(panels), 1)
    figure = Figure(figsize=(7.5, height), dpi=100)
    FigureCanvasAgg(figure)
    # Fixed margins (in inches) rather than tight_layout: as readable, and twice as fast.
    figure.subplots_adjust(left=0.08, right=0.98, top=1 - 0.35 / height, bottom=0.75 / height,
                           hspace=1.15 / PANEL_HEIGHT)
    for index, panel in enumerate(panels, start=1):
        _draw_panel(figure.add_subplot(len(panels), 1, index), panel)
    if not panels:
        figure.text(0.5, 0.5, "No scores yet", ha="center", va="center")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _draw_panel(axes: Axes, panel: Panel) -> None:
    chart = xmr(panel.values)
    x = list(range(len(panel.values)))
    axes.plot(x, panel.values, color=DATA_COLOUR, marker="o", linewidth=1.5, label="this provider")
    signal_x = [i for i, s in zip(x, chart.signals, strict=True) if s]
    if signal_x:
        axes.scatter(signal_x, [panel.values[i] for i in signal_x], s=140, facecolors="none",
                     edgecolors=SIGNAL_COLOUR, linewidths=2, label="special cause", zorder=3)
    axes.axhline(chart.mean, color=LIMIT_COLOUR, linewidth=1, label=f"mean {chart.mean:.1f}")
    if chart.upper_limit is not None and chart.lower_limit is not None:
        for limit in (chart.upper_limit, chart.lower_limit):
            axes.axhline(limit, color=LIMIT_COLOUR, linewidth=1, linestyle="--")
        axes.plot([], [], color=LIMIT_COLOUR, linestyle="--", label="process limits")
    peer = [(i, v) for i, v in zip(x, panel.peer_median, strict=True) if v is not None]
    if peer:
        axes.plot([i for i, _ in peer], [v for _, v in peer], color=PEER_COLOUR, linestyle=":",
                  linewidth=1.5, label="median provider")
    axes.set_title(panel.title, fontsize=10, loc="left")
    axes.set_xticks(x)
    axes.set_xticklabels(panel.labels, fontsize=8)
    axes.set_ylabel("DQMI", fontsize=8)
    low = min([*panel.values, chart.lower_limit or 100.0, *(v for _, v in peer)])
    axes.set_ylim(max(0.0, low - 5.0), 101.0)
    axes.tick_params(axis="y", labelsize=8)
    axes.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=5, frameon=False)
    axes.grid(axis="y", color="#e0e0e0", linewidth=0.5)
