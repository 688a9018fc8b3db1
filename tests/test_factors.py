"""fip.factors: closed-form checks, invariants (hypothesis), API and input handling.

Reference comparisons with R, SAS and Stata output are in test_factors_reference.py.
"""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from factor_analyzer.factor_analyzer import calculate_bartlett_sphericity, calculate_kmo
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from statsmodels.multivariate.factor import Factor

from fip.errors import InvalidDataError
from fip.factors import (
    HeywoodCaseWarning,
    bartlett_sphericity,
    factor_analysis,
    kmo,
    parallel_analysis,
    rotate_loadings,
    scree_data,
    tucker_congruence,
    varimax_criterion,
)
from fip.instrument import load_instrument

ROTATIONS = ("varimax", "varimax_kaiser", "promax", "promax_kaiser", "oblimin")

# Known loadings, 9 items x 3 factors (clear simple structure, some cross-loadings).
L_TRUE = np.array(
    [
        [0.80, 0.10, 0.00],
        [0.70, 0.00, 0.15],
        [0.75, 0.20, 0.05],
        [0.05, 0.70, 0.10],
        [0.10, 0.65, 0.00],
        [0.00, 0.80, 0.20],
        [0.15, 0.00, 0.70],
        [0.00, 0.10, 0.60],
        [0.20, 0.05, 0.75],
    ]
)
NAMES = [f"x{i}" for i in range(1, 10)]


def _corr_frame(r: np.ndarray, names: list[str] | None = None) -> pd.DataFrame:
    names = names or [f"x{i}" for i in range(1, r.shape[0] + 1)]
    return pd.DataFrame(r, index=names, columns=names)


def _model_corr(loadings: np.ndarray) -> np.ndarray:
    r = loadings @ loadings.T
    np.fill_diagonal(r, 1.0)
    return r


R_TRUE = _corr_frame(_model_corr(L_TRUE), NAMES)


def _simulate_scores(
    loadings: np.ndarray, n: int, seed: int, lo: int = 1, hi: int = 7
) -> np.ndarray:
    rng = np.random.default_rng(seed)
    k = loadings.shape[1]
    psi = 1 - (loadings**2).sum(axis=1)
    noise = rng.standard_normal((n, len(psi))) * np.sqrt(psi)
    z = rng.standard_normal((n, k)) @ loadings.T + noise
    cuts = np.quantile(z, np.linspace(0, 1, hi - lo + 2)[1:-1], axis=0)
    return lo + (z[None, :, :] > cuts[:, None, :]).sum(axis=0)


# ----------------------------------------------------------------------------- pf by hand
def test_pf_equals_hand_computation_and_stata_proportion_rule():
    data = pd.DataFrame(_simulate_scores(L_TRUE, 400, seed=3), columns=NAMES)
    res = factor_analysis(data, n_factors=3)
    r = np.corrcoef(data.to_numpy(dtype=float), rowvar=False)
    smc = 1 - 1 / np.diag(np.linalg.inv(r))
    reduced = r.copy()
    np.fill_diagonal(reduced, smc)
    values, vectors = np.linalg.eigh(reduced)
    values, vectors = values[::-1], vectors[:, ::-1]
    hand = vectors[:, :3] * np.sqrt(values[:3])
    hand = hand * np.where(hand.sum(axis=0) < 0, -1, 1)
    assert_allclose(res.loadings.to_numpy(), hand, atol=1e-12)
    assert_allclose(res.eigenvalues.to_numpy(), values, atol=1e-12)
    assert_allclose(res.uniqueness.to_numpy(), 1 - (hand**2).sum(axis=1), atol=1e-12)
    table = res.variance
    assert len(table) == 9  # Stata lists every eigenvalue
    assert_allclose(table["proportion"], values / values.sum(), atol=1e-12)
    assert_allclose(table["proportion"], values / smc.sum(), atol=1e-12)  # = trace
    assert table["cumulative"].iloc[-1] == pytest.approx(1.0, abs=1e-12)
    assert (values < 0).any() and table["cumulative"].max() > 1.0  # passes 1, comes back
    assert res.n_obs == 400


