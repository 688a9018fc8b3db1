"""Tests of fip.simulate.outcomes (the monthly outcomes model of the synthetic cohort) and
fip.simulate.outcome_calibration (the Tabel 4.9 fits behind the stored implied coefficients).

Reference values come from outside the generator: the published paths and Tabel 4.9 are read
from configs/fip_published.yaml (the study's transcription); the index effects of the real
pipeline (simulate_cohort -> pair_forms -> indices -> outcomes) are compared with the implied
coefficients stored in configs/calibration_outcomes.yaml (a 400,000-person cohort with another
seed) by an OLS written here (pandas group means + numpy lstsq), not the module's. Indices,
controls and window outcomes are recomputed here from the raw tables; the module's analysis
table (fip.regression.build_analysis_table on the stand-in inputs) is checked against them
cell by cell, and its fits (fip.regression.fit_models) against statsmodels OLS with explicit
caseworker dummies.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from fip._resources import config_path
from fip.data import pair_forms
from fip.errors import ConfigError, InvalidDataError
from fip.instrument import load_instrument
from fip.published import load_published
from fip.simulate import simulate_cohort
from fip.regression import build_analysis_table
from fip.simulate.outcome_calibration import (
    example_analysis,
    example_inputs,
    implied_coefficients,
    overall_definitions,
    table_4_9_fits,
)
from fip.simulate.outcomes import OUTCOME_COLUMNS, simulate_outcomes

THREE = Path(__file__).parent / "data" / "instrument_three_raters.yaml"
N_LARGE = 50_000  # about 22,600 persons with two rounds


@pytest.fixture(scope="module")
def fip():
    return load_instrument()


@pytest.fixture(scope="module")
def three():
    return load_instrument(THREE)


@pytest.fixture(scope="module")
def small(fip):
    persons, meas = example_inputs(400, fip, np.random.default_rng(11))
    return persons, meas


@pytest.fixture(scope="module")
def large(fip):
    persons, meas = example_inputs(N_LARGE, fip, np.random.default_rng(101))
    panel = simulate_outcomes(persons, meas, fip, np.random.default_rng(102))
    return persons, meas, panel


# ----------------------------------------------------------------------------- helpers
def _month(dates: pd.Series) -> pd.Series:
    return pd.to_datetime(dates).dt.to_period("M")


def _relative(panel, meas, persons, anchor_round):
    """Panel rows of persons having ``anchor_round`` with k = month - anchor month, gender."""
    anchor = meas.loc[meas["round"] == anchor_round, ["person_id", "measured_on"]]
    anchor = anchor.assign(anchor=_month(anchor["measured_on"]))[["person_id", "anchor"]]
    p = panel.merge(anchor, on="person_id").merge(persons[["person_id", "gender"]], on="person_id")
    p["k"] = p["month"].array.asi8 - p["anchor"].array.asi8  # period[M] ordinals
    return p


def _window(panel, meas, persons, anchor_round=2):
    """The study's four outcomes over months 1-6 after ``anchor_round``, computed here."""
    p = _relative(panel, meas, persons, anchor_round)
    p = p[(p["k"] >= 1) & (p["k"] <= 6)].assign(employed=lambda f: f["employment_rate"] > 0)
    return p.groupby("person_id").agg(
        emp_rate=("employment_rate", "mean"),
        emp_dummy=("employed", "max"),
        ord_emp_dummy=("ordinary_employment", "max"),
        edu_dummy=("education", "max"),
        months=("k", "size"),
    ).astype(float)


def _indices(meas, inst, respondent):
    items = list(inst.item_ids(respondent))
    return meas[items].astype("float64").mean(axis=1)


def _design(meas, inst):
    """Per person with rounds 1 and 2: citizen/caseworker level and change, round-2 caseworker."""
    m = meas.assign(ic=_indices(meas, inst, inst.respondents[0].id),
                    iw=_indices(meas, inst, inst.caseworker_from))
    r1 = m[m["round"] == 1].set_index("person_id")
    r2 = m[m["round"] == 2].set_index("person_id")
    r1 = r1.loc[r2.index]
    return pd.DataFrame({
        "citizen_level": r1["ic"], "citizen_change": r2["ic"] - r1["ic"],
        "caseworker_level": r1["iw"], "caseworker_change": r2["iw"] - r1["iw"],
        "caseworker_id": r2["caseworker_id"],
    })


