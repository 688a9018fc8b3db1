"""Loadings heatmap and coefficient plot of the replication report (fip.report.figures).

References: the intervals against ``scipy.stats.t.ppf`` evaluated here and against
statsmodels ``OLS(...).conf_int`` of the same model written with explicit caseworker
dummies (tolerance 1e-8, both direct least-squares solutions); the figures are checked
through their artists (texts, images, error bar segments), not their pixels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.container import ErrorbarContainer
from matplotlib.patches import Rectangle
from numpy.testing import assert_allclose
from scipy import stats

from fip.errors import InvalidDataError
from fip.instrument import load_instrument
from fip.regression import fit_fixed_effects_ols
from fip.report.figures import (
    LOADING_THRESHOLD,
    coefficient_intervals,
    plot_coefficients,
    figure_bytes,
    plot_loadings_heatmap,
)

THREE_RATERS = "tests/data/instrument_three_raters.yaml"
OUTCOMES = ["emp_rate", "emp_dummy", "ord_emp_dummy", "edu_dummy"]


@pytest.fixture(scope="module")
def fip_instrument():
    return load_instrument()


@pytest.fixture(scope="module")
def three_raters():
    return load_instrument(THREE_RATERS)


def random_loadings(items, n_factors, seed, names=None):
    rng = np.random.default_rng(seed)
    values = rng.uniform(-0.95, 0.95, (len(items), n_factors))
    names = names or [f"Factor{k + 1}" for k in range(n_factors)]
    return pd.DataFrame(values, index=list(items), columns=names)


def cell_texts(ax):
    """{(row, column): Text} of the cell annotations (texts at integer data positions)."""
    return {(round(t.get_position()[1]), round(t.get_position()[0])): t for t in ax.texts}


def relative_luminance(rgb):
    """WCAG 2 relative luminance (sRGB linearised)."""
    c = np.asarray(rgb[:3], dtype=float)
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(lin @ [0.2126, 0.7152, 0.0722])


def non_overlapping(texts, renderer, axis):
    """True if no two text bounding boxes overlap along ``axis`` ("x" or "y")."""
    boxes = sorted((t.get_window_extent(renderer) for t in texts if t.get_text()),
                   key=lambda b: b.x0 if axis == "x" else b.y0)
    for a, b in zip(boxes, boxes[1:]):
        if (b.x0 < a.x1 - 0.5) if axis == "x" else (b.y0 < a.y1 - 0.5):
            return False
    return True


# ------------------------------------------------------------------------ intervals

def test_intervals_equal_t_quantiles():
    r = pd.DataFrame({
        "model": ["m1", "m1", "m2"], "outcome": ["y", "y", "z"], "term": ["a", "b", "a"],
        "coef": [0.5, -0.2, 1.5], "se": [0.1, 0.3, 0.02], "df_resid": [3, 40, 900],
        "published_coef": [0.4, np.nan, 1.4], "published_se": [0.2, np.nan, 0.05],
    })
    for level in (0.8, 0.95, 0.99):
        ci = coefficient_intervals(r, level)
        q = np.array([stats.t.ppf(1 - (1 - level) / 2, d) for d in (3, 40, 900)])
        assert_allclose(ci["ci_low"], r["coef"] - q * r["se"], rtol=1e-12)
        assert_allclose(ci["ci_high"], r["coef"] + q * r["se"], rtol=1e-12)
        # no published df column: the published interval uses our df
        assert_allclose(ci["published_ci_low"], r["published_coef"] - q * r["published_se"], rtol=1e-12)
        assert_allclose(ci["published_ci_high"], r["published_coef"] + q * r["published_se"], rtol=1e-12)
        assert ci["published_ci_low"].isna().tolist() == [False, True, False]
    assert ci[["model", "outcome", "term"]].equals(r[["model", "outcome", "term"]])
    # the study's df where given
    r2 = r.assign(published_df_resid=[10, np.nan, np.nan])
    ci = coefficient_intervals(r2, 0.95)
    assert ci["published_ci_high"].iloc[0] == pytest.approx(0.4 + stats.t.ppf(0.975, 10) * 0.2, rel=1e-12)
    assert ci["published_ci_high"].iloc[2] == pytest.approx(1.4 + stats.t.ppf(0.975, 900) * 0.05, rel=1e-12)


def fe_data(seed):
    rng = np.random.default_rng(seed)
    group = np.repeat(np.arange(8), [3, 5, 4, 6, 2, 7, 5, 4])
    n = len(group)
    alpha = rng.normal(0, 1, 8)[group]
    x1 = rng.normal(0, 1, n) + 0.5 * alpha
    x2 = rng.integers(1, 8, n).astype(float)
    y = 0.4 * x1 - 0.1 * x2 + alpha + rng.normal(0, 1, n)
    return pd.DataFrame({"y": y, "x1": x1, "x2": x2, "caseworker_id": [f"cw{g}" for g in group]})


def statsmodels_dummies(df, vce):
    dummies = pd.get_dummies(df["caseworker_id"], drop_first=True, dtype=float)
    exog = pd.concat([df[["x1", "x2"]], dummies], axis=1).assign(const=1.0)
    model = sm.OLS(df["y"], exog)
    if vce == "ols":
        return model.fit()
    return model.fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(df["caseworker_id"])[0]}, use_t=True)


@pytest.mark.parametrize("vce", ["ols", "cluster"])
@pytest.mark.parametrize("level", [0.9, 0.95])
def test_intervals_equal_statsmodels_dummy_ols(vce, level):
    df = fe_data(3)
    res = fit_fixed_effects_ols(df, "y", ["x1", "x2"], absorb="caseworker_id", vce=vce)
    terms = ["x1", "x2"]
    results = pd.DataFrame({"outcome": "y", "term": terms, "coef": res.params[terms].to_numpy(),
                            "se": res.bse[terms].to_numpy(), "df_resid": res.df_resid})
    if vce == "cluster":       # run_family carries df_resid; the t df with clusters is M - 1
        results["df_inference"] = res.df_inference
    ci = coefficient_intervals(results, level)
    ref = statsmodels_dummies(df, vce).conf_int(alpha=1 - level).loc[terms]
    assert_allclose(ci["ci_low"], ref[0].to_numpy(), rtol=1e-8)
    assert_allclose(ci["ci_high"], ref[1].to_numpy(), rtol=1e-8)


def test_interval_input_errors():
    r = pd.DataFrame({"term": ["a"], "outcome": ["y"], "coef": [0.1], "se": [0.1], "df_resid": [5]})
    for level in (0, 1, 1.5, "95"):
        with pytest.raises(ValueError, match="level"):
            coefficient_intervals(r, level)
    with pytest.raises(InvalidDataError, match="df_resid"):
        coefficient_intervals(r.drop(columns="df_resid"))
    with pytest.raises(InvalidDataError, match="positive"):
        coefficient_intervals(r.assign(df_resid=0))
    with pytest.raises(InvalidDataError, match="'by'|outcome|model"):
        plot_coefficients(r, by="model")


# ------------------------------------------------------------------------ coefficient plot

def family_like(n_terms, seed, controls=(True,)):
    """Rows shaped like run_family output: n_terms terms x 4 outcomes x controls."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in controls:
        for outcome in OUTCOMES:
            for k in range(n_terms):
                rows.append({"family": "all_items", "table": "table_4_5", "model": "citizen", "outcome": outcome,
                             "term": f"i{k:02d}_{'level' if k % 2 == 0 else 'change'}", "controls": c,
                             "coef": rng.normal(0, 0.05), "se": rng.uniform(0.01, 0.03),
                             "df_resid": 300 + 5 * k,
                             "published_coef": rng.normal(0, 0.05) if k % 5 else np.nan,
                             "published_se": rng.uniform(0.01, 0.03) if k % 5 else np.nan})
    return pd.DataFrame(rows)


