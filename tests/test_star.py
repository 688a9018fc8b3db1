"""Tests of fip.star: star data, the radar figure and the citizen card."""

from __future__ import annotations

import base64
import re

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


def _spoke_texts(ax):
    """Spoke labels of one star (the hand-placed texts), without pair numbers and marks."""
    return [re.sub(r"^\d+  |\s*[▲▼]$", "", t.get_text()).replace("\n", " ") for t in ax.texts]


def _rounds(ax):
    return {ln.get_label(): ln for ln in ax.get_lines() if not ln.get_label().startswith("_")}


def test_star_is_one_star_per_form_with_each_label_once(cohort):
    ds, m, pid = cohort
    inst = ds.instrument
    fig = plot_star(m, inst, pid)
    assert [ax.get_title() for ax in fig.axes] == ["Borger", "Sagsbehandler"]
    for ax, resp in zip(fig.axes, ("citizen", "caseworker")):
        own = inst.item_ids(resp)
        assert len(ax.get_xticks()) == len(own) == 11
        texts = _spoke_texts(ax)
        wrapped = {i: inst.label(i, "da") for i in own}
        assert sorted(texts) == sorted(wrapped.values())         # each of the form's items, once
        lines = _rounds(ax)
        assert sorted(lines) == ["1. måling", "2. måling"]
        # the round-2 line passes through this respondent's answers (closed polygon)
        answers = star_data(m, inst, pid).query("round == 2 and respondent == @resp")["score"].dropna()
        assert sorted(lines["2. måling"].get_ydata()[:-1]) == sorted(answers)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["1. måling", "2. måling"]


def test_shared_items_are_numbered_and_boxed(cohort):
    ds, m, pid = cohort
    inst = ds.instrument
    fig = plot_star(m, inst, pid, lang="en")
    # configs/instrument.yaml lists 9 groups: 8 parallel, the 9th (c11, w10) loose
    boxed = {}
    for ax in fig.axes:
        for t in ax.texts:
            num = re.match(r"^(\d+)  ", t.get_text())
            box = t.get_bbox_patch()
            assert (num is None) == (box is None), t.get_text()
            if num:
                boxed.setdefault(int(num.group(1)), []).append((t.get_text().split("  ", 1)[1].replace("\n", " "),
                                                                box.get_linestyle()))
    assert sorted(boxed) == list(range(1, 10))
    assert all(len(v) == 2 for v in boxed.values())          # one box in each star
    assert boxed[1] == [(inst.label("c01", "en"), "-"), (inst.label("w01", "en"), "-")]
    assert [ls for _, ls in boxed[9]] == ["--", "--"]         # loose pair: dashed box
    assert inst.label("c02", "en") in _spoke_texts(fig.axes[0])  # not shared: plain label


def test_rounds_are_blue_red_grey_and_differ_without_colour(cohort):
    ds, m, pid = cohort
    inst = ds.instrument
    extra = m[(m["person_id"] == pid) & (m["round"] == 2)].assign(round=3)
    m3 = pd.concat([m, extra], ignore_index=True)
    fig = plot_star(m3, inst, pid, rounds=[1, 2, 3])
    lines = _rounds(fig.axes[0])
    colour = {k: ln.get_color() for k, ln in lines.items()}
    assert colour == {"1. måling": "#8c8c8c", "2. måling": "#1f5fae", "3. måling": "#c0392b"}
    styles = {(ln.get_linestyle(), ln.get_marker(), ln.get_markerfacecolor()) for ln in lines.values()}
    assert len(styles) == 3                                  # distinguishable in grey print
    two = _rounds(plot_star(m, inst, pid).axes[1])
    assert two["1. måling"].get_color() == "#1f5fae" and two["2. måling"].get_color() == "#c0392b"
    one = _rounds(plot_star(m, inst, pid, rounds=[1]).axes[0])
    assert [ln.get_color() for ln in one.values()] == ["#1f5fae"]


def test_change_beyond_the_smallest_detectable_change_is_marked(cohort):
    ds, m, pid = cohort
    inst = ds.instrument
    r1 = m[(m["person_id"] == pid) & (m["round"] == 1)].iloc[0]
    r2 = m[(m["person_id"] == pid) & (m["round"] == 2)].iloc[0]
    change = {i: float(r2[i]) - float(r1[i]) for i in inst.item_ids() if pd.notna(r1[i]) and pd.notna(r2[i])}
    sdc = {i: 1.0 for i in change}
    expect = {i: ("▲" if c > 0 else "▼") for i, c in change.items() if abs(c) > 1.0}
    assert expect, "the fixture person should change by more than 1 point on some item"
    fig = plot_star(m, inst, pid, lang="en", smallest_change=sdc)
    # labels are not unique across forms (two "Health" spokes), so read each star on its own
    for ax, resp in zip(fig.axes, ("citizen", "caseworker")):
        own = inst.item_ids(resp)
        assert len(ax.get_xticks()) == len(own) == 11
        texts = _spoke_texts(ax)
        wrapped = {i: inst.label(i, "da") for i in own}
        assert sorted(texts) == sorted(wrapped.values())         # each of the form's items, once
        lines = _rounds(ax)
        assert sorted(lines) == ["1. måling", "2. måling"]
        # the round-2 line passes through this respondent's answers (closed polygon)
        answers = star_data(m, inst, pid).query("round == 2 and respondent == @resp")["score"].dropna()
        assert sorted(lines["2. måling"].get_ydata()[:-1]) == sorted(answers)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["1. måling", "2. måling"]


