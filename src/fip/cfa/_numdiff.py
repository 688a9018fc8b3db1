"""Central differences and the delta method, shared by the CFA estimators' standardised
solutions (std.all and its SEs, as lavaan's ``standardizedSolution``)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["central_jacobian", "delta_method_se"]


def central_jacobian(func: Callable[[np.ndarray], np.ndarray], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """d func / dx by central differences with step ``h``: shape (len(func(x)), len(x)).

    Examples
    --------
    >>> import numpy as np
    >>> central_jacobian(lambda v: np.array([v[0] * v[1], v[0] ** 2]), np.array([2.0, 3.0])).round(6).tolist()
    [[3.0, 2.0], [4.0, 0.0]]
    """
    cols = []
    for j in range(x.size):
        xp, xm = x.copy(), x.copy()
        xp[j] += h
        xm[j] -= h
        cols.append((np.asarray(func(xp)) - np.asarray(func(xm))) / (2 * h))
    return np.column_stack(cols) if cols else np.zeros((np.asarray(func(x)).size, 0))


def delta_method_se(jac: np.ndarray, vcov: np.ndarray, constant_below: float | None = None) -> np.ndarray:
    """SEs of g(θ̂) from its Jacobian and vcov(θ̂): sqrt(diag(J V J')), NaN where every
    derivative is below ``constant_below`` (a value that does not move: fixed, not estimated)."""
    se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", jac, vcov, jac), 0, None))
    if constant_below is not None:
        se[np.all(np.abs(jac) < constant_below, axis=1)] = np.nan
    return se
