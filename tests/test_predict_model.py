"""Tests of fip.predict.model: training, grouped validation, determinism, truth recovery."""

from __future__ import annotations

import json

import numpy as np
import pytest
import statsmodels.api as sm
from scipy.stats import mannwhitneyu

from fip.errors import FipError
from fip.instrument import load_instrument
from fip.predict import feature_names, train
from fip.simulate import simulate_cohort

THREE = "tests/data/instrument_three_raters.yaml"


@pytest.fixture(scope="module")
def big():
    """30,000 simulated persons, about 11,800 with rounds 1 and 2 and ~2,000 caseworkers."""
    ds = simulate_cohort(30_000, seed=7)
    return {kind: train(ds, kind, seed=3, created_at="2020-01-01T00:00:00Z") for kind in ("intake", "progression")}


@pytest.fixture(scope="module")
def small_ds():
    return simulate_cohort(5000, seed=11)


@pytest.mark.slow
def test_folds_hold_out_whole_caseworkers(big):
    pred = big["progression"].validation.predictions
    assert (pred.groupby("caseworker_id")["fold"].nunique() == 1).all()
    assert pred["fold"].nunique() == 5
    assert big["progression"].n_caseworkers > 1000


@pytest.mark.slow
def test_reported_metrics_equal_recomputation(big):
    v = big["intake"].validation
    pred = v.predictions
    y, p = pred["y"].to_numpy(), pred["p_logistic"].to_numpy()
    u = mannwhitneyu(p[y == 1], p[y == 0]).statistic / ((y == 1).sum() * (y == 0).sum())
    assert abs(v.metrics.loc["logistic", "auc"] - u) < 1e-12
    assert v.metrics.loc["logistic", "n"] == len(pred)
    genders = v.by_group.query("variable == 'gender'")
    assert genders["n"].sum() == len(pred)
    assert set(v.metrics.index) == {"logistic", "ols_lpm", "gradient_boosting"}


@pytest.mark.slow
def test_progression_beats_intake_as_the_truth_says(big):
    # The simulated outcomes depend on the change from round 1 to round 2 (probit 0.39 per
    # citizen index point, 0.18 per caseworker point), which the intake model cannot see.
    mi, mp = big["intake"].validation.metrics, big["progression"].validation.metrics
    assert mp.loc["logistic", "auc"] > mi.loc["logistic", "auc"] + 0.01
    assert mp.loc["logistic", "log_loss"] < mi.loc["logistic", "log_loss"] - 0.005
    assert mp.loc["logistic", "brier"] < mi.loc["logistic", "brier"]
    # same folds (same seed, same caseworkers): better in every fold
    fi = big["intake"].validation.folds.query("learner == 'logistic'").set_index("fold")
    fp = big["progression"].validation.folds.query("learner == 'logistic'").set_index("fold")
    assert (fp["auc"] > fi["auc"]).all()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["intake", "progression"])
def test_calibration_on_held_out_caseworkers(big, kind):
    v = big[kind].validation
    assert 0.8 <= v.metrics.loc["logistic", "calibration_slope"] <= 1.2
    assert abs(v.metrics.loc["logistic", "calibration_intercept"]) < 0.1
    g = v.by_group.set_index(["variable", "group"])
    for gender in ("female", "male"):
        assert 0.8 <= g.loc[("gender", gender), "calibration_slope"] <= 1.2
        assert abs(g.loc[("gender", gender), "calibration_intercept"]) < 0.1
    for origin in ("syria", "eritrea", "other"):
        assert abs(g.loc[("origin_group", origin), "calibration_intercept"]) < 0.15
    assert not g["suppressed"].any()
    # the comparison learners are validated the same way and are in the same range
    for learner in ("ols_lpm", "gradient_boosting"):
        assert abs(v.metrics.loc[learner, "auc"] - v.metrics.loc["logistic", "auc"]) < 0.03


