"""The FIP star (radar chart of a person's answers) and the one-page citizen card.

The star is drawn as caseworkers know it: one star per form, side by side (citizen,
caseworker), each with one spoke per item of its form, grouped by domain, so every label
appears once. Items asked in both forms (``parallel_items`` of the instrument) carry the
same number in a filled box (a dashed box for a loose pair). Rounds are lines: the last
round red and solid, the one before blue and dashed, earlier ones grey and dotted, with
different markers, so the chart reads in grey print. Given the smallest detectable change
per item, a change beyond it is marked ▲/▼. ``by="domain"`` draws one spoke per domain
instead, at the mean of the respondent's items in that domain. Items, domains,
respondents, labels and the scale all come from the instrument.

The citizen card is a self-contained HTML page. It holds the star as a base64 PNG and the
job-chance indicator in plain words, with its range. It shows no identifier other than the
pseudonymous ``person_id``, and it refuses ids that look like a CPR number.

Examples
--------
>>> from fip.simulate import simulate_cohort
>>> from fip.data import pair_forms
>>> ds = simulate_cohort(300, seed=1)
>>> m = pair_forms(ds).measurements
>>> d = star_data(m, ds.instrument, m["person_id"].iloc[0])
>>> list(d.columns)
['person_id', 'round', 'respondent', 'domain', 'item', 'score']
"""

from __future__ import annotations

import base64
import html
import math
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from string import Template
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from fip._figures import figure_bytes
from fip._options import check_option
from fip.errors import FipError
from fip.instrument import Instrument
from fip.messages import languages, section
from fip.personal import has_cpr
from fip.translation import direction

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["TEXT", "ChanceWords", "card_html", "chance_words", "figure_bytes", "plot_star", "shared_items",
           "star_data"]

#: Interface text of the star and the card, per language (item texts come from the
#: instrument): section ``star`` of each message catalogue, configs/messages/<lang>.yaml.
TEXT: Mapping[str, Mapping[str, str]] = MappingProxyType({lang: section(lang, "star") for lang in languages()})


def _check_person(person_id: str) -> str:
    pid = str(person_id)
    if has_cpr(pid):
        raise FipError("the person id looks like a CPR number; the star and card use pseudonymous ids only")
    return pid


def star_data(
    measurements: pd.DataFrame, instrument: Instrument, person_id: str, rounds: Sequence[int] | None = None
) -> pd.DataFrame:
    """A person's answers in long form: ``person_id``, ``round``, ``respondent``, ``domain``,
    ``item``, ``score`` (float, NaN if not answered), in instrument order.

    ``rounds`` defaults to the person's first two rounds (only round 1 if there is one).

    Raises
    ------
    FipError
        Unknown person, or none of ``rounds`` measured.
    """
    pid = _check_person(person_id)
    m = measurements[measurements["person_id"].astype("str") == pid]
    if m.empty:
        raise FipError(f"no measurements for person {pid!r}")
    have = sorted(int(r) for r in m["round"].unique())
    rounds = have[:2] if rounds is None else [int(r) for r in rounds if int(r) in have]
    if not rounds:
        raise FipError(f"person {pid!r} has none of the requested rounds (has rounds {have})")
    rows = []
    for r in rounds:
        row = m[m["round"] == r].iloc[0]
        for it in instrument.items:
            v = row[it.id] if it.id in row.index else pd.NA
            rows.append({"person_id": pid, "round": r, "respondent": it.respondent, "domain": it.domain,
                         "item": it.id, "score": float("nan") if pd.isna(v) else float(v)})
    return pd.DataFrame(rows)


def _axes_spec(instrument: Instrument, by: str, lang: str, respondent: str) -> list[dict[str, Any]]:
    """Spokes of one respondent's star in drawing order: ``key``, ``label``, ``domain``.

    ``by="item"``: the respondent's own items, grouped by domain in instrument order.
    ``by="domain"``: every domain of the instrument (the same spokes on each star).
    """
    if by == "domain":
        return [{"key": d.id, "label": d.label[lang], "domain": d.id} for d in instrument.domains]
    return [{"key": it.id, "label": instrument.label(it.id, lang), "domain": d.id}
            for d in instrument.domains for it in instrument.items
            if it.domain == d.id and it.respondent == respondent]


