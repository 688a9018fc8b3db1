"""build_analysis_table: a hand-built dataset checked cell by cell, and the simulated cohort
checked against a second, loop-based computation of the outcomes and controls."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from fip.data import Dataset, pair_forms
from fip.indices import IndexDefinition
from fip.instrument import load_instrument
from fip.regression import build_analysis_table
from fip.simulate import simulate_cohort
from fip.study import fitting_index_definitions

THREE = Path(__file__).parent / "data" / "instrument_three_raters.yaml"
INST = load_instrument()


def _forms(person: str, caseworker: str, date: str, base: int, inst=INST) -> list[dict]:
    """One form per measurement respondent on ``date``; item j of respondent r scores base+j."""
    rows = []
    for r in inst.measurement_respondents:
        row = {"person_id": person, "caseworker_id": caseworker, "respondent": r,
               "answered_on": pd.Timestamp(date), "language": "da"}
        for j, item in enumerate(inst.item_ids(r)):
            row[item] = min(inst.scale.max, max(inst.scale.min, base + (j % 3)))
        rows.append(row)
    return rows


def _panel(person: str, first: str, n_months: int, rates: list[float] | None = None,
           ordinary: list[bool] | None = None, education: list[bool] | None = None) -> pd.DataFrame:
    months = pd.period_range(first, periods=n_months, freq="M")
    return pd.DataFrame({
        "person_id": person, "month": months,
        "employment_rate": rates if rates is not None else [0.0] * n_months,
        "ordinary_employment": ordinary if ordinary is not None else [False] * n_months,
        "education": education if education is not None else [False] * n_months,
    })


def _dataset(inst=INST) -> Dataset:
    persons = pd.DataFrame({
        "person_id": ["A", "B", "C", "D", "E", "F"],
        "municipality": "k1",
        "gender": ["female", "male", "male", "female", "male", "female"],
        "birth_year": pd.array([1990, 1980, 1970, None, 1975, 1999], dtype="Int64"),
        "origin": ["SYRIEN ", "Eritrea", "Somalia", "Syria", "eritrea", "syria"],
        "education": ["none", "primary", "beyond_primary", "unknown", "primary", "unknown"],
        "work_experience": ["no", "yes", "unknown", "yes", "yes", "no"],
        "arrival_date": pd.to_datetime(["2015-11-20", "2016-01-02", "2014-06-30", "2016-02-01",
                                        "2013-03-03", "2016-05-05"]),
    })
    visits = [("A", "cw1", "2017-09-10", 2), ("A", "cw9", "2018-03-05", 4),
              ("A", "cw9", "2018-08-01", 7),                         # round 3: ignored
              ("B", "cw1", "2017-10-01", 3),                         # no round 2
              ("C", "cw2", "2017-11-11", 3), ("C", "cw2", "2018-05-20", 2),
              ("D", "cw2", "2017-09-01", 5), ("D", "cw3", "2018-01-15", 5),
              ("E", "cw3", "2017-12-24", 1), ("E", "cw3", "2018-06-30", 3),
              ("F", "cw1", "2017-08-30", 6), ("F", "cw1", "2018-02-01", 6)]
    rows = [row for v in visits for row in _forms(*v, inst=inst)]
    forms = pd.DataFrame(rows)
    for item in inst.item_ids():
        forms[item] = forms[item].astype("Int64")
    outcomes = pd.concat([
        # A: round 2 in 2018-03 -> window 2018-04 .. 2018-09
        _panel("A", "2018-03", 8, rates=[0.9, 0, 0, 0.5, 0, 0, 0.25, 0.7],
               ordinary=[True, False, False, False, False, False, False, True],
               education=[False, False, False, False, False, False, True, True]),
        _panel("B", "2017-10", 8),
        _panel("C", "2018-05", 5),                                  # window incomplete
        _panel("D", "2018-01", 7),
        _panel("E", "2018-06", 7, rates=[0, 0, 0, 0, 0, 0, 0]),
        _panel("F", "2018-02", 7, education=[True, False, False, False, False, False, False]),
    ], ignore_index=True)
    return Dataset(persons, forms, outcomes, inst)


def test_hand_built_dataset_cell_by_cell():
    at = build_analysis_table(_dataset())
    t = at.table.set_index("person_id")
    assert list(t.index) == ["A", "E", "F"]
    f = at.funnel.set_index("step")
    assert f["n_remaining"].tolist() == [6, 5, 4, 3]
    assert f["n_excluded"].tolist()[1:] == [1, 1, 1]   # B; C; D (no birth year)

    a = t.loc["A"]
    assert a["caseworker_id"] == "cw9"
    # items: round-1 citizen c01 = 2 + 0, round 2 = 4 + 0; c02: 3 -> 5; round 3 ignored
    assert (a["c01_level"], a["c01_change"], a["c02_level"], a["c02_change"]) == (2, 2, 3, 2)
    assert (a["w03_level"], a["w03_change"]) == (4, 2)
    # overall citizen index: items 2,3,4,2,3,4,... for 11 items
    r1 = np.array([2 + j % 3 for j in range(11)], dtype=float)
    assert a["citizen_overall_level"] == pytest.approx(r1.mean())
    assert a["citizen_overall_change"] == pytest.approx((r1 + 2).mean() - r1.mean())
    # outcomes over 2018-04 .. 2018-09: rates 0, 0, 0.5, 0, 0, 0.25
    assert a["emp_rate"] == pytest.approx(0.75 / 6)
    assert (a["emp_dummy"], a["ord_emp_dummy"], a["edu_dummy"]) == (1.0, 0.0, 1.0)
    # controls: female, Syria (text "SYRIEN "), age 2018 - 1990 = 28, education none, no work exp.
    assert a["female"] == 1 and a["origin_eritrea"] == 0 and a["origin_other"] == 0
    assert (a["age_18_29"], a["age_41_65"]) == (1, 0)
    assert (a["education_none"], a["education_beyond_primary"], a["education_unknown"]) == (1, 0, 0)
    assert (a["work_experience_no"], a["work_experience_unknown"]) == (1, 0)
    assert a["months_in_denmark"] == (2018 - 2015) * 12 + (3 - 11)   # 2015-11 -> 2018-03
    assert a["days_between_rounds"] == (pd.Timestamp("2018-03-05") - pd.Timestamp("2017-09-10")).days

    e = t.loc["E"]
    assert (e["origin_eritrea"], e["origin_other"], e["female"]) == (1, 0, 0)
    assert (e["age_18_29"], e["age_41_65"]) == (0, 1)               # 2018 - 1975 = 43
    assert (e["emp_rate"], e["emp_dummy"], e["edu_dummy"]) == (0, 0, 0)
    # F: education only in month 0 (2018-02) does not count
    assert t.loc["F", "edu_dummy"] == 0
    # round 2: A 2018q1, E 2018q2, F 2018q1 -> one year (no dummy), quarter 1 the reference
    assert [c for c in at.controls if c.startswith(("quarter_", "year_"))] == ["quarter_2"]
    assert t["quarter_2"].tolist() == [0, 1, 0]
    old = build_analysis_table(_dataset(), timing="year_quarter")
    assert [c for c in old.controls if c.startswith(("quarter_", "year_"))] == ["quarter_2018q2"]


def test_other_origin_and_missing_items():
    ds = _dataset()
    forms = ds.forms.copy()
    # C gets a full window; its round-2 citizen form misses c01
    outcomes = pd.concat([ds.outcomes[ds.outcomes.person_id != "C"], _panel("C", "2018-05", 7)])
    forms.loc[(forms.person_id == "C") & (forms.respondent == "citizen")
              & (forms.answered_on == "2018-05-20"), "c01"] = pd.NA
    at = build_analysis_table(Dataset(ds.persons, forms, outcomes, ds.instrument))
    c = at.table.set_index("person_id").loc["C"]
    assert (c["origin_other"], c["origin_eritrea"]) == (1, 0)        # Somalia
    assert c["c01_level"] == 3 and np.isnan(c["c01_change"])
    # the study's rule: the index is missing when an item is; with the 2/3 rule it is computed
    # from the 10 answered items
    assert np.isnan(c["citizen_overall_change"])
    lenient = build_analysis_table(Dataset(ds.persons, forms, outcomes, ds.instrument),
                                   definitions=fitting_index_definitions(ds.instrument, "2/3"))
    c = lenient.table.set_index("person_id").loc["C"]
    level = c[[f"c{k:02d}_level" for k in range(1, 12)]].to_numpy(dtype=float)
    change = c[[f"c{k:02d}_change" for k in range(1, 12)]].to_numpy(dtype=float)
    assert c["citizen_overall_change"] == pytest.approx(np.mean((level + change)[1:]) - level.mean())


def test_given_pairing_and_definitions_are_used():
    ds = _dataset()
    defs = (IndexDefinition(id="pair", items=("c01", "w01")),)
    at = build_analysis_table(ds, pair_forms(ds), defs)
    assert [d.id for d in at.definitions] == ["pair"]
    assert "pair_level" in at.table and "citizen_overall_level" not in at.table
    t = at.table.set_index("person_id")
    assert t.loc["A", "pair_level"] == pytest.approx((t.loc["A", "c01_level"] + t.loc["A", "w01_level"]) / 2)


def test_three_rater_instrument():
    inst = load_instrument(THREE)
    ds = _dataset(inst)
    at = build_analysis_table(ds)
    assert at.definitions == ()                       # the study's indices do not fit
    for item in inst.item_ids():
        assert f"{item}_level" in at.table and f"{item}_change" in at.table
    assert list(at.table["person_id"]) == ["A", "E", "F"]


@pytest.fixture(scope="module")
def cohort():
    ds = simulate_cohort(seed=11)
    return ds, build_analysis_table(ds)


def test_simulated_outcomes_match_a_loop(cohort):
    ds, at = cohort
    m = pair_forms(ds).measurements
    panel = ds.outcomes.set_index(["person_id", "month"]).sort_index()
    rng = np.random.default_rng(0)
    for pid in rng.choice(at.table["person_id"].to_numpy(), 40, replace=False):
        month2 = m[(m.person_id == pid) & (m["round"] == 2)]["month"].iloc[0]
        rows = panel.loc[[(pid, month2 + k) for k in range(1, 7)]]
        row = at.table.set_index("person_id").loc[pid]
        assert row["emp_rate"] == pytest.approx(rows["employment_rate"].mean(), abs=1e-12)
        assert row["emp_dummy"] == float((rows["employment_rate"] > 0).any())
        assert row["ord_emp_dummy"] == float(rows["ordinary_employment"].any())
        assert row["edu_dummy"] == float(rows["education"].any())


def test_simulated_levels_changes_and_controls(cohort):
    ds, at = cohort
    m = pair_forms(ds).measurements.set_index(["person_id", "round"])
    t = at.table.set_index("person_id")
    r1 = m.xs(1, level="round").loc[t.index]
    r2 = m.xs(2, level="round").loc[t.index]
    for item in ds.instrument.item_ids():
        assert_allclose(t[f"{item}_level"], r1[item].astype(float))
        assert_allclose(t[f"{item}_change"], r2[item].astype(float) - r1[item].astype(float))
    assert (t["caseworker_id"] == r2["caseworker_id"]).all()
    p = ds.persons.set_index("person_id").loc[t.index]
    assert_allclose(t["female"], (p["gender"] == "female").astype(float))
    assert_allclose(t["origin_other"], (~p["origin"].isin(["Syria", "Eritrea"])).astype(float))
    years = r2["measured_on"].dt.year - p["birth_year"].astype(float)
    assert_allclose(t["age_41_65"], (years >= 41).astype(float))
    # each person is in one year and one quarter of the year: reference (all zero) or one dummy
    on = r2["measured_on"]
    for prefix, part in (("year_", on.dt.year), ("quarter_", on.dt.quarter)):
        dummies = [c for c in at.controls if c.startswith(prefix)]
        assert len(dummies) == part.nunique() - 1
        assert set(t[dummies].sum(axis=1).unique()) <= {0.0, 1.0}
        for c in dummies:
            assert_allclose(t[c], (part.astype(str) == c.removeprefix(prefix)).astype(float))
    funnel = at.funnel.set_index("step")["n_remaining"]
    assert funnel.iloc[0] == (m.index.get_level_values("round") == 1).sum()
    assert funnel.iloc[-1] == len(t)
