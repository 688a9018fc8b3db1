"""fip.irt.dif / fip.irt.ordinal: ordinal logistic DIF vs R MASS::polr.

Reference: tests/reference/irt/make_polr_reference.R (bfi N1-N5, trait = sum score, group =
gender == 2). polr and fip both maximise the same likelihood with BFGS; tolerance 1e-6 on the
log-likelihoods (hence on the χ² statistics, to 2e-6) and 1e-4 on coefficients (polr stops
on optim's relative function tolerance, which leaves coefficients less precise than the
log-likelihood).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from fip.irt.dif import ordinal_dif
from fip.irt.ordinal import fit_polr
from fip.irt.simulate import simulate_grm

REF = Path(__file__).parent / "reference" / "irt"
DATA = Path(__file__).parents[1] / "examples" / "data" / "bfi"
ITEMS = ["N1", "N2", "N3", "N4", "N5"]


@pytest.fixture(scope="module")
def bfi():
    forms = pd.read_csv(DATA / "forms.csv")[["person_id", *ITEMS]]
    persons = pd.read_csv(DATA / "persons.csv")[["person_id", "gender"]]
    d = forms.merge(persons, on="person_id").dropna().set_index("person_id")
    return d


def test_polr_models_match_mass(bfi):
    ref = pd.read_csv(REF / "bfi_n_polr_gender.csv").set_index("item")
    s = bfi[ITEMS].sum(axis=1).astype(float)
    g = (bfi["gender"] == 2).astype(float)
    for item in ITEMS:
        y = bfi[item].to_numpy()
        m1 = fit_polr(y, pd.DataFrame({"s": s}))
        m2 = fit_polr(y, pd.DataFrame({"s": s, "g": g}))
        m3 = fit_polr(y, pd.DataFrame({"s": s, "g": g, "sg": s * g}))
        r = ref.loc[item]
        assert m1.n_obs == r["n"]
        assert_allclose([m1.loglik, m2.loglik, m3.loglik], r[["ll1", "ll2", "ll3"]].astype(float), atol=1e-6)
        assert_allclose([m1.coef["s"], m2.coef["s"], m2.coef["g"], m3.coef["sg"]],
                        r[["b_s_m1", "b_s_m2", "b_g_m2", "b_sg_m3"]].astype(float), atol=1e-4)


def test_dif_statistics_from_mass_loglik(bfi):
    """χ², df and McFadden R² changes equal those computed from polr's log-likelihoods."""
    ref = pd.read_csv(REF / "bfi_n_polr_gender.csv").set_index("item")
    s = bfi[ITEMS].sum(axis=1).astype(float)
    res = ordinal_dif(bfi[ITEMS], bfi["gender"], s, trait_name="sum score").tidy().set_index("item")
    for item in ITEMS:
        r = ref.loc[item]
        assert res.loc[item, "chi2_uniform"] == pytest.approx(2 * (r["ll2"] - r["ll1"]), abs=2e-6)
        assert res.loc[item, "chi2_nonuniform"] == pytest.approx(2 * (r["ll3"] - r["ll2"]), abs=2e-6)
        assert res.loc[item, "df_total"] == 2
        r2 = lambda ll: 1 - ll / r["ll0"]  # noqa: E731
        assert res.loc[item, "r2_change_uniform"] == pytest.approx(r2(r["ll2"]) - r2(r["ll1"]), abs=1e-8)
        assert res.loc[item, "beta_change"] == pytest.approx(abs(r["b_s_m1"] - r["b_s_m2"]) / abs(r["b_s_m1"]), abs=1e-3)
    assert (res["p_total_holm"] >= res["p_total"]).all()


def test_planted_uniform_dif_is_found():
    """An item whose intercepts shift by 1 in the focal group is flagged; clean items mostly are not."""
    a = np.array([1.5, 1.2, 1.8, 1.0, 1.4, 1.6])
    d = [np.array([1.5, 0.0, -1.5])] * 6
    ref = simulate_grm(a, d, 1500, seed=1)
    d_focal = list(d)
    d_focal[2] = d[2] - 1.0
    foc = simulate_grm(a, d_focal, 1500, seed=2)
    foc.index += 1500
    items = pd.concat([ref, foc])
    group = pd.Series(["ref"] * 1500 + ["focal"] * 1500, index=items.index)
    res = ordinal_dif(items, group, items.sum(axis=1).astype(float)).tidy().set_index("item")
    assert res.loc["x3", "p_total_holm"] < 1e-6
    assert res.loc["x3", "chi2_uniform"] > res.loc["x3", "chi2_nonuniform"]