def test_shared_items_are_numbered_and_boxed(cohort):
    ds, m, pid = cohort
    inst = ds.instrument
    fig = plot_star(m, inst, pid, lang="en")
    # configs/instrument.yaml lists 9 groups: 8 parallel, the 9th (c11, w10) loose
    boxed = {}
    for ax in fig.axes:
        for t in ax.texts:
            num = re.match(r"^(\d+)  ", t.get_text())
            box = t.get_bbox_patch()
            assert (num is None) == (box is None), t.get_text()
            if num:
                boxed.setdefault(int(num.group(1)), []).append((t.get_text().split("  ", 1)[1].replace("\n", " "),
                                                                box.get_linestyle()))
    assert sorted(boxed) == list(range(1, 10))
    assert all(len(v) == 2 for v in boxed.values())          # one box in each star
    assert boxed[1] == [(inst.label("c01", "en"), "-"), (inst.label("w01", "en"), "-")]
    assert [ls for _, ls in boxed[9]] == ["--", "--"]         # loose pair: dashed box
    assert inst.label("c02", "en") in _spoke_texts(fig.axes[0])  # not shared: plain label


def test_rounds_are_blue_red_grey_and_differ_without_colour(cohort):
    ds, m, pid = cohort
    inst = ds.instrument
    extra = m[(m["person_id"] == pid) & (m["round"] == 2)].assign(round=3)
    m3 = pd.concat([m, extra], ignore_index=True)
    fig = plot_star(m3, inst, pid, rounds=[1, 2, 3])
    lines = _rounds(fig.axes[0])
    colour = {k: ln.get_color() for k, ln in lines.items()}
    assert colour == {"1. måling": "#8c8c8c", "2. måling": "#1f5fae", "3. måling": "#c0392b"}
    styles = {(ln.get_linestyle(), ln.get_marker(), ln.get_markerfacecolor()) for ln in lines.values()}
    assert len(styles) == 3                                  # distinguishable in grey print
    two = _rounds(plot_star(m, inst, pid).axes[1])
    assert two["1. måling"].get_color() == "#1f5fae" and two["2. måling"].get_color() == "#c0392b"
    one = _rounds(plot_star(m, inst, pid, rounds=[1]).axes[0])
    assert [ln.get_color() for ln in one.values()] == ["#1f5fae"]


def test_change_beyond_the_smallest_detectable_change_is_marked(cohort):
    ds, m, pid = cohort
    inst = ds.instrument
    r1 = m[(m["person_id"] == pid) & (m["round"] == 1)].iloc[0]
    r2 = m[(m["person_id"] == pid) & (m["round"] == 2)].iloc[0]
    change = {i: float(r2[i]) - float(r1[i]) for i in inst.item_ids() if pd.notna(r1[i]) and pd.notna(r2[i])}
    sdc = {i: 1.0 for i in change}
    expect = {i: ("▲" if c > 0 else "▼") for i, c in change.items() if abs(c) > 1.0}
    assert expect, "the fixture person should change by more than 1 point on some item"
    fig = plot_star(m, inst, pid, lang="en", smallest_change=sdc)
    label_of = {inst.label(i, "en"): i for i in inst.item_ids()}
    marked = {}
    for ax in fig.axes:
        for t in ax.texts:
            plain = re.sub(r"^\d+  |\s*[▲▼]$", "", t.get_text()).replace("\n", " ")
            if t.get_text().endswith(("▲", "▼")):
                marked[label_of[plain] if plain in label_of else plain] = t.get_text()[-1]
    # labels are not unique across forms (two "Health"), so compare per star
    got = sorted(marked.values())
    assert sorted(expect.values()) == got or len(marked) <= len(expect)
    for ax, resp in zip(fig.axes, ("citizen", "caseworker")):
        own = {inst.label(i, "en"): i for i in inst.item_ids(resp)}
        marks = {own[re.sub(r"^\d+  |\s*[▲▼]$", "", t.get_text()).replace("\n", " ")]: t.get_text()[-1]
                 for t in ax.texts if t.get_text().endswith(("▲", "▼"))}
        assert marks == {i: v for i, v in expect.items() if i in inst.item_ids(resp)}
        rings = [ln for ln in ax.get_lines() if ln.get_label() == "_beyond"]
        assert sum(len(ln.get_xdata()) for ln in rings) == len(marks)
    assert "smallest detectable change" in " ".join(t.get_text() for t in fig.texts)
    plain = plot_star(m, inst, pid, lang="en")
    assert not any(t.get_text().endswith(("▲", "▼")) for ax in plain.axes for t in ax.texts)


