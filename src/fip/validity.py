"""Item correlations of a study for the validity analyses: Pearson (listwise) or polychoric (pairwise).

The one place ``fip correlation`` and ``fip factor --correlation`` get their matrix from.

Examples
--------
>>> from fip.simulate import simulate_cohort
>>> from fip.study import Study
>>> corr = item_correlation(Study(simulate_cohort(seed=0)), "citizen", method="polychoric")
>>> corr.matrix.shape, corr.method
((11, 11), 'polychoric')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from fip._options import check_option

if TYPE_CHECKING:
    from fip.study import Study

__all__ = ["CORRELATION_METHODS", "StudyCorrelation", "frame_correlation", "item_correlation", "person_factor_scores"]

CORRELATION_METHODS: tuple[str, ...] = ("pearson", "polychoric")


@dataclass(frozen=True)
class StudyCorrelation:
    """A correlation matrix of one item set and round, with the persons behind it.

    ``matrix``: square, item ids as index and columns; ``n_obs``: rows used (Pearson:
    listwise complete rows; polychoric: the fewest persons behind any pair); ``smoothed``:
    polychoric matrix made positive definite (psych ``cor.smooth``).
    """

    item_set: str
    round: int
    method: str
    matrix: pd.DataFrame
    n_obs: int
    smoothed: bool = False

    def tidy(self) -> pd.DataFrame:
        """The square matrix with the item ids as first column ``item`` (the CSV contract)."""
        return self.matrix.rename_axis("item").reset_index()


def item_correlation(study: Study, item_set: str = "citizen", method: str = "pearson", round_: int = 1) -> StudyCorrelation:
    """Correlation matrix of ``item_set`` (``citizen``, ``caseworker``, ``both``) at ``round_``.

    Pearson is Stata's ``factor`` input (listwise, :meth:`fip.study.Study.correlation` at
    round 1); polychoric is ``psych::polychoric`` (pairwise, :func:`fip.polychoric.polychoric`).
    """
    from fip.factors._input import correlation_input
    from fip.polychoric import polychoric

    check_option("method", method, CORRELATION_METHODS)
    check_option("item set", item_set, study.item_sets)
    items = list(study.items_of(item_set))
    m = study.measurements
    data = m[m["round"] == round_][items].astype("float64")
    if len(data) == 0:
        raise ValueError(f"no measurements in round {round_}")
    if method == "pearson":
        if round_ == 1:
            corr = study.correlation(item_set)
            return StudyCorrelation(item_set, round_, method, corr.correlation, int(corr.n_obs))
        ci = correlation_input(data)
        return StudyCorrelation(item_set, round_, method, ci.correlation, int(ci.n_obs))
    res = polychoric(data.dropna(how="all"))
    return StudyCorrelation(item_set, round_, method, res.correlation, res.n_obs, res.smoothed)


def frame_correlation(data: pd.DataFrame, method: str = "pearson", nan_policy: str = "listwise", *,
                      item_set: str = "items", round_: int = 1) -> StudyCorrelation:
    """Correlation matrix of the columns of ``data`` (one row per person, any instrument).

    Parameters
    ----------
    data : DataFrame
        Item answers, one column per item.
    method : {"pearson", "polychoric"}
        Pearson (Stata ``correlate`` with listwise, ``pwcorr`` with pairwise deletion) or
        polychoric (:func:`fip.polychoric.polychoric`, psych's two-step estimate; pairwise by
        nature, so ``listwise`` first keeps the complete rows).
    nan_policy : {"listwise", "pairwise"}
    item_set, round_ : labels carried into the result.

    Returns
    -------
    StudyCorrelation
        ``n_obs``: the complete rows (listwise) or the fewest persons behind any pair.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"a": [1, 2, 3, 4.0], "b": [2, 1, 4, 3.0], "c": [1, 2, None, 4.0]})
    >>> r = frame_correlation(d, nan_policy="pairwise")
    >>> round(float(r.matrix.loc["a", "b"]), 2), r.n_obs
    (0.6, 3)
    """
    from fip.polychoric import polychoric

    check_option("method", method, CORRELATION_METHODS)
    check_option("nan_policy", nan_policy, ("listwise", "pairwise"))
    data = data.astype("float64")
    if nan_policy == "listwise":
        data = data.dropna()
    if method == "polychoric":
        res = polychoric(data.dropna(how="all"))
        return StudyCorrelation(item_set, round_, method, res.correlation, int(res.n_obs), res.smoothed)
    answered = data.notna().astype("int64")
    pairs = answered.T @ answered
    return StudyCorrelation(item_set, round_, method, data.corr(min_periods=1), int(pairs.to_numpy().min()))


def person_factor_scores(study: Study, result, item_set: str = "citizen", round_: int = 1,
                         method: str = "regression") -> pd.DataFrame:
    """Factor scores of every person at ``round_`` for the solution ``result`` (person-level rows).

    Returns
    -------
    DataFrame
        ``person_id``, ``round`` and one column per factor (``Factor1``...); persons missing an
        item of the set have empty scores (:func:`fip.factors.scores.factor_scores`).
    """
    from fip.factors.scores import factor_scores

    m = study.measurements
    rows = m[m["round"] == round_]
    sc = factor_scores(rows[list(study.items_of(item_set))].astype("float64"), result, method)
    out = sc.scores.copy()
    out.insert(0, "round", rows["round"].to_numpy())
    out.insert(0, "person_id", rows["person_id"].astype("str").to_numpy())
    return out.reset_index(drop=True)