def _areg(frame, y, xs, group):
    """OLS of y on xs absorbing ``group`` (within transformation); iid SE, areg df."""
    cols = [y, *xs]
    dm = frame[cols] - frame.groupby(group)[cols].transform("mean")
    X, yv = dm[xs].to_numpy(), dm[y].to_numpy()
    beta, *_ = np.linalg.lstsq(X, yv, rcond=None)
    resid = yv - X @ beta
    df = len(yv) - len(xs) - frame[group].nunique()
    cov = resid @ resid / df * np.linalg.inv(X.T @ X)
    return beta, np.sqrt(np.diag(cov))


def _digest(frame: pd.DataFrame) -> str:
    h = hashlib.sha256()
    for col in frame.columns:
        arr = frame[col].array
        data = arr.asi8 if hasattr(arr, "asi8") else np.asarray(frame[col].to_numpy())
        h.update(np.asarray(data).astype(str if data.dtype == object else data.dtype).tobytes())
    return h.hexdigest()


# ----------------------------------------------------------------------------- contract
def test_columns_dtypes_and_rows_per_person(fip, small):
    persons, meas = small
    panel = simulate_outcomes(persons, meas, fip, np.random.default_rng(1))
    assert tuple(panel.columns) == OUTCOME_COLUMNS
    assert pd.api.types.is_string_dtype(panel["person_id"])
    assert panel["month"].dtype == pd.PeriodDtype("M")
    assert panel["employment_rate"].dtype == np.float64
    assert panel["ordinary_employment"].dtype == bool
    assert panel["education"].dtype == bool
    # One row per person and month, first measurement month .. last + 6, no gaps, sorted.
    span = meas.assign(m=_month(meas["measured_on"])).groupby("person_id")["m"].agg(["min", "max"])
    got = panel.groupby("person_id")["month"].agg(["min", "max", "size"])
    assert got.index.equals(span.index.astype(got.index.dtype).sort_values())
    assert (got["min"] == span.loc[got.index, "min"]).all()
    assert (got["max"] == span.loc[got.index, "max"] + 6).all()
    lengths = got["max"].array.asi8 - got["min"].array.asi8 + 1
    assert (got["size"] == lengths).all()
    assert not panel.duplicated(["person_id", "month"]).any()
    assert panel["person_id"].is_monotonic_increasing
    ordinals = pd.Series(panel["month"].array.asi8, index=panel.index)
    assert (ordinals.groupby(panel["person_id"]).diff().dropna() == 1).all()


def test_persons_without_measurements_get_no_rows(fip, small):
    persons, meas = small
    extra = persons.iloc[:1].assign(person_id="NO_FORMS")
    panel = simulate_outcomes(pd.concat([persons, extra], ignore_index=True), meas, fip,
                              np.random.default_rng(1))
    assert "NO_FORMS" not in set(panel["person_id"])


def test_deterministic_and_seed_dependent(fip, small):
    persons, meas = small
    a = simulate_outcomes(persons, meas, fip, np.random.default_rng(5))
    b = simulate_outcomes(persons, meas, fip, np.random.default_rng(5))
    c = simulate_outcomes(persons, meas, fip, np.random.default_rng(6))
    pd.testing.assert_frame_equal(a, b)
    assert _digest(a) == _digest(b)
    assert _digest(a) != _digest(c)


def test_row_order_of_inputs_does_not_matter(fip, small):
    persons, meas = small
    a = simulate_outcomes(persons, meas, fip, np.random.default_rng(5))
    shuffled = simulate_outcomes(persons.sample(frac=1, random_state=3),
                                 meas.sample(frac=1, random_state=4), fip, np.random.default_rng(5))
    pd.testing.assert_frame_equal(a, shuffled)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(1, 60), seed=st.integers(0, 2**32 - 1),
       missing=st.sampled_from([0.0, 0.3]))
