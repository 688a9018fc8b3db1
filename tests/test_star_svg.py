"""fip.star_svg draws the star fip.star.plot_star draws: the same values per respondent, round
and item, the same round styles, titles and item labels; accessible (title, desc with every
value, text as text) and escaped."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pytest

from fip.data import pair_forms
from fip.messages import section
from fip.simulate import simulate_cohort
from fip.star import _axes_spec, plot_star
from fip.star_svg import star_svg

NS = {"s": "http://www.w3.org/2000/svg"}


@pytest.fixture(scope="module")
def cohort():
    ds = simulate_cohort(200, seed=5)
    return ds, pair_forms(ds).measurements


def people(m):
    two = m.loc[m["round"] >= 2, "person_id"].iloc[0]
    one = m.groupby("person_id")["round"].max()
    return [two, one[one == 1].index[0]]


def mpl_points(fig, inst, lang):
    """(respondent, round label, item, score) of every plotted point of plot_star's figure."""
    out = set()
    resps = [r for r in inst.respondents if any(it.respondent == r.id for it in inst.items)]
    for ax, resp in zip(fig.axes, resps):
        spokes = _axes_spec(inst, "item", lang, resp.id)
        n = len(spokes)
        for line in ax.lines:
            if line.get_label().startswith("_"):
                continue
            th, r = line.get_xdata()[:-1], line.get_ydata()[:-1]
            for t, v in zip(th, r):
                out.add((resp.id, line.get_label(), spokes[round(t / (2 * math.pi / n)) % n]["key"], float(v)))
    return out


def svg_points(root, names):
    return {(g.get("data-respondent"), names[int(g.get("data-round"))], g.get("data-item"), float(g.get("data-score")))
            for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "point"}


@pytest.mark.parametrize("lang", ["da", "en"])
def test_same_values_styles_and_labels_as_plot_star(cohort, lang):
    ds, m = cohort
    inst = ds.instrument
    for pid in people(m):
        fig = plot_star(m, inst, pid, lang=lang, title="T")
        text = star_svg(m, inst, pid, lang=lang, title="T")
        root = ET.fromstring(text)
        rounds = sorted(int(r) for r in m.loc[m["person_id"] == pid, "round"].unique())[:2]
        names = {r: section(lang, "star")["round"].format(r=r) for r in rounds}
        want = mpl_points(fig, inst, lang)
        assert len(want) >= 11 * len(rounds)
        assert svg_points(root, names) == want
        # round styles: the same colour and dash as the matplotlib lines
        paths = {p.get("data-round"): p for p in root.iter("{http://www.w3.org/2000/svg}path") if p.get("class") == "round"}
        for line in fig.axes[0].lines:
            if line.get_label().startswith("_"):
                continue
            r = next(k for k, v in names.items() if v == line.get_label())
            p = paths[str(r)]
            assert p.get("stroke") == line.get_color()
            assert (p.get("stroke-dasharray") is not None) == (line.get_linestyle() != "-")
        # titles and item labels
        titles = [ax.get_title() for ax in fig.axes]
        star_titles = [g.find("s:text", NS).text for g in root.iter("{http://www.w3.org/2000/svg}g")
                       if g.get("class") == "star"]
        assert star_titles == titles
        fold = lambda s: re.sub(r"\s+", " ", s).strip()  # noqa: E731
        mpl_labels = {fold(re.sub(r"^\d+\s+", "", t.get_text())) for ax in fig.axes for t in ax.texts}
        svg_labels = {fold(" ".join(ts.text for ts in t)) for t in root.iter("{http://www.w3.org/2000/svg}text")
                      if t.get("class") == "label"}
        assert svg_labels == mpl_labels


def test_accessible_and_escaped(cohort):
    ds, m = cohort
    pid = people(m)[0]
    text = star_svg(m, ds.instrument, pid, lang="en", title="<script>alert(1)</script>")
    assert "<script>" not in text and "&lt;script&gt;" in text
    root = ET.fromstring(text)
    assert root.get("role") == "img"
    desc = root.find("s:desc", NS).text
    row = m[(m["person_id"] == pid) & (m["round"] == 1)].iloc[0]
    assert f"{ds.instrument.label('c01', 'en')} {row['c01']:g}" in desc
    assert pid not in text                                          # no person id unless in the title
    assert star_svg(m, ds.instrument, pid, lang="en") == star_svg(m, ds.instrument, pid, lang="en")
