"""Tests of fip.indices: the study's definitions, scoring and the missing-item rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fip.errors import ConfigError
from fip.indices import (
    IndexDefinition,
    compare_index_definitions,
    derive_index_definitions,
    load_index_definitions,
    min_items_answered,
    score_indices,
)
from fip.instrument import load_instrument
from fip.published import load_published, published_loadings


@pytest.fixture(scope="module")
def study():
    return load_index_definitions(instrument=load_instrument())


def test_study_indices_match_the_reference_file(study):
    """2 overall + 3 citizen + 4 caseworker + 6 combined indices, items as the report says."""
    families = pd.Series([d.family for d in study]).value_counts().to_dict()
    assert families == {"overall": 2, "citizen_factors": 3, "caseworker_factors": 4, "combined_factors": 6}
    fa = load_published()["factor_analysis"]
    ref = {}
    for table, prefix in (("table_4_7_citizen_rotated", "B_"), ("table_4_8_caseworker_rotated", "S_")):
        for f in fa[table]["factors"]:
            ref[prefix + f["key"].split("_", 1)[1]] = set(f["items_assigned_by_text"])
    by_key = {d.published_key: set(d.items) for d in study if d.published_key}
    for key, items in ref.items():
        assert by_key[key] == items, key
    combined = [set(f["items"]) for f in fa["combined_22_items_6_factors"]["factors"]]
    assert [set(d.items) for d in study if d.family == "combined_factors"] == combined
    assert by_key["index_citizen_all11"] == set(load_instrument().item_ids("citizen"))


@pytest.mark.parametrize("table", ["4.7", "4.8"])
def test_derived_definitions_reproduce_the_study_from_its_loadings(study, table):
    family = {"4.7": "citizen_factors", "4.8": "caseworker_factors"}[table]
    derived = derive_index_definitions(published_loadings(table), threshold=0.3)
    comparison = compare_index_definitions(derived, [d for d in study if d.family == family])
    assert comparison["identical"].all(), comparison


def test_the_studys_rule_needs_every_item(study):
    """Section 4.6.4 ("the sum of the 11 items divided by 11"): missing when any item is."""
    assert all(min_items_answered(d) == len(d.items) for d in study)


def test_two_thirds_rule_on_request():
    needed = {len(d.items): min_items_answered(d) for d in load_index_definitions(min_share_answered="2/3")}
    assert needed == {11: 8, 6: 4, 5: 4, 4: 3, 3: 2, 2: 2}
    with pytest.raises(ConfigError, match="min_share_answered"):
        load_index_definitions(min_share_answered="3/2")


def test_derived_definitions_need_a_loading_above_the_threshold():
    loadings = pd.DataFrame({"F1": [0.3, 0.31, -0.5], "F2": [0.1, 0.2, 0.3]}, index=["a", "b", "c"])
    assert [d.items for d in derive_index_definitions(loadings, threshold=0.3)] == [("b", "c")]


def test_scoring_applies_the_missing_rule():
    d = IndexDefinition(id="x", items=("a", "b", "c"))
    m = pd.DataFrame({"person_id": list("pqrs"), "round": 1,
                      "a": [1, 2, np.nan, np.nan], "b": [3, np.nan, np.nan, 4], "c": [5, 6, 7, np.nan]})
    out = score_indices(m, [d])
    np.testing.assert_allclose(out["x"].to_numpy(), [3.0, 4.0, np.nan, np.nan])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), st.integers(1, 7)), min_size=4, max_size=4), min_size=1, max_size=30))
def test_index_is_the_row_mean_within_the_scale(rows):
    d = IndexDefinition(id="x", items=("a", "b", "c", "d"))
    m = pd.DataFrame(rows, columns=list("abcd"), dtype="float64")
    m["person_id"], m["round"] = [str(k) for k in range(len(m))], 1
    out = score_indices(m, [d])["x"].to_numpy()
    answered = m[list("abcd")].notna().sum(axis=1).to_numpy()
    expected = np.array([np.mean([v for v in r if v is not None]) if n >= 3 else np.nan
                         for r, n in zip(rows, answered)])
    np.testing.assert_allclose(out, expected)
    assert np.all((out[~np.isnan(out)] >= 1) & (out[~np.isnan(out)] <= 7))


def test_bad_definition_files_are_clear_errors(tmp_path):
    f = tmp_path / "idx.yaml"
    f.write_text("indices:\n  - {id: a, items: [c01, zz9]}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"idx.yaml: indices\[0\] \(a\): unknown item\(s\) \['zz9'\]"):
        load_index_definitions(f, instrument=load_instrument())
    f.write_text("min_share_answered: 1.5\nindices:\n  - {id: a, items: [c01]}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="min_share_answered"):
        load_index_definitions(f)
    f.write_text("indices:\n  - {id: a, items: [c01]}\n  - {id: a, items: [c02]}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="duplicate index id 'a'"):
        load_index_definitions(f)


def test_label_in_falls_back_to_english_then_danish_then_the_id():
    d = IndexDefinition("x", ("c01",), label={"da": "Dansk", "en": "English"})
    assert (d.label_in("da"), d.label_in("so")) == ("Dansk", "English")
    assert IndexDefinition("y", ("c01",), label={"da": "Kun dansk"}).label_in("en") == "Kun dansk"
    assert IndexDefinition("z", ("c01",)).label_in("en") == "z"