def test_pf_equals_statsmodels_pa_one_iteration():
    # statsmodels Factor(method="pa").fit(maxiter=1) is Stata's pf: a second implementation.
    data = pd.DataFrame(_simulate_scores(L_TRUE, 300, seed=8), columns=NAMES)
    res = factor_analysis(data, n_factors=3)
    sm = Factor(corr=res.correlation.to_numpy(), n_factor=3, method="pa").fit(maxiter=1)
    ours = res.loadings.to_numpy()
    theirs = sm.loadings * np.where(sm.loadings.sum(axis=0) < 0, -1, 1)
    assert_allclose(ours, theirs, atol=1e-10)


def test_pf_retains_factors_with_positive_eigenvalues_by_default():
    data = pd.DataFrame(_simulate_scores(L_TRUE, 500, seed=4), columns=NAMES)
    res = factor_analysis(data)
    assert res.n_factors == int((res.eigenvalues > 0).sum())
    kaiser = factor_analysis(data, retain="kaiser")
    assert kaiser.n_factors == int((np.linalg.eigvalsh(res.correlation.to_numpy()) > 1).sum())


# ----------------------------------------------------------------------------- recovery
@pytest.mark.parametrize("method", ["ipf", "minres", "ml"])
def test_iterative_methods_recover_exact_factor_model(method):
    res = factor_analysis(R_TRUE, n_factors=3, method=method)
    fitted = res.loadings.to_numpy() @ res.loadings.to_numpy().T
    assert_allclose(fitted, L_TRUE @ L_TRUE.T, atol=1e-6)
    assert_allclose(res.uniqueness.to_numpy(), 1 - (L_TRUE**2).sum(axis=1), atol=1e-6)
    assert res.converged


def test_pf_does_not_recover_exact_model_but_ipf_does():
    # one step from SMCs underestimates communalities: pf is not the converged solution
    pf = factor_analysis(R_TRUE, n_factors=3, method="pf")
    true_h = (L_TRUE**2).sum(axis=1)
    assert np.abs(pf.communality.to_numpy() - true_h).max() > 1e-3


def test_pcf_and_pca():
    r = R_TRUE.to_numpy()
    values = np.linalg.eigvalsh(r)[::-1]
    pcf = factor_analysis(R_TRUE, method="pcf")
    assert pcf.n_factors == int((values > 1).sum())  # Stata pcf: mineigen(1)
    assert_allclose(pcf.variance["proportion"], values / 9, atol=1e-12)
    pca = factor_analysis(R_TRUE, method="pca")
    assert pca.n_factors == 9
    assert_allclose(pca.uniqueness.to_numpy(), 0.0, atol=1e-10)
    first = pca.loadings.to_numpy()[:, : pcf.n_factors]
    assert_allclose(first, pcf.loadings.to_numpy(), atol=1e-12)


# ----------------------------------------------------------------------------- rotation
def _givens(k: int, i: int, j: int, angle: float) -> np.ndarray:
    g = np.eye(k)
    c, s = np.cos(angle), np.sin(angle)
    g[i, i] = g[j, j] = c
    g[i, j], g[j, i] = -s, s
    return g


def test_varimax_maximises_raw_criterion_and_is_orthogonal():
    base = factor_analysis(R_TRUE, n_factors=3)
    rot = base.rotate("varimax")
    t = rot.rotation_matrix.to_numpy()
    assert_allclose(t.T @ t, np.eye(3), atol=1e-12)
    assert_allclose(base.loadings.to_numpy() @ t, rot.loadings.to_numpy(), atol=1e-12)
    best = varimax_criterion(rot.loadings.to_numpy())
    assert best > varimax_criterion(base.loadings.to_numpy())
    for i, j in [(0, 1), (0, 2), (1, 2)]:
        for angle in (-1e-3, 1e-3, -0.05, 0.05):
            moved = rot.loadings.to_numpy() @ _givens(3, i, j, angle)
            assert varimax_criterion(moved) < best


def test_varimax_kaiser_maximises_normalised_criterion():
    base = factor_analysis(R_TRUE, n_factors=3)
    rot = base.rotate("varimax_kaiser").loadings.to_numpy()
    h = np.sqrt((rot**2).sum(axis=1, keepdims=True))
    best = varimax_criterion(rot / h)
    for i, j in [(0, 1), (0, 2), (1, 2)]:
        for angle in (-1e-3, 1e-3):
            assert varimax_criterion(rot / h @ _givens(3, i, j, angle)) < best
    # unnormalised and normalised varimax are different solutions here
    assert np.abs(rot - base.rotate("varimax").loadings.to_numpy()).max() > 1e-4


