"""Reliability of an index: Cronbach's alpha with CI, McDonald's omega, item statistics.

Conventions
-----------
* Cronbach's alpha uses covariances of the listwise-complete rows by default,
  ``alpha = k/(k-1) · (1 − Σ var_i / var(Σ items))``: Stata ``alpha, asis casewise`` and R
  ``psych::alpha(na.omit(x))`` raw_alpha, not Stata's plain ``alpha`` (pairwise, signs
  chosen by itself) nor psych's default (pairwise); see ``nan_policy`` below. The 95 % interval is Feldt's (1965), as pingouin gives it:
  ``1 − (1 − alpha) · F(1 − c/2; n − 1, (n − 1)(k − 1))`` and the same with ``c/2``.
* Item-rest correlation: Pearson correlation of an item with the sum of the other items
  (psych ``r.drop``, Stata ``alpha, item`` "item-rest correlation").
* McDonald's omega total as R ``psych::omega`` computes it, from a one-factor minres model
  of the correlation matrix R: ``ω_t = (1′R1 − Σψ) / 1′R1`` with ψ the uniquenesses (the
  observed total variance in the denominator, not the model-implied ``(Σλ)² + Σψ``).
* Reverse keys: an index's ``reverse`` items are reversed before alpha, omega, the mean
  inter-item correlation and the item-rest statistics (psych ``keys``, Stata ``alpha,
  reverse()``). Nothing is reversed automatically: omega does **not** flip (psych
  ``omega(flip = FALSE)``), and alpha takes the items as keyed (Stata ``alpha, asis``);
  :func:`reliability_table` warns (:class:`~fip.errors.ReverseKeyWarning`) naming items whose
  item-rest correlation is negative, which is what an unreversed negatively keyed item gives.
* Missing answers (``nan_policy``): ``listwise`` uses the complete rows (Stata ``alpha, asis
  casewise``; psych ``alpha`` on ``na.omit(x)``), ``pairwise`` the pairwise-complete
  covariances (psych ``alpha``'s default ``use = "pairwise"``, Stata ``alpha, asis``'s default
  computation); ``n_obs`` is then the rows with at least one answer. Stata's default of
  reversing items "that enter negatively" by itself is not offered: give ``reverse``.
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


def cronbach_alpha(items: pd.DataFrame, *, confidence: float = 0.95, nan_policy: str = "listwise",
                   reverse: Sequence[str] = ()) -> AlphaResult:
    """Cronbach's alpha of the item columns of ``items`` (``reverse`` items reversed first).

    ``nan_policy``: ``listwise`` (complete rows: Stata ``alpha, asis casewise``) or
    ``pairwise`` (pairwise-complete covariances: psych ``alpha`` raw_alpha, Stata ``alpha,
    asis``); see the module notes.

    Examples
    --------
    >>> import pandas as pd
    >>> x = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 5], "c": [1, 3, 3, 4, 4]})
    >>> round(cronbach_alpha(x).alpha, 4)  # by hand: 1.5 * (1 - 6.3 / 17.3)
    0.9538
    """
    from fip._options import check_option

    check_option("nan_policy", nan_policy, ("listwise", "pairwise"))
    keyed = reverse_keyed(items, list(reverse))
    if nan_policy == "pairwise":
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
                       confidence=confidence)


def item_rest_statistics(items: pd.DataFrame, reverse: Sequence[str] = ()) -> pd.DataFrame:
    """Per item: item-rest correlation and alpha if the item is deleted.

    ``reverse`` items are reversed first (``-x``: their ``mean`` is then negative; the
    correlations and alphas are those of the keyed index).

    Returns
    -------
    DataFrame
        Index = item; columns ``item_rest_r``, ``alpha_if_deleted`` (NaN when fewer than
        two items would remain), ``mean``, ``sd``; on listwise complete rows.
    """
    values = _complete(reverse_keyed(items, list(reverse)))
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
        a = cronbach_alpha(block, confidence=confidence, nan_policy=nan_policy)
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
