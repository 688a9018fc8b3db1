"""The study's factor analyses on the synthetic cohort (issue 4, "Done when").

The published loadings (Tables 4.7, 4.8) are the reference; the cohort is generated from
latent factors calibrated to them (docs/calibration.md), so this checks the whole chain:
simulation -> pairing -> Stata pf -> unnormalised varimax -> matching and congruence.
"""

from __future__ import annotations

import pytest

from fip.data import pair_forms
from fip.factors.study import compare_with_study
from fip.indices import compare_index_definitions, derive_index_definitions, load_index_definitions
from fip.published import published_loadings
from fip.simulate import simulate_cohort


@pytest.fixture(scope="module", params=[0, 1, 2])
def cohort(request):
    ds = simulate_cohort(seed=request.param)
    return ds, pair_forms(ds).measurements


@pytest.mark.parametrize(("respondent", "family"), [("citizen", "citizen_factors"), ("caseworker", "caseworker_factors")])
def test_varimax_solution_matches_the_published_tables(cohort, respondent, family):
    ds, m = cohort
    cmp = compare_with_study(m, ds.instrument, respondent)
    assert cmp.result.n_obs == (m["round"] == 1).sum()
    assert cmp.congruence["congruence"].min() >= 0.95, cmp.congruence
    assert cmp.congruence["published_factor"].is_unique
    # Index item sets: an item may land on another factor only where the published loadings
    # leave it a small margin (c11: 0.42 vs 0.36, c08: 0.45 vs 0.38 in Table 4.7); at n = 1007
    # the loadings' sampling sd is ~0.03, so such swaps happen in some samples (about 1 in 4
    # for the citizen items over 40 seeds, never for the caseworker items).
    published = published_loadings({"citizen": "4.7", "caseworker": "4.8"}[respondent])
    top2 = published.apply(lambda row: row.nlargest(2).tolist(), axis=1)
    margin = top2.map(lambda v: v[0] - v[1])
    pub_factor = published.idxmax(axis=1).reindex(cmp.result.loadings.index)
    ours_to_pub = dict(zip(cmp.congruence["factor"], cmp.congruence["published_factor"]))
    ours = cmp.result.loadings.idxmax(axis=1).map(ours_to_pub)
    moved = ours.index[ours != pub_factor]
    assert all(margin[item] < 0.1 for item in moved), (list(moved), margin.round(3).to_dict())


@pytest.mark.parametrize(("respondent", "family"), [("citizen", "citizen_factors"), ("caseworker", "caseworker_factors")])
def test_derived_indices_reproduce_the_study_in_a_large_cohort(respondent, family):
    """Without the sampling noise of n = 1007, the study's rule gives back its index sets."""
    ds = simulate_cohort(20_000, seed=11)
    cmp = compare_with_study(pair_forms(ds).measurements, ds.instrument, respondent)
    study = [d for d in load_index_definitions() if d.family == family]
    derived = derive_index_definitions(cmp.result.loadings, threshold=0.3)
    comparison = compare_index_definitions(derived, study)
    assert comparison["identical"].all(), comparison


@pytest.mark.parametrize(("respondent", "over", "share"), [("citizen", 4, 0.86), ("caseworker", 5, 0.75)])
def test_unrotated_solution_and_the_reports_statements(cohort, respondent, over, share):
    ds, m = cohort
    cmp = compare_with_study(m, ds.instrument, respondent, rotation=None)
    first = cmp.result.variance.iloc[0]
    assert (cmp.result.loadings.iloc[:, 0] > 0.3).all()  # "all indicators load on the first factor"
    # "over 5" for caseworkers: Table 4.8's own loadings imply a first eigenvalue of 4.99
    # (docs/calibration.md), so allow sampling error below the printed bound.
    assert first["eigenvalue"] > over - 0.35
    # The proportion's sampling sd is about 0.01-0.016 over seeds (docs/calibration.md);
    # the citizen cohort sits ~0.02 above 0.86 by construction (documented gap).
    assert abs(first["proportion"] - share) < 0.05
    assert list(cmp.statements["published"]) == [f"over {over}", f"{share:.2f}"]
    st = cmp.statements.set_index("statement")
    assert st.loc["first eigenvalue", "holds"] == (first["eigenvalue"] > over)
    assert st.loc["first factor's proportion of variance", "difference"] == pytest.approx(first["proportion"] - share)
    assert st.loc["first factor's proportion of variance", "holds"] == (round(first["proportion"], 2) == share)


def test_published_wide_is_the_matched_published_table(cohort):
    ds, m = cohort
    cmp = compare_with_study(m, ds.instrument, "caseworker")
    wide = cmp.published_wide()
    table = published_loadings("4.8")
    assert list(wide.index) == list(cmp.result.loadings.index)
    for row in cmp.congruence.itertuples():
        column = list(cmp.result.loadings.columns).index(row.factor)
        assert wide.columns[column] == row.published_factor
        assert (wide.iloc[:, column] == row.sign * table.loc[wide.index, row.published_factor]).all()
    assert compare_with_study(m, ds.instrument, "both").published_wide() is None