def test_invariants(fip, n, seed, missing):
    rng = np.random.default_rng(seed)
    persons, meas = example_inputs(n, fip, rng, params={"example_inputs": {"item_missing_share": missing}})
    panel = simulate_outcomes(persons, meas, fip, rng)
    rate = panel["employment_rate"]
    assert rate.between(0.0, 1.0).all()
    assert (rate[panel["ordinary_employment"]] > 0).all()
    assert panel["person_id"].nunique() == n


# ----------------------------------------------------------------------------- published paths
def _se(p: float, n: int) -> float:
    """Binomial SE sqrt(p(1-p)/n); for a mean of rates in [0,1] it bounds the SE from above."""
    return float(np.sqrt(p * (1 - p) / n))


def _check(sim: float, lo: float, hi: float, n: int, what: str) -> None:
    """sim within [lo, hi] (the published rounding interval) widened by 4 SE at sim's level."""
    tol = 4 * _se(min(max(sim, lo), hi), n)
    assert lo - tol <= sim <= hi + tol, f"{what}: {sim:.4f} not in [{lo:.4f}, {hi:.4f}] +- {tol:.4f}"


@pytest.mark.parametrize("source", ["example", "cohort"])
def test_monthly_paths_match_the_study(request, source):
    """Published paths after round 2: on the example inputs (true rounds) and on the cohort
    (simulate_cohort, rounds as pair_forms numbers them)."""
    if source == "example":
        persons, meas, panel = request.getfixturevalue("large")
    else:
        ds, meas, _ = request.getfixturevalue("cohort")
        persons, panel = ds.persons, ds.outcomes
    pub = load_published()["sample"]["outcomes_after_2nd_measurement"]
    p = _relative(panel, meas, persons, 2)
    p["subsidy"] = (p["employment_rate"] > 0) & ~p["ordinary_employment"]
    n_all = p["person_id"].nunique()
    n_g = p.groupby("gender")["person_id"].nunique()
    by = p.groupby(["gender", "k"])[["employment_rate", "subsidy", "education"]].mean()
    allk = p.groupby("k")[["employment_rate", "subsidy", "education"]].mean()
    half = 0.005  # published values are whole percents: x means [x - 0.5, x + 0.5] %
    emp = pub["employment_rate_pct"]
    for k in (1, 6):
        v = emp["all"][f"month{k}"] / 100
        _check(allk.loc[k, "employment_rate"], v - half, v + half, n_all, f"employment all month {k}")
    for gender, key in (("male", "men"), ("female", "women")):
        v = emp["month6"][key] / 100
        _check(by.loc[(gender, 6), "employment_rate"], v - half, v + half, n_g[gender], f"employment {key} m6")
    wage = pub["wage_subsidy_job_share_pct"]
    # "knap 4" / "knap 6" (just under): read as [3, 4] and [5, 6] percent.
    assert str(wage["all"]["month1"]).startswith("knap 4") and str(wage["all"]["month6"]).startswith("knap 6")
    _check(allk.loc[1, "subsidy"], 0.03, 0.04, n_all, "wage subsidy all month 1")
    _check(allk.loc[6, "subsidy"], 0.05, 0.06, n_all, "wage subsidy all month 6")
    for k in (1, 6):
        v = wage["men"][f"month{k}"] / 100
        _check(by.loc[("male", k), "subsidy"], v - half, v + half, n_g["male"], f"wage subsidy men m{k}")
    assert "about 2" in wage["women"]
    for k in range(1, 7):
        _check(by.loc[("female", k), "subsidy"], 0.015, 0.025, n_g["female"], f"wage subsidy women m{k}")
    edu = pub["ordinary_education_share_pct"]
    v = edu["all_month2"] / 100
    _check(allk.loc[2, "education"], v - half, v + half, n_all, "education all month 2")
    for gender, key in (("male", "men"), ("female", "women")):
        v = edu["month6"][key] / 100
        _check(by.loc[(gender, 6), "education"], v - half, v + half, n_g[gender], f"education {key} m6")
    # Shape: employment rises from month 1 to 6 for both genders.
    for gender in ("male", "female"):
        assert by.loc[(gender, 6), "employment_rate"] > by.loc[(gender, 1), "employment_rate"]


