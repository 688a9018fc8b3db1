"""fit_fixed_effects_ols against OLS with explicit group dummies (statsmodels).

Reference: statsmodels OLS on [regressors, constant, G - 1 group dummies]. The dummies are
"weighted effect" coded, d_g = 1[g] - (n_g / n_1) 1[group 1] for g = 2..G: they span the same
space as ordinary treatment dummies (so slopes, residuals, R² and df are identical) and impose
sum_g n_g a_g = 0, which makes the constant mean(y) - mean(x)'b, the constant areg reports.
The design has exactly k + G - 1 independent columns, so statsmodels' small-sample factors
use N - (k + G - 1) = areg's residual df. Tolerance 1e-8 (relative) throughout: both sides
are direct least-squares solutions of well-conditioned problems.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from fip.errors import InvalidDataError
from fip.regression import CollinearityWarning, fit_fixed_effects_ols, fit_fixed_effects_outcomes

RTOL = 1e-8
REGRESSORS = ["x1", "x2", "x3"]


def make_data(seed: int, n_groups: int = 40, n_singletons: int = 6) -> pd.DataFrame:
    """Uneven groups (1..25 rows), singletons, regressors correlated with the group effect."""
    rng = np.random.default_rng(seed)
    sizes = np.concatenate([rng.integers(2, 26, n_groups - n_singletons), np.ones(n_singletons, int)])
    rng.shuffle(sizes)
    group = np.repeat(np.arange(n_groups), sizes)
    n = len(group)
    alpha = rng.normal(0, 1, n_groups)[group]
    x1 = rng.normal(0, 1, n) + 0.8 * alpha
    x2 = rng.integers(1, 8, n).astype(float)          # an item-like 1-7 score
    x3 = (rng.random(n) < 0.3).astype(float)            # a dummy
    y = 0.5 * x1 - 0.2 * x2 + 0.3 * x3 + alpha + rng.normal(0, 1, n) * (1 + 0.5 * np.abs(x1))
    return pd.DataFrame({
        "y": y, "x1": x1, "x2": x2, "x3": x3,
        "caseworker_id": pd.array([f"cw{g:03d}" for g in group], dtype="str"),
        # clusters nesting the groups (municipalities) and clusters cutting across them
        "municipality": pd.array([f"m{g % 7}" for g in group], dtype="str"),
        "month": rng.integers(0, 15, n),
    })


def dummy_reference(df: pd.DataFrame, regressors: list[str], vce: str, cluster: str | None = None):
    codes, _ = pd.factorize(df["caseworker_id"])
    counts = np.bincount(codes)
    d = np.zeros((len(df), len(counts) - 1))
    for g in range(1, len(counts)):
        d[:, g - 1] = (codes == g) - (counts[g] / counts[0]) * (codes == 0)
    exog = np.column_stack([df[regressors].to_numpy(float), np.ones(len(df)), d])
    model = sm.OLS(df["y"].to_numpy(float), exog)
    if vce == "ols":
        res = model.fit()
    elif vce == "robust":
        res = model.fit(cov_type="HC1", use_t=True)    # statsmodels default: normal p
    else:
        res = model.fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(df[cluster])[0]}, use_t=True)
    k = len(regressors) + 1
    return res, k


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize(
    "vce,cluster", [("ols", None), ("robust", None), ("cluster", "caseworker_id"),
                    ("cluster", "municipality"), ("cluster", "month")]
)
def test_equals_ols_with_explicit_dummies(seed, vce, cluster):
    df = make_data(seed)
    ours = fit_fixed_effects_ols(df, "y", REGRESSORS, vce=vce, cluster=cluster)
    ref, k = dummy_reference(df, REGRESSORS, vce, cluster)
    assert ours.terms == ("x1", "x2", "x3", "_cons")
    assert_allclose(ours.params.to_numpy(), ref.params[:k], rtol=RTOL)
    assert_allclose(ours.bse.to_numpy(), ref.bse[:k], rtol=RTOL)
    assert_allclose(ours.tvalues.to_numpy(), ref.tvalues[:k], rtol=RTOL)
    assert_allclose(ours.pvalues.to_numpy(), ref.pvalues[:k], rtol=1e-7, atol=1e-14)
    assert_allclose(ours.conf_int.to_numpy(), ref.conf_int()[:k], rtol=RTOL)
    assert_allclose(ours.r2, ref.rsquared, rtol=RTOL)
    assert_allclose(ours.adj_r2, ref.rsquared_adj, rtol=RTOL)
    assert_allclose(ours.rss, ref.ssr, rtol=RTOL)
    assert ours.df_resid == int(ref.df_resid)
    assert ours.n_obs == len(df)
    assert ours.n_groups == df["caseworker_id"].nunique()
    assert ours.n_singletons == 6
    if vce == "cluster":
        assert ours.n_clusters == df[cluster].nunique()
        assert ours.df_inference == ours.n_clusters - 1


def test_slopes_equal_treatment_coded_dummies():
    """Plain 0/1 dummies (reference group dropped): same slopes and slope SEs as areg."""
    df = make_data(3)
    dummies = pd.get_dummies(df["caseworker_id"], drop_first=True, dtype=float)
    exog = sm.add_constant(pd.concat([df[REGRESSORS], dummies], axis=1))
    ref = sm.OLS(df["y"], exog).fit(cov_type="HC1")
    ours = fit_fixed_effects_ols(df, "y", REGRESSORS, vce="robust")
    assert_allclose(ours.params[REGRESSORS], ref.params[REGRESSORS], rtol=RTOL)
    assert_allclose(ours.bse[REGRESSORS], ref.bse[REGRESSORS], rtol=RTOL)


def test_areg_formulas_by_hand():
    """df, adjusted R², within R² and the constant from their defining formulas."""
    df = make_data(4)
    res = fit_fixed_effects_ols(df, "y", REGRESSORS)
    n, g, k = len(df), df["caseworker_id"].nunique(), 4
    assert res.df_resid == n - k - (g - 1)
    assert_allclose(res.adj_r2, 1 - (1 - res.r2) * (n - 1) / res.df_resid, rtol=1e-12)
    yw = df["y"] - df.groupby("caseworker_id")["y"].transform("mean")
    xw = df[REGRESSORS] - df.groupby("caseworker_id")[REGRESSORS].transform("mean")
    within = sm.OLS(yw.to_numpy(), xw.to_numpy()).fit()      # uncentred R² = within R²
    assert_allclose(res.within_r2, within.rsquared, rtol=RTOL)
    assert_allclose(res.params[REGRESSORS], within.params, rtol=RTOL)
    cons = df["y"].mean() - df[REGRESSORS].mean().to_numpy() @ res.params[REGRESSORS].to_numpy()
    assert_allclose(res.params["_cons"], cons, rtol=RTOL)
    assert res.within_r2 < res.r2


def test_cluster_factor_counts_absorbed_effects_when_nested():
    """Clusters nesting the groups: areg's factor (N-1)/(N-k-G+1), not fixest's (N-1)/(N-k)."""
    df = make_data(5)
    areg = fit_fixed_effects_ols(df, "y", REGRESSORS, vce="cluster", cluster="municipality")
    n, g, k = len(df), df["caseworker_id"].nunique(), 4
    yw = df["y"] - df.groupby("caseworker_id")["y"].transform("mean")
    xw = df[REGRESSORS] - df.groupby("caseworker_id")[REGRESSORS].transform("mean")
    # statsmodels on the demeaned data counts only the K = 3 slopes: factor (N-1)/(N-3)
    demeaned = sm.OLS(yw.to_numpy(), xw.to_numpy()).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(df["municipality"])[0]})
    ratio = (areg.bse[REGRESSORS].to_numpy() / demeaned.bse) ** 2
    assert_allclose(ratio, (n - 3) / (n - k - g + 1), rtol=RTOL)


def test_listwise_deletion_is_reported():
    df = make_data(6)
    dirty = df.copy()
    dirty.loc[[0, 5, 9], "x2"] = np.nan
    dirty.loc[[5, 17], "y"] = np.nan
    dirty["caseworker_id"] = dirty["caseworker_id"].astype(object)
    dirty.loc[30, "caseworker_id"] = None
    res = fit_fixed_effects_ols(dirty, "y", REGRESSORS)
    clean = fit_fixed_effects_ols(df.drop(index=[0, 5, 9, 17, 30]), "y", REGRESSORS)
    assert res.n_missing == 5
    assert res.n_obs == len(df) - 5
    assert_allclose(res.params, clean.params, rtol=1e-12)
    assert_allclose(res.bse, clean.bse, rtol=1e-12)


def test_nullable_and_boolean_columns():
    df = make_data(7)
    alt = df.assign(x2=df["x2"].astype("Int64"), x3=df["x3"].astype(bool))
    alt.loc[3, "x2"] = pd.NA
    a = fit_fixed_effects_ols(alt, "y", REGRESSORS)
    b = fit_fixed_effects_ols(df.drop(index=3), "y", REGRESSORS)
    assert_allclose(a.params, b.params, rtol=1e-12)


def test_collinear_regressors_dropped_with_warning():
    df = make_data(8)
    df["cw_level"] = df.groupby("caseworker_id")["x1"].transform("mean")   # constant within groups
    df["x4"] = df["x1"] + 2 * df["x3"]                                      # linear in earlier ones
    with pytest.warns(CollinearityWarning, match="cw_level, x4"):
        res = fit_fixed_effects_ols(df, "y", ["x1", "cw_level", "x2", "x3", "x4"])
    assert res.dropped == ("cw_level", "x4")
    base = fit_fixed_effects_ols(df, "y", REGRESSORS)
    assert res.terms == base.terms
    assert_allclose(res.params, base.params, rtol=1e-10)
    assert_allclose(res.bse, base.bse, rtol=1e-10)
    assert res.df_resid == base.df_resid


def test_no_warning_without_collinearity():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit_fixed_effects_ols(make_data(9), "y", REGRESSORS)


def test_many_outcomes_equal_single_fits():
    df = make_data(10)
    df["y2"] = df["y"] ** 2
    df["y3"] = df["x1"] * 0.1 + np.sin(df["y"])
    df.loc[[1, 2], "y3"] = np.nan                       # another sample for y3
    fits = fit_fixed_effects_outcomes(df, ["y", "y2", "y3"], ["x1"], ["x2", "x3"], vce="robust")
    for name in ("y", "y2", "y3"):
        single = fit_fixed_effects_ols(df, name, ["x1"], ["x2", "x3"], vce="robust")
        assert_allclose(fits[name].params, single.params, rtol=1e-12)
        assert_allclose(fits[name].bse, single.bse, rtol=1e-12)
        assert fits[name].n_obs == single.n_obs
    assert fits["y3"].n_obs == len(df) - 2


def test_controls_are_regressors_after_the_main_ones():
    df = make_data(11)
    a = fit_fixed_effects_ols(df, "y", ["x1"], controls=["x2", "x3"])
    b = fit_fixed_effects_ols(df, "y", REGRESSORS)
    assert a.terms == b.terms
    assert_allclose(a.params, b.params, rtol=1e-12)


def test_tidy_frame():
    res = fit_fixed_effects_ols(make_data(12), "y", REGRESSORS, vce="robust")
    tidy = res.tidy()
    assert list(tidy.columns) == ["term", "coef", "se", "t", "p", "ci_low", "ci_high"]
    assert tidy["term"].tolist() == ["x1", "x2", "x3", "_cons"]
    assert_allclose(tidy["t"], tidy["coef"] / tidy["se"], rtol=1e-12)
    assert (tidy["ci_low"] < tidy["coef"]).all() and (tidy["coef"] < tidy["ci_high"]).all()


def test_input_errors():
    df = make_data(13)
    with pytest.raises(InvalidDataError, match="nope"):
        fit_fixed_effects_ols(df, "y", ["x1", "nope"])
    with pytest.raises(InvalidDataError, match="municipality"):
        fit_fixed_effects_ols(df, "y", ["x1", "municipality"])
    with pytest.raises(ValueError, match="vce must be one of"):
        fit_fixed_effects_ols(df, "y", ["x1"], vce="hc3")
    with pytest.raises(ValueError, match="needs vce='cluster'"):
        fit_fixed_effects_ols(df, "y", ["x1"], cluster="municipality")
    tiny = df.groupby("caseworker_id").head(1)           # all singletons: df_r <= 0
    with pytest.raises(InvalidDataError, match="N - k"), pytest.warns(CollinearityWarning, match="x1"):
        fit_fixed_effects_ols(tiny, "y", ["x1"])


def test_cluster_defaults_to_absorbed_variable():
    df = make_data(14)
    a = fit_fixed_effects_ols(df, "y", REGRESSORS, vce="cluster")
    b = fit_fixed_effects_ols(df, "y", REGRESSORS, vce="cluster", cluster="caseworker_id")
    assert a.cluster == "caseworker_id"
    assert_allclose(a.bse, b.bse, rtol=0)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), perm_seed=st.integers(0, 10_000),
       vce=st.sampled_from(["ols", "robust", "cluster"]))
def test_invariant_to_row_order_and_group_labels(seed, perm_seed, vce):
    df = make_data(seed % 50, n_groups=12, n_singletons=2)
    rng = np.random.default_rng(perm_seed)
    shuffled = df.iloc[rng.permutation(len(df))].reset_index(drop=True)
    labels = {old: f"new{rng.integers(1e9)}_{i}" for i, old in enumerate(df["caseworker_id"].unique())}
    shuffled["caseworker_id"] = shuffled["caseworker_id"].map(labels)
    a = fit_fixed_effects_ols(df, "y", REGRESSORS, vce=vce)
    b = fit_fixed_effects_ols(shuffled, "y", REGRESSORS, vce=vce)
    assert_allclose(b.params, a.params, rtol=1e-9, atol=1e-12)
    assert_allclose(b.bse, a.bse, rtol=1e-9)
    assert_allclose([b.r2, b.adj_r2, b.within_r2], [a.r2, a.adj_r2, a.within_r2], rtol=1e-9)
    assert (b.n_groups, b.df_resid) == (a.n_groups, a.df_resid)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), shift_seed=st.integers(0, 10_000))
def test_group_shifts_in_y_do_not_move_slopes(seed, shift_seed):
    """Adding any constant per group to y is absorbed: slopes, SEs, within R² unchanged."""
    df = make_data(seed % 50, n_groups=12, n_singletons=2)
    shifts = np.random.default_rng(shift_seed).normal(0, 5, 12)
    codes = pd.factorize(df["caseworker_id"])[0]
    moved = df.assign(y=df["y"] + shifts[codes])
    a = fit_fixed_effects_ols(df, "y", REGRESSORS, vce="robust")
    b = fit_fixed_effects_ols(moved, "y", REGRESSORS, vce="robust")
    assert_allclose(b.params[REGRESSORS], a.params[REGRESSORS], rtol=1e-7, atol=1e-10)
    assert_allclose(b.bse[REGRESSORS], a.bse[REGRESSORS], rtol=1e-7)
    assert_allclose(b.within_r2, a.within_r2, rtol=1e-7)
