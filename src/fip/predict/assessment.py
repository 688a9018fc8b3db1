"""The caseworker's own judgement beside the model: agreement, and who was closer to what happened.

Caseworker forms may carry ``caseworker_assessment`` (``low``/``medium``/``high``: the
caseworker's view of the citizen's chance of a job in the next 6 months) and an
``assessment_reason`` (free text). :func:`compare_assessment` sets it beside the model's band
(``low``/``middle``/``high``, read as the same three ordered levels) for the persons with
both, and an outcome:

* **agreement**: the cross table of the two ratings; the share with the same level; Cohen's
  kappa with quadratic weights, ``1 - sum w O / sum w E``, ``w_ij = (i - j)^2 / 4``, O the
  observed and E the expected (independent margins) shares;
* **who was closer**: the AUC of each rating against the outcome in the model's window
  (the ordinal ratings 0/1/2 with ties, and the model's probability itself), and the Brier
  score of each rating mapped to probabilities the same way for both: a level gets the mean
  predicted probability of the persons the model put in that band (so the comparison is
  about who ranks persons into the levels better, not about a scale).

Counts of the cross table go through the disclosure policy (primary and complementary
suppression with the margins); AUC and Brier are hidden when the persons with or without a
job number 1-4.

Examples
--------
>>> import numpy as np, pandas as pd
>>> y = np.array([0, 0, 1, 1, 0, 1] * 10, float)
>>> p = np.array([.1, .2, .6, .7, .3, .5] * 10)
>>> band = pd.Series(["low", "low", "high", "high", "middle", "middle"] * 10)
>>> cw = pd.Series(["low", "medium", "high", "high", "low", "high"] * 10)
>>> c = compare_assessment(y, p, band, cw)
>>> round(float(c.agreement.loc[0, "exact_agreement"]), 3)
0.5
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from fip.disclosure import DisclosurePolicy, Margin, protect
from fip.predict.metrics import protect_event_rows

__all__ = ["ASSESSMENT_LEVELS", "AssessmentComparison", "compare_assessment", "weighted_kappa"]

#: The caseworker's levels, in order; the model's bands ``low``/``middle``/``high`` match them.
ASSESSMENT_LEVELS: tuple[str, ...] = ("low", "medium", "high")
_BAND_LEVEL = {"low": 0, "middle": 1, "medium": 1, "high": 2}


def weighted_kappa(a: np.ndarray, b: np.ndarray, k: int = 3) -> float:
    """Cohen's kappa with quadratic weights of two ratings coded 0..k-1."""
    O = np.zeros((k, k))
    np.add.at(O, (a, b), 1)
    O /= O.sum()
    E = np.outer(O.sum(axis=1), O.sum(axis=0))
    i, j = np.indices((k, k))
    w = (i - j) ** 2 / (k - 1) ** 2
    denominator = float((w * E).sum())
    return float("nan") if denominator == 0 else 1 - float((w * O).sum()) / denominator


@dataclass(frozen=True, eq=False)
class AssessmentComparison:
    """Result of :func:`compare_assessment`.

    Attributes
    ----------
    confusion : DataFrame
        ``model_band``, ``caseworker``, ``n``, ``share`` (of all compared persons),
        ``suppressed``; margin rows have ``all`` in one or both columns.
    agreement : DataFrame
        One row: ``n``, ``exact_agreement``, ``weighted_kappa``.
    accuracy : DataFrame
        One row per rating (``model_probability``, ``model_band``, ``caseworker``): ``n``,
        ``n_events`` (hidden when small), ``auc``, ``brier`` (of the probabilities themselves
        for ``model_probability``, of the level-mapped probabilities for the two ratings),
        ``suppressed``.
    n : int
        Persons compared (with a model probability, an assessment and an outcome).
    """

    confusion: pd.DataFrame
    agreement: pd.DataFrame
    accuracy: pd.DataFrame
    n: int

    def tidy(self) -> pd.DataFrame:
        """``rating``, ``metric``, ``value`` (accuracy) plus the agreement row (``rating`` = ``agreement``)."""
        acc = self.accuracy.melt(id_vars="rating", value_vars=["auc", "brier"], var_name="metric")
        agr = self.agreement.melt(value_vars=["exact_agreement", "weighted_kappa"], var_name="metric").assign(
            rating="agreement")
        return pd.concat([acc, agr], ignore_index=True)[["rating", "metric", "value"]]

    def record(self) -> dict[str, object]:
        """The model file's ``validation.assessment`` block (aggregates only)."""
        def clean(frame: pd.DataFrame) -> list[dict[str, object]]:
            return [{k: (None if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA else
                         (int(v) if isinstance(v, (np.integer,)) else v)) for k, v in row.items()}
                    for row in frame.astype(object).to_dict("records")]
        return {"n": self.n, "agreement": clean(self.agreement)[0], "accuracy": clean(self.accuracy),
                "confusion": clean(self.confusion)}


