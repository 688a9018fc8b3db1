"""Tests of fip.star: star data, the radar figure and the citizen card."""

from __future__ import annotations

import base64
import re

import numpy as np
import pandas as pd
import pytest

from fip.data import pair_forms
from fip.errors import FipError
from fip.instrument import load_instrument
from fip.simulate import simulate_cohort
from fip.star import card_html, figure_bytes, plot_star, star_data

THREE = "tests/data/instrument_three_raters.yaml"


@pytest.fixture(scope="module")
def cohort():
    ds = simulate_cohort(400, seed=5)
    m = pair_forms(ds).measurements
    last = m.groupby("person_id")["round"].max()
    return ds, m, str(last[last >= 2].index[0])


def test_star_data_matches_measurements(cohort):
    ds, m, pid = cohort
    d = star_data(m, ds.instrument, pid)
    assert sorted(d["round"].unique()) == [1, 2]
    assert len(d) == 2 * len(ds.instrument.items)
    row = m[(m["person_id"] == pid) & (m["round"] == 2)].iloc[0]
    for item in ds.instrument.item_ids():
        assert d.query("round == 2 and item == @item")["score"].iloc[0] == float(row[item])


def test_star_lines_follow_the_instrument(cohort):
    ds, m, pid = cohort
    inst = ds.instrument
    fig = plot_star(m, inst, pid)
    ax = fig.axes[0]
    lines = [ln for ln in ax.get_lines() if ln.get_label() and not ln.get_label().startswith("_")]
    assert len(lines) == 4                                   # 2 respondents x 2 rounds
    styles = {(ln.get_linestyle(), ln.get_marker()) for ln in lines}
    assert len(styles) == 4                                  # distinguishable without colour
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0] == "Borger, 1. måling"
    # the citizen's round-2 line passes through the citizen's answers (closed polygon)
    citizen_r2 = next(ln for ln in lines if ln.get_label() == "Borger, 2. måling")
    answers = star_data(m, inst, pid).query("round == 2 and respondent == 'citizen'")
    expected = sorted(answers["score"].dropna())
    assert sorted(citizen_r2.get_ydata()[:-1]) == expected
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert len(ticks) == len(inst.items) and inst.label("c09", "da") in ticks
    fig = plot_star(m, inst, pid, lang="en", by="domain")
    ticks = [t.get_text().replace("\n", " ") for t in fig.axes[0].get_xticklabels()]
    assert ticks == [d.label["en"] for d in inst.domains]
    assert figure_bytes(fig, "svg").lstrip().startswith(b"<?xml")
    assert figure_bytes(fig, "png")[:8] == b"\x89PNG\r\n\x1a\n"


def test_three_rater_star():
    inst = load_instrument(THREE)
    ds = simulate_cohort(300, seed=2, instrument=inst)
    m = pair_forms(ds).measurements
    pid = str(m["person_id"].iloc[0])
    fig = plot_star(m, inst, pid, rounds=[1])
    lines = [ln for ln in fig.axes[0].get_lines() if not ln.get_label().startswith("_")]
    assert len(lines) == 3
    assert max(fig.axes[0].get_yticks()) == 5


def test_card_is_self_contained_and_in_plain_words(cohort):
    ds, m, pid = cohort
    row = {"person_id": pid, "model": "progression", "probability": 0.31, "band": "middle",
           "ci_low": 0.26, "ci_high": 0.36, "item_1": "c09", "item_1_contribution": -0.4,
           "item_2": "w05", "item_2_contribution": 0.2, "item_3": "c01", "item_3_contribution": 0.1}
    page = card_html(m, ds.instrument, pid, row)
    assert "Omkring 3 ud af 10 personer" in page and "mellem 2 og 4 ud af 10" in page
    assert "middel" in page and ds.instrument.label("c09", "da") in page
    assert "src=\"http" not in page and "<link" not in page and "<script" not in page
    png = re.search(r"base64,([A-Za-z0-9+/=]+)", page).group(1)
    assert base64.b64decode(png)[:4] == b"\x89PNG"
    en = card_html(m, ds.instrument, pid, dict(row, probability=0.04, ci_low=0.02, ci_high=0.06), lang="en")
    assert "About 4 in 100 people" in en and "2 to 6 in 100" in en
    assert "No job chance" in card_html(m, ds.instrument, pid, None, lang="en")


def test_cpr_like_ids_are_refused(cohort):
    ds, m, pid = cohort
    m2 = m.assign(person_id=m["person_id"].where(m["person_id"] != pid, "010190-1234"))
    with pytest.raises(FipError, match="CPR") as info:
        card_html(m2, ds.instrument, "010190-1234")
    assert "1234" not in str(info.value)
    with pytest.raises(FipError, match="no measurements"):
        plot_star(m, ds.instrument, "nobody")
    with pytest.raises(FipError, match="another person"):
        card_html(m, ds.instrument, pid, {"person_id": "x", "probability": 0.5})
    with pytest.raises(ValueError, match="lang"):
        plot_star(m, ds.instrument, pid, lang="ar")