@pytest.mark.slow
def test_progression_coefficients_have_the_true_signs(big):
    c = big["progression"].model.content
    coef, scale = c["probability_model"]["coefficients"], c["preprocessing"]["scale"]
    inst = load_instrument()
    for resp in ("citizen", "caseworker"):
        for part in ("level", "change"):
            total = sum(coef[f"{i}_{part}"] / scale[f"{i}_{part}"] for i in inst.item_ids(resp))
            assert total > 0, (resp, part)
    assert coef["female"] < 0   # the published paths: 4 % of women, 25 % of men employed at month 6


def test_same_seed_identical_file_other_seed_differs(small_ds):
    a = train(small_ds, "progression", seed=5, created_at="2020-01-01T00:00:00Z")
    b = train(small_ds, "progression", seed=5, created_at="2020-01-01T00:00:00Z")
    c = train(small_ds, "progression", seed=6, created_at="2020-01-01T00:00:00Z")
    assert a.model.to_json().encode() == b.model.to_json().encode()
    assert a.model.sha256 != c.model.sha256


def test_model_content(small_ds):
    r = train(small_ds, "intake", seed=1, compare=False)
    c = r.model.content
    assert c["created_at"].endswith("Z") and c["kind"] == "intake"
    assert c["features"] == list(feature_names(small_ds.instrument, "intake"))
    assert c["instrument"]["version"] == small_ds.instrument.version
    assert c["training"]["n_persons"] == r.n_persons
    text = r.model.to_json()
    assert "p0001" not in text and "person_id" not in text and "cw0" not in text
    json.loads(text)
    assert 0 < c["bands"]["cuts"][0] < c["bands"]["cuts"][1] < 1


def test_unpenalised_logistic_equals_statsmodels(small_ds):
    r = train(small_ds, "intake", seed=1, compare=False, C=1e10)
    c = r.model.content
    pipe = r.pipeline
    names = c["features"]
    Xa = pipe[:-1].transform(small_ds_features(small_ds, names, r))
    y = r.validation.predictions["y"].to_numpy()
    ref = sm.Logit(y, sm.add_constant(Xa)).fit(disp=0, method="newton", maxiter=100)
    got = np.array([c["probability_model"]["intercept"], *[c["probability_model"]["coefficients"][f] for f in names]])
    np.testing.assert_allclose(got, ref.params, rtol=0, atol=2e-3)
    rate = r.validation.predictions["rate"].to_numpy()
    ref_rate = sm.GLM(rate, sm.add_constant(Xa), family=sm.families.Binomial()).fit()
    got_rate = np.array([c["rate_model"]["intercept"], *[c["rate_model"]["coefficients"][f] for f in names]])
    np.testing.assert_allclose(got_rate, ref_rate.params, rtol=0, atol=2e-3)


def small_ds_features(ds, names, result):
    from fip.data import pair_forms
    from fip.predict import build_features
    f = build_features(pair_forms(ds).measurements, ds.persons, ds.instrument, result.model.kind)
    return f.loc[result.validation.predictions["person_id"].to_numpy(), names].to_numpy(dtype=float)


def test_three_rater_instrument_trains():
    inst = load_instrument(THREE)
    r = train(simulate_cohort(4000, seed=3, instrument=inst), "progression", seed=0, compare=False)
    assert r.model.content["instrument"]["items"] == list(inst.item_ids())
    assert "b1_change" in r.model.features and r.validation.metrics.loc["logistic", "auc"] > 0.6


def test_errors(small_ds):
    with pytest.raises(FipError, match="at least 50"):
        train(simulate_cohort(60, seed=1), "intake", compare=False)
    with pytest.raises(ValueError, match="kind"):
        train(small_ds, "later")
    with pytest.raises(ValueError, match="outcome"):
        train(small_ds, outcome="emp_rate")
    with pytest.raises(FipError, match="caseworkers"):
        train(small_ds, n_folds=100_000, compare=False)
