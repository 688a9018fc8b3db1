"""Rotations of a loading matrix, with Stata's defaults.

``rotate_loadings(L, method)`` returns the rotated loadings ``L @ T``, the matrix ``T`` and, for
oblique rotations, the factor correlation matrix ``Phi = inv(T' T)``. The criteria themselves come
from factor-analyzer's :class:`~factor_analyzer.Rotator` (a port of GPArotation and
``stats::varimax``), called with Stata's options and tight tolerances; ``promax_kaiser`` (R's
``stats::promax``) is written out here because factor-analyzer normalises promax differently.

Conventions (applied by :func:`normalise_columns`): each factor is flipped so its loadings sum
to >= 0, and factors are ordered by explained variance (sum of squared loadings, descending).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
from factor_analyzer import Rotator

from fip._options import check_option

__all__ = [
    "ROTATIONS",
    "OBLIQUE",
    "Rotation",
    "RotationOutcome",
    "normalise_columns",
    "rotate_loadings",
    "varimax_criterion",
]

Rotation = Literal["varimax", "varimax_kaiser", "promax", "promax_kaiser", "oblimin"]
ROTATIONS: tuple[str, ...] = ("varimax", "varimax_kaiser", "promax", "promax_kaiser", "oblimin")
OBLIQUE: frozenset[str] = frozenset({"promax", "promax_kaiser", "oblimin"})


@dataclass(frozen=True)
class RotationOutcome:
    """Rotated loadings ``loadings = L @ matrix``; ``phi`` is ``None`` for orthogonal rotations."""

    loadings: np.ndarray
    matrix: np.ndarray
    phi: np.ndarray | None


def varimax_criterion(loadings: np.ndarray) -> float:
    """Raw (unnormalised) varimax criterion: sum over factors of the variance of squared loadings.

    Examples
    --------
    >>> import numpy as np
    >>> round(varimax_criterion(np.array([[1.0, 0.0], [0.0, 1.0]])), 3)
    0.5
    """
    sq = np.asarray(loadings, dtype=float) ** 2
    return float(np.sum(np.mean(sq**2, axis=0) - np.mean(sq, axis=0) ** 2))


# Varimax: stop when the criterion no longer increases (tol 0); the SVD algorithm converges
# linearly and stats::varimax's default eps = 1e-5 leaves errors of ~1e-6 in the loadings.
_VARIMAX_TOL = 0.0
_VARIMAX_ITER = 10_000
# Gradient projection (GPArotation): projected-gradient norm 1e-8 is reached in a few hundred
# iterations; 1e-9 is below its numerical floor for typical loadings.
_GP_TOL = 1e-8
_GP_ITER = 5_000


def _kaiser_weights(loadings: np.ndarray) -> np.ndarray:
    """Row norms for Kaiser normalisation (1 for an all-zero row, which rotation leaves at 0)."""
    h = np.sqrt((loadings**2).sum(axis=1))
    return np.where(h > 0, h, 1.0)


def _varimax(loadings: np.ndarray, normalize: bool):
    """Varimax by factor-analyzer's SVD algorithm (= stats::varimax); Kaiser rows done here."""
    h = _kaiser_weights(loadings) if normalize else np.ones(loadings.shape[0])
    rot = Rotator(method="varimax", normalize=False, tol=_VARIMAX_TOL, max_iter=_VARIMAX_ITER)
    out, matrix = rot._varimax(loadings / h[:, None])  # fit_transform drops the matrix
    return out * h[:, None], matrix


def _promax_stats(loadings: np.ndarray, power: float):
    """R's ``stats::promax``: Kaiser-normalised varimax, then the power target on raw loadings."""
    x, t_var = _varimax(loadings, True)
    target = x * np.abs(x) ** (power - 1)
    u = np.linalg.lstsq(x, target, rcond=None)[0]
    d = np.diag(np.linalg.inv(u.T @ u))
    u = u * np.sqrt(d)
    return x @ u, t_var @ u


def _check_oblique_convergence(rot: Rotator, pattern: np.ndarray, t: np.ndarray) -> None:
    """Warn if the projected gradient at the end of GPFoblq is not small (hit max_iter)."""
    grad = rot._oblimin_obj(pattern)["grad"]
    g = -(pattern.T @ grad @ np.linalg.inv(t)).T
    projected = g - t @ np.diag(np.ones(t.shape[0]) @ (t * g))
    norm = float(np.sqrt(np.sum(projected**2)))
    if norm > 100 * _GP_TOL:
        warnings.warn(
            f"oblimin rotation did not converge (projected gradient {norm:.1e})",
            RuntimeWarning,
            stacklevel=3,
        )


