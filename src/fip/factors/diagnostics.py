"""Is the data factorable, how many factors, and do two solutions agree?

KMO, Bartlett's test of sphericity, Horn's parallel analysis, scree data and Tucker's
congruence coefficient with best column matching.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from scipy.stats import chi2

from fip._tidy import ScalarTidy
from fip._options import check_option
from fip.errors import InvalidDataError, Problem
from fip.factors._input import NanPolicy, correlation_input

__all__ = [
    "BartlettResult",
    "KMOResult",
    "ParallelResult",
    "bartlett_sphericity",
    "congruence_matrix",
    "kmo",
    "parallel_analysis",
    "scree_data",
    "tucker_congruence",
]


@dataclass(frozen=True)
class KMOResult:
    """Kaiser-Meyer-Olkin measure of sampling adequacy: ``overall`` and ``per_item`` (MSA)."""

    overall: float
    per_item: pd.Series

    def tidy(self) -> pd.DataFrame:
        """``item`` and ``kmo``: one row per item (its MSA), then ``overall`` (as Stata ``estat kmo``)."""
        items = pd.DataFrame({"item": [str(i) for i in self.per_item.index],
                              "kmo": self.per_item.to_numpy(dtype="float64")})
        return pd.concat([items, pd.DataFrame({"item": ["overall"], "kmo": [float(self.overall)]})],
                         ignore_index=True)


@dataclass(frozen=True)
class BartlettResult(ScalarTidy):
    """Bartlett's test that the correlation matrix is the identity (``.tidy()``: one row)."""

    chi2: float
    df: int
    p_value: float
    n_obs: int


@dataclass(frozen=True)
class ParallelResult:
    """Parallel analysis.

    ``table`` has columns ``factor`` (1..p), ``observed``, ``random_mean``, ``random_quantile``
    (NaN unless a quantile was asked), ``threshold`` (the one compared) and ``retain``;
    ``n_retained`` counts the leading factors whose observed eigenvalue beats the threshold.
    """

    table: pd.DataFrame
    n_retained: int
    kind: str
    n_iter: int
    n_obs: int
    communality: str = "smc"

    def tidy(self) -> pd.DataFrame:
        """The per-factor ``table`` (observed and random eigenvalues, threshold, retain)."""
        return self.table.copy()


