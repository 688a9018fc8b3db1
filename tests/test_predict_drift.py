"""Tests of fip.predict.drift: the training reference in the model file, PSI, the warning."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from fip.cli import app
from fip.data import write_dataset
from fip.disclosure import DisclosurePolicy
from fip.errors import DriftWarning
from fip.predict import ModelFileError, load_model, model_from_json, save_model, score, train
from fip.predict.drift import PSI_EPSILON, drift_report, psi, reference_block
from fip.predict.modelfile import Model
from fip.simulate import simulate_cohort
from fip.simulate.calibration import load_scenario

SHIFTED = "later_period_new_origins"


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = tmp_path_factory.mktemp("drift") / "m.json"
    result = train(simulate_cohort(seed=1), "intake", compare=False, created_at="t")
    return load_model(save_model(result.model, path)), path   # written by train, loads back


def test_psi_against_hand_computation():
    # 0.25 ln 2 + (-0.25) ln(0.5 / 0.75)
    assert psi(np.array([0.5, 0.5]), np.array([0.25, 0.75])) == pytest.approx(
        0.25 * math.log(2) - 0.25 * math.log(2 / 3), abs=1e-12)
    # an empty bin is floored at epsilon: (eps - 0.5) ln(eps / 0.5) + 0.5 ln(1 / 0.5)
    hand = (PSI_EPSILON - 0.5) * math.log(PSI_EPSILON / 0.5) + 0.5 * math.log(2)
    assert psi(np.array([0.0, 1.0]), np.array([0.5, 0.5])) == pytest.approx(hand, abs=1e-12)
    assert psi(np.array([0.2, 0.3, 0.5]), np.array([0.2, 0.3, 0.5])) == 0


def test_reference_bins_and_report_by_hand():
    """Ten persons valued 1..10 plus a 0/1 indicator; threshold 3 (so bins merge)."""
    ids = [f"p{k}" for k in range(12)]
    x = np.array([1, 1, 1, 2, 2, 3, 3, 3, 3, 4, 9, 10], dtype=float)
    flag = np.array([0] * 10 + [1, 1], dtype=float)
    feats = pd.DataFrame({"x": x, "flag": flag}, index=ids)
    persons = pd.DataFrame({"person_id": ids, "origin": ["Syria"] * 8 + ["Eritrea"] * 3 + ["Iran"],
                            "gender": ["female", "male"] * 6})
    coding = {"origin": {"column": "origin"}, "gender": {"column": "gender"},
              "education": {"column": "education"}, "work_experience": {"column": "work_experience"}}
    block = reference_block(feats, persons, coding, DisclosurePolicy(3))
    # deciles (inverted cdf) of x: 1,1,2,3,3,3,3,4,9 -> edges 1,2,3,4,9; bins <=1 (3), (1,2] (2),
    # (2,3] (4), (3,4] (1), (4,9] (1), >9 (1); the smallest bins merge into their smaller
    # neighbour until every bin has >= 3: ... -> <=2 (5), (2,3] (4), >3 (3)
    spec = block["features"]["x"]
    assert spec["edges"] == [2.0, 3.0]
    assert spec["shares"] == pytest.approx([5 / 12, 4 / 12, 3 / 12], abs=1e-6)
    assert (spec["low"], spec["high"]) == (1.0, 4.0)          # 3rd smallest, 3rd largest
    # the indicator has 2 ones: fewer than 3, so one bin only and high = 0
    assert block["features"]["flag"] == {"edges": [], "shares": [1.0], "low": 0.0, "high": 0.0}
    # origin: syria 8, eritrea 3, iran 1 -> iran alone would be a pool of 1: eritrea joins it
    assert block["categories"]["origin"] == {"column": "origin", "seen": ["eritrea", "syria"],
                                             "shares": {"syria": round(8 / 12, 6), "_rare": round(4 / 12, 6)}}
    assert "p1" not in json.dumps(block)

    # a cohort: x all 5 (one bin >3, and above high), two persons flagged, 60 persons
    n = 60
    cohort = pd.DataFrame({"x": np.full(n, 5.0), "flag": np.r_[np.ones(2), np.zeros(n - 2)]},
                          index=[f"q{k}" for k in range(n)])
    cp = pd.DataFrame({"person_id": cohort.index, "origin": ["Syria"] * 30 + ["Ukraine"] * 30,
                       "gender": ["female"] * n})
    rep = drift_report(cohort, cp, {"drift_reference": block}, DisclosurePolicy(3))
    f = rep.features.set_index("feature")
    hand = psi(np.array([0, 0, 1.0]), np.array([5 / 12, 4 / 12, 3 / 12]))
    assert f.loc["x", "psi"] == pytest.approx(hand, rel=1e-5)
    assert f.loc["x", "status"] == "major" and f.loc["x", "share_outside"] == 1.0
    assert f.loc["flag", "status"] == "not checked"        # one training bin
    assert np.isnan(f.loc["flag", "share_outside"])        # 2 persons outside: fewer than 3, hidden
    c = rep.categories.set_index("section")
    assert c.loc["origin", "unseen"] == "ukraine" and c.loc["origin", "n_unseen"] == 30
    # origin of the cohort: syria 0.5, _rare 0.5 (ukraine is pooled)
    assert c.loc["origin", "psi"] == pytest.approx(psi(np.array([0.5, 0.5]), np.array([8 / 12, 4 / 12])), rel=1e-5)
    assert "x" in rep.flagged and "origin" in rep.flagged and "ukraine" in rep.message
    assert set(rep.tidy().columns) == {"part", "name", "statistic", "value"}


def test_reference_rests_on_min_cell_persons(model):
    m, _ = model
    ref = m.content["drift_reference"]
    assert set(ref["features"]) == set(m.features)
    for spec in [*ref["features"].values(), *({"shares": list(c["shares"].values())} for c in ref["categories"].values())]:
        assert all(round(s * ref["n"]) >= ref["min_cell"] for s in spec["shares"])
    assert "p0001" not in m.canonical


def test_shifted_cohort_warns_unshifted_does_not(model):
    """Trained on seed 1; an independent cohort (seed 2) is quiet, the later period with
    another origin mix (configs/calibration_scenarios.yaml) warns, naming the features.

    Measured false-alarm rate (5 training seeds x 4 independent cohorts of the default size,
    and of 300 persons): 0 of 20 at each size; the largest feature PSI under no shift was
    0.049 (1,228 persons) and 0.156 (300 persons), the smallest largest PSI of the shifted
    cohorts 0.445 and 0.388: all 40 shifted cohorts warned."""
    m, _ = model
    with warnings.catch_warnings():
        warnings.simplefilter("error", DriftWarning)
        quiet = score(simulate_cohort(seed=2), m)
    assert quiet.attrs["drift"].message == ""
    assert (quiet.attrs["drift"].features["status"] == "stable").all()
    with pytest.warns(DriftWarning, match="origin_other") as record:
        score(simulate_cohort(seed=2, scenario=SHIFTED), m)
    assert "ukraine" in str(record[0].message)


def test_shifted_scenario_moves_dates_and_origins():
    cal = load_scenario(SHIFTED)
    ds = simulate_cohort(seed=4, scenario=SHIFTED)
    assert ds.forms["answered_on"].min() >= pd.Timestamp(cal["dates"]["first"])
    share = ds.persons["origin"].value_counts(normalize=True)
    assert abs(share["Syria"] - 0.32) < 4 * math.sqrt(0.32 * 0.68 / len(ds.persons))
    with pytest.raises(ValueError, match="scenario must be one of"):
        simulate_cohort(10, scenario="nope")


def test_small_cohort_is_not_warned_about(model):
    m, _ = model
    with warnings.catch_warnings():
        warnings.simplefilter("error", DriftWarning)
        s = score(simulate_cohort(40, seed=5, scenario=SHIFTED), m)
    assert (s.attrs["drift"].features["status"] == "not checked").all()


def test_edited_reference_is_refused(model):
    m, _ = model
    content = m.content
    content["drift_reference"]["features"]["c01_level"]["shares"][0] += 0.2
    with pytest.raises(ModelFileError, match=r"drift_reference.features.c01_level.shares"):
        model_from_json(Model.from_content(content).to_json())
    content = m.content
    content["drift_reference"]["features"]["c01_level"]["shares"][0] = 1.5
    with pytest.raises(ModelFileError, match=r"drift_reference"):
        model_from_json(Model.from_content(content).to_json())


def test_model_file_without_reference_still_scores(model):
    m, _ = model
    content = m.content
    del content["drift_reference"]
    old = model_from_json(Model.from_content(content).to_json())
    s = score(simulate_cohort(200, seed=3), old)
    assert s.attrs["drift"] is None


def test_cli_score_warns_on_stderr(model, tmp_path):
    _, path = model
    data = write_dataset(simulate_cohort(seed=2, scenario=SHIFTED), tmp_path / "later")
    result = CliRunner().invoke(app, ["score", str(data), "--model", str(path), "--out", str(tmp_path / "s.csv")],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("warning:")]
    assert len(lines) == 1 and "origin_other" in lines[0] and "Traceback" not in result.output


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.integers(0, 40), min_size=5, max_size=120), k=st.integers(1, 6))
def test_every_stored_bin_rests_on_at_least_k_persons(values, k):
    x = np.array(values, dtype=float)
    ids = [f"p{i}" for i in range(len(x))]
    block = reference_block(pd.DataFrame({"x": x}, index=ids), pd.DataFrame({"person_id": ids}), {
        s: {"column": s} for s in ("gender", "origin", "education", "work_experience")}, DisclosurePolicy(k))
    spec = block["features"]["x"]
    counts = np.bincount(np.searchsorted(spec["edges"], x, side="left"), minlength=len(spec["edges"]) + 1)
    assert len(counts) == len(spec["shares"]) and counts.sum() == len(x)
    assert (counts >= min(k, len(x))).all()                      # no bin of 1 .. k-1 persons
    np.testing.assert_allclose(counts / len(x), spec["shares"], atol=1e-6)
    assert all(a < b for a, b in zip(spec["edges"], spec["edges"][1:]))
    assert (x < spec["low"]).sum() < k and (x > spec["high"]).sum() < k


def test_cli_simulate_scenario(tmp_path):
    run = CliRunner().invoke(app, ["simulate", "--persons", "100", "--scenario", SHIFTED, "--out", str(tmp_path / "d")],
                             catch_exceptions=False)
    assert run.exit_code == 0, run.output
    assert "Ukraine" in (tmp_path / "d" / "persons.csv").read_text(encoding="utf-8")
    run = CliRunner().invoke(app, ["simulate", "--persons", "100", "--scenario", "nope", "--out", str(tmp_path / "e")])
    assert run.exit_code == 2 and "scenario must be one of" in run.stderr and not (tmp_path / "e").exists()


def test_without_drift_report_same_rows_no_warning(model):
    """score(..., drift=False) (the service's one-citizen score) gives the same rows, no report
    and no warning, even for a shifted cohort."""
    m, _ = model
    cohort = simulate_cohort(400, seed=2, scenario=SHIFTED)
    with pytest.warns(DriftWarning):
        full = score(cohort, m)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DriftWarning)
        light = score(cohort, m, drift=False)
    assert light.attrs["drift"] is None and full.attrs["drift"] is not None
    pd.testing.assert_frame_equal(light, full, check_like=False)