def test_varimax_does_not_depend_on_starting_orientation():
    rng = np.random.default_rng(11)
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    a = rotate_loadings(L_TRUE, "varimax").loadings
    b = rotate_loadings(L_TRUE @ q, "varimax").loadings
    phi = tucker_congruence(a, b)
    assert_allclose(phi["congruence"], 1.0, atol=1e-9)


def test_varimax_recovers_simple_structure_rotated_away():
    # population loadings with perfect simple structure, rotated by 30 degrees
    simple = np.zeros((6, 2))
    simple[:3, 0] = [0.8, 0.7, 0.6]
    simple[3:, 1] = [0.8, 0.7, 0.6]
    out = rotate_loadings(simple @ _givens(2, 0, 1, np.pi / 6), "varimax")
    a = np.abs(out.loadings)
    a = a[:, np.argsort(-a[0])]
    # the SVD varimax stops when the criterion stops increasing; the criterion is flat to
    # second order at the optimum, so the angle is only determined to ~sqrt(eps) = 1.5e-8
    assert_allclose(a, simple, atol=1e-7)


@pytest.mark.parametrize("rotation", ["promax", "promax_kaiser", "oblimin"])
def test_oblique_rotation_reproduces_common_part(rotation):
    base = factor_analysis(R_TRUE, n_factors=3)
    rot = base.rotate(rotation)
    p, phi = rot.loadings.to_numpy(), rot.factor_correlation.to_numpy()
    lu = base.loadings.to_numpy()
    assert_allclose(p @ phi @ p.T, lu @ lu.T, atol=1e-10)
    assert_allclose(np.diag(phi), 1.0, atol=1e-10)
    assert_allclose(rot.structure.to_numpy(), p @ phi, atol=1e-12)
    assert_allclose(lu @ rot.rotation_matrix.to_numpy(), p, atol=1e-10)


def test_oblimin_minimises_quartimin_criterion():
    base = factor_analysis(R_TRUE, n_factors=3)
    rot = base.rotate("oblimin")

    def quartimin(pattern):
        sq = pattern**2
        return float(np.sum(sq.T @ sq) - np.sum(sq**2)) / 4

    t = np.linalg.inv(rot.rotation_matrix.to_numpy()).T  # GPArotation's T: pattern = L inv(T')
    best = quartimin(rot.loadings.to_numpy())
    rng = np.random.default_rng(5)
    lu = base.loadings.to_numpy()
    for _ in range(20):
        t2 = t + 1e-3 * rng.standard_normal(t.shape)
        t2 = t2 / np.sqrt((t2**2).sum(axis=0))  # columns of unit length (oblique constraint)
        assert quartimin(lu @ np.linalg.inv(t2).T) >= best - 1e-12


def test_rotated_variance_table():
    base = factor_analysis(R_TRUE, n_factors=3)
    rot = base.rotate("varimax")
    t = rot.variance
    assert list(t.columns) == ["factor", "variance", "difference", "proportion", "cumulative"]
    assert len(t) == 3
    assert_allclose(t["variance"], (rot.loadings**2).sum().to_numpy(), atol=1e-12)
    # orthogonal: rotated cumulative equals unrotated cumulative at k (Stata's printout)
    unrotated_at_k = base.variance["cumulative"].iloc[2]
    assert t["cumulative"].iloc[-1] == pytest.approx(unrotated_at_k, abs=1e-12)


def test_rotate_returns_new_result_and_restarts_from_unrotated():
    base = factor_analysis(R_TRUE, n_factors=3)
    before = base.loadings.copy()
    v = base.rotate("varimax")
    assert base.rotation is None and v.rotation == "varimax"
    pd.testing.assert_frame_equal(base.loadings, before)
    again = base.rotate("promax").rotate("varimax")
    assert_allclose(again.loadings.to_numpy(), v.loadings.to_numpy(), atol=1e-12)
    with pytest.raises(dataclasses.FrozenInstanceError):
        v.method = "ml"  # type: ignore[misc]
    direct = factor_analysis(R_TRUE, n_factors=3, rotation="varimax")
    assert_allclose(direct.loadings.to_numpy(), v.loadings.to_numpy(), atol=1e-12)
    assert v.rotation_matrix is not None and v.factor_correlation is None
    assert base.rotation_matrix is None


