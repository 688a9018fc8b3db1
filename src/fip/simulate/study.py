"""The synthetic cohort end to end: schedule, persons, answers, forms, outcomes -> Dataset.

Examples
--------
>>> from fip.simulate import simulate_cohort
>>> ds = simulate_cohort(300, seed=1)
>>> sorted(ds.forms["respondent"].unique())
['caseworker', 'citizen']
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtri

from fip.data.dataset import Dataset
from fip.instrument import Instrument, load_instrument
from fip.simulate.answers import draw_scores, fip_model, generic_model, is_calibrated_instrument
from fip.simulate.calibration import load_calibration, load_scenario
from fip.simulate.cohort import (
    assign_caseworkers,
    build_caseworkers,
    build_schedule,
    default_n_persons,
    draw_dates,
    draw_persons,
)

__all__ = ["OUTCOME_COLUMNS", "SimulatedStudy", "simulate_cohort", "simulate_study"]

#: Columns of the monthly outcomes panel.
OUTCOME_COLUMNS: tuple[str, ...] = ("person_id", "month", "employment_rate", "ordinary_employment", "education")
# a stage added at the end keeps every earlier stage's generator (SeedSequence children)
_STAGES = ("caseworkers", "schedule", "dates", "assignment", "persons", "answers", "forms", "outcomes", "assessment")
_DATE = "datetime64[us]"


@dataclass(frozen=True)
class SimulatedStudy:
    """A simulated cohort with the truth behind it.

    Attributes
    ----------
    dataset : Dataset
        What a user of fip sees: persons, forms (paired and unpaired), outcomes.
    measurements : DataFrame
        The "true" measurements before unpaired forms are removed or moved: one row per
        person and round with any form; ``person_id``, ``round``, ``measured_on``
        (datetime64), ``caseworker_id``, ``form_status`` (``paired``, ``other_month``,
        ``missing_<respondent>``), ``visitation``, then every item of the instrument
        (Int64, all filled).
    caseworkers : DataFrame
        ``caseworker_id``, ``municipality``.
    calibrated : bool
        True if the FIP calibration was used, False for the generic model.
    """

    dataset: Dataset
    measurements: pd.DataFrame
    caseworkers: pd.DataFrame
    calibrated: bool


def _check_n(n_persons: Any) -> int:
    if isinstance(n_persons, bool) or not isinstance(n_persons, (int, np.integer)) or n_persons < 1:
        raise ValueError(f"n_persons must be a whole number >= 1; got {n_persons!r}")
    return int(n_persons)


def _str(values: Any) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=object), dtype="str")


def _labels(labels: Any, codes: np.ndarray) -> pd.Series:
    """String column ``labels[codes]`` (code -1: missing), built without Python objects per row."""
    return pd.Series(pd.array(list(labels), dtype="str").take(np.asarray(codes, dtype=np.int64), allow_fill=True))


def _dates(days: np.ndarray) -> np.ndarray:
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype(_DATE)


def _int_columns(values: np.ndarray, names: tuple[str, ...], rows: np.ndarray | None = None,
                 missing: Callable[[int], np.ndarray] | None = None) -> dict[str, pd.arrays.IntegerArray]:
    """Int64 columns from a compact (rows x items) array, one column at a time.

    ``rows`` selects (and repeats) rows of ``values`` (default: all); ``missing(k)`` gives
    the mask of column ``k`` (default: nothing missing).
    """
    out = {}
    for k, name in enumerate(names):
        col = values[:, k] if rows is None else values[rows, k]
        mask = np.zeros(col.size, dtype=bool) if missing is None else missing(k)
        out[name] = pd.arrays.IntegerArray(col.astype(np.int64), mask)
    return out


#: Visitation categories; :func:`_visitation` returns codes into this tuple.
_VISITATION = ("activity_ready", "job_ready", "unknown")


def _visitation(readiness: np.ndarray, male: np.ndarray, round_: np.ndarray, cal: Mapping[str, Any],
                rng: np.random.Generator) -> np.ndarray:
    """Visitation category of every measurement, as codes into ``_VISITATION`` (int8)."""
    v = cal["persons"]["visitation"]
    job = v["job_ready"]
    p_job = np.empty(readiness.size)
    for r in np.unique(round_):
        spec = job["round1"] if r == 1 else job["round2"]
        sel = round_ == r
        p_job[sel] = np.where(male[sel], spec["men"], spec["women"])
    w = float(v["readiness_weight"])
    eta = w * readiness + np.sqrt(1 - w**2) * rng.standard_normal(readiness.size)
    out = np.where(eta < ndtri(1 - p_job), 0, 1).astype(np.int8)
    out[rng.random(readiness.size) < float(v["unknown"])] = 2
    return out


def _languages(origin: np.ndarray, round_: np.ndarray, instrument: Instrument, cal: Mapping[str, Any],
               rng: np.random.Generator) -> np.ndarray:
    """Answer language of the first respondent's forms (by origin and round)."""
    lang_cfg = cal["persons"]["language"]
    allowed = instrument.answer_languages
    home = "da" if "da" in allowed else allowed[0]
    out = np.full(origin.size, home, dtype=object)
    u = rng.random(origin.size)
    keys = pd.MultiIndex.from_arrays([origin, round_])
    for (o, r) in keys.unique():
        sel = (origin == o) & (round_ == r)
        probs = {k: float(v) for k, v in lang_cfg["by_origin"].get(o, {}).items() if k in allowed}
        if not probs:
            continue
        if home in probs and r > 1:
            gain = min(1.0, float(lang_cfg["danish_gain_per_round"]) * (r - 1))
            moved = sum(p for k, p in probs.items() if k != home) * gain
            probs = {k: (p * (1 - gain) if k != home else p + moved) for k, p in probs.items()}
        labels = list(probs)
        cum = np.cumsum([probs[k] for k in labels])
        k = np.minimum(np.searchsorted(cum / cum[-1], u[sel], side="right"), len(labels) - 1)
        out[sel] = np.asarray(labels, dtype=object)[k]
    return out


