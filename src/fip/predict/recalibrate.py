"""Logistic recalibration of a job-chance model on newer data with outcomes.

A model trained on one period can rank persons well in a later one and still be off in
level (a labour market that improved) or in spread. Logistic recalibration (Cox 1958;
Steyerberg 2019, *Clinical Prediction Models*, ch. 20) keeps the model's linear predictor
``eta`` and fits, on the newer persons, the unpenalised logistic regression

    logit P(job) = a + b * eta

with the model's own window (e.g. the 6 months after round 1) and outcome. The new model
file applies it: its intercept is ``a + b * intercept`` and every coefficient ``b *
coefficient``, so scoring code needs no change. The interval's covariance is scaled by
``b**2`` (the covariance of ``b * beta`` for fixed a and b; the uncertainty of a and b
themselves is not added, which narrows the intervals slightly). Preprocessing, band cuts,
the rate model, the training calibration bins and the drift reference stay as they were.
The recalibration is recorded in the file's ``recalibration`` list: date, persons, events,
a, b, calibration in the large and slope before and after, the data period.

Examples
--------
>>> from fip.simulate import simulate_cohort
>>> from fip.predict import train
>>> model = train(simulate_cohort(seed=1), compare=False, created_at="t").model
>>> result = recalibrate(model, simulate_cohort(seed=2), date="2026-01-01")
>>> result.model.content["recalibration"][-1]["date"], 0 < result.b
('2026-01-01', True)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from fip.data import Dataset, pair_forms
from fip.disclosure import DisclosurePolicy
from fip.errors import FipError
from fip.predict.metrics import probability_metrics
from fip.predict.modelfile import Model
from fip.predict.score import score
from fip.regression import outcome_window

__all__ = ["RecalibrationResult", "fit_recalibration", "recalibrate"]

_METHOD = ("logistic recalibration: logit P = a + b * eta on the newer persons (unpenalised, Newton-Raphson), "
           "eta the model's linear predictor; new intercept = a + b * intercept, new coefficients = b * "
           "coefficients, covariance scaled by b^2 (a and b taken as fixed)")


def fit_recalibration(y: np.ndarray, eta: np.ndarray, *, tol: float = 1e-12, max_iter: int = 100) -> tuple[float, float]:
    """Maximum-likelihood ``(a, b)`` of ``logit P(y = 1) = a + b * eta`` (Newton-Raphson).

    Raises
    ------
    FipError
        The fit does not converge (e.g. ``eta`` separates the outcome perfectly).
    """
    y = np.asarray(y, dtype=np.float64)
    A = np.column_stack([np.ones_like(y), np.asarray(eta, dtype=np.float64)])
    theta = np.array([logit(np.clip(y.mean(), 1e-6, 1 - 1e-6)), 0.0])   # start: the null model
    for _ in range(max_iter):
        p = expit(A @ theta)
        grad = A.T @ (y - p)
        hess = (A * (p * (1 - p))[:, None]).T @ A
        step = np.linalg.solve(hess, grad)
        theta = theta + step
        if np.max(np.abs(step)) < tol * (1 + np.max(np.abs(theta))):
            return float(theta[0]), float(theta[1])
    raise FipError("the recalibration did not converge (the model's predictions separate the outcome perfectly?)")


@dataclass(frozen=True, eq=False)
class RecalibrationResult:
    """Result of :func:`recalibrate`.

    Attributes
    ----------
    model : Model
        The recalibrated model (save with :func:`fip.predict.save_model`).
    a, b : float
        Intercept and slope of the recalibration.
    before, after : DataFrame
        One row each of :func:`fip.predict.metrics.probability_metrics` on the newer persons,
        with the old and the recalibrated probabilities (after: in-sample, so its calibration
        slope is 1 and its calibration in the large 0 up to rounding).
    n : int
        Persons used.
    """

    model: Model
    a: float
    b: float
    before: pd.DataFrame
    after: pd.DataFrame
    n: int

    def tidy(self) -> pd.DataFrame:
        """``when`` (before/after), ``metric``, ``value``."""
        both = pd.concat([self.before.assign(when="before"), self.after.assign(when="after")], ignore_index=True)
        return both.melt(id_vars="when", var_name="metric", value_name="value")


def recalibrate(model: Model, data: Dataset, *, date: str | None = None,
                policy: DisclosurePolicy | None = None) -> RecalibrationResult:
    """Update a model's intercept and slope on newer data with outcomes.

    Parameters
    ----------
    model : Model
        From :func:`fip.predict.load_model` (or ``train(...).model``).
    data : Dataset or Study
        Newer persons, forms and outcomes. The persons used are those the model scores
        (round 1 for intake, rounds 1 and 2 for progression) with a complete outcome window
        of the model's window.
    date : str, optional
        Date of the recalibration written to the file (default: today, UTC).
    policy : DisclosurePolicy, optional
        The event count is left out of the record when persons with or without a job number
        1 to threshold-1 (default: the Study's policy, else the configured one).

    Returns
    -------
    RecalibrationResult

    Raises
    ------
    FipError
        Fewer than :data:`fip.predict.model.MIN_EVENTS` newer persons with (or without) a
        job; a slope ``b <= 0`` (the model's ranking does not hold on the newer data: retrain
        instead); no convergence.
    """
    from fip.predict.model import MIN_EVENTS
    from fip.study import Study

    content = model.content
    window, outcome = content["window"]["after"], content.get("outcome", "emp_dummy")
    if isinstance(data, Study):
        policy = data.policy if policy is None else policy
        table = data.outcome_window(window).table
    else:
        table = outcome_window(data, pair_forms(data), window).table
    policy = DisclosurePolicy.default() if policy is None else policy
    scores = score(data, model, check_drift=False).set_index("person_id")
    ids = scores.index.intersection(table.index).sort_values()
    y = table.loc[ids, outcome].to_numpy(dtype=np.float64)
    p = scores.loc[ids, "probability"].to_numpy(dtype=np.float64)
    n, k = len(ids), int(y.sum())
    if min(k, n - k) < MIN_EVENTS:
        raise FipError(f"only {min(k, n - k)} of {n} newer persons {'with' if k <= n - k else 'without'} {outcome!r} "
                       f"in the model's window; recalibration needs at least {MIN_EVENTS} of each")
    eta = logit(np.clip(p, 1e-15, 1 - 1e-15))
    a, b = fit_recalibration(y, eta)
    if not b > 0:
        raise FipError(f"the recalibration slope is {b:.3f} (<= 0): the model does not rank the newer persons; "
                       "retrain it instead")
    p_new = expit(a + b * eta)
    before, after = probability_metrics(y, p), probability_metrics(y, p_new)

    block = content["probability_model"]
    new_block = {**block, "intercept": a + b * block["intercept"],
                 "coefficients": {f: b * c for f, c in block["coefficients"].items()},
                 "covariance": (b**2 * np.asarray(block["covariance"], dtype=np.float64)).tolist()}
    if date is None:
        date = datetime.now(timezone.utc).date().isoformat()
    few = bool(policy.is_small(k) or policy.is_small(n - k))
    months = pd.to_datetime(table.loc[ids, "measured_on"])

    def calib(m: dict[str, float]) -> dict[str, Any]:
        return {"calibration_intercept": m["calibration_intercept"], "calibration_slope": m["calibration_slope"],
                "mean_predicted": m["mean_predicted"], "brier": m["brier"]}

    record = {
        "date": str(date), "method": _METHOD, "n_persons": n, "n_events": None if few else k,
        "observed": None if few else float(y.mean()), "a": a, "b": b,
        "window": {"after": window, "months": content["window"]["months"]},
        "first_month": str(months.min().to_period("M")), "last_month": str(months.max().to_period("M")),
        "before": calib(before), "after": calib(after), "previous_sha256": model.sha256,
    }
    new = {**content, "probability_model": new_block,
           "recalibration": [*content.get("recalibration", []), record]}
    cols = ["n", "observed", "mean_predicted", "auc", "brier", "log_loss", "calibration_slope", "calibration_intercept"]
    frames = [pd.DataFrame([{c: m[c] for c in cols}]) for m in (before, after)]
    if few:
        for f in frames:
            f["observed"] = np.nan
    return RecalibrationResult(model=Model.from_content(new), a=a, b=b, before=frames[0], after=frames[1], n=n)