def test_star_by_domain(cohort):
    ds, m, pid = cohort
    inst = ds.instrument
    fig = plot_star(m, inst, pid, lang="en", by="domain")
    for ax in fig.axes:
        assert _spoke_texts(ax) == [d.label["en"] for d in inst.domains]
    assert all(t.get_bbox_patch() is None for ax in fig.axes for t in ax.texts)
    assert figure_bytes(fig, "svg").lstrip().startswith(b"<?xml")
    assert figure_bytes(fig, "png")[:8] == b"\x89PNG\r\n\x1a\n"


def test_three_rater_star():
    inst = load_instrument(THREE)
    ds = simulate_cohort(300, seed=2, instrument=inst)
    m = pair_forms(ds).measurements
    pid = str(m["person_id"].iloc[0])
    fig = plot_star(m, inst, pid, rounds=[1])
    assert len(fig.axes) == 3
    for ax in fig.axes:
        assert len(_rounds(ax)) == 1
        assert max(ax.get_yticks()) == 5
    # b4 and p4 are paired, s4 is not
    assert fig.axes[0].texts[-1].get_text().startswith("4  ") and fig.axes[2].texts[-1].get_bbox_patch() is None


def test_card_is_self_contained_and_in_plain_words(cohort):
    ds, m, pid = cohort
    row = {"person_id": pid, "model": "progression", "probability": 0.31, "band": "middle",
           "ci_low": 0.26, "ci_high": 0.36, "item_1": "c09", "item_1_contribution": -0.4,
           "item_2": "w05", "item_2_contribution": 0.2, "item_3": "c01", "item_3_contribution": 0.1}
    page = card_html(m, ds.instrument, pid, row)
    assert "Omkring 3 ud af 10 personer" in page and "mellem 2 og 4 ud af 10" in page
    assert "middel" in page and ds.instrument.label("c09", "da") in page
    # the three items, largest absolute contribution first, each with its direction
    inst = ds.instrument
    assert (f"<ol><li>{inst.label('c09', 'da')} (trækker ned)</li><li>{inst.label('w05', 'da')} (trækker op)</li>"
            f"<li>{inst.label('c01', 'da')} (trækker op)</li></ol>") in page
    assert "De 6 måneder regnes fra opfølgningsmålingen" in page and "class=\"window\"" not in page
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


def test_card_shows_the_window_when_the_model_gives_one(cohort):
    ds, m, pid = cohort
    row = {"person_id": pid, "probability": 0.31, "window": "6 months after round 1"}  # as fip.predict.score writes it
    page = card_html(m, ds.instrument, pid, row, lang="en")
    assert '<p class="window">A job within 6 months after the 1st measurement.</p>' in page
    assert "count from the follow-up measurement" not in page   # the default window sentence is dropped
    page = card_html(m, ds.instrument, pid, dict(row, window="6 months after round 2"))
    assert "Job inden for 6 måneder efter 2. måling." in page
    for unreadable in (None, float("nan"), {"months": 6, "after": "round_1"}, "six months after round 1", 3):
        assert 'class="window"' not in card_html(m, ds.instrument, pid, dict(row, window=unreadable))


def _pdf_pages(html_text: str, tmp_path) -> int:
    """Print a page with headless Chromium and count its page objects."""
    import subprocess

    page, pdf = tmp_path / "card.html", tmp_path / "card.pdf"
    page.write_text(html_text, encoding="utf-8")
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    f"--print-to-pdf={pdf}", page.as_uri()], check=True, capture_output=True, timeout=120)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


CHROMIUM = "/usr/bin/chromium"


@pytest.mark.skipif(not __import__("os").path.exists(CHROMIUM), reason="chromium (Debian package) not installed")
@pytest.mark.parametrize("lang", ["da", "en"])
def test_card_prints_on_one_a4_page(cohort, tmp_path, lang):
    ds, m, pid = cohort
    inst = ds.instrument
    # the longest content the card can hold: range, window, three items, SDC marks on the star
    row = {"person_id": pid, "model": "progression", "probability": 0.31, "band": "middle",
           "ci_low": 0.26, "ci_high": 0.36, "window": {"months": 6, "after": 2},
           "item_1": "w11", "item_1_contribution": -0.4, "item_2": "c10", "item_2_contribution": 0.2,
           "item_3": "w04", "item_3_contribution": 0.1}
    page = card_html(m, inst, pid, row, lang=lang, smallest_change={i: 0.5 for i in inst.item_ids()})
    assert "size: A4" in page and "break-inside: avoid" in page
    assert _pdf_pages(page, tmp_path) == 1
    # control: the page counter sees two pages when the content needs two
    assert _pdf_pages(page.replace("</body>", '<div style="height: 280mm"></div></body>'), tmp_path) == 2
