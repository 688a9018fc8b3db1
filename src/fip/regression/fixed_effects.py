"""OLS with one absorbed fixed effect, exactly as Stata's ``areg y x, absorb(g)``.

The slopes come from the within transformation (each variable minus its group mean plus its
grand mean, Stata's own device), a constant is appended, and the degrees of freedom count
the absorbed effects: with N observations, G groups and k regressors including the constant,
``df_r = N - k - (G - 1)``. Every statistic then equals OLS with an explicit set of group
dummies (tests/test_regression_fixed_effects.py checks this against statsmodels to 1e-8).

Examples
--------
>>> import pandas as pd
>>> from fip.regression import fit_fixed_effects_ols
>>> d = pd.DataFrame({"y": [1.0, 2.0, 4.0, 3.0, 6.0, 5.0], "x": [0.0, 1.0, 2.0, 0.0, 2.0, 1.0],
...                   "cw": ["a", "a", "a", "b", "b", "b"]})
>>> res = fit_fixed_effects_ols(d, "y", ["x"], absorb="cw")
>>> round(float(res.params["x"]), 6), res.n_obs, res.n_groups, res.df_resid
(1.5, 6, 2, 3)
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import linalg, stats

from fip._options import check_option
from fip.errors import CollinearityWarning, InvalidDataError, Problem

__all__ = [
    "CollinearityWarning",
    "FixedEffectsResult",
    "VCE_TYPES",
    "fit_fixed_effects_ols",
    "fit_fixed_effects_outcomes",
]

Vce = Literal["ols", "robust", "cluster"]
#: Variance estimators: iid (areg default), HC1 (``vce(robust)``), one-way cluster.
VCE_TYPES: tuple[str, ...] = ("ols", "robust", "cluster")

#: A regressor is dropped as collinear when, after absorbing the fixed effect and the
#: regressors before it, less than this share of its (centred) sum of squares is left.
COLLINEARITY_TOLERANCE = 1e-9

CONSTANT = "_cons"


@dataclass(frozen=True, eq=False)
class FixedEffectsResult:
    """Result of :func:`fit_fixed_effects_ols` (Stata ``areg`` conventions).

    Attributes
    ----------
    outcome : str
    terms : tuple of str
        Estimated terms in order: the kept regressors then ``_cons``.
    params, bse, tvalues, pvalues : Series
        Indexed by term (``_cons`` last): coefficient, standard error, t statistic, two-sided p.
    conf_int : DataFrame
        Columns ``ci_low``, ``ci_high`` (95 %, t with ``df_inference`` df), indexed by term.
    cov : DataFrame
        Variance matrix of the estimates (terms x terms).
    n_obs, n_groups : int
        Observations used and groups absorbed (singleton groups count).
    n_singletons : int
        Groups with one observation (kept, as areg does; they fit their observation exactly).
    n_missing : int
        Rows dropped because a used column was missing (listwise deletion).
    df_resid : int
        ``N - k - (G - 1)``.
    df_inference : int
        Degrees of freedom of the t distribution: ``df_resid``, or ``M - 1`` with clusters.
    r2, adj_r2 : float
        ``1 - RSS / sum((y - mean(y))**2)`` (absorbed effects count as fit) and
        ``1 - (1 - r2)(N - 1)/df_resid``.
    within_r2 : float
        ``1 - RSS / sum((y - group mean)**2)`` (xtreg/fixest "within R²", a different statistic).
    rss : float
        Residual sum of squares.
    vce : str
        ``"ols"``, ``"robust"`` or ``"cluster"``.
    cluster : str or None
        Cluster variable, ``n_clusters`` its number of clusters (None unless ``vce="cluster"``).
    absorb : str
    dropped : tuple of str
        Regressors omitted because of collinearity.
    """

    outcome: str
    terms: tuple[str, ...]
    params: pd.Series
    bse: pd.Series
    tvalues: pd.Series
    pvalues: pd.Series
    conf_int: pd.DataFrame
    cov: pd.DataFrame
    n_obs: int
    n_groups: int
    n_singletons: int
    n_missing: int
    df_resid: int
    df_inference: int
    r2: float
    adj_r2: float
    within_r2: float
    rss: float
    vce: str
    absorb: str
    cluster: str | None = None
    n_clusters: int | None = None
    dropped: tuple[str, ...] = field(default_factory=tuple)

    def tidy(self) -> pd.DataFrame:
        """One row per term: ``term``, ``coef``, ``se``, ``t``, ``p``, ``ci_low``, ``ci_high``."""
        return pd.DataFrame(
            {
                "term": list(self.terms),
                "coef": self.params.to_numpy(),
                "se": self.bse.to_numpy(),
                "t": self.tvalues.to_numpy(),
                "p": self.pvalues.to_numpy(),
                "ci_low": self.conf_int["ci_low"].to_numpy(),
                "ci_high": self.conf_int["ci_high"].to_numpy(),
            }
        )


def _problem(column: str | None, value: str | None, expected: str) -> InvalidDataError:
    return InvalidDataError([Problem("data", None, column, value, expected)])


def _numeric(data: pd.DataFrame, column: str) -> np.ndarray:
    s = data[column]
    if s.dtype == np.float64:  # most columns: no astype copy (a fifth of the time of run_family)
        return s.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("float64").to_numpy(dtype=np.float64, na_value=np.nan)
    if not pd.api.types.is_numeric_dtype(s.dtype):
        raise _problem(column, str(s.dtype), "a numeric column (numbers, booleans or 0/1 dummies)")
    return s.astype("float64").to_numpy(dtype=np.float64, na_value=np.nan)


def _codes(values: pd.Series) -> tuple[np.ndarray, int]:
    codes, uniques = pd.factorize(values, sort=False)
    return codes.astype(np.intp), len(uniques)


@dataclass(frozen=True, eq=False)
class _Design:
    """The within-transformed design of one sample, shared by several outcomes."""

    rows: np.ndarray        # boolean mask of the rows used
    group: np.ndarray       # group codes 0..G-1 of the used rows
    n_groups: int
    counts: np.ndarray      # observations per group
    terms: tuple[str, ...]  # kept regressors + _cons
    dropped: tuple[str, ...]
    x: np.ndarray           # (N, k) transformed regressors with the constant column last
    q: np.ndarray           # reduced QR of x
    r: np.ndarray
    xtx_inv: np.ndarray
    cluster: np.ndarray | None
    n_clusters: int | None


def _group_means(values: np.ndarray, group: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Means per group of each column of ``values`` (shape (G, p))."""
    out = np.empty((len(counts), values.shape[1]))
    for j in range(values.shape[1]):
        out[:, j] = np.bincount(group, weights=values[:, j], minlength=len(counts))
    return out / counts[:, None]


