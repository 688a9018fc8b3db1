"""Agreement on the parallel items against pandas and by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fip.agreement import parallel_agreement
from fip.simulate import simulate_cohort
from fip.study import Study


def test_agreement_equals_pandas_on_the_parallel_pairs():
    study = Study(simulate_cohort(300, seed=2))
    got = parallel_agreement(study)
    pairs = [g.items for g in study.instrument.parallel if g.kind == "parallel"]
    assert [tuple(x) for x in got[["citizen_item", "caseworker_item"]].to_numpy()] == [tuple(p) for p in pairs]
    r1 = study.measurements[study.measurements["round"] == 1]
    for row in got.itertuples():
        a = r1[row.citizen_item].astype("float64")
        b = r1[row.caseworker_item].astype("float64")
        both = a.notna() & b.notna()
        assert row.n == both.sum()
        assert row.r == pytest.approx(a.corr(b), abs=1e-12)          # pandas: pairwise complete
        assert row.mean_difference == pytest.approx((a - b)[both].mean(), abs=1e-12)
        assert row.mean_abs_difference == pytest.approx((a - b)[both].abs().mean(), abs=1e-12)


def test_pairs_on_few_persons_are_blank():
    ds = simulate_cohort(300, seed=2)
    forms = ds.forms.copy()
    first = forms.sort_values("answered_on").drop_duplicates(["person_id", "respondent"])
    keep = set(first.loc[first["respondent"] == "caseworker", "person_id"].iloc[:3])
    # every caseworker answer to w01 blanked except for three persons
    forms.loc[(forms["respondent"] == "caseworker") & ~forms["person_id"].isin(keep), "w01"] = pd.NA
    got = parallel_agreement(Study(type(ds)(ds.persons, forms, ds.outcomes, ds.instrument)))
    row = got.set_index("citizen_item").loc["c01"]
    assert pd.isna(row["n"]) and np.isnan(row["r"]) and np.isnan(row["mean_difference"])
    assert got.set_index("citizen_item").loc["c09", "n"] > 5