def rotate_loadings(
    loadings: np.ndarray,
    method: Rotation = "varimax",
    *,
    power: float = 3,
    gamma: float = 0.0,
) -> RotationOutcome:
    """Rotate ``loadings`` (items x factors) by ``method``.

    Parameters
    ----------
    loadings : ndarray, shape (p, k)
        Unrotated loadings.
    method : {"varimax", "varimax_kaiser", "promax", "promax_kaiser", "oblimin"}
        ``varimax``: Stata's ``rotate`` default, orthogonal, unnormalised ("Kaiser off"),
        equal to GPArotation ``Varimax(normalize=FALSE)`` and ``stats::varimax(normalize=FALSE)``.
        ``varimax_kaiser``: Kaiser-normalised (``stats::varimax`` and psych default).
        ``promax``: Stata ``rotate, promax`` (power 3, Kaiser off): unnormalised varimax, then
        the power target (R's ``stats::promax`` formula). factor-analyzer's default power is 4.
        ``promax_kaiser``: R's ``stats::promax(m = power)`` (normalised varimax step).
        ``oblimin``: direct oblimin with ``gamma`` (0 = quartimin; Stata's ``oblimin(0)``),
        unnormalised, GPArotation's gradient-projection algorithm.
    power : float
        Promax power (Stata default 3).
    gamma : float
        Oblimin gamma.

    Notes
    -----
    Tolerances are tighter than the libraries' defaults (1e-5): varimax (the SVD algorithm of
    ``stats::varimax``) iterates until the criterion stops increasing in double precision;
    oblimin (gradient projection) stops when the projected gradient norm is below 1e-8, as far
    as that algorithm gets. Measured agreement with GPArotation / ``stats`` run at tight
    tolerances: varimax < 1e-7, promax < 1e-8, oblimin < 1e-8 (tests/test_factors_reference.py).

    Returns
    -------
    RotationOutcome
        ``loadings = L @ matrix`` (pattern loadings for oblique rotations) and ``phi``.

    Examples
    --------
    >>> import numpy as np
    >>> L = np.array([[0.7, 0.3], [0.6, 0.4], [0.3, -0.6], [0.4, -0.5]])
    >>> out = rotate_loadings(L, "varimax")
    >>> bool(np.allclose(out.matrix.T @ out.matrix, np.eye(2)))
    True
    """
    check_option("rotation", method, ROTATIONS)
    x = np.asarray(loadings, dtype=float)
    if x.ndim != 2 or not np.all(np.isfinite(x)):
        raise ValueError("loadings must be a finite 2-d array (items x factors)")
    k = x.shape[1]
    if k >= 2 and np.linalg.svd(x, compute_uv=False)[-1] < 1e-8:
        raise ValueError(
            "cannot rotate: the loading matrix has a factor without loadings (rank "
            f"< {k}); retain fewer factors"
        )
    if k < 2:
        return RotationOutcome(x.copy(), np.eye(k), np.eye(k) if method in OBLIQUE else None)
    if method in ("varimax", "varimax_kaiser"):
        out, matrix = _varimax(x, method == "varimax_kaiser")
        return RotationOutcome(out, matrix, None)
    if method == "promax":
        rot = Rotator(
            method="promax", normalize=False, power=power, tol=_VARIMAX_TOL, max_iter=_VARIMAX_ITER
        )
        out = rot.fit_transform(x)
        matrix = rot.rotation_
    elif method == "promax_kaiser":
        out, matrix = _promax_stats(x, power)
    else:
        rot = Rotator(method="oblimin", gamma=gamma, tol=_GP_TOL, max_iter=_GP_ITER)
        out = rot.fit_transform(x)
        _check_oblique_convergence(rot, out, rot.rotation_)
        matrix = np.linalg.inv(rot.rotation_.T)  # pattern = L inv(T')
    phi = np.linalg.inv(matrix.T @ matrix)
    return RotationOutcome(out, matrix, phi)


def normalise_columns(
    loadings: np.ndarray, matrix: np.ndarray | None = None, phi: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Order factors by sum of squared loadings (descending) and flip each to a sum >= 0.

    The same permutation and signs are applied to the columns of ``matrix`` and to ``phi``.
    """
    ss = np.sum(loadings**2, axis=0)
    order = np.argsort(-ss, kind="stable")
    signs = np.where(loadings[:, order].sum(axis=0) < 0, -1.0, 1.0)
    out = loadings[:, order] * signs
    new_matrix = None if matrix is None else matrix[:, order] * signs
    new_phi = None if phi is None else phi[np.ix_(order, order)] * np.outer(signs, signs)
    return out, new_matrix, new_phi
