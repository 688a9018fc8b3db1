"""fip.irt.lrdif: likelihood-ratio DIF with a multi-group graded response model.

Independent checks:

(a) R: tests/reference/irt_lrdif/make_reference.R writes the two-group GRM marginal likelihood
    by hand (stats::integrate per response pattern and group, optim BFGS; mirt is not installed)
    for bfi N1-N4 collapsed to three categories by gender, and fits the constrained model and
    each item freed. Tolerances (measured agreement in brackets): log-likelihoods 5e-5 absolute
    (5e-6: fip's fixed 61-point grid against adaptive integration, both optimisers stopping on
    their own rules), χ² 1e-4 (8e-6); item and latent parameters 1e-4 (2.5e-6; the issue's IRT
    tolerance is 1e-3; R's optim uses a finite-difference gradient, so its parameters are less
    precise than its log-likelihood); SIDN and ESSD 1e-5 (4e-8), UIDN 2e-4 (4e-5: R integrates
    |ES_f − ES_r|, which has a kink where the curves cross).
(b) A second algorithm: Bock–Aitkin EM and direct BFGS give the same χ² (1e-4) and parameters (1e-3).
(c) Exact identities: a focal group that is a copy of the reference group has latent mean 0,
    SD 1 and χ² = 0 for every item; χ² ≥ 0; df = (G − 1) K; Holm/Bonferroni by their formulas.
(d) Effect sizes recomputed from the fitted parameters by scipy quad on the real line.
(e) Power on planted DIF; purification removes the clean items' apparent DIF.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import integrate, stats

from fip.irt.grm import grm_category_probs
from fip.irt.lrdif import fit_multigroup_grm, lr_dif
from fip.irt.simulate import simulate_grm

REF = Path(__file__).parent / "reference" / "irt_lrdif"
A = np.array([1.5, 1.2, 1.0, 1.3])
D = [np.array([1.0, -1.0])] * 4


def _two_groups(n=500, shift=1.0, seed=1, impact=0.3):
    studied = [D[0], D[1], D[2] - shift, D[3]]
    x = pd.concat([simulate_grm(A, D, n, seed=seed), simulate_grm(A, studied, n, seed=seed + 1, theta_mean=impact)],
                  ignore_index=True)
    return x, pd.Series(["r"] * n + ["f"] * n)


@pytest.fixture(scope="module")
def planted():
    x, g = _two_groups()
    return x, g, lr_dif(x, g, reference="r")


@pytest.fixture(scope="module")
def bfi3():
    data = pd.read_csv(REF / "bfi_n3cat.csv")
    return data[["N1", "N2", "N3", "N4"]], data["group"].astype(str)


@pytest.fixture(scope="module")
def bfi3_dif(bfi3):
    items, group = bfi3
    return lr_dif(items, group, reference="1")


def test_matches_the_r_marginal_likelihood(bfi3_dif):
    """(a) Constrained and freed log-likelihoods, χ², p and the focal latent mean/SD vs R."""
    ref = pd.read_csv(REF / "bfi_n3cat_lrdif_r.csv").set_index("item")
    n = pd.read_csv(REF / "bfi_n3cat_n_r.csv")
    res = bfi3_dif.tidy().set_index("item")
    assert bfi3_dif.n_obs == int(n["n"].iloc[0])
    assert list(bfi3_dif.group_sizes) == [int(n["n_ref"].iloc[0]), int(n["n_focal"].iloc[0])]
    assert (ref["convergence"] == 0).all() and bool(bfi3_dif.constrained.converged)
    assert bfi3_dif.constrained.loglik == pytest.approx(float(ref["loglik_constrained"].iloc[0]), abs=5e-5)
    assert_allclose(res.loc[ref.index, "loglik_free"], ref["loglik_free"], atol=5e-5)
    assert_allclose(res.loc[ref.index, "chi2"], ref["chi2"], atol=1e-4)
    assert (res["df"] == 3).all()
    assert_allclose(res.loc[ref.index, "p"], ref["p"], rtol=1e-3, atol=1e-12)


def test_parameters_and_effect_sizes_match_r(bfi3_dif, bfi3):
    """(a) Constrained parameters, each freed item's two parameter sets (1e-4) and SIDN/UIDN/ESSD vs R."""
    pars = pd.read_csv(REF / "bfi_n3cat_params_r.csv", dtype={"group": str})
    ref = pd.read_csv(REF / "bfi_n3cat_lrdif_r.csv").set_index("item")
    con = bfi3_dif.constrained.tidy()
    r_con = pars[pars["model"] == "constrained"]
    for row in r_con.itertuples():
        group = "1" if row.group == "all" else row.group
        ours = con.query("item == @row.item and group == @group and parameter == @row.parameter")["estimate"]
        assert float(ours.iloc[0]) == pytest.approx(row.estimate, abs=1e-4), row
    items, group = bfi3
    for item in ref.index:
        free = fit_multigroup_grm(items, group, free_items=(item,), reference="1")
        tid = free.tidy()
        for row in pars[pars["model"] == f"free_{item}"].itertuples():
            ours = tid.query("item == @row.item and group == @row.group and parameter == @row.parameter")["estimate"]
            assert float(ours.iloc[0]) == pytest.approx(row.estimate, abs=1e-4), row
    res = bfi3_dif.tidy().set_index("item")
    assert_allclose(res.loc[ref.index, ["sidn", "essd"]].to_numpy(dtype=float), ref[["sidn", "essd"]].to_numpy(), atol=1e-5)
    assert_allclose(res.loc[ref.index, "uidn"].to_numpy(dtype=float), ref["uidn"].to_numpy(), atol=2e-4)