def compare_assessment(y: np.ndarray, p: np.ndarray, band: pd.Series, assessment: pd.Series, *,
                       policy: DisclosurePolicy | None = None) -> AssessmentComparison:
    """Compare the model's band with the caseworker's assessment, and both with the outcome.

    Parameters
    ----------
    y : ndarray (n,)
        0/1 outcome in the model's window.
    p : ndarray (n,)
        The model's probability (out of fold when it comes from training).
    band : Series (n,)
        The model's band (``low``/``middle``/``high``).
    assessment : Series (n,)
        The caseworker's assessment (``low``/``medium``/``high``; missing: the person is left
        out).
    policy : DisclosurePolicy, optional
        Default: the configured one.

    Returns
    -------
    AssessmentComparison
    """
    policy = DisclosurePolicy.default() if policy is None else policy
    a = pd.Series(np.asarray(assessment, dtype=object)).astype("string")
    keep = a.isin(ASSESSMENT_LEVELS).to_numpy(dtype=bool)
    y, p = np.asarray(y, dtype=np.float64)[keep], np.asarray(p, dtype=np.float64)[keep]
    mb = pd.Series(np.asarray(band, dtype=object)[keep]).map(_BAND_LEVEL).to_numpy(dtype=np.int64)
    cw = a[keep].map(_BAND_LEVEL).to_numpy(dtype=np.int64)
    n = int(keep.sum())
    policy.require(n, "the comparison of model and caseworker")

    labels_m, labels_c = ("low", "middle", "high"), ASSESSMENT_LEVELS
    rows = []
    for i, lm in enumerate([*labels_m, "all"]):
        for j, lc in enumerate([*labels_c, "all"]):
            sel = np.ones(n, bool)
            if lm != "all":
                sel &= mb == i
            if lc != "all":
                sel &= cw == j
            rows.append({"model_band": lm, "caseworker": lc, "n": int(sel.sum())})
    table = pd.DataFrame(rows)
    table["share"] = table["n"] / max(n, 1)
    confusion = protect(table, policy, values=["share"],
                        margins=[Margin("caseworker", "all", within=("model_band",)),
                                 Margin("model_band", "all", within=("caseworker",))])

    agreement = pd.DataFrame([{"n": n, "exact_agreement": float(np.mean(mb == cw)) if n else np.nan,
                               "weighted_kappa": weighted_kappa(mb, cw) if n else np.nan}])

    level_p = np.array([p[mb == k].mean() if (mb == k).any() else np.nan for k in range(3)])
    both = 0 < y.sum() < n
    acc = []
    for name, score_, mapped in (("model_probability", p, p), ("model_band", mb, level_p[mb]),
                                 ("caseworker", cw, level_p[cw])):
        acc.append({"rating": name, "n": n, "n_events": int(y.sum()),
                    "auc": float(roc_auc_score(y, score_)) if both else np.nan,
                    "brier": float(np.nanmean((mapped - y) ** 2))})
    accuracy = protect_event_rows(pd.DataFrame(acc), policy, ["auc", "brier"])
    return AssessmentComparison(confusion=confusion, agreement=agreement, accuracy=accuracy, n=n)
