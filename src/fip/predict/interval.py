"""The per-person interval of a job-chance probability (Laplace approximation).

The probability model is an L2-penalised logistic regression on standardised features. Read
as a Bayesian model (a normal prior with variance C on each standardised coefficient, a flat
prior on the intercept), its posterior is approximately normal around the estimate with the
inverse Hessian of the penalised log-likelihood as covariance. A person's log-odds then have
the standard deviation ``sqrt(a' V a)``, ``a = (1, z)``, and the interval is the point
log-odds +/- 1.96 of those, mapped to probabilities: it contains the point estimate by
construction. Only numbers from the model file are needed (no scikit-learn object).

Examples
--------
>>> import numpy as np
>>> p, lo, hi = probability_interval(np.zeros((1, 1)), 0.0, np.zeros(1), np.eye(2) * 0.25)
>>> [round(float(v), 3) for v in (lo[0], p[0], hi[0])]
[0.273, 0.5, 0.727]
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, ndtri

__all__ = ["INTERVAL_LEVEL", "INTERVAL_METHOD", "posterior_covariance", "probability_interval"]

#: Level of the per-person probability interval.
INTERVAL_LEVEL = 0.95
#: How the per-person interval is made, in words (written into the model file).
INTERVAL_METHOD = (
    "Laplace approximation to the posterior of the L2-penalised logistic regression (the penalty "
    "read as a normal prior on the standardised coefficients, variance C; intercept flat): "
    "logit p +/- 1.96 sd, sd from the inverse Hessian of the penalised log-likelihood at the "
    "estimate, mapped to a probability. Symmetric on the log-odds scale, so it always contains "
    "the point estimate. It covers uncertainty in the coefficients, not the caseworker's effect."
)


def posterior_covariance(Z: np.ndarray, p: np.ndarray, C: float) -> np.ndarray:
    """Covariance of (intercept, coefficients) of an L2-penalised logistic fit (Laplace).

    scikit-learn's ``LogisticRegression`` minimises ``sum(log loss) + ||w||^2 / (2C)`` with
    the intercept unpenalised, so the Hessian at the estimate is ``A' W A + diag(0, 1/C, ...)``
    with ``A = [1, Z]`` and ``W = diag(p (1 - p))``; its inverse is the covariance.

    Parameters
    ----------
    Z : ndarray, shape (n, k)
        The standardised features the model was fitted on.
    p : ndarray, shape (n,)
        The fitted probabilities.
    C : float
        The inverse penalty of the fit.

    Returns
    -------
    ndarray, shape (k + 1, k + 1)
        Row and column 0 are the intercept.

    Examples
    --------
    >>> import numpy as np
    >>> cov = posterior_covariance(np.zeros((4, 1)), np.full(4, 0.5), C=1.0)
    >>> np.round(cov, 3).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    A = np.column_stack([np.ones(len(Z)), Z])
    w = p * (1.0 - p)
    H = (A * w[:, None]).T @ A
    H[np.diag_indices_from(H)] += np.r_[0.0, np.full(Z.shape[1], 1.0 / C)]
    cov = np.linalg.inv(H)
    return (cov + cov.T) / 2.0


def probability_interval(Z: np.ndarray, intercept: float, coefficients: np.ndarray, covariance: np.ndarray,
                         level: float = INTERVAL_LEVEL) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Point probability and its interval per row of standardised features (see :data:`INTERVAL_METHOD`).

    Returns
    -------
    (p, low, high) : three arrays of shape (n,); ``low <= p <= high`` always.

    Examples
    --------
    >>> import numpy as np
    >>> p, lo, hi = probability_interval(np.zeros((1, 1)), 0.0, np.zeros(1), np.eye(2) * 0.25)
    >>> [round(float(v), 3) for v in (lo[0], p[0], hi[0])]
    [0.273, 0.5, 0.727]
    """
    A = np.column_stack([np.ones(len(Z)), Z])
    eta = intercept + Z @ coefficients
    sd = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", A, covariance, A), 0.0))
    half = float(ndtri(0.5 + level / 2.0)) * sd
    return expit(eta), expit(eta - half), expit(eta + half)
