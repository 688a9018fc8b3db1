"""Sample statistics of ordinal items for WLSMV: thresholds, polychorics and their Γ, as lavaan.

lavaan (``lavaan:::muthen1984``, one group, no covariates, listwise) computes, and fip does the same:

1. **thresholds** of each item from its own margin: ``τ_jc = Φ⁻¹(share of answers ≤ c)``, one per cut
   between two observed answer values (an answer nobody gave is no category);
2. **polychoric correlations**, per pair of items the ρ maximising the bivariate multinomial
   likelihood ``Σ n_ab log π_ab(ρ)`` with the thresholds of step 1 held fixed (two-step ML;
   no continuity correction for tables larger than 2 × 2), searched in [-0.999, 0.999];
3. **Γ** (lavaan's ``NACOV``, ``lavInspect(fit, "gamma")``), the asymptotic covariance of
   √N (τ̂, ρ̂) by Muthén's (1984) two-step sandwich from per-person scores: with ``s_τ`` the
   scores of the univariate log-likelihoods in the thresholds, ``s_ρ`` those of the bivariate ones
   in ρ, ``A11`` the block-diagonal (per item) cross-products of ``s_τ``, ``A22`` the diagonal of the
   cross-products of ``s_ρ`` and ``A21 = s_ρ' ∂ℓ_bivariate/∂τ``::

       B⁻¹ = [[A11⁻¹, 0], [−A22⁻¹ A21 A11⁻¹, A22⁻¹]],   Γ = N · B⁻¹ (S'S) B⁻¹'

   with ``S = [s_τ, s_ρ]`` (N × K). The statistics are ordered as lavaan orders them: all
   thresholds item by item, then the correlations of the lower triangle column by column
   (``y1~~y2, y1~~y3, ..., y2~~y3, ...``).

Example
-------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> z = rng.multivariate_normal([0, 0, 0], [[1, .5, .4], [.5, 1, .3], [.4, .3, 1]], size=500)
>>> items = pd.DataFrame(np.digitize(z, [-1, 0, 1]) + 1, columns=["a", "b", "c"])
>>> mom = ordinal_moments(items, ["a", "b", "c"])
>>> mom.gamma.shape  # 3 items × 3 thresholds + 3 correlations
(12, 12)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special

from fip.errors import FipError
from fip.polychoric import bivariate_normal_cdf, bivariate_normal_pdf

__all__ = ["OrdinalMoments", "ordinal_moments"]

_BOUND = 0.999  # lavaan's nlminb bounds for a polychoric correlation


@dataclass(frozen=True)
class OrdinalMoments:
    """Thresholds, polychoric correlations and Γ of ordinal items (one group, listwise).

    Attributes
    ----------
    items : tuple of str
    n : int, persons used (complete on every item)
    levels : tuple of tuples, the observed answer values of each item, in order
    thresholds : tuple of ndarray, each item's thresholds (len(levels) − 1 values)
    correlation : ndarray (p, p), polychoric correlations, unit diagonal
    gamma : ndarray (K, K), Γ (lavaan ``NACOV``) of (thresholds, correlations)
    n_dropped : int, rows left out for a missing answer
    """

    items: tuple[str, ...]
    n: int
    levels: tuple[tuple[float, ...], ...]
    thresholds: tuple[np.ndarray, ...]
    correlation: np.ndarray
    gamma: np.ndarray
    n_dropped: int = 0

    @property
    def n_thresholds(self) -> int:
        """Number of thresholds over all items."""
        return int(sum(t.size for t in self.thresholds))

    @property
    def pairs(self) -> tuple[tuple[int, int], ...]:
        """Item index pairs (i, j), i > j, in lavaan's order (lower triangle column by column)."""
        p = len(self.items)
        return tuple((i, j) for j in range(p) for i in range(j + 1, p))

    def statistic_names(self) -> list[str]:
        """lavaan's names of the statistics: ``item|t1``, ..., ``a~~b``."""
        names = [f"{it}|t{k + 1}" for it, th in zip(self.items, self.thresholds) for k in range(th.size)]
        names += [f"{self.items[j]}~~{self.items[i]}" for i, j in self.pairs]
        return names

    def vector(self) -> np.ndarray:
        """The sample statistics in Γ's order: thresholds, then correlations."""
        r = np.array([self.correlation[i, j] for i, j in self.pairs])
        return np.concatenate([np.concatenate(self.thresholds) if self.thresholds else np.zeros(0), r])

    def tidy(self) -> pd.DataFrame:
        """One row per threshold: ``item``, ``threshold`` (t1, t2, ...), ``between`` (answers, e.g. ``2|3``), ``value``."""
        rows = []
        for it, lev, th in zip(self.items, self.levels, self.thresholds):
            for k, v in enumerate(th):
                rows.append((it, f"t{k + 1}", f"{_fmt(lev[k])}|{_fmt(lev[k + 1])}", float(v)))
        return pd.DataFrame(rows, columns=["item", "threshold", "between", "value"])


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