def _month_end(days: np.ndarray) -> np.ndarray:
    d = days.astype("datetime64[D]")
    nxt = (d.astype("datetime64[M]") + 1).astype("datetime64[D]")
    return (nxt - np.timedelta64(1, "D")).astype(np.int64)


def simulate_study(n_persons: int | None = None, *, seed: int = 0,
                   instrument: Instrument | None = None, scenario: str | None = None,
                   assessments: bool = False) -> SimulatedStudy:
    """Simulate the cohort and keep the truth behind it (see :func:`simulate_cohort`).

    Returns
    -------
    SimulatedStudy
    """
    base = load_calibration()
    cal = base if scenario is None else load_scenario(scenario, base)
    inst = instrument if instrument is not None else load_instrument()
    if not inst.pairs_forms or inst.scale.continuous:
        from fip.errors import FipError

        raise FipError(f"the simulator writes FIP-layout data (dated, paired forms on a 1-k scale); instrument "
                       f"{inst.id!r} has the smallest layout{' and a continuous scale' if inst.scale.continuous else ''}: "
                       "give a dataset folder")
    calibrated = is_calibrated_instrument(inst, cal)
    # the study's size and the counts of the schedule do not change with a scenario
    n = default_n_persons(base) if n_persons is None else _check_n(n_persons)
    rngs = dict(zip(_STAGES, np.random.default_rng(seed).spawn(len(_STAGES))))
    respondents = inst.respondent_ids

    cws = build_caseworkers(n, cal, rngs["caseworkers"])
    sched = build_schedule(n, cal, respondents, rngs["schedule"])
    day = draw_dates(sched, cal, rngs["dates"])
    cw_row = assign_caseworkers(sched, cws, cal, rngs["assignment"])
    pers = draw_persons(sched, day, cal, rngs["persons"])

    model = fip_model(inst, cal) if calibrated else generic_model(inst, cal)
    male = ~sched.female
    draw = draw_scores(model, person=sched.person, round_=sched.round, male=male[sched.person],
                       caseworker=cw_row, n_persons=n, n_caseworkers=cws.caseworker_id.size,
                       rng=rngs["answers"])
    frng = rngs["forms"]
    visitation = _visitation(draw.readiness, male[sched.person], sched.round, cal, frng)
    scores = draw.scores
    del draw

    width = max(4, len(str(n)))
    pid = pd.array(np.char.add("p", np.char.zfill(np.arange(1, n + 1).astype(str), width)).astype(object),
                   dtype="str")
    cw_ids = list(cws.caseworker_id)
    first_cw = cw_row[np.r_[0, np.flatnonzero(np.diff(sched.person)) + 1]] if n else cw_row
    persons = pd.DataFrame({
        "person_id": pd.Series(pid),
        "municipality": _labels(cws.municipality_names, cws.municipality[first_cw]),
        "gender": _str(pers["gender"]),
        "birth_year": pd.array(pers["birth_year"], dtype="Int64"),
        "origin": _str(pers["origin"]),
        "education": _str(pers["education"]),
        "work_experience": _str(pers["work_experience"]),
        "arrival_date": _dates(pers["arrival_day"]),
        "residence_ground": _str(pers["residence_ground"]),
    }, copy=False)

    ids = inst.item_ids()
    measurements = pd.DataFrame({
        "person_id": pd.Series(pid.take(sched.person)),
        "round": sched.round.astype(np.int64),
        "measured_on": _dates(day),
        "caseworker_id": _labels(cw_ids, cw_row),
        "form_status": _labels(sched.status_names, sched.status),
        "visitation": _labels(_VISITATION, visitation),
        **_int_columns(scores, ids),
    }, copy=False)

    # outcomes before forms: each stage has its own generator, so the order does not change
    # the draws, and the outcome model's working memory is freed before the forms exist
    outcomes, eta = _outcomes(persons, measurements, inst, rngs["outcomes"], propensity=assessments)
    forms = _forms(sched, day, cw_row, scores, visitation, pers["origin"], pid, cw_ids, inst, cal, frng)
    if assessments:
        forms = _assessments(forms, eta, inst, rngs["assessment"])
    cw_frame = pd.DataFrame({
        "caseworker_id": _labels(cw_ids, np.arange(len(cw_ids))),
        "municipality": _labels(cws.municipality_names, cws.municipality),
    })
    return SimulatedStudy(dataset=Dataset(persons=persons, forms=forms, outcomes=outcomes, instrument=inst),
                          measurements=measurements, caseworkers=cw_frame, calibrated=calibrated)


