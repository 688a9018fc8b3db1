"""fip.factors against reference values computed in R (psych, GPArotation, stats) and
against numbers printed by Stata and SAS.

The R values come from tests/reference/factors/make_reference.R (see the README there for
versions and calls). Loadings are compared after aligning factor order and sign (the test's
own alignment, not fip's).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from fip.factors import (
    bartlett_sphericity,
    congruence_matrix,
    factor_analysis,
    kmo,
    rotate_loadings,
    tucker_congruence,
    variance_table,
)

REF_DIR = Path(__file__).parent / "reference" / "factors"
REF = json.loads((REF_DIR / "reference.json").read_text())
DATASETS = ("constructed", "harman23", "items11")


def _corr(name: str) -> pd.DataFrame:
    r = REF[name]
    return pd.DataFrame(np.array(r["correlation"]), index=r["items"], columns=r["items"])


def _alignment(ours: np.ndarray, ref: np.ndarray) -> tuple[list[int], np.ndarray]:
    """Column permutation and signs that make ``ours`` closest to ``ref`` (max abs difference)."""
    best, best_err = None, np.inf
    for perm in itertools.permutations(range(ref.shape[1])):
        cand = ours[:, list(perm)]
        signs = np.where((cand * ref).sum(axis=0) < 0, -1.0, 1.0)
        err = np.abs(cand * signs - ref).max()
        if err < best_err:
            best, best_err = (list(perm), signs), err
    return best


def _aligned(ours: np.ndarray, ref: np.ndarray) -> np.ndarray:
    perm, signs = _alignment(ours, ref)
    return ours[:, perm] * signs


def _fit(name: str, method: str, rotation: str | None = None):
    r = REF[name]
    return factor_analysis(
        _corr(name), n_factors=r["n_factors"], method=method, rotation=rotation, n_obs=r["n_obs"]
    )


# ----------------------------------------------------------------------------- extraction
@pytest.mark.parametrize("name", DATASETS)
def test_pf_matches_psych_one_step_pa_and_hand_computation(name):
    # psych::fa(fm="pa", max.iter=1): loadings from the SMC-reduced matrix = Stata pf.
    res = _fit(name, "pf")
    ours = res.loadings.to_numpy()
    assert_allclose(_aligned(ours, np.array(REF[name]["pf_loadings_psych"])),
                    REF[name]["pf_loadings_psych"], atol=1e-10)
    assert_allclose(_aligned(ours, np.array(REF[name]["pf_loadings_hand"])),
                    REF[name]["pf_loadings_hand"], atol=1e-10)
    assert_allclose(res.eigenvalues.to_numpy(), REF[name]["pf_reduced_eigenvalues"], atol=1e-10)


@pytest.mark.parametrize("name", DATASETS)
def test_ipf_matches_psych_pa_iterated_to_convergence(name):
    # psych::fa(fm="pa", max.iter=1e5, min.err=1e-13) == Stata ipf.
    res = _fit(name, "ipf")
    ref = np.array(REF[name]["ipf_loadings"])
    assert_allclose(_aligned(res.loadings.to_numpy(), ref), ref, atol=1e-8)
    assert_allclose(res.communality.to_numpy(), REF[name]["ipf_communality"], atol=1e-8)
    assert res.converged


@pytest.mark.parametrize("name", DATASETS)
def test_minres_matches_tight_r_optimisation(name):
    res = _fit(name, "minres")
    ref = np.array(REF[name]["minres_loadings_tight"])
    # Both sides stop an L-BFGS-B optimiser: measured differences <= 1.3e-8; 1e-6 leaves room
    # for other BLAS/LAPACK builds.
    assert_allclose(_aligned(res.loadings.to_numpy(), ref), ref, atol=1e-6)
    assert_allclose(res.uniqueness.to_numpy(), REF[name]["minres_uniqueness_tight"], atol=1e-6)


@pytest.mark.parametrize("name", DATASETS)
def test_minres_matches_psych_fa_at_psych_tolerance(name):
    ref = np.array(REF[name]["minres_loadings_psych"])
    res = _fit(name, "minres")
    # psych::fa cannot tighten optim (factr 1e7 by default): measured gaps up to 6e-6.
    assert_allclose(_aligned(res.loadings.to_numpy(), ref), ref, atol=2e-5)


@pytest.mark.parametrize("name", DATASETS)
def test_ml_matches_factanal_tight(name):
    res = _fit(name, "ml")
    ref = np.array(REF[name]["ml_loadings_factanal"])
    # factanal with factr = 100 vs our L-BFGS-B: measured differences <= 1.1e-8.
    assert_allclose(_aligned(res.loadings.to_numpy(), ref), ref, atol=1e-6)
    assert_allclose(res.uniqueness.to_numpy(), REF[name]["ml_uniqueness_factanal"], atol=1e-6)


@pytest.mark.parametrize("name", DATASETS)
def test_ml_lr_test_matches_factanal(name):
    r = REF[name]
    res = _fit(name, "ml")
    assert res.lr_test.df == r["ml_dof_factanal"]
    # the exact model (constructed) has chi2 = 0 up to the optimiser
    assert res.lr_test.chi2 == pytest.approx(r["ml_statistic_factanal"], rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("name", DATASETS)
def test_ml_matches_psych_fa_ml_at_psych_tolerance(name):
    ref = np.array(REF[name]["ml_loadings_psych"])
    res = _fit(name, "ml")
    # psych's default optimiser tolerance: measured gaps up to 2.5e-5 (Harman).
    assert_allclose(_aligned(res.loadings.to_numpy(), ref), ref, atol=1e-4)


@pytest.mark.parametrize("name", DATASETS)
def test_pcf_matches_psych_principal(name):
    res = _fit(name, "pcf")
    ref = np.array(REF[name]["pcf_loadings"])
    assert_allclose(_aligned(res.loadings.to_numpy(), ref), ref, atol=1e-10)
    assert_allclose(res.eigenvalues.to_numpy(), REF[name]["unreduced_eigenvalues"], atol=1e-10)


# ----------------------------------------------------------------------------- rotations
ROTATION_CASES = [
    ("varimax", "varimax_gpa"),  # GPArotation::Varimax(normalize = FALSE)
    ("varimax", "varimax_stats_unnormalised"),  # stats::varimax(normalize = FALSE)
    ("varimax_kaiser", "varimax_kaiser_stats"),  # stats::varimax(normalize = TRUE)
    ("varimax_kaiser", "varimax_kaiser_gpa"),  # GPArotation::Varimax(normalize = TRUE)
    ("promax", "promax_unnormalised_m3"),  # stats::promax body, varimax Kaiser off, m = 3
    ("promax_kaiser", "promax_stats_m3"),  # stats::promax(m = 3)
    ("oblimin", "oblimin_gpa"),  # GPArotation::oblimin(gam = 0, normalize = FALSE)
]

# Tolerance 1e-6 (measured <= 3e-7, README). Both varimax implementations stop on a criterion
# that is flat at the optimum, so angles are determined to ~1e-8; stats::varimax also stops
# after 1000 iterations even with eps = 1e-14 (the 3e-7 on Harman, Kaiser-normalised), and
# one GPArotation reference needed eps = 1e-6 (varimax_kaiser_gpa on items11).
ROTATION_TOL = 1e-6


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize(("method", "key"), ROTATION_CASES)
def test_rotation_matches_r(name, method, key):
    ref = REF[name][key]
    out = rotate_loadings(np.array(REF[name]["rot_input"]), method)
    tol = ROTATION_TOL
    assert_allclose(_aligned(out.loadings, np.array(ref["loadings"])), ref["loadings"], atol=tol)
    if "phi" in ref:
        # the factor correlations, permuted and flipped like the loadings
        perm, signs = _alignment(out.loadings, np.array(ref["loadings"]))
        phi = out.phi[np.ix_(perm, perm)] * np.outer(signs, signs)
        assert_allclose(phi, ref["phi"], atol=tol)
    else:
        assert out.phi is None
        assert_allclose(out.matrix.T @ out.matrix, np.eye(out.matrix.shape[1]), atol=1e-12)
    # rotated = unrotated @ matrix, whatever the rotation
    assert_allclose(np.array(REF[name]["rot_input"]) @ out.matrix, out.loadings, atol=1e-12)


@pytest.mark.parametrize("name", DATASETS)
def test_factor_analysis_rotated_pipeline_matches_gparotation(name):
    res = _fit(name, "pf", "varimax")
    ref = np.array(REF[name]["varimax_gpa"]["loadings"])
    assert_allclose(_aligned(res.loadings.to_numpy(), ref), ref, atol=1e-6)


def test_promax_power_4_matches_r_and_differs_from_power_3():
    r = REF["items11"]
    out4 = rotate_loadings(np.array(r["rot_input"]), "promax", power=4)
    ref4 = np.array(r["promax_unnormalised_m4"]["loadings"])
    assert_allclose(_aligned(out4.loadings, ref4), ref4, atol=1e-6)
    ref3 = np.array(r["promax_unnormalised_m3"]["loadings"])
    assert np.abs(_aligned(out4.loadings, ref3) - ref3).max() > 1e-3


# ----------------------------------------------------------------------------- diagnostics
@pytest.mark.parametrize("name", DATASETS)
def test_kmo_matches_psych(name):
    res = kmo(_corr(name))
    assert res.overall == pytest.approx(REF[name]["kmo"]["overall"], abs=1e-12)
    assert_allclose(res.per_item.to_numpy(), REF[name]["kmo"]["per_item"], atol=1e-12)


@pytest.mark.parametrize("name", DATASETS)
def test_bartlett_matches_psych(name):
    r = REF[name]
    res = bartlett_sphericity(_corr(name), n_obs=r["n_obs"])
    assert res.chi2 == pytest.approx(r["bartlett"]["chi2"], rel=1e-12)
    assert res.df == r["bartlett"]["df"]
    assert res.p_value == pytest.approx(r["bartlett"]["p"], rel=1e-9, abs=1e-300)


def test_congruence_matrix_matches_psych_factor_congruence():
    c = REF["congruence"]
    phi = congruence_matrix(np.array(c["a"]), np.array(c["b"]))
    assert_allclose(phi.to_numpy(), c["phi"], atol=1e-12)
    tidy = tucker_congruence(np.array(c["a"]), np.array(c["b"]))
    ref = np.abs(np.array(c["phi"]))
    # Hungarian matching on |phi|: the reference's best assignment for a 2x2 is the larger
    # of the two diagonals.
    if ref[0, 0] + ref[1, 1] >= ref[0, 1] + ref[1, 0]:
        expected = [ref[0, 0], ref[1, 1]]
    else:
        expected = [ref[0, 1], ref[1, 0]]
    assert_allclose(tidy["congruence"].to_numpy(), expected, atol=1e-12)


# ----------------------------------------------------------------------------- data input
def test_items11_csv_listwise_correlation_matches_r():
    data = pd.read_csv(REF_DIR / "items11.csv")
    res = factor_analysis(data, n_factors=3)
    r = REF["items11"]
    assert res.n_obs == r["n_obs"]
    assert len(data) == r["n_rows_csv"]
    assert_allclose(res.correlation.to_numpy(), r["correlation"], atol=1e-12)
    ref = np.array(r["pf_loadings_psych"])
    assert_allclose(_aligned(res.loadings.to_numpy(), ref), ref, atol=1e-10)


# ----------------------------------------------------------------------------- printed output
# SAS PROC FACTOR, METHOD=PRIN with Harman's communalities as fixed priors, on Harman's eight
# physical variables (R: datasets::Harman23.cor), as printed at
# http://euclid.psych.yorku.ca/www/psy6140/examples/factor/output/phys8a.htm (Harman, Modern
# Factor Analysis, pp. 154-155). The priors are not SMCs, so only the table rule is compared:
# SAS, like Stata, divides by the trace of the reduced matrix ("Total = 6.024").
SAS_HARMAN_PRIORS = [0.854, 0.897, 0.833, 0.783, 0.870, 0.687, 0.521, 0.579]
SAS_HARMAN_EIGEN = [4.4558, 1.5127, 0.1305, 0.0587, 0.0335, -0.0314, -0.0440, -0.0917]
SAS_HARMAN_PROPORTION = [0.7397, 0.2511, 0.0217, 0.0097, 0.0056, -0.0052, -0.0073, -0.0152]
SAS_HARMAN_CUMULATIVE = [0.7397, 0.9908, 1.0124, 1.0222, 1.0277, 1.0225, 1.0152, 1.0000]


def test_variance_table_reproduces_sas_printed_harman_table():
    # the data are the same: eigenvalues of R with SAS's priors on the diagonal
    reduced = _corr("harman23").to_numpy().copy()
    np.fill_diagonal(reduced, SAS_HARMAN_PRIORS)
    assert_allclose(np.linalg.eigvalsh(reduced)[::-1], SAS_HARMAN_EIGEN, atol=5e-5)
    t = variance_table(SAS_HARMAN_EIGEN, sum(SAS_HARMAN_PRIORS))
    # half a unit of the last printed digit, plus the rounding of the printed eigenvalues
    assert_allclose(t["proportion"], SAS_HARMAN_PROPORTION, atol=6e-5)
    assert_allclose(t["cumulative"], SAS_HARMAN_CUMULATIVE, atol=1e-4)


# Stata [MV] factor example, `webuse bg2; factor bg2cost1-bg2cost6, factors(2)`, as printed in
# the help file of the sortl package (http://fmwww.bc.edu/RePEc/bocode/s/sortl.html).
STATA_BG2_EIGEN = [0.85389, 0.54107, 0.02321, -0.14967, -0.18918, -0.25115]
STATA_BG2_DIFF = [0.31282, 0.51786, 0.17288, 0.03951, 0.06197]
STATA_BG2_PROPORTION = [1.0310, 0.6533, 0.0280, -0.1807, -0.2284, -0.3033]
STATA_BG2_CUMULATIVE = [1.0310, 1.6844, 1.7124, 1.5317, 1.3033, 1.0000]


def test_variance_table_reproduces_stata_bg2_proportions():
    t = variance_table(STATA_BG2_EIGEN, sum(STATA_BG2_EIGEN))
    # inputs are rounded to 5 decimals and the total to ~3e-5: allow 1e-4
    assert_allclose(t["difference"].to_numpy()[:-1], STATA_BG2_DIFF, atol=2e-5)
    assert np.isnan(t["difference"].iloc[-1])
    assert_allclose(t["proportion"], STATA_BG2_PROPORTION, atol=1e-4)
    assert_allclose(t["cumulative"], STATA_BG2_CUMULATIVE, atol=1e-4)
    assert t["cumulative"].iloc[-1] == pytest.approx(1.0, abs=1e-12)


# Stata `factor c1-c20, factors(4) pcf` then `rotate, horst` (UCLA, pma5 chapter 15,
# https://stats.oarc.ucla.edu/stata/examples/pma5/pma5stata_ch15): rotated variances over 20.
def test_rotated_variance_table_reproduces_stata_pcf_printout():
    t = variance_table([4.79557, 2.37939, 2.11191, 1.55132], 20.0, rotated=True)
    assert list(t.columns) == ["factor", "variance", "difference", "proportion", "cumulative"]
    assert_allclose(t["proportion"], [0.2398, 0.1190, 0.1056, 0.0776], atol=5e-5)
    assert_allclose(t["cumulative"], [0.2398, 0.3587, 0.4643, 0.5419], atol=5e-5)
    assert_allclose(t["difference"].to_numpy()[:-1], [2.41617, 0.26749, 0.56059], atol=1e-5)
