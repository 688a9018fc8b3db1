"""A small line chart as hand-built SVG text (no matplotlib): the status note's trend figure.

Drawing the note's two figures with matplotlib took about 0.6 s of the ~1.2 s a status note
costs (``benchmarks/profile_service_requests.py``); the service shows the note live, so its
figures are drawn as text here, as :mod:`fip.star_svg` draws the star. The chart has what
the matplotlib one had: categories (quarters) along x, the scale's range on y with a grid line
at every whole value, one line per series in grey with its own marker and dash (so it prints
in black and white), gaps where a value is missing (a suppressed quarter), the legend under
the plot. Text is text: the SVG has a ``<title>`` and a ``<desc>`` listing every shown value,
and each point carries its value in a ``<title>``. Labels are escaped.

Examples
--------
>>> svg = line_chart_svg(["2019Q1", "2019Q2"], [Line("Citizen", (4.2, float("nan")))],
...                      y_min=1, y_max=7, y_label="Mean", title="Trend")
>>> svg.startswith("<svg") and "<desc" in svg and "Citizen, 2019Q1: 4.20" in svg
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["MARKERS", "Line", "line_chart_svg"]

#: Marker, dash and grey of the k-th series (in turn), as the matplotlib chart had them.
MARKERS: tuple[tuple[str, str, str], ...] = (("o", "", "#1a1a1a"), ("s", "7 4", "#737373"),
                                            ("D", "2 3", "#4d4d4d"), ("^", "7 3 2 3", "#999999"))

_W, _LEFT, _RIGHT, _TOP, _PLOT_H = 640, 64, 24, 44, 210
_LEGEND_ROW = 20


@dataclass(frozen=True)
class Line:
    """One series: its legend label, one value per category (NaN: not shown) and its style.

    ``style`` indexes :data:`MARKERS`; ``light`` draws it thinner and lighter with open
    markers (the all-municipalities line beside a municipality's own).
    """

    label: str
    values: tuple[float, ...]
    style: int = 0
    light: bool = False


def _f(x: float) -> str:
    return f"{x:.1f}"


@dataclass(frozen=True)
class _Style:
    marker: str
    stroke: str
    width: float
    size: float
    fill: str
    dashes: str         # the stroke-dasharray attribute, or ""


def _style(line: Line) -> _Style:
    """How ``line`` is drawn, in the plot and in the legend alike."""
    marker, dash, grey = MARKERS[line.style % len(MARKERS)]
    stroke, width, size = ("#b3b3b3", 0.9, 3.0) if line.light else (grey, 1.6, 4.0)
    return _Style(marker, stroke, width, size, "#ffffff" if line.light else stroke,
                  f' stroke-dasharray="{dash}"' if dash else "")


def _marker(kind: str, x: float, y: float, size: float, stroke: str, fill: str) -> str:
    if kind == "s":
        return (f'<rect x="{_f(x - size)}" y="{_f(y - size)}" width="{_f(2 * size)}" height="{_f(2 * size)}" '
                f'fill="{fill}" stroke="{stroke}" stroke-width="1.2"/>')
    if kind == "D":
        pts = f"{_f(x)},{_f(y - size * 1.3)} {_f(x + size)},{_f(y)} {_f(x)},{_f(y + size * 1.3)} {_f(x - size)},{_f(y)}"
        return f'<polygon points="{pts}" fill="{fill}" stroke="{stroke}" stroke-width="1.2"/>'
    if kind == "^":
        pts = f"{_f(x)},{_f(y - size * 1.2)} {_f(x + size * 1.1)},{_f(y + size * 0.8)} {_f(x - size * 1.1)},{_f(y + size * 0.8)}"
        return f'<polygon points="{pts}" fill="{fill}" stroke="{stroke}" stroke-width="1.2"/>'
    return f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{_f(size)}" fill="{fill}" stroke="{stroke}" stroke-width="1.2"/>'


def line_chart_svg(
    categories: Sequence[str],
    lines: Sequence[Line],
    *,
    y_min: float,
    y_max: float,
    y_label: str,
    title: str,
    number: Callable[[float], str] = lambda v: f"{v:.2f}",
) -> str:
    """The lines over ``categories`` as SVG text.

    Parameters
    ----------
    categories : sequence of str
        The x positions, in order (e.g. quarters).
    lines : sequence of Line
        Each with one value per category; NaN values are gaps (the line breaks there).
    y_min, y_max : float
        The y range (the instrument's scale); a grid line at every whole value in it.
    y_label, title : str
        Axis label and title (plain text, escaped).
    number : callable, optional
        How a value reads in the tooltips and the description (e.g. a decimal comma).

    Returns
    -------
    str
        A standalone ``<svg>`` element with a ``<title>`` and a ``<desc>``.

    Raises
    ------
    ValueError
        A line without exactly one value per category, or ``y_max <= y_min``.
    """
    if not y_max > y_min:
        raise ValueError(f"y_max must be above y_min; got {y_min!r} and {y_max!r}")
    for line in lines:
        if len(line.values) != len(categories):
            raise ValueError(f"line {line.label!r} has {len(line.values)} values for {len(categories)} categories")
    columns = 2 if all(len(line.label) <= 40 for line in lines) else 1     # long labels: one per row
    legend_rows = math.ceil(len(lines) / columns)
    height = _TOP + _PLOT_H + 34 + legend_rows * _LEGEND_ROW + 8
    plot_w = _W - _LEFT - _RIGHT
    step = plot_w / max(len(categories), 1)

    def x_at(k: int) -> float:
        return _LEFT + step * (k + 0.5)

    def y_at(v: float) -> float:
        return _TOP + _PLOT_H * (y_max - v) / (y_max - y_min)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{height}" viewBox="0 0 {_W} {height}" '
           f'font-family="sans-serif" role="img" aria-labelledby="chart-title chart-desc">',
           f'<title id="chart-title">{escape(title)}</title>']
    shown = [f"{line.label}, {c}: {number(v)}" for line in lines for c, v in zip(categories, line.values)
             if not math.isnan(v)]
    out.append(f'<desc id="chart-desc">{escape("; ".join(shown))}</desc>')
    out.append('<rect width="100%" height="100%" fill="#ffffff"/>')
    out.append(f'<text x="{_W / 2:.1f}" y="22" text-anchor="middle" font-size="13">{escape(title)}</text>')
    # grid, y ticks and axis label
    for v in range(math.ceil(y_min), math.floor(y_max) + 1):
        y = y_at(v)
        out.append(f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{_f(y)}" y2="{_f(y)}" stroke="#e0e0e0" stroke-width="1"/>')
        out.append(f'<text x="{_LEFT - 8}" y="{_f(y + 4)}" text-anchor="end" font-size="11">{v}</text>')
    out.append(f'<rect x="{_LEFT}" y="{_TOP}" width="{_f(plot_w)}" height="{_PLOT_H}" fill="none" '
               f'stroke="#333333" stroke-width="0.8"/>')
    mid = _TOP + _PLOT_H / 2
    out.append(f'<text x="18" y="{_f(mid)}" text-anchor="middle" font-size="11" '
               f'transform="rotate(-90 18 {_f(mid)})">{escape(y_label)}</text>')
    for k, c in enumerate(categories):
        out.append(f'<text x="{_f(x_at(k))}" y="{_TOP + _PLOT_H + 18}" text-anchor="middle" font-size="11">'
                   f'{escape(c)}</text>')
    # the lines: a path per run of shown values, a marker with its value at every shown point
    for line in lines:
        st = _style(line)
        out.append(f'<g class="series" data-label="{escape(line.label)}">')
        run: list[str] = []
        for k, v in enumerate([*line.values, math.nan]):
            if not math.isnan(v):
                run.append(f"{_f(x_at(k))},{_f(y_at(v))}")
                continue
            if len(run) > 1:
                out.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{st.stroke}" '
                           f'stroke-width="{st.width}"{st.dashes}/>')
            run = []
        for k, (c, v) in enumerate(zip(categories, line.values)):
            if not math.isnan(v):
                tip = escape(f"{line.label}, {c}: {number(v)}")
                out.append(f'<g class="point" data-category="{escape(c)}" data-value="{v:.6g}"><title>{tip}</title>'
                           f'{_marker(st.marker, x_at(k), y_at(v), st.size, st.stroke, st.fill)}</g>')
        out.append("</g>")
    # the legend under the plot, in two columns where the labels are short
    top = _TOP + _PLOT_H + 40
    for k, line in enumerate(lines):
        st = _style(line)
        x, y = _LEFT + (k % columns) * (plot_w / 2), top + (k // columns) * _LEGEND_ROW
        out.append(f'<line x1="{_f(x)}" x2="{_f(x + 28)}" y1="{_f(y)}" y2="{_f(y)}" stroke="{st.stroke}" '
                   f'stroke-width="{st.width}"{st.dashes}/>')
        out.append(_marker(st.marker, x + 14, y, st.size, st.stroke, st.fill))
        out.append(f'<text x="{_f(x + 36)}" y="{_f(y + 4)}" font-size="11">{escape(line.label)}</text>')
    out.append("</svg>")
    return "\n".join(out)
