"""Tests of the one figure-to-bytes path (fip._figures, re-exported by fip.report.figures and
fip.star): every figure kind gives the same PNG and SVG bytes for the same input, no metadata
that changes between runs, no global matplotlib state touched, and importing or drawing with
fip leaves the backend alone."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from fip.data import pair_forms
from fip.describe import item_means, item_progression, plot_item_means
from fip.predict import plot_calibration
from fip.report import figures as figs
from fip.report.figures import FORMATS, figure_bytes, figure_bytes_in
from fip.simulate import simulate_cohort
from fip.star import plot_star

SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture(scope="module")
def cohort():
    ds = simulate_cohort(300, seed=4)
    return ds, pair_forms(ds).measurements


def _loadings(items, n_factors, seed):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.uniform(-0.95, 0.95, (len(items), n_factors)), index=list(items),
                        columns=[f"Factor{k + 1}" for k in range(n_factors)])


def _coefficients(seed):
    rng = np.random.default_rng(seed)
    return pd.DataFrame([{"family": "all_items", "table": "table_4_5", "model": "citizen", "outcome": outcome,
                          "term": f"i{k:02d}", "controls": True, "coef": rng.normal(0, 0.05),
                          "se": rng.uniform(0.01, 0.03), "df_resid": 300,
                          "published_coef": rng.normal(0, 0.05), "published_se": rng.uniform(0.01, 0.03)}
                         for outcome in ("emp_rate", "emp_dummy") for k in range(5)])


def _calibration():
    return pd.DataFrame({"mean_predicted": [0.1, 0.3, 0.5], "observed": [0.12, 0.28, np.nan],
                         "ci_low": [0.08, 0.2, np.nan], "ci_high": [0.16, 0.36, np.nan]})


def _scree():
    scree = pd.DataFrame({"factor": [1, 2, 3], "eigenvalue": [2.5, 0.3, 0.2], "reduced_eigenvalue": [2.0, 0.1, -0.1]})
    parallel = pd.DataFrame({"factor": [1, 2, 3], "threshold": [0.4, 0.2, 0.1]})
    return {"citizen": (scree, parallel)}


# every kind of figure fip draws (the status note's trend chart is covered in test_status_note)
KINDS = {
    "item_means": lambda ds, m: plot_item_means(item_means(m, ds.persons, ds.instrument), ds.instrument, lang="en"),
    "progression": lambda ds, m: figs.plot_progression(item_progression(m, ds.persons, ds.instrument), ds.instrument),
    "star": lambda ds, m: plot_star(m, ds.instrument, str(m["person_id"].iloc[0])),
    "star_by_domain": lambda ds, m: plot_star(m, ds.instrument, str(m["person_id"].iloc[0]), by="domain"),
    "scree": lambda ds, m: figs.plot_scree(_scree()),
    "loadings": lambda ds, m: figs.plot_loadings_heatmap(_loadings(ds.instrument.item_ids("citizen"), 3, 1),
                                                         ds.instrument),
    "coefficients": lambda ds, m: figs.plot_coefficients(_coefficients(2), title="t"),
    "calibration": lambda ds, m: plot_calibration({"intake": _calibration()}, title="t"),
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_same_input_same_bytes(kind, fmt, cohort):
    first, second = (figure_bytes(KINDS[kind](*cohort), fmt) for _ in range(2))
    assert first == second
    if fmt == "png":
        assert first[:8] == b"\x89PNG\r\n\x1a\n" and b"Software" not in first and b"matplotlib" not in first.lower()
    else:
        text = first.decode("utf-8")
        assert text.lstrip().startswith("<?xml") and "<svg" in text
        assert "<dc:date>" not in text and "Matplotlib v" not in text
        assert "<text" not in text  # text drawn as paths: the same look without the font installed


@pytest.mark.parametrize("kind", ["loadings", "coefficients", "item_means"])
def test_figure_bytes_in_reuses_the_layout_and_restores_the_engine(kind, cohort):
    fig = KINDS[kind](*cohort)
    engine = fig.get_layout_engine()
    rendered = figure_bytes_in(fig, ("png", "svg"), dpi=figs.REPORT_DPI)
    assert fig.get_layout_engine() is engine
    # the first format exactly as figure_bytes renders a fresh figure; the rest reproducible
    assert rendered["png"] == figure_bytes(KINDS[kind](*cohort), "png", dpi=figs.REPORT_DPI)
    assert rendered["svg"] == figure_bytes_in(KINDS[kind](*cohort), ("png", "svg"), dpi=figs.REPORT_DPI)["svg"]
    assert rendered["svg"].lstrip().startswith(b"<?xml")


def test_svg_ids_are_salted_by_a_constant_and_rc_params_are_left_alone():
    before = dict(matplotlib.rcParams)

    def draw():
        fig = Figure(figsize=(2, 2))
        fig.subplots().plot([0, 1], [1, 0], marker="o")
        return figure_bytes(fig, "svg").decode("utf-8")

    svg = draw()
    assert re.search(r'id="[^"]*[0-9a-f]{10}', svg)  # hashed ids (markers, clip paths) exist ...
    assert draw() == svg                               # ... and do not change between runs
    assert dict(matplotlib.rcParams) == before         # svg.hashsalt / fonttype set for the call only


def test_figure_bytes_rejects_other_formats():
    with pytest.raises(ValueError, match=r"format must be one of 'png', 'svg'; got 'pdf'"):
        figure_bytes(Figure(), "pdf")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="formats"):
        figure_bytes_in(Figure(), ("png", "jpg"))  # type: ignore[list-item]


def test_star_module_and_report_share_one_renderer():
    import fip._figures
    import fip.star

    assert fip.star.figure_bytes is fip._figures.figure_bytes is figs.figure_bytes


_BACKEND_SCRIPT = textwrap.dedent("""
    import sys
    import matplotlib
    {select}
    # the raw setting: get_backend() would resolve an unset backend (importing pyplot)
    raw = lambda: repr(matplotlib.rcParams._get("backend")).replace(" ", "")
    before = raw()
    import fip, fip.report, fip.star, fip.predict, fip.describe, fip.cli, fip.report.figures
    after_import = raw()
    from fip.data import pair_forms
    from fip.report.figures import figure_bytes, figure_bytes_in, plot_scree
    from fip.simulate import simulate_cohort
    from fip.star import plot_star
    import pandas as pd
    ds = simulate_cohort(150, seed=1)
    m = pair_forms(ds).measurements
    star = figure_bytes(plot_star(m, ds.instrument, str(m["person_id"].iloc[0])), "png")
    scree = pd.DataFrame({{"factor": [1, 2], "eigenvalue": [2.0, 0.5], "reduced_eigenvalue": [1.5, 0.1]}})
    both = figure_bytes_in(plot_scree({{"citizen": (scree, None)}}))
    assert star[:4] == b"\\x89PNG" and both["svg"].lstrip().startswith(b"<?xml")
    print(before, after_import, raw(), "matplotlib.pyplot" in sys.modules)
