"""Tests of the caseworker's own assessment: data, simulator, store, comparison with the model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score
from typer.testing import CliRunner

from fip.cli import app
from fip.data import load_dataset, pair_forms, write_dataset
from fip.disclosure import DisclosurePolicy
from fip.predict import load_model, save_model, train
from fip.predict.assessment import compare_assessment, weighted_kappa
from fip.report import sections as sec
from fip.simulate import simulate_cohort
from fip.study import Study

EXTRA = ["caseworker_assessment", "assessment_reason"]


def _auc_by_hand(y: np.ndarray, s: np.ndarray) -> float:
    """P(score of a person with a job > one without) + 1/2 P(tie), over all pairs."""
    pos, neg = s[y == 1], s[y == 0]
    d = pos[:, None] - neg[None, :]
    return float(((d > 0).sum() + 0.5 * (d == 0).sum()) / d.size)


def test_weighted_kappa_matches_sklearn():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 3, 500)
    b = np.clip(a + rng.integers(-1, 2, 500), 0, 2)
    assert weighted_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b, weights="quadratic"), abs=1e-12)


def test_comparison_by_hand():
    rng = np.random.default_rng(1)
    n = 300
    y = (rng.random(n) < 0.3).astype(float)
    p = np.clip(0.3 + 0.3 * (y - 0.3) + rng.normal(0, 0.15, n), 0.01, 0.99)
    band = pd.Series(np.array(["low", "middle", "high"])[np.digitize(p, [0.25, 0.4])])
    cw = pd.Series(np.array(["low", "medium", "high"])[rng.integers(0, 3, n)])
    cw[:10] = None                                   # no assessment: left out
    c = compare_assessment(y, p, band, cw, policy=DisclosurePolicy(5))
    keep = np.arange(n) >= 10
    yk, pk = y[keep], p[keep]
    mb = band[keep].map({"low": 0, "middle": 1, "high": 2}).to_numpy()
    ck = cw[keep].map({"low": 0, "medium": 1, "high": 2}).to_numpy()
    assert c.n == n - 10
    assert c.agreement.loc[0, "exact_agreement"] == pytest.approx(np.mean(mb == ck))
    acc = c.accuracy.set_index("rating")
    assert acc.loc["model_probability", "auc"] == pytest.approx(_auc_by_hand(yk, pk), abs=1e-12)
    assert acc.loc["caseworker", "auc"] == pytest.approx(_auc_by_hand(yk, ck), abs=1e-12)
    means = np.array([pk[mb == k].mean() for k in range(3)])
    assert acc.loc["caseworker", "brier"] == pytest.approx(np.mean((means[ck] - yk) ** 2), abs=1e-12)
    assert acc.loc["model_band", "brier"] == pytest.approx(np.mean((means[mb] - yk) ** 2), abs=1e-12)
    conf = c.confusion.set_index(["model_band", "caseworker"])
    assert conf.loc[("low", "high"), "n"] == int(((mb == 0) & (ck == 2)).sum())
    assert conf.loc[("all", "all"), "n"] == n - 10


def test_small_cells_are_hidden_with_their_complements():
    y = np.array([0, 1] * 30, float)
    p = np.linspace(0.1, 0.9, 60)
    band = pd.Series(["low"] * 20 + ["middle"] * 20 + ["high"] * 20)
    cw = pd.Series(["low"] * 17 + ["high"] * 3 + ["medium"] * 20 + ["high"] * 20)   # (low, high) = 3 persons
    c = compare_assessment(y, p, band, cw, policy=DisclosurePolicy(5)).confusion.set_index(["model_band", "caseworker"])
    assert c.loc[("low", "high"), "suppressed"] and pd.isna(c.loc[("low", "high"), "n"])
    # the row low: low 17 + high 3 = 20 shown as a margin -> the 17 must be hidden too
    assert c.loc[("low", "low"), "suppressed"] or c.loc[("low", "all"), "suppressed"]


def test_simulator_adds_assessments_and_changes_nothing_else(tmp_path):
    with_a = simulate_cohort(500, seed=5, assessments=True)
    without = simulate_cohort(500, seed=5)
    pd.testing.assert_frame_equal(with_a.forms.drop(columns=EXTRA), without.forms)
    pd.testing.assert_frame_equal(with_a.outcomes, without.outcomes)
    f = with_a.forms
    cw = f["respondent"] == "caseworker"
    assert f.loc[~cw, EXTRA].isna().all().all() and f.loc[cw, "caseworker_assessment"].notna().all()
    shares = f.loc[cw, "caseworker_assessment"].value_counts(normalize=True)
    assert np.allclose(shares[["low", "medium", "high"]], 1 / 3, atol=0.01)   # tertiles
    assert f.loc[f["assessment_reason"].notna(), "caseworker_assessment"].isin(["low", "high"]).all()
    # through a folder (validation of the codes) and the pairing
    back = load_dataset(write_dataset(with_a, tmp_path / "d"))
    m = pair_forms(back).measurements
    assert m["caseworker_assessment"].isin(["low", "medium", "high"]).all()


def test_danish_codes_are_read(tmp_path):
    folder = write_dataset(simulate_cohort(200, seed=6, assessments=True), tmp_path / "d")
    forms = pd.read_csv(folder / "forms.csv", dtype=str, keep_default_na=False)
    forms["caseworker_assessment"] = forms["caseworker_assessment"].map({"low": "lav", "medium": "middel", "high": "HØJ", "": ""})
    forms.to_csv(folder / "forms.csv", index=False)
    got = load_dataset(folder).forms["caseworker_assessment"].dropna()
    assert set(got) == {"low", "medium", "high"}


def test_store_takes_the_new_columns_after_an_older_import(tmp_path):
    from fip.store import import_dataset, load_store

    old = write_dataset(simulate_cohort(200, seed=7), tmp_path / "old")
    new = write_dataset(simulate_cohort(200, seed=7, assessments=True), tmp_path / "new")
    store = tmp_path / "s.duckdb"
    import_dataset(old, store, user="t")
    assert "caseworker_assessment" not in load_store(store).forms.columns
    import_dataset(new, store, user="t")
    forms = load_store(store).forms
    assert forms.loc[forms["respondent"] == "caseworker", "caseworker_assessment"].notna().all()


@pytest.fixture(scope="module")
def assessed():
    return simulate_cohort(seed=8, assessments=True)


def test_train_compares_and_records(assessed, tmp_path):
    r = train(assessed, "intake", compare=False, created_at="t")
    a = r.validation.assessment
    assert a is not None and a.n == r.n_persons
    rec = load_model(save_model(r.model, tmp_path / "m.json")).content["validation"]["assessment"]
    assert rec["agreement"]["weighted_kappa"] == pytest.approx(a.agreement.loc[0, "weighted_kappa"])
    assert "p0001" not in str(rec)
    plain = train(simulate_cohort(seed=8), "intake", compare=False, created_at="t")
    assert plain.validation.assessment is None and "assessment" not in plain.model.content["validation"]


def test_cli_train_shows_the_comparison(assessed, tmp_path):
    data = write_dataset(assessed, tmp_path / "d")
    run = CliRunner().invoke(app, ["train", str(data), "--out", str(tmp_path / "m.json"), "--C", "0.1"],
                             catch_exceptions=False)
    assert run.exit_code == 0, run.output
    said = " ".join(run.output.split())   # table titles wrap to the table's width
    assert "caseworker's own assessment" in said and "Out of time" in said


@pytest.mark.slow
def test_replicate_shows_it_only_when_present():
    plain = sec.prediction(Study(simulate_cohort(seed=9)), C=0.1)
    judged = sec.prediction(Study(simulate_cohort(seed=9, assessments=True)), C=0.1)
    extra = set(judged.tables) - set(plain.tables)
    assert extra == {f"prediction_{k}_assessment_{t}" for k in ("intake", "progression")
                     for t in ("confusion", "agreement", "accuracy")}
    for name in plain.tables:
        pd.testing.assert_frame_equal(plain.tables[name], judged.tables[name])


def test_a_cpr_number_in_a_reason_is_refused_on_import(tmp_path):
    from fip.errors import InvalidDataError
    from fip.store import import_dataset

    folder = write_dataset(simulate_cohort(200, seed=7, assessments=True), tmp_path / "d")
    forms = pd.read_csv(folder / "forms.csv", dtype=str, keep_default_na=False)
    row = int(forms.index[forms["respondent"] == "caseworker"][2])
    forms.loc[row, "assessment_reason"] = "talt med 010180-1000 om job"
    forms.to_csv(folder / "forms.csv", index=False)
    with pytest.raises(InvalidDataError) as err:
        import_dataset(folder, tmp_path / "s.duckdb", user="t")
    text = "\n".join(str(p) for p in err.value.problems)
    assert "assessment_reason" in text and "010180" not in text
