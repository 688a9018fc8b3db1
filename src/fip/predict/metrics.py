"""Validation metrics of a probability model: discrimination, accuracy, calibration.

Examples
--------
>>> import numpy as np
>>> m = probability_metrics(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
>>> m["auc"], round(m["brier"], 4)
(0.75, 0.1581)
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.stats import norm
from sklearn.metrics import log_loss, roc_auc_score
# the GLM modules alone: statsmodels.api also loads its time series and graphics (0.3 s)
from statsmodels.genmod.families import Binomial
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.tools.tools import add_constant

from fip.disclosure import DEFAULT, DisclosurePolicy, Relation, TableSpec, protect_tables, resolve_policy

__all__ = [
    "METRIC_COLUMNS",
    "calibration_bins",
    "metrics_by_group",
    "probability_metrics",
    "protect_event_rows",
    "rate_metrics",
    "wilson_interval",
]

#: Columns of a metrics row, in order.
METRIC_COLUMNS: tuple[str, ...] = (
    "n", "n_events", "observed", "mean_predicted", "auc", "brier", "log_loss",
    "calibration_slope", "calibration_intercept",
)
_EPS = 1e-6


def wilson_interval(k: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial share ``k/n``."""
    if n <= 0:
        return (float("nan"), float("nan"))
    z = float(norm.ppf(0.5 + confidence / 2))
    phat = k / n
    centre = (phat + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # contains the share by construction (rounding left 3e-17 above 0 for k = 0)
    return (float(min(max(0.0, centre - half), phat)), float(max(min(1.0, centre + half), phat)))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def _calibration(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """Calibration slope (logistic regression of y on logit p) and calibration-in-the-large
    (intercept of that regression with logit p as offset, slope fixed at 1)."""
    lp = _logit(p)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        citl_fit = GLM(y, np.ones((len(y), 1)), family=Binomial(), offset=lp).fit()
        if np.ptp(lp) == 0:  # identical predictions: the slope is not identified
            return float("nan"), float(citl_fit.params[0])
        slope_fit = GLM(y, add_constant(lp, has_constant="add"), family=Binomial()).fit()
    return float(slope_fit.params[1]), float(citl_fit.params[0])


def probability_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """Metrics of predicted probabilities ``p`` against 0/1 outcomes ``y``.

    Returns
    -------
    dict
        ``n``, ``n_events``, ``observed`` (share with y = 1), ``mean_predicted``, ``auc``
        (area under the ROC curve), ``brier`` (mean squared error of p), ``log_loss`` (mean
        negative log-likelihood, p clipped to [1e-6, 1 - 1e-6]), ``calibration_slope`` (slope
        of the logistic regression of y on logit p; 1 is ideal, < 1 means too extreme
        predictions) and ``calibration_intercept`` (calibration-in-the-large: the intercept of
        that regression with logit p as an offset; 0 is ideal, > 0 means predictions too low).
        AUC and calibration are NaN when only one outcome value occurs.
    """
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    out: dict[str, float] = {
        "n": int(len(y)), "n_events": int(y.sum()),
        "observed": float(y.mean()) if len(y) else float("nan"),
        "mean_predicted": float(p.mean()) if len(y) else float("nan"),
        "auc": float("nan"), "brier": float("nan"), "log_loss": float("nan"),
        "calibration_slope": float("nan"), "calibration_intercept": float("nan"),
    }
    if len(y) == 0:
        return out
    out["brier"] = float(np.mean((p - y) ** 2))
    out["log_loss"] = float(log_loss(y, np.clip(p, _EPS, 1 - _EPS), labels=[0.0, 1.0]))
    if 0 < y.sum() < len(y):
        out["auc"] = float(roc_auc_score(y, p))
        out["calibration_slope"], out["calibration_intercept"] = _calibration(y, p)
    return out


def rate_metrics(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Metrics of a predicted monthly employment rate: ``n``, ``observed`` and
    ``mean_predicted`` (means), ``rmse``, ``mae`` and ``r2`` (1 - SSE / SST)."""
    y = np.asarray(y, dtype=np.float64)
    pred = np.asarray(pred, dtype=np.float64)
    sst = float(np.sum((y - y.mean()) ** 2))
    return {
        "n": int(len(y)), "observed": float(y.mean()), "mean_predicted": float(pred.mean()),
        "rmse": float(np.sqrt(np.mean((pred - y) ** 2))), "mae": float(np.mean(np.abs(pred - y))),
        "r2": float(1 - np.sum((pred - y) ** 2) / sst) if sst > 0 else float("nan"),
    }


def protect_event_rows(
    frame: pd.DataFrame,
    policy: DisclosurePolicy | str | None,
    values: list[str],
    *,
    total: tuple[int, int] | None = None,
    within: str | None = None,
    n: str = "n",
    k: str = "n_events",
    keep_n: bool = False,
) -> pd.DataFrame:
    """The small-cell rule for rows of persons with and without an event (employment).

    A row is hidden (``values`` NaN, ``k`` missing) when its persons, or those with or
    without the event, number 1-4; when the rows partition a shown total (``total`` =
    persons and events of the whole sample, e.g. the tenths of a calibration curve or the
    women and men of a gender split, one partition per value of ``within``), a reader
    subtracting the shown rows from it must not recover 1-4 persons either. ``keep_n``
    keeps every row's ``n``: for rows whose sizes follow from the sample itself (tenths,
    tertiles), where the size reveals nothing about the event.

    Examples
    --------
    >>> t = pd.DataFrame({"group": ["female", "male"], "n": [40, 60], "n_events": [3, 30], "observed": [.075, .5]})
    >>> protect_event_rows(t, DisclosurePolicy(5), ["observed"], total=(100, 33))["suppressed"].tolist()
    [True, True]
    """
    policy = resolve_policy(policy)
    if policy is None:
        return frame.assign(suppressed=False) if "suppressed" not in frame.columns else frame
    relations, known = [], {}
    if total is not None:
        groups = frame.groupby(within, sort=False) if within else [(None, frame)]
        for key, part in groups:
            cell = ("whole sample", key)
            known[cell] = {"n": int(total[0]), "k": int(total[1])}
            parts = tuple(("rows", label) for label in part.index)
            relations += [Relation(cell, parts, c) for c in ("n", "k", "n-k")]
    spec = TableSpec(frame, tuple(values), n=n, k=k)
    out = protect_tables({"rows": spec}, policy, relations, known)["rows"]
    if keep_n:
        out[n] = frame[n].to_numpy()
    return out


def calibration_bins(y: np.ndarray, p: np.ndarray, n_bins: int = 10,
                     policy: DisclosurePolicy | str | None = DEFAULT) -> pd.DataFrame:
    """Calibration curve: persons grouped by tenths (``n_bins`` quantile groups) of ``p``.

    Returns
    -------
    DataFrame
        One row per bin: ``bin`` (1..), ``lower``, ``upper`` (range of p in the bin; the
        bins of a model file use ``lower`` as the cut point), ``n``, ``mean_predicted``,
        ``observed``, ``ci_low``, ``ci_high`` (95 % Wilson interval) and
        ``suppressed`` (:func:`protect_event_rows` with the whole sample as total: the
        observed share is then NaN; the bin's ``n`` stays, as the bins are tenths of the
        sample).
    """
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    order = np.argsort(p, kind="stable")
    groups = np.array_split(order, n_bins)
    rows = []
    for b, idx in enumerate(groups, start=1):
        if len(idx) == 0:
            continue
        n, k = len(idx), float(y[idx].sum())
        lo, hi = wilson_interval(k, n)
        rows.append({
            "bin": b, "lower": float(p[idx].min()), "upper": float(p[idx].max()), "n": n, "n_events": int(k),
            "mean_predicted": float(p[idx].mean()), "observed": k / n, "ci_low": lo, "ci_high": hi,
        })
    table = pd.DataFrame(rows)
    shown = protect_event_rows(table, policy, ["observed", "ci_low", "ci_high"], total=(len(y), int(y.sum())),
                               keep_n=True)  # tenths of the sample: the bin sizes reveal nothing
    return shown.drop(columns="n_events")


def metrics_by_group(
    y: np.ndarray, p: np.ndarray, groups: pd.DataFrame, policy: DisclosurePolicy | str | None = DEFAULT
) -> pd.DataFrame:
    """:func:`probability_metrics` within each value of each column of ``groups``.

    Returns
    -------
    DataFrame
        ``variable``, ``group``, then :data:`METRIC_COLUMNS` and ``suppressed``. A cell is
        suppressed (every number NaN, ``n`` and ``n_events`` missing) by
        :func:`protect_event_rows`: 1-4 persons, or 1-4 with or without the outcome, in the
        cell or recovered from the whole sample minus the other groups of the variable.
    """
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    rows = []
    for variable in groups.columns:
        values = groups[variable].astype("string")
        for level in sorted(values.dropna().unique()):
            mask = (values == level).fillna(False).to_numpy(dtype=bool)
            rows.append({"variable": variable, "group": str(level), **probability_metrics(y[mask], p[mask])})
    out = pd.DataFrame(rows, columns=["variable", "group", *METRIC_COLUMNS])
    values = [c for c in METRIC_COLUMNS if c not in ("n", "n_events")]
    out = out.astype({c: "float64" for c in values})
    out = protect_event_rows(out, policy, values, total=(len(y), int(y.sum())), within="variable")
    return out[["variable", "group", *METRIC_COLUMNS, "suppressed"]]