def bar_segments(ax, label):
    (container,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer) and c.get_label() == label]
    segs = np.array(container.lines[2][0].get_segments())   # (n, 2 points, xy)
    return segs


def test_coefficient_plot_bars_equal_intervals():
    results = family_like(20, seed=1)
    ci = coefficient_intervals(results, 0.9)
    fig = plot_coefficients(results, level=0.9, title="Tabel 4.5")
    assert len(fig.axes) == 4
    assert [ax.get_title() for ax in fig.axes] == OUTCOMES
    ticks = dict(zip([t.get_text() for t in fig.axes[0].get_yticklabels()], fig.axes[0].get_yticks()))
    assert list(ticks) == list(dict.fromkeys(results["term"]))      # order of appearance
    for ax, outcome in zip(fig.axes, OUTCOMES):
        part = ci[ci["outcome"] == outcome]
        for label, lo, hi in (("ours", "ci_low", "ci_high"), ("published", "published_ci_low", "published_ci_high")):
            segs = bar_segments(ax, label)
            expect = part.dropna(subset=[lo])
            assert len(segs) == len(expect)
            y = segs[:, 0, 1]
            order = np.argsort(y)
            exp_y = expect["term"].map(ticks).to_numpy()
            rank = np.argsort(exp_y)
            assert_allclose(np.sort(y) - np.sort(exp_y), (1 if label == "published" else -1) * 0.18, atol=1e-12)
            assert_allclose(segs[order, 0, 0], expect[lo].to_numpy()[rank], rtol=1e-12)
            assert_allclose(segs[order, 1, 0], expect[hi].to_numpy()[rank], rtol=1e-12)
        assert any(np.allclose(line.get_xdata(), 0.0) for line in ax.lines)   # the zero line