def shared_items(instrument: Instrument) -> dict[str, tuple[int, str]]:
    """Items asked of more than one respondent: item id -> (group number from 1, kind).

    Groups are numbered in the order of ``parallel_items`` in the instrument file; ``kind``
    is ``"parallel"`` (the same question) or ``"loose"`` (a related question).

    Examples
    --------
    >>> from fip.instrument import load_instrument
    >>> shared_items(load_instrument())["w01"]
    (1, 'parallel')
    """
    out: dict[str, tuple[int, str]] = {}
    for k, group in enumerate(instrument.parallel, start=1):
        for it in group.items:
            out[it] = (k, group.kind)
    return out


#: Line style of a round by its place among the rounds shown: the last round red and solid
#: with filled squares, the one before it blue and dashed with open circles, any earlier
#: one grey and dotted with open triangles. One round alone is blue, solid. Colour, dash and marker
#: each tell the rounds apart, so the star reads in grey print.
_ROUND_STYLE = {
    "last": {"color": "#c0392b", "linestyle": "-", "marker": "s", "linewidth": 2.3, "filled": True},
    "previous": {"color": "#1f5fae", "linestyle": "--", "marker": "o", "linewidth": 1.7, "filled": False},
    "earlier": {"color": "#8c8c8c", "linestyle": ":", "marker": "^", "linewidth": 1.5, "filled": False},
}
_SHARED_FACE, _SHARED_EDGE = "#ffe8a3", "#8a6d00"


def _round_styles(rounds: Sequence[int]) -> dict[int, Mapping[str, Any]]:
    rounds = list(rounds)
    if len(rounds) == 1:  # blue, but solid and filled: nothing to tell it from
        return {rounds[0]: {**_ROUND_STYLE["previous"], "linestyle": "-", "filled": True}}
    out = {r: _ROUND_STYLE["earlier"] for r in rounds[:-2]}
    out[rounds[-2]] = _ROUND_STYLE["previous"]
    out[rounds[-1]] = _ROUND_STYLE["last"]
    return out


def _beyond(data: pd.DataFrame, rounds: Sequence[int], smallest_change: Mapping[str, float] | None) -> dict[str, int]:
    """Items whose change from the second-last to the last round shown exceeds its
    smallest detectable change: item -> +1 (better) or -1 (worse)."""
    if not smallest_change or len(rounds) < 2:
        return {}
    a = data[data["round"] == rounds[-2]].set_index("item")["score"]
    b = data[data["round"] == rounds[-1]].set_index("item")["score"]
    out = {}
    for item, sdc in smallest_change.items():
        if item in a.index and item in b.index and sdc is not None and not pd.isna(sdc):
            change = b[item] - a[item]
            if not pd.isna(change) and abs(change) > float(sdc):
                out[str(item)] = 1 if change > 0 else -1
    return out


def _star_notes(instrument: Instrument, shared: Mapping[str, tuple[int, str]], beyond: Mapping[str, int],
                lang: str) -> list[str]:
    """Lines explaining the star's marks: the scale, shared items, SDC marks."""
    text, view = section(lang, "star"), section(lang, "star_view")
    notes = [text["scale"].format(lo=instrument.scale.min, hi=instrument.scale.max)]
    if shared:
        notes.append(view["shared"])
        if any(kind == "loose" for _, kind in shared.values()):
            notes.append(view["loose"])
    if beyond:
        notes.append(view["beyond"])
    return notes


