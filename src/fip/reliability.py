"""Reliability of an index: Cronbach's alpha with CI, McDonald's omega, item statistics.

Conventions
-----------
* Cronbach's alpha, ``alpha = k/(k-1) · (1 − Σ var_i / var(Σ items))`` =
  ``k/(k-1) · (1 − tr C / 1′C1)``, by ``convention`` (each checked against its reference in
  ``tests/reference/anyinst/``):

  - ``casewise`` (default): covariances of the complete rows, items as keyed: Stata
    ``alpha, asis casewise`` (with ``reverse()`` for the keys) and psych
    ``alpha(na.omit(x), keys)`` raw_alpha.
  - ``psych``: pairwise-complete covariances, items as keyed: psych ``alpha(x, keys)``'s
    default (``use = "pairwise"``). ``nan_policy="pairwise"`` selects it.
  - ``stata``: Stata's plain ``alpha``: the mean inter-item covariance and the mean variance
    are weighted by their pairwise numbers of observations, ``alpha = k c̄ / (v̄ + (k − 1) c̄)``,
    and a negative alpha is missing; without ``reverse`` the signs are chosen as Stata does
    (an item is reversed when it correlates negatively with the regression score of the
    first principal factor of the complete rows, i.e. when its first unrotated ``pf``
    loading is negative); with ``reverse``, exactly those items (Stata ``alpha,
    reverse()``). ``stata_asis``: the same without any automatic reversal (``alpha, asis``).
    With complete data ``stata_asis`` = ``psych`` = ``casewise``.

  The 95 % interval is Feldt's (1965), as pingouin gives it:
  ``1 − (1 − alpha) · F(1 − c/2; n − 1, (n − 1)(k − 1))`` and the same with ``c/2``, with
  ``n`` the rows used (complete rows, or rows with at least one answer).
* Item-rest correlation: Pearson correlation of an item with the sum of the other items
  (psych ``r.drop``, Stata ``alpha, item`` "item-rest correlation").
* McDonald's omega total as R ``psych::omega`` computes it, from a one-factor minres model
  of the correlation matrix R: ``ω_t = (1′R1 − Σψ) / 1′R1`` with ψ the uniquenesses (the
  observed total variance in the denominator, not the model-implied ``(Σλ)² + Σψ``).
* Reverse keys: an index's ``reverse`` items are reversed before alpha, omega, the mean
  inter-item correlation and the item-rest statistics (psych ``keys``, Stata ``alpha,
  reverse()``). Omega does **not** flip by itself (psych ``omega(flip = FALSE)``; psych's
  default ``flip = TRUE`` reverses items loading negatively), and only the ``stata``
  convention of alpha chooses signs by itself; :func:`reliability_table` warns
  (:class:`~fip.errors.ReverseKeyWarning`) naming items whose item-rest correlation is
  negative, which is what an unreversed negatively keyed item gives.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from fip._tidy import ScalarTidy
from fip.errors import HeywoodCaseWarning, ReverseKeyWarning
from fip.indices import IndexDefinition, reverse_keyed

__all__ = ["AlphaResult", "cronbach_alpha", "item_rest_statistics", "omega_total", "protect_reliability",
           "reliability_table"]


@dataclass(frozen=True)
class AlphaResult(ScalarTidy):
    """Cronbach's alpha with its Feldt confidence interval and the rows used (``.tidy()``: one row)."""

    alpha: float
    ci_low: float
    ci_high: float
    n_obs: int
    n_items: int
    confidence: float
    convention: str = "casewise"
    reversed: str = ""  # items reversed (space-separated): the keys, or Stata's own choice


def _complete(items: pd.DataFrame) -> np.ndarray:
    values = items.astype("float64").dropna().to_numpy()
    if values.shape[1] < 2:
        raise ValueError(f"reliability needs at least 2 items; got {values.shape[1]}")
    if values.shape[0] < 3:
        raise ValueError(f"reliability needs at least 3 complete rows; got {values.shape[0]}")
    return values


def _alpha(values: np.ndarray) -> float:
    k = values.shape[1]
    item_var = values.var(axis=0, ddof=1).sum()
    total_var = values.sum(axis=1).var(ddof=1)
    return k / (k - 1) * (1 - item_var / total_var)