def _forms(sched, day, cw_row, scores, visitation, origin, pid, cw_ids, inst: Instrument,
           cal: Mapping[str, Any], rng: np.random.Generator) -> pd.DataFrame:
    d = cal["dates"]
    respondents = inst.respondent_ids
    names = sched.status_names
    rows_all = np.arange(sched.person.size)
    is_other = sched.status == names.index("other_month")
    moved = rng.integers(0, len(respondents), sched.person.size)
    month_end = _month_end(day)
    lag = np.minimum(day + rng.integers(0, int(d["caseworker_lag_max"]) + 1, day.size), month_end)
    next_month = month_end + rng.integers(1, int(d["other_month_max"]) + 1, day.size)
    pieces = []
    for k, resp in enumerate(respondents):
        keep = sched.status != names.index(f"missing_{resp}")
        rows = rows_all[keep]
        date = day[rows] if k == 0 else lag[rows]
        date = np.where(is_other[rows] & (moved[rows] == k), next_month[rows], date)
        pieces.append((rows, date, np.full(rows.size, k)))
    del moved, month_end, lag, next_month, is_other
    rows = np.concatenate([p[0] for p in pieces])
    date = np.concatenate([p[1] for p in pieces])
    resp = np.concatenate([p[2] for p in pieces])
    del pieces
    order = np.lexsort((resp, date, sched.person[rows]))
    rows, date, resp = rows[order], date[order], resp[order]
    del order

    ids = inst.item_ids()
    rof = inst.respondent_of()
    own = np.array([[rof[i] == r for i in ids] for r in respondents])   # respondent x item
    first = resp == 0
    languages = list(dict.fromkeys(inst.answer_languages))
    home = "da" if "da" in languages else languages[0]
    lang = _languages(np.asarray(origin, dtype=object)[sched.person[rows[first]]],
                      sched.round[rows[first]], inst, cal, rng)
    lang_code = np.full(rows.size, languages.index(home), dtype=np.int64)
    lang_code[first] = pd.Index(languages).get_indexer(lang)
    del lang
    visit = np.where(resp == respondents.index(inst.caseworker_from), visitation[rows], -1)
    return pd.DataFrame({
        "person_id": pd.Series(pid.take(sched.person[rows])),
        "caseworker_id": _labels(cw_ids, cw_row[rows]),
        "respondent": _labels(respondents, resp),
        "answered_on": _dates(date),
        "language": _labels(languages, lang_code),
        "visitation": _labels(_VISITATION, visit),
        **_int_columns(scores, ids, rows, lambda k: ~own[resp, k]),
    }, copy=False)


