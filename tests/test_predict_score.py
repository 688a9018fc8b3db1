"""Tests of fip.predict.score: probabilities, bands, reasons, refusal of mismatched data."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy.special import logit

from fip.data import Dataset, pair_forms
from fip.errors import FipError
from fip.instrument import load_instrument
from fip.predict import ModelFileError, build_features, load_model, save_model, score, train
from fip.simulate import simulate_cohort

THREE = "tests/data/instrument_three_raters.yaml"


@pytest.fixture(scope="module")
def trained():
    ds = simulate_cohort(6000, seed=31)
    return ds, {k: train(ds, k, seed=0, compare=False, created_at="t") for k in ("intake", "progression")}


@pytest.mark.parametrize("kind", ["intake", "progression"])
def test_probability_equals_sklearn_pipeline(trained, kind, tmp_path):
    ds, results = trained
    r = results[kind]
    model = load_model(save_model(r.model, tmp_path / "m.json"))
    s = score(ds, model).set_index("person_id")
    f = build_features(pair_forms(ds).measurements, ds.persons, ds.instrument, kind)
    expected = r.pipeline.predict_proba(f.loc[s.index, list(model.features)].to_numpy(dtype=float))[:, 1]
    np.testing.assert_allclose(s["probability"].to_numpy(), expected, rtol=1e-10, atol=1e-12)
    # intake scores every person with a round 1, progression those with rounds 1 and 2
    m = pair_forms(ds).measurements
    rounds = m.groupby("person_id")["round"].max()
    n_expected = len(rounds) if kind == "intake" else int((rounds >= 2).sum())
    assert len(s) == n_expected


def test_bands_ranges_and_rates(trained):
    ds, results = trained
    model = results["intake"].model
    s = score(ds, model)
    lo, hi = model.content["bands"]["cuts"]
    expected = np.where(s["probability"] < lo, "low", np.where(s["probability"] < hi, "middle", "high"))
    assert (s["band"].to_numpy() == expected).all()
    ok = s["ci_low"].notna()
    assert ok.mean() > 0.9 and (s.loc[ok, "ci_low"] <= s.loc[ok, "ci_high"]).all()
    # fitted logit models with an unpenalised intercept reproduce the training mean
    pred = results["intake"].validation.predictions
    train_scores = s.set_index("person_id").loc[pred["person_id"]]
    assert abs(train_scores["probability"].mean() - pred["y"].mean()) < 1e-4
    assert abs(train_scores["expected_emp_rate"].mean() - pred["rate"].mean()) < 1e-4


def test_top_items_are_the_largest_contributions(trained):
    ds, results = trained
    r = results["progression"]
    model = r.model
    s = score(ds, model, lang="en").set_index("person_id")
    f = build_features(pair_forms(ds).measurements, ds.persons, ds.instrument, "progression").loc[s.index]
    names = list(model.features)
    X = f[names].to_numpy(dtype=float)
    imputer_means = r.pipeline.named_steps["impute"].statistics_
    c = model.content
    unit = np.array([c["probability_model"]["coefficients"][n] / c["preprocessing"]["scale"][n] for n in names])
    items = ds.instrument.item_ids()
    contrib = {it: sum(unit[j] * (X[:, j] - imputer_means[j]) for j, n in enumerate(names)
                       if n in (f"{it}_level", f"{it}_change")) for it in items}
    table = pd.DataFrame(contrib, index=s.index)
    top = table.abs().to_numpy().argsort(axis=1)[:, ::-1][:, :3]
    assert (s["item_1"].to_numpy() == np.array(items)[top[:, 0]]).all()
    assert (s["item_3"].to_numpy() == np.array(items)[top[:, 2]]).all()
    np.testing.assert_allclose(s["item_1_contribution"].to_numpy(),
                               table.to_numpy()[np.arange(len(s)), top[:, 0]], atol=1e-10)
    # removing the top item's deviation from the training mean moves the log-odds by its contribution
    k = 0
    pid, item = s.index[k], s["item_1"].iloc[k]
    row = X[k].copy()
    for j, n in enumerate(names):
        if n in (f"{item}_level", f"{item}_change"):
            row[j] = imputer_means[j]
    p_without = r.pipeline.predict_proba(row[None, :])[0, 1]
    assert abs(logit(s.loc[pid, "probability"]) - logit(p_without) - s.loc[pid, "item_1_contribution"]) < 1e-9
    assert s["item_1_label"].iloc[0] == ds.instrument.label(s["item_1"].iloc[0], "en")


def test_round_one_only_cohort(trained):
    _, results = trained
    new = simulate_cohort(800, seed=99)
    m = pair_forms(new).measurements
    first = m[m["round"] == 1][["person_id", "month"]]
    forms = new.forms.assign(month=new.forms["answered_on"].dt.to_period("M"))
    keep = forms.merge(first, on=["person_id", "month"], how="inner").drop(columns="month")
    only_r1 = dataclasses.replace(new, forms=keep, outcomes=new.outcomes.iloc[0:0])
    s = score(only_r1, results["intake"].model)
    assert len(s) == len(first) and s["probability"].between(0, 1).all()
    with pytest.raises(FipError, match="rounds 1 and 2"):
        score(only_r1, results["progression"].model)


def test_missing_items_are_imputed(trained):
    ds, results = trained
    m = pair_forms(ds).measurements.copy()
    first = ds.instrument.item_ids()[0]
    m.loc[m.index[:50], first] = pd.NA
    s = score(m, results["intake"].model, persons=ds.persons, instrument=ds.instrument)
    assert (s["n_imputed"] > 0).sum() == (m.iloc[:50]["round"] == 1).sum()


def test_mismatched_data_is_refused(trained):
    ds, results = trained
    model = results["intake"].model
    other_version = dataclasses.replace(ds, instrument=dataclasses.replace(ds.instrument, version="fip-2099.1"))
    with pytest.raises(ModelFileError, match="fip-2099.1"):
        score(other_version, model)
    three = simulate_cohort(300, seed=1, instrument=load_instrument(THREE))
    with pytest.raises(ModelFileError, match="instrument"):
        score(three, model)
    m = pair_forms(ds).measurements
    with pytest.raises(ModelFileError, match="lack the item"):
        score(m.drop(columns=["c05"]), model, persons=ds.persons, instrument=ds.instrument)
    with pytest.raises(FipError, match="persons="):
        score(m, model)
    with pytest.raises(ValueError, match="lang"):
        score(ds, model, lang="fr")