# ----------------------------------------------------------------------------- index effects
N_COHORT = 30_000  # about 11,800 persons with paired rounds 1 and 2; about 2 s end to end
TERMS = {"citizen": ["citizen_level", "citizen_change"],
         "caseworker": ["caseworker_level", "caseworker_change"]}


def _implied():
    raw = yaml.safe_load(config_path("calibration_outcomes.yaml").read_text(encoding="utf-8"))
    return pd.DataFrame(raw["implied"]["coefficients"])


def _published_4_9():
    """Tabel 4.9 as rows (model, controls, outcome, term, coef, se)."""
    rows = []
    for c in load_published()["regressions"]["table_4_9"]["coefficients"]:
        model = "citizen" if c["regressor"] == "index_citizen_all11" else "caseworker"
        rows.append((model, c["controls"], c["outcome"], f"{model}_{c['type']}", c["coef"], c["se"]))
    return pd.DataFrame(rows, columns=["model", "controls", "outcome", "term", "coef", "se"])


def _controls(persons, meas, index):
    """The study's controls (4.2.2), built here: gender, origin, age group, brought education
    and work experience, months in Denmark at round 2, days between rounds, year and quarter
    of the year of round 2."""
    r1 = meas[meas["round"] == 1].set_index("person_id").loc[index]
    r2 = meas[meas["round"] == 2].set_index("person_id").loc[index]
    p = persons.set_index("person_id").loc[index]
    d1, d2 = pd.to_datetime(r1["measured_on"]), pd.to_datetime(r2["measured_on"])
    age = d2.dt.year - p["birth_year"].astype("float64")
    origin = p["origin"].str.lower()
    ctl = pd.DataFrame({
        "female": p["gender"] == "female",
        "eritrea": origin == "eritrea",
        "other_origin": ~origin.isin(["syria", "eritrea"]),
        "age_18_29": age < 30,
        "age_41_65": age > 40,
        "months_dk": (d2.dt.to_period("M").array.asi8
                      - pd.to_datetime(p["arrival_date"]).dt.to_period("M").array.asi8),
        "days_between": (d2 - d1).dt.days,
    }, index=index)
    for col, ref in (("education", "primary"), ("work_experience", "yes")):
        dummies = pd.get_dummies(p[col], prefix=col)
        ctl = ctl.join(dummies.drop(columns=f"{col}_{ref}"))
    year = pd.get_dummies(d2.dt.year, prefix="year", drop_first=True)
    quarter = pd.get_dummies(d2.dt.quarter, prefix="q", drop_first=True)
    return ctl.join(year.set_axis(index)).join(quarter.set_axis(index)).astype("float64")


@pytest.fixture(scope="module")
def cohort(fip):
    """The real pipeline: simulate_cohort -> pair_forms -> design, controls, outcomes (here)."""
    ds = simulate_cohort(N_COHORT, seed=7)
    meas = pair_forms(ds).measurements
    design = _design(meas, fip).join(_window(ds.outcomes, meas, ds.persons), how="inner")
    return ds, meas, design.join(_controls(ds.persons, meas, design.index))


