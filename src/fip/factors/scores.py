"""Factor scores of persons: the regression (Thurstone) and Bartlett methods (Stata ``predict``).

With ``L`` the (rotated) loadings, ``Φ`` the factor correlations (identity when orthogonal),
``S = LΦ`` the structure, ``R`` the correlation matrix the factors were extracted from and
``Ψ = diag(1 − diag(LΦL′))`` the uniquenesses:

* ``regression``: ``W = R⁻¹S`` (Thomson/Thurstone; Stata ``predict, regression``, psych
  ``factor.scores(method="Thurstone")``);
* ``bartlett``: ``W = Ψ⁻¹L(L′Ψ⁻¹L)⁻¹`` (Stata ``predict, bartlett``, psych ``"Bartlett"``).

Scores are ``Z W`` with ``Z`` the items standardised by their mean and standard deviation
(``n − 1``) over the persons scored, as psych's ``scale(x)``. A person missing any of the items
gets no score (Stata's ``predict`` does the same). With a polychoric ``R`` the weights use that
matrix (psych ``fa(cor="poly")`` does the same for its scores); the standardised answers are
still the 1-7 answers, so such scores are an approximation.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from fip.factors import factor_analysis
>>> rng = np.random.default_rng(0)
>>> f = rng.normal(size=(300, 1))
>>> x = pd.DataFrame(f @ [[.8, .7, .6, .7]] + rng.normal(0, .6, (300, 4)), columns=list("abcd"))
>>> sc = factor_scores(x, factor_analysis(x, n_factors=1), method="bartlett")
>>> sc.scores.shape, sc.n_obs
((300, 1), 300)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from fip._options import check_option
from fip.factors.result import FactorResult

__all__ = ["SCORE_METHODS", "FactorScores", "factor_scores", "score_weights"]

ScoreMethod = Literal["regression", "bartlett"]
SCORE_METHODS: tuple[str, ...] = ("regression", "bartlett")


@dataclass(frozen=True)
class FactorScores:
    """Factor scores per person (rows of the data), the weights and the rows scored.

    Attributes
    ----------
    scores : DataFrame
        Index as the data's; one column per factor (``Factor1``...); NaN for rows with a missing item.
    weights : DataFrame
        Items x factors, applied to the standardised items.
    method : str
    n_obs : int
        Rows scored (all items answered).
    """

    scores: pd.DataFrame
    weights: pd.DataFrame
    method: str
    n_obs: int

    def tidy(self) -> pd.DataFrame:
        """Weights in long form: ``item``, ``factor``, ``weight``."""
        return (self.weights.rename_axis("item").reset_index()
                .melt(id_vars="item", var_name="factor", value_name="weight"))


def score_weights(result: FactorResult, method: ScoreMethod = "regression") -> pd.DataFrame:
    """The weight matrix ``W`` (items x factors) of ``method`` for ``result`` (see the module notes).

    Examples
    --------
    >>> import pandas as pd
    >>> R = pd.DataFrame([[1, .5, .4], [.5, 1, .45], [.4, .45, 1]], index=list("abc"), columns=list("abc"))
    >>> from fip.factors import factor_analysis
    >>> score_weights(factor_analysis(R, n_factors=1, n_obs=100)).shape
    (3, 1)
    """
    check_option("method", method, SCORE_METHODS)
    L = result.loadings.to_numpy(dtype="float64")
    k = L.shape[1]
    phi = np.eye(k) if result.factor_correlation is None else result.factor_correlation.to_numpy(dtype="float64")
    if method == "regression":
        R = result.correlation.loc[result.loadings.index, result.loadings.index].to_numpy(dtype="float64")
        W = np.linalg.solve(R, L @ phi)
    else:
        u2 = 1 - np.einsum("ij,jk,ik->i", L, phi, L)
        if np.any(u2 <= 0):
            raise ValueError("Bartlett scores need every uniqueness above 0 (a Heywood case has 0)")
        LtU = L.T / u2
        W = np.linalg.solve(LtU @ L, LtU).T
    return pd.DataFrame(W, index=result.loadings.index, columns=result.loadings.columns)


def factor_scores(data: pd.DataFrame, result: FactorResult, method: ScoreMethod = "regression") -> FactorScores:
    """Factor scores of the rows of ``data`` for the solution ``result``.

    Parameters
    ----------
    data : DataFrame
        Item answers, one row per person; must hold the items of ``result``.
    result : FactorResult
        Rotated or not (the loadings as they are; oblique: the pattern and ``Φ``).
    method : {"regression", "bartlett"}

    Returns
    -------
    FactorScores
        ``scores`` (index as ``data``), ``weights``, ``n_obs``.

    Notes
    -----
    Equal to psych ``factor.scores(x, L, method="Thurstone" | "Bartlett")`` on complete rows
    within 1e-10 (tests/reference/validity).
    """
    items = list(result.loadings.index)
    missing = [i for i in items if i not in data.columns]
    if missing:
        raise ValueError(f"the data have no column {missing[0]!r} (an item of the factor solution)")
    W = score_weights(result, method)
    x = data[items].astype("float64")
    complete = x.notna().all(axis=1)
    z = x[complete]
    z = (z - z.mean()) / z.std(ddof=1)
    scores = pd.DataFrame(np.nan, index=data.index, columns=W.columns)
    scores.loc[complete] = z.to_numpy() @ W.to_numpy()
    return FactorScores(scores, W, method, int(complete.sum()))
