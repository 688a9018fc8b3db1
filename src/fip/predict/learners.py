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

The penalty of both logistic models is chosen by :func:`select_C`: a cross-validation
grouped by caseworker over :data:`C_GRID`, by out-of-fold log loss. For speed the search
fits the regularisation path with its own Newton solver (:func:`logistic_path`, warm
starts from the strongest penalty); it minimises the same objective as scikit-learn's
``LogisticRegression`` (tested), which fits the final models.

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
from dataclasses import dataclass

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
    "CRITERION",
    "C_GRID",
    "LPM_CLIP",
    "PenaltySearch",
    "PenaltySelection",
    "fit_fractional_logit",
    "fit_gradient_boosting",
    "fit_logistic",
    "fit_ols_lpm",
    "logistic_path",
    "predict_ols_lpm",
    "select_C",
]



#: Linear-probability predictions are clipped to this range before log loss and calibration.
LPM_CLIP = (0.005, 0.995)
_MAX_ITER = 5000
_TOL = 1e-6   # tighter than sklearn's 1e-4 (coefficients to about 1e-4)

#: Inverse penalties searched when ``C="auto"``: 10**-3 .. 10**1, 9 points (half decades).
C_GRID: tuple[float, ...] = tuple(float(c) for c in 10.0 ** np.linspace(-3, 1, 9))
#: How :func:`select_C` ranks the grid.
CRITERION = ("mean out-of-fold log loss -[y log p + (1 - y) log(1 - p)] (for the rate model y is the "
             "share: cross-entropy), folds grouped by caseworker; the smallest C wins ties")


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


