"""Tests of fip.predict.metrics against independent computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize
from scipy.special import expit, logit
from scipy.stats import mannwhitneyu
from statsmodels.stats.proportion import proportion_confint

from fip.predict.metrics import calibration_bins, metrics_by_group, probability_metrics, wilson_interval


def _data(n=3000, seed=0, a=0.0, b=1.0):
    rng = np.random.default_rng(seed)
    p = expit(rng.normal(-0.8, 1.0, n))
    y = (rng.random(n) < expit(a + b * logit(p))).astype(float)
    return y, p


def test_auc_brier_logloss_by_formula():
    y, p = _data()
    m = probability_metrics(y, p)
    u = mannwhitneyu(p[y == 1], p[y == 0]).statistic
    assert abs(m["auc"] - u / ((y == 1).sum() * (y == 0).sum())) < 1e-12
    assert abs(m["brier"] - np.mean((p - y) ** 2)) < 1e-15
    ll = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert abs(m["log_loss"] - ll) < 1e-12
    assert m["n"] == 3000 and m["n_events"] == int(y.sum())


def test_calibration_slope_and_intercept_equal_direct_mle():
    y, p = _data(a=0.3, b=0.7, seed=1)
    m = probability_metrics(y, p)
    lp = logit(p)

    def nll(theta, offset_only=False):
        eta = theta[0] + (lp if offset_only else theta[1] * lp)
        return -np.sum(y * eta - np.logaddexp(0, eta))

    slope = minimize(nll, [0.0, 1.0], method="BFGS", options={"gtol": 1e-8}).x[1]
    citl = minimize(lambda t: nll(t, True), [0.0], method="BFGS", options={"gtol": 1e-8}).x[0]
    assert abs(m["calibration_slope"] - slope) < 1e-5
    assert abs(m["calibration_intercept"] - citl) < 1e-5


def test_calibrated_predictions_have_slope_one():
    y, p = _data(n=200_000, seed=2)
    m = probability_metrics(y, p)
    # SE of the slope at this n is about 0.008; 4 SE
    assert abs(m["calibration_slope"] - 1) < 0.035
    assert abs(m["calibration_intercept"]) < 0.03


def test_wilson_equals_statsmodels():
    for k, n in [(0, 10), (3, 10), (57, 200), (200, 200)]:
        lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")
        np.testing.assert_allclose(wilson_interval(k, n), (lo, hi), rtol=0, atol=1e-12)


def test_groups_and_suppression():
    y, p = _data(n=500, seed=3)
    g = np.array(["a"] * 396 + ["b"] * 4 + ["c"] * 100)
    y[400:500] = 0
    y[400:403] = 1                      # group c: 3 persons with the outcome -> suppressed
    y[396:400] = [1, 1, 0, 0]           # group b: 4 persons -> suppressed
    out = metrics_by_group(y, p, pd.DataFrame({"grp": g})).set_index("group")
    assert out.loc["b", "suppressed"] and pd.isna(out.loc["b", "n"])
    assert out.loc["c", "suppressed"] and np.isnan(out.loc["c", "observed"]) and pd.isna(out.loc["c", "n_events"])
    # all - a = b + c: 104 persons, 5 with the outcome: a may be shown
    assert not out.loc["a", "suppressed"]
    ref = probability_metrics(y[:396], p[:396])
    assert abs(out.loc["a", "auc"] - ref["auc"]) < 1e-15 and out.loc["a", "n"] == 396
    # with one event fewer in b, all - a would reveal 4 persons with the outcome: a is hidden too
    y[396] = 0
    out = metrics_by_group(y, p, pd.DataFrame({"grp": g})).set_index("group")
    assert out["suppressed"].all() and out["observed"].isna().all()


def test_calibration_bins_are_tenths():
    y, p = _data(n=1000, seed=4)
    bins = calibration_bins(y, p)
    assert len(bins) == 10 and bins["n"].sum() == 1000 and (bins["n"] == 100).all()
    q = pd.qcut(pd.Series(p).rank(method="first"), 10, labels=False)
    expected = pd.Series(y).groupby(q).mean().to_numpy()
    np.testing.assert_allclose(bins["observed"].to_numpy(), expected, atol=1e-15)
    assert (bins["lower"].diff().dropna() > 0).all()


def test_identical_predictions_give_no_slope_but_a_calibration_in_the_large():
    """A group whose predictions are all equal: slope not identified, CITL still defined."""
    from fip.predict.metrics import probability_metrics

    y = np.array([0, 1, 0, 0, 1, 0, 0, 0], dtype=float)
    m = probability_metrics(y, np.full(len(y), 0.5))
    assert np.isnan(m["calibration_slope"])
    # intercept with logit(0.5) = 0 as offset: logit of the observed share 2/8
    assert m["calibration_intercept"] == pytest.approx(np.log(0.25 / 0.75), abs=1e-8)
