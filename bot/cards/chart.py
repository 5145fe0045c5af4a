"""The weekly digest's chart as a PNG: hours per stage (median and p90) beside open cases by state,
drawn with matplotlib's Agg backend from the data the digest message carries (handlers.digest).

The same data gives the same bytes (no timestamp or version in the file), so a re-sent digest
shows the same picture. Labels are in the HR group's language: the font is DOCUMENT_FONT (with
Chinese glyphs) when the file exists, else matplotlib's own.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path
from typing import Any

from matplotlib import font_manager, rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

MEDIAN, P90, STATES = "#4C72B0", "#DD8452", "#55A868"
SIZE_INCHES, DPI = (11.0, 4.6), 100


@functools.cache
def _fonts(font_path: str | None) -> dict[str, Any]:
    """The rc settings for the font to draw with: the configured one first, if it loads, at its
    own weight (asked for another, matplotlib warns on every text it draws)."""
    if font_path and Path(font_path).is_file():
        try:
            font_manager.fontManager.addfont(font_path)
        except (OSError, RuntimeError, ValueError):
            return {"font.family": ["DejaVu Sans"]}
        entry = next(f for f in font_manager.fontManager.ttflist if f.fname == font_path)
        return {"font.family": [entry.name], "font.weight": entry.weight,
                "axes.titleweight": entry.weight, "axes.labelweight": entry.weight}
    return {"font.family": ["DejaVu Sans"]}


def _numbers(rows: Any, widths: tuple[int, ...]) -> list[list[Any]]:
    """Rows [label, number…] as given; anything malformed is left out rather than failing."""
    kept = []
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, list | tuple) and len(row) in widths and all(
                isinstance(v, int | float) for v in row[1:]):
            kept.append([str(row[0]), *row[1:]])
    return kept


def render_chart(chart: dict[str, Any], font_path: str | None = None) -> bytes:
    """The PNG of `chart` (the digest message's data["chart"])."""
    stages = _numbers(chart.get("stages"), (3, 4))  # label, median, p90[, stays counted]
    states = _numbers(chart.get("states"), (2,))
    with rc_context({**_fonts(font_path), "axes.unicode_minus": False}):
        figure = Figure(figsize=SIZE_INCHES, dpi=DPI, layout="constrained")
        FigureCanvasAgg(figure)
        left, right = figure.subplots(1, 2, width_ratios=[3, 2])
        _stages(left, stages, chart)
        _states(right, states, chart)
        out = io.BytesIO()
        figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()


def _stages(axes: Any, rows: list[list[Any]], chart: dict[str, Any]) -> None:
    axes.set_title(str(chart.get("stages_title", "")))
    # Every stage keeps its row, so that the chart reads the same way each week.
    shown = rows
    if not any(row[1] or row[2] for row in rows):
        _empty(axes, chart)
        return
    labels = [row[0] for row in shown][::-1]  # the first stage on top
    y = range(len(shown))
    medians, p90s = [row[1] for row in shown][::-1], [row[2] for row in shown][::-1]
    measured = [len(row) < 4 or bool(row[3]) for row in shown][::-1]
    bars = axes.barh([n + 0.2 for n in y], medians, height=0.4, color=MEDIAN, label=str(chart.get("median", "")))
    tails = axes.barh([n - 0.2 for n in y], p90s, height=0.4, color=P90, label=str(chart.get("p90", "")))
    for drawn, values in ((bars, medians), (tails, p90s)):
        axes.bar_label(drawn, labels=[f"{v:.1f}" if m else "—" for v, m in zip(values, measured, strict=True)],
                       padding=2, fontsize=8)
    axes.set_yticks(list(y), labels)
    axes.set_xlabel(str(chart.get("hours", "")))
    axes.margins(x=0.15)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize=8, frameon=False)


def _states(axes: Any, rows: list[list[Any]], chart: dict[str, Any]) -> None:
    axes.set_title(str(chart.get("states_title", "")))
    if not rows:
        _empty(axes, chart)
        return
    labels = [row[0] for row in rows][::-1]
    counts = [row[1] for row in rows][::-1]
    bars = axes.barh(range(len(rows)), counts, color=STATES)
    axes.bar_label(bars, fmt="%d", padding=2, fontsize=8)
    axes.set_yticks(range(len(rows)), labels)
    axes.set_xlabel(str(chart.get("cases", "")))
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.margins(x=0.15)


def _empty(axes: Any, chart: dict[str, Any]) -> None:
    axes.text(0.5, 0.5, str(chart.get("empty", "")), ha="center", va="center", transform=axes.transAxes,
              color="#777777")
    axes.set_xticks([])
    axes.set_yticks([])
