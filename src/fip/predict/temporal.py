"""Out-of-time validation: fit on the earlier measurements, test on the later ones.

The grouped cross-validation of :func:`fip.predict.train` holds out caseworkers but mixes
periods: every fold has persons from the whole data period. A model is used on cohorts that
come *after* its training data, so :func:`out_of_time` splits by date instead. Persons whose
reference date (the round-1 date for the intake model, the round-2 date for the progression
model: the date the model would score them) falls before the split date train the model, the
others test it, with the metrics of the grouped cross-validation
(:func:`fip.predict.metrics.probability_metrics`).

The training part is fitted as ``train`` fits its final model: mean imputation,
standardisation, L2-penalised logistic regression, C chosen by cross-validation grouped by
caseworker on the training part only (or fixed). The outcome windows of the last training
persons reach past the split date: the model is the one that could have been trained once
their windows had closed, 6 months after the split.

Examples
--------
>>> from fip.simulate import simulate_cohort
>>> report = validate_out_of_time(simulate_cohort(3000, seed=1), "intake", split=0.7, C=0.1)
>>> report.n_train > report.n_test > 0, list(report.metrics.index)
(True, ['logistic'])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold
from threadpoolctl import threadpool_limits

from fip.disclosure import DisclosurePolicy
from fip.errors import FipError
from fip.predict.learners import C_GRID, fit_logistic, select_C
from fip.predict.metrics import METRIC_COLUMNS, probability_metrics, protect_event_rows

__all__ = ["DEFAULT_SPLIT", "MIN_TEST", "OutOfTimeReport", "out_of_time", "parse_split", "split_date", "validate_out_of_time"]

#: Default split: the earliest 70 % of the persons (by reference date) train, the rest test.
DEFAULT_SPLIT = 0.7
#: Fewest persons in the test part.
MIN_TEST = 50


@dataclass(frozen=True, eq=False)
class OutOfTimeReport:
    """Result of :func:`out_of_time`.

    Attributes
    ----------
    split : str
        The split date (ISO): training persons have a reference date before it.
    metrics : DataFrame
        One row (index ``learner``: ``logistic``), columns
        :data:`fip.predict.metrics.METRIC_COLUMNS`, on the test part; hidden (NaN) where the
        persons with or without a job number 1-4.
    n_train, n_test : int
    train_period, test_period : tuple of str
        First and last month (``YYYY-MM``) of the reference dates of each part.
    n_shared_caseworkers : int
        Caseworkers with persons in both parts (caseworkers are not features).
    C : float
        Inverse penalty of the model fitted on the training part.
    """

    split: str
    metrics: pd.DataFrame
    n_train: int
    n_test: int
    train_period: tuple[str, str]
    test_period: tuple[str, str]
    n_shared_caseworkers: int
    C: float

    def tidy(self) -> pd.DataFrame:
        """The test metrics in long form: ``learner``, ``metric``, ``value``."""
        return (self.metrics.rename_axis("learner").reset_index()
                .melt(id_vars="learner", var_name="metric", value_name="value"))

    def record(self) -> dict[str, object]:
        """The model file's ``validation.out_of_time`` block (no person-level values)."""
        m = self.metrics.reset_index().iloc[0].to_dict()
        return {
            "rule": ("fitted on the persons whose reference date (round 1 for intake, round 2 for progression) "
                     "is before split, tested on the others; C chosen on the training part only"),
            "split": self.split, "n_train": self.n_train, "n_test": self.n_test,
            "train_period": list(self.train_period), "test_period": list(self.test_period),
            "n_shared_caseworkers": self.n_shared_caseworkers, "C": self.C,
            "metrics": {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in m.items()},
        }


def parse_split(split: float | str) -> float | pd.Timestamp:
    """``split`` as a share in (0, 1) or a date; ``ValueError`` naming the argument otherwise."""
    if isinstance(split, str):
        text = split.strip()
        try:
            split = float(text)
        except ValueError:
            try:
                return pd.Timestamp(text)
            except ValueError:
                raise ValueError(f"out_of_time must be a date (YYYY-MM-DD) or a share in (0, 1); got {text!r}") from None
    if isinstance(split, pd.Timestamp):
        return split
    if isinstance(split, bool) or not isinstance(split, (int, float)) or not 0 < split < 1:
        raise ValueError(f"out_of_time must be a date (YYYY-MM-DD) or a share in (0, 1); got {split!r}")
    return float(split)


def split_date(dates: pd.Series, split: float | str) -> pd.Timestamp:
    """The split date: an ISO date, or for a share s in (0, 1) the first reference date
    after the earliest s of the persons (so persons of one day stay on one side)."""
    d = pd.to_datetime(dates).sort_values().reset_index(drop=True)
    split = parse_split(split)
    if isinstance(split, pd.Timestamp):
        return split
    k = min(max(int(np.ceil(split * len(d))), 1), len(d) - 1)
    later = d[d > d.iloc[k - 1]]
    if later.empty:
        raise FipError("every person has the same reference date; no out-of-time split is possible")
    return later.iloc[0]