def _keep_independent(xw: np.ndarray, centred_ss: np.ndarray) -> list[int]:
    """Columns kept in order, dropping any whose residual on the earlier kept ones is ~0.

    An incremental Cholesky of ``xw'xw`` (``xw``: within-transformed, so the fixed effects
    are already partialled out): column j's pivot is its residual sum of squares after the
    fixed effect and the kept columns before it, as Stata's ``_rmcoll`` keeps the first of
    a collinear set.
    """
    a = xw.T @ xw
    kept: list[int] = []
    chol = np.zeros_like(a)
    for j in range(a.shape[0]):
        if kept:
            lk = chol[np.ix_(kept, kept)]
            c = linalg.solve_triangular(lk, a[kept, j], lower=True)
            pivot = a[j, j] - c @ c
        else:
            c = np.zeros(0)
            pivot = a[j, j]
        if centred_ss[j] <= 0 or pivot <= COLLINEARITY_TOLERANCE * centred_ss[j]:
            continue
        chol[j, kept] = c
        chol[j, j] = np.sqrt(pivot)
        kept.append(j)
    return kept


def _design(
    data: pd.DataFrame,
    used: Sequence[str],
    regressors: Sequence[str],
    absorb: str,
    cluster: str | None,
) -> _Design:
    missing = [c for c in dict.fromkeys([*used, absorb, *([cluster] if cluster else [])]) if c not in data.columns]
    if missing:
        raise _problem(", ".join(missing), None, "column(s) present in the data")
    if len(set(regressors)) != len(regressors):
        dup = sorted({r for r in regressors if list(regressors).count(r) > 1})
        raise _problem(", ".join(dup), None, "each regressor listed once")
    values = np.column_stack([_numeric(data, c) for c in used]) if used else np.empty((len(data), 0))
    ok = ~np.isnan(values).any(axis=1) & data[absorb].notna().to_numpy()
    if cluster is not None:
        ok &= data[cluster].notna().to_numpy()
    group, n_groups = _codes(data[absorb][ok].reset_index(drop=True))
    counts = np.bincount(group, minlength=n_groups).astype(np.float64)
    v = values[ok]
    n = v.shape[0]
    n_reg = len(regressors)
    xr = v[:, -n_reg:] if n_reg else np.empty((n, 0))
    grand = xr.mean(axis=0) if n else np.zeros(n_reg)
    xw = xr - _group_means(xr, group, counts)[group] if n_reg else xr
    centred_ss = ((xr - grand) ** 2).sum(axis=0)
    kept = _keep_independent(xw, centred_ss)
    dropped = tuple(regressors[j] for j in range(n_reg) if j not in kept)
    if dropped:
        warnings.warn(
            f"omitted because of collinearity with the fixed effect {absorb!r} or earlier regressors: "
            + ", ".join(dropped),
            CollinearityWarning,
            stacklevel=3,
        )
    x = np.column_stack([xw[:, kept] + grand[kept], np.ones(n)])
    k = x.shape[1]
    if n - k - (n_groups - 1) <= 0:
        raise _problem(None, f"N={n}, G={n_groups}, k={k}",
                       "more observations than regressors plus absorbed groups (N - k - (G - 1) > 0)")
    q, r = np.linalg.qr(x)
    r_inv = linalg.solve_triangular(r, np.eye(k))
    cl_codes, n_cl = (None, None)
    if cluster is not None:
        cl_codes, n_cl = _codes(data[cluster][ok].reset_index(drop=True))
        if n_cl < 2:
            raise _problem(cluster, str(n_cl), "at least 2 clusters")
    design = _Design(
        rows=ok, group=group, n_groups=n_groups, counts=counts,
        terms=tuple(regressors[j] for j in kept) + (CONSTANT,), dropped=dropped,
        x=x, q=q, r=r, xtx_inv=r_inv @ r_inv.T, cluster=cl_codes, n_clusters=n_cl,
    )
    return design