def _pairwise(items: pd.DataFrame) -> tuple[np.ndarray, int]:
    """Pairwise-complete covariance matrix of ``items`` and the rows with any answer."""
    values = items.astype("float64")
    if values.shape[1] < 2:
        raise ValueError(f"reliability needs at least 2 items; got {values.shape[1]}")
    n = int(values.notna().any(axis=1).sum())
    if n < 3:
        raise ValueError(f"reliability needs at least 3 rows with answers; got {n}")
    cov = values.cov(min_periods=2).to_numpy()
    if np.isnan(cov).any():
        raise ValueError("pairwise alpha needs every pair of items answered together at least twice")
    return cov, n


def _alpha_cov(cov: np.ndarray) -> float:
    k = cov.shape[0]
    return k / (k - 1) * (1 - np.trace(cov) / cov.sum())


ALPHA_CONVENTIONS = ("casewise", "psych", "stata", "stata_asis")


def _stata_signs(values: pd.DataFrame) -> list[str]:
    """Items Stata's ``alpha`` reverses by itself: negative first unrotated ``pf`` loading
    (the sign of the item's correlation with the first factor's regression score) on the
    complete rows. The factor's own sign does not matter: reversing every item leaves alpha."""
    from fip.factors import factor_analysis

    complete = values.dropna()
    if len(complete) < 3:
        raise ValueError("Stata's automatic signs need at least 3 complete rows; give reverse or use stata_asis")
    fit = factor_analysis(complete, method="pf", rotation=None)
    first = fit.loadings.iloc[:, 0]
    return [str(i) for i in first.index if first[i] < 0]


def _stata_alpha(values: pd.DataFrame) -> tuple[float, int]:
    """Stata ``alpha``'s pairwise computation: count-weighted mean covariance and variance."""
    x = values.to_numpy(dtype="float64")
    k = x.shape[1]
    rows = ~np.isnan(x).all(axis=1)
    x = x[rows]
    n = int(rows.sum())
    if n < 3:
        raise ValueError(f"reliability needs at least 3 rows with answers; got {n}")
    seen = ~np.isnan(x)
    var_sum = var_w = cov_sum = cov_w = 0.0
    for i in range(k):
        xi = x[seen[:, i], i]
        var_sum += len(xi) * xi.var(ddof=1)
        var_w += len(xi)
        for j in range(i):
            both = seen[:, i] & seen[:, j]
            m = int(both.sum())
            if m < 2:
                raise ValueError(f"items {values.columns[i]!r} and {values.columns[j]!r} are answered together "
                                 f"fewer than twice")
            cov_sum += m * np.cov(x[both, i], x[both, j], ddof=1)[0, 1]
            cov_w += m
    cbar, vbar = cov_sum / cov_w, var_sum / var_w
    alpha = k * cbar / (vbar + (k - 1) * cbar)
    return (float(alpha) if alpha >= 0 else float("nan")), n


def cronbach_alpha(items: pd.DataFrame, *, confidence: float = 0.95, nan_policy: str = "listwise",
                   reverse: Sequence[str] = (), convention: str | None = None) -> AlphaResult:
    """Cronbach's alpha of the item columns of ``items`` (``reverse`` items reversed first).

    ``convention``: ``casewise`` (complete rows: Stata ``alpha, asis casewise``, the default),
    ``psych`` (pairwise covariances: psych ``alpha``), ``stata`` (Stata's plain ``alpha``:
    count-weighted pairwise averages, signs chosen by itself unless ``reverse`` is given) or
    ``stata_asis``; see the module notes. Without it, ``nan_policy`` picks ``casewise``
    (``listwise``) or ``psych`` (``pairwise``).

    Examples
    --------
    >>> import pandas as pd
    >>> x = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 5], "c": [1, 3, 3, 4, 4]})
    >>> round(cronbach_alpha(x).alpha, 4)  # by hand: 1.5 * (1 - 6.3 / 17.3)
    0.9538
    >>> y = x.assign(c=6 - x["c"])  # c reverse-keyed
    >>> r = cronbach_alpha(y, convention="stata")
    >>> round(r.alpha, 4), r.reversed
    (0.9538, 'c')
    """
    from fip._options import check_option

    check_option("nan_policy", nan_policy, ("listwise", "pairwise"))
    if convention is None:
        convention = "psych" if nan_policy == "pairwise" else "casewise"
    check_option("convention", convention, ALPHA_CONVENTIONS)
    reverse = list(reverse)
    if convention == "stata" and not reverse:
        reverse = _stata_signs(items.astype("float64"))
    keyed = reverse_keyed(items, reverse)
    if convention in ("stata", "stata_asis"):
        if keyed.shape[1] < 2:
            raise ValueError(f"reliability needs at least 2 items; got {keyed.shape[1]}")
        alpha, n = _stata_alpha(keyed)
        k = keyed.shape[1]
    elif convention == "psych":
        cov, n = _pairwise(keyed)
        k = cov.shape[0]
        alpha = _alpha_cov(cov)
    else:
        values = _complete(keyed)
        n, k = values.shape
        alpha = _alpha(values)
    df1, df2 = n - 1, (n - 1) * (k - 1)
    tail = (1 - confidence) / 2
    low = 1 - (1 - alpha) * stats.f.ppf(1 - tail, df1, df2)
    high = 1 - (1 - alpha) * stats.f.ppf(tail, df1, df2)
    return AlphaResult(alpha=float(alpha), ci_low=float(low), ci_high=float(high), n_obs=n, n_items=k,
                       confidence=confidence, convention=convention, reversed=" ".join(reverse))


