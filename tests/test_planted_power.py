"""Invariance and DIF testing find planted non-invariance (issue 14, item 8) over 50 study-size cohorts.

Planted cohorts (``fip.simulate.planted``, 1,000 persons, seeds 0-49) have two planted effects and
a factor-mean difference that is not DIF:

* ``i03``: intercept +0.5 SD for answers in Arabic (``answer_language=ar``); impact −0.3 SD for ar;
* ``i08``: loading 0.7 → 0.4 for women (``gender=2``).

Clean cohorts (seeds 1000-1049) have the same impact and no planted effect.

The methods (per factor, one-factor models of its five items), both family-wise over the items:

* CFA: the sequential score-test search of :func:`fip.cfa.invariance.noninvariant_parameters`
  (scalar level by language, metric level by gender; α = 0.05 Bonferroni over the level's equalities);
* DIF: :func:`fip.irt.dif.purified_dif` (ordinal logistic 2-df total test, Holm-adjusted p < 0.05,
  purified anchor mean).

Criteria (issue 14, "Done when"): the planted item is found in at least 80 % of the planted
cohorts, and a clean cohort flags an item in at most 10 % of the clean cohorts. Also: in the
planted cohorts the clean items are flagged in at most 10 % (per item, on average).
"""

from __future__ import annotations

import numpy as np
import pytest

from fip.simulate.planted import PlantedDesign, PlantedEffect, simulate_planted

pytestmark = pytest.mark.slow

N_COHORTS = 50
DESIGN = PlantedDesign(n_persons=1000, impact={("answer_language", "ar"): -0.3})
EFFECTS = (PlantedEffect("i03", "answer_language", "ar", intercept_shift=0.5),
           PlantedEffect("i08", "gender", "2", loading_shift=-0.3))
ANALYSES = {  # name: (factor's items, grouping column, CFA level, planted item)
    "intercept by language": (("i01", "i02", "i03", "i04", "i05"), "answer_language", "scalar", "i03"),
    "loading by gender": (("i06", "i07", "i08", "i09", "i10"), "gender", "metric", "i08"),
}


def _flags(effects, seeds) -> dict[tuple[str, str], np.ndarray]:
    """Per analysis and method: a cohorts × items boolean array of flagged items."""
    from fip.cfa import parse_model
    from fip.cfa.invariance import noninvariant_parameters
    from fip.irt.dif import purified_dif

    out = {(name, method): np.zeros((len(seeds), 5), dtype=bool) for name in ANALYSES for method in ("cfa", "dif")}
    for row, seed in enumerate(seeds):
        cohort = simulate_planted(DESIGN, effects, seed=seed)
        data = cohort.forms.merge(cohort.persons, on="person_id")
        for name, (items, column, level, _) in ANALYSES.items():
            spec = parse_model(f"F =~ {' + '.join(items)}")
            freed = noninvariant_parameters(spec, data, group=column, level=level)
            found = {key.replace("~1", "").replace("F =~", "").strip() for key in freed}
            out[name, "cfa"][row] = [i in found for i in items]
            dif = purified_dif(cohort.forms[list(items)], cohort.persons[column], p_column="p_total_holm").flagged
            out[name, "dif"][row] = [i in dif for i in items]
    return out


@pytest.fixture(scope="module")
def planted():
    return _flags(EFFECTS, range(N_COHORTS))


@pytest.fixture(scope="module")
def clean():
    return _flags((), range(1000, 1000 + N_COHORTS))


@pytest.mark.parametrize("method", ["cfa", "dif"])
@pytest.mark.parametrize("name", list(ANALYSES))
def test_planted_item_found_in_80_percent_of_cohorts(planted, name, method):
    items, _, _, item = ANALYSES[name]
    k = items.index(item)
    power = planted[name, method][:, k].mean()
    others = np.delete(planted[name, method], k, axis=1).mean()
    assert power >= 0.80, f"{name}, {method}: planted {item} found in {power:.0%} of {N_COHORTS} cohorts"
    assert others <= 0.10, f"{name}, {method}: clean items of planted cohorts flagged at {others:.1%}"


@pytest.mark.parametrize("method", ["cfa", "dif"])
@pytest.mark.parametrize("name", list(ANALYSES))
def test_clean_cohorts_flag_an_item_in_at_most_10_percent(clean, name, method):
    any_flag = clean[name, method].any(axis=1).mean()
    assert any_flag <= 0.10, f"{name}, {method}: {any_flag:.0%} of {N_COHORTS} clean cohorts flag an item"