def _fit(design: _Design, y: np.ndarray, outcome: str, vce: str, absorb: str,
         cluster: str | None, n_missing: int) -> FixedEffectsResult:
    d = design
    n, k = d.x.shape
    g = d.n_groups
    ybar_g = np.bincount(d.group, weights=y, minlength=g) / d.counts
    ybar = y.mean()
    yw = y - ybar_g[d.group] + ybar
    beta = linalg.solve_triangular(d.r, d.q.T @ yw)
    resid = yw - d.x @ beta
    rss = float(resid @ resid)
    df_r = n - k - (g - 1)
    tss = float(((y - ybar) ** 2).sum())
    tss_within = float(((yw - ybar) ** 2).sum())
    r2 = 1.0 - rss / tss if tss > 0 else np.nan
    adj_r2 = 1.0 - (1.0 - r2) * (n - 1) / df_r
    within_r2 = 1.0 - rss / tss_within if tss_within > 0 else np.nan
    df_inf = df_r
    if vce == "ols":
        cov = d.xtx_inv * (rss / df_r)
    elif vce == "robust":
        xu = d.x * resid[:, None]
        cov = d.xtx_inv @ (xu.T @ xu) @ d.xtx_inv * (n / df_r)
    else:
        m = int(d.n_clusters)
        xu = d.x * resid[:, None]
        scores = np.empty((m, k))
        for j in range(k):
            scores[:, j] = np.bincount(d.cluster, weights=xu[:, j], minlength=m)
        factor = (m / (m - 1)) * ((n - 1) / df_r)
        cov = d.xtx_inv @ (scores.T @ scores) @ d.xtx_inv * factor
        df_inf = m - 1
    se = np.sqrt(np.diag(cov))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = beta / se
    p = 2.0 * stats.t.sf(np.abs(t), df_inf)
    crit = stats.t.ppf(0.975, df_inf)
    idx = pd.Index(d.terms, name="term")
    return FixedEffectsResult(
        outcome=outcome, terms=d.terms,
        params=pd.Series(beta, index=idx, name="coef"),
        bse=pd.Series(se, index=idx, name="se"),
        tvalues=pd.Series(t, index=idx, name="t"),
        pvalues=pd.Series(p, index=idx, name="p"),
        conf_int=pd.DataFrame({"ci_low": beta - crit * se, "ci_high": beta + crit * se}, index=idx),
        cov=pd.DataFrame(cov, index=idx, columns=idx),
        n_obs=n, n_groups=g, n_singletons=int((d.counts == 1).sum()), n_missing=n_missing,
        df_resid=df_r, df_inference=int(df_inf), r2=float(r2), adj_r2=float(adj_r2),
        within_r2=float(within_r2), rss=rss, vce=vce, absorb=absorb,
        cluster=cluster if vce == "cluster" else None,
        n_clusters=d.n_clusters if vce == "cluster" else None, dropped=d.dropped,
    )


