"""The FIP star (radar chart of a person's answers) and the one-page citizen card.

The star has one spoke per item, and the spokes are grouped by domain. Within a domain,
each respondent's items sit side by side, so parallel items are neighbours. Each respondent
and round is one closed line through that respondent's own spokes. Respondents differ by
marker and shade, and rounds differ by line style (dashed with open markers for the first
round shown, solid with filled markers for the last), so the chart reads in grey print.
``by="domain"`` draws one spoke per domain instead, at the mean of the respondent's items
in that domain. Items, domains, respondents, labels and the scale all come from the
instrument.

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
import textwrap
from collections.abc import Mapping, Sequence
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

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["TEXT", "card_html", "figure_bytes", "plot_star", "star_data"]

#: Interface text of the star and the card, per language (item texts come from the
#: instrument): section ``star`` of each message catalogue, configs/messages/<lang>.yaml.
TEXT: Mapping[str, Mapping[str, str]] = MappingProxyType({lang: section(lang, "star") for lang in languages()})
_MARKERS = ("o", "s", "^", "D", "v")
_SHADES = ("#1f3b73", "#b2451f", "#2e7d4f", "#6a3d9a", "#555555")


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


def _axes_spec(instrument: Instrument, by: str, lang: str) -> list[dict[str, Any]]:
    """Spokes in drawing order: ``key``, ``label``, ``domain``, ``respondent`` (None for domains)."""
    spokes = []
    for d in instrument.domains:
        if by == "domain":
            spokes.append({"key": d.id, "label": d.label[lang], "domain": d.id, "respondent": None})
            continue
        for r in instrument.respondent_ids:
            for it in instrument.items:
                if it.domain == d.id and it.respondent == r:
                    spokes.append({"key": it.id, "label": instrument.label(it.id, lang), "domain": d.id,
                                   "respondent": r})
    return spokes


def plot_star(
    measurements: pd.DataFrame,
    instrument: Instrument,
    person_id: str,
    *,
    rounds: Sequence[int] | None = None,
    lang: str = "da",
    by: str = "item",
    title: str | None = None,
) -> Figure:
    """Draw the FIP star of one person.

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
        One spoke per item grouped by domain (default), or one per domain (item mean).
    title : str, optional
        Default: "FIP-stjerne" / "FIP star" and the person id.

    Returns
    -------
    matplotlib Figure
        Made without pyplot (nothing to close). Render it with :func:`figure_bytes`
        (``figure_bytes(fig, "svg")``), which gives the same bytes for the same answers.
    """
    check_option("lang", lang, [x for x in instrument.label_languages if x in languages()])
    check_option("by", by, ("item", "domain"))
    data = star_data(measurements, instrument, person_id, rounds)
    text = section(lang, "star")
    spokes = _axes_spec(instrument, by, lang)
    n = len(spokes)
    angles = np.array([2 * math.pi * k / n for k in range(n)])
    lo, hi = instrument.scale.min, instrument.scale.max
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9.0, 10.0), dpi=100)
    ax = fig.add_subplot(projection="polar")
    ax.set_theta_offset(math.pi / 2)
    ax.set_theta_direction(-1)
    ax.set_ylim(lo - 1, hi + 0.01)
    ax.set_yticks(list(instrument.scale.values))
    ax.set_yticklabels([str(v) for v in instrument.scale.values], fontsize=7, color="0.35")
    ax.set_rlabel_position(180 / n)
    ax.set_xticks(angles)
    ax.set_xticklabels(["\n".join(textwrap.wrap(s["label"], 16, break_long_words=False)) for s in spokes], fontsize=7.5)
    ax.tick_params(axis="x", pad=8 if by == "item" else 14)
    ax.grid(color="0.8", linewidth=0.6)
    ax.spines["polar"].set_color("0.6")

    # domain sectors: alternate light shading and the domain name outside the ring
    if by == "item":
        width = 2 * math.pi / n
        domains = [s["domain"] for s in spokes]
        labels = {d.id: d.label[lang] for d in instrument.domains}
        start = 0
        for k in range(1, n + 1):
            if k == n or domains[k] != domains[start]:
                block = len(range(start, k))
                centre = angles[start] + width * (block - 1) / 2
                if len({d for d in domains[:start]}) % 2 == 0:
                    ax.bar(centre, hi + 0.01 - (lo - 1), width=width * block, bottom=lo - 1,
                           color="0.93", edgecolor="none", zorder=0)
                # in axes fractions: the polar disc has radius 0.5 around (0.5, 0.5)
                ax.text(0.5 + 0.71 * math.sin(centre), 0.5 + 0.71 * math.cos(centre),
                        "\n".join(textwrap.wrap(labels[domains[start]], 16)), transform=ax.transAxes,
                        ha="center", va="center", fontsize=8.5, fontweight="bold", color="0.15")
                start = k

    rounds_shown = sorted(data["round"].unique())
    for ri, r in enumerate(rounds_shown):
        last = ri == len(rounds_shown) - 1 and len(rounds_shown) > 1
        for k, resp in enumerate(instrument.respondent_ids):
            d = data[(data["round"] == r) & (data["respondent"] == resp)]
            if by == "domain":
                means = d.groupby("domain")["score"].mean()
                points = [(a, means.get(s["key"], np.nan)) for a, s in zip(angles, spokes)]
            else:
                score = dict(zip(d["item"], d["score"]))
                points = [(a, score[s["key"]]) for a, s in zip(angles, spokes) if s["respondent"] == resp]
            points = [(a, v) for a, v in points if not np.isnan(v)]
            if not points:
                continue
            th = [a for a, _ in points] + [points[0][0]]
            rv = [v for _, v in points] + [points[0][1]]
            colour = _SHADES[k % len(_SHADES)]
            label = f"{instrument.respondents[k].label[lang]}, {text['round'].format(r=r)}"
            ax.plot(th, rv, color=colour, linestyle="-" if last or len(rounds_shown) == 1 else "--",
                    linewidth=2.2 if last else 1.4, marker=_MARKERS[k % len(_MARKERS)],
                    markersize=6 if last else 5, markerfacecolor=colour if last else "white",
                    markeredgecolor=colour, label=label, zorder=3 + ri)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=2, frameon=False, fontsize=9)
    fig.suptitle(title if title is not None else f"{text['star']} – {text['person'].lower()} {data['person_id'].iloc[0]}",
                 fontsize=13, y=0.98)
    fig.text(0.5, 0.015, text["scale"].format(lo=lo, hi=hi), ha="center", fontsize=8, color="0.35")
    fig.subplots_adjust(left=0.2, right=0.8, top=0.8, bottom=0.26)
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


_CARD = Template("""<!DOCTYPE html>
<html lang="$lang"><head><meta charset="utf-8">
<title>$title</title>
<style>
@page { size: A4; margin: 14mm; }
body { font-family: "DejaVu Sans", Arial, sans-serif; color: #111; max-width: 180mm; margin: 0 auto; font-size: 11pt; }
h1 { font-size: 17pt; margin: 0 0 2mm 0; }
.meta { color: #444; font-size: 9.5pt; margin-bottom: 3mm; }
.star { text-align: center; }
.star img { width: 100%; max-width: 172mm; }
.chance { border: 1.5pt solid #333; border-radius: 3mm; padding: 3mm 5mm; margin-top: 2mm; }
.chance h2 { font-size: 12.5pt; margin: 0 0 1.5mm 0; }
.big { font-size: 13pt; font-weight: bold; }
.band { font-weight: bold; text-transform: uppercase; letter-spacing: 0.05em; }
ul { margin: 1mm 0 0 0; padding-left: 5mm; }
.caveat { color: #444; font-size: 8.5pt; margin-top: 2.5mm; }
</style></head>
<body>
<h1>$title</h1>
<div class="meta">$person_word: $person_id &nbsp;·&nbsp; $measured_word: $measured</div>
<div class="star"><img alt="$star_word" src="data:image/png;base64,$png"></div>
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
) -> str:
    """One-page citizen card: the FIP star and the job-chance indicator in plain words.

    Parameters
    ----------
    measurements, instrument, person_id, rounds, lang
        As for :func:`plot_star`.
    score_row : mapping or Series, optional
        The person's row of :func:`fip.predict.score` (``probability``, ``band``,
        ``ci_low``, ``ci_high``, ``model``, ``item_k`` and ``item_k_contribution``).
        Without it the card shows the star only.

    Returns
    -------
    str
        A self-contained HTML page (no external files; the star is an embedded PNG). Write
        it with :func:`fip._atomic.atomic_write_text`.
    """
    text = section(check_option("lang", lang, [x for x in instrument.label_languages if x in languages()]), "star")
    pid = _check_person(person_id)
    fig = plot_star(measurements, instrument, pid, rounds=rounds, lang=lang)
    png = base64.b64encode(figure_bytes(fig, "png", dpi=110)).decode("ascii")
    m = measurements[measurements["person_id"].astype("str") == pid].sort_values("round")
    shown = star_data(measurements, instrument, pid, rounds)["round"].unique()
    measured = ", ".join(f"{text['round'].format(r=int(r))}: {m.loc[m['round'] == r, 'month'].iloc[0]}"
                         for r in shown if "month" in m.columns)
    band = model_word = ""
    if score_row is None:
        body = f"<p>{html.escape(text['no_score'])}</p>"
    else:
        row = dict(score_row)
        if str(row.get("person_id", pid)) != pid:
            raise FipError("score_row belongs to another person")
        sentence, rng = _in_words(float(row["probability"]), row.get("ci_low"), row.get("ci_high"), text)
        band = text.get(f"band_{row.get('band')}", str(row.get("band", "")))
        model_word = text.get(f"model_{row.get('model')}", "")
        ups, downs = [], []
        for k in range(1, 4):
            item, c = row.get(f"item_{k}"), row.get(f"item_{k}_contribution")
            if item is None or c is None or pd.isna(c) or c == 0:
                continue
            (ups if c > 0 else downs).append(html.escape(instrument.label(str(item), lang)))
        lines = [f"<p class=\"big\">{html.escape(sentence)}</p>"]
        if rng:
            lines.append(f"<p>{html.escape(rng)}</p>")
        items = []
        if ups:
            items.append(f"<li>{html.escape(text['up'])}: {', '.join(ups)}</li>")
        if downs:
            items.append(f"<li>{html.escape(text['down'])}: {', '.join(downs)}</li>")
        if items:
            lines.append("<ul>" + "".join(items) + "</ul>")
        body = "\n".join(lines)
    return _CARD.substitute(
        lang=lang, title=html.escape(text["card"]), person_word=html.escape(text["person"]),
        person_id=html.escape(pid), measured_word=html.escape(text["measured"]), measured=html.escape(measured),
        star_word=html.escape(text["star"]), png=png, chance_word=html.escape(text["chance"]),
        band=html.escape(band), model_word=html.escape(model_word), body=body, caveat=html.escape(text["caveat"]),
    )
