"""Outcomes month by month after round 2: recomputed person by person, and their small cells."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fip.data import Dataset
from fip.disclosure import DisclosurePolicy
from fip.outcome_paths import MEASURES, outcome_paths
from fip.simulate import simulate_cohort
from fip.study import Study


@pytest.fixture(scope="module")
def study():
    return Study(simulate_cohort(400, seed=3), until="2018-12-31")


def test_paths_equal_a_loop_over_persons(study):
    got = outcome_paths(study, policy=None).set_index(["gender", "month"])
    table = study.analysis.table.set_index("person_id")
    panel = study.dataset.outcomes.set_index(["person_id", "month"]).sort_index()
    gender = study.dataset.persons.set_index("person_id")["gender"]
    rows = []
    for pid, r2 in table["round2_month"].items():
        for k in range(1, 7):
            o = panel.loc[(pid, r2 + k)]
            employed = float(o["employment_rate"] > 0)
            rows.append({"gender": gender[pid], "month": k, "employment_rate": 100 * o["employment_rate"],
                         "any_employment": 100 * employed,
                         "ordinary_employment": 100 * float(o["ordinary_employment"]),
                         "wage_subsidy": 100 * float(employed and not o["ordinary_employment"]),
                         "education": 100 * float(o["education"])})
    loop = pd.DataFrame(rows)
    for (g, k), part in pd.concat([loop, loop.assign(gender="all")]).groupby(["gender", "month"]):
        assert got.loc[(g, k), "n"] == len(part)
        for measure in MEASURES:
            assert got.loc[(g, k), measure] == pytest.approx(part[measure].mean(), abs=1e-9), (g, k, measure)


def test_a_small_gender_blanks_both_genders_not_all(study):
    ds = study.dataset
    women = set(study.analysis.table["person_id"]) & set(ds.persons.loc[ds.persons["gender"] == "female",
                                                                       "person_id"])
    keep = sorted(women)[:3]    # three women stay; the other women's outcomes are dropped
    drop = women - set(keep)
    outcomes = ds.outcomes[~ds.outcomes["person_id"].isin(drop)]
    small = Study(Dataset(ds.persons, ds.forms, outcomes, ds.instrument), until="2018-12-31")
    got = outcome_paths(small)
    genders = got[got["gender"] != "all"]
    assert genders["suppressed"].all() and genders[list(MEASURES)].isna().all().all()
    assert genders["n"].isna().all()
    everyone = got[got["gender"] == "all"]
    assert not everyone["suppressed"].any() and (everyone["n"] > 5).all()
    raw = outcome_paths(small, policy=None)
    assert (raw.loc[raw["gender"] == "female", "n"] == 3).all()
    lowered = outcome_paths(small, policy=DisclosurePolicy(3, secure_machine=True))
    assert not lowered["suppressed"].any()