def test_coefficient_plot_rows_with_and_without_controls():
    results = family_like(3, seed=2, controls=(False, True))
    fig = plot_coefficients(results)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["i00_level, no controls", "i00_level, controls", "i01_change, no controls",
                      "i01_change, controls", "i02_level, no controls", "i02_level, controls"]
    for ax in fig.axes:
        assert len(bar_segments(ax, "ours")) == 6


def test_coefficient_plot_readable_and_scales():
    small, large = family_like(5, seed=3), family_like(20, seed=3)
    fig_small = plot_coefficients(small)
    fig = plot_coefficients(large, labels={f"i{k:02d}_level": f"A long item label number {k}, level"
                                           for k in range(0, 20, 2)})
    h_small, h_large = fig_small.get_size_inches()[1], fig.get_size_inches()[1]
    assert h_large / h_small > 2.5 and h_large / 20 >= 0.3          # >= 0.3 inch per term row
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    assert non_overlapping(fig.axes[0].get_yticklabels(), renderer, "y")
    for ax in fig.axes:
        assert non_overlapping(ax.get_xticklabels(), renderer, "x")
    # the term labels stay inside the figure (not clipped)
    width, height = fig.bbox.width, fig.bbox.height
    for t in fig.axes[0].get_yticklabels():
        box = t.get_window_extent(renderer)
        assert box.x0 >= 0 and box.y1 <= height and box.x1 <= width


# ------------------------------------------------------------------------ loadings heatmap

def test_heatmap_annotations_colours_and_order(fip_instrument):
    items = fip_instrument.item_ids("caseworker")
    loadings = random_loadings(items, 4, seed=5)
    shuffled = loadings.iloc[np.random.default_rng(0).permutation(len(items))]
    fig = plot_loadings_heatmap(shuffled, fip_instrument, title="Caseworker items")
    ax = fig.axes[0]
    assert ax.images[0].get_clim() == (-1.0, 1.0)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [f"{fip_instrument.label(i, 'en')} ({i})" for i in items]   # instrument order
    assert [t.get_text() for t in ax.get_xticklabels()] == list(loadings.columns)
    texts = cell_texts(ax)
    assert len(texts) == loadings.size
    image = ax.images[0]
    for (r, c), text in texts.items():
        value = loadings.loc[items[r]].iloc[c]
        assert float(text.get_text()) == pytest.approx(round(value, 2), abs=1e-12)
        assert len(text.get_text().split(".")[1]) == 2
        assert (text.get_fontweight() == "bold") == (abs(value) > LOADING_THRESHOLD)
        # readable: WCAG AA contrast (4.5) of text and cell colour
        cell = image.cmap(image.norm(value))
        lum = sorted([relative_luminance(cell), relative_luminance(text.get_color() == "white" and (1, 1, 1)
                                                                   or (0, 0, 0))])
        assert (lum[1] + 0.05) / (lum[0] + 0.05) >= 4.5, (value, text.get_color())
    # one frame per item, at its largest absolute loading
    frames = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(frames) == len(items)
    where = sorted((round(p.get_y() + p.get_height() / 2), round(p.get_x() + p.get_width() / 2)) for p in frames)
    best = loadings.abs().to_numpy().argmax(axis=1)
    assert where == [(r, int(best[r])) for r in range(len(items))]


