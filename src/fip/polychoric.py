"""Polychoric and polyserial correlations of ordinal items (the FIP items are scored 1-7).

A polychoric correlation is the correlation of two standard normal variables that, cut at
thresholds, give the observed contingency table of two ordinal items. fip estimates it as
``psych::polychoric`` does with its defaults (two-step ML):

1. thresholds of each item from its own marginal frequencies over every answer to it
   (``global=TRUE``): ``τ_c = Φ⁻¹(share of answers ≤ c)``;
2. per pair of items, the correlation maximising the multinomial likelihood of the pair's
   table (persons answering both, i.e. pairwise) given those thresholds; cell probabilities
   from the bivariate normal distribution function, computed with Owen's T function
   (:func:`bivariate_normal_cdf`), so all pairs are estimated at once, vectorised.

psych turns ``global`` off when the items do not share the same highest category (after
shifting all items to start at 1); then the thresholds come from each pair's own table with
empty rows/columns dropped and empty cells set to ``correct/n`` (``correct=0.5``, the
continuity correction). fip does the same in that case (``global_thresholds="auto"``). Note
that with global thresholds psych applies no continuity correction (cells of probability 0
are left out of the likelihood); fip matches that.

A pairwise matrix need not be positive definite; as ``polychoric(smooth=TRUE)`` fip then
smooths it with :func:`smooth_correlation` (``psych::cor.smooth``) and warns
(:class:`fip.errors.NotPositiveDefiniteWarning`).

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> z = rng.multivariate_normal([0, 0], [[1, .6], [.6, 1]], size=2000)
>>> items = pd.DataFrame(np.digitize(z, [-1, 0, 1]) + 1, columns=["a", "b"])
>>> res = polychoric(items)
>>> round(float(res.correlation.loc["a", "b"]), 1)
0.6
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats

from fip.errors import NotPositiveDefiniteWarning

__all__ = ["PolychoricResult", "bivariate_normal_cdf", "bivariate_normal_pdf", "polychoric", "polyserial",
           "smooth_correlation"]

_RHO_BOUND = 0.99999  # psych's optimize searches [-1, 1]; nearer ±1 every cell's probability underflows
_BISECTIONS = 48  # interval width 2 / 2**48: below 1e-14


def bivariate_normal_cdf(h, k, rho) -> np.ndarray:
    """``P(X ≤ h, Y ≤ k)`` for standard bivariate normal ``(X, Y)`` with correlation ``rho`` (vectorised).

    Owen's (1956) formula
    ``Φ₂(h, k; ρ) = ½Φ(h) + ½Φ(k) − T(h, a_h) − T(k, a_k) − β`` with
    ``a_h = (k − ρh) / (h√(1 − ρ²))``, ``a_k = (h − ρk) / (k√(1 − ρ²))`` and ``β = ½`` when
    ``hk < 0`` or (``hk = 0`` and ``h + k < 0``), else 0; ``T`` is :func:`scipy.special.owens_t`.
    ``h`` and ``k`` may be ±inf; ``|rho| < 1``. Accuracy near 1e-15 (checked against
    :func:`scipy.stats.multivariate_normal.cdf` and R ``mnormt::sadmvn`` in the tests).

    Examples
    --------
    >>> round(float(bivariate_normal_cdf(0.0, 0.0, 0.5)), 12)  # 1/4 + asin(ρ)/(2π) = 1/3
    0.333333333333
    """
    h, k, rho = np.broadcast_arrays(*(np.asarray(v, dtype="float64") for v in (h, k, rho)))
    s = np.sqrt((1 - rho) * (1 + rho))
    out = np.empty(h.shape)
    finite = np.isfinite(h) & np.isfinite(k)
    with np.errstate(divide="ignore", invalid="ignore"):
        hf, kf, rf, sf = h[finite], k[finite], rho[finite], s[finite]
        ah = np.where(hf == 0, np.sign(kf - rf * hf) * np.inf, (kf - rf * hf) / (hf * sf))
        ak = np.where(kf == 0, np.sign(hf - rf * kf) * np.inf, (hf - rf * kf) / (kf * sf))
        ah = np.where((hf == 0) & (kf == 0), 0.0, ah)  # both 0: closed form below
        ak = np.where((hf == 0) & (kf == 0), 0.0, ak)
    beta = np.where((hf * kf < 0) | ((hf * kf == 0) & (hf + kf < 0)), 0.5, 0.0)
    value = 0.5 * special.ndtr(hf) + 0.5 * special.ndtr(kf) - special.owens_t(hf, ah) - special.owens_t(kf, ak) - beta
    zero = (hf == 0) & (kf == 0)
    value[zero] = 0.25 + np.arcsin(rf[zero]) / (2 * np.pi)
    out[finite] = np.clip(value, 0.0, 1.0)
    low = ~finite & ((h == -np.inf) | (k == -np.inf))
    out[low] = 0.0
    rest = ~finite & ~low  # one or both +inf: the other margin
    out[rest] = special.ndtr(np.minimum(h[rest], k[rest]))
    return out


def bivariate_normal_pdf(h, k, rho) -> np.ndarray:
    """Standard bivariate normal density at ``(h, k)`` (0 at infinite arguments); ``dΦ₂/dρ`` equals it.

    Examples
    --------
    >>> round(float(bivariate_normal_pdf(0.0, 0.0, 0.0)), 6)  # 1/(2π)
    0.159155
    """
    h, k, rho = np.broadcast_arrays(*(np.asarray(v, dtype="float64") for v in (h, k, rho)))
    one = (1 - rho) * (1 + rho)
    with np.errstate(invalid="ignore", over="ignore"):
        q = (h * h - 2 * rho * h * k + k * k) / one
        dens = np.exp(-q / 2) / (2 * np.pi * np.sqrt(one))
    return np.where(np.isfinite(h) & np.isfinite(k), dens, 0.0)


def smooth_correlation(r: np.ndarray, eig_tol: float = 1e-12) -> tuple[np.ndarray, bool]:
    """``psych::cor.smooth``: make a correlation matrix positive definite; returns ``(matrix, smoothed)``.

    When the smallest eigenvalue is below machine epsilon: eigenvalues below ``eig_tol`` are
    set to ``100·eig_tol``, all are rescaled to sum to the number of variables, the matrix is
    rebuilt and rescaled to unit diagonal. Otherwise ``r`` is returned unchanged.

    Examples
    --------
    >>> m, done = smooth_correlation(np.array([[1, .9, -.9], [.9, 1, .9], [-.9, .9, 1]]))
    >>> done, bool(np.linalg.eigvalsh(m).min() > 0)
    (True, True)
    """
    r = np.asarray(r, dtype="float64")
    values, vectors = np.linalg.eigh(r)
    if values.min() >= np.finfo(float).eps:
        return r, False
    values = np.where(values < eig_tol, 100 * eig_tol, values)
    values = values * len(values) / values.sum()
    m = (vectors * values) @ vectors.T
    d = np.sqrt(np.diag(m))
    m = m / np.outer(d, d)
    return (m + m.T) / 2, True


@dataclass(frozen=True)
class PolychoricResult:
    """Polychoric correlations of a set of items.

    Attributes
    ----------
    correlation : DataFrame
        Square matrix, index and columns the item ids (smoothed when ``smoothed``).
    thresholds : DataFrame
        One row per item, one column per cut (``1|2``, ``2|3``, ...), ±inf for an empty end category.
    n_pairs : DataFrame
        Persons answering both items of each pair (the table each correlation rests on).
    smoothed : bool
        Whether the pairwise matrix was not positive definite and was smoothed.
    global_thresholds : bool
        Thresholds from each item's marginal (psych ``global=TRUE``) or from each pair's table.
    zero_cells_corrected : int
        Cells set to ``correct/n`` (only without global thresholds, as psych).
    """

    correlation: pd.DataFrame
    thresholds: pd.DataFrame
    n_pairs: pd.DataFrame
    smoothed: bool
    global_thresholds: bool
    zero_cells_corrected: int

    @property
    def n_obs(self) -> int:
        """Fewest persons behind any pair (the number a disclosure check uses)."""
        n = self.n_pairs.to_numpy()
        return int(n[~np.eye(len(n), dtype=bool)].min()) if len(n) > 1 else int(n.min())

    def tidy(self) -> pd.DataFrame:
        """One row per pair of items: ``item_1``, ``item_2``, ``r``, ``n``."""
        items = list(self.correlation.index)
        rows = [{"item_1": a, "item_2": b, "r": float(self.correlation.iloc[i, j]), "n": int(self.n_pairs.iloc[i, j])}
                for i, a in enumerate(items) for j, b in enumerate(items) if j > i]
        return pd.DataFrame(rows, columns=["item_1", "item_2", "r", "n"])


def _codes(data: pd.DataFrame) -> tuple[np.ndarray, int]:
    """Items as integer codes 1..C (common shift, as psych), missing as 0; and C."""
    x = data.astype("float64").to_numpy()
    if np.any(np.isfinite(x) & (x != np.round(x))):
        raise ValueError("polychoric correlations need whole-number (ordinal) answers")
    lo = np.nanmin(x)
    codes = np.where(np.isnan(x), 0, x - lo + 1).astype("int64")
    return codes, int(codes.max())


def _fit(tab: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Maximum-likelihood ρ of every pair: ``tab`` (p, C, C) shares, cuts ``a``, ``b`` (p, C+1) with ±inf ends.

    Bisection on the score ``Σ tab/P · dP/dρ`` over cells with ``P > 0`` (psych leaves cells of
    probability 0 out of the likelihood), on ``[-0.99999, 0.99999]``.
    """
    p = tab.shape[0]
    A = a[:, :, None]
    B = b[:, None, :]

    def score(rho: np.ndarray) -> np.ndarray:
        r = rho[:, None, None]
        F = bivariate_normal_cdf(A, B, r)
        f = bivariate_normal_pdf(A, B, r)
        P = F[:, 1:, 1:] - F[:, :-1, 1:] - F[:, 1:, :-1] + F[:, :-1, :-1]
        dP = f[:, 1:, 1:] - f[:, :-1, 1:] - f[:, 1:, :-1] + f[:, :-1, :-1]
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where((P > 0) & (tab > 0), tab * dP / P, 0.0)
        return terms.sum(axis=(1, 2))

    lo = np.full(p, -_RHO_BOUND)
    hi = np.full(p, _RHO_BOUND)
    # the score falls from + to − through the maximum; without a root bisection ends at a bound.
    # (No sign test at the bounds themselves: there cell probabilities underflow and the score is noise.)
    for _ in range(_BISECTIONS):
        mid = (lo + hi) / 2
        s = score(mid)
        up = s > 0
        lo = np.where(up, mid, lo)
        hi = np.where(up, hi, mid)
    return (lo + hi) / 2