def _check(vce: str, cluster: str | None, absorb: str) -> str | None:
    check_option("vce", vce, VCE_TYPES)
    if vce == "cluster":
        return cluster if cluster is not None else absorb
    if cluster is not None:
        raise ValueError(f"cluster={cluster!r} needs vce='cluster'; got vce={vce!r}")
    return None


def fit_fixed_effects_outcomes(
    data: pd.DataFrame,
    outcomes: Sequence[str],
    regressors: Sequence[str],
    controls: Sequence[str] = (),
    *,
    absorb: str = "caseworker_id",
    vce: Vce = "ols",
    cluster: str | None = None,
) -> Mapping[str, FixedEffectsResult]:
    """Fit the same model to several outcomes, reusing the within transformation.

    Each outcome gets its own listwise deletion; outcomes with the same missing rows share
    one transformed design and its QR decomposition (the expensive part).

    Parameters
    ----------
    data, regressors, controls, absorb, vce, cluster
        As in :func:`fit_fixed_effects_ols`.
    outcomes : sequence of str
        Outcome columns.

    Returns
    -------
    dict
        Outcome name -> :class:`FixedEffectsResult`, in the order given.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"y1": [1.0, 2, 4, 3, 6, 5], "y2": [0.0, 1, 1, 0, 1, 1],
    ...                   "x": [0.0, 1, 2, 0, 2, 1], "g": list("aaabbb")})
    >>> fits = fit_fixed_effects_outcomes(d, ["y1", "y2"], ["x"], absorb="g")
    >>> [round(float(f.params["x"]), 3) for f in fits.values()]
    [1.5, 0.5]
    """
    cluster_col = _check(vce, cluster, absorb)
    terms = list(regressors) + [c for c in controls if c not in regressors]
    out: dict[str, FixedEffectsResult] = {}
    cache: dict[bytes, tuple[_Design, int]] = {}
    for outcome in outcomes:
        if outcome not in data.columns:
            raise _problem(outcome, None, "the outcome column present in the data")
        y_all = _numeric(data, outcome)
        key = np.isnan(y_all).tobytes() if np.isnan(y_all).any() else b""
        if key not in cache:
            keep = ~np.isnan(y_all)
            sub = data if keep.all() else data.loc[keep]
            design = _design(sub, terms, terms, absorb, cluster_col)
            n_missing = len(data) - int(design.rows.sum())
            cache[key] = (design, n_missing)
        design, n_missing = cache[key]
        y = y_all[~np.isnan(y_all)][design.rows]
        out[outcome] = _fit(design, y, outcome, vce, absorb, cluster_col, n_missing)
    return out