def _inverse(corr: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(corr)
    except np.linalg.LinAlgError as exc:
        raise ValueError("the correlation matrix is singular; drop redundant items") from exc


def kmo(
    data: pd.DataFrame,
    items: Sequence[str] | None = None,
    *,
    nan_policy: NanPolicy = "listwise",
) -> KMOResult:
    """Kaiser-Meyer-Olkin measure (overall and per item) from item scores or a correlation matrix.

    ``KMO_j = sum_i r_ij^2 / (sum_i r_ij^2 + sum_i q_ij^2)`` over ``i != j``, with ``q`` the
    partial correlations (anti-image) from ``R^-1``; same as Stata ``estat kmo``,
    ``psych::KMO`` and factor-analyzer's ``calculate_kmo``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> r = pd.DataFrame(np.array([[1, .5, .4], [.5, 1, .3], [.4, .3, 1]]),
    ...                  index=list("abc"), columns=list("abc"))
    >>> round(kmo(r).overall, 3)
    0.628
    """
    ci = correlation_input(data, items, nan_policy=nan_policy)
    r = ci.correlation.to_numpy()
    inv = _inverse(r)
    d = np.sqrt(np.diag(inv))
    q = -inv / np.outer(d, d)
    r2 = r**2
    q2 = q**2
    np.fill_diagonal(r2, 0.0)
    np.fill_diagonal(q2, 0.0)
    per = r2.sum(axis=0) / (r2.sum(axis=0) + q2.sum(axis=0))
    overall = r2.sum() / (r2.sum() + q2.sum())
    return KMOResult(float(overall), pd.Series(per, index=ci.correlation.columns, name="kmo"))


def bartlett_sphericity(
    data: pd.DataFrame,
    items: Sequence[str] | None = None,
    *,
    n_obs: int | None = None,
    nan_policy: NanPolicy = "listwise",
) -> BartlettResult:
    """Bartlett's test of sphericity: ``chi2 = -(n - 1 - (2p + 5)/6) ln|R|``, df = p(p-1)/2.

    Same as ``psych::cortest.bartlett`` and factor-analyzer's ``calculate_bartlett_sphericity``.
    Needs ``n_obs`` when ``data`` is a correlation matrix.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> r = pd.DataFrame(np.array([[1, .5], [.5, 1]]), index=["a", "b"], columns=["a", "b"])
    >>> res = bartlett_sphericity(r, n_obs=100)
    >>> res.df, round(res.chi2, 2)
    (1, 28.05)
    """
    ci = correlation_input(data, items, n_obs=n_obs, nan_policy=nan_policy)
    if ci.n_obs is None:
        raise ValueError("n_obs is required when data is a correlation matrix")
    r = ci.correlation.to_numpy()
    p = r.shape[0]
    sign, logdet = np.linalg.slogdet(r)
    if sign <= 0:
        raise ValueError("the correlation matrix is singular or not positive definite")
    stat = -(ci.n_obs - 1 - (2 * p + 5) / 6) * logdet
    df = p * (p - 1) // 2
    return BartlettResult(float(stat), df, float(chi2.sf(stat, df)), ci.n_obs)


def _minres_values(corr: np.ndarray) -> np.ndarray:
    """Eigenvalues of ``corr`` with the communalities of a one-factor minres solution on its
    diagonal (psych ``fa(r, nfactors = 1, fm = "minres")$values``)."""
    from fip.factors.extraction import extract

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")       # Heywood cases of random data are expected here
        return extract(corr, 1, "minres", [str(i) for i in range(corr.shape[0])]).eigenvalues


def _random_eigenvalues(
    n_obs: int, p: int, n_iter: int, kind: str, rng: np.random.Generator, communality: str = "smc"
) -> np.ndarray:
    out = np.empty((n_iter, p))
    batch = max(1, 2_000_000 // (n_obs * p))
    done = 0
    while done < n_iter:
        m = min(batch, n_iter - done)
        x = rng.standard_normal((m, n_obs, p))
        x -= x.mean(axis=1, keepdims=True)
        cov = np.einsum("bni,bnj->bij", x, x)
        sd = np.sqrt(np.einsum("bii->bi", cov))
        corr = cov / (sd[:, :, None] * sd[:, None, :])
        if kind == "fa" and communality == "minres":
            out[done : done + m] = [_minres_values(c) for c in corr]
            done += m
            continue
        if kind == "fa":
            inv_diag = np.einsum("bii->bi", np.linalg.inv(corr))
            idx = np.arange(p)
            corr[:, idx, idx] = 1.0 - 1.0 / inv_diag
        out[done : done + m] = np.linalg.eigvalsh(corr)[:, ::-1]
        done += m
    return out


def parallel_analysis(
    data: pd.DataFrame,
    items: Sequence[str] | None = None,
    *,
    n_iter: int = 100,
    seed: int | np.random.Generator | None = None,
    kind: Literal["fa", "pc"] = "fa",
    quantile: float | None = None,
    n_obs: int | None = None,
    nan_policy: NanPolicy = "listwise",
    communality: Literal["smc", "minres"] = "smc",
) -> ParallelResult:
    """Horn's parallel analysis with normal random data of the same size.

    Parameters
    ----------
    data : pandas.DataFrame
        Item scores or a correlation matrix (then ``n_obs`` is required).
    n_iter : int
        Number of random data sets.
    seed : int or numpy.random.Generator, optional
        Same seed, same result.
    kind : {"fa", "pc"}
        ``fa``: eigenvalues of reduced matrices (communalities on the diagonal, see
        ``communality``); ``pc``: eigenvalues of the correlation matrices.
    quantile : float, optional
        Compare with this quantile of the random eigenvalues (e.g. 0.95: Glorfeld, and
        ``psych::fa.parallel``'s default ``quant = .95``) instead of their mean (Horn).
    communality : {"smc", "minres"}
        For ``kind="fa"``: squared multiple correlations on the diagonal (Stata ``pf``;
        ``psych::fa.parallel(..., SMC = TRUE)``; the default) or the communalities of a
        one-factor minres solution of each matrix (``psych::fa.parallel``'s default,
        ``SMC = FALSE``). On psych's bfi (2,436 complete rows) the two keep 8 and 6 factors.

    Returns
    -------
    ParallelResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.standard_normal((300, 1))
    >>> x = pd.DataFrame(f @ np.full((1, 5), 0.8) + 0.6 * rng.standard_normal((300, 5)))
    >>> x.columns = [f"i{j}" for j in range(5)]
    >>> parallel_analysis(x, n_iter=20, seed=1).n_retained
    1
    """
    check_option("kind", kind, ("fa", "pc"))
    check_option("communality", communality, ("smc", "minres"))
    if int(n_iter) != n_iter or n_iter < 1:
        raise ValueError(f"n_iter must be a positive integer; got {n_iter!r}")
    if quantile is not None and not 0 < quantile < 1:
        raise ValueError(f"quantile must be between 0 and 1; got {quantile!r}")
    ci = correlation_input(data, items, n_obs=n_obs, nan_policy=nan_policy)
    if ci.n_obs is None:
        raise ValueError("n_obs is required when data is a correlation matrix")
    r = ci.correlation.to_numpy()
    p = r.shape[0]
    if kind == "fa" and communality == "minres":
        observed = _minres_values(r)
    elif kind == "fa":
        reduced = r.copy()
        np.fill_diagonal(reduced, 1.0 - 1.0 / np.diag(_inverse(r)))
        observed = np.linalg.eigvalsh(reduced)[::-1]
    else:
        observed = np.linalg.eigvalsh(r)[::-1]
    rng = np.random.default_rng(seed)
    rand = _random_eigenvalues(ci.n_obs, p, int(n_iter), kind, rng, communality)
    mean = rand.mean(axis=0)
    q = np.quantile(rand, quantile, axis=0) if quantile is not None else np.full(p, np.nan)
    threshold = q if quantile is not None else mean
    beats = observed > threshold
    n_retained = p if beats.all() else int(np.argmin(beats))
    table = pd.DataFrame(
        {
            "factor": np.arange(1, p + 1),
            "observed": observed,
            "random_mean": mean,
            "random_quantile": q,
            "threshold": threshold,
            "retain": np.arange(p) < n_retained,
        }
    )
    return ParallelResult(table, n_retained, kind, int(n_iter), ci.n_obs, communality if kind == "fa" else "none")


def scree_data(
    data: pd.DataFrame,
    items: Sequence[str] | None = None,
    *,
    n_obs: int | None = None,
    nan_policy: NanPolicy = "listwise",
    n_iter: int = 0,
    seed: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """Eigenvalues for a scree plot, optionally with parallel-analysis reference lines.

    Returns
    -------
    pandas.DataFrame
        ``factor`` (1..p), ``eigenvalue`` (of R), ``reduced_eigenvalue`` (SMCs on the
        diagonal, Stata pf); with ``n_iter > 0`` also ``random_pc`` and ``random_fa``, the mean
        eigenvalues of ``n_iter`` random normal data sets of the same size.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> r = pd.DataFrame(np.array([[1, .5], [.5, 1]]), index=["a", "b"], columns=["a", "b"])
    >>> scree_data(r)["eigenvalue"].tolist()
    [1.5, 0.5]
    """
    ci = correlation_input(data, items, n_obs=n_obs, nan_policy=nan_policy)
    r = ci.correlation.to_numpy()
    reduced = r.copy()
    np.fill_diagonal(reduced, 1.0 - 1.0 / np.diag(_inverse(r)))
    p = r.shape[0]
    out = pd.DataFrame(
        {
            "factor": np.arange(1, p + 1),
            "eigenvalue": np.linalg.eigvalsh(r)[::-1],
            "reduced_eigenvalue": np.linalg.eigvalsh(reduced)[::-1],
        }
    )
    if n_iter:
        if ci.n_obs is None:
            raise ValueError("n_obs is required for parallel lines with a correlation matrix")
        rng = np.random.default_rng(seed)
        out["random_pc"] = _random_eigenvalues(ci.n_obs, p, n_iter, "pc", rng).mean(axis=0)
        out["random_fa"] = _random_eigenvalues(ci.n_obs, p, n_iter, "fa", rng).mean(axis=0)
    return out


def _as_frame(x: pd.DataFrame | np.ndarray, name: str) -> pd.DataFrame:
    if isinstance(x, pd.DataFrame):
        return x
    arr = np.asarray(x, dtype=float)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-d loading matrix; got shape {arr.shape}")
    return pd.DataFrame(arr, columns=[f"Factor{j}" for j in range(1, arr.shape[1] + 1)])


def congruence_matrix(
    a: pd.DataFrame | np.ndarray, b: pd.DataFrame | np.ndarray
) -> pd.DataFrame:
    """Tucker's congruence of every pair: ``sum_i a_ij b_ik / sqrt(sum a_ij^2 sum b_ik^2)``.

    Rows of DataFrames are matched by item (index); arrays by position.

    Examples
    --------
    >>> import numpy as np
    >>> congruence_matrix(np.array([[1.0], [0.0]]), np.array([[1.0], [1.0]])).round(4).iloc[0, 0]
    np.float64(0.7071)
    """
    fa, fb = _as_frame(a, "a"), _as_frame(b, "b")
    if isinstance(a, pd.DataFrame) and isinstance(b, pd.DataFrame):
        if set(fa.index) != set(fb.index):
            only = sorted(set(map(str, fa.index)) ^ set(map(str, fb.index)))
            raise InvalidDataError(
                [Problem("loadings", None, None, ", ".join(only[:5]), "the same items in a and b")]
            )
        fb = fb.loc[fa.index]
    elif fa.shape[0] != fb.shape[0]:
        raise ValueError(f"a and b need the same number of rows; got {fa.shape[0]}, {fb.shape[0]}")
    xa, xb = fa.to_numpy(dtype=float), fb.to_numpy(dtype=float)
    denom = np.sqrt(np.outer((xa**2).sum(axis=0), (xb**2).sum(axis=0)))
    return pd.DataFrame(xa.T @ xb / denom, index=fa.columns, columns=fb.columns)


def tucker_congruence(
    a: pd.DataFrame | np.ndarray, b: pd.DataFrame | np.ndarray, match: bool = True
) -> pd.DataFrame:
    """Tucker's congruence per factor between two loading matrices.

    Parameters
    ----------
    a, b : DataFrame or ndarray
        Items x factors loadings (DataFrames are aligned by item).
    match : bool
        Pair the factors of ``b`` to those of ``a`` by the Hungarian algorithm on ``|phi|``
        (maximising the total absolute congruence); otherwise pair them by position.

    Returns
    -------
    pandas.DataFrame
        One row per pair: ``factor_a``, ``factor_b``, ``sign`` (+1/-1: multiply ``b``'s factor
        by it to align) and ``congruence`` (``|phi|``, after sign alignment), in ``a``'s order.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[.8, 0], [.7, .1], [0, .9], [.1, .6]])
    >>> tucker_congruence(a, -a[:, ::-1])[["factor_a", "factor_b", "sign"]].values.tolist()
    [['Factor1', 'Factor2', -1], ['Factor2', 'Factor1', -1]]
    """
    phi = congruence_matrix(a, b)
    m = phi.to_numpy()
    if match:
        rows, cols = linear_sum_assignment(-np.abs(m))
    else:
        n = min(m.shape)
        rows, cols = np.arange(n), np.arange(n)
    vals = m[rows, cols]
    return pd.DataFrame(
        {
            "factor_a": [str(phi.index[i]) for i in rows],
            "factor_b": [str(phi.columns[j]) for j in cols],
            "sign": np.where(vals < 0, -1, 1),
            "congruence": np.abs(vals),
        }
    )