def plot_star(
    measurements: pd.DataFrame,
    instrument: Instrument,
    person_id: str,
    *,
    rounds: Sequence[int] | None = None,
    lang: str = "da",
    by: str = "item",
    title: str | None = None,
    smallest_change: Mapping[str, float] | None = None,
    _card: bool = False,
) -> Figure:
    """Draw the FIP star of one person: one star per form, side by side.

    Each respondent of the instrument (citizen, caseworker) gets a star of its own with one
    spoke per item of its form, so every item label appears once. Items asked in both forms
    (``parallel_items`` of the instrument) carry the same number in a filled box (a dashed
    box for ``kind: loose``). Rounds are lines: the last round shown red and solid, the one
    before blue and dashed, earlier ones grey and dotted (markers differ too, for grey print).

    Parameters
    ----------
    measurements : DataFrame
        ``Pairing.measurements`` (one row per person and round with the item columns).
    instrument : Instrument
    person_id : str
        Pseudonymous id (an id that looks like a CPR number is refused).
    rounds : sequence of int, optional
        Rounds to draw (default the first two the person has).
    lang : str
        Label language, ``"da"`` (default) or ``"en"`` (any instrument label language with
        a message catalogue, :mod:`fip.messages`).
    by : {"item", "domain"}
        One spoke per item of the form, grouped by domain (default), or one spoke per domain
        of the instrument (the mean of the respondent's items there; a domain without
        items of that respondent is skipped by its line).
    title : str, optional
        Default: "FIP-stjerne" / "FIP star" and the person id.
    smallest_change : mapping item id -> float, optional
        Smallest detectable change of each item, in scale points (from the validity
        analysis). An item whose change from the second-last to the last round shown is
        larger gets ▲ (better) or ▼ (worse) beside its label and a ring on its point.

    Returns
    -------
    matplotlib Figure
        Made without pyplot (nothing to close), one polar axes per respondent. Render it
        with :func:`figure_bytes` (``figure_bytes(fig, "svg")``), which gives the same bytes
        for the same answers.

    Examples
    --------
    >>> from fip.simulate import simulate_cohort
    >>> from fip.data import pair_forms
    >>> ds = simulate_cohort(300, seed=1)
    >>> m = pair_forms(ds).measurements
    >>> fig = plot_star(m, ds.instrument, m["person_id"].iloc[0], lang="en")
    >>> [ax.get_title() for ax in fig.axes]
    ['Citizen', 'Caseworker']
    """
    check_option("lang", lang, [x for x in instrument.label_languages if x in languages()])
    check_option("by", by, ("item", "domain"))
    data = star_data(measurements, instrument, person_id, rounds)
    text, view = section(lang, "star"), section(lang, "star_view")
    lo, hi = instrument.scale.min, instrument.scale.max
    rounds_shown = [int(r) for r in sorted(data["round"].unique())]
    styles = _round_styles(rounds_shown)
    shared = shared_items(instrument) if by == "item" else {}
    beyond = _beyond(data, rounds_shown, smallest_change) if by == "item" else {}
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    resps = [r for r in instrument.respondents if by == "domain" or any(it.respondent == r.id for it in instrument.items)]
    # the card's figure is narrower, so that its labels print larger on A4
    fig = Figure(figsize=(4.6 * len(resps), 4.4) if _card else (5.6 * len(resps), 6.2), dpi=100)
    label_size, wrap = (8.0, 12) if _card else (8.5, 14)
    top_lines: list[int] = []
    for k, resp in enumerate(resps):
        spokes = _axes_spec(instrument, by, lang, resp.id)
        n = len(spokes)
        angles = np.array([2 * math.pi * j / n for j in range(n)])
        ax = fig.add_subplot(1, len(resps), k + 1, projection="polar")
        ax.set_theta_offset(math.pi / 2)
        ax.set_theta_direction(-1)
        ax.set_ylim(lo - 1, hi + 0.01)
        ax.set_yticks(list(instrument.scale.values))
        ax.set_yticklabels([str(v) for v in instrument.scale.values], fontsize=7, color="0.35")
        ax.set_rlabel_position(180 / n)
        ax.set_xticks(angles)
        labels = []
        for s in spokes:
            label = "\n".join(textwrap.wrap(s["label"], wrap, break_long_words=False, break_on_hyphens=False))
            if s["key"] in shared:
                label = f"{shared[s['key']][0]}  {label}"
            if s["key"] in beyond:
                label = f"{label} {'▲' if beyond[s['key']] > 0 else '▼'}"
            labels.append(label)
        # spoke labels placed by hand: anchored on their inner side, so no label covers the ring
        ax.set_xticklabels([])
        for s, a, label in zip(spokes, angles, labels):
            x, y = math.sin(a), math.cos(a)
            t = ax.text(a, hi + 0.55, label, fontsize=label_size, clip_on=False, linespacing=1.1,
                        ha="center" if abs(x) < 0.2 else ("left" if x > 0 else "right"),
                        va="center" if abs(y) < 0.35 else ("bottom" if y > 0 else "top"),
                        fontweight="bold" if s["key"] in beyond else "normal")
            if s["key"] in shared:
                kind = shared[s["key"]][1]
                t.set_bbox({"boxstyle": "round,pad=0.25", "linewidth": 0.9,
                            "facecolor": _SHARED_FACE if kind == "parallel" else "white",
                            "edgecolor": _SHARED_EDGE, "linestyle": "-" if kind == "parallel" else "--"})
        ax.grid(color="0.8", linewidth=0.6)
        ax.spines["polar"].set_color("0.6")
        top_lines.append(labels[0].count("\n") + 1 if labels else 1)
        # domains: alternate light shading of the sectors of a domain's spokes
        if by == "item":
            width = 2 * math.pi / n
            domains = [s["domain"] for s in spokes]
            start, block_no = 0, 0
            for j in range(1, n + 1):
                if j == n or domains[j] != domains[start]:
                    if block_no % 2 == 0:
                        centre = angles[start] + width * (j - start - 1) / 2
                        ax.bar(centre, hi + 0.01 - (lo - 1), width=width * (j - start), bottom=lo - 1,
                               color="0.93", edgecolor="none", zorder=0)
                    start, block_no = j, block_no + 1
        for ri, r in enumerate(rounds_shown):
            st = styles[r]
            d = data[(data["round"] == r) & (data["respondent"] == resp.id)]
            if by == "domain":
                means = d.groupby("domain")["score"].mean()
                points = [(a, means.get(s["key"], np.nan)) for a, s in zip(angles, spokes)]
            else:
                score = dict(zip(d["item"], d["score"]))
                points = [(a, score[s["key"]]) for a, s in zip(angles, spokes)]
            points = [(a, v) for a, v in points if not np.isnan(v)]
            if not points:
                continue
            th = [a for a, _ in points] + [points[0][0]]
            rv = [v for _, v in points] + [points[0][1]]
            ax.plot(th, rv, color=st["color"], linestyle=st["linestyle"], linewidth=st["linewidth"],
                    marker=st["marker"], markersize=6, markerfacecolor=st["color"] if st["filled"] else "white",
                    markeredgecolor=st["color"], label=text["round"].format(r=r), zorder=3 + ri)
            if r == rounds_shown[-1] and beyond:
                ring = [(a, score[s["key"]]) for a, s in zip(angles, spokes)
                        if s["key"] in beyond and not np.isnan(score[s["key"]])]
                if ring:
                    ax.plot([a for a, _ in ring], [v for _, v in ring], linestyle="none", marker="o",
                            markersize=13, markerfacecolor="none", markeredgecolor="black",
                            markeredgewidth=1.3, zorder=10, label="_beyond")
    for ax, resp in zip(fig.axes, resps):  # titles in one row, clear of the top spokes' labels
        ax.set_title(resp.label[lang], fontsize=12, fontweight="bold", pad=14 + 11 * max(top_lines))
    handles = [Line2D([], [], color=styles[r]["color"], linestyle=styles[r]["linestyle"],
                      linewidth=styles[r]["linewidth"], marker=styles[r]["marker"], markersize=6,
                      markerfacecolor=styles[r]["color"] if styles[r]["filled"] else "white",
                      markeredgecolor=styles[r]["color"]) for r in rounds_shown]
    if _card:  # the card prints its own title and the notes in HTML, at full size
        fig.legend(handles, [text["round"].format(r=r) for r in rounds_shown], loc="lower center",
                   bbox_to_anchor=(0.5, 0.0), ncol=len(rounds_shown), frameon=False, fontsize=10)
        fig.subplots_adjust(left=0.14, right=0.86, top=0.84, bottom=0.14, wspace=0.85)
        return fig
    fig.legend(handles, [text["round"].format(r=r) for r in rounds_shown], loc="lower center",
               bbox_to_anchor=(0.5, 0.115), ncol=len(rounds_shown), frameon=False, fontsize=10)
    fig.text(0.5, 0.015, "\n".join(_star_notes(instrument, shared, beyond, lang)), ha="center", va="bottom",
             fontsize=8.5, color="0.25", linespacing=1.5)
    fig.suptitle(title if title is not None else f"{text['star']} – {text['person'].lower()} {data['person_id'].iloc[0]}",
                 fontsize=14, y=0.975)
    fig.subplots_adjust(left=0.13, right=0.87, top=0.8, bottom=0.27, wspace=0.9)
    return fig


