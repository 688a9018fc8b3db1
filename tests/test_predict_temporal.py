"""Tests of fip.predict.temporal: out-of-time validation (fit on earlier, test on later)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

from fip.data import pair_forms
from fip.errors import FipError
from fip.predict import build_features, feature_names, load_model, save_model, train
from fip.predict.temporal import split_date, validate_out_of_time
from fip.regression import outcome_window
from fip.simulate import simulate_cohort

C = 0.1


@pytest.fixture(scope="module")
def cohort():
    return simulate_cohort(seed=11)


def test_split_date_by_share_keeps_a_day_on_one_side():
    d = pd.Series(pd.to_datetime(["2018-01-01"] * 3 + ["2018-02-01"] * 3 + ["2018-03-01"] * 4))
    # the earliest 50 % end inside the 2018-02-01 persons: they all train, the split is the next date
    assert split_date(d, 0.5) == pd.Timestamp("2018-03-01")
    assert split_date(d, 0.3) == pd.Timestamp("2018-02-01")
    assert split_date(d, "2018-02-15") == pd.Timestamp("2018-02-15")
    for bad in (0, 1, 1.5, "soon", True):
        with pytest.raises(ValueError, match="out_of_time must be"):
            split_date(d, bad)


def test_metrics_match_an_independent_fit(cohort, tmp_path):
    """The split, fit and metrics recomputed from the features with scikit-learn and numpy."""
    result = train(cohort, "intake", C=C, compare=False, created_at="t", out_of_time="2018-06-01")
    oot = result.validation.out_of_time
    pairing = pair_forms(cohort)
    feats = build_features(pairing.measurements, cohort.persons, cohort.instrument, "intake")
    table = outcome_window(cohort, pairing, "round_1").table
    ids = table.index.intersection(feats.index).sort_values()
    m = pairing.measurements
    r1 = m[m["round"] == 1].assign(person_id=m["person_id"].astype(str)).set_index("person_id")["measured_on"]
    dates = pd.to_datetime(r1.loc[ids])
    X = feats.loc[ids, list(feature_names(cohort.instrument, "intake"))].to_numpy(float)
    y = table.loc[ids, "emp_dummy"].to_numpy(float)
    early = (dates < pd.Timestamp("2018-06-01")).to_numpy()
    imp = SimpleImputer(keep_empty_features=True).fit(X[early])
    sc = StandardScaler().fit(imp.transform(X[early]))
    lr = LogisticRegression(C=C, max_iter=10_000, tol=1e-10).fit(sc.transform(imp.transform(X[early])), y[early])
    p = lr.predict_proba(sc.transform(imp.transform(X[~early])))[:, 1]
    got = oot.metrics.loc["logistic"]
    assert (oot.n_train, oot.n_test) == (int(early.sum()), int((~early).sum()))
    np.testing.assert_allclose(got["auc"], roc_auc_score(y[~early], p), rtol=1e-6)
    np.testing.assert_allclose(got["brier"], np.mean((p - y[~early]) ** 2), rtol=1e-5)
    np.testing.assert_allclose(got["mean_predicted"], p.mean(), rtol=1e-5)
    assert got["observed"] == pytest.approx(y[~early].mean(), abs=1e-12)
    assert oot.train_period[1] < "2018-06" <= oot.test_period[0]
    # recorded in the model file, which loads back
    model = load_model(save_model(result.model, tmp_path / "m.json"))
    rec = model.content["validation"]["out_of_time"]
    assert rec["split"] == "2018-06-01" and rec["metrics"]["auc"] == pytest.approx(got["auc"])


def test_standalone_function_and_refusal(cohort):
    rep = validate_out_of_time(cohort, "intake", split=0.7, C=C)
    assert rep.n_train / (rep.n_train + rep.n_test) == pytest.approx(0.7, abs=0.02)
    assert set(rep.tidy()["metric"]) >= {"auc", "brier", "calibration_slope"}
    with pytest.raises(FipError, match="after"):
        validate_out_of_time(cohort, "intake", split="2030-01-01", C=C)
    with pytest.warns(UserWarning, match="out-of-time validation not done"):
        r = train(cohort, "intake", C=C, compare=False, created_at="t", out_of_time="2030-01-01")
    assert r.validation.out_of_time is None and "out_of_time" not in r.model.content["validation"]
