"""Tests of fip.reliability against pingouin (an independent implementation)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest

from fip.reliability import cronbach_alpha, item_rest_statistics, omega_total, reliability_table
from fip.indices import IndexDefinition

REF_DIR = Path(__file__).parent / "reference"
# R 4.2.2, psych 2.2.9: tests/reference/reliability/make_reference.R (psych::alpha,
# psych::omega(nfactors=1, fm="minres")) on tests/reference/factors/items11.csv.
REFERENCE = json.loads((REF_DIR / "reliability" / "reference.json").read_text())
ITEMS11 = pd.read_csv(REF_DIR / "factors" / "items11.csv")


def _items(n: int, k: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = rng.normal(size=n)
    x = {f"i{j}": np.clip(np.round(4 + (0.5 + 0.1 * j) * f + rng.normal(size=n)), 1, 7) for j in range(k)}
    frame = pd.DataFrame(x)
    frame.iloc[rng.integers(0, n, 10), 0] = np.nan  # listwise deletion must agree too
    return frame


@pytest.mark.parametrize(("n", "k", "seed"), [(50, 3, 1), (400, 6, 2), (1000, 11, 3)])
def test_alpha_and_feldt_interval_match_pingouin(n, k, seed):
    x = _items(n, k, seed)
    ours = cronbach_alpha(x)
    ref_alpha, _ = pg.cronbach_alpha(data=x, nan_policy="listwise")
    assert ours.alpha == pytest.approx(ref_alpha, abs=1e-12)
    # pingouin counts n before its listwise deletion (its Feldt df then use rows it dropped),
    # so compare the interval on the complete rows; pingouin rounds it to 3 decimals.
    _, ref_ci = pg.cronbach_alpha(data=x.dropna())
    np.testing.assert_allclose([ours.ci_low, ours.ci_high], ref_ci, atol=5e-4 + 1e-12)
    assert ours.n_obs == x.dropna().shape[0] and ours.n_items == k


def test_alpha_if_deleted_matches_pingouin_on_the_reduced_set():
    x = _items(300, 5, 4).dropna()
    table = item_rest_statistics(x)
    for item in x.columns:
        ref, _ = pg.cronbach_alpha(data=x.drop(columns=item))
        assert table.loc[item, "alpha_if_deleted"] == pytest.approx(ref, abs=1e-12)
        rest = x.drop(columns=item).sum(axis=1)
        assert table.loc[item, "item_rest_r"] == pytest.approx(pg.corr(x[item], rest)["r"].item(), abs=1e-12)


def test_too_few_items_or_rows_is_an_error():
    with pytest.raises(ValueError, match="at least 2 items"):
        cronbach_alpha(pd.DataFrame({"a": [1, 2, 3]}))
    with pytest.raises(ValueError, match="at least 3 complete rows"):
        cronbach_alpha(pd.DataFrame({"a": [1, 2], "b": [2, 1]}))


@pytest.mark.parametrize("name", sorted(REFERENCE["sets"]))
def test_alpha_item_statistics_and_omega_match_psych(name):
    ref = REFERENCE["sets"][name]
    x = ITEMS11[ref["items"]]
    assert cronbach_alpha(x).n_obs == ref["n_obs"]
    assert cronbach_alpha(x).alpha == pytest.approx(ref["raw_alpha"], abs=1e-12)
    table = item_rest_statistics(x)
    np.testing.assert_allclose(table["item_rest_r"], ref["r_drop"], atol=1e-12)
    np.testing.assert_allclose(table["alpha_if_deleted"], ref["alpha_drop"], atol=1e-12)
    # psych's minres optimiser stops at its own tolerance (loadings within ~1e-5 of the
    # optimum, see tests/reference/factors/README.md); omega inherits that.
    assert omega_total(x) == pytest.approx(ref["omega_total_psych"], abs=2e-5)


def test_reliability_table_per_index():
    defs = [IndexDefinition("a", ("q01", "q02", "q03")), IndexDefinition("b", ("q09", "q10"))]
    table = reliability_table(ITEMS11, defs).set_index("index")
    assert table.loc["a", "alpha"] == pytest.approx(REFERENCE["sets"]["q1_q3"]["raw_alpha"], abs=1e-12)
    assert np.isnan(table.loc["b", "omega"]) and table.loc["b", "n_items"] == 2
    assert table.loc["b", "mean_inter_item_r"] == pytest.approx(ITEMS11[["q09", "q10"]].dropna().corr().iloc[0, 1])


def test_heywood_case_behind_omega_is_flagged():
    """Three items with r12 = .9, r13 = .6, r23 = .3: the one-factor model's closed-form loading
    of item 1 is sqrt(r12 r13 / r23) = sqrt(1.8) > 1, a Heywood case; the table says so."""
    from fip.errors import HeywoodCaseWarning

    corr = np.array([[1, 0.9, 0.6], [0.9, 1, 0.3], [0.6, 0.3, 1]])
    rng = np.random.default_rng(4)
    z = rng.normal(size=(2000, 3)) @ np.linalg.cholesky(corr).T
    odd = pd.DataFrame(z, columns=["x1", "x2", "x3"])
    defs = [IndexDefinition("odd", ("x1", "x2", "x3")), IndexDefinition("a", ("q01", "q02", "q03"))]
    data = pd.concat([odd, ITEMS11.iloc[: len(odd)].reset_index(drop=True)], axis=1)
    with pytest.warns(HeywoodCaseWarning):
        table = reliability_table(data, defs).set_index("index")
    assert bool(table.loc["odd", "heywood"]) and not bool(table.loc["a", "heywood"])
