"""Proportional-odds (cumulative logit) regression by maximum likelihood, as R ``MASS::polr``.

``P(Y ≤ k | x) = logistic(ζ_k − x′β)``; thresholds ζ_1 < ... < ζ_{K−1}.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import expit

__all__ = ["OrdinalFit", "fit_polr"]


@dataclass(frozen=True)
class OrdinalFit:
    """A fitted proportional-odds model: ``coef`` (β, named), ``zeta`` (thresholds), ``loglik``, ``n_obs``."""

    coef: pd.Series
    zeta: np.ndarray
    loglik: float
    n_obs: int
    converged: bool

    def tidy(self) -> pd.DataFrame:
        """``term, estimate`` (β first, then thresholds ``zeta1..``)."""
        terms = list(self.coef.index) + [f"zeta{k}" for k in range(1, self.zeta.size + 1)]
        return pd.DataFrame({"term": terms, "estimate": np.concatenate([self.coef.to_numpy(), self.zeta])})


def _negll(p: np.ndarray, X: np.ndarray, y: np.ndarray, K: int) -> tuple[float, np.ndarray]:
    m = X.shape[1]
    beta, zeta = p[:m], p[m:]
    if K > 2 and not np.all(np.diff(zeta) > 0):
        return 1e300, np.zeros_like(p)
    xb = X @ beta
    eta = np.column_stack([np.full(y.size, -np.inf), zeta[None, :] - xb[:, None], np.full(y.size, np.inf)])
    F = expit(eta)
    f = F * (1 - F)
    rows = np.arange(y.size)
    up, lo = F[rows, y + 1], F[rows, y]
    prob = np.clip(up - lo, 1e-300, None)
    fu, fl = f[rows, y + 1], f[rows, y]
    g_beta = -X.T @ ((fu - fl) / prob)
    g_zeta = np.zeros(K - 1)
    # y = k uses zeta_k (index k, upper) and zeta_{k-1} (lower)
    np.add.at(g_zeta, y[y < K - 1], (fu / prob)[y < K - 1])
    np.add.at(g_zeta, y[y > 0] - 1, -(fl / prob)[y > 0])
    return -float(np.sum(np.log(prob))), -np.concatenate([g_beta, g_zeta])


def fit_polr(y: np.ndarray, X: pd.DataFrame) -> OrdinalFit:
    """Fit ``y ~ X`` (no intercept column: the thresholds are the intercepts) by ML (BFGS, analytic gradient).

    ``y`` holds ordered codes; its distinct values are the categories.

    Examples
    --------
    >>> import pandas as pd
    >>> fit = fit_polr(np.array([0, 1, 1, 2, 0, 2, 1, 2]), pd.DataFrame({"x": [0., 1, 0, 2, 1, 2, 1, 1]}))
    >>> fit.n_obs
    8
    """
    cats, codes = np.unique(np.asarray(y), return_inverse=True)
    K = cats.size
    if K < 2:
        raise ValueError("the outcome needs at least two categories")
    Xa = X.to_numpy(dtype=float)
    props = np.clip(np.cumsum(np.bincount(codes, minlength=K))[:-1] / codes.size, 1e-4, 1 - 1e-4)
    start = np.concatenate([np.zeros(Xa.shape[1]), np.log(props / (1 - props))])
    res = optimize.minimize(_negll, start, args=(Xa, codes, K), jac=True, method="BFGS",
                            options={"gtol": 1e-9, "maxiter": 2000})
    grad = _negll(res.x, Xa, codes, K)[1]
    m = Xa.shape[1]
    return OrdinalFit(coef=pd.Series(res.x[:m], index=list(X.columns)), zeta=res.x[m:], loglik=-float(res.fun),
                      n_obs=int(codes.size), converged=bool(np.max(np.abs(grad)) < 1e-4))
