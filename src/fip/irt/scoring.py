"""Item and test information, EAP scores with posterior SD, and marginal reliability of a fitted GRM."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit

from fip.irt.grm import GRMResult, grm_category_probs

__all__ = ["EAPScores", "eap_scores", "item_information"]


def item_information(result: GRMResult, theta: np.ndarray | None = None) -> pd.DataFrame:
    """Fisher information of every item and the test on a θ grid.

    ``I_j(θ) = Σ_k P'_jk(θ)² / P_jk(θ)`` with ``P'_jk = a (s_k - s_{k+1})``, ``s_k = P*_k (1 - P*_k)``.

    Returns a DataFrame with column ``theta``, one column per item and ``test`` (their sum).

    Examples
    --------
    >>> # item_information(fit_grm(frame), np.linspace(-4, 4, 81))
    """
    theta = np.linspace(-4, 4, 81) if theta is None else np.asarray(theta, dtype=float)
    out = {"theta": theta}
    for item, a, d in zip(result.items, result.slope, result.intercepts):
        star = expit(a * theta[:, None] + d[None, :])
        cum = np.hstack([np.ones((theta.size, 1)), star, np.zeros((theta.size, 1))])
        s = cum * (1 - cum)
        dp = a * (s[:, :-1] - s[:, 1:])
        p = grm_category_probs(theta, a, d)
        out[item] = np.sum(dp ** 2 / p, axis=1)
    frame = pd.DataFrame(out)
    frame["test"] = frame[list(result.items)].sum(axis=1)
    return frame


@dataclass(frozen=True)
class EAPScores:
    """EAP scores (posterior mean of θ) with posterior SD, person level, and the empirical marginal reliability.

    ``reliability = var(EAP) / (var(EAP) + mean(PSD²))`` (mirt's ``empirical_rxx``).
    """

    index: pd.Index
    eap: np.ndarray
    psd: np.ndarray
    reliability: float
    n_obs: int

    def tidy(self) -> pd.DataFrame:
        """``eap, psd`` indexed as the input frame (person level: keep private)."""
        return pd.DataFrame({"eap": self.eap, "psd": self.psd}, index=self.index)


def eap_scores(result: GRMResult, frame: pd.DataFrame) -> EAPScores:
    """EAP scores on the fit's quadrature grid for the rows of ``frame`` (answers as in the fit).

    Examples
    --------
    >>> # eap_scores(res, frame).tidy().head()
    """
    nodes, weights = result.quadrature
    frame = frame[list(result.items)]
    frame = frame.loc[frame.notna().any(axis=1)]
    logl = np.tile(np.log(weights), (len(frame), 1))
    for j, item in enumerate(result.items):
        x = pd.to_numeric(frame[item]).to_numpy(dtype=float)
        cats = np.array(result.categories[j])
        ok = ~np.isnan(x)
        pos = np.searchsorted(cats, x[ok])
        if np.any(pos >= cats.size) or np.any(cats[np.minimum(pos, cats.size - 1)] != x[ok]):
            raise ValueError(f"item {item}: a value outside the categories of the fit {list(cats)}")
        logp = np.log(grm_category_probs(nodes, result.slope[j], result.intercepts[j]))  # (Q, K)
        logl[np.flatnonzero(ok)] += logp[:, pos].T
    m = logl.max(axis=1, keepdims=True)
    post = np.exp(logl - m)
    post /= post.sum(axis=1, keepdims=True)
    eap = post @ nodes
    psd = np.sqrt(np.clip(post @ nodes ** 2 - eap ** 2, 0, None))
    v = float(np.var(eap, ddof=1)) if len(eap) > 1 else np.nan
    rel = v / (v + float(np.mean(psd ** 2)))
    return EAPScores(index=frame.index, eap=eap, psd=psd, reliability=rel, n_obs=len(frame))