def item_rest_statistics(items: pd.DataFrame, reverse: Sequence[str] = (), scale=None) -> pd.DataFrame:
    """Per item: item-rest correlation and alpha if the item is deleted.

    ``reverse`` items are reversed first (:func:`fip.indices.reverse_keyed`: ``min + max - x``
    on the Likert ``scale``, else ``-x``); the statistics are those of the keyed index.

    Returns
    -------
    DataFrame
        Index = item; columns ``item_rest_r``, ``alpha_if_deleted`` (NaN when fewer than
        two items would remain), ``mean``, ``sd``; on listwise complete rows.
    """
    values = _complete(reverse_keyed(items, list(reverse), scale))
    total = values.sum(axis=1)
    rows = []
    for j, item in enumerate(items.columns):
        rest = total - values[:, j]
        r = np.corrcoef(values[:, j], rest)[0, 1]
        others = np.delete(values, j, axis=1)
        a = _alpha(others) if others.shape[1] >= 2 else np.nan
        rows.append((item, r, a, values[:, j].mean(), values[:, j].std(ddof=1)))
    return pd.DataFrame(rows, columns=["item", "item_rest_r", "alpha_if_deleted", "mean", "sd"]).set_index("item")


def omega_total(items: pd.DataFrame, *, correlation: pd.DataFrame | None = None) -> float:
    """McDonald's omega total (psych ``omega`` definition) from a one-factor minres model.

    ``correlation``: the listwise correlation matrix of ``items`` (same items, same order) if
    already computed, e.g. ``Study.correlation("citizen").correlation``; the model is then
    fitted to it instead of computing it again (the same numbers).
    """
    from fip.factors import factor_analysis

    values = _complete(items)
    if correlation is not None and list(correlation.columns) == list(items.columns):
        fit = factor_analysis(correlation, n_factors=1, method="minres", n_obs=values.shape[0])
    else:
        fit = factor_analysis(pd.DataFrame(values, columns=items.columns), n_factors=1, method="minres")
    total = np.corrcoef(values, rowvar=False).sum()
    return float((total - fit.uniqueness.sum()) / total)


def _warn_negative(block: pd.DataFrame, definition: IndexDefinition) -> None:
    """ReverseKeyWarning naming the items of a (keyed) index whose item-rest correlation is negative."""
    values = block.astype("float64").dropna().to_numpy()
    if values.shape[0] < 3 or values.shape[1] < 2:
        return
    total = values.sum(axis=1)
    negative = []
    for j, item in enumerate(block.columns):
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.corrcoef(values[:, j], total - values[:, j])[0, 1]
        if r < 0:
            negative.append(f"{item} ({r:.2f})")
    if negative:
        warnings.warn(
            f"index {definition.id!r}: item(s) {', '.join(negative)} correlate negatively with the rest of the index"
            + (f" (reversed: {', '.join(definition.reverse)})" if definition.reverse else "")
            + "; list reverse-keyed items under 'reverse:' in the index definitions",
            ReverseKeyWarning, stacklevel=3)