""")


@pytest.mark.parametrize("env_backend, select, expected", [
    ("svg", "", "'svg'"),                          # a backend chosen through the environment
    (None, "matplotlib.use('pdf')", "'pdf'"),      # ... or in the notebook before importing fip
    (None, "", "<object"),                         # none chosen (matplotlib's "auto" sentinel):
])                                                 # fip does not choose one either
def test_importing_and_drawing_leave_the_backend_alone(env_backend, select, expected):
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    if env_backend:
        env["MPLBACKEND"] = env_backend
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    proc = subprocess.run([sys.executable, "-c", _BACKEND_SCRIPT.format(select=select)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    before, after_import, after_drawing, pyplot_imported = proc.stdout.split()
    assert before.startswith(expected), before
    assert after_import == before and after_drawing == before
    assert pyplot_imported == "False"  # no pyplot, so no global figure manager state either


def test_html_figure_embeds_png_or_svg_by_their_bytes():
    from fip.report import html

    fig = Figure(figsize=(1, 1))
    png, svg = figure_bytes(fig, "png"), figure_bytes(fig, "svg")
    assert 'src="data:image/png;base64,' in html.figure(png, "p")
    block = html.figure(svg, "a <b>", alt="alt & text")
    assert 'src="data:image/svg+xml;base64,' in block and 'alt="alt &amp; text"' in block
    assert "<figcaption>a &lt;b&gt;</figcaption>" in block
    with pytest.raises(ValueError, match="PNG or SVG"):
        html.figure(b"GIF89a....", "g")