def _in_words(p: float, lo: float | None, hi: float | None, text: Mapping[str, str]) -> tuple[str, str]:
    """'about k in d' sentence and range for a probability (per 10, or per 100 below 10 %)."""
    d = 10 if p >= 0.095 else 100
    k = max(1, int(round(p * d)))
    sentence = text["sentence"].format(k=k, d=d)
    rng = ""
    if lo is not None and hi is not None and not (math.isnan(lo) or math.isnan(hi)):
        a, b = int(math.floor(lo * d)), int(math.ceil(hi * d))
        rng = text["range"].format(lo=a, hi=max(b, a), d=d)
    return sentence, rng


_WINDOW = re.compile(r"(\d+) months after round (\d+)")


def _window_text(window: Any, lang: str) -> str:
    """A score row's ``window`` (``"6 months after round 1"``, as :func:`fip.predict.score`
    writes it) in the card's language; "" when absent or not of that form."""
    match = _WINDOW.fullmatch(window.strip()) if isinstance(window, str) else None
    if match is None:
        return ""
    months, r = (int(g) for g in match.groups())
    view = section(lang, "star_view")
    where = view.get(f"window_anchor_{r}") or view["window_anchor_n"].format(r=r)
    return view["window"].format(months=months, anchor=where)


@dataclass(frozen=True)
class ChanceWords:
    """One score row's job chance in plain words, as the card and the service's citizen page show it.

    ``range`` holds the range and the sentence saying what it means ("" without an interval);
    ``window`` the model's window ("" when the row has none); ``caveat`` the caveat, without
    its old window sentence when the window is shown.
    """

    sentence: str
    range: str
    window: str
    caveat: str
    band: str
    model: str


