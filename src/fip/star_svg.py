"""The FIP star as a small hand-built SVG (no matplotlib): the same data and marks as
:func:`fip.star.plot_star`, drawn in a few milliseconds for a web page.

:func:`fip.star.plot_star` (matplotlib) stays the figure of the CLI and the printed card;
this renderer draws the same star from the same :func:`fip.star.star_data`: one star per
respondent side by side, one spoke per item grouped by domain (domains shaded in turn),
shared items numbered in a box (dashed for a loose pair), rounds as lines in the same colours,
dashes and markers (the last round red and solid with filled squares, the one before blue and
dashed with open circles, earlier ones grey and dotted), the legend and the notes under it.
Text is text (not paths): the SVG has a ``<title>`` and a ``<desc>`` listing every answer, each
point carries its value in a ``<title>`` and in ``data-*`` attributes, and it prints in grey
(colour, dash and marker tell the rounds apart). Values are escaped.

Examples
--------
>>> from fip.simulate import simulate_cohort
>>> from fip.data import pair_forms
>>> ds = simulate_cohort(300, seed=1)
>>> m = pair_forms(ds).measurements
>>> svg = star_svg(m, ds.instrument, m["person_id"].iloc[0], lang="en", title="FIP star")
>>> svg.startswith("<svg") and "<title" in svg and "<desc" in svg
True
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from html import escape

import numpy as np
import pandas as pd

from fip._options import check_option
from fip.instrument import Instrument
from fip.messages import languages, section
from fip.star import _SHARED_EDGE, _SHARED_FACE, _axes_spec, _round_styles, _star_notes, shared_items, star_data

__all__ = ["star_svg"]

_W_STAR, _H = 580, 600            # width of one star's panel, height of the figure (px)
_R = 150                          # radius of the scale's top value
_CY = 290                         # centre of the stars
_DASH = {"-": "", "--": "7 4", ":": "2 3"}


def _f(x: float) -> str:
    return f"{x:.1f}"


def _marker(kind: str, x: float, y: float, color: str, filled: bool, tip: str, attrs: str, cls: str = "point") -> str:
    fill = color if filled else "#ffffff"
    if kind == "s":
        shape = f'<rect x="{_f(x - 4)}" y="{_f(y - 4)}" width="8" height="8" fill="{fill}" stroke="{color}" stroke-width="1.3"/>'
    elif kind == "^":
        pts = f"{_f(x)},{_f(y - 5)} {_f(x + 4.6)},{_f(y + 3.5)} {_f(x - 4.6)},{_f(y + 3.5)}"
        shape = f'<polygon points="{pts}" fill="{fill}" stroke="{color}" stroke-width="1.3"/>'
    else:
        shape = f'<circle cx="{_f(x)}" cy="{_f(y)}" r="4" fill="{fill}" stroke="{color}" stroke-width="1.3"/>'
    return f'<g class="{cls}" {attrs}><title>{escape(tip)}</title>{shape}</g>'


def star_svg(
    measurements: pd.DataFrame,
    instrument: Instrument,
    person_id: str,
    *,
    rounds: Sequence[int] | None = None,
    lang: str = "da",
    title: str | None = None,
) -> str:
    """The FIP star of one person as SVG text (one star per respondent, side by side).

    Parameters
    ----------
    measurements : DataFrame
        ``Pairing.measurements``.
    instrument : Instrument
    person_id : str
        Pseudonymous id (an id that looks like a CPR number is refused); not shown unless
        in ``title``.
    rounds : sequence of int, optional
        Rounds to draw (default the first two the person has, as :func:`fip.star.plot_star`).
    lang : str
        Label language (an instrument label language with a message catalogue).
    title : str, optional
        Default: "FIP-stjerne" / "FIP star".

    Returns
    -------
    str
        A standalone SVG document (``image/svg+xml``), the same text for the same answers.

    Raises
    ------
    FipError
        Unknown person, or none of ``rounds`` measured (as :func:`fip.star.star_data`).
    """
    check_option("lang", lang, [x for x in instrument.label_languages if x in languages()])
    data = star_data(measurements, instrument, person_id, rounds)
    text = section(lang, "star")
    lo, hi = instrument.scale.min, instrument.scale.max
    rounds_shown = [int(r) for r in sorted(data["round"].unique())]
    styles = _round_styles(rounds_shown)
    shared = shared_items(instrument)
    resps = [r for r in instrument.respondents if any(it.respondent == r.id for it in instrument.items)]
    width = _W_STAR * len(resps)
    title = text["star"] if title is None else title
    round_name = {r: text["round"].format(r=r) for r in rounds_shown}

    def radius(v: float) -> float:
        return _R * (v - (lo - 1)) / (hi - (lo - 1))

    body: list[str] = []
    desc: list[str] = []
    for k, resp in enumerate(resps):
        cx = _W_STAR * k + _W_STAR / 2
        spokes = _axes_spec(instrument, "item", lang, resp.id)
        n = len(spokes)
        angles = [2 * math.pi * j / n for j in range(n)]

        def at(a: float, r: float, cx: float = cx) -> tuple[float, float]:
            return cx + r * math.sin(a), _CY - r * math.cos(a)

        g = [f'<g class="star" data-respondent="{escape(resp.id)}">',
             f'<text x="{_f(cx)}" y="62" text-anchor="middle" font-size="17" font-weight="bold">'
             f'{escape(resp.label[lang])}</text>']
        # domains: alternate light shading of the sectors of a domain's spokes
        half = math.pi / n
        domains = [s["domain"] for s in spokes]
        start, block = 0, 0
        for j in range(1, n + 1):
            if j == n or domains[j] != domains[start]:
                if block % 2 == 0:
                    a0, a1 = angles[start] - half, angles[j - 1] + half
                    (x0, y0), (x1, y1) = at(a0, _R), at(a1, _R)
                    large = 1 if a1 - a0 > math.pi else 0
                    g.append(f'<path d="M{_f(cx)},{_f(_CY)} L{_f(x0)},{_f(y0)} A{_R},{_R} 0 {large} 1 {_f(x1)},{_f(y1)} Z" '
                             f'fill="#ededed" stroke="none"/>')
                start, block = j, block + 1
        for v in instrument.scale.values:
            g.append(f'<circle cx="{_f(cx)}" cy="{_f(_CY)}" r="{_f(radius(v))}" fill="none" '
                     f'stroke="{"#999999" if v == hi else "#cccccc"}" stroke-width="{0.9 if v == hi else 0.6}"/>')
        ring_angle = math.pi / n
        for v in instrument.scale.values:
            x, y = at(ring_angle, radius(v))
            g.append(f'<text x="{_f(x + 3)}" y="{_f(y + 3)}" font-size="9" fill="#595959">{v}</text>')
        for s, a in zip(spokes, angles):
            x, y = at(a, _R)
            g.append(f'<line x1="{_f(cx)}" y1="{_f(_CY)}" x2="{_f(x)}" y2="{_f(y)}" stroke="#cccccc" stroke-width="0.6"/>')
            sx, sy = math.sin(a), math.cos(a)
            anchor = "middle" if abs(sx) < 0.2 else ("start" if sx > 0 else "end")
            lines = textwrap.wrap(s["label"], 14, break_long_words=False, break_on_hyphens=False) or [""]
            lx, ly = at(a, _R + 16)
            if s["key"] in shared:        # the number of a shared item in a box, by the label
                number, kind = shared[s["key"]]
                bx, by = at(a, _R + 12)
                lx, ly = at(a, _R + 30)
                face = _SHARED_FACE if kind == "parallel" else "#ffffff"
                dash = "" if kind == "parallel" else ' stroke-dasharray="3 2"'
                g.append(f'<rect x="{_f(bx - 8)}" y="{_f(by - 8)}" width="16" height="16" rx="3" fill="{face}" '
                         f'stroke="{_SHARED_EDGE}" stroke-width="0.9"{dash}/>'
                         f'<text x="{_f(bx)}" y="{_f(by + 4)}" text-anchor="middle" font-size="10.5">{number}</text>')
            # vertical placement: above the top, below the bottom, centred at the sides
            line_h = 12.5
            if sy > 0.35:
                y0 = ly - line_h * (len(lines) - 1)
            elif sy < -0.35:
                y0 = ly + 9
            else:
                y0 = ly - line_h * (len(lines) - 1) / 2 + 4
            tspans = "".join(f'<tspan x="{_f(lx)}" y="{_f(y0 + line_h * i)}">{escape(t)}</tspan>'
                             for i, t in enumerate(lines))
            g.append(f'<text class="label" data-item="{escape(s["key"])}" text-anchor="{anchor}" font-size="11">'
                     f'{tspans}</text>')
        for r in rounds_shown:
            st = styles[r]
            d = data[(data["round"] == r) & (data["respondent"] == resp.id)]
            score = dict(zip(d["item"], d["score"]))
            points = [(a, s, score[s["key"]]) for a, s in zip(angles, spokes) if not np.isnan(score[s["key"]])]
            desc.append(f"{resp.label[lang]}, {round_name[r]}: " + "; ".join(
                f"{s['label']} {v:g}" for _, s, v in points) if points else f"{resp.label[lang]}, {round_name[r]}: -")
            if not points:
                continue
            xy = [at(a, radius(v)) for a, _, v in points]
            dash = _DASH[st["linestyle"]]
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            path = "M" + " L".join(f"{_f(x)},{_f(y)}" for x, y in xy) + " Z"
            g.append(f'<path class="round" data-round="{r}" d="{path}" fill="none" stroke="{st["color"]}" '
                     f'stroke-width="{st["linewidth"]}"{dash_attr} stroke-linejoin="round"/>')
            for (x, y), (_, s, v) in zip(xy, points):
                attrs = (f'data-respondent="{escape(resp.id)}" data-round="{r}" data-item="{escape(s["key"])}" '
                         f'data-score="{v:g}"')
                g.append(_marker(st["marker"], x, y, st["color"], st["filled"],
                                 f"{s['label']}: {v:g} ({round_name[r]})", attrs))
        g.append("</g>")
        body.extend(g)
    # legend and notes under the stars
    legend_y = _CY + _R + 92
    item_w = 130
    x0 = width / 2 - item_w * len(rounds_shown) / 2
    for j, r in enumerate(rounds_shown):
        st = styles[r]
        x = x0 + item_w * j
        dash = _DASH[st["linestyle"]]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        body.append(f'<line x1="{_f(x)}" y1="{_f(legend_y)}" x2="{_f(x + 36)}" y2="{_f(legend_y)}" stroke="{st["color"]}" '
                    f'stroke-width="{st["linewidth"]}"{dash_attr}/>')
        body.append(_marker(st["marker"], x + 18, legend_y, st["color"], st["filled"], round_name[r], f'data-round="{r}"', "legend"))
        body.append(f'<text x="{_f(x + 44)}" y="{_f(legend_y + 4)}" font-size="12">{escape(round_name[r])}</text>')
    notes = _star_notes(instrument, shared, {}, lang)
    for j, note in enumerate(notes):
        body.append(f'<text x="{_f(width / 2)}" y="{_f(legend_y + 26 + 15 * j)}" text-anchor="middle" font-size="11" '
                    f'fill="#404040">{escape(note)}</text>')
    description = ". ".join(desc + notes)
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{_H}" viewBox="0 0 {width} {_H}" '
            f'role="img" aria-labelledby="star-title star-desc" font-family="DejaVu Sans, Arial, sans-serif" '
            f'lang="{escape(lang)}">'
            f'<title id="star-title">{escape(title)}</title><desc id="star-desc">{escape(description)}</desc>'
            f'<rect width="100%" height="100%" fill="#ffffff"/>'
            f'<text x="{_f(width / 2)}" y="28" text-anchor="middle" font-size="20">{escape(title)}</text>')
    return head + "".join(body) + "</svg>\n"