def test_em_and_direct_give_the_same_test():
    """(b) Two algorithms, one optimum: χ² within 1e-4, the freed item's parameters within 1e-3."""
    x, g = _two_groups(n=400, seed=5)
    direct = lr_dif(x, g, reference="r", items=("x1", "x3"))
    em = lr_dif(x, g, reference="r", items=("x1", "x3"), method="em")
    assert em.constrained.converged and direct.constrained.converged
    assert em.constrained.loglik == pytest.approx(direct.constrained.loglik, abs=1e-6)
    assert_allclose(em.table["chi2"], direct.table["chi2"], atol=1e-4)
    assert_allclose(em.constrained.latent_mean, direct.constrained.latent_mean, atol=1e-3)
    assert_allclose(em.constrained.slopes, direct.constrained.slopes, atol=1e-3)


def test_a_copied_group_has_no_dif():
    """(c) The focal group is the reference group's answers again: μ = 0, σ = 1 and every χ² = 0."""
    x = simulate_grm(A, D, 400, seed=11)
    both = pd.concat([x, x], ignore_index=True)
    g = pd.Series(["a"] * 400 + ["b"] * 400)
    res = lr_dif(both, g)
    assert res.constrained.groups == ("a", "b")
    assert res.constrained.latent_mean[1] == pytest.approx(0.0, abs=1e-4)
    assert res.constrained.latent_sd[1] == pytest.approx(1.0, abs=1e-4)
    assert_allclose(res.table["chi2"], 0.0, atol=1e-5)
    assert_allclose(res.table["sidn"].astype(float), 0.0, atol=1e-3)


def test_planted_dif_is_found_with_effect_sizes(planted):
    """(e) The item with intercepts 1 lower in the focal group is flagged; its SIDN is negative."""
    _, _, res = planted
    t = res.tidy().set_index("item")
    assert t.loc["x3", "p_adjusted"] < 1e-6
    assert t.loc["x3", "sidn"] < -0.2 and t.loc["x3", "uidn"] >= abs(t.loc["x3", "sidn"]) - 1e-12
    assert (t.drop(index="x3")["uidn"] < t.loc["x3", "uidn"]).all()
    assert (t["chi2"] >= 0).all() and (t["df"] == 3).all()
    # the impact (focal mean 0.3 in the simulation) is estimated by the constrained model
    assert 0.05 < res.constrained.latent_mean[1] < 0.55


def test_effect_sizes_by_quadrature_on_the_real_line(planted):
    """(d) SIDN/UIDN of the fit's own parameters by scipy quad over N(μ_f, σ_f²) (the fit uses its grid)."""
    x, g, res = planted
    free = fit_multigroup_grm(x, g, free_items=("x3",), reference="r")
    mu, sd = free.latent_mean[1], free.latent_sd[1]
    j = free.items.index("x3")
    vals = np.asarray(free.categories[j])

    def diff(t):
        t = np.atleast_1d(t)
        return ((grm_category_probs(t, free.slopes[1, j], free.intercepts[1][j])
                 - grm_category_probs(t, free.slopes[0, j], free.intercepts[0][j])) @ vals)[0]

    sidn = integrate.quad(lambda t: diff(t) * stats.norm.pdf(t, mu, sd), -np.inf, np.inf, epsabs=1e-12)[0]
    uidn = integrate.quad(lambda t: abs(diff(t)) * stats.norm.pdf(t, mu, sd), -np.inf, np.inf, epsabs=1e-12)[0]
    row = res.tidy().set_index("item").loc["x3"]
    assert row["sidn"] == pytest.approx(sidn, abs=1e-6)
    assert row["uidn"] == pytest.approx(uidn, abs=1e-6)
    xs, gs = x["x3"], g
    r, f = xs[gs == "r"], xs[gs == "f"]
    pooled = np.sqrt(((r.size - 1) * r.var() + (f.size - 1) * f.var()) / (r.size + f.size - 2))
    assert row["essd"] == pytest.approx(sidn / pooled, abs=1e-6)