def polychoric(data: pd.DataFrame, *, correct: float = 0.5, global_thresholds: bool | str = "auto",
               smooth: bool = True) -> PolychoricResult:
    """Polychoric correlation matrix of ordinal items, as ``psych::polychoric(data)`` with its defaults.

    Parameters
    ----------
    data : DataFrame
        One column per item, whole-number answers (e.g. 1-7), missing as NaN; pairs use the
        persons answering both items (pairwise, as psych).
    correct : float
        Continuity correction for empty cells when thresholds come from each pair (psych 0.5).
    global_thresholds : bool or "auto"
        ``"auto"`` (psych): global when every item reaches the same highest category.
    smooth : bool
        Smooth a non-positive-definite matrix (:func:`smooth_correlation`) and warn.

    Returns
    -------
    PolychoricResult
        ``correlation`` (square, item ids), ``thresholds``, ``n_pairs``, ``smoothed``.

    Raises
    ------
    ValueError
        Fewer than 2 items, more than 8 categories (psych's ``max.cat``), a non-integer
        answer, or an item without variance.

    Notes
    -----
    Matches psych 2.2.9 ``polychoric`` within 1e-4 (psych stops its ``optimize`` at a tolerance
    of about 1e-4; fip solves the likelihood equation to 1e-12, equal to psych with
    ``optimize(tol=1e-12)`` within 1e-7, see ``tests/reference/polychoric``).

    Examples
    --------
    >>> items = pd.DataFrame({"a": [1, 2, 3, 4, 5, 2, 3, 4], "b": [1, 3, 3, 5, 4, 2, 2, 5]})
    >>> polychoric(items).correlation.shape
    (2, 2)
    """
    if data.shape[1] < 2:
        raise ValueError("polychoric correlations need at least 2 items")
    codes, ncat = _codes(data)
    if ncat > 8:
        raise ValueError(f"polychoric correlations need at most 8 categories; the items span {ncat}")
    items = [str(c) for c in data.columns]
    flat = data.astype("float64")
    no_var = [c for c, col in zip(items, flat.to_numpy().T) if not (np.nanstd(col) > 0)]
    if no_var:
        raise ValueError(f"item {no_var[0]!r} has no variance: no polychoric correlation")
    if global_thresholds == "auto":
        glob = len({int(codes[:, j].max()) for j in range(codes.shape[1])}) == 1
    else:
        glob = bool(global_thresholds)
    nvar = codes.shape[1]
    iu, ju = np.triu_indices(nvar, 1)
    # tables of every pair at once: (pairs, C+1, C+1) with code 0 = missing, then drop it
    cells = (ncat + 1) ** 2
    flat_codes = codes[:, iu] * (ncat + 1) + codes[:, ju]
    offsets = np.arange(len(iu)) * cells
    counts = np.bincount((flat_codes + offsets).ravel(), minlength=len(iu) * cells)
    counts = counts.reshape(len(iu), ncat + 1, ncat + 1)[:, 1:, 1:].astype("float64")
    n_pair = counts.sum(axis=(1, 2))
    tot = np.where(n_pair > 0, n_pair, 1.0)
    tab = counts / tot[:, None, None]
    inf = np.full((len(iu), 1), np.inf)
    fixed = 0
    if glob:
        freq = np.stack([np.bincount(codes[:, j], minlength=ncat + 1)[1:] for j in range(nvar)])
        share = np.cumsum(freq, axis=1) / freq.sum(axis=1, keepdims=True)
        tau = stats.norm.ppf(share[:, :-1])
        a = np.hstack([-inf, tau[iu], inf])
        b = np.hstack([-inf, tau[ju], inf])
    else:
        rows_used = tab.sum(axis=2) > 0
        cols_used = tab.sum(axis=1) > 0
        fix = (tab == 0) & rows_used[:, :, None] & cols_used[:, None, :]
        fixed = int(fix.sum())
        if correct > 0:
            tab = np.where(fix, correct / tot[:, None, None], tab)
        tau = None
        a = np.hstack([-inf, stats.norm.ppf(np.clip(np.cumsum(tab.sum(axis=2), axis=1)[:, :-1], 0, 1)), inf])
        b = np.hstack([-inf, stats.norm.ppf(np.clip(np.cumsum(tab.sum(axis=1), axis=1)[:, :-1], 0, 1)), inf])
        # psych: qnorm of cumulative shares of the corrected table (which no longer sum to 1)
        a[:, 1:-1] = np.where(np.isnan(a[:, 1:-1]), np.inf, a[:, 1:-1])
        b[:, 1:-1] = np.where(np.isnan(b[:, 1:-1]), np.inf, b[:, 1:-1])
    rho = _fit(tab, a, b)
    rho = np.where(n_pair > 0, rho, np.nan)
    r = np.eye(nvar)
    r[iu, ju] = rho
    r[ju, iu] = rho
    n = np.zeros((nvar, nvar), dtype="int64")
    n[iu, ju] = n_pair
    n[ju, iu] = n_pair
    n[np.diag_indices(nvar)] = (codes > 0).sum(axis=0)
    smoothed = False
    if smooth and not np.isnan(r).any():
        r, smoothed = smooth_correlation(r)
        if smoothed:
            warnings.warn("the polychoric correlation matrix was not positive definite and was smoothed "
                          "(as psych::cor.smooth)", NotPositiveDefiniteWarning, stacklevel=2)
    low = int(np.nanmin(flat.to_numpy()))
    cuts = [f"{c}|{c + 1}" for c in range(low, low + ncat - 1)]
    thresholds = pd.DataFrame(tau if tau is not None else np.full((nvar, ncat - 1), np.nan), index=items, columns=cuts)
    return PolychoricResult(pd.DataFrame(r, index=items, columns=items), thresholds,
                            pd.DataFrame(n, index=items, columns=items), smoothed, glob, fixed)


