"""``fip irt`` on the public bfi example (psych's bfi, 25 items 1-6, gender in persons.csv).

The numbers behind the command are checked in tests/test_irt.py and tests/test_irt_dif.py;
here: the CLI fits the library's model, writes private scores, states n and method, and
refuses what it must refuse.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fip.cli import app
from fip.irt import fit_grm

runner = CliRunner()
BFI = Path(__file__).parents[1] / "examples" / "data" / "bfi"
ITEMS = "N1,N2,N3"


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    d = tmp_path_factory.mktemp("irt")
    res = invoke("irt", BFI, "--instrument", BFI / "instrument.yaml", "--items", ITEMS, "--dif-by", "gender",
                 "--format", "csv", "--out", d / "p.csv", "--scores-out", d / "s.csv",
                 "--information-out", d / "i.csv")
    return res, d


def test_parameters_are_the_library_fit(run):
    res, d = run
    assert res.exit_code == 0, res.output
    table = pd.read_csv(d / "p.csv", comment="#")
    forms = pd.read_csv(BFI / "forms.csv")[ITEMS.split(",")]
    lib = fit_grm(forms).tidy()
    np.testing.assert_allclose(table["estimate"], lib["estimate"], rtol=1e-12)
    assert (table["n"] == 2800).all()
    fit = pd.read_csv(d / "p.fit.csv", comment="#")
    assert fit.loc[0, "n_obs"] == 2800 and bool(fit.loc[0, "converged"])
    assert 0 < fit.loc[0, "reliability"] < 1


def test_scores_private_and_dif_written(run):
    res, d = run
    assert stat.S_IMODE(os.stat(d / "s.csv").st_mode) == 0o600
    scores = pd.read_csv(d / "s.csv")
    assert list(scores.columns) == ["person_id", "eap", "psd", "model"] and len(scores) == 2800
    dif = pd.read_csv(d / "p.dif.csv", comment="#")
    assert list(dif["item"]) == ITEMS.split(",")
    assert (dif["df_total"] == 2).all() and (dif["p_total_holm"] >= dif["p_total"]).all()
    info = pd.read_csv(d / "i.csv")
    assert set(info["item"]) == {*ITEMS.split(","), "test"}


def test_titles_state_n_and_method():
    res = invoke("irt", BFI, "--instrument", BFI / "instrument.yaml", "--items", ITEMS)
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "n = 2800" in text and "Bock–Aitkin EM" in text and "marginal ML" in text


def test_unknown_dif_column_is_one_line_exit_2():
    res = invoke("irt", BFI, "--instrument", BFI / "instrument.yaml", "--items", ITEMS, "--dif-by", "language")
    assert res.exit_code == 2
    assert "--dif-by: no column 'language'" in res.output and "Traceback" not in res.output


def test_small_dif_group_refused(tmp_path):
    data = tmp_path / "bfi"
    data.mkdir()
    for f in BFI.iterdir():
        (data / f.name).write_bytes(f.read_bytes())
    persons = pd.read_csv(BFI / "persons.csv")
    persons.loc[persons.index[:3], "gender"] = 3  # a group of 3 persons
    persons.to_csv(data / "persons.csv", index=False)
    res = invoke("irt", data, "--instrument", data / "instrument.yaml", "--items", ITEMS, "--dif-by", "gender")
    assert res.exit_code == 2
    assert "DIF by gender: group 3 rests on fewer than 5 persons" in " ".join(res.output.split())


def test_continuous_items_are_refused_at_once():
    """Holzinger-Swineford test scores (scale: continuous): one line, exit 2, no GRM fit attempted."""
    hs = BFI.parent / "holzinger"
    res = invoke("irt", hs, "--instrument", hs / "instrument.yaml", "--definitions", hs / "indices.yaml")
    assert res.exit_code == 2
    assert "continuous scale" in res.output and len(res.output.strip().splitlines()) == 1


def test_lr_dif_is_the_library_test(tmp_path):
    """--dif-method lr: the DIF table is fip.irt.lrdif.lr_dif on the same answers (checked against R in
    tests/test_irt_lrdif.py); the title names the method, the adjustment and the n."""
    from fip.irt.lrdif import lr_dif

    out = tmp_path / "p.csv"
    res = invoke("irt", BFI, "--instrument", BFI / "instrument.yaml", "--items", ITEMS, "--dif-by", "gender",
                 "--dif-method", "lr", "--dif-adjust", "bonferroni", "--format", "csv", "--out", out)
    assert res.exit_code == 0, res.output
    dif = pd.read_csv(tmp_path / "p.dif.csv", comment="#")
    forms = pd.read_csv(BFI / "forms.csv").set_index("person_id")[ITEMS.split(",")]
    persons = pd.read_csv(BFI / "persons.csv").set_index("person_id")["gender"]
    lib = lr_dif(forms, persons.reindex(forms.index), adjust="bonferroni").tidy()
    np.testing.assert_allclose(dif["chi2"], lib["chi2"], rtol=1e-9)
    np.testing.assert_allclose(dif["p_adjusted"], lib["p_adjusted"], rtol=1e-9)
    np.testing.assert_allclose(dif["sidn"], lib["sidn"], rtol=1e-9)
    assert (dif["df"] == 6).all()  # 2 groups, 6 categories: a and 5 intercepts freed
    assert set(dif["reference"].astype(str)) == {"1"}
    shown = invoke("irt", BFI, "--instrument", BFI / "instrument.yaml", "--items", ITEMS, "--dif-by", "gender",
                   "--dif-method", "lr")
    title = " ".join(shown.output.split())
    assert "Likelihood-ratio DIF by gender (items n = 2800; pairwise: every observed answer" in title
    assert "all other items as anchors" in title and "p_adjusted: holm" in title and "latent distribution of the focal groups: items: 2 mean" in title


def test_nan_policy_listwise_drops_incomplete_persons(tmp_path):
    out = tmp_path / "p.csv"
    res = invoke("irt", BFI, "--instrument", BFI / "instrument.yaml", "--items", ITEMS, "--nan-policy", "listwise",
                 "--format", "csv", "--out", out)
    assert res.exit_code == 0, res.output
    forms = pd.read_csv(BFI / "forms.csv")[ITEMS.split(",")]
    complete = forms.dropna()
    fit = pd.read_csv(tmp_path / "p.fit.csv", comment="#")
    assert fit.loc[0, "n_obs"] == len(complete) < 2800 and fit.loc[0, "nan_policy"] == "listwise"
    table = pd.read_csv(out, comment="#")
    np.testing.assert_allclose(table["estimate"], fit_grm(complete).tidy()["estimate"], rtol=1e-12)
    shown = invoke("irt", BFI, "--instrument", BFI / "instrument.yaml", "--items", ITEMS, "--nan-policy", "listwise")
    text = " ".join(shown.output.split())
    assert f"items n = {len(complete)}; listwise: persons who answered every item of the model (items: {len(complete)} of 2800 who answered any)" in text


@pytest.mark.parametrize("args, message", [(("--dif-method", "mh"), "--dif-method"),
                                           (("--nan-policy", "raise"), "--nan-policy"),
                                           (("--dif-adjust", "fdr"), "--dif-adjust")])
def test_bad_options_one_line(args, message):
    """A bad option value: one line naming the option, exit 2, before anything is fitted."""
    res = invoke("irt", BFI, "--instrument", BFI / "instrument.yaml", "--items", ITEMS, *args)
    assert res.exit_code == 2 and message in res.output and "Traceback" not in res.output