def test_oblimin_warns_when_it_does_not_converge(monkeypatch):
    import fip.factors.rotation as rotation

    monkeypatch.setattr(rotation, "_GP_ITER", 2)
    with pytest.warns(RuntimeWarning, match="did not converge"):
        rotate_loadings(L_TRUE, "oblimin")


def test_single_factor_rotation_is_identity():
    res = factor_analysis(R_TRUE, n_factors=1)
    for rotation in ROTATIONS:
        rot = res.rotate(rotation)
        assert_allclose(rot.loadings.to_numpy(), res.loadings.to_numpy(), atol=1e-15)


# ----------------------------------------------------------------------------- invariants
@st.composite
def loading_matrices(draw):
    """Questionnaire-like loadings: each item has a primary factor (>= 3 items per factor,
    loading 0.4-0.85) and small cross-loadings."""
    k = draw(st.integers(2, 3))
    p = draw(st.integers(3 * k, 10))
    primary = [j % k for j in range(p)]
    main = draw(st.lists(st.floats(0.4, 0.85), min_size=p, max_size=p))
    cross = draw(st.lists(st.floats(-0.25, 0.25), min_size=p * k, max_size=p * k))
    loadings = np.array(cross).reshape(p, k)
    for i, j in enumerate(primary):
        loadings[i, j] = main[i]
    h = (loadings**2).sum(axis=1)
    # keep communalities < 0.9 so that R is a proper correlation matrix
    return loadings * np.minimum(1.0, np.sqrt(0.9 / h))[:, None]


@settings(max_examples=40, deadline=None)
@given(loadings=loading_matrices(), rotation=st.sampled_from(ROTATIONS))
def test_rotation_invariants(loadings, rotation):
    k = loadings.shape[1]
    r = _corr_frame(_model_corr(loadings))
    base = factor_analysis(r, n_factors=k)
    rot = base.rotate(rotation)
    p = rot.loadings.to_numpy()
    # communalities and uniquenesses are not changed by rotation
    assert_allclose(rot.communality, base.communality, atol=1e-12)
    phi = rot.factor_correlation.to_numpy() if rot.factor_correlation is not None else np.eye(k)
    assert_allclose(np.diag(p @ phi @ p.T), base.communality.to_numpy(), atol=1e-8)
    # convention: loadings of each factor sum to >= 0, factors ordered by sum of squares
    assert (p.sum(axis=0) >= 0).all()
    ss = (p**2).sum(axis=0)
    assert (np.diff(ss) <= 1e-12).all()
    assert list(rot.loadings.columns) == [f"Factor{j}" for j in range(1, k + 1)]


@settings(max_examples=30, deadline=None)
@given(loadings=loading_matrices(), seed=st.integers(0, 2**32 - 1))
def test_unrotated_solution_ignores_item_order_and_sign_of_input(loadings, seed):
    k = loadings.shape[1]
    r = _model_corr(loadings)
    rng = np.random.default_rng(seed)
    order = rng.permutation(r.shape[0])
    names = [f"x{i}" for i in range(1, r.shape[0] + 1)]
    a = factor_analysis(_corr_frame(r, names), n_factors=k)
    b = factor_analysis(_corr_frame(r, names).iloc[order, order], n_factors=k)
    assert (a.loadings.sum() >= 0).all()
    assert (np.diff(a.eigenvalues.to_numpy()) <= 1e-12).all()
    assert_allclose(b.communality.loc[a.communality.index], a.communality, atol=1e-10)
    assert_allclose(np.sort(b.eigenvalues), np.sort(a.eigenvalues), atol=1e-10)


# ----------------------------------------------------------------------------- Heywood
def test_heywood_case_warns():
    # one factor with r12 = r13 = .8 and r23 = .5 needs a loading^2 = .8 * .8 / .5 > 1
    # (and the matrix is positive definite: det = 0.11)
    r = _corr_frame(np.array([[1, 0.8, 0.8], [0.8, 1, 0.5], [0.8, 0.5, 1]]), ["a", "b", "c"])
    for method in ("ipf", "minres", "ml"):
        with pytest.warns(HeywoodCaseWarning, match="a"):
            factor_analysis(r, n_factors=1, method=method)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        factor_analysis(r, n_factors=1, method="pf")  # one step: no iteration, no warning


