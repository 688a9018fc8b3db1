"""Factor extraction from a correlation matrix: pf, ipf, minres, ml, pcf, pca.

All functions take a numpy correlation matrix and a number of factors and return an
:class:`Extraction` with loadings in eigen order (no sign or order convention applied yet;
:mod:`fip.factors.result` applies it).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.optimize import minimize

from fip.errors import HeywoodCaseWarning

__all__ = [
    "Extraction",
    "HeywoodCaseWarning",
    "Method",
    "METHODS",
    "extract",
    "reduced_eigenvalues",
    "smc",
]

Method = Literal["pf", "ipf", "minres", "ml", "pcf", "pca"]
METHODS: tuple[str, ...] = ("pf", "ipf", "minres", "ml", "pcf", "pca")

# Lower bound on uniquenesses in the minres/ml optimisers (psych::fa and stats::factanal).
PSI_LOWER = 0.005


@dataclass(frozen=True)
class Extraction:
    """Unrotated solution.

    Attributes
    ----------
    loadings : ndarray, shape (p, k)
    eigenvalues : ndarray, shape (p,)
        All eigenvalues, descending, of the matrix the method decomposes (pf: R with SMCs on the
        diagonal; ipf/minres/ml: R with the final communalities on the diagonal; pcf/pca: R).
    total : float
        Denominator of the Proportion column: the sum of ``eigenvalues`` (trace of the
        decomposed matrix) for pf/ipf/pcf/pca, the sum of squared loadings for minres/ml.
    list_all : bool
        ``True`` when the variance table lists all eigenvalues (Stata does for pf/ipf/pcf/pca),
        ``False`` for the retained factors only.
    converged : bool
    iterations : int
    discrepancy : float or None
        ML only: the minimised discrepancy ``F`` (``stats::factanal``'s objective).
    """

    loadings: np.ndarray
    eigenvalues: np.ndarray
    total: float
    list_all: bool
    converged: bool = True
    iterations: int = 1
    discrepancy: float | None = None


def smc(corr: np.ndarray) -> np.ndarray:
    """Squared multiple correlations ``1 - 1/diag(R^-1)``.

    Raises ``numpy.linalg.LinAlgError`` when ``corr`` is singular.

    Examples
    --------
    >>> import numpy as np
    >>> smc(np.array([[1.0, 0.5], [0.5, 1.0]])).round(4).tolist()
    [0.25, 0.25]
    """
    inv = np.linalg.inv(corr)
    return 1.0 - 1.0 / np.diag(inv)


def _eigh_desc(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    values, vectors = np.linalg.eigh(matrix)
    return values[::-1], vectors[:, ::-1]


def _principal(values: np.ndarray, vectors: np.ndarray, k: int) -> np.ndarray:
    return vectors[:, :k] * np.sqrt(np.maximum(values[:k], 0.0))


def reduced_eigenvalues(corr: np.ndarray) -> np.ndarray:
    """All eigenvalues (descending) of ``corr`` with SMCs on the diagonal (Stata pf)."""
    reduced = corr.copy()
    np.fill_diagonal(reduced, smc(corr))
    return _eigh_desc(reduced)[0]


def _warn_heywood(communality: np.ndarray, names: list[str], method: str, limit: float) -> None:
    bad = np.flatnonzero(communality >= limit)
    if bad.size:
        which = ", ".join(f"{names[i]} ({communality[i]:.4f})" for i in bad)
        warnings.warn(
            f"Heywood case in {method}: communality >= {limit:g} for {which}; the solution is "
            "improper. Try fewer factors or method='pf'.",
            HeywoodCaseWarning,
            stacklevel=4,
        )


def _pf(corr: np.ndarray, k: int) -> Extraction:
    reduced = corr.copy()
    np.fill_diagonal(reduced, smc(corr))
    values, vectors = _eigh_desc(reduced)
    return Extraction(_principal(values, vectors, k), values, float(values.sum()), True)


def _ipf(corr: np.ndarray, k: int, names: list[str], tol: float, max_iter: int) -> Extraction:
    h = smc(corr)
    reduced = corr.copy()
    converged = False
    it = 0
    for it in range(1, max_iter + 1):
        np.fill_diagonal(reduced, h)
        values, vectors = _eigh_desc(reduced)
        loadings = _principal(values, vectors, k)
        h_new = (loadings**2).sum(axis=1)
        change = np.max(np.abs(h_new - h))
        h = h_new
        if change < tol:
            converged = True
            break
        if np.any(h >= 1.0):
            break  # Heywood: Stata stops iterating too
    np.fill_diagonal(reduced, h)
    values, vectors = _eigh_desc(reduced)
    loadings = _principal(values, vectors, k)
    if not converged and not np.any(h >= 1.0):
        warnings.warn(
            f"ipf did not converge in {max_iter} iterations (max change {change:.2e})",
            RuntimeWarning,
            stacklevel=4,
        )
    _warn_heywood((loadings**2).sum(axis=1), names, "ipf", 1.0)
    return Extraction(loadings, values, float(values.sum()), True, converged, it)


def _uls_objective(psi: np.ndarray, corr: np.ndarray, k: int) -> tuple[float, np.ndarray]:
    """Half the sum of squared non-retained eigenvalues of R - diag(psi), and its gradient.

    At the minimum this is MINRES/ULS (Joreskog 1977); the gradient is diag(LL' + Psi - R)
    as in psych's ``FAgr.minres``.
    """
    values, vectors = _eigh_desc(corr - np.diag(psi))
    rest = values[k:]
    f = 0.5 * float(np.sum(rest**2))
    loadings = _principal(values, vectors, k)
    grad = (loadings**2).sum(axis=1) + psi - 1.0
    return f, grad


def _ml_objective(psi: np.ndarray, corr: np.ndarray, k: int) -> tuple[float, np.ndarray]:
    """stats::factanal's ML discrepancy of psi and its gradient."""
    sc = 1.0 / np.sqrt(psi)
    sstar = corr * np.outer(sc, sc)
    values, vectors = _eigh_desc(sstar)
    rest = values[k:]
    f = -float(np.sum(np.log(rest) - rest) - k + corr.shape[0])
    loadings = _ml_loadings_from(values, vectors, psi, k)
    grad = ((loadings**2).sum(axis=1) + psi - 1.0) / psi**2
    return f, grad


def _ml_loadings_from(values: np.ndarray, vectors: np.ndarray, psi: np.ndarray, k: int):
    load = vectors[:, :k] * np.sqrt(np.maximum(values[:k] - 1.0, 0.0))
    return np.sqrt(psi)[:, None] * load


def _optimise_psi(objective, corr: np.ndarray, k: int, tol: float, max_iter: int):
    start = np.clip(1.0 - smc(corr), PSI_LOWER, 1.0)
    scale = 100.0  # psych/factanal use parscale = 0.01: optimise psi * 100
    res = minimize(
        lambda u: _scaled(objective, u, scale, corr, k),
        start * scale,
        jac=True,
        method="L-BFGS-B",
        bounds=[(PSI_LOWER * scale, scale)] * corr.shape[0],
        options={"maxiter": max_iter, "ftol": 0.0, "gtol": tol, "maxcor": 20},
    )
    psi = res.x / scale
    grad = objective(psi, corr, k)[1]
    free = (psi > PSI_LOWER + 1e-12) & (psi < 1.0 - 1e-12)
    converged = bool(np.all(np.abs(grad[free]) < 1e-6))
    return psi, converged, int(res.nit)


def _scaled(objective, u, scale, corr, k):
    f, g = objective(u / scale, corr, k)
    return f, g / scale


def _minres(corr: np.ndarray, k: int, names: list[str], tol: float, max_iter: int) -> Extraction:
    psi, converged, nit = _optimise_psi(_uls_objective, corr, k, tol, max_iter)
    values, vectors = _eigh_desc(corr - np.diag(psi))
    loadings = _principal(values, vectors, k)
    _finish_optimiser("minres", converged, psi, names)
    return Extraction(loadings, values, float((loadings**2).sum()), False, converged, nit)


def _ml(corr: np.ndarray, k: int, names: list[str], tol: float, max_iter: int) -> Extraction:
    p = corr.shape[0]
    dof = ((p - k) ** 2 - (p + k)) / 2
    if dof < 0:
        raise ValueError(
            f"n_factors={k} is too many for maximum likelihood with {p} items "
            f"(degrees of freedom {dof:g} < 0); choose fewer factors"
        )
    if np.linalg.eigvalsh(corr)[0] <= 1e-12:
        raise ValueError(
            "maximum likelihood needs a positive definite correlation matrix (pairwise "
            "deletion or a hand-made matrix can break this); use nan_policy='listwise' or pf"
        )
    psi, converged, nit = _optimise_psi(_ml_objective, corr, k, tol, max_iter)
    sc = 1.0 / np.sqrt(psi)
    values, vectors = _eigh_desc(corr * np.outer(sc, sc))
    loadings = _ml_loadings_from(values, vectors, psi, k)
    _finish_optimiser("ml", converged, psi, names)
    eig = _eigh_desc(corr - np.diag(psi))[0]
    f = _ml_objective(psi, corr, k)[0]
    return Extraction(loadings, eig, float((loadings**2).sum()), False, converged, nit, f)


def _finish_optimiser(method: str, converged: bool, psi: np.ndarray, names: list[str]) -> None:
    if not converged:
        warnings.warn(f"{method} did not converge", RuntimeWarning, stacklevel=4)
    _warn_heywood(1.0 - psi, names, method, 1.0 - PSI_LOWER - 1e-9)


def _pcf(corr: np.ndarray, k: int) -> Extraction:
    values, vectors = _eigh_desc(corr)
    return Extraction(_principal(values, vectors, k), values, float(values.sum()), True)


def extract(
    corr: np.ndarray,
    k: int,
    method: Method,
    names: list[str],
    *,
    tol: float = 1e-10,
    max_iter: int = 10_000,
) -> Extraction:
    """Unrotated ``k``-factor solution of ``corr`` by ``method`` (see :data:`METHODS`).

    Examples
    --------
    >>> import numpy as np
    >>> r = np.array([[1, .6, .5], [.6, 1, .4], [.5, .4, 1]])
    >>> extract(r, 1, "pf", ["a", "b", "c"]).loadings.shape
    (3, 1)
    """
    if method == "pf":
        return _pf(corr, k)
    if method == "ipf":
        return _ipf(corr, k, names, tol, max_iter)
    if method == "minres":
        return _minres(corr, k, names, tol, max_iter)
    if method == "ml":
        return _ml(corr, k, names, tol, max_iter)
    # pcf and pca decompose R itself
    return _pcf(corr, k)