def test_cohort_pipeline_recovers_stored_implied_coefficients(cohort):
    """Every Tabel 4.9 coefficient (separate models, with and without controls) of a
    30,000-person cohort, fitted here, is within 4 SE of the stored implied value;
    SE = sqrt(SE_here^2 + SE_stored^2), both iid areg SEs (measured over seeds 10-19: max |z|
    2.9, SD of z 1.0)."""
    _, _, d = cohort
    assert len(d) > 10_000 and (d["months"] == 6).all()
    controls = [c for c in d.columns if c not in {*TERMS["citizen"], *TERMS["caseworker"],
                                                  "caseworker_id", "emp_rate", "emp_dummy",
                                                  "ord_emp_dummy", "edu_dummy", "months"}]
    assert len(controls) >= 12
    imp = _implied().set_index(["model", "controls", "outcome", "term"])
    checked = 0
    for model, terms in TERMS.items():
        for with_controls in (False, True):
            xs = terms + (controls if with_controls else [])
            for outcome in ("emp_rate", "emp_dummy", "ord_emp_dummy", "edu_dummy"):
                beta, se = _areg(d, outcome, xs, "caseworker_id")
                for j, term in enumerate(terms):
                    truth = imp.loc[(model, with_controls, outcome, term)]
                    tol = 4 * np.hypot(se[j], truth["se"])
                    assert abs(beta[j] - truth["coef"]) <= tol, (
                        f"{model} controls={with_controls} {outcome} {term}: "
                        f"{beta[j]:.4f} vs stored {truth['coef']:.4f} +- {tol:.4f}")
                    checked += 1
    assert checked == 32


@pytest.fixture(scope="module")
def example_table(fip):
    persons, meas = example_inputs(1500, fip, np.random.default_rng(21))
    panel = simulate_outcomes(persons, meas, fip, np.random.default_rng(22))
    return persons, meas, panel, example_analysis(persons, meas, panel, fip)


def test_example_analysis_equals_direct_computation(fip, example_table):
    """The analysis table of the stand-in inputs (build_analysis_table with the measurements as
    the pairing) has, cell by cell, the indices, window outcomes and controls computed here."""
    persons, meas, panel, at = example_table
    t = at.table.set_index("person_id")
    d = _design(meas, fip).join(_window(panel, meas, persons), how="inner")
    assert len(d) > 500 and (d["months"] == 6).all()
    assert sorted(t.index) == sorted(d.index)
    d = d.loc[t.index]
    for col in (*TERMS["citizen"], *TERMS["caseworker"], "emp_rate", "emp_dummy", "ord_emp_dummy", "edu_dummy"):
        np.testing.assert_allclose(t[col], d[col], rtol=0, atol=1e-12, err_msg=col)
    assert (t["caseworker_id"] == d["caseworker_id"]).all()
    ctl = _controls(persons, meas, t.index)
    names = {"eritrea": "origin_eritrea", "other_origin": "origin_other", "months_dk": "months_in_denmark",
             "days_between": "days_between_rounds"}
    ctl.columns = [names.get(c, c.replace("q_", "quarter_").lower()) for c in ctl.columns]
    assert sorted(ctl.columns) == sorted(at.controls)
    for col in ctl.columns:
        np.testing.assert_array_equal(t[col].to_numpy(), ctl[col].to_numpy(), err_msg=col)


def test_module_fits_equal_ols_with_caseworker_dummies(example_table):
    """table_4_9_fits (fip.regression, within transformation) = statsmodels OLS with one dummy
    per caseworker (coefficients and iid SE with the same residual df), on a small example."""
    sm = pytest.importorskip("statsmodels.api")
    *_, at = example_table
    table = at.table
    fits = table_4_9_fits(at).set_index(["model", "controls", "outcome", "term"])
    dummies = pd.get_dummies(table["caseworker_id"], drop_first=True, dtype=float)
    controls = [c for c in at.controls if table[c].nunique() > 1]
    assert len(controls) >= 12
    for model, terms in (*TERMS.items(), ("joint", [*TERMS["citizen"], *TERMS["caseworker"]])):
        for with_controls in ((False, True) if model != "joint" else (True,)):
            X = sm.add_constant(pd.concat([table[terms + (controls if with_controls else [])], dummies],
                                          axis=1).astype(float))
            for outcome in ("emp_rate", "edu_dummy"):
                res = sm.OLS(table[outcome].astype(float), X).fit()
                for term in terms:
                    got = fits.loc[(model, with_controls, outcome, term)]
                    np.testing.assert_allclose(got["coef"], res.params[term], rtol=1e-8, atol=1e-12)
                    np.testing.assert_allclose(got["se"], res.bse[term], rtol=1e-8)
    assert (fits["n"] == len(table)).all()
    assert (fits["n_caseworkers"] == table["caseworker_id"].nunique()).all()


