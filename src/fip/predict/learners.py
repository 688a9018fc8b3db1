"""The learners of the job-chance models: fit on a feature matrix, predict for new persons.

* ``logistic``: the default. Mean imputation, standardisation, then logistic regression with
  an L2 penalty (scikit-learn ``Pipeline``).
* ``fractional_logit``: the expected monthly employment rate. It is a logistic regression
  on the same standardised features, fitted to a share in [0, 1] (quasi-likelihood). Each
  person enters twice, once with outcome 1 and weight ``rate`` and once with outcome 0 and
  weight ``1 - rate``.
* ``ols_lpm``: the study's linear probability model. It is OLS with caseworker fixed
  effects (:func:`fip.regression.fit_fixed_effects_ols`). A caseworker not seen in training
  gets the average fixed effect, i.e. the prediction is ``_cons + x'b`` (Stata
  ``predict, xb``). Predictions are clipped to [0.005, 0.995] before probability metrics.
* ``gradient_boosting``: scikit-learn ``HistGradientBoostingClassifier`` (or ``Regressor``
  for the rate). It handles missing values natively and uses a fixed seed and no early
  stopping.

Caseworkers are never features of the scoring models, because a new cohort brings new
caseworkers.

Examples
--------
>>> import numpy as np
>>> X = np.array([[1.0], [2.0], [3.0], [4.0], [np.nan], [6.0]])
>>> y = np.array([0, 0, 1, 0, 1, 1])
>>> pipe = fit_logistic(X, y, C=1.0)
>>> float(pipe.named_steps["impute"].statistics_[0])
3.2
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from fip.errors import CollinearityWarning
from fip.regression import fit_fixed_effects_ols

__all__ = [
    "LPM_CLIP",
    "fit_fractional_logit",
    "fit_gradient_boosting",
    "fit_logistic",
    "fit_ols_lpm",
    "predict_ols_lpm",
]

#: Linear-probability predictions are clipped to this range before log loss and calibration.
LPM_CLIP = (0.005, 0.995)
_MAX_ITER = 5000
_TOL = 1e-6   # tighter than sklearn's 1e-4 (coefficients to about 1e-4)


def fit_logistic(X: np.ndarray, y: np.ndarray, *, C: float) -> Pipeline:
    """Mean imputation, standardisation and L2-penalised logistic regression (lbfgs)."""
    pipe = Pipeline([
        ("impute", SimpleImputer(strategy="mean", keep_empty_features=True)),
        ("scale", StandardScaler()),
        ("logit", LogisticRegression(C=C, max_iter=_MAX_ITER, tol=_TOL)),
    ])
    return pipe.fit(X, np.asarray(y, dtype=np.int64))


def fit_fractional_logit(Z: np.ndarray, rate: np.ndarray, *, C: float) -> LogisticRegression:
    """Fractional logit of a share ``rate`` in [0, 1] on already standardised features ``Z``.

    The penalty has the same strength as in :func:`fit_logistic`, because the weights of
    each person sum to 1.
    """
    rate = np.clip(np.asarray(rate, dtype=np.float64), 0.0, 1.0)
    n = len(rate)
    Zd = np.vstack([Z, Z])
    yd = np.concatenate([np.ones(n, dtype=np.int64), np.zeros(n, dtype=np.int64)])
    w = np.concatenate([rate, 1.0 - rate])
    keep = w > 0
    model = LogisticRegression(C=C, max_iter=_MAX_ITER, tol=_TOL)
    return model.fit(Zd[keep], yd[keep], sample_weight=w[keep])


def fit_ols_lpm(X: pd.DataFrame, y: np.ndarray, caseworker: np.ndarray) -> tuple[pd.Series, np.ndarray]:
    """OLS with caseworker fixed effects (areg). Returns (params incl. ``_cons``, column means
    used to impute missing values)."""
    means = X.mean().to_numpy()
    Xi = X.fillna(pd.Series(means, index=X.columns))
    data = Xi.assign(__y=np.asarray(y, dtype=np.float64), __cw=np.asarray(caseworker, dtype=object))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CollinearityWarning)
        res = fit_fixed_effects_ols(data, "__y", list(X.columns), absorb="__cw")
    params = res.params.reindex([*X.columns, "_cons"]).fillna(0.0)
    return params, means


def predict_ols_lpm(params: pd.Series, means: np.ndarray, X: pd.DataFrame) -> np.ndarray:
    """``_cons + x'b`` with missing values imputed by the training means (unclipped)."""
    Xi = X.to_numpy(dtype=np.float64).copy()
    nan = np.isnan(Xi)
    Xi[nan] = np.broadcast_to(means, Xi.shape)[nan]
    return params["_cons"] + Xi @ params[list(X.columns)].to_numpy()


def fit_gradient_boosting(X: np.ndarray, y: np.ndarray, *, seed: int, rate: bool = False):
    """Histogram gradient boosting (classifier, or regressor for the rate); fixed settings."""
    kwargs = dict(max_iter=150, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=40,
                  early_stopping=False, random_state=seed)
    # one OpenMP thread: on a busy 2-core machine the default threads are several times slower
    with threadpool_limits(1, user_api="openmp"):
        if rate:
            return HistGradientBoostingRegressor(**kwargs).fit(X, y)
        return HistGradientBoostingClassifier(**kwargs).fit(X, np.asarray(y, dtype=np.int64))
