"""Samejima's graded response model (logistic), fitted by marginal maximum likelihood.

Estimation is Bock–Aitkin EM over a fixed quadrature grid (61 equally spaced points on
[-6, 6], weights proportional to the N(0, 1) density, as mirt's default for one factor);
``method="direct"`` maximises the same marginal log-likelihood directly with scipy's BFGS
(analytic gradient by Fisher's identity), a second algorithm used as a cross-check.
Standard errors come from the observed information: the Hessian of the marginal
log-likelihood, by central differences of its analytic gradient.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import expit
from threadpoolctl import threadpool_limits

__all__ = ["CategoryCollapseWarning", "GRMResult", "fit_grm", "grm_category_probs"]


class CategoryCollapseWarning(UserWarning):
    """An item's scale category is absent in the data; the categories are renumbered without it."""


def grm_category_probs(theta: np.ndarray, a: float, d: np.ndarray) -> np.ndarray:
    """Category probabilities ``P(X = k | θ)``, shape ``(len(theta), len(d) + 1)``.

    ``P(X ≥ k | θ) = 1 / (1 + exp(-(a θ + d_k)))`` for k = 1..K-1 (mirt's slope-intercept form).

    Examples
    --------
    >>> grm_category_probs(np.array([0.0]), 1.0, np.array([0.0])).round(2).tolist()
    [[0.5, 0.5]]
    """
    theta = np.asarray(theta, dtype=float)
    star = expit(a * theta[:, None] + np.asarray(d)[None, :])
    ones = np.ones((theta.size, 1))
    zeros = np.zeros((theta.size, 1))
    cum = np.hstack([ones, star, zeros])
    return np.clip(cum[:, :-1] - cum[:, 1:], 1e-300, None)


