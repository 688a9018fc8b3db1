"""Tests of fip.predict.recalibrate and `fip recalibrate`: a, b against statsmodels' GLM."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from scipy.special import expit, logit
from typer.testing import CliRunner

from fip.cli import app
from fip.data import pair_forms, write_dataset
from fip.errors import FipError
from fip.predict import load_model, save_model, score, train
from fip.predict.recalibrate import recalibrate
from fip.regression import outcome_window
from fip.simulate import simulate_cohort

NEWER = "later_period_new_origins"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    path = tmp_path_factory.mktemp("recal") / "m.json"
    model = train(simulate_cohort(seed=1), "intake", compare=False, created_at="t").model
    return load_model(save_model(model, path)), path


@pytest.fixture(scope="module")
def newer():
    return simulate_cohort(seed=2, scenario=NEWER)


def test_a_and_b_match_statsmodels_glm(trained, newer, tmp_path):
    model, _ = trained
    result = recalibrate(model, newer, date="2026-06-30")
    s = score(newer, model, check_drift=False).set_index("person_id")
    table = outcome_window(newer, pair_forms(newer), "round_1").table
    ids = s.index.intersection(table.index)
    eta = logit(s.loc[ids, "probability"].to_numpy())
    y = table.loc[ids, "emp_dummy"].to_numpy()
    glm = sm.GLM(y, sm.add_constant(eta), family=sm.families.Binomial()).fit(tol=1e-12)
    np.testing.assert_allclose([result.a, result.b], glm.params, rtol=1e-7, atol=1e-9)
    assert result.n == len(ids)
    # the new file applies it: p_new = expit(a + b * eta) for every person
    new = load_model(save_model(result.model, tmp_path / "new.json"))
    s2 = score(newer, new, check_drift=False).set_index("person_id")
    np.testing.assert_allclose(s2.loc[ids, "probability"], expit(glm.params[0] + glm.params[1] * eta), rtol=1e-9)
    assert (s2["ci_low"] <= s2["probability"]).all() and (s2["probability"] <= s2["ci_high"]).all()
    V0 = np.array(model.content["probability_model"]["covariance"])
    V1 = np.array(new.content["probability_model"]["covariance"])
    np.testing.assert_allclose(V1, result.b**2 * V0, rtol=1e-12)
    rec = new.content["recalibration"][-1]
    assert rec["date"] == "2026-06-30" and rec["previous_sha256"] == model.sha256
    assert rec["window"] == {"after": "round_1", "months": 6} and rec["first_month"] >= "2021-08"
    # in-sample after recalibration: slope 1 and calibration in the large 0 (the score equations)
    assert rec["after"]["calibration_slope"] == pytest.approx(1, abs=1e-6)
    assert rec["after"]["calibration_intercept"] == pytest.approx(0, abs=1e-6)
    assert rec["before"]["calibration_slope"] == pytest.approx(result.b, rel=1e-6)
    # recalibrating again appends
    again = recalibrate(new, newer, date="2026-07-01").model.content["recalibration"]
    assert [r["date"] for r in again] == ["2026-06-30", "2026-07-01"]
    assert again[1]["b"] == pytest.approx(1, abs=1e-6)


def test_refuses_below_the_minimum_of_events(trained):
    model, _ = trained
    with pytest.raises(FipError, match="recalibration needs at least 20"):
        recalibrate(model, simulate_cohort(60, seed=3))


def test_cli_recalibrate(trained, newer, tmp_path):
    _, path = trained
    data = write_dataset(newer, tmp_path / "newer")
    out = tmp_path / "new.json"
    run = CliRunner().invoke(app, ["recalibrate", str(path), str(data), "--out", str(out), "--date", "2026-06-30"],
                             catch_exceptions=False)
    assert run.exit_code == 0, run.output
    said = " ".join(run.output.split())   # table titles wrap to the table's width
    assert "b = " in said and load_model(out).content["recalibration"][0]["date"] == "2026-06-30"
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    run = CliRunner().invoke(app, ["recalibrate", str(bad), str(data), "--out", str(tmp_path / "x.json")])
    assert run.exit_code == 2 and "Traceback" not in run.output and not (tmp_path / "x.json").exists()
