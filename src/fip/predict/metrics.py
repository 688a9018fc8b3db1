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
import statsmodels.api as sm
from scipy.stats import norm
from sklearn.metrics import log_loss, roc_auc_score

from fip.describe import MIN_CELL

__all__ = [
    "METRIC_COLUMNS",
    "calibration_bins",
    "metrics_by_group",
    "probability_metrics",
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
    return (float(max(0.0, centre - half)), float(min(1.0, centre + half)))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def _calibration(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """Calibration slope (logistic regression of y on logit p) and calibration-in-the-large
    (intercept of that regression with logit p as offset, slope fixed at 1)."""
    lp = _logit(p)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        citl_fit = sm.GLM(y, np.ones((len(y), 1)), family=sm.families.Binomial(), offset=lp).fit()
        if np.ptp(lp) == 0:  # identical predictions: the slope is not identified
            return float("nan"), float(citl_fit.params[0])
        slope_fit = sm.GLM(y, sm.add_constant(lp, has_constant="add"), family=sm.families.Binomial()).fit()
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


def calibration_bins(y: np.ndarray, p: np.ndarray, n_bins: int = 10, min_cell: int = MIN_CELL) -> pd.DataFrame:
    """Calibration curve: persons grouped by tenths (``n_bins`` quantile groups) of ``p``.

    Returns
    -------
    DataFrame
        One row per bin: ``bin`` (1..), ``lower``, ``upper`` (range of p in the bin; the
        bins of a model file use ``lower`` as the cut point), ``n``, ``mean_predicted``,
        ``observed``, ``observed_low``, ``observed_high`` (95 % Wilson interval) and
        ``suppressed`` (True when fewer than ``min_cell`` persons or fewer than
        ``min_cell`` with or without the outcome: the numbers are then NaN).
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
        small = n < min_cell or k < min_cell or n - k < min_cell
        lo, hi = wilson_interval(k, n)
        rows.append({
            "bin": b, "lower": float(p[idx].min()), "upper": float(p[idx].max()), "n": n,
            "mean_predicted": float(p[idx].mean()),
            "observed": np.nan if small else k / n,
            "observed_low": np.nan if small else lo,
            "observed_high": np.nan if small else hi,
            "suppressed": small,
        })
    return pd.DataFrame(rows)


def metrics_by_group(
    y: np.ndarray, p: np.ndarray, groups: pd.DataFrame, min_cell: int = MIN_CELL
) -> pd.DataFrame:
    """:func:`probability_metrics` within each value of each column of ``groups``.

    Returns
    -------
    DataFrame
        ``variable``, ``group``, then :data:`METRIC_COLUMNS` and ``suppressed``. A cell is
        suppressed (every number NaN, ``n`` included) when it has fewer than ``min_cell``
        persons, or fewer than ``min_cell`` with or without the outcome (fip.describe's rule).
    """
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    rows = []
    for variable in groups.columns:
        values = groups[variable].astype("string")
        for level in sorted(values.dropna().unique()):
            mask = (values == level).fillna(False).to_numpy(dtype=bool)
            n, k = int(mask.sum()), float(y[mask].sum())
            small = n < min_cell or k < min_cell or n - k < min_cell
            m = probability_metrics(y[mask], p[mask])
            if small:
                m = {c: np.nan for c in METRIC_COLUMNS}
            rows.append({"variable": variable, "group": str(level), **m, "suppressed": small})
    out = pd.DataFrame(rows, columns=["variable", "group", *METRIC_COLUMNS, "suppressed"])
    return out.astype({c: "float64" for c in METRIC_COLUMNS})
