"""The digest's one chart: MQLs per day of the week, stacked by where they stand now.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no global
state, safe in a worker thread), sized to stay legible on a phone.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from bot.feedback.metrics import DayCounts

COLOURS = {"accepted": "#2e7d32", "rejected": "#c62828", "open": "#9e9e9e"}
LABELS = {"accepted": "Accepted", "rejected": "Rejected", "open": "Still open"}
SIZE_INCHES = (6.4, 3.6)
DPI = 150


def weekday_chart(days: Sequence[DayCounts], title: str) -> bytes:
    """A PNG of stacked bars, one per day; an empty week draws empty bars, not an error."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=SIZE_INCHES, dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    labels = [f"{day.day:%a}\n{day.day.day}" for day in days]
    positions = range(len(days))
    bottom = [0] * len(days)
    for kind in ("accepted", "rejected", "open"):
        heights = [getattr(day, kind) for day in days]
        axes.bar(positions, heights, bottom=bottom, color=COLOURS[kind], label=LABELS[kind])
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    for position, total in zip(positions, bottom, strict=True):
        if total:
            axes.annotate(
                f"{total:,}",
                (position, total),
                ha="center",
                va="bottom",
                fontsize=8,
                xytext=(0, 2),
                textcoords="offset points",
            )
    axes.set_xticks(list(positions), labels)
    axes.set_ylabel("MQLs")
    axes.set_title(title, fontsize=11)
    axes.set_ylim(0, max(max(bottom, default=0) * 1.3, 1))
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(frameon=False, fontsize=8, ncols=3, loc="upper left")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