def test_fits_have_the_layout_of_the_stored_implied_coefficients(example_table):
    """Same (model, controls, outcome, term) rows, in the same order, as the YAML's ``implied``."""
    *_, at = example_table
    keys = ["model", "controls", "outcome", "term"]
    got = table_4_9_fits(at)
    assert list(got.columns[:6]) == [*keys, "coef", "se"]
    assert got[keys].to_numpy().tolist() == _implied()[keys].to_numpy().tolist()


def test_cohort_table_uses_the_overall_indices(fip):
    """On a small cohort, overall_definitions gives the study's overall indices: the level and
    change columns equal those of the study's citizen_overall / caseworker_overall."""
    ds = simulate_cohort(600, seed=4)
    pairing = pair_forms(ds)
    ours = build_analysis_table(ds, pairing, overall_definitions(fip)).table
    study = build_analysis_table(ds, pairing).table
    for mine, theirs in (("citizen", "citizen_overall"), ("caseworker", "caseworker_overall")):
        for kind in ("level", "change"):
            np.testing.assert_array_equal(ours[f"{mine}_{kind}"], study[f"{theirs}_{kind}"])


def test_implied_coefficients_example_source_on_three_raters(three):
    """The example path runs on the three-rater 1-5 instrument (first respondent and
    caseworker_from indices) and recovers a positive citizen level effect on employment."""
    fits = implied_coefficients(20_000, seed=3, instrument=three, source="example")
    assert len(fits) == 48 and np.isfinite(fits[["coef", "se"]].to_numpy()).all()
    row = fits.query("model == 'citizen' and not controls and outcome == 'emp_dummy' and term == 'citizen_level'")
    assert float(row["coef"].iloc[0]) > 4 * float(row["se"].iloc[0])


def test_implied_coefficients_have_published_sign_and_size():
    """The stored truths have the published sign wherever Tabel 4.9 is significant and are
    within 2 published SE of every Tabel 4.9 coefficient."""
    pub = _published_4_9().set_index(["model", "controls", "outcome", "term"])
    imp = _implied().set_index(["model", "controls", "outcome", "term"])
    assert len(pub) == 32
    for key, c in pub.iterrows():
        got = imp.loc[key, "coef"]
        assert abs(got - c["coef"]) <= 2 * c["se"], key
        if abs(c["coef"]) > 2 * c["se"]:
            assert np.sign(got) == np.sign(c["coef"]), key


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_study_size_level_effects_have_published_signs(fip, seed):
    """At the study's size (default simulate_cohort, about 480 pairs in round 2) the Tabel
    4.9 level effects on the three employment outcomes are positive, as published."""
    ds = simulate_cohort(seed=seed)
    meas = pair_forms(ds).measurements
    d = _design(meas, fip).join(_window(ds.outcomes, meas, ds.persons), how="inner")
    assert 350 <= len(d) <= 600
    d = d.join(_controls(ds.persons, meas, d.index))
    controls = [c for c in d.columns if c.startswith(("female", "eritrea", "other_origin", "age_",
                                                      "months_dk", "days_between", "education_",
                                                      "work_experience_", "q_"))]
    pub = _published_4_9().set_index(["model", "controls", "outcome", "term"])
    for model, terms in TERMS.items():
        for with_controls in (False, True):
            for outcome in ("emp_rate", "emp_dummy", "ord_emp_dummy"):
                assert pub.loc[(model, with_controls, outcome, terms[0]), "coef"] > 0
                beta, _ = _areg(d, outcome, terms + (controls if with_controls else []), "caseworker_id")
                assert beta[0] > 0, (seed, model, with_controls, outcome)


