"""Score a cohort with a model file: probability, its interval, band, window, expected rate, main items.

Scoring uses only the numbers in the model file (no scikit-learn object):
``z = (x - center) / scale``, with a missing x replaced by ``impute_with``;
``logit p = intercept + sum(coefficient * z)``. An item's contribution is the sum of
``coefficient * z`` over its features (level, and change for the progression model),
i.e. ``coefficient / scale * (value - training mean)`` on the log-odds scale. Controls
(gender, origin, age, ...) enter the probability but are never listed as reasons.

Examples
--------
>>> from fip.simulate import simulate_cohort
>>> from fip.predict import train
>>> model = train(simulate_cohort(3000, seed=1), "intake", compare=False, created_at="t").model
>>> s = score(simulate_cohort(200, seed=2), model)
>>> list(s.columns[:5])
['person_id', 'model', 'probability', 'band', 'ci_low']
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.special import expit

from fip._options import check_option
from fip.data import Dataset, pair_forms
from fip.disclosure import DisclosurePolicy
from fip.errors import DriftWarning, FipError
from fip.instrument import Instrument
from fip.predict.drift import drift_report
from fip.predict.features import build_features, item_of_feature
from fip.predict.interval import probability_interval
from fip.predict.modelfile import Model, ModelFileError

__all__ = ["N_REASONS", "check_compatible", "score"]

#: Number of items named per person.
N_REASONS = 3


def check_compatible(model: Model, instrument: Instrument, columns: pd.Index | None = None) -> None:
    """Refuse data the model was not made for.

    Raises
    ------
    ModelFileError
        The instrument id or version differs from the model's, the instrument's items are not
        the model's items, or (with ``columns``) item columns are missing from the data.
    """
    spec = model.content["instrument"]
    if (instrument.id, instrument.version) != (spec["id"], spec["version"]):
        raise ModelFileError(
            f"the model was trained on instrument {spec['id']} version {spec['version']}; "
            f"the data follow {instrument.id} version {instrument.version}. Retrain the model on data "
            "of this instrument version"
        )
    have, want = list(instrument.item_ids()), list(spec["items"])
    if have != want:
        extra, lacking = sorted(set(have) - set(want)), sorted(set(want) - set(have))
        raise ModelFileError(
            f"the data's items do not match the model's items (not in the model: {extra}; "
            f"missing from the data: {lacking}; or another order)"
        )
    if columns is not None:
        absent = [i for i in want if i not in columns]
        if absent:
            raise ModelFileError(f"the data lack the item column(s) {absent} that the model uses")


def _linear(Z: np.ndarray, block: dict, features: list[str]) -> tuple[np.ndarray, np.ndarray]:
    coef = np.array([block["coefficients"][f] for f in features], dtype=np.float64)
    parts = Z * coef
    return block["intercept"] + parts.sum(axis=1), parts


def score(
    data: Dataset | pd.DataFrame,
    model: Model,
    *,
    persons: pd.DataFrame | None = None,
    instrument: Instrument | None = None,
    lang: str = "da",
    check_drift: bool = True,
    policy: DisclosurePolicy | None = None,
    drift: bool = True,
) -> pd.DataFrame:
    """Job-chance indicator per person.

    Parameters
    ----------
    data : Study, Dataset or DataFrame
        A Study (its paired measurements), a dataset (forms are paired with
        :func:`fip.data.pair_forms`) or ``Pairing.measurements``. Outcomes are not needed.
    model : Model
        From :func:`fip.predict.train` or :func:`fip.predict.load_model`.
    persons : DataFrame, optional
        Persons table; required when ``data`` is a measurements frame.
    instrument : Instrument, optional
        Required when ``data`` is a measurements frame (its version is checked).
    lang : str
        Language of the item labels (an instrument label language).
    check_drift : bool
        Warn (:class:`fip.errors.DriftWarning`, naming the features) when the cohort differs
        from the training data stored in the model file (:func:`fip.predict.drift.drift_report`).
        The report is attached either way as ``result.attrs["drift"]`` (a
        :class:`~fip.predict.drift.DriftReport`, or None for a model file without
        ``drift_reference``).
    policy : DisclosurePolicy, optional
        Small-cell rule of the drift report's counts (default: the configured policy).
    drift : bool
        Compute the drift report (default). False: no report (``attrs["drift"]`` is None) and
        no warning, for a score of a single person (the service's citizen page), where a
        comparison of "the cohort" with the training data says nothing; the rows are the same.

    Returns
    -------
    DataFrame
        One row per scorable person, sorted by ``person_id``. The intake model scores
        everyone with a round 1; the progression model scores everyone with rounds 1 and 2.
        Columns:

        * ``person_id`` and ``model`` (the kind);
        * ``probability``: chance of any employment in the model's window (``window``);
        * ``band``: ``low``/``middle``/``high``, cut at the model's ``bands.cuts``;
        * ``ci_low``, ``ci_high``: the person's 95 % interval of that probability
          (:mod:`fip.predict.interval`: the uncertainty of the model's coefficients); it
          always contains ``probability``;
        * ``window``: the outcome window, e.g. ``6 months after round 1``;
        * ``expected_emp_rate``: expected mean monthly employment rate;
        * ``item_k``, ``item_k_label``, ``item_k_contribution`` for k = 1..3: the items
          with the largest absolute contribution (log-odds), largest first;
        * ``n_imputed``: features that were missing and replaced by the training mean.

    Raises
    ------
    ModelFileError
        Instrument version or items do not match the model.
    FipError
        ``persons``/``instrument`` missing for a measurements frame, or no person scorable.
    """
    from fip.study import Study

    if isinstance(data, Study):
        instrument, persons, measurements = data.instrument, data.dataset.persons, data.measurements
    elif isinstance(data, Dataset):
        instrument = data.instrument
        persons = data.persons
        measurements = pair_forms(data).measurements
    else:
        if persons is None or instrument is None:
            raise FipError("scoring a measurements frame needs persons= and instrument=")
        measurements = data
    check_option("lang", lang, instrument.label_languages)
    check_compatible(model, instrument, measurements.columns)
    content = model.content
    features = list(content["features"])
    feats = build_features(measurements, persons, instrument, content["kind"], coding=content["control_coding"])
    if len(feats) == 0:
        need = "a round 1" if content["kind"] == "intake" else "rounds 1 and 2"
        raise FipError(f"no person has {need}; nothing to score with the {content['kind']} model")
    X = feats[features].to_numpy(dtype=np.float64)
    pre = content["preprocessing"]
    impute = np.array([pre["impute_with"][f] for f in features])
    center = np.array([pre["center"][f] for f in features])
    scale = np.array([pre["scale"][f] for f in features])
    missing = np.isnan(X)
    X = np.where(missing, impute, X)
    report = drift_report(pd.DataFrame(X, index=feats.index, columns=features), persons, content, policy) \
        if drift else None
    if check_drift and report is not None and report.message:
        warnings.warn(report.message, DriftWarning, stacklevel=2)
    Z = (X - center) / scale
    block = content["probability_model"]
    eta, parts = _linear(Z, block, features)
    p, lo, hi = probability_interval(Z, block["intercept"], np.array([block["coefficients"][f] for f in features]),
                                     np.array(block["covariance"], dtype=np.float64), content["interval"]["level"])
    rate_eta, _ = _linear(Z, content["rate_model"], features)

    cuts = content["bands"]["cuts"]
    labels = np.array(content["bands"]["labels"])
    band = labels[np.digitize(p, cuts)]

    items = list(content["instrument"]["items"])
    item_idx = {it: [j for j, f in enumerate(features) if item_of_feature(f, items) == it] for it in items}
    contrib = np.column_stack([parts[:, cols].sum(axis=1) for cols in item_idx.values()])
    order = np.argsort(-np.abs(contrib), axis=1, kind="stable")[:, :N_REASONS]
    out = pd.DataFrame({
        "person_id": pd.array(feats.index, dtype="str"),
        "model": content["kind"],
        "probability": p,
        "band": pd.array(band, dtype="str"),
        "ci_low": lo,
        "ci_high": hi,
        "window": f"{content['window']['months']} months after {content['window']['after'].replace('_', ' ')}",
        "expected_emp_rate": expit(rate_eta),
    })
    item_arr = np.array(items)
    label_of = {it: instrument.label(it, lang) for it in items}
    for k in range(min(N_REASONS, len(items))):
        chosen = item_arr[order[:, k]]
        out[f"item_{k + 1}"] = pd.array(chosen, dtype="str")
        out[f"item_{k + 1}_label"] = pd.array([label_of[i] for i in chosen], dtype="str")
        out[f"item_{k + 1}_contribution"] = np.take_along_axis(contrib, order[:, k:k + 1], axis=1)[:, 0]
    out["n_imputed"] = missing.sum(axis=1).astype("int64")
    out.attrs["drift"] = report
    return out