def protect_reliability(table: pd.DataFrame, policy) -> pd.DataFrame:
    """:func:`reliability_table` output with rows resting on 1-4 persons (``n_obs``) blanked.

    Parameters
    ----------
    table : DataFrame
        :func:`reliability_table` output.
    policy : DisclosurePolicy
        The small-cell rule (:mod:`fip.disclosure`).

    Examples
    --------
    >>> from fip.disclosure import DisclosurePolicy
    >>> t = pd.DataFrame({"index": ["a", "b"], "n_items": 3, "n_obs": [4, 40], "alpha": [0.7, 0.8],
    ...                   "ci_low": [0.1, 0.7], "ci_high": [0.9, 0.9], "omega": [0.7, 0.8], "heywood": False,
    ...                   "mean_inter_item_r": [0.4, 0.5]})
    >>> protect_reliability(t, DisclosurePolicy(5))[["index", "n_obs", "alpha", "suppressed"]]
      index  n_obs  alpha  suppressed
    0     a   <NA>    NaN        True
    1     b     40    0.8       False
    """
    from fip.disclosure import protect

    return protect(table, policy, n="n_obs", values=["alpha", "ci_low", "ci_high", "omega", "mean_inter_item_r"])


def reliability_table(
    scores: pd.DataFrame,
    definitions: Sequence[IndexDefinition],
    *,
    confidence: float = 0.95,
    omega: bool = True,
    correlations: Mapping[tuple[str, ...], pd.DataFrame] | None = None,
    nan_policy: str = "listwise",
    convention: str | None = None,
) -> pd.DataFrame:
    """Reliability of every index: alpha with CI, omega, items and complete rows used.

    Parameters
    ----------
    scores : DataFrame
        Item columns (one row per person, e.g. round-1 measurements).
    definitions : sequence of IndexDefinition
    correlations : mapping of tuple of str -> DataFrame, optional
        Listwise correlation matrices of ``scores`` already computed, by their items (e.g.
        those of :meth:`fip.study.Study.correlation`); omega of an index with exactly these
        items, in this order, is fitted to the matrix instead of computing it again (only
        for indices without reverse keys).
    nan_policy : {"listwise", "pairwise"}
        Alpha on complete rows or on pairwise covariances (module notes); omega and the mean
        inter-item correlation use the complete rows either way.
    convention : {"casewise", "psych", "stata", "stata_asis"}, optional
        Alpha's convention (module notes; default from ``nan_policy``). With ``stata`` an
        index without keys gets Stata's own signs for alpha (omega still uses the keys).

    Returns
    -------
    DataFrame
        One row per index: ``index``, ``n_items``, ``n_obs``, ``alpha``, ``ci_low``,
        ``ci_high``, ``omega`` (NaN for two-item indices, where a one-factor model is not
        identified), ``heywood`` (the one-factor model behind omega hit a Heywood case: an
        item's communality reached 1, so omega rests on that item; the
        :class:`~fip.errors.HeywoodCaseWarning` is raised as well), ``mean_inter_item_r``.
    """
    rows = []
    for d in definitions:
        block = reverse_keyed(scores[list(d.items)], d.reverse)
        # the keys go in as ``reverse`` (Stata: reverse() turns its own choice of signs off)
        a = cronbach_alpha(scores[list(d.items)], confidence=confidence, nan_policy=nan_policy,
                           convention=convention, reverse=d.reverse)
        _warn_negative(block, d)
        r = np.corrcoef(_complete(block), rowvar=False)
        mean_r = r[np.triu_indices_from(r, k=1)].mean()
        om, heywood = np.nan, False
        if omega and len(d.items) >= 3:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", HeywoodCaseWarning)
                given = None if d.reverse else (correlations or {}).get(tuple(d.items))
                om = omega_total(block, correlation=given)
            for w in caught:
                heywood = heywood or issubclass(w.category, HeywoodCaseWarning)
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        rows.append({"index": d.id, "n_items": a.n_items, "n_obs": a.n_obs, "alpha": a.alpha,
                     "ci_low": a.ci_low, "ci_high": a.ci_high, "omega": om, "heywood": heywood,
                     "mean_inter_item_r": mean_r})
    return pd.DataFrame(rows)
