"""Features of the job-chance models: item scores (and changes) plus the study's controls.

Two model kinds exist. The ``intake`` model sees round 1 only: the round-1 answer to every
item and the controls at the date of round 1. The ``progression`` model sees the round-1
answers, the change to round 2 (round 2 minus round 1) and the controls at the date of
round 2, including the days between the rounds. Everything about items comes from the
:class:`~fip.instrument.Instrument`. The coding of the controls (categories, reference
levels, age cuts) is a plain mapping, :data:`CONTROL_CODING`. It is written into every
model file and read back from there when the model scores.

Examples
--------
>>> from fip.instrument import load_instrument
>>> names = feature_names(load_instrument(), "progression")
>>> names[:3], names[22:24], names[-2:]
(('c01_level', 'c02_level', 'c03_level'), ('c01_change', 'c02_change'), ('months_in_denmark', 'days_between_rounds'))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from fip._options import check_option
from fip.controls import CONTROL_CODING, study_controls
from fip.errors import FipError
from fip.instrument import Instrument

__all__ = [
    "CONTROL_CODING",
    "DEFAULT_FEATURE_POLICY",
    "FEATURE_POLICIES",
    "FeaturePolicy",
    "MODEL_KINDS",
    "ModelKind",
    "build_features",
    "control_names",
    "feature_names",
    "item_of_feature",
]

ModelKind = Literal["intake", "progression"]
MODEL_KINDS: tuple[str, ...] = ("intake", "progression")
FeaturePolicy = Literal["items_and_controls", "without_gender_origin", "items_only"]
#: Which features a model may use: ``items_and_controls`` (the items and every study control),
#: ``without_gender_origin`` (the items and the controls except gender and origin group) and
#: ``items_only`` (item levels, and changes for a progression model; no controls at all, not
#: even the days between the rounds). See docs/predict.md for the measured comparison.
FEATURE_POLICIES: tuple[str, ...] = ("items_and_controls", "without_gender_origin", "items_only")
DEFAULT_FEATURE_POLICY = "items_and_controls"


def control_names(kind: str, coding: Mapping[str, Any] = CONTROL_CODING) -> tuple[str, ...]:
    """Control columns of a model kind, in order."""
    check_option("kind", kind, MODEL_KINDS)
    names = ["female"]
    names += [f"origin_{g}" for g in coding["origin"]["indicators"]]
    names += ["age_18_29", "age_41_65"]
    names += [f"education_{v}" for v in coding["education"]["levels"]]
    names += [f"work_experience_{v}" for v in coding["work_experience"]["levels"]]
    names += ["months_in_denmark"]
    if kind == "progression":
        names.append("days_between_rounds")
    return tuple(names)


def feature_names(instrument: Instrument | Sequence[str], kind: str,
                  coding: Mapping[str, Any] = CONTROL_CODING,
                  policy: str = DEFAULT_FEATURE_POLICY) -> tuple[str, ...]:
    """The feature columns of a model kind: item levels, item changes (progression), controls.

    ``instrument`` may also be its item ids (as a model file lists them). ``policy``
    (:data:`FEATURE_POLICIES`) says which controls enter: all (``items_and_controls``), all
    but gender and origin group (``without_gender_origin``) or none (``items_only``).

    Examples
    --------
    >>> len(feature_names(["c01", "c02"], "intake")), feature_names(["c01", "c02"], "intake", policy="items_only")
    (13, ('c01_level', 'c02_level'))
    >>> "female" in feature_names(["c01"], "intake", policy="without_gender_origin")
    False
    """
    check_option("kind", kind, MODEL_KINDS)
    check_option("features", policy, FEATURE_POLICIES)
    items = instrument.item_ids() if isinstance(instrument, Instrument) else tuple(instrument)
    names = [f"{i}_level" for i in items]
    if kind == "progression":
        names += [f"{i}_change" for i in items]
    if policy == "items_only":
        return tuple(names)
    controls = control_names(kind, coding)
    if policy == "without_gender_origin":
        protected = {"female", *(f"origin_{g}" for g in coding["origin"]["indicators"])}
        controls = tuple(c for c in controls if c not in protected)
    return tuple(names) + controls


def item_of_feature(feature: str, items: tuple[str, ...] | list[str]) -> str | None:
    """The item a feature belongs to (``c01_level`` -> ``c01``), or ``None`` for a control."""
    for suffix in ("_level", "_change"):
        if feature.endswith(suffix) and feature[: -len(suffix)] in items:
            return feature[: -len(suffix)]
    return None


def _person_groups(persons: pd.DataFrame, index: pd.Index, coding: Mapping[str, Any]) -> pd.DataFrame:
    """Gender and origin group per person (for validation by group)."""
    p = persons.drop_duplicates("person_id").set_index("person_id").reindex(index)
    gender = p[coding["gender"]["column"]].astype("string").str.strip().str.lower()
    origin = p[coding["origin"]["column"]].astype("string").str.strip().str.lower()
    group = pd.Series(coding["origin"]["other"], index=index, dtype="str")
    for name, members in coding["origin"]["groups"].items():
        group[origin.isin(members).to_numpy()] = name
    group[(origin.isna() | (origin == "")).to_numpy()] = pd.NA
    return pd.DataFrame({"gender": gender.astype("str"), "origin_group": group})


def build_features(
    measurements: pd.DataFrame,
    persons: pd.DataFrame,
    instrument: Instrument,
    kind: str,
    *,
    coding: Mapping[str, Any] = CONTROL_CODING,
    controls: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per person with the features of a model kind.

    Parameters
    ----------
    measurements : DataFrame
        ``Pairing.measurements``: ``person_id``, ``round``, ``measured_on`` and the item
        columns of ``instrument``.
    persons : DataFrame
        The persons table (``gender``, ``origin``, ``birth_year``, ``education``,
        ``work_experience``, ``arrival_date``).
    instrument : Instrument
    kind : {"intake", "progression"}
        ``intake``: every person with a round 1; ``progression``: every person with rounds
        1 and 2.
    coding : mapping
        Coding of the controls (default :data:`CONTROL_CODING`; a model file carries its own).
    controls : DataFrame, optional
        :func:`fip.controls.study_controls` with ``coding`` already computed at the reference
        round of ``kind`` (round 1 for ``intake``, round 2 for ``progression``), indexed by
        ``person_id`` (text), for at least every person of the model (e.g.
        ``Study.controls(1)``); its rows are taken instead of coding the controls again.

    Returns
    -------
    DataFrame
        Indexed by ``person_id`` (sorted), columns :func:`feature_names` (float64, NaN where
        an item was not answered or a control is unknown), then ``gender`` and
        ``origin_group`` (text, for validation by group; not features).

    Raises
    ------
    FipError
        If an item column of the instrument or a needed column is missing.
    """
    check_option("kind", kind, MODEL_KINDS)
    items = instrument.item_ids()
    needed = ["person_id", "round", "measured_on", *items]
    missing = [c for c in needed if c not in measurements.columns]
    if missing:
        raise FipError(f"measurements lack the column(s) {missing} needed by the {kind} model")
    p_missing = [c for c in ("person_id", "gender", "origin", "birth_year", "education",
                             "work_experience", "arrival_date") if c not in persons.columns]
    if p_missing:
        raise FipError(f"persons table lacks the column(s) {p_missing}")
    m = measurements.assign(person_id=measurements["person_id"].astype("str"))
    r1 = m[m["round"] == 1].drop_duplicates("person_id").set_index("person_id").sort_index()
    persons = persons.assign(person_id=persons["person_id"].astype("str"))
    if kind == "intake":
        ref = r1["measured_on"]
        cols = {f"{i}_level": r1[i].astype("float64").to_numpy(na_value=np.nan) for i in items}
        out = pd.DataFrame(cols, index=r1.index)
        controls = study_controls(persons, ref, coding) if controls is None else controls.loc[ref.index]
    else:
        r2 = m[m["round"] == 2].drop_duplicates("person_id").set_index("person_id")
        both = r1.index.intersection(r2.index).sort_values()
        r1, r2 = r1.loc[both], r2.loc[both]
        cols = {}
        for i in items:
            a = r1[i].astype("float64").to_numpy(na_value=np.nan)
            cols[f"{i}_level"] = a
        for i in items:
            b = r2[i].astype("float64").to_numpy(na_value=np.nan)
            cols[f"{i}_change"] = b - cols[f"{i}_level"]
        out = pd.DataFrame(cols, index=both)
        ref = r2["measured_on"]
        controls = study_controls(persons, ref, coding) if controls is None else controls.loc[ref.index].copy()
        controls["days_between_rounds"] = (
            pd.to_datetime(r2["measured_on"]) - pd.to_datetime(r1["measured_on"])
        ).dt.days.astype("float64")
    out = pd.concat([out, controls], axis=1)
    out.index.name = "person_id"
    out = out[list(feature_names(instrument, kind, coding))]
    return pd.concat([out, _person_groups(persons, out.index, coding)], axis=1)
