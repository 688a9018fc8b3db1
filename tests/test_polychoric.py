"""fip.polychoric against psych (R) and closed forms.

Reference values: tests/reference/validity/make_reference.R (psych 2.2.9) → reference.json.
Tolerances:
* psych defaults (``polychoric(x)``): 1e-4. psych maximises with ``optimize`` at its default
  tolerance (≈1.2e-4 on ρ); fip solves the likelihood equation to 1e-14. Measured: 2.0e-5.
* the same likelihood solved tightly in R (psych's ``polyF`` and thresholds, ``optimize(tol =
  1e-12)``): 1e-7; what is left is psych's bivariate normal (``mnormt::sadmvn``, absolute error
  about 1e-6 per cell probability). Measured: 2.5e-8.
* thresholds, cor.smooth, polyserial (closed forms): 1e-12.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy.stats import multivariate_normal

from fip.errors import NotPositiveDefiniteWarning
from fip.polychoric import bivariate_normal_cdf, polychoric, polyserial, smooth_correlation

REF_DIR = Path(__file__).parent / "reference"
REF = json.loads((REF_DIR / "validity" / "reference.json").read_text())


@pytest.fixture(scope="module")
def items11() -> pd.DataFrame:
    return pd.read_csv(REF_DIR / "factors" / "items11.csv")


@pytest.fixture(scope="module")
def poly11(items11):
    return polychoric(items11)


@pytest.mark.parametrize("rho", [-0.95, -0.5, 0.0, 0.3, 0.8, 0.99])
def test_bivariate_cdf_matches_scipy(rho):
    grid = np.array([-2.5, -1.0, -0.3, 0.0, 0.4, 1.7])
    h, k = np.meshgrid(grid, grid)
    ours = bivariate_normal_cdf(h, k, rho)
    ref = np.array([[multivariate_normal.cdf([a, b], cov=[[1, rho], [rho, 1]]) for a, b in zip(ra, rb)]
                    for ra, rb in zip(h, k)])
    assert_allclose(ours, ref, atol=1e-8)  # scipy's Genz integration: abseps 1e-8 by default


def test_bivariate_cdf_closed_forms():
    # Φ2(0, 0; ρ) = 1/4 + asin(ρ)/(2π); infinite margins
    assert_allclose(bivariate_normal_cdf(0.0, 0.0, 0.6), 0.25 + np.arcsin(0.6) / (2 * np.pi), atol=1e-15)
    assert bivariate_normal_cdf(-np.inf, 0.3, 0.2) == 0.0
    assert_allclose(bivariate_normal_cdf(np.inf, 0.3, 0.2), 0.6179114221889526, atol=1e-15)  # Φ(0.3)
    assert_allclose(bivariate_normal_cdf(0.5, -0.7, 0.0), 0.6914624612740131 * 0.2419636522230730, atol=1e-15)


def test_bivariate_cdf_identities():
    # Φ2(h, k; ρ) + Φ2(h, −k; −ρ) = Φ(h), and symmetry in (h, k), over random arguments
    from scipy.special import ndtr

    rng = np.random.default_rng(11)
    h, k = rng.normal(0, 1.5, 2000), rng.normal(0, 1.5, 2000)
    rho = rng.uniform(-0.999, 0.999, 2000)
    assert_allclose(bivariate_normal_cdf(h, k, rho) + bivariate_normal_cdf(h, -k, -rho), ndtr(h), atol=1e-13)
    assert_allclose(bivariate_normal_cdf(h, k, rho), bivariate_normal_cdf(k, h, rho), atol=1e-14)


def test_polychoric_matches_psych_defaults(poly11, items11):
    assert list(poly11.correlation.columns) == list(items11.columns)
    assert poly11.global_thresholds and not poly11.smoothed
    assert_allclose(poly11.correlation.to_numpy(), np.array(REF["poly_rho"]), atol=1e-4, rtol=0)


def test_polychoric_matches_tight_likelihood(poly11):
    assert_allclose(poly11.correlation.to_numpy(), np.array(REF["poly_rho_tight"]), atol=1e-7, rtol=0)


def test_thresholds_match_psych(poly11):
    assert_allclose(poly11.thresholds.to_numpy(), np.array(REF["poly_tau"]), atol=1e-12)
    assert list(poly11.thresholds.columns) == ["1|2", "2|3", "3|4", "4|5", "5|6", "6|7"]


def test_pairwise_counts(poly11, items11):
    both = items11["q01"].notna() & items11["q02"].notna()
    assert poly11.n_pairs.loc["q01", "q02"] == both.sum()
    tidy = poly11.tidy()
    assert len(tidy) == 55 and list(tidy.columns) == ["item_1", "item_2", "r", "n"]


def test_unequal_categories_use_pair_thresholds_as_psych(items11):
    x6 = items11.iloc[:, :5].copy()
    x6.loc[x6["q05"] == 7, "q05"] = 6
    res = polychoric(x6)
    assert not res.global_thresholds and res.zero_cells_corrected > 0
    assert_allclose(res.correlation.to_numpy(), np.array(REF["poly6_rho"]), atol=1e-4, rtol=0)


def test_smooth_matches_cor_smooth():
    out, done = smooth_correlation(np.array(REF["smooth_input"]))
    assert done
    assert_allclose(out, np.array(REF["smooth_output"]), atol=1e-12)


def test_non_positive_definite_is_smoothed_with_warning():
    # three items answered in disjoint pairs: a~b and b~c strongly positive, a~c strongly negative
    rng = np.random.default_rng(1)
    blocks = []
    for sign, cols in ((1, ("a", "b")), (1, ("b", "c")), (-1, ("a", "c"))):
        z = rng.normal(size=200)
        block = pd.DataFrame(np.nan, index=range(200), columns=["a", "b", "c"])
        block[cols[0]] = np.digitize(z + rng.normal(0, .2, 200), [-1, 0, 1]) + 1
        block[cols[1]] = np.digitize(sign * z + rng.normal(0, .2, 200), [-1, 0, 1]) + 1
        blocks.append(block)
    data = pd.concat(blocks, ignore_index=True)
    with pytest.warns(NotPositiveDefiniteWarning):
        res = polychoric(data)
    assert res.smoothed
    assert np.linalg.eigvalsh(res.correlation.to_numpy()).min() > 0
    assert_allclose(np.diag(res.correlation.to_numpy()), 1.0, atol=1e-12)


def test_recovers_latent_correlation():
    rng = np.random.default_rng(5)
    z = rng.multivariate_normal([0, 0], [[1, .5], [.5, 1]], size=20000)
    items = pd.DataFrame(np.digitize(z, [-1.2, -.4, .3, 1.1]) + 1, columns=["a", "b"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = polychoric(items).correlation.loc["a", "b"]
    assert abs(r - 0.5) < 0.02  # sampling sd at n = 20,000 is about 0.006


def test_polyserial_matches_psych(items11):
    cc = items11.dropna()
    ours = polyserial(cc.iloc[:, :5].mean(axis=1), cc.iloc[:, 5:8])
    assert_allclose(ours.to_numpy(), np.array(REF["polyserial"]), atol=1e-12)


@pytest.mark.parametrize("data, message", [
    (pd.DataFrame({"a": [1, 2, 3]}), "at least 2 items"),
    (pd.DataFrame({"a": [1.5, 2, 3], "b": [1, 2, 3]}), "whole-number"),
    (pd.DataFrame({"a": [1, 2, 12], "b": [1, 2, 3]}), "at most 8 categories"),
    (pd.DataFrame({"a": [2, 2, 2], "b": [1, 2, 3]}), "no variance"),
])
def test_bad_input(data, message):
    with pytest.raises(ValueError, match=message):
        polychoric(data)


def test_22_items_match_psych():
    # the benchmark's size: 231 pairs, several weak correlations near 0
    data = pd.read_csv(REF_DIR / "validity" / "items22.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # psych did not smooth this matrix: neither may fip
        res = polychoric(data)
    assert_allclose(res.correlation.to_numpy(), np.array(REF["poly22_rho"]), atol=1e-4, rtol=0)