def chance_words(row: Mapping[str, Any], lang: str) -> ChanceWords:
    """The words of a :func:`fip.predict.score` row in language ``lang``.

    Examples
    --------
    >>> w = chance_words({"probability": 0.31, "ci_low": 0.2, "ci_high": 0.45, "band": "high",
    ...                   "model": "intake", "window": "6 months after round 1"}, "en")
    >>> w.sentence, w.window
    ('About 3 in 10 people with answers like these had a job within 6 months.', 'A job within 6 months after the 1st measurement.')
    """
    text, view = section(lang, "star"), section(lang, "star_view")
    sentence, rng = _in_words(float(row["probability"]), row.get("ci_low"), row.get("ci_high"), text)
    window = _window_text(row.get("window"), lang)
    caveat = text["caveat"].replace(view["caveat_window"], "").strip() if window else text["caveat"]
    return ChanceWords(sentence=sentence, range=f"{rng} {view['range_meaning']}" if rng else "", window=window,
                       caveat=caveat, band=text.get(f"band_{row.get('band')}", str(row.get("band", ""))),
                       model=text.get(f"model_{row.get('model')}", ""))


_CARD = Template("""<!DOCTYPE html>
<html lang="$lang" dir="$dir"><head><meta charset="utf-8">
<title>$title</title>
<style>
@page { size: A4 portrait; margin: 12mm 13mm; }
html, body { margin: 0; padding: 0; }
body { font-family: "DejaVu Sans", Arial, sans-serif; color: #111; max-width: 184mm; margin: 0 auto; font-size: 10.5pt; }
h1 { font-size: 16pt; margin: 0 0 1.5mm 0; }
.meta { color: #444; font-size: 9pt; margin-bottom: 2mm; }
.star { text-align: center; break-inside: avoid; page-break-inside: avoid; }
.star img { width: 100%; max-width: 184mm; max-height: 150mm; object-fit: contain; }
.notes { color: #333; font-size: 8.5pt; text-align: start; margin: 0 0 1mm 0; }
.notice { border: 1pt solid #a60; background: #fff4e0; padding: 1.5mm 3mm; margin: 0 0 2mm 0; font-size: 9.5pt; }
.chance { border: 1.5pt solid #333; border-radius: 3mm; padding: 2.5mm 5mm; margin-top: 2mm;
          break-inside: avoid; page-break-inside: avoid; }
.chance h2 { font-size: 12pt; margin: 0 0 1.5mm 0; }
.chance p { margin: 1mm 0; }
.big { font-size: 12.5pt; font-weight: bold; }
.band { font-weight: bold; text-transform: uppercase; letter-spacing: 0.05em; }
.window { font-weight: bold; }
ol { margin: 1mm 0 0 0; padding-inline-start: 6mm; }
.caveat { color: #444; font-size: 8.5pt; margin-top: 2mm; }
@media print { body { max-width: none; } }
</style></head>
<body>
<h1>$title – $star_word</h1>
<div class="meta">$person_word: $person_id &nbsp;·&nbsp; $measured_word: $measured</div>
$notice<div class="star"><img alt="$star_word" src="data:image/png;base64,$png"><div class="notes">$notes</div></div>
<div class="chance">
<h2>$chance_word: <span class="band">$band</span> <small>($model_word)</small></h2>
$body
<div class="caveat">$caveat</div>
</div>
</body></html>
""")