def _codes(data: pd.DataFrame, items: Sequence[str]) -> tuple[np.ndarray, tuple[tuple[float, ...], ...], int]:
    missing = [c for c in items if c not in data.columns]
    if missing:
        raise FipError(f"model names columns not in the data: {', '.join(missing)}")
    sub = data[list(items)].apply(pd.to_numeric, errors="coerce").dropna()
    dropped = len(data) - len(sub)
    x = sub.to_numpy(dtype=float)
    codes = np.empty(x.shape, dtype=np.int64)
    levels = []
    for j, item in enumerate(items):
        col = x[:, j]
        if np.any(col != np.round(col)):
            raise FipError(f"item {item!r}: WLSMV treats items as ordinal and needs whole-number answers")
        lev, inv = np.unique(col, return_inverse=True)
        if lev.size < 2:
            raise FipError(f"item {item!r}: every complete answer is {_fmt(lev[0]) if lev.size else 'missing'}; "
                           "an ordinal item needs at least 2 observed answer values")
        codes[:, j] = inv
        levels.append(tuple(float(v) for v in lev))
    return codes, tuple(levels), dropped


def _ext(tau: np.ndarray) -> np.ndarray:
    return np.concatenate([[-np.inf], tau, [np.inf]])


def _cell_probs(a: np.ndarray, b: np.ndarray, rho: float) -> tuple[np.ndarray, np.ndarray]:
    """Cell probabilities π (Ca, Cb) and ∂π/∂ρ of the bivariate table; ``a``, ``b`` with ±inf ends."""
    A, B = a[:, None], b[None, :]
    F = bivariate_normal_cdf(A, B, rho)
    f = bivariate_normal_pdf(A, B, rho)
    P = F[1:, 1:] - F[:-1, 1:] - F[1:, :-1] + F[:-1, :-1]
    dP = f[1:, 1:] - f[:-1, 1:] - f[1:, :-1] + f[:-1, :-1]
    return P, dP