def _item_grad(theta: np.ndarray, a: float, d: np.ndarray, r: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Expected complete-data log-likelihood of one item and its gradient (a, d).

    ``r`` has shape (Q, K): expected counts of category k at node q.
    """
    K = d.size + 1
    star = expit(a * theta[:, None] + d[None, :])
    cum = np.hstack([np.ones((theta.size, 1)), star, np.zeros((theta.size, 1))])
    p = np.clip(cum[:, :-1] - cum[:, 1:], 1e-300, None)
    s = cum * (1.0 - cum)  # (Q, K+1): zero at both ends
    ll = float(np.sum(r * np.log(p)))
    w = r / p  # (Q, K)
    dp_da = theta[:, None] * (s[:, :-1] - s[:, 1:])
    ga = float(np.sum(w * dp_da))
    # P_{m-1} = P*_{m-1} - P*_m  -> dP_{m-1}/dd_m = -s_m ;  P_m = P*_m - P*_{m+1} -> +s_m  (m = 1..K-1)
    gd = ((w[:, 1:] - w[:, :-1]) * s[:, 1:K]).sum(axis=0)
    return ll, np.concatenate([[ga], gd]), p


@dataclass(frozen=True)
class GRMResult:
    """A fitted unidimensional graded response model.

    Attributes
    ----------
    items : tuple of str
    categories : tuple of tuple of float
        The observed response values of each item, lowest first (category 0, 1, ...).
    slope, slope_se : ndarray (J,)
        mirt's ``a1`` and its standard error.
    intercepts, intercepts_se : tuple of ndarray
        mirt's ``d1 > d2 > ...`` per item (length K_j - 1).
    loglik, aic, bic : float
    n_obs : int
        Persons with at least one answer.
    n_parameters : int
    iterations : int
    converged : bool
    method : str
        ``"em"`` or ``"direct"``.
    quadrature : tuple of ndarray
        Nodes and weights used.
    """

    items: tuple[str, ...]
    categories: tuple[tuple[float, ...], ...]
    slope: np.ndarray
    slope_se: np.ndarray
    intercepts: tuple[np.ndarray, ...]
    intercepts_se: tuple[np.ndarray, ...]
    loglik: float
    aic: float
    bic: float
    n_obs: int
    n_parameters: int
    iterations: int
    converged: bool
    method: str
    quadrature: tuple[np.ndarray, np.ndarray] = field(repr=False)

    @property
    def difficulties(self) -> tuple[np.ndarray, ...]:
        """Traditional thresholds ``b_k = -d_k / a`` per item."""
        return tuple(-d / a for a, d in zip(self.slope, self.intercepts))

    def tidy(self) -> pd.DataFrame:
        """One row per item and parameter: ``item, parameter, estimate, se`` (a1, d1.., and b1.. with delta-method SE).

        Examples
        --------
        >>> # fit_grm(frame).tidy().query("parameter == 'a1'")
        """
        rows = []
        cov_blocks = self._covariances
        for j, item in enumerate(self.items):
            a = self.slope[j]
            d = self.intercepts[j]
            rows.append((item, "a1", a, self.slope_se[j]))
            for k, (dk, se) in enumerate(zip(d, self.intercepts_se[j]), start=1):
                rows.append((item, f"d{k}", dk, se))
            cov = cov_blocks[j]
            for k, dk in enumerate(d, start=1):
                b = -dk / a
                grad = np.zeros(d.size + 1)
                grad[0] = dk / a ** 2
                grad[k] = -1.0 / a
                var = float(grad @ cov @ grad) if cov is not None else np.nan
                rows.append((item, f"b{k}", b, np.sqrt(var) if var >= 0 else np.nan))
        return pd.DataFrame(rows, columns=["item", "parameter", "estimate", "se"])

    _covariances: tuple = field(default=(), repr=False)

    def fit_table(self) -> pd.DataFrame:
        """``n_obs, n_items, n_parameters, loglik, aic, bic, method, iterations, converged`` (one row)."""
        return pd.DataFrame([{"n_obs": self.n_obs, "n_items": len(self.items), "n_parameters": self.n_parameters,
                              "loglik": self.loglik, "aic": self.aic, "bic": self.bic, "method": self.method,
                              "iterations": self.iterations, "converged": self.converged}])


def quadrature_grid(n_quad: int = 61, bound: float = 6.0) -> tuple[np.ndarray, np.ndarray]:
    """Equally spaced nodes on [-bound, bound] with normalised N(0, 1) density weights."""
    nodes = np.linspace(-bound, bound, n_quad)
    w = np.exp(-0.5 * nodes ** 2)
    return nodes, w / w.sum()


def _recode(frame: pd.DataFrame) -> tuple[np.ndarray, list[tuple[float, ...]]]:
    """Integer codes 0..K-1 per item (-1 missing); absent categories collapse (warning)."""
    codes = np.full(frame.shape, -1, dtype=int)
    cats: list[tuple[float, ...]] = []
    for j, col in enumerate(frame.columns):
        x = pd.to_numeric(frame[col], errors="raise").to_numpy(dtype=float)
        observed = np.unique(x[~np.isnan(x)])
        if observed.size < 2:
            raise ValueError(f"item {col}: needs at least two observed response categories, found {observed.size}")
        if np.all(np.isclose(observed, np.round(observed))):
            full = np.arange(observed.min(), observed.max() + 1)
            absent = [v for v in full if v not in observed]
            if absent:
                warnings.warn(f"item {col}: category {', '.join(f'{v:g}' for v in absent)} absent in the data; "
                              "collapsed (the categories above are renumbered)", CategoryCollapseWarning,
                              stacklevel=3)
        ok = ~np.isnan(x)
        codes[ok, j] = np.searchsorted(observed, x[ok])
        cats.append(tuple(float(v) for v in observed))
    return codes, cats


class _Model:
    """Data, grid and the marginal log-likelihood of a GRM, parameters packed as [a_j, d_j...]."""

    def __init__(self, codes: np.ndarray, n_cats: list[int], nodes: np.ndarray, weights: np.ndarray):
        self.codes = codes
        self.n_cats = n_cats
        self.nodes = nodes
        self.log_w = np.log(weights)
        self.offsets = np.cumsum([0] + [k for k in n_cats])  # K_j parameters per item (1 slope + K-1 d)
        self.onehot = [np.stack([(codes[:, j] == k) for k in range(n_cats[j])], axis=1).astype(float)
                       for j in range(codes.shape[1])]
        # the items' indicators side by side (N, Σ K_j): one matrix product per E-step instead of one per item
        self.stacked = np.hstack(self.onehot)
        self.cols = np.cumsum([0] + list(n_cats))

    def unpack(self, x: np.ndarray) -> list[tuple[float, np.ndarray]]:
        return [(x[self.offsets[j]], x[self.offsets[j] + 1:self.offsets[j + 1]]) for j in range(len(self.n_cats))]

    def posterior(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """Marginal log-likelihood and the posterior weights (N, Q)."""
        logp = np.vstack([np.log(grm_category_probs(self.nodes, a, d)).T for a, d in self.unpack(x)])  # (Σ K, Q)
        logl = self.stacked @ logp
        logl += self.log_w[None, :]
        m = logl.max(axis=1, keepdims=True)
        logl -= m
        np.exp(logl, out=logl)
        tot = logl.sum(axis=1, keepdims=True)
        ll = float(np.sum(np.log(tot)) + np.sum(m))
        logl /= tot
        return ll, logl

    def expected_counts(self, post: np.ndarray) -> list[np.ndarray]:
        r = post.T @ self.stacked  # (Q, Σ K)
        return [r[:, self.cols[j]:self.cols[j + 1]] for j in range(len(self.n_cats))]  # (Q, K) each

    def loglik_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """Marginal log-likelihood and its gradient (Fisher's identity)."""
        ll, post = self.posterior(x)
        grad = np.empty_like(x)
        for j, ((a, d), r) in enumerate(zip(self.unpack(x), self.expected_counts(post))):
            _, g, _ = _item_grad(self.nodes, a, d, r)
            grad[self.offsets[j]:self.offsets[j + 1]] = g
        return ll, grad


def _start_values(codes: np.ndarray, n_cats: list[int]) -> np.ndarray:
    x = []
    for j, K in enumerate(n_cats):
        c = codes[:, j]
        c = c[c >= 0]
        props = np.array([(c >= k).mean() for k in range(1, K)])
        props = np.clip(props, 1e-3, 1 - 1e-3)
        x.extend([1.0, *np.log(props / (1 - props))])
    return np.array(x)


def _item_score(theta: np.ndarray, p: np.ndarray, r: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """One item's expected complete-data log-likelihood, gradient and expected (Fisher) information.

    ``p = [a, d_1..d_{K-1}]``; ``r`` (Q, K) expected counts. ``∂P_k/∂a = θ (s_k − s_{k+1})`` and
    ``∂P_k/∂d_m = s_m (δ_{km} − δ_{k,m−1})`` with ``s_m = P*_m (1 − P*_m)``; the information is
    ``Σ_q N_q Σ_k ∂P_qk ∂P_qkᵀ / P_qk``, ``N_q`` the expected persons at node q.
    """
    a, d = p[0], p[1:]
    K = d.size + 1
    star = expit(a * theta[:, None] + d[None, :])
    cum = np.hstack([np.ones((theta.size, 1)), star, np.zeros((theta.size, 1))])
    prob = np.clip(cum[:, :-1] - cum[:, 1:], 1e-300, None)
    s = cum * (1.0 - cum)
    dP = np.zeros((theta.size, K, K))
    dP[:, :, 0] = theta[:, None] * (s[:, :-1] - s[:, 1:])
    m = np.arange(1, K)
    dP[:, m, m] = s[:, 1:K]
    dP[:, m - 1, m] = -s[:, 1:K]
    ll = float(np.sum(r * np.log(prob)))
    grad = np.einsum("qk,qki->i", r / prob, dP)
    info = np.einsum("qk,qki,qkj->ij", r.sum(axis=1, keepdims=True) / prob, dP, dP)
    return ll, grad, info


def _newton_item(nodes: np.ndarray, p: np.ndarray, r: np.ndarray, steps: int = 50) -> np.ndarray:
    """Maximise one item's expected complete-data log-likelihood by Fisher scoring (step halving, order kept)."""
    def val(q):
        if q.size > 2 and not np.all(np.diff(q[1:]) < 0):
            return -np.inf, None, None
        return _item_score(nodes, q, r)

    f, g, info = val(p)
    for _ in range(steps):
        try:
            step = np.linalg.solve(info, g)
        except np.linalg.LinAlgError:
            step = g * 1e-3
        t = 1.0
        while t > 1e-8:
            f_new, g_new, i_new = val(p + t * step)
            if f_new >= f:
                break
            t /= 2
        else:
            break
        p, f, g, info = p + t * step, f_new, g_new, i_new
        if np.max(np.abs(t * step)) < 1e-10:
            break
    return p


def _m_step(nodes: np.ndarray, a: float, d: np.ndarray, r: np.ndarray) -> np.ndarray:
    return _newton_item(nodes, np.concatenate([[a], d]), r)


def fit_grm(frame: pd.DataFrame, *, method: str = "em", n_quad: int = 61, bound: float = 6.0,
            tol: float = 1e-7, max_iter: int = 5000) -> GRMResult:
    """Fit a unidimensional logistic graded response model by marginal maximum likelihood.

    Parameters
    ----------
    frame : DataFrame
        One column per item, one row per person; NaN for an unanswered item (the item then
        adds nothing to that person's likelihood). Rows with no answer are dropped.
    method : {"em", "direct"}
        Bock–Aitkin EM (default) or direct BFGS maximisation of the marginal log-likelihood.
    n_quad, bound : int, float
        Quadrature: ``n_quad`` equally spaced nodes on [-bound, bound], N(0, 1) weights.
    tol : float
        EM stops when the largest parameter change is below ``tol``.

    Returns
    -------
    GRMResult

    Notes
    -----
    Parameterisation as mirt ``itemtype = "graded"`` (a1, d1 > d2 > ...); the traditional
    ``b_k = -d_k / a`` is reported too. With two categories the model is the 2PL.

    Examples
    --------
    >>> import pandas as pd
    >>> from fip.simulate.irt import simulate_grm  # doctest: +SKIP
    >>> res = fit_grm(pd.DataFrame({"x1": [1, 2, 2, 1, 2], "x2": [1, 1, 2, 1, 2]}))  # doctest: +SKIP
    """
    if method not in ("em", "direct"):
        raise ValueError(f"method must be one of 'em', 'direct'; got {method!r}")
    # the products are small (persons x 61 nodes): one BLAS thread is faster, much more so on a busy machine
    with threadpool_limits(1):
        return _fit_grm(frame, method=method, n_quad=n_quad, bound=bound, tol=tol, max_iter=max_iter)


def _fit_grm(frame: pd.DataFrame, *, method: str, n_quad: int, bound: float, tol: float, max_iter: int) -> GRMResult:
    frame = frame.loc[frame.notna().any(axis=1)]
    codes, cats = _recode(frame)
    n_cats = [len(c) for c in cats]
    nodes, weights = quadrature_grid(n_quad, bound)
    model = _Model(codes, n_cats, nodes, weights)
    x = _start_values(codes, n_cats)
    converged = False
    it = 0
    if method == "em":
        for it in range(1, max_iter + 1):
            _, post = model.posterior(x)
            r_all = model.expected_counts(post)
            new = np.concatenate([_m_step(nodes, a, d, r) for (a, d), r in zip(model.unpack(x), r_all)])
            change = np.max(np.abs(new - x))
            x = new
            if change < tol:
                converged = True
                break
    else:
        def f(p):
            ll, g = model.loglik_grad(p)
            return -ll, -g

        res = optimize.minimize(f, x, jac=True, method="BFGS", options={"gtol": 1e-8, "maxiter": max_iter})
        # BFGS often stops on precision loss at the optimum: judge convergence by the gradient
        x, it = res.x, int(res.nit)
        converged = bool(np.max(np.abs(model.loglik_grad(x)[1])) < 1e-3)
    ll, _ = model.loglik_grad(x)
    hess = _numeric_hessian(model, x)
    try:
        cov = np.linalg.inv(-hess)
        se = np.sqrt(np.clip(np.diag(cov), 0, None))
    except np.linalg.LinAlgError:
        cov = np.full_like(hess, np.nan)
        se = np.full(x.size, np.nan)
    n = codes.shape[0]
    k = x.size
    blocks = [(model.offsets[j], model.offsets[j + 1]) for j in range(len(n_cats))]
    return GRMResult(
        items=tuple(str(c) for c in frame.columns), categories=tuple(cats),
        slope=np.array([x[s] for s, _ in blocks]), slope_se=np.array([se[s] for s, _ in blocks]),
        intercepts=tuple(x[s + 1:e] for s, e in blocks), intercepts_se=tuple(se[s + 1:e] for s, e in blocks),
        loglik=ll, aic=-2 * ll + 2 * k, bic=-2 * ll + np.log(n) * k, n_obs=n, n_parameters=k,
        iterations=it, converged=converged, method=method, quadrature=(nodes, weights),
        _covariances=tuple(cov[s:e, s:e] for s, e in blocks),
    )


def _numeric_hessian(model: _Model, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Hessian of the marginal log-likelihood: central differences of the analytic gradient, symmetrised."""
    k = x.size
    hess = np.empty((k, k))
    for i in range(k):
        e = np.zeros(k)
        e[i] = h
        hess[i] = (model.loglik_grad(x + e)[1] - model.loglik_grad(x - e)[1]) / (2 * h)
    return 0.5 * (hess + hess.T)