def fit_fixed_effects_ols(
    data: pd.DataFrame,
    outcome: str,
    regressors: Sequence[str],
    controls: Sequence[str] = (),
    *,
    absorb: str = "caseworker_id",
    vce: Vce = "ols",
    cluster: str | None = None,
) -> FixedEffectsResult:
    """OLS of ``outcome`` on ``regressors`` and ``controls`` absorbing ``absorb`` (Stata areg).

    Parameters
    ----------
    data : DataFrame
        One row per observation; numeric or boolean outcome and regressor columns.
    outcome : str
    regressors : sequence of str
        Regressors of interest; ``controls`` are appended after them (same treatment, kept
        separate so model families can say which terms are controls).
    controls : sequence of str
    absorb : str
        Column whose groups are absorbed (default the caseworker).
    vce : {"ols", "robust", "cluster"}
        ``"ols"``: iid (areg default); ``"robust"``: HC1 with areg's df; ``"cluster"``:
        one-way clustered by ``cluster`` (default: the ``absorb`` column).
    cluster : str, optional
        Cluster column (only with ``vce="cluster"``).

    Returns
    -------
    FixedEffectsResult

    Raises
    ------
    InvalidDataError
        A column is missing or not numeric, or too few observations for the parameters.
    ValueError
        Unknown ``vce``, or ``cluster`` without ``vce="cluster"``.

    Warns
    -----
    CollinearityWarning
        Naming regressors omitted because of collinearity (Stata omits them too).

    Notes
    -----
    Matches Stata ``areg`` (and OLS with explicit group dummies) exactly:

    * Rows with a missing outcome, regressor, group or cluster value are dropped
      (``n_missing`` says how many). Singleton groups are kept and count in G.
    * ``df_r = N - k - (G - 1)``, k counting the constant; ``r2`` counts the absorbed effects
      as fit; ``adj_r2 = 1 - (1 - r2)(N - 1)/df_r``; ``within_r2`` is reported separately.
    * ``_cons`` is ``mean(y) - mean(x)'b`` with its areg standard error (regression of the
      within-transformed variables plus their grand means on a constant).
    * ``vce="robust"``: HC1, ``N/df_r`` times the sandwich. ``vce="cluster"``: the sandwich of
      cluster score sums times ``(M/(M-1))((N-1)/df_r)``: the absorbed effects count even when
      groups are nested in clusters (reghdfe and fixest do not count them; their cluster SEs are
      smaller). p values and intervals use t with ``df_r``, or ``M - 1`` with clusters.
    * Collinear regressors are dropped in order (the later of a collinear set), with a warning.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"y": [1.0, 2.0, 4.0, 3.0, 6.0, 5.0], "x": [0.0, 1.0, 2.0, 0.0, 2.0, 1.0],
    ...                   "g": ["a", "a", "a", "b", "b", "b"]})
    >>> fit_fixed_effects_ols(d, "y", ["x"], absorb="g").tidy()[["term", "coef"]].round(4)
        term  coef
    0      x   1.5
    1  _cons   2.0
    """
    return fit_fixed_effects_outcomes(
        data, [outcome], regressors, controls, absorb=absorb, vce=vce, cluster=cluster
    )[outcome]
