"""How much the text's open choices matter: the counts recomputed from the forms directly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fip.data import Dataset
from fip.open_choices import open_choices
from fip.simulate import simulate_cohort
from fip.study import Study


@pytest.fixture(scope="module")
def study():
    ds = simulate_cohort(seed=4)
    forms = ds.forms.copy()
    rng = np.random.default_rng(0)
    # one unanswered citizen item in 8 % of the forms: complete-case and 2/3 rule Ns differ
    rows = rng.random(len(forms)) < 0.08
    forms.loc[rows & (forms["respondent"] == "citizen"), "c03"] = pd.NA
    return Study(Dataset(ds.persons, forms, ds.outcomes, ds.instrument), until="2018-12-31")


@pytest.fixture(scope="module")
def values(study):
    t = open_choices(study).tidy()
    return t.set_index("measure")["value"]


def test_index_rule_ns(study, values):
    table = study.analysis.table
    m = study.model_pairing.measurements
    cit = list(study.instrument.item_ids("citizen"))
    cw = list(study.instrument.item_ids("caseworker"))
    wide = m.set_index(["person_id", "round"])
    ok_all, ok_two_thirds = 0, 0
    for pid in table["person_id"]:
        answered = [wide.loc[(pid, r), items].notna().sum() for r in (1, 2) for items in (cit, cw)]
        ok_all += all(a == 11 for a in answered)
        ok_two_thirds += all(a >= 8 for a in answered)
    assert values["persons in the overall-index models, every item answered"] == ok_all
    assert values["persons in the overall-index models, two thirds answered"] == ok_two_thirds
    assert ok_two_thirds > ok_all


def test_fixed_effect_and_age_counts(study, values):
    table = study.analysis.table.set_index("person_id")
    m = study.model_pairing.measurements.set_index(["person_id", "round"])
    persons = study.dataset.persons.set_index("person_id")
    changed = differs = 0
    for pid in table.index:
        changed += m.loc[(pid, 1), "caseworker_id"] != m.loc[(pid, 2), "caseworker_id"]

        def group(on):
            age = on.year - persons.loc[pid, "birth_year"]
            return (age < 30, age > 40)

        differs += group(m.loc[(pid, 1), "measured_on"]) != group(m.loc[(pid, 2), "measured_on"])
    assert values["persons whose caseworker changed between the rounds"] == changed
    assert values["persons whose age group differs"] == differs
    assert values["largest change of an overall-index coefficient, in SEs"].ge(0).all()


def test_factor_rows(study, values):
    corr = study.correlation("citizen")
    r = corr.correlation.to_numpy()
    # Stata pf: eigenvalues of R with squared multiple correlations on the diagonal
    reduced = r - np.diag(1 / np.diag(np.linalg.inv(r)))
    third = np.sort(np.linalg.eigvalsh(reduced))[::-1][2]
    assert values["citizen: eigenvalue of factor 3 (pf, reduced matrix)"] == pytest.approx(third, abs=1e-9)
    kaiser = int((np.linalg.eigvalsh(corr.correlation.to_numpy()) >= 1).sum())
    assert values["citizen: factors that rule keeps"] == kaiser
    assert 0.9 < values["citizen: lowest Tucker congruence of the varimax factors"] <= 1


def test_a_study_on_the_two_thirds_rule_scores_nothing_again(monkeypatch):
    import fip.indices
    from fip import open_choices as module
    from fip.study import fitting_index_definitions

    ds = simulate_cohort(300, seed=1)
    study = Study(ds, until="2018-12-31", definitions=fitting_index_definitions(ds.instrument, "2/3"))
    study.analysis
    calls = []
    monkeypatch.setattr(fip.indices, "score_indices", lambda *a, **k: calls.append(a))
    rows = module.open_choices(study).tidy().set_index("measure")["value"]
    assert calls == []
    assert rows["persons in the overall-index models, two thirds answered"] >= \
        rows["persons in the overall-index models, every item answered"]


def test_a_small_difference_between_the_index_rules_is_not_shown():
    """Two persons with one unanswered item: the two-thirds count would give them by subtraction."""
    ds = simulate_cohort(seed=4)
    study = Study(ds, until="2018-12-31")
    first = study.analysis.table["person_id"].iloc[:2]
    forms = ds.forms.copy()
    forms.loc[forms["person_id"].isin(first) & (forms["respondent"] == "citizen"), "c03"] = pd.NA
    values = open_choices(Study(Dataset(ds.persons, forms, ds.outcomes, ds.instrument),
                                until="2018-12-31")).tidy().set_index("measure")["value"]
    assert values["persons in the overall-index models, every item answered"] > 5
    assert np.isnan(values["persons in the overall-index models, two thirds answered"])