def _polychoric(tab: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """ML ρ of one table given thresholds (lavaan ``lav_bvord_cor_twostep_fit``)."""
    ra, rb = tab.shape
    if ra == 2 and rb == 2:
        zeros = np.flatnonzero(tab.ravel() == 0)
        if zeros.size == 2:  # lavaan: two empty cells in a 2 × 2 table
            return 1.0 if tab[0, 0] > 0 else -1.0
        if zeros.size == 1:  # lavaan's zero.add = 0.5 keeping the margins
            tab = tab.astype(float).copy()
            sgn = 1.0 if zeros[0] in (0, 3) else -1.0
            tab += sgn * 0.5 * np.array([[1.0, -1.0], [-1.0, 1.0]])
        if tab[0, 0] * tab[1, 1] == tab[0, 1] * tab[1, 0]:
            return 0.0
        if a[1] == 0 and b[1] == 0:
            return float(-np.cos(2 * np.pi * tab[0, 0] / tab.sum()))

    tiny = np.finfo(float).tiny  # near ±1 probabilities of cells far off the diagonal underflow

    def loglik(rho: float) -> float:
        P, _ = _cell_probs(a, b, rho)
        return float(np.sum(np.where(tab > 0, tab * np.log(np.maximum(P, tiny)), 0.0)))

    def score(rho: float) -> float:
        P, dP = _cell_probs(a, b, rho)
        return float(np.sum(np.where(tab > 0, tab * dP / np.maximum(P, tiny), 0.0)))

    # the likelihood on a grid brackets its maximum; the score is solved inside that bracket only
    # (at the bounds themselves underflowing cells make the score noise)
    grid = np.linspace(-_BOUND, _BOUND, 41)
    F = bivariate_normal_cdf(a[None, :, None], b[None, None, :], grid[:, None, None])
    P = F[:, 1:, 1:] - F[:, :-1, 1:] - F[:, 1:, :-1] + F[:, :-1, :-1]
    ll = np.sum(np.where(tab > 0, tab * np.log(np.maximum(P, tiny)), 0.0), axis=(1, 2))
    k = int(np.argmax(ll))
    lo, hi = grid[max(k - 1, 0)], grid[min(k + 1, grid.size - 1)]
    s_lo, s_hi = score(lo), score(hi)
    if s_lo > 0 > s_hi:
        return float(optimize.brentq(score, lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=200))
    if k == 0:
        return -_BOUND
    if k == grid.size - 1:
        return _BOUND
    opt = optimize.minimize_scalar(lambda r: -loglik(r), bounds=(lo, hi), method="bounded", options={"xatol": 1e-12})
    return float(opt.x)


def ordinal_moments(data: pd.DataFrame, items: Sequence[str]) -> OrdinalMoments:
    """Thresholds, polychoric correlations and their Γ as lavaan ``cfa(..., ordered=TRUE)`` computes them.

    Parameters
    ----------
    data : DataFrame with the items (whole-number answers); rows with a missing item are dropped.
    items : the items, in model order.

    Returns
    -------
    OrdinalMoments

    Notes
    -----
    Matches lavaan 0.6.14 ``lavInspect(fit, "sampstat")`` and ``lavInspect(fit, "gamma")``
    (tests/test_cfa_wlsmv.py). Differs from ``psych::polychoric`` only where psych drops
    global thresholds or corrects empty cells.

    Example
    -------
    >>> d = pd.DataFrame({"a": [1, 2, 3, 1, 2, 3, 3, 2], "b": [1, 2, 3, 2, 2, 3, 1, 2]})
    >>> round(float(ordinal_moments(d, ["a", "b"]).thresholds[0][0]), 4)  # Φ⁻¹(2/8)
    -0.6745
    """
    items = tuple(items)
    codes, levels, dropped = _codes(data, items)
    n, p = codes.shape
    if n == 0:
        raise FipError("no person answered every item of the model")
    taus: list[np.ndarray] = []
    sc_th: list[np.ndarray] = []
    for j in range(p):
        c = levels[j].__len__()
        freq = np.bincount(codes[:, j], minlength=c).astype(float)
        tau = special.ndtri(np.cumsum(freq)[:-1] / n)
        taus.append(tau)
        # univariate scores ∂ log P_k / ∂τ_m = φ(τ_m)/P_k · (1{m = k} − 1{m = k − 1})
        t = _ext(tau)
        pk = special.ndtr(t[1:]) - special.ndtr(t[:-1])
        dens = np.exp(-0.5 * tau**2) / np.sqrt(2 * np.pi)
        s = np.zeros((n, c - 1))
        k = codes[:, j]
        rows = np.arange(n)
        up = k < c - 1
        s[rows[up], k[up]] += dens[k[up]] / pk[k[up]]
        lo = k > 0
        s[rows[lo], k[lo] - 1] -= dens[k[lo] - 1] / pk[k[lo]]
        sc_th.append(s)
    th_start = np.cumsum([0] + [t.size for t in taus])
    T = int(th_start[-1])
    pairs = [(i, j) for j in range(p) for i in range(j + 1, p)]
    r = np.eye(p)
    sc_cor = np.zeros((n, len(pairs)))
    a21 = np.zeros((len(pairs), T))
    for q, (i, j) in enumerate(pairs):
        ci, cj = len(levels[i]), len(levels[j])
        tab = np.zeros((ci, cj))
        np.add.at(tab, (codes[:, i], codes[:, j]), 1.0)
        a, b = _ext(taus[i]), _ext(taus[j])
        rho = _polychoric(tab, a, b)
        r[i, j] = r[j, i] = rho
        P, dP = _cell_probs(a, b, rho)
        with np.errstate(divide="ignore", invalid="ignore"):
            s_rho = np.where(P > 0, dP / P, 0.0)
        # ∂π_ab/∂τ_i,m : φ(τ_i,m)[Φ((τ_j,b − ρτ_i,m)/s) − Φ((τ_j,b−1 − ρτ_i,m)/s)] (1{m=a} − 1{m=a−1})
        sd = np.sqrt(1 - rho * rho)
        ti, tj = taus[i], taus[j]
        gi = np.exp(-0.5 * ti**2) / np.sqrt(2 * np.pi)
        gj = np.exp(-0.5 * tj**2) / np.sqrt(2 * np.pi)
        with np.errstate(invalid="ignore"):
            cond_i = special.ndtr((b[None, :] - rho * ti[:, None]) / sd)  # (ci-1, cj+1)
            cond_j = special.ndtr((a[None, :] - rho * tj[:, None]) / sd)  # (cj-1, ci+1)
        di = gi[:, None] * (cond_i[:, 1:] - cond_i[:, :-1])  # (ci-1, cj): ∂π_{m,b}/∂τ_i,m
        dj = gj[:, None] * (cond_j[:, 1:] - cond_j[:, :-1])  # (cj-1, ci): ∂π_{a,m}/∂τ_j,m
        ki, kj = codes[:, i], codes[:, j]
        pk = P[ki, kj]
        sc_cor[:, q] = s_rho[ki, kj]
        si = np.zeros((n, ci - 1))
        rows = np.arange(n)
        up = ki < ci - 1
        si[rows[up], ki[up]] += di[ki[up], kj[up]] / pk[up]
        lo = ki > 0
        si[rows[lo], ki[lo] - 1] -= di[ki[lo] - 1, kj[lo]] / pk[lo]
        sj = np.zeros((n, cj - 1))
        up = kj < cj - 1
        sj[rows[up], kj[up]] += dj[kj[up], ki[up]] / pk[up]
        lo = kj > 0
        sj[rows[lo], kj[lo] - 1] -= dj[kj[lo] - 1, ki[lo]] / pk[lo]
        a21[q, th_start[i]:th_start[i + 1]] = sc_cor[:, q] @ si
        a21[q, th_start[j]:th_start[j + 1]] = sc_cor[:, q] @ sj
    scores = np.hstack(sc_th + [sc_cor])
    inner = scores.T @ scores
    a11_inv = np.zeros((T, T))
    for j in range(p):
        sl = slice(th_start[j], th_start[j + 1])
        a11_inv[sl, sl] = np.linalg.inv(inner[sl, sl])
    a22 = np.sum(sc_cor**2, axis=0)
    if np.any(a22 == 0):
        raise FipError("a pair of items has no information on its polychoric correlation (all answers in one cell)")
    a22_inv = np.diag(1.0 / a22)
    b_inv = np.zeros((T + len(pairs), T + len(pairs)))
    b_inv[:T, :T] = a11_inv
    b_inv[T:, :T] = -a22_inv @ a21 @ a11_inv
    b_inv[T:, T:] = a22_inv
    gamma = n * (b_inv @ inner @ b_inv.T)
    gamma = (gamma + gamma.T) / 2
    return OrdinalMoments(items=items, n=int(n), levels=levels, thresholds=tuple(taus), correlation=r,
                          gamma=gamma, n_dropped=int(dropped))
