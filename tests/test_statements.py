"""The text's statements beyond the item means: each kind on hand-made inputs, and the file."""

from __future__ import annotations

import pandas as pd
import pytest

from fip.disclosure import DisclosurePolicy
from fip.published import ITEM_MEAN_KINDS, STATEMENT_KINDS, published_statements
from fip.statements import TEXT_KINDS, check_text_statements, visitation_shares


def _one(check: dict, **inputs):
    s = {"instrument": "fip", "statements": [{"id": "x", "text": "t", "check": check}]}
    return check_text_statements(s, **inputs).iloc[0]


def test_every_kind_is_evaluated_by_one_of_the_two_checkers():
    assert set(ITEM_MEAN_KINDS) | set(TEXT_KINDS) == set(STATEMENT_KINDS)
    assert not set(ITEM_MEAN_KINDS) & set(TEXT_KINDS)


def test_the_file_has_at_least_40_statements_with_sources():
    statements = published_statements()["statements"]
    assert len(statements) >= 40
    assert len({s["id"] for s in statements}) == len(statements)
    others = [s for s in statements if s["check"]["kind"] in TEXT_KINDS]
    assert len(others) >= 20 and all(s.get("source") for s in others)


def test_visitation_shares_and_share_higher():
    m = pd.DataFrame({"person_id": [f"p{i}" for i in range(12)], "round": 1,
                      "visitation": ["job_ready"] * 5 + ["activity_ready"] + ["job_ready"] * 4 + ["activity_ready"] * 2})
    p = pd.DataFrame({"person_id": [f"p{i}" for i in range(12)], "gender": ["male"] * 6 + ["female"] * 6})
    shares = visitation_shares(m, p).set_index(["round", "gender"])["job_ready"]
    assert shares[(1, "male")] == pytest.approx(500 / 6) and shares[(1, "female")] == pytest.approx(400 / 6)
    check = {"kind": "share_higher", "column": "visitation", "value": "job_ready", "round": 1,
             "group": "male", "than": "female"}
    assert bool(_one(check, visitation=visitation_shares(m, p))["holds"])
    assert not bool(_one({**check, "group": "female", "than": "male"}, visitation=visitation_shares(m, p))["holds"])
    blanked = visitation_shares(m, p, DisclosurePolicy(7))   # 6 persons per gender: small
    assert pd.isna(_one(check, visitation=blanked)["holds"])


def test_outcome_higher():
    paths = pd.DataFrame({"gender": ["all", "all", "male", "female"], "month": [1, 6, 6, 6],
                          "employment_rate": [6.0, 14.0, 25.0, float("nan")]})
    rises = {"kind": "outcome_higher", "measure": "employment_rate", "higher": {"gender": "all", "month": 6},
             "than": {"gender": "all", "month": 1}, "published": [14, 6]}
    row = _one(rises, paths=paths)
    assert bool(row["holds"]) and "(published 14 vs 6)" in row["ours"]
    assert not bool(_one({**rises, "higher": rises["than"], "than": rises["higher"]}, paths=paths)["holds"])
    gap = {**rises, "higher": {"gender": "male", "month": 6}, "than": {"gender": "female", "month": 6}}
    assert pd.isna(_one(gap, paths=paths)["holds"])           # a blanked cell
    assert pd.isna(_one(rises)["holds"])                      # no paths given


def test_loads_on_first_factor():
    loadings = pd.DataFrame({"F1": [-0.6, -0.31], "F2": [0.1, 0.2]}, index=["a", "b"])
    check = {"kind": "loads_on_first_factor", "item_set": "citizen"}
    assert bool(_one(check, unrotated={"citizen": loadings})["holds"])     # signs do not matter
    loadings.loc["b", "F1"] = 0.3
    assert not bool(_one(check, unrotated={"citizen": loadings})["holds"])  # 0.3 is not above 0.3


def test_agreement_order():
    agreement = pd.DataFrame({"citizen_item": ["c01", "c05", "c09", "c10"], "caseworker_item": ["w01", "w05", "w08", "w09"],
                              "r": [0.2, 0.3, 0.7, 0.6]})
    most = {"kind": "agreement_order", "rank": "highest", "pairs": [["c09", "w08"], ["c10", "w09"]]}
    least = {"kind": "agreement_order", "rank": "lowest", "pairs": [["c01", "w01"], ["c05", "w05"], ["c06", "w06"]], "n": 2}
    assert bool(_one(most, agreement=agreement)["holds"]) and bool(_one(least, agreement=agreement)["holds"])
    agreement.loc[0, "r"] = 0.65
    assert not bool(_one(most, agreement=agreement)["holds"]) and not bool(_one(least, agreement=agreement)["holds"])


def test_significant():
    fits = pd.DataFrame({"regressor": ["a", "a", "b", "b"], "type": "level", "outcome": ["y", "y", "y", "y"],
                         "controls": [False, True, False, True], "coef": [0.2, 0.1, -0.3, 0.01],
                         "p": [0.001, 0.04, 0.01, 0.6]})
    base = {"kind": "significant", "family": "f", "type": "level", "outcomes": ["y"]}
    assert bool(_one({**base, "regressors": ["a"], "controls": [False, True], "expect": "positive"},
                     regressions={"f": fits})["holds"])
    assert bool(_one({**base, "regressors": ["b"], "controls": False, "expect": "negative"},
                     regressions={"f": fits})["holds"])
    assert not bool(_one({**base, "regressors": ["b"], "controls": False, "expect": "positive"},
                         regressions={"f": fits})["holds"])
    assert bool(_one({**base, "regressors": ["b"], "controls": True, "expect": "none"},
                     regressions={"f": fits})["holds"])
    assert pd.isna(_one({**base, "regressors": ["c"], "controls": True, "expect": "none"},
                        regressions={"f": fits})["holds"])   # not estimated


def test_other_instruments_check_nothing():
    assert check_text_statements(instrument_id="other").empty