def card_html(
    measurements: pd.DataFrame,
    instrument: Instrument,
    person_id: str,
    score_row: Mapping[str, Any] | pd.Series | None = None,
    *,
    lang: str = "da",
    rounds: Sequence[int] | None = None,
    smallest_change: Mapping[str, float] | None = None,
    notice: str = "",
) -> str:
    """One-page citizen card: the FIP star and the job-chance indicator in plain words.

    The card holds the star (both forms side by side), the chance in words with its range,
    the outcome window when the score row carries one, the three items that move the
    chance most (largest absolute contribution first, each with its direction) and a
    caveat. Its print CSS (A4, no box split across pages) makes it one A4 page in Chromium.

    Parameters
    ----------
    measurements, instrument, person_id, rounds, lang, smallest_change
        As for :func:`plot_star`.
    score_row : mapping or Series, optional
        The person's row of :func:`fip.predict.score` (``probability``, ``band``,
        ``ci_low``, ``ci_high``, ``model``, ``item_k`` and ``item_k_contribution``, and
        ``window`` if the model provides one, see :func:`_window_text`). Without it the
        card shows the star only.
    notice : str, optional
        A line shown under the title (escaped), e.g. that the card is not in the citizen's
        language.

    Returns
    -------
    str
        A self-contained HTML page (no external files; the star is an embedded PNG), laid out
        right to left (``dir="rtl"``) when ``lang`` is a right-to-left language
        (``configs/languages.yaml``). Write it with :func:`fip._atomic.atomic_write_text`.

    Examples
    --------
    >>> from fip.simulate import simulate_cohort
    >>> from fip.data import pair_forms
    >>> ds = simulate_cohort(300, seed=1)
    >>> m = pair_forms(ds).measurements
    >>> page = card_html(m, ds.instrument, m["person_id"].iloc[0], {"probability": 0.3}, lang="en")
    >>> "About 3 in 10 people" in page
    True
    """
    text = section(check_option("lang", lang, [x for x in instrument.label_languages if x in languages()]), "star")
    view = section(lang, "star_view")
    pid = _check_person(person_id)
    fig = plot_star(measurements, instrument, pid, rounds=rounds, lang=lang, smallest_change=smallest_change,
                    _card=True)
    png = base64.b64encode(figure_bytes(fig, "png", dpi=150)).decode("ascii")
    data = star_data(measurements, instrument, pid, rounds)
    shown_rounds = [int(r) for r in sorted(data["round"].unique())]
    notes = _star_notes(instrument, shared_items(instrument), _beyond(data, shown_rounds, smallest_change), lang)
    m = measurements[measurements["person_id"].astype("str") == pid].sort_values("round")
    shown = data["round"].unique()
    measured = ", ".join(f"{text['round'].format(r=int(r))}: {m.loc[m['round'] == r, 'month'].iloc[0]}"
                         for r in shown if "month" in m.columns)
    band = model_word = ""
    caveat = text["caveat"]
    if score_row is None:
        body = f"<p>{html.escape(text['no_score'])}</p>"
    else:
        row = dict(score_row)
        if str(row.get("person_id", pid)) != pid:
            raise FipError("score_row belongs to another person")
        words = chance_words(row, lang)
        band, model_word, caveat = words.band, words.model, words.caveat
        moves = []
        for k in range(1, 4):
            item, c = row.get(f"item_{k}"), row.get(f"item_{k}_contribution")
            if item is None or c is None or pd.isna(c) or c == 0:
                continue
            moves.append((abs(float(c)), html.escape(instrument.label(str(item), lang)),
                          view["moves_up"] if c > 0 else view["moves_down"]))
        moves.sort(key=lambda t: -t[0])
        lines = [f"<p class=\"big\">{html.escape(words.sentence)}</p>"]
        if words.range:
            lines.append(f"<p>{html.escape(words.range)}</p>")
        if words.window:
            lines.append(f"<p class=\"window\">{html.escape(words.window)}</p>")
        if moves:
            lines.append(f"<p>{html.escape(view['moves'])}:</p><ol>"
                         + "".join(f"<li>{label} ({html.escape(way)})</li>" for _, label, way in moves) + "</ol>")
        body = "\n".join(lines)
    return _CARD.substitute(
        lang=lang, dir=direction(lang), title=html.escape(text["card"]), person_word=html.escape(text["person"]),
        person_id=html.escape(pid), measured_word=html.escape(text["measured"]), measured=html.escape(measured),
        star_word=html.escape(text["star"]), png=png, chance_word=html.escape(text["chance"]),
        band=html.escape(band), model_word=html.escape(model_word), body=body, caveat=html.escape(caveat),
        notes="<br>".join(html.escape(x) for x in notes),
        notice=f'<p class="notice" id="card-notice">{html.escape(notice)}</p>\n' if notice else "",
    )