def test_one_round_persons_follow_their_round1_level(fip, large):
    persons, meas, panel = large
    n_rounds = meas.groupby("person_id")["round"].max()
    one = n_rounds.index[n_rounds == 1]
    m1 = meas[meas["person_id"].isin(one)]
    d = pd.DataFrame({"level": _indices(m1, fip, fip.respondents[0].id).to_numpy(),
                      "caseworker_id": m1["caseworker_id"].to_numpy()}, index=m1["person_id"].to_numpy())
    d = d.join(_window(panel, meas[meas["person_id"].isin(one)], persons, anchor_round=1), how="inner")
    assert len(d) > 20_000
    assert (d["months"] == 6).all()
    beta, se = _areg(d, "emp_dummy", ["level"], "caseworker_id")
    assert beta[0] / se[0] > 8


def test_caseworkers_differ(fip):
    """One-way ANOVA of employment over round-1 caseworkers: detectable with the default
    caseworker effect; absent when both the caseworker effect and index effects are zero."""
    persons, meas = example_inputs(30_000, fip, np.random.default_rng(5))
    zero_idx = {k: 0.0 for k in ("citizen_level", "citizen_change", "caseworker_level", "caseworker_change")}
    pvals = {}
    for name, params in (("default", {"employment": zero_idx}),
                         ("none", {"employment": {**zero_idx, "caseworker_sd": 0.0}})):
        panel = simulate_outcomes(persons, meas, fip, np.random.default_rng(6), params=params)
        w = _window(panel, meas, persons, anchor_round=1)
        cw = meas[meas["round"] == 1].set_index("person_id")["caseworker_id"]
        d = w.join(cw)
        groups = [g["emp_rate"].to_numpy() for _, g in d.groupby("caseworker_id")]
        pvals[name] = stats.f_oneway(*groups).pvalue
    assert pvals["default"] < 1e-6
    assert pvals["none"] > 1e-3


# ----------------------------------------------------------------------------- other instruments
def test_three_rater_instrument_uses_first_and_caseworker_respondents(three):
    persons, meas = example_inputs(3000, three, np.random.default_rng(8))
    base = simulate_outcomes(persons, meas, three, np.random.default_rng(9))
    assert tuple(base.columns) == OUTCOME_COLUMNS
    assert base["employment_rate"].between(0, 1).all()
    # Placement items are not used: scrambling them changes nothing.
    scrambled = meas.copy()
    for item in three.item_ids("placement"):
        scrambled[item] = pd.array(np.random.default_rng(1).integers(1, 6, len(meas)), dtype="Int64")
    pd.testing.assert_frame_equal(base, simulate_outcomes(persons, scrambled, three, np.random.default_rng(9)))
    # Citizen items and caseworker items are used: changing either changes the outcomes.
    for resp in ("citizen", "caseworker"):
        moved = meas.copy()
        for item in three.item_ids(resp):
            moved[item] = pd.array(np.where(meas["round"] == 1, 5, 1), dtype="Int64")
        other = simulate_outcomes(persons, moved, three, np.random.default_rng(9))
        assert not other["employment_rate"].equals(base["employment_rate"]), resp


def test_three_rater_citizen_level_raises_employment(three):
    persons, meas = example_inputs(40_000, three, np.random.default_rng(12))
    panel = simulate_outcomes(persons, meas, three, np.random.default_rng(13))
    d = _design(meas, three).join(_window(panel, meas, persons), how="inner")
    beta, se = _areg(d, "emp_dummy", ["citizen_level", "citizen_change"], "caseworker_id")
    assert beta[0] / se[0] > 6 and beta[1] / se[1] > 4


# ----------------------------------------------------------------------------- errors
def test_missing_column_is_reported(fip, small):
    persons, meas = small
    with pytest.raises(InvalidDataError) as err:
        simulate_outcomes(persons.drop(columns="gender"), meas.drop(columns="c03"), fip,
                          np.random.default_rng(0))
    cols = {p.column for p in err.value.problems}
    assert {"gender", "c03"} <= cols


def test_unknown_person_and_bad_gender(fip, small):
    persons, meas = small
    bad_meas = meas.copy()
    bad_meas.loc[0, "person_id"] = "010190-1234"
    bad_persons = persons.copy()
    bad_persons.loc[0, "gender"] = "x"
    with pytest.raises(InvalidDataError) as err:
        simulate_outcomes(bad_persons, bad_meas, fip, np.random.default_rng(0))
    text = str(err.value)
    assert "gender" in text and "person_id" in text
    assert "010190-1234" not in text