def polyserial(x: pd.Series, y: pd.DataFrame | pd.Series) -> pd.Series:
    """Polyserial correlation of a continuous ``x`` with each ordinal item of ``y``, as ``psych::polyserial``.

    psych's two-step ad hoc estimator (Olsson, Drasgow and Dorans 1982):
    ``r_ps = r_xy · √((n − 1)/n) · sd(y) / Σ_c φ(τ_c)`` with ``r_xy`` the pairwise Pearson
    correlation, ``τ`` the item's thresholds from its own answers and ``n`` the number of
    rows (psych counts rows with missing values too); clipped to [-1, 1].

    Returns
    -------
    Series
        One value per item of ``y``.

    Examples
    --------
    >>> x = pd.Series([0.1, 0.5, 0.9, 1.4, 2.0, 0.3])
    >>> y = pd.DataFrame({"a": [1, 2, 2, 3, 3, 1]})
    >>> bool(polyserial(x, y)["a"] > 0.9)
    True
    """
    frame = y.to_frame() if isinstance(y, pd.Series) else y
    frame = frame.astype("float64")
    xs = pd.Series(np.asarray(x, dtype="float64"), index=frame.index)
    lo, hi = np.nanmin(frame.to_numpy()), np.nanmax(frame.to_numpy())
    values = np.arange(lo, hi + 1)
    out = {}
    for item in frame.columns:
        col = frame[item]
        freq = np.array([(col == v).sum() for v in values], dtype="float64")
        cum = np.cumsum(freq / freq.sum())[:-1]
        stau = float(stats.norm.pdf(stats.norm.ppf(cum)).sum())
        both = col.notna() & xs.notna()
        rxy = float(np.corrcoef(xs[both], col[both])[0, 1])
        n = len(col)
        r = rxy * np.sqrt((n - 1) / n) * float(col.std(ddof=1)) / stau
        out[str(item)] = float(np.clip(r, -1, 1))
    return pd.Series(out, name="polyserial")