def test_heatmap_with_published_panel(fip_instrument):
    from fip.published import published_loadings

    published = published_loadings("4.8")                 # long factor names, another item order
    items = fip_instrument.item_ids("caseworker")
    ours = random_loadings(items, 4, seed=6)
    fig = plot_loadings_heatmap(ours, fip_instrument, published=published)
    images = [ax for ax in fig.axes if ax.images]
    assert len(images) == 2
    ax_pub = images[1]
    assert ax_pub.images[0].get_clim() == (-1.0, 1.0)
    for (r, c), text in cell_texts(ax_pub).items():
        assert float(text.get_text()) == pytest.approx(round(published.loc[items[r]].iloc[c], 2), abs=1e-12)
    assert [t.get_text().replace("\n", " ") for t in ax_pub.get_xticklabels()] == \
        [c.replace("_", " ") for c in published.columns]
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    assert non_overlapping(ax_pub.get_xticklabels(), renderer, "x")
    gap = published.copy()
    gap.loc["w03", gap.columns[1]] = np.nan                # not printed: grey, no text
    ax_gap = [ax for ax in plot_loadings_heatmap(ours, fip_instrument, published=gap).axes if ax.images][1]
    assert (items.index("w03"), 1) not in cell_texts(ax_gap) and len(cell_texts(ax_gap)) == 11 * 4 - 1
    with pytest.raises(InvalidDataError, match="published"):
        plot_loadings_heatmap(ours, fip_instrument, published=published.iloc[:, :3])
    with pytest.raises(InvalidDataError, match="published"):
        plot_loadings_heatmap(ours, fip_instrument, published=published.iloc[:9])


def test_heatmap_three_rater_instrument(three_raters):
    items = three_raters.item_ids()
    loadings = random_loadings(items, 3, seed=7)
    fig = plot_loadings_heatmap(loadings, three_raters, lang="da")
    ax = fig.axes[0]
    assert len(cell_texts(ax)) == 12 * 3
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"{three_raters.label(i, 'da')} ({i})" for i in items]
    with pytest.raises(InvalidDataError, match="item"):
        plot_loadings_heatmap(random_loadings(["b1", "c01"], 2, seed=1), three_raters)


def test_heatmap_22_items_6_factors_readable(fip_instrument):
    items = fip_instrument.item_ids()
    loadings = random_loadings(items, 6, seed=8)
    loadings.iloc[0, 0] = 1.07                    # a Heywood-like loading: clipped colour, exact text
    loadings.iloc[0, 1] = -0.004                  # no "-0.00"
    loadings.iloc[0, 2] = 0.45
    fig = plot_loadings_heatmap(loadings, fip_instrument, threshold=0.5)
    ax = fig.axes[0]
    texts = cell_texts(ax)
    assert len(texts) == 22 * 6 and texts[(0, 0)].get_text() == "1.07" and texts[(0, 1)].get_text() == "0.00"
    assert texts[(0, 0)].get_fontweight() == "bold" and texts[(0, 2)].get_fontweight() == "normal"
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    assert non_overlapping(ax.get_yticklabels(), renderer, "y")
    assert non_overlapping(ax.get_xticklabels(), renderer, "x")
    # each annotation fits inside its cell
    to_px = ax.transData.transform
    for (r, c), text in texts.items():
        box = text.get_window_extent(renderer)
        (x0, y0), (x1, y1) = to_px([(c - 0.5, r + 0.5), (c + 0.5, r - 0.5)])
        assert x0 <= box.x0 and box.x1 <= x1 and y0 <= box.y0 and box.y1 <= y1


def test_figures_are_deterministic(fip_instrument):
    items = fip_instrument.item_ids("citizen")
    make = [lambda: plot_loadings_heatmap(random_loadings(items, 3, seed=9), fip_instrument,
                                          published=random_loadings(items, 3, seed=10, names=["A", "B", "C"])),
            lambda: plot_coefficients(family_like(6, seed=4), title="t")]
    for maker in make:
        first, second = figure_bytes(maker(), "png"), figure_bytes(maker(), "png")
        assert first[:4] == b"\x89PNG" and first == second
        first, second = figure_bytes(maker(), "svg"), figure_bytes(maker(), "svg")
        assert first.lstrip()[:5] == b"<?xml" and first == second