def test_bad_params(fip, small):
    persons, meas = small
    with pytest.raises(ConfigError, match="unknown key"):
        simulate_outcomes(persons, meas, fip, np.random.default_rng(0), params={"employment": {"nope": 1}})
    with pytest.raises(ConfigError, match="persistence"):
        simulate_outcomes(persons, meas, fip, np.random.default_rng(0),
                          params={"education": {"persistence": 1.0}})


def test_index_maps_other_scales_onto_1_to_7(three):
    """Indices are item means mapped linearly onto 1-7: 3 on a 1-5 scale counts as 4."""
    from fip.simulate.outcomes import _respondent_index

    meas = pd.DataFrame({i: pd.array([3, 1, 5], dtype="Int64") for i in three.item_ids()})
    np.testing.assert_allclose(_respondent_index(meas, three, "citizen"), [4.0, 1.0, 7.0])


def _zero_contrasts():
    from fip.simulate.outcomes import load_outcome_params
    groups = load_outcome_params()["index_contrasts"]
    return {sec: {name: {"level": 0.0, "change": 0.0} for name in g} for sec, g in groups.items()}


def test_index_contrast_shifts_propensity_by_its_closed_form():
    """One caseworker contrast (cooperation, level 0.5, change -0.3) moves each person's true
    propensity by exactly 0.5 * (F1 - W1) - 0.3 * ((F2 - W2) - (F1 - W1)) against the model
    without contrasts, F = mean of w01, w03, w11 and W = mean of the 11 caseworker items
    (both on 1-7), computed here from the measurements; the draws are the same otherwise."""
    from fip.instrument import load_instrument
    from fip.simulate.outcome_calibration import example_inputs
    from fip.simulate.outcomes import simulate_outcomes

    inst = load_instrument()
    persons, meas = example_inputs(400, inst, np.random.default_rng(3))
    off = _zero_contrasts()
    on = {sec: {k: dict(v) for k, v in g.items()} for sec, g in off.items()}
    on["employment"]["caseworker_cooperation"] = {"level": 0.5, "change": -0.3}
    _, eta0 = simulate_outcomes(persons, meas, inst, np.random.default_rng(4),
                                params={"index_contrasts": off}, return_propensity=True)
    _, eta1 = simulate_outcomes(persons, meas, inst, np.random.default_rng(4),
                                params={"index_contrasts": on}, return_propensity=True)
    lo, hi = inst.scale.min, inst.scale.max
    w_items = list(inst.item_ids(inst.caseworker_from))
    m = meas.assign(F=(meas[["w01", "w03", "w11"]].mean(axis=1) - lo) * 6 / (hi - lo) + 1,
                    W=(meas[w_items].mean(axis=1) - lo) * 6 / (hi - lo) + 1)
    m = m.assign(d=(m["F"] - m["W"]).fillna(0.0))
    d1 = m[m["round"] == 1].set_index("person_id")["d"]
    d2 = m[m["round"] == 2].set_index("person_id")["d"]
    chg = (d2 - d1.reindex(d2.index)).reindex(d1.index).fillna(0.0)
    expected = (0.5 * d1 - 0.3 * chg).reindex(eta1.index)
    assert np.abs(d1).max() > 0.1  # the contrast is not trivially 0
    np.testing.assert_allclose((eta1 - eta0).to_numpy(), expected.to_numpy(), atol=1e-9)


def test_index_contrasts_reject_unknown_group_keys():
    from fip.errors import ConfigError
    from fip.instrument import load_instrument
    from fip.simulate.outcome_calibration import example_inputs
    from fip.simulate.outcomes import simulate_outcomes

    inst = load_instrument()
    persons, meas = example_inputs(50, inst, np.random.default_rng(0))
    with pytest.raises(ConfigError, match="unknown key"):
        simulate_outcomes(persons, meas, inst, np.random.default_rng(0),
                          params={"index_contrasts": {"employment": {"caseworker_cooperation": {"slope": 1.0}}}})
