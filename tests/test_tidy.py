"""Every statistical result type has ``.tidy()``: a DataFrame whose numbers are the result's own."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fip.data import pair_forms
from fip.factors import bartlett_sphericity, factor_analysis, kmo, parallel_analysis
from fip.reliability import cronbach_alpha
from fip.simulate import simulate_cohort


@pytest.fixture(scope="module")
def items():
    m = pair_forms(simulate_cohort(300, seed=2)).measurements
    return m.loc[m["round"] == 1, [f"c{k:02d}" for k in range(1, 12)]].astype("float64").dropna()


def test_scalar_results_tidy_to_one_row(items):
    a = cronbach_alpha(items)
    t = a.tidy()
    assert len(t) == 1 and t.loc[0, "alpha"] == a.alpha and t.loc[0, "ci_low"] == a.ci_low
    b = bartlett_sphericity(items)
    assert b.tidy().loc[0, "chi2"] == b.chi2 and b.tidy().loc[0, "df"] == 55  # p (p - 1) / 2 for 11 items


def test_kmo_tidy_lists_items_then_overall(items):
    k = kmo(items)
    t = k.tidy()
    assert t["item"].tolist() == [*items.columns, "overall"]
    assert t["kmo"].iloc[-1] == k.overall and np.allclose(t["kmo"].iloc[:-1], k.per_item.to_numpy())


def test_factor_result_tidy_is_long_loadings(items):
    res = factor_analysis(items, method="pf", n_factors=3, rotation="varimax")
    t = res.tidy()
    assert len(t) == 11 * 3
    wide = t.pivot(index="item", columns="factor", values="loading").loc[res.loadings.index, res.loadings.columns]
    np.testing.assert_allclose(wide.to_numpy(), res.loadings.to_numpy(), rtol=0, atol=0)
    # communality = sum of squared loadings of the item (an identity, not the stored value)
    np.testing.assert_allclose(t.groupby("item", sort=False)["loading"].apply(lambda x: (x ** 2).sum()),
                               t.groupby("item", sort=False)["communality"].first(), atol=1e-12)


def test_parallel_and_pairing_tidy(items):
    p = parallel_analysis(items, n_iter=5, seed=1)
    pd.testing.assert_frame_equal(p.tidy(), p.table)
    pairing = pair_forms(simulate_cohort(100, seed=3))
    assert set(pairing.tidy().columns) >= {"step", "round", "respondent", "n"}