def _standardise(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """Mean imputation and standardisation with ``train``'s statistics (as :func:`fit_logistic`:
    an all-missing column is imputed with 0, a constant column keeps scale 1); an intercept
    column of ones is put first."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # all-missing column
        mean = np.nanmean(train, axis=0)
    mean = np.where(np.isnan(mean), 0.0, mean)
    out = []
    for i, a in enumerate((train, *others)):
        a = np.where(np.isnan(a), mean, a)
        if i == 0:
            centre = a.mean(axis=0)
            scale = a.std(axis=0)
            scale[scale < 10 * np.finfo(np.float64).eps * np.maximum(np.abs(centre), 1.0)] = 1.0
        out.append(np.hstack([np.ones((len(a), 1)), (a - centre) / scale]))
    return out


def _objective(eta: np.ndarray, y: np.ndarray, b: np.ndarray, lam: float) -> float:
    return float(np.sum(np.logaddexp(0.0, eta) - y * eta) + 0.5 * lam * (b[1:] @ b[1:]))


def logistic_path(
    Z1: np.ndarray, y: np.ndarray, Cs: tuple[float, ...] | np.ndarray, *, tol: float = 1e-6, max_iter: int = 100,
) -> np.ndarray:
    """L2-penalised logistic regression at each inverse penalty in ``Cs`` (Newton, warm starts).

    Minimises ``sum_i [log(1 + exp(z_i'b)) - y_i z_i'b] + ||b[1:]||^2 / (2 C)``, i.e.
    scikit-learn's objective (``C * loss + ||w||^2 / 2``, intercept not penalised) divided by
    C. ``y`` may be a share in [0, 1] (fractional logit: the same objective as the weighted
    copies of :func:`fit_fractional_logit`).

    Parameters
    ----------
    Z1 : ndarray (n, 1 + p)
        Intercept column of ones, then the standardised features (no missing values).
    y : ndarray (n,)
        Outcomes in [0, 1].
    Cs : sequence of float
        Inverse penalties; fitted from the smallest up, each warm-started from the previous.
    tol : float
        Stop when the largest Newton step is below ``tol``.

    Returns
    -------
    ndarray (len(Cs), 1 + p)
        Intercept and coefficients, one row per C (in the order of ``Cs``).

    Examples
    --------
    >>> Z1 = np.column_stack([np.ones(4), [-1.5, -0.5, 0.5, 1.5]])
    >>> B = logistic_path(Z1, np.array([0.0, 1.0, 0.0, 1.0]), [1e-6, 1e6])
    >>> bool(abs(B[0, 1]) < 1e-5 and B[1, 1] > 0.3)
    True
    """
    y = np.asarray(y, dtype=np.float64)
    Cs = np.asarray(Cs, dtype=np.float64)
    order = np.argsort(Cs, kind="stable")
    k = Z1.shape[1]
    b = np.zeros(k)
    ybar = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
    b[0] = np.log(ybar / (1 - ybar))
    out = np.empty((len(Cs), k))
    pen = np.ones(k)
    pen[0] = 0.0
    eta = Z1 @ b
    for j in order:
        lam = 1.0 / Cs[j]
        f = _objective(eta, y, b, lam)
        for _ in range(max_iter):
            p = 0.5 * (1.0 + np.tanh(0.5 * eta))          # sigmoid without overflow
            g = Z1.T @ (p - y) + lam * pen * b
            Zw = Z1 * np.sqrt(p * (1.0 - p))[:, None]
            H = Zw.T @ Zw                                  # numpy uses a symmetric rank-k update
            H[np.diag_indices(k)] += lam * pen + 1e-12
            step = np.linalg.solve(H, g)
            d_eta = Z1 @ step
            t = 1.0
            while True:                                    # backtracking (Armijo)
                new, eta_new = b - t * step, eta - t * d_eta
                f_new = _objective(eta_new, y, new, lam)
                if f_new <= f - 1e-4 * t * (g @ step) or t < 1e-10:
                    break
                t *= 0.5
            b, eta, f = new, eta_new, f_new
            if np.max(np.abs(t * step)) < tol:
                break
        out[j] = b
    return out


@dataclass(frozen=True)
class PenaltySearch:
    """The inverse penalty chosen for one outcome from one cross-validation.

    Attributes
    ----------
    C : float
        The grid value with the lowest mean out-of-fold log loss (the smallest of tied values).
    grid : tuple of float
    log_loss : tuple of float
        Mean out-of-fold log loss at each grid value.
    n_folds : int
        Folds of this cross-validation (groups of caseworkers).
    n : int
        Persons predicted out of fold.
    """

    C: float
    grid: tuple[float, ...]
    log_loss: tuple[float, ...]
    n_folds: int
    n: int


@dataclass(frozen=True)
class PenaltySelection:
    """Result of :func:`select_C`.

    Attributes
    ----------
    final : dict
        Outcome name -> :class:`PenaltySearch` over all folds: the C of the final model.
    outer : tuple of dict
        One dict per fold k: outcome name -> :class:`PenaltySearch` that uses only the persons
        outside fold k (the other folds are its inner folds). Fold k's validation model uses
        this C, so fold k's persons never influence their own model's penalty.
    """

    final: dict[str, PenaltySearch]
    outer: tuple[dict[str, PenaltySearch], ...]


def select_C(
    X: np.ndarray, outcomes: dict[str, np.ndarray], folds: np.ndarray, *, grid: tuple[float, ...] = C_GRID,
) -> PenaltySelection:
    """Choose the inverse penalty C of each outcome by nested cross-validation.

    ``folds`` are the outer folds (groups of caseworkers, as in :func:`fip.predict.train`).
    For fold k, the inner cross-validation runs on the persons outside k and its folds are
    the other K - 1 outer folds, so it is grouped by caseworker too. For the final model the
    cross-validation uses all K folds. A model trained without folds {j, k} predicts fold j
    for k's inner search and fold k for j's, so K (K + 1) / 2 regularisation paths per
    outcome serve all K + 1 searches. Each path imputes and standardises with its own
    training part's statistics and is fitted by :func:`logistic_path`. Within a search the
    grid value with the lowest mean out-of-fold log loss wins (the smallest among ties).

    Parameters
    ----------
    X : ndarray (n, p)
        Raw features (missing values allowed).
    outcomes : dict
        Name -> outcome in [0, 1] (0/1, or a share for the fractional logit). The outcomes
        share the paths' preprocessing.
    folds : ndarray (n,)
        Fold number 0..K-1 of every person; K >= 3 (an inner search needs two folds).
    grid : tuple of float
        Inverse penalties to compare.

    Returns
    -------
    PenaltySelection

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 3))
    >>> y = (X[:, 0] + rng.logistic(size=300) > 0).astype(float)
    >>> sel = select_C(X, {"y": y}, np.arange(300) % 5)
    >>> sel.final["y"].C in C_GRID, len(sel.outer), sel.outer[0]["y"].n
    (True, 5, 240)
    """
    X = np.asarray(X, dtype=np.float64)
    folds = np.asarray(folds)
    K = int(folds.max()) + 1
    if K < 3 or len(np.unique(folds)) != K:
        raise ValueError(f"select_C needs folds numbered 0..K-1 with K >= 3; got {np.unique(folds).tolist()}")
    grid = tuple(float(c) for c in grid)
    ys = {name: np.clip(np.asarray(y, dtype=np.float64), 0.0, 1.0) for name, y in outcomes.items()}
    in_fold = [folds == k for k in range(K)]
    # S[name][j, k]: summed log loss of fold j's persons, model trained without folds j and k
    # (k == j: trained without fold j only)
    S = {name: np.zeros((K, K, len(grid))) for name in ys}

    def loss(Zte: np.ndarray, B: np.ndarray, y: np.ndarray) -> np.ndarray:
        eta = Zte @ B.T                                       # (n_test, len(grid))
        return np.sum(np.logaddexp(0.0, eta) - y[:, None] * eta, axis=0)

    for j in range(K):
        for k in range(j, K):
            train = ~(in_fold[j] | in_fold[k])
            Ztr, Zj, Zk = _standardise(X[train], X[in_fold[j]], X[in_fold[k]])
            for name, y in ys.items():
                B = logistic_path(Ztr, y[train], grid)
                S[name][j, k] = loss(Zj, B, y[in_fold[j]])
                if k != j:
                    S[name][k, j] = loss(Zk, B, y[in_fold[k]])

    def pick(total: np.ndarray, n: int, n_folds: int) -> PenaltySearch:
        mean = total / n
        best = int(np.flatnonzero(mean <= mean.min())[0])
        return PenaltySearch(C=grid[best], grid=grid, log_loss=tuple(float(v) for v in mean),
                             n_folds=n_folds, n=n)

    n = len(folds)
    final = {name: pick(np.einsum("jjc->c", s), n, K) for name, s in S.items()}
    outer = []
    for k in range(K):
        others = [j for j in range(K) if j != k]
        n_k = int(n - in_fold[k].sum())
        outer.append({name: pick(s[others, k].sum(axis=0), n_k, K - 1) for name, s in S.items()})
    return PenaltySelection(final=final, outer=tuple(outer))