def _assessments(forms: pd.DataFrame, eta: pd.Series | None, inst: Instrument,
                 rng: np.random.Generator) -> pd.DataFrame:
    """The caseworker's assessment (low/medium/high) and reason on every caseworker form.

    ``s = z + noise_sd * e`` (z: the standardised true propensity of ordinary employment, e
    standard normal per form), cut at the tertiles of s over the caseworker forms; a share
    ``reason_share`` of the low and high assessments carries a reason
    (``configs/calibration_outcomes.yaml``, section ``assessment``).
    """
    from fip.simulate.outcomes import load_outcome_params

    if eta is None:
        raise ValueError("assessments need the outcomes model (fip.simulate.outcomes)")
    spec = load_outcome_params()["assessment"]
    z = (eta - eta.mean()) / eta.std(ddof=0)
    is_cw = (forms["respondent"] == inst.caseworker_from).to_numpy()
    zf = z.reindex(forms.loc[is_cw, "person_id"].astype("str")).to_numpy(dtype=np.float64)
    zf = np.where(np.isnan(zf), 0.0, zf)   # a person without outcomes (not in the panel): average
    s_val = zf + float(spec["noise_sd"]) * rng.standard_normal(zf.size)
    level = np.digitize(s_val, np.quantile(s_val, [1 / 3, 2 / 3])) if zf.size else np.zeros(0, np.int64)
    codes = np.full(len(forms), -1, dtype=np.int64)
    codes[is_cw] = level
    reasons = {"low": list(spec["reasons"]["low"]), "high": list(spec["reasons"]["high"])}
    give = rng.random(zf.size) < float(spec["reason_share"])
    pick = rng.integers(0, 1 << 30, zf.size)
    text = np.full(len(forms), None, dtype=object)
    cw_text = np.full(zf.size, None, dtype=object)
    for lv, name in ((0, "low"), (2, "high")):
        sel = give & (level == lv)
        options = reasons[name]
        cw_text[sel] = [options[k % len(options)] for k in pick[sel]]
    text[is_cw] = cw_text
    return forms.assign(caseworker_assessment=_labels(("low", "medium", "high"), codes),
                        assessment_reason=pd.Series(pd.array(text, dtype="str")))


def _outcomes(persons: pd.DataFrame, measurements: pd.DataFrame, inst: Instrument,
              rng: np.random.Generator, *, propensity: bool = False) -> tuple[pd.DataFrame, pd.Series | None]:
    if importlib.util.find_spec("fip.simulate.outcomes") is not None:
        mod = importlib.import_module("fip.simulate.outcomes")
        if propensity:
            return mod.simulate_outcomes(persons, measurements, inst, rng, return_propensity=True)
        return mod.simulate_outcomes(persons, measurements, inst, rng), None
    empty = pd.DataFrame({
        "person_id": pd.Series([], dtype="str"),
        "month": pd.Series([], dtype="period[M]"),
        "employment_rate": pd.Series([], dtype="float64"),
        "ordinary_employment": pd.Series([], dtype="bool"),
        "education": pd.Series([], dtype="bool"),
    })
    return empty, None


def simulate_cohort(n_persons: int | None = None, *, seed: int = 0,
                    instrument: Instrument | None = None, scenario: str | None = None,
                    assessments: bool = False) -> Dataset:
    """A synthetic FIP dataset calibrated to the VIVE (2020) study.

    Parameters
    ----------
    n_persons : int, optional
        Persons with a round-1 form. Default: the study's size (1228 persons, giving
        1150 citizen and 1145 caseworker round-1 forms of which 1007 pair up in the same
        calendar month; round 2: 617/631 forms, 482 pairs; rounds 3-5: about 250, 100, 30
        forms). Every count scales with ``n_persons``.
    seed : int
        Seed of the one numpy Generator; each stage draws from its own spawned child, so
        the same seed gives an identical Dataset.
    instrument : Instrument, optional
        ``None`` or the FIP instrument: the calibrated model (configs/calibration.yaml).
        Any other instrument: a generic model (one correlated latent trait per domain,
        seen by every respondent with its own error) so other instruments can be tested.
    scenario : str, optional
        A named change to the calibration from ``configs/calibration_scenarios.yaml``, e.g.
        ``"later_period_new_origins"`` (forms from August 2021, fewer Syrians, Ukrainians
        added) or ``"later_period"`` (only the dates move): a cohort that differs from the
        study's in a stated way, for testing drift checks (:mod:`fip.predict.drift`).
        Default: the study's calibration.
    assessments : bool
        Also give every caseworker form the caseworker's own assessment of the job chance
        (``caseworker_assessment``: low/medium/high, the tertile of the true propensity plus
        noise) and sometimes a reason (``assessment_reason``); see the ``assessment`` section
        of ``configs/calibration_outcomes.yaml``. Default False: the study's data had none.
        Every other column is the same with or without.

    Returns
    -------
    Dataset
        ``persons``, ``forms`` (one row per form, items as Int64, a citizen form fills only
        the citizen items), ``outcomes`` (monthly panel from :mod:`fip.simulate.outcomes`,
        empty with the right columns if that module is absent); ``source`` is ``None``.

    Notes
    -----
    Calibration targets, their sources and the measured fit: docs/calibration.md.

    Examples
    --------
    >>> ds = simulate_cohort(seed=0)
    >>> int((ds.forms["respondent"] == "citizen").sum()) > 1150
    True
    """
    return simulate_study(n_persons, seed=seed, instrument=instrument, scenario=scenario,
                          assessments=assessments).dataset
