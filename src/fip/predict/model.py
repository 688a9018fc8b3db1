"""Train and validate a job-chance model; the result carries the model file's content.

Examples
--------
>>> from fip.simulate import simulate_cohort
>>> result = train(simulate_cohort(3000, seed=1), "intake", seed=1, compare=False,
...                created_at="2020-01-01T00:00:00Z")
>>> result.model.kind, list(result.validation.metrics.index)
('intake', ['logistic'])
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

import fip
from fip._options import check_option
from fip.data import Dataset, Pairing, pair_forms
from fip.disclosure import DisclosurePolicy
from fip.errors import FewEventsWarning, FipError
from fip.predict.assessment import AssessmentComparison, compare_assessment
from fip.predict.drift import reference_block
from fip.predict.fairness import DEFAULT_N_BOOT, FairnessAudit, audit_groups, fairness_audit
from fip.predict.features import (
    CONTROL_CODING,
    DEFAULT_FEATURE_POLICY,
    FEATURE_POLICIES,
    MODEL_KINDS,
    build_features,
    feature_names,
)
from fip.predict.temporal import OutOfTimeReport, parse_split
from fip.predict.temporal import out_of_time as validate_split
from fip.predict.interval import INTERVAL_LEVEL, INTERVAL_METHOD, posterior_covariance
from fip.predict.learners import (
    C_GRID,
    CRITERION,
    LPM_CLIP,
    PenaltySelection,
    fit_fractional_logit,
    fit_gradient_boosting,
    fit_logistic,
    fit_ols_lpm,
    predict_ols_lpm,
    select_C,
)
from fip.predict.metrics import (
    METRIC_COLUMNS,
    calibration_bins,
    metrics_by_group,
    probability_metrics,
    protect_event_rows,
    rate_metrics,
    wilson_interval,
)
from fip.predict.modelcard import model_card_block
from fip.predict.modelfile import FORMAT, FORMAT_VERSION, Model
from fip.regression import OUTCOME_MONTHS, OUTCOME_WINDOWS, OUTCOMES, outcome_window
from fip.study import Study

__all__ = ["BAND_LABELS", "DEFAULT_WINDOW", "FEW_EVENTS_PER_FEATURE", "MIN_EVENTS", "TrainResult", "ValidationReport", "train"]

BAND_LABELS: tuple[str, ...] = ("low", "middle", "high")
_BINARY_OUTCOMES = ("emp_dummy", "ord_emp_dummy", "edu_dummy")
#: The outcome window a model kind predicts unless told otherwise (see :func:`train`).
DEFAULT_WINDOW: dict[str, str] = {"intake": "round_1", "progression": "round_2"}
_ROUNDS_OF = {"intake": "a round 1", "progression": "rounds 1 and 2"}
_OUTCOME_WORDS = {"emp_dummy": "any employment", "ord_emp_dummy": "ordinary employment", "edu_dummy": "education"}
#: ``train`` refuses a sample with fewer persons than this with a job, or without one. At 3
#: events a model still reported an AUC of 0.59; at 20 the grouped 5-fold cross-validation
#: has about 4 events per test fold, the least that gives an AUC at all in every fold.
MIN_EVENTS = 20
#: ``train`` warns (:class:`fip.errors.FewEventsWarning`) below this many events per feature
#: in the smaller class: the "10 events per variable" rule of thumb (Peduzzi et al. 1996),
#: relaxed to 5 because the penalty is chosen by cross-validation (Riley et al. 2019 argue
#: for a calculation instead of a fixed rule; see docs/predict.md).
FEW_EVENTS_PER_FEATURE = 5


@dataclass(frozen=True, eq=False)
class ValidationReport:
    """Cross-validated performance: folds grouped by caseworker (no caseworker in both the
    training and the test part of a fold).

    Attributes
    ----------
    metrics : DataFrame
        Out-of-fold probability metrics, one row per learner (index ``learner``: ``logistic``
        first, then ``ols_lpm`` and ``gradient_boosting`` when compared); columns
        :data:`fip.predict.metrics.METRIC_COLUMNS`.
    by_group : DataFrame
        The default learner's metrics within gender and origin group (``variable``,
        ``group``, metrics, ``suppressed``: cells under 5 persons, or under 5 with or
        without a job, show no numbers).
    calibration : DataFrame
        The default learner's calibration curve (tenths of the predicted probability), see
        :func:`fip.predict.metrics.calibration_bins`.
    rate_metrics : DataFrame
        Out-of-fold metrics of the expected employment rate, one row per learner
        (``fractional_logit``, ``ols_lpm``, ``gradient_boosting``).
    folds : DataFrame
        Per fold and learner: ``fold``, ``learner``, ``n``, ``n_caseworkers``, ``auc``,
        ``brier``, ``log_loss`` and ``C`` (the inverse penalty of the fold's logistic model;
        NaN for the other learners).
    predictions : DataFrame
        Out-of-fold predictions: ``person_id``, ``caseworker_id``, ``fold``, ``y``, ``rate``,
        one ``p_<learner>`` column per learner and ``rate_<learner>``. This frame holds
        pseudonymous ids; it is not written to the model file.
    n_folds : int
    penalty : DataFrame
        How the inverse penalty C of each logistic model was set: ``model``
        (``probability`` or ``rate``), ``search`` (``final``: the search for the final model on
        all folds; ``fold k``: the inner search for fold k's validation model, on the other
        folds; ``fixed``: C was given), ``C``, ``log_loss`` (mean out-of-fold log loss of that
        search at that C; NaN when fixed) and ``chosen``.
    fairness : FairnessAudit, optional
        The default learner's audit by gender, origin group, gender x origin, answer
        language and age group, at the band cuts, with bootstrap CIs over caseworkers
        (:func:`fip.predict.fairness.fairness_audit`).
    out_of_time : OutOfTimeReport or None
        With ``train(..., out_of_time=split)``: the model fitted on the earlier persons and
        tested on the later ones (:mod:`fip.predict.temporal`).
    assessment : AssessmentComparison or None
        When the caseworker forms carry ``caseworker_assessment``: the out-of-fold band
        beside the caseworker's assessment at the model's reference round (round 1 for
        intake, round 2 for progression), see :mod:`fip.predict.assessment`.
    """

    metrics: pd.DataFrame
    by_group: pd.DataFrame
    calibration: pd.DataFrame
    rate_metrics: pd.DataFrame
    folds: pd.DataFrame
    predictions: pd.DataFrame
    n_folds: int
    penalty: pd.DataFrame
    fairness: FairnessAudit | None = None
    out_of_time: OutOfTimeReport | None = None
    assessment: AssessmentComparison | None = None

    def tidy(self) -> pd.DataFrame:
        """Out-of-fold metrics in long form: ``learner``, ``metric``, ``value``."""
        return (self.metrics.rename_axis("learner").reset_index()
                .melt(id_vars="learner", var_name="metric", value_name="value"))


@dataclass(frozen=True, eq=False)
class TrainResult:
    """Result of :func:`train`.

    Attributes
    ----------
    model : Model
        The model file's content (save with :func:`fip.predict.save_model`).
    validation : ValidationReport
    pipeline : sklearn Pipeline
        The final probability model fitted on all persons (imputer, scaler, logistic
        regression); the model file holds its numbers.
    n_persons, n_caseworkers : int
        Training sample.
    """

    model: Model
    validation: ValidationReport
    pipeline: Pipeline
    n_persons: int
    n_caseworkers: int

    def tidy(self) -> pd.DataFrame:
        """The validation metrics in long form (:meth:`ValidationReport.tidy`)."""
        return self.validation.tidy()


def _oof(
    X: pd.DataFrame, y: np.ndarray, rate: np.ndarray, cw: np.ndarray, folds: np.ndarray,
    n_folds: int, *, C_prob: list[float], C_rate: list[float], seed: int, compare: bool,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], list[dict[str, object]]]:
    n = len(y)
    p = {"logistic": np.full(n, np.nan)}
    r = {"fractional_logit": np.full(n, np.nan)}
    if compare:
        p |= {"ols_lpm": np.full(n, np.nan), "gradient_boosting": np.full(n, np.nan)}
        r |= {"ols_lpm": np.full(n, np.nan), "gradient_boosting": np.full(n, np.nan)}
    rows = []
    Xa = X.to_numpy(dtype=np.float64)
    for k in range(n_folds):
        test = folds == k
        tr = ~test
        pipe = fit_logistic(Xa[tr], y[tr], C=C_prob[k])
        p["logistic"][test] = pipe.predict_proba(Xa[test])[:, 1]
        pre = pipe[:-1]
        frac = fit_fractional_logit(pre.transform(Xa[tr]), rate[tr], C=C_rate[k])
        r["fractional_logit"][test] = frac.predict_proba(pre.transform(Xa[test]))[:, 1]
        if compare:
            params, means = fit_ols_lpm(X[tr], y[tr], cw[tr])
            p["ols_lpm"][test] = predict_ols_lpm(params, means, X[test])
            params, means = fit_ols_lpm(X[tr], rate[tr], cw[tr])
            r["ols_lpm"][test] = predict_ols_lpm(params, means, X[test])
            gb = fit_gradient_boosting(Xa[tr], y[tr], seed=seed)
            p["gradient_boosting"][test] = gb.predict_proba(Xa[test])[:, 1]
            gb = fit_gradient_boosting(Xa[tr], rate[tr], seed=seed, rate=True)
            r["gradient_boosting"][test] = gb.predict(Xa[test])
        for learner, values in p.items():
            pv = np.clip(values[test], *LPM_CLIP) if learner == "ols_lpm" else values[test]
            m = probability_metrics(y[test], pv)
            rows.append({"fold": k, "learner": learner, "n": int(test.sum()),
                         "n_caseworkers": int(len(np.unique(cw[test]))),
                         "auc": m["auc"], "brier": m["brier"], "log_loss": m["log_loss"],
                         "C": C_prob[k] if learner == "logistic" else np.nan})
    return p, r, rows


def _parse_C(C: object) -> float | None:
    """None for ``"auto"``, else the positive number ``C`` (a numeric string is accepted, as
    given on a command line)."""
    if isinstance(C, str):
        text = C.strip()
        if text.lower() == "auto":
            return None
        try:
            C = float(text)
        except ValueError:
            raise ValueError(f"C must be 'auto' or a positive number; got {C!r}") from None
    if isinstance(C, bool) or not isinstance(C, (int, float, np.integer, np.floating)) or not (
            np.isfinite(C) and C > 0):
        raise ValueError(f"C must be 'auto' or a positive number; got {C!r}")
    return float(C)


def _penalty_frame(selection: PenaltySelection | None, fixed: float | None, n_folds: int) -> pd.DataFrame:
    rows = []
    for model, name in (("probability", "y"), ("rate", "rate")):
        if selection is None:
            rows.append({"model": model, "search": "fixed", "C": fixed, "log_loss": np.nan, "chosen": True})
            continue
        searches = [("final", selection.final[name]),
                    *((f"fold {k}", selection.outer[k][name]) for k in range(n_folds))]
        for label, s in searches:
            rows += [{"model": model, "search": label, "C": c, "log_loss": v, "chosen": c == s.C}
                     for c, v in zip(s.grid, s.log_loss)]
    return pd.DataFrame(rows, columns=["model", "search", "C", "log_loss", "chosen"]).astype(
        {"model": "str", "search": "str", "C": "float64", "log_loss": "float64", "chosen": "bool"})


def _selection_record(selection: PenaltySelection | None, name: str, n_folds: int) -> dict[str, object]:
    if selection is None:
        return {"method": "fixed: C given by the user"}
    s = selection.final[name]
    return {
        "method": ("nested cross-validation grouped by caseworker: for the final model, the C of the grid "
                   "with the lowest out-of-fold log loss over the validation folds; for fold k's validation "
                   "model, the same search on the other folds only"),
        "criterion": CRITERION,
        "grid": list(s.grid),
        "cv_log_loss": list(s.log_loss),
        "fold_C": [selection.outer[k][name].C for k in range(n_folds)],
    }


def _bands(p_oof: np.ndarray, y: np.ndarray, policy: DisclosurePolicy) -> dict[str, object]:
    """Cut points at the tertiles of the out-of-fold probabilities, rounded to 0.01."""
    cuts = [float(np.round(np.quantile(p_oof, q), 2)) for q in (1 / 3, 2 / 3)]
    if not 0 < cuts[0] < cuts[1] < 1:    # very concentrated predictions: unrounded tertiles
        cuts = [float(np.quantile(p_oof, q)) for q in (1 / 3, 2 / 3)]
    if not 0 < cuts[0] < cuts[1] < 1:
        raise FipError("the predicted probabilities are too concentrated to define three bands")
    band = np.digitize(p_oof, cuts)
    rows = []
    for b, label in enumerate(BAND_LABELS):
        mask = band == b
        n, k = int(mask.sum()), int(y[mask].sum())
        lo, hi = wilson_interval(k, n)
        rows.append({"band": label, "n": n, "n_events": k, "observed": k / n if n else np.nan,
                     "ci_low": lo, "ci_high": hi})
    shown = protect_event_rows(pd.DataFrame(rows), policy, ["observed", "ci_low", "ci_high"],
                               total=(len(y), int(y.sum())), keep_n=True)  # sizes follow from the tertile cuts
    rows = [{"band": r.band, "n": int(r.n), **{c: None if pd.isna(getattr(r, c)) else float(getattr(r, c))
                                               for c in ("observed", "ci_low", "ci_high")}}
            for r in shown.itertuples()]
    return {
        "labels": list(BAND_LABELS),
        "cuts": cuts,
        "rule": ("low if p < cuts[0], middle if cuts[0] <= p < cuts[1], high if p >= cuts[1]; the cuts "
                 "are the tertiles of the out-of-fold predicted probabilities (grouped by caseworker), "
                 "rounded to 0.01"),
        "validation": rows,
    }


def _frame_records(frame: pd.DataFrame) -> list[dict[str, object]]:
    return [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}
            for row in frame.to_dict("records")]


def _at_reference_round(pairing: Pairing, kind: str, column: str, ids: pd.Index) -> pd.Series:
    """``column`` of each person's measurement at the model's reference round (round 1 for
    intake, round 2 for progression), in the order of ``ids`` (positional index)."""
    m = pairing.measurements
    ref = m[m["round"] == (1 if kind == "intake" else 2)].assign(person_id=lambda f: f["person_id"].astype("str"))
    return ref.drop_duplicates("person_id").set_index("person_id")[column].reindex(ids).reset_index(drop=True)


def train(
    dataset: Dataset | Study,
    kind: str = "intake",
    *,
    outcome: str = "emp_dummy",
    rate_outcome: str = "emp_rate",
    C: float | str = "auto",
    n_folds: int = 5,
    seed: int = 0,
    compare: bool = True,
    created_at: str | None = None,
    pairing: Pairing | None = None,
    policy: DisclosurePolicy | None = None,
    window: str | None = None,
    features: str = DEFAULT_FEATURE_POLICY,
    n_boot: int = DEFAULT_N_BOOT,
    out_of_time: float | str | None = None,
) -> TrainResult:
    """Fit and validate a job-chance model (probability of any employment, expected rate).

    Parameters
    ----------
    dataset : Dataset or Study
        Persons, forms and outcomes. The training sample is every person with the model's
        rounds (round 1 for ``intake``, rounds 1 and 2 for ``progression``) and a complete
        outcome window (:func:`fip.regression.outcome_window`). A :class:`fip.study.Study`
        lends its window and features (forms up to its ``until``), computed once for every
        model trained from it.
    kind : {"intake", "progression"}
        ``intake``: round-1 answers and controls at round 1. ``progression``: round-1 answers,
        the changes to round 2 and controls at round 2 (see :mod:`fip.predict.features`).
    outcome : {"emp_dummy", "ord_emp_dummy", "edu_dummy"}
        Binary outcome of the probability model (default: any employment, wage subsidy
        included, in the window).
    rate_outcome : str
        Share outcome of the rate model (default ``emp_rate``, the mean monthly employment rate).
    C : "auto" or float
        Inverse L2 penalty of both logistic models (features standardised; smaller is
        stronger). ``"auto"`` (default) chooses it for each model separately from the grid
        :data:`fip.predict.learners.C_GRID` (10**-3 .. 10, half decades) by the lowest
        out-of-fold log loss in a cross-validation grouped by caseworker. The search is
        nested: each validation fold's model gets a C chosen on the other folds only, so
        the reported metrics stay honest, and the final model's C is chosen on all folds.
        A positive number (or a string holding one) fixes C. The chosen values, the grid
        and the losses are in the model file and in ``validation.penalty``.
    n_folds : int
        Folds of the cross-validation; folds are groups of caseworkers (``GroupKFold``,
        shuffled with ``seed``). ``C="auto"`` needs at least 3 (its inner folds are the
        other validation folds).
    seed : int
        Seed of the fold assignment and of the gradient-boosting comparison.
    compare : bool
        Also validate the study's linear probability model and gradient boosting.
    created_at : str, optional
        Creation time written to the model file (ISO 8601). Default: now (UTC, whole
        seconds). Pass a fixed value to get byte-identical files from identical training runs.
    pairing : Pairing, optional
        ``pair_forms(dataset)`` if not given (not with a Study, which has its own).
    window : {"round_1", "round_2"}, optional
        The round whose 6 following calendar months the outcome covers. Default: the
        question the caseworker asks when the model is used, ``round_1`` for ``intake``
        ("a job within 6 months from now", at intake) and ``round_2`` for ``progression``
        (the study's window). ``intake`` with ``round_2`` trains on the study's window
        (the persons with a round 2 only); ``progression`` needs ``round_2``, since its
        features include round 2. Written into the model file and into every score.
    features : {"items_and_controls", "without_gender_origin", "items_only"}
        Feature policy (:data:`fip.predict.features.FEATURE_POLICIES`): the items and every
        study control (default), the items and the controls except gender and origin group,
        or the items alone. Recorded in the model file (``feature_policy``); the fairness
        audit is by the same groups whatever the policy.
    n_boot : int
        Bootstrap replicates (whole caseworkers resampled) of the fairness audit's CIs
        (default 200; 0: no CIs).
    policy : DisclosurePolicy, optional
        Small-cell rule of the validation tables and the model file (default: the Study's
        policy, else the configured one): metrics resting on 1-4 persons with or without a
        job, or recoverable from the whole sample minus the other groups, are hidden, and so
        is the event count.
    out_of_time : float or str, optional
        Also validate out of time (:func:`fip.predict.temporal.out_of_time`): fit on the
        persons whose reference date (round 1 for ``intake``, round 2 for ``progression``) is
        before the split, test on the rest. A share (e.g. 0.7: the earliest 70 % train) or an
        ISO date. Recorded in ``validation.out_of_time`` and in the model file. When a side
        of the split has too few persons or events, a warning says why and it is left out.

    Returns
    -------
    TrainResult
        ``model`` (file content), ``validation`` (:class:`ValidationReport`), ``pipeline``.

    Raises
    ------
    FipError
        Fewer than 50 persons, fewer caseworkers than folds, or fewer than :data:`MIN_EVENTS`
        persons with (or without) a job.
    ValueError
        Bad options, e.g. ``C`` neither "auto" nor positive, or ``C="auto"`` with ``n_folds=2``.

    Notes
    -----
    Caseworker effects (large in the study and in the simulator) cannot be used to score a
    new cohort, whose caseworkers are new. They are left out of the features, and the
    cross-validation holds out whole caseworkers. The reported metrics are therefore those
    of persons with a caseworker the model has never seen. The study's fixed-effects LPM is
    validated the same way: an unseen caseworker gets the average effect.

    A fixed C that suits a large cohort overfits a small one: at 480 persons C = 1 gave a
    cross-validated calibration slope of 0.45-0.59 (too extreme predictions). Hence the
    default ``C="auto"``, which chooses a stronger penalty for smaller cohorts.
    """
    check_option("kind", kind, MODEL_KINDS)
    check_option("outcome", outcome, _BINARY_OUTCOMES)
    check_option("features", features, FEATURE_POLICIES)
    window = DEFAULT_WINDOW[kind] if window is None else window
    check_option("window", window, OUTCOME_WINDOWS)
    if kind == "progression" and window != "round_2":
        raise ValueError("window must be 'round_2' for a progression model: its features include round 2, "
                         f"which falls inside the window after round 1; got window={window!r}")
    if policy is None:
        policy = dataset.policy if isinstance(dataset, Study) else DisclosurePolicy.default()
    fixed_C = _parse_C(C)
    if out_of_time is not None:
        parse_split(out_of_time)
    if not (isinstance(n_folds, int) and n_folds >= 2):
        raise ValueError(f"n_folds must be a whole number >= 2; got {n_folds!r}")
    if fixed_C is None and n_folds < 3:
        raise ValueError(f"C='auto' needs n_folds >= 3 (the inner folds are the other validation folds); "
                         f"got n_folds={n_folds}. Pass a fixed C or more folds.")
    if isinstance(dataset, Study):
        if pairing is not None:
            raise ValueError("pairing must not be given with a Study (the Study pairs its own forms)")
        inst, pairing, persons = dataset.instrument, dataset.model_pairing, dataset.dataset.persons
        outcomes, feats = dataset.outcome_window(window), dataset.features(kind)
    else:
        inst, persons = dataset.instrument, dataset.persons
        if pairing is None:
            pairing = pair_forms(dataset)
        outcomes = outcome_window(dataset, pairing, window)
        feats = build_features(pairing.measurements, dataset.persons, inst, kind)
    if rate_outcome not in OUTCOMES:
        raise ValueError(f"rate_outcome must be one of {list(OUTCOMES)}; got {rate_outcome!r}")
    table = outcomes.table
    ids = table.index.intersection(feats.index).sort_values()
    names = list(feature_names(inst, kind, policy=features))
    X = feats.loc[ids, names]
    groups = feats.loc[ids, ["gender", "origin_group"]]
    y = table.loc[ids, outcome].to_numpy(dtype=np.float64)
    rate = table.loc[ids, rate_outcome].to_numpy(dtype=np.float64)
    cw = table.loc[ids, "caseworker_id"].astype("str").to_numpy(dtype=object)
    n_cw = len(np.unique(cw))
    if len(ids) < 50:
        raise FipError(f"only {len(ids)} persons with {_ROUNDS_OF[kind]} and a complete outcome window "
                       f"({outcomes.describe()}); need at least 50")
    if n_cw < n_folds:
        raise FipError(f"only {n_cw} caseworkers; need at least n_folds={n_folds} for grouped cross-validation")
    smaller = int(min(y.sum(), len(y) - y.sum()))
    if not 0 < y.sum() < len(y):
        raise FipError(f"outcome {outcome!r} has one value only in the training sample")
    what = f"{'with' if y.sum() == smaller else 'without'} {_OUTCOME_WORDS[outcome]}"
    if smaller < MIN_EVENTS:
        raise FipError(f"only {smaller} of {len(ids)} persons {what} in the training sample; a model needs at "
                       f"least {MIN_EVENTS} persons with and {MIN_EVENTS} without")
    if smaller < FEW_EVENTS_PER_FEATURE * len(names):
        warnings.warn(f"{smaller} persons {what} for "
                      f"{len(names)} features ({smaller / len(names):.1f} per feature, fewer than "
                      f"{FEW_EVENTS_PER_FEATURE}): the probabilities may be unstable; check the calibration slope",
                      FewEventsWarning, stacklevel=2)

    folds = np.empty(len(ids), dtype=np.int64)
    splitter = GroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    for k, (_, test) in enumerate(splitter.split(X, y, groups=cw)):
        folds[test] = k
    # one BLAS/OpenMP thread: the problems are small, and on a busy machine threads that wait
    # for each other made training 5-10 times slower
    Xa = X.to_numpy(dtype=np.float64)
    with threadpool_limits(1):
        if fixed_C is None:
            selection = select_C(Xa, {"y": y, "rate": rate}, folds, grid=C_GRID)
            C_prob = [selection.outer[k]["y"].C for k in range(n_folds)]
            C_rate = [selection.outer[k]["rate"].C for k in range(n_folds)]
            C_final, C_rate_final = selection.final["y"].C, selection.final["rate"].C
        else:
            selection = None
            C_prob = C_rate = [fixed_C] * n_folds
            C_final = C_rate_final = fixed_C
        p, r, fold_rows = _oof(X, y, rate, cw, folds, n_folds, C_prob=C_prob, C_rate=C_rate, seed=seed,
                               compare=compare)

    metric_rows = []
    for learner, values in p.items():
        pv = np.clip(values, *LPM_CLIP) if learner == "ols_lpm" else values
        metric_rows.append({"learner": learner, **probability_metrics(y, pv)})
    metrics = protect_event_rows(pd.DataFrame(metric_rows), policy,
                                 [c for c in METRIC_COLUMNS if c not in ("n", "n_events")]).set_index("learner")
    metrics["n"] = len(ids)  # the training sample's size is stated anyway
    few_events = bool(policy.is_small(int(y.sum())) or policy.is_small(len(ids) - int(y.sum())))
    rate_rows = [{"learner": k, **rate_metrics(rate, v)} for k, v in r.items()]
    rates = pd.DataFrame(rate_rows).set_index("learner")
    by_group = metrics_by_group(y, p["logistic"], groups.reset_index(drop=True), policy)
    calib = calibration_bins(y, p["logistic"], policy=policy)
    predictions = pd.DataFrame({"person_id": pd.array(ids, dtype="str"), "caseworker_id": cw.astype(str),
                                "fold": folds, "y": y, "rate": rate,
                                **{f"p_{k}": v for k, v in p.items()},
                                **{f"rate_{k}": v for k, v in r.items()}})
    oot = None
    if out_of_time is not None:
        try:
            oot = validate_split(Xa, y, cw, _at_reference_round(pairing, kind, "measured_on", ids),
                                 split=out_of_time, C=fixed_C, n_folds=n_folds, seed=seed, policy=policy)
        except FipError as exc:   # too few persons or events on one side: the model itself is still fine
            warnings.warn(f"out-of-time validation not done: {exc}", UserWarning, stacklevel=2)
    bands = _bands(p["logistic"], y, policy)
    audit = fairness_audit(predictions, audit_groups(feats.loc[ids], pairing.measurements, CONTROL_CODING),
                           bands["cuts"], n_boot=n_boot, seed=seed, policy=policy)
    assessed = None
    if "caseworker_assessment" in pairing.measurements.columns:
        judged = _at_reference_round(pairing, kind, "caseworker_assessment", ids)
        if judged.notna().sum() >= policy.threshold:
            band = np.array(BAND_LABELS)[np.digitize(p["logistic"], bands["cuts"])]
            assessed = compare_assessment(y, p["logistic"], pd.Series(band), judged, policy=policy)
    validation = ValidationReport(metrics=metrics, by_group=by_group, calibration=calib, rate_metrics=rates,
                                  folds=pd.DataFrame(fold_rows), predictions=predictions, n_folds=n_folds,
                                  penalty=_penalty_frame(selection, fixed_C, n_folds), fairness=audit,
                                  out_of_time=oot, assessment=assessed)

    # final models on every person
    with threadpool_limits(1):
        pipe = fit_logistic(Xa, y, C=C_final)
        frac = fit_fractional_logit(pipe[:-1].transform(Xa), rate, C=C_rate_final)
    imputer, scaler, logit = pipe.named_steps["impute"], pipe.named_steps["scale"], pipe.named_steps["logit"]
    covariance = posterior_covariance(pipe[:-1].transform(Xa), pipe.predict_proba(Xa)[:, 1], C_final)
    if created_at is None:
        created_at = datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    months = pairing.measurements.loc[pairing.measurements["person_id"].astype("str").isin(ids)]
    content = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "outcome": outcome,
        "rate_outcome": rate_outcome,
        "window": {"after": window, "months": OUTCOME_MONTHS},
        "created_at": created_at,
        "fip_version": fip.__version__,
        "instrument": {"id": inst.id, "version": inst.version, "items": list(inst.item_ids()),
                       "scale": {"min": inst.scale.min, "max": inst.scale.max}},
        "features": names,
        "feature_policy": features,
        "control_coding": CONTROL_CODING,
        "preprocessing": {
            "rule": "x missing -> impute_with; z = (x - center) / scale; contribution = coefficient * z",
            "impute_with": dict(zip(names, imputer.statistics_)),
            "center": dict(zip(names, scaler.mean_)),
            "scale": dict(zip(names, scaler.scale_)),
        },
        "probability_model": {
            "learner": "logistic regression, L2 penalty (scikit-learn LogisticRegression, lbfgs)",
            "link": "logit", "C": C_final, "penalty_selection": _selection_record(selection, "y", n_folds),
            "intercept": logit.intercept_[0], "coefficients": dict(zip(names, logit.coef_[0])),
            "covariance": covariance.tolist(),
        },
        "interval": {"level": INTERVAL_LEVEL, "method": INTERVAL_METHOD,
                     "covariance": "probability_model.covariance: (intercept, coefficients in the order of features)"},
        "rate_model": {
            "learner": "fractional logit, L2 penalty (quasi-likelihood; LogisticRegression on weighted copies)",
            "link": "logit", "C": C_rate_final, "penalty_selection": _selection_record(selection, "rate", n_folds),
            "intercept": frac.intercept_[0], "coefficients": dict(zip(names, frac.coef_[0])),
        },
        "bands": bands,
        "drift_reference": reference_block(pd.DataFrame(imputer.transform(Xa), index=ids, columns=names),
                                           persons, CONTROL_CODING, policy),
        "calibration_bins": _frame_records(calib.drop(columns="bin")),
        "training": {
            "n_persons": len(ids), "n_caseworkers": n_cw,
            "n_events": None if few_events else int(y.sum()),
            "observed": None if few_events else float(y.mean()), "mean_rate": float(rate.mean()),
            "first_month": str(months["month"].min()), "last_month": str(months["month"].max()),
            "sample": f"persons with {_ROUNDS_OF[kind]} and a complete outcome window ({outcomes.describe()})",
            "caseworkers": "not used as features (new cohorts have new caseworkers); cross-validation holds out whole caseworkers",
            "seed": seed, "n_folds": n_folds, "min_cell": policy.threshold,
        },
        "validation": {
            "metrics": _frame_records(metrics.reset_index()),
            "by_group": _frame_records(by_group),
            "rate_metrics": _frame_records(rates.reset_index()),
            **({} if oot is None else {"out_of_time": oot.record()}),
            **({} if assessed is None else {"assessment": assessed.record()}),
        },
        "fairness": audit.record(),
    }
    content["model_card"] = model_card_block(content)
    return TrainResult(model=Model.from_content(content), validation=validation, pipeline=pipe,
                       n_persons=len(ids), n_caseworkers=n_cw)
