"""Tests of fip.predict.features: item features and controls per model kind."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fip.data import pair_forms
from fip.errors import FipError
from fip.instrument import load_instrument
from fip.predict.features import build_features, control_names, feature_names, item_of_feature
from fip.regression import build_analysis_table
from fip.simulate import simulate_cohort

THREE = "tests/data/instrument_three_raters.yaml"


def _tiny():
    inst = load_instrument()
    items = inst.item_ids()
    m = pd.DataFrame({
        "person_id": ["a", "a", "b"], "round": [1, 2, 1],
        "measured_on": pd.to_datetime(["2018-12-10", "2019-02-01", "2018-03-01"]),
    })
    for k, item in enumerate(items):
        m[item] = pd.array([3, 5, None] if k == 0 else [4, 4, 6], dtype="Int64")
    persons = pd.DataFrame({
        "person_id": ["a", "b"], "gender": ["female", "male"], "origin": ["Syrien", "Iran"],
        "birth_year": pd.array([1989, 1950], dtype="Int64"), "education": ["none", "primary"],
        "work_experience": ["unknown", "yes"],
        "arrival_date": pd.to_datetime(["2016-01-20", "2015-03-01"]),
    })
    return m, persons, inst


def test_intake_and_progression_by_hand():
    m, persons, inst = _tiny()
    first = inst.item_ids()[0]
    intake = build_features(m, persons, inst, "intake")
    assert list(intake.index) == ["a", "b"]
    # a: born 1989, round 1 in 2018 -> age 29 (18-29); round 2 in 2019 -> 30 (reference group)
    assert intake.loc["a", "age_18_29"] == 1.0
    assert intake.loc["a", "months_in_denmark"] == 35.0          # 2016-01 -> 2018-12
    assert intake.loc["a", f"{first}_level"] == 3.0
    assert np.isnan(intake.loc["b", f"{first}_level"])            # not answered
    assert intake.loc["b", "age_41_65"] == 1.0 and intake.loc["b", "origin_other"] == 1.0
    assert intake.loc["a", "origin_other"] == 0.0 and intake.loc["a", "origin_eritrea"] == 0.0
    assert intake.loc["a", "education_none"] == 1.0 and intake.loc["a", "work_experience_unknown"] == 1.0
    assert intake.loc["b", "education_none"] == 0.0 and intake.loc["b", "female"] == 0.0
    assert list(intake[["gender", "origin_group"]].loc["a"]) == ["female", "syria"]
    prog = build_features(m, persons, inst, "progression")
    assert list(prog.index) == ["a"]                              # b has no round 2
    assert prog.loc["a", "age_18_29"] == 0.0 and prog.loc["a", "age_41_65"] == 0.0
    assert prog.loc["a", f"{first}_change"] == 2.0
    assert prog.loc["a", "days_between_rounds"] == 53.0          # 2018-12-10 -> 2019-02-01
    assert prog.loc["a", "months_in_denmark"] == 37.0


def test_progression_features_agree_with_analysis_table():
    ds = simulate_cohort(2000, seed=4)
    pairing = pair_forms(ds)
    at = build_analysis_table(ds, pairing).table.set_index("person_id")
    f = build_features(pairing.measurements, ds.persons, ds.instrument, "progression").loc[at.index]
    for c in feature_names(ds.instrument, "progression"):
        np.testing.assert_allclose(f[c].to_numpy(), at[c].to_numpy(), rtol=0, atol=1e-12, err_msg=c)


def test_three_rater_instrument_features():
    inst = load_instrument(THREE)
    names = feature_names(inst, "progression")
    assert names[:12] == tuple(f"{i}_level" for i in inst.item_ids())
    assert names[12:24] == tuple(f"{i}_change" for i in inst.item_ids())
    assert not any(n.startswith("c01") for n in names)
    ds = simulate_cohort(600, seed=2, instrument=inst)
    f = build_features(pair_forms(ds).measurements, ds.persons, inst, "intake")
    assert f.columns[:12].tolist() == [f"{i}_level" for i in inst.item_ids()]
    assert f[f"{inst.item_ids()[0]}_level"].between(1, 5).all()


def test_item_of_feature_and_controls():
    items = ("c01", "w01")
    assert item_of_feature("c01_change", items) == "c01"
    assert item_of_feature("female", items) is None
    assert "days_between_rounds" not in control_names("intake")
    assert control_names("progression")[-1] == "days_between_rounds"


def test_errors():
    m, persons, inst = _tiny()
    with pytest.raises(FipError, match="c01"):
        build_features(m.drop(columns="c01"), persons, inst, "intake")
    with pytest.raises(FipError, match="arrival_date"):
        build_features(m, persons.drop(columns="arrival_date"), inst, "intake")
    with pytest.raises(ValueError, match="kind"):
        build_features(m, persons, inst, "later")