# ----------------------------------------------------------------------------- input
def test_items_subset_and_order():
    data = pd.DataFrame(_simulate_scores(L_TRUE, 300, seed=1), columns=NAMES)
    res = factor_analysis(data, n_factors=2, items=["x9", "x1", "x5", "x2", "x7", "x3"])
    assert list(res.loadings.index) == ["x9", "x1", "x5", "x2", "x7", "x3"]
    assert list(res.correlation.columns) == list(res.loadings.index)


def test_listwise_pairwise_and_raise():
    scores = _simulate_scores(L_TRUE, 400, seed=2).astype(float)
    scores[[3, 10, 50], [0, 4, 8]] = np.nan
    data = pd.DataFrame(scores, columns=NAMES)
    listwise = factor_analysis(data, n_factors=3)
    assert listwise.n_obs == 397
    complete = data.dropna()
    expected = np.corrcoef(complete.to_numpy(), rowvar=False)
    assert_allclose(listwise.correlation, expected, atol=1e-12)
    pairwise = factor_analysis(data, n_factors=3, nan_policy="pairwise")
    assert_allclose(pairwise.correlation, data.corr(), atol=1e-12)
    assert pairwise.n_obs == 398  # smallest pairwise count (two items each missing one row)
    with pytest.raises(InvalidDataError) as info:
        factor_analysis(data, n_factors=3, nan_policy="raise")
    assert info.value.problems[0].row == 5 and info.value.problems[0].column == "x1"


def test_bad_input_errors():
    data = pd.DataFrame(_simulate_scores(L_TRUE, 100, seed=2), columns=NAMES)
    with pytest.raises(ValueError, match="method must be one of"):
        factor_analysis(data, method="paf")
    with pytest.raises(ValueError, match="rotation must be one of"):
        factor_analysis(data, rotation="quartimax")
    with pytest.raises(ValueError, match="nan_policy"):
        factor_analysis(data, nan_policy="drop")
    with pytest.raises(ValueError, match="n_factors"):
        factor_analysis(data, n_factors=10)
    with pytest.raises(ValueError, match="too many"):
        factor_analysis(data, n_factors=6, method="ml")
    bad = data.astype(object)
    bad.iloc[4, 2] = "seven"
    with pytest.raises(InvalidDataError) as info:
        factor_analysis(bad)
    assert (info.value.problems[0].row, info.value.problems[0].column) == (6, "x3")
    const = data.copy()
    const["x4"] = 3
    with pytest.raises(InvalidDataError, match="x4"):
        factor_analysis(const)
    with pytest.raises(InvalidDataError, match="x99"):
        factor_analysis(data, items=["x1", "x99"])
    r = R_TRUE.copy()
    r.iloc[2, 2] = 0.9
    with pytest.raises(InvalidDataError, match="diagonal"):
        factor_analysis(r)
    with pytest.raises(ValueError, match="n_obs"):
        bartlett_sphericity(R_TRUE)
    not_pd = _corr_frame(np.array([[1, 0.9, 0.9], [0.9, 1, 0.5], [0.9, 0.5, 1]]))
    with pytest.raises(ValueError, match="positive definite"):
        factor_analysis(not_pd, n_factors=1, method="ml")


def test_works_for_three_rater_five_point_instrument():
    inst = load_instrument(Path(__file__).parent / "data" / "instrument_three_raters.yaml")
    items = list(inst.item_ids())
    assert len(items) == 12
    loadings = np.zeros((12, 3))
    for j, respondent in enumerate(inst.respondent_ids):
        for item in inst.item_ids(respondent):
            loadings[items.index(item), j] = 0.7
    lo, hi = inst.scale.min, inst.scale.max
    data = pd.DataFrame(_simulate_scores(loadings, 600, seed=9, lo=lo, hi=hi), columns=items)
    assert data.min().min() == lo and data.max().max() == hi
    res = factor_analysis(data, n_factors=3, rotation="varimax")
    top = res.loadings.abs().idxmax(axis=1)
    for respondent in inst.respondent_ids:
        assert top.loc[list(inst.item_ids(respondent))].nunique() == 1  # one factor per rater