def test_p_value_adjustments(planted):
    x, g, holm = planted
    p = holm.table["p"].to_numpy()
    order = np.argsort(p)
    m = p.size
    expected = np.maximum.accumulate(np.minimum(1, (m - np.arange(m)) * p[order]))
    assert_allclose(holm.table["p_adjusted"].to_numpy()[order], expected)
    bonf = lr_dif(x, g, reference="r", adjust="bonferroni", items=("x1", "x2"))
    assert_allclose(bonf.table["p_adjusted"], np.minimum(1, 2 * bonf.table["p"]))
    with pytest.raises(ValueError, match="adjust must be one of holm, bonferroni"):
        lr_dif(x, g, adjust="fdr")


def test_three_groups_df_and_missing_answers():
    """G = 3: df = 2 K; unanswered items (NaN) are left out of the likelihood, not the person."""
    x = pd.concat([simulate_grm(A, D, 300, seed=s, theta_mean=m) for s, m in ((1, 0), (2, 0.4), (3, -0.3))],
                  ignore_index=True)
    g = pd.Series(["a"] * 300 + ["b"] * 300 + ["c"] * 300)
    x.loc[::7, "x2"] = np.nan
    res = lr_dif(x, g, items=("x2",))
    row = res.tidy().iloc[0]
    assert row["df"] == 2 * 3 and row["n"] == int(x["x2"].notna().sum())
    assert res.n_obs == 900
    assert set(res.effects["focal"]) == {"b", "c"}
    assert row["focal"] in ("b", "c")
    assert res.constrained.latent_mean[1] > res.constrained.latent_mean[2]


def test_category_absent_in_a_group_is_not_tested():
    x, g = _two_groups(n=300, seed=21)
    x.loc[(g == "f") & (x["x1"] == 3), "x1"] = 2  # the focal group never answers 3 on x1
    res = lr_dif(x, g, reference="r").tidy().set_index("item")
    assert np.isnan(res.loc["x1", "chi2"]) and "f lacks 3" in res.loc["x1", "note"]
    assert res.loc["x2":, "chi2"].notna().all()


def test_bad_arguments():
    x, g = _two_groups(n=100)
    with pytest.raises(ValueError, match="reference: group 'z' not among"):
        fit_multigroup_grm(x, g, reference="z")
    with pytest.raises(ValueError, match="at least two groups"):
        fit_multigroup_grm(x, pd.Series(["r"] * 200))
    with pytest.raises(ValueError, match="free_items: nope"):
        fit_multigroup_grm(x, g, free_items=("nope",))
    with pytest.raises(ValueError, match="method must be one of"):
        fit_multigroup_grm(x, g, method="mcmc")


def test_float_group_codes_are_labelled_as_integers():
    """A numeric group column with a missing value is float (1.0, 2.0); labels are shown as 1 and 2."""
    x, g = _two_groups(n=150, seed=31)
    codes = g.map({"r": 1.0, "f": 2.0})
    codes.iloc[0] = np.nan
    fit = fit_multigroup_grm(x, codes)
    assert fit.groups == ("1", "2") and fit.n_obs == 299


def test_purification_uses_the_unflagged_items_as_anchors(planted):
    """(e) With all others as anchors the strongly biased x3 pushes the clean items' SIDN the other way;
    the second round, anchored on the unflagged items, brings them back towards 0 and still flags x3."""
    x, g, first = planted
    res = lr_dif(x, g, reference="r", purify=True)
    t = res.tidy().set_index("item")
    assert res.purified and "x3" not in res.anchors and set(res.anchors) <= {"x1", "x2", "x4"}
    assert t.loc["x3", "p_adjusted"] < 1e-6 and not t.loc["x3", "anchor"]
    before = first.tidy().set_index("item")
    clean = list(res.anchors)
    assert (t.loc[clean, "sidn"].abs() < before.loc[clean, "sidn"].abs()).all()
    # the baseline frees every item flagged in round 1 (x3, and x1 pushed by it) and nests the constrained model
    assert res.baseline.free_items == tuple(i for i in res.constrained.items if i not in res.anchors)
    assert res.baseline.loglik >= res.constrained.loglik
    given = lr_dif(x, g, reference="r", anchors=tuple(res.anchors))
    np.testing.assert_allclose(given.table["chi2"], res.table["chi2"], atol=1e-6)
    with pytest.raises(ValueError, match="at least one anchor"):
        lr_dif(x, g, anchors=())


def test_the_only_anchor_is_not_tested(planted):
    """Freeing the single anchor leaves nothing to fix the focal latent mean and SD: that model is
    not identified, so the anchor gets a note and no statistic (it showed a UIDN of 0.65 on bfi N2)."""
    x, g, _ = planted
    t = lr_dif(x, g, reference="r", anchors=("x2",)).tidy().set_index("item")
    assert np.isnan(t.loc["x2", "chi2"]) and np.isnan(t.loc["x2", "uidn"]) and "only anchor" in t.loc["x2", "note"]
    assert t.drop(index="x2")["chi2"].notna().all()
    two = lr_dif(x, g, reference="r", anchors=("x2", "x4")).tidy().set_index("item")
    assert two.loc[["x2", "x4"], "chi2"].notna().all()        # each tested with the other as anchor
