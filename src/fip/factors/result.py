"""``factor_analysis``: the entry point, and its frozen :class:`FactorResult`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd
from scipy.stats import chi2

from fip._tidy import ScalarTidy
from fip._options import check_option
from fip.factors._input import NanPolicy, correlation_input
from fip.factors.extraction import METHODS, Method, extract, reduced_eigenvalues
from fip.factors.rotation import OBLIQUE, ROTATIONS, Rotation, normalise_columns, rotate_loadings

__all__ = ["FactorResult", "LRTest", "Retain", "factor_analysis", "variance_table"]

Retain = Literal["positive", "kaiser", "parallel", "all"]
RETAIN: tuple[str, ...] = ("positive", "kaiser", "parallel", "all")
# Stata's default retention per method: mineigen(0) for the common-factor methods (factors
# with positive eigenvalues), mineigen(1) for pcf; pca keeps every component.
_DEFAULT_RETAIN: dict[str, str] = {
    "pf": "positive",
    "ipf": "positive",
    "minres": "positive",
    "ml": "positive",
    "pcf": "kaiser",
    "pca": "all",
}


def _factor_names(k: int) -> list[str]:
    return [f"Factor{j}" for j in range(1, k + 1)]


def variance_table(
    values: Sequence[float], total: float, *, rotated: bool = False
) -> pd.DataFrame:
    """Stata's factor variance table.

    Parameters
    ----------
    values : sequence of float
        Eigenvalues (unrotated) or variances of the rotated factors, in print order.
    total : float
        Denominator of Proportion. Stata pf: the sum of *all* eigenvalues of the reduced
        matrix, negative ones included, so Cumulative can pass 1 and ends at exactly 1.
    rotated : bool
        Name the value column ``variance`` (Stata's header after ``rotate``) instead of
        ``eigenvalue``.

    Returns
    -------
    pandas.DataFrame
        Columns ``factor``, ``eigenvalue`` (or ``variance``), ``difference`` (to the next row;
        NaN on the last), ``proportion``, ``cumulative``.

    Examples
    --------
    Stata's printed ``factor bg2cost1-bg2cost6, factors(2)`` eigenvalues:

    >>> t = variance_table([0.85389, 0.54107, 0.02321, -0.14967, -0.18918, -0.25115], 0.82817)
    >>> t["proportion"].round(3).tolist()[:2], round(float(t["cumulative"].iloc[-1]), 4)
    ([1.031, 0.653], 1.0)
    """
    v = np.asarray(values, dtype=float)
    diff = np.append(v[:-1] - v[1:], np.nan)
    prop = v / total
    return pd.DataFrame(
        {
            "factor": _factor_names(len(v)),
            "variance" if rotated else "eigenvalue": v,
            "difference": diff,
            "proportion": prop,
            "cumulative": np.cumsum(prop),
        }
    )


@dataclass(frozen=True)
class LRTest(ScalarTidy):
    """Likelihood-ratio test of ``k`` factors against the saturated model (ML only).

    ``chi2 = (n - 1 - (2p + 5)/6 - 2k/3) * F`` with Bartlett's correction, as
    ``stats::factanal``; ``df = ((p - k)^2 - (p + k)) / 2``.
    """

    chi2: float
    df: int
    p_value: float


@dataclass(frozen=True)
class FactorResult:
    """A factor solution (frozen; :meth:`rotate` returns a new one).

    Attributes
    ----------
    loadings : pandas.DataFrame
        Items x factors (``Factor1``...); pattern loadings after an oblique rotation.
    uniqueness, communality : pandas.Series
        By item; ``communality = 1 - uniqueness``; unchanged by rotation.
    eigenvalues : pandas.Series
        All eigenvalues (descending) of the decomposed matrix, indexed ``Factor1``...: pf: R
        with SMCs on the diagonal; ipf/minres/ml: R with the final communalities; pcf/pca: R.
    variance : pandas.DataFrame
        Stata's table (see :func:`variance_table`); unrotated pf/ipf/pcf/pca list every
        eigenvalue, minres/ml the retained factors; rotated solutions the rotated variances
        (column sums of squared loadings) over the same denominator as unrotated.
    method, rotation : str, str or None
    n_obs : int or None
        Rows used (listwise) or the ``n_obs`` given with a correlation matrix.
    correlation : pandas.DataFrame
    rotation_matrix : pandas.DataFrame or None
        ``T`` with ``loadings = unrotated @ T`` (rows: unrotated factors).
    factor_correlation : pandas.DataFrame or None
        ``Phi`` for oblique rotations.
    converged : bool
        Whether the extraction's iterations (ipf, minres, ml) converged.
    lr_test : LRTest or None
        ML with a known ``n_obs``: the test of ``k`` factors vs the saturated model. (Stata's
        "independent vs. saturated" line is :func:`fip.factors.bartlett_sphericity`.)
    """

    loadings: pd.DataFrame
    uniqueness: pd.Series
    communality: pd.Series
    eigenvalues: pd.Series
    variance: pd.DataFrame
    method: str
    rotation: str | None
    n_obs: int | None
    correlation: pd.DataFrame
    rotation_matrix: pd.DataFrame | None = None
    factor_correlation: pd.DataFrame | None = None
    converged: bool = True
    lr_test: LRTest | None = None
    unrotated_loadings: pd.DataFrame | None = field(default=None, repr=False)
    variance_total: float = field(default=float("nan"), repr=False)

    def tidy(self) -> pd.DataFrame:
        """Loadings in long form: ``item``, ``factor``, ``loading``, ``communality``, ``uniqueness``
        (one row per item and factor, items in input order; as lavaan's and broom's tidy output)."""
        long = self.loadings.rename_axis("item").reset_index().melt(id_vars="item", var_name="factor",
                                                                     value_name="loading")
        long["communality"] = long["item"].map(self.communality).to_numpy(dtype="float64")
        long["uniqueness"] = long["item"].map(self.uniqueness).to_numpy(dtype="float64")
        return long

    @property
    def n_factors(self) -> int:
        """Number of retained factors."""
        return self.loadings.shape[1]

    @property
    def structure(self) -> pd.DataFrame:
        """Structure matrix (item-factor correlations) ``loadings @ Phi``."""
        if self.factor_correlation is None:
            return self.loadings.copy()
        return self.loadings @ self.factor_correlation

    def rotate(self, method: Rotation = "varimax", **kwargs: float) -> FactorResult:
        """Rotate the unrotated solution (like Stata, rotating again starts from the unrotated).

        Parameters
        ----------
        method : {"varimax", "varimax_kaiser", "promax", "promax_kaiser", "oblimin"}
            See :func:`fip.factors.rotate_loadings`; ``power`` (promax) and ``gamma``
            (oblimin) go in ``kwargs``.

        Returns
        -------
        FactorResult
        """
        check_option("rotation", method, ROTATIONS)
        base = self.unrotated_loadings if self.unrotated_loadings is not None else self.loadings
        out = rotate_loadings(base.to_numpy(), method, **kwargs)
        loadings, matrix, phi = normalise_columns(out.loadings, out.matrix, out.phi)
        names = _factor_names(loadings.shape[1])
        ss = np.sum(loadings**2, axis=0)
        return replace(
            self,
            loadings=pd.DataFrame(loadings, index=base.index, columns=names),
            variance=variance_table(ss, self.variance_total, rotated=True),
            rotation=method,
            rotation_matrix=pd.DataFrame(matrix, index=base.columns, columns=names),
            factor_correlation=None
            if phi is None
            else pd.DataFrame(phi, index=names, columns=names),
            unrotated_loadings=base,
        )


def _n_retained(
    eig_for_rule: np.ndarray, unreduced: np.ndarray, retain: str, parallel: int | None
) -> int:
    if retain == "positive":
        return int(np.sum(eig_for_rule > 0))
    if retain == "kaiser":
        return int(np.sum(unreduced > 1))
    if retain == "all":
        return len(unreduced)
    if parallel is None:  # pragma: no cover - the caller computes it for retain="parallel"
        raise RuntimeError("parallel analysis result missing")
    return parallel


def factor_analysis(
    data: pd.DataFrame,
    n_factors: int | None = None,
    method: Method = "pf",
    rotation: Rotation | None = None,
    items: Sequence[str] | None = None,
    *,
    n_obs: int | None = None,
    nan_policy: NanPolicy = "listwise",
    retain: Retain | None = None,
    seed: int | np.random.Generator | None = None,
) -> FactorResult:
    """Exploratory factor analysis with Stata's defaults (``factor``, then ``rotate``).

    Parameters
    ----------
    data : pandas.DataFrame
        Item scores (columns = items, any questionnaire) or a square correlation matrix (index
        equal to columns; give ``n_obs`` for tests and parallel analysis).
    n_factors : int, optional
        Number of factors to keep; overrides ``retain``.
    method : {"pf", "ipf", "minres", "ml", "pcf", "pca"}
        ``pf`` Stata's default principal factor (SMCs, one eigen-decomposition); ``ipf``
        iterated principal factor (= psych ``fa(fm="pa")`` to convergence; warns
        :class:`HeywoodCaseWarning` when a communality reaches 1); ``minres`` (= psych
        ``fm="minres"``); ``ml`` maximum likelihood (= ``stats::factanal``); ``pcf``
        principal-component factors (Stata ``factor, pcf``; = ``psych::principal``);
        ``pca`` principal components as component loadings (eigenvectors x sqrt(eigenvalue)),
        all kept by default.
    rotation : {"varimax", "varimax_kaiser", "promax", "promax_kaiser", "oblimin"}, optional
        Applied after extraction (see :meth:`FactorResult.rotate`). ``varimax`` is Stata's
        ``rotate`` default (unnormalised, "Kaiser off").
    items : sequence of str, optional
        Subset and order of the item columns.
    n_obs : int, optional
        Observations behind a correlation-matrix input.
    nan_policy : {"listwise", "pairwise", "raise"}
        Missing answers; ``listwise`` is Stata's behaviour.
    retain : {"positive", "kaiser", "parallel", "all"}, optional
        Retention rule when ``n_factors`` is not given. Default is Stata's per method:
        ``positive`` (eigenvalues of the SMC-reduced matrix > 0) for pf/ipf/minres/ml,
        ``kaiser`` (eigenvalues of R > 1; Stata ``pcf`` uses mineigen(1)) for pcf, ``all`` for
        pca. ``parallel`` keeps the factors whose eigenvalue beats the mean from random
        normal data (:func:`fip.factors.parallel_analysis`, seeded by ``seed``).
    seed : int or numpy.random.Generator, optional
        Seed for ``retain="parallel"``.

    Returns
    -------
    FactorResult

    Raises
    ------
    fip.errors.InvalidDataError
        Non-numeric answers, constant items, a malformed correlation matrix.
    ValueError
        A bad option, or too many factors.

    Notes
    -----
    Conventions: each factor is flipped so that its loadings sum to >= 0 and factors are
    ordered by explained variance (sum of squared loadings); Stata does not flip signs, so a
    column may print with the opposite sign in Stata. Proportion (pf) is eigenvalue / sum of
    all eigenvalues of the reduced matrix, negative ones included (Stata).

    Measured against R (tests/reference/factors): pf and pcf loadings 1e-14 (psych ``pa``
    stopped after one step, ``principal``), ipf 2e-10 (psych ``pa`` iterated), minres and ml
    1.3e-8 (tight-tolerance optim / ``factanal``; psych's own defaults are ~2e-5 off), varimax,
    varimax_kaiser, promax, oblimin <= 3e-7 (GPArotation, ``stats``). Not checked against
    Stata itself (no Stata here): the ml/minres variance table (retained factors, Proportion
    over their total), Stata's promax normalisation (assumed equal to R's formula) and
    ordering of rotated factors.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> L = np.array([[.8, 0], [.7, 0], [.6, .1], [0, .8], [.1, .7], [0, .6]])
    >>> R = L @ L.T
    >>> np.fill_diagonal(R, 1.0)
    >>> names = [f"x{i}" for i in range(1, 7)]
    >>> res = factor_analysis(pd.DataFrame(R, index=names, columns=names), n_factors=2,
    ...                       rotation="varimax")
    >>> res.loadings.shape, res.rotation
    ((6, 2), 'varimax')
    """
    check_option("method", method, METHODS)
    if rotation is not None:
        check_option("rotation", rotation, ROTATIONS)
    retain = _DEFAULT_RETAIN[method] if retain is None else retain
    check_option("retain", retain, RETAIN)
    ci = correlation_input(data, items, n_obs=n_obs, nan_policy=nan_policy)
    corr = ci.correlation.to_numpy()
    names = list(ci.correlation.columns)
    p = len(names)
    try:
        reduced = reduced_eigenvalues(corr)
    except np.linalg.LinAlgError as exc:
        raise ValueError(
            "the correlation matrix is singular (an item is a linear combination of others); "
            "drop redundant items"
        ) from exc
    unreduced = np.linalg.eigvalsh(corr)[::-1]
    common = method in ("pf", "ipf", "minres", "ml")
    if n_factors is not None:
        if int(n_factors) != n_factors or not 1 <= n_factors <= p:
            raise ValueError(f"n_factors must be an integer between 1 and {p}; got {n_factors!r}")
        k = int(n_factors)
    else:
        parallel = None
        if retain == "parallel":
            if ci.n_obs is None:
                raise ValueError("retain='parallel' needs n_obs with a correlation matrix")
            from fip.factors.diagnostics import parallel_analysis

            pa = parallel_analysis(
                ci.correlation, n_obs=ci.n_obs, kind="fa" if common else "pc", seed=seed
            )
            parallel = pa.n_retained
        k = _n_retained(reduced if common else unreduced, unreduced, retain, parallel)
        if k < 1:
            raise ValueError(f"retain={retain!r} keeps no factors; pass n_factors")
    ext = extract(corr, k, method, names)
    loadings, _, _ = normalise_columns(ext.loadings)
    fnames = _factor_names(k)
    communality = np.sum(loadings**2, axis=1)
    ss = np.sum(loadings**2, axis=0)
    shown = ext.eigenvalues if ext.list_all else ss
    lr = None
    if ext.discrepancy is not None and ci.n_obs is not None:
        df = ((p - k) ** 2 - (p + k)) // 2
        stat = (ci.n_obs - 1 - (2 * p + 5) / 6 - 2 * k / 3) * ext.discrepancy
        lr = LRTest(float(stat), int(df), float(chi2.sf(stat, df)) if df > 0 else float("nan"))
    result = FactorResult(
        loadings=pd.DataFrame(loadings, index=names, columns=fnames),
        uniqueness=pd.Series(1.0 - communality, index=names, name="uniqueness"),
        communality=pd.Series(communality, index=names, name="communality"),
        eigenvalues=pd.Series(ext.eigenvalues, index=_factor_names(p), name="eigenvalue"),
        variance=variance_table(shown, ext.total),
        method=method,
        rotation=None,
        n_obs=ci.n_obs,
        correlation=ci.correlation,
        converged=ext.converged,
        lr_test=lr,
        variance_total=ext.total,
    )
    if rotation is not None:
        return result.rotate(rotation)
    return result