# ----------------------------------------------------------------------------- diagnostics
def test_kmo_and_bartlett_match_factor_analyzer_on_data():
    data = pd.DataFrame(_simulate_scores(L_TRUE, 250, seed=6), columns=NAMES).astype(float)
    per_item, overall = calculate_kmo(data.to_numpy())
    res = kmo(data)
    assert res.overall == pytest.approx(overall, abs=1e-12)
    assert_allclose(res.per_item.to_numpy(), per_item, atol=1e-12)
    stat, p_value = calculate_bartlett_sphericity(data.to_numpy())
    bt = bartlett_sphericity(data)
    assert bt.chi2 == pytest.approx(stat, rel=1e-10)
    assert bt.df == 36 and bt.n_obs == 250
    # slogdet here, det there: relative differences ~1e-12 in chi2, amplified in a p of 1e-100
    assert bt.p_value == pytest.approx(p_value, rel=1e-8, abs=1e-300)


def test_parallel_analysis_is_seeded_and_finds_three_factors():
    data = pd.DataFrame(_simulate_scores(L_TRUE, 500, seed=7), columns=NAMES)
    a = parallel_analysis(data, n_iter=50, seed=42)
    b = parallel_analysis(data, n_iter=50, seed=42)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.n_retained == 3
    c = parallel_analysis(data, n_iter=50, seed=43)
    assert not np.array_equal(a.table["random_mean"], c.table["random_mean"])
    q = parallel_analysis(data, n_iter=50, seed=42, quantile=0.95, kind="pc")
    assert (q.table["threshold"] == q.table["random_quantile"]).all()
    assert q.n_retained == 3
    res = factor_analysis(data, retain="parallel", seed=42)
    assert res.n_factors == 3


def test_parallel_analysis_on_noise_keeps_nothing():
    rng = np.random.default_rng(0)
    noise = pd.DataFrame(rng.standard_normal((400, 8)), columns=[f"n{i}" for i in range(8)])
    res = parallel_analysis(noise, n_iter=100, seed=1, quantile=0.95)
    assert res.n_retained == 0


def test_parallel_random_eigenvalues_match_plain_loop():
    # the batched computation equals a plain per-data-set loop drawing from the same stream
    data = pd.DataFrame(_simulate_scores(L_TRUE, 120, seed=7), columns=NAMES)
    res = parallel_analysis(data, n_iter=5, seed=99, kind="fa")
    rng = np.random.default_rng(99)
    x = rng.standard_normal((5, 120, 9))
    eig = []
    for xi in x:
        r = np.corrcoef(xi, rowvar=False)
        np.fill_diagonal(r, 1 - 1 / np.diag(np.linalg.inv(r)))
        eig.append(np.linalg.eigvalsh(r)[::-1])
    assert_allclose(res.table["random_mean"], np.mean(eig, axis=0), atol=1e-12)


def test_scree_data():
    data = pd.DataFrame(_simulate_scores(L_TRUE, 200, seed=7), columns=NAMES)
    s = scree_data(data, n_iter=10, seed=1)
    assert list(s.columns) == [
        "factor", "eigenvalue", "reduced_eigenvalue", "random_pc", "random_fa",
    ]
    r = np.corrcoef(data.to_numpy(dtype=float), rowvar=False)
    assert_allclose(s["eigenvalue"], np.linalg.eigvalsh(r)[::-1], atol=1e-12)
    assert s["eigenvalue"].sum() == pytest.approx(9.0)


def test_tucker_congruence_matches_permuted_and_flipped_columns():
    a = pd.DataFrame(L_TRUE, index=NAMES, columns=["F1", "F2", "F3"])
    b = a[["F3", "F1", "F2"]].copy()
    b["F1"] *= -1
    b = b.iloc[::-1]  # rows in another order: matched by item
    out = tucker_congruence(a, b)
    assert out["factor_b"].tolist() == ["F1", "F2", "F3"]
    assert out["sign"].tolist() == [-1, 1, 1]
    assert_allclose(out["congruence"], 1.0, atol=1e-12)
    by_position = tucker_congruence(a, b, match=False)
    assert by_position["factor_b"].tolist() == ["F3", "F1", "F2"]
    assert (by_position["congruence"] < 0.99).all()
    # hand formula for one pair
    x, y = L_TRUE[:, 0], L_TRUE[:, 1]
    phi = tucker_congruence(L_TRUE[:, :2], L_TRUE[:, 1:2], match=False)["congruence"].iloc[0]
    assert phi == pytest.approx(abs(x @ y) / np.sqrt((x @ x) * (y @ y)), abs=1e-14)
    with pytest.raises(InvalidDataError):
        tucker_congruence(a, b.rename(index={"x1": "y1"}))