def _months(d: pd.Series) -> tuple[str, str]:
    return str(d.min().to_period("M")), str(d.max().to_period("M"))


def out_of_time(
    X: np.ndarray, y: np.ndarray, caseworkers: np.ndarray, dates: pd.Series, *,
    split: float | str = DEFAULT_SPLIT, C: float | None = None, n_folds: int = 5, seed: int = 0,
    policy: DisclosurePolicy | None = None,
) -> OutOfTimeReport:
    """Out-of-time metrics of the logistic job-chance model on prepared arrays.

    Parameters
    ----------
    X : ndarray (n, p)
        Raw features (missing values allowed), as in :func:`fip.predict.train`.
    y : ndarray (n,)
        0/1 outcome.
    caseworkers : ndarray (n,)
        Caseworker of each person (the folds of the penalty search are grouped by it).
    dates : Series (n,)
        Reference date of each person.
    split : float or str
        A share of the persons (the earliest train) or an ISO date.
    C : float, optional
        Fixed inverse penalty; default: chosen on the training part by cross-validation
        grouped by caseworker over :data:`fip.predict.learners.C_GRID`.
    n_folds, seed : int
        Folds and seed of that search.
    policy : DisclosurePolicy, optional
        Small-cell rule of the metrics (default: the configured one).

    Raises
    ------
    FipError
        Fewer than 50 training persons or :data:`MIN_TEST` test persons, fewer than
        ``MIN_EVENTS`` training persons with (or without) a job, fewer caseworkers than
        folds in the training part.
    """
    from fip.predict.model import MIN_EVENTS

    policy = DisclosurePolicy.default() if policy is None else policy
    dates = pd.to_datetime(pd.Series(np.asarray(dates)))
    cut = split_date(dates, split)
    tr = (dates < cut).to_numpy()
    te = ~tr
    n_tr, n_te = int(tr.sum()), int(te.sum())
    when = f"split at {cut.date().isoformat()}"
    if n_tr < 50 or n_te < MIN_TEST:
        raise FipError(f"{when}: {n_tr} persons before and {n_te} after; need at least "
                       f"50 before and {MIN_TEST} after")
    smaller = int(min(y[tr].sum(), n_tr - y[tr].sum()))
    if smaller < MIN_EVENTS:
        raise FipError(f"{when}: only {smaller} of the {n_tr} earlier persons with (or "
                       f"without) a job; the model needs at least {MIN_EVENTS} of each")
    cw_tr = caseworkers[tr]
    if C is None:
        if len(np.unique(cw_tr)) < n_folds:
            raise FipError(f"{when}: {len(np.unique(cw_tr))} caseworkers before the "
                           f"split; need at least {n_folds} to choose the penalty")
        folds = np.empty(n_tr, dtype=np.int64)
        for k, (_, test) in enumerate(GroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
                                      .split(X[tr], y[tr], groups=cw_tr)):
            folds[test] = k
        with threadpool_limits(1):
            C = select_C(X[tr], {"y": y[tr]}, folds, grid=C_GRID).final["y"].C
    with threadpool_limits(1):
        pipe = fit_logistic(X[tr], y[tr], C=C)
        p = pipe.predict_proba(X[te])[:, 1]
    row = {"learner": "logistic", **probability_metrics(y[te], p)}
    metrics = protect_event_rows(pd.DataFrame([row]), policy,
                                 [c for c in METRIC_COLUMNS if c not in ("n", "n_events")]).set_index("learner")
    metrics["n"] = n_te
    shared = len(set(cw_tr) & set(caseworkers[te]))
    return OutOfTimeReport(split=cut.date().isoformat(), metrics=metrics[list(METRIC_COLUMNS)], n_train=n_tr,
                           n_test=n_te, train_period=_months(dates[tr]), test_period=_months(dates[te]),
                           n_shared_caseworkers=shared, C=float(C))


def validate_out_of_time(dataset, kind: str = "intake", *, split: float | str = DEFAULT_SPLIT,
                         **options) -> OutOfTimeReport:
    """Out-of-time validation of a job-chance model on a dataset or Study.

    ``train(dataset, kind, out_of_time=split, compare=False, **options).validation.out_of_time``:
    the sample, features, outcome window and options (``outcome``, ``C``, ``n_folds``,
    ``seed``, ``window``, ``policy`` ...) are those of :func:`fip.predict.train`; ``split`` is
    a share of the persons (the earliest train the model) or an ISO date.

    Raises
    ------
    FipError
        The split leaves too few persons or events on either side (see :func:`out_of_time`).
    """
    import warnings

    from fip.predict.model import train

    options.setdefault("compare", False)
    options.setdefault("created_at", "out-of-time")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = train(dataset, kind, out_of_time=split, **options)
    for w in caught:
        text = str(w.message)
        if text.startswith("out-of-time validation not done: "):
            raise FipError(text.removeprefix("out-of-time validation not done: "))
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return result.validation.out_of_time
