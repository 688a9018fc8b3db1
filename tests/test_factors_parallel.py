"""Parallel analysis against psych::fa.parallel (tests/reference/parallel/make_reference.R).

The observed eigenvalues are deterministic and must agree to rounding. The random ones are
Monte Carlo means over different generators (R's and numpy's), so they agree only within
simulation error: each mean is over 500 normal data sets of 2,436 x 25, and the difference of
two such means must stay within 4 standard errors (sqrt(2) x our draws' SD / sqrt(500); below
0.006 for every eigenvalue). The number of factors kept must be the same: on bfi every
observed eigenvalue is at least 0.014 away from the random one at the decision point, far beyond
that error.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from fip.factors.diagnostics import _random_eigenvalues, parallel_analysis

ROOT = Path(__file__).resolve().parents[1]
REF = json.loads((Path(__file__).parent / "reference" / "parallel" / "fa_parallel_bfi.json").read_text())


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return pd.read_csv(ROOT / "examples" / "data" / "bfi" / "forms.csv").drop(columns="person_id").dropna()


@pytest.mark.parametrize("communality", ["smc", "minres"])
def test_matches_psych_fa_parallel(bfi, communality):
    assert len(bfi) == REF["n_obs"]
    ref = REF[f"{communality}_q0.5"]
    ours = parallel_analysis(bfi, n_iter=500, seed=7, communality=communality, quantile=0.95)
    t = ours.table
    assert ours.communality == communality
    assert_allclose(t["observed"], ref["observed"], rtol=0, atol=1e-6)
    draws = _random_eigenvalues(len(bfi), 25, 500, "fa", np.random.default_rng(7), communality)
    assert_allclose(draws.mean(axis=0), t["random_mean"], rtol=0, atol=1e-12)        # the same draws
    se_difference = np.sqrt(2) * draws.std(axis=0, ddof=1) / np.sqrt(500)
    assert (np.abs(t["random_mean"] - ref["random_mean"]) < 4 * se_difference).all()
    assert ours.n_retained == REF[f"{communality}_q0.95"]["nfact"]          # against the 95th percentile
    beats_mean = (t["observed"] > t["random_mean"]).tolist() + [False]
    assert beats_mean.index(False) == ref["nfact"]                          # against the mean (Horn)


def test_the_two_communalities_differ_on_bfi(bfi):
    """psych's default (one-factor minres communalities) keeps 6 factors, SMCs (Stata pf) 8."""
    assert REF["smc_q0.5"]["nfact"] == 8 and REF["minres_q0.5"]["nfact"] == 6
    with pytest.raises(ValueError, match="communality"):
        parallel_analysis(bfi, n_iter=2, seed=1, communality="ml")
