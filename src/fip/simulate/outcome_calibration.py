"""Calibration helpers of the outcomes model: the Tabel 4.9 fits a researcher would run.

:func:`implied_coefficients` simulates a large cohort (:func:`fip.simulate.simulate_study`),
pairs its forms (:func:`fip.data.pair_forms`), builds the study's analysis table with
:func:`fip.regression.build_analysis_table` (overall index level at round 1 and change to
round 2, the study's controls, outcomes over months 1-6 after the round-2 month) and fits
OLS with caseworker fixed effects with :func:`fip.regression.fit_models` (Stata ``areg``),
as Tabel 4.9 of VIVE (2020). The result is stored in ``configs/calibration_outcomes.yaml``
(``implied``) as the simulated truth, and the latent coefficients of that file were tuned so
that it comes close to the published table (docs/calibration_outcomes.md).
:func:`example_inputs` is a small stand-in input generator (persons and measurements without
forms) used by the unit tests of the outcomes model; :func:`example_analysis` builds the
analysis table of such inputs.

Examples
--------
>>> import numpy as np
>>> from fip.instrument import load_instrument
>>> from fip.simulate.outcomes import simulate_outcomes
>>> inst = load_instrument()
>>> persons, meas = example_inputs(3000, inst, np.random.default_rng(1))
>>> panel = simulate_outcomes(persons, meas, inst, np.random.default_rng(2))
>>> fits = table_4_9_fits(example_analysis(persons, meas, panel, inst))
>>> sorted(fits["model"].unique())
['caseworker', 'citizen', 'joint']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from fip._options import check_option
from fip.data import Dataset, Pairing
from fip.indices import IndexDefinition
from fip.instrument import Instrument
from fip.regression import OUTCOMES, AnalysisTable, ModelSpec, build_analysis_table, fit_models, model_specs
from fip.simulate.outcomes import _resolve, simulate_outcomes

__all__ = [
    "INDEX_TERMS",
    "OUTCOMES",
    "example_analysis",
    "example_inputs",
    "implied_coefficients",
    "overall_definitions",
    "table_4_9_fits",
]

#: Regressors of Tabel 4.9: overall index level (round 1) and change (round 2 - round 1).
INDEX_TERMS: tuple[str, ...] = ("citizen_level", "citizen_change", "caseworker_level", "caseworker_change")
_MODELS = ("citizen", "caseworker", "joint")
_COLUMNS = ["model", "controls", "outcome", "term", "coef", "se", "n", "n_caseworkers"]
_SOURCES = ("cohort", "example")


# --------------------------------------------------------------------------- analysis table
def overall_definitions(instrument: Instrument) -> tuple[IndexDefinition, IndexDefinition]:
    """The two overall indices of Tabel 4.9 for any instrument: ``citizen`` and ``caseworker``.

    ``citizen`` averages the items of the instrument's first respondent, ``caseworker`` those
    of ``instrument.caseworker_from`` (for the FIP instrument: the study's overall citizen and
    caseworker indices, 11 items each); scored by :func:`fip.indices.score_indices` (two
    thirds of the items answered), family ``overall``.

    Examples
    --------
    >>> from fip.instrument import load_instrument
    >>> [(d.id, len(d.items)) for d in overall_definitions(load_instrument())]
    [('citizen', 11), ('caseworker', 11)]
    """
    first, caseworker = instrument.respondents[0].id, instrument.caseworker_from
    return (IndexDefinition("citizen", tuple(instrument.item_ids(first)), family="overall"),
            IndexDefinition("caseworker", tuple(instrument.item_ids(caseworker)), family="overall"))


def example_analysis(persons: pd.DataFrame, measurements: pd.DataFrame, outcomes: pd.DataFrame,
                     instrument: Instrument) -> AnalysisTable:
    """The analysis table of inputs without forms (:func:`example_inputs`, true measurements).

    :func:`fip.regression.build_analysis_table` on a dataset without forms, the
    ``measurements`` standing in for the pairing, with the indices of
    :func:`overall_definitions` (columns ``citizen_level`` ... ``caseworker_change``).

    Parameters
    ----------
    persons : DataFrame
        The persons table (``gender``, ``birth_year``, ``origin``, ``education``,
        ``work_experience``, ``arrival_date``).
    measurements : DataFrame
        One row per person and round as ``pair_forms(dataset).measurements``: ``person_id``,
        ``round``, ``month`` (period[M]), ``measured_on``, ``caseworker_id`` and the items.
    outcomes : DataFrame
        The monthly panel (:func:`fip.simulate.outcomes.simulate_outcomes`).
    instrument : Instrument

    Returns
    -------
    AnalysisTable
    """
    dataset = Dataset(persons=persons, forms=pd.DataFrame(), outcomes=outcomes, instrument=instrument)
    pairing = Pairing(measurements=measurements, funnel=pd.DataFrame(), exclusions=pd.DataFrame())
    return build_analysis_table(dataset, pairing, overall_definitions(instrument))


# --------------------------------------------------------------------------- fits
def table_4_9_fits(analysis: AnalysisTable) -> pd.DataFrame:
    """OLS with caseworker fixed effects (Stata ``areg``) of the Tabel 4.9 models.

    The ``overall_indices`` family of :mod:`fip.regression` (each overall index, level +
    change, without and with the controls) plus both indices jointly with controls;
    outcomes ``analysis.outcomes``.

    Parameters
    ----------
    analysis : AnalysisTable
        With the overall indices ``citizen`` and ``caseworker`` (:func:`overall_definitions`).

    Returns
    -------
    DataFrame
        Columns ``model`` (citizen/caseworker/joint), ``controls`` (bool), ``outcome``,
        ``term`` (e.g. ``citizen_level``), ``coef``, ``se`` (iid, areg residual df
        N - k - (G - 1), k counting the constant), ``n``, ``n_caseworkers``; sorted by
        model (citizen, caseworker, joint), controls, outcome and term as in Tabel 4.9.

    Notes
    -----
    :func:`fip.regression.fit_models`; a control that is constant in the sample is dropped
    with a :class:`~fip.errors.CollinearityWarning`.
    """
    ids = tuple(d.id for d in analysis.definitions if d.family == "overall")
    specs = [*model_specs(analysis, ["overall_indices"]),
             ModelSpec("overall_indices", "joint", ids, True, "overall")]
    fits = fit_models(analysis, specs)
    out = fits.rename(columns={"n_groups": "n_caseworkers"})[_COLUMNS]
    rank = {"model": _MODELS, "outcome": analysis.outcomes, "term": INDEX_TERMS}

    def position(column: pd.Series) -> pd.Series:
        values = rank.get(str(column.name))
        return column if values is None else column.map({v: i for i, v in enumerate(values)})

    return out.sort_values(["model", "controls", "outcome", "term"], key=position,
                           kind="stable").reset_index(drop=True)


def implied_coefficients(n_persons: int = 400_000, seed: int = 20200401, *,
                         instrument: Instrument | None = None, params: Mapping | None = None,
                         source: Literal["cohort", "example"] = "cohort") -> pd.DataFrame:
    """Tabel 4.9 coefficients a researcher recovers from the synthetic cohort (large N).

    Parameters
    ----------
    n_persons, seed : int
        Size and seed of the simulated cohort.
    instrument : Instrument, optional
        Default: the FIP instrument.
    params : Mapping, optional
        Overrides of ``configs/calibration_outcomes.yaml``. With ``source="cohort"`` the
        cohort's outcomes are then redrawn by :func:`~fip.simulate.outcomes.simulate_outcomes`
        from the cohort's persons and true measurements with
        ``numpy.random.default_rng((seed, 1))``; without overrides the cohort's own outcomes
        are used.
    source : {"cohort", "example"}
        ``"cohort"``: :func:`fip.simulate.simulate_study` -> :func:`fip.data.pair_forms`
        (rounds as the pairing numbers them) -> :func:`fip.regression.build_analysis_table`
        (indices of :func:`overall_definitions`) -> :func:`table_4_9_fits`. ``"example"``:
        :func:`example_inputs` (true measurements, no forms) -> ``simulate_outcomes`` ->
        :func:`example_analysis` -> :func:`table_4_9_fits`.

    Returns
    -------
    DataFrame
        As :func:`table_4_9_fits`.

    Notes
    -----
    ``implied_coefficients()`` (the defaults) reproduces the ``implied`` section of
    ``configs/calibration_outcomes.yaml``; about 20 s and 2 GB at 400,000 persons.
    """
    from dataclasses import replace

    from fip.data import pair_forms
    from fip.instrument import load_instrument
    from fip.simulate import simulate_study

    check_option("source", source, _SOURCES)
    inst = instrument if instrument is not None else load_instrument()
    if source == "example":
        rng = np.random.default_rng(seed)
        persons, meas = example_inputs(n_persons, inst, rng, params=params)
        panel = simulate_outcomes(persons, meas, inst, rng, params=params)
        return table_4_9_fits(example_analysis(persons, meas, panel, inst))
    study = simulate_study(n_persons, seed=seed, instrument=inst)
    ds = study.dataset
    if params is not None:
        panel = simulate_outcomes(ds.persons, study.measurements, inst, np.random.default_rng((seed, 1)),
                                  params=params)
        ds = replace(ds, outcomes=panel)
    return table_4_9_fits(build_analysis_table(ds, pair_forms(ds), overall_definitions(inst)))


# --------------------------------------------------------------------------- stand-in inputs
def example_inputs(n_persons: int, instrument: Instrument, rng: np.random.Generator, *,
                   params: Mapping | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Random persons and measurements shaped like the study (stand-in for the cohort).

    The distribution (``example_inputs`` in ``configs/calibration_outcomes.yaml``) is the
    one under which the ``implied`` coefficients of that file were computed. Answers come
    from a one-factor model per respondent with gender differences, progression between
    rounds and caseworker leniency; rounds 2-5 follow the study's attrition.

    Parameters
    ----------
    n_persons : int
        Persons (all have round 1).
    instrument : Instrument
        Items, respondents and scale of the generated answers.
    rng : numpy.random.Generator
    params : Mapping, optional
        Overrides of the parameter file (as for :func:`simulate_outcomes`).

    Returns
    -------
    persons, measurements : DataFrame, DataFrame
        In the layouts :func:`simulate_outcomes` expects; ``measurements`` (``person_id``,
        ``round``, ``month``, ``measured_on``, ``caseworker_id``, the items) is laid out as
        ``pair_forms(dataset).measurements``, so :func:`example_analysis` can use it.

    Examples
    --------
    >>> import numpy as np
    >>> from fip.instrument import load_instrument
    >>> persons, meas = example_inputs(50, load_instrument(), np.random.default_rng(3))
    >>> len(persons), int(meas["round"].min())
    (50, 1)
    """
    if isinstance(n_persons, bool) or not isinstance(n_persons, (int, np.integer)) or n_persons < 1:
        raise ValueError(f"n_persons must be a whole number >= 1; got {n_persons!r}")
    q = _resolve(params)["example_inputs"]
    n = int(n_persons)
    female = rng.random(n) < q["share_female"]
    n_muni = int(q["municipalities"])
    n_cw = max(n_muni, int(round(n * q["caseworkers_per_person"])))
    muni = rng.integers(0, n_muni, n)
    cw_muni = np.r_[np.arange(n_muni), rng.integers(0, n_muni, n_cw - n_muni)]
    cw_by_muni = [np.flatnonzero(cw_muni == k) for k in range(n_muni)]

    def pick_cw(mu_: np.ndarray) -> np.ndarray:
        out = np.empty(mu_.size, dtype=np.int64)
        for k in range(n_muni):
            s = np.flatnonzero(mu_ == k)
            out[s] = cw_by_muni[k][rng.integers(0, cw_by_muni[k].size, s.size)]
        return out

    origins = np.array(["Syria", "Eritrea", "Iran", "Somalia", "Afghanistan", "Iraq"], dtype=object)
    o_p = np.array([q["share_syria"], q["share_eritrea"]])
    o_p = np.r_[o_p, np.full(4, (1 - o_p.sum()) / 4)]
    origin = origins[rng.choice(6, size=n, p=o_p)]
    age = np.clip(rng.normal(np.where(female, q["age_mean_women"], q["age_mean_men"]), q["age_sd"]), 18, 65)
    edu_levels = np.array(["primary", "beyond_primary", "none", "unknown"], dtype=object)
    edu_p = np.array([q["education_primary"], q["education_beyond_primary"], q["education_none"],
                      q["education_unknown"]])
    education = edu_levels[rng.choice(4, size=n, p=edu_p / edu_p.sum())]
    u = rng.random(n)
    p_yes = np.where(female, q["work_experience_women"], q["work_experience_men"])
    work = np.where(u < q["work_experience_unknown"], "unknown",
                    np.where(u < q["work_experience_unknown"] + (1 - q["work_experience_unknown"]) * p_yes,
                             "yes", "no")).astype(object)

    # Rounds and dates.
    n_rounds = np.ones(n, dtype=np.int64)
    go = rng.random(n) < q["share_two_rounds"]
    n_rounds[go] = 2
    for r, share in ((3, q["share_round3_given_2"]), (4, q["share_round4_given_3"]),
                     (5, q["share_round5_given_4"])):
        go = (n_rounds == r - 1) & (rng.random(n) < share)
        n_rounds[go] = r
    d0 = np.datetime64(q["first_date"], "D")
    span = int((np.datetime64(q["last_date"], "D") - d0).astype(np.int64))
    dates = [d0 + rng.integers(0, span + 1, n).astype("timedelta64[D]")]
    k_shape = (q["days_between_mean"] / q["days_between_sd"]) ** 2
    theta_scale = q["days_between_sd"] ** 2 / q["days_between_mean"]
    for _ in range(4):
        gap = np.maximum(rng.gamma(k_shape, theta_scale, n), q["days_between_min"]).astype(np.int64)
        dates.append(dates[-1] + gap.astype("timedelta64[D]"))
    arrival = dates[0] - (rng.uniform(q["months_in_dk_min"], q["months_in_dk_max"], n) * 30.44
                          ).astype(np.int64).astype("timedelta64[D]")
    birth_year = (dates[0].astype("datetime64[Y]").astype(np.int64) + 1970 - np.floor(age)).astype(np.int64)

    # Answers: readiness f (gender shift, progression), one view per respondent.
    f1 = rng.standard_normal(n) + np.where(female, -q["gender_shift"], q["gender_shift"])
    prog = q["progress_mean"] + q["progress_sd"] * rng.standard_normal(n)
    resp_ids = list(dict.fromkeys([instrument.respondents[0].id, instrument.caseworker_from,
                                   *instrument.respondent_ids]))
    view = {r: rng.standard_normal(n) for r in resp_ids}
    leniency = rng.standard_normal(n_cw) * q["caseworker_leniency_sd"]
    lo, hi = instrument.scale.min, instrument.scale.max
    unit = (hi - lo) / 6.0
    cw1 = pick_cw(muni)

    pid_all = np.array([f"P{i:07d}" for i in range(n)], dtype=object)
    cw_all = np.array([f"CW{c:05d}" for c in range(n_cw)], dtype=object)
    frames = []
    cw = cw1
    for r in range(1, 6):
        who = np.flatnonzero(n_rounds >= r)
        if who.size == 0:
            break
        if r > 1:
            change = rng.random(n) < q["caseworker_change_prob"]
            cw = np.where(change, pick_cw(muni), cw)
        f = (f1 + prog * min(r - 1, 1) + 0.5 * prog * max(r - 2, 0)
             + q["transient_sd"] * rng.standard_normal(n))  # shared by the respondents
        cols: dict[str, Any] = {
            "person_id": pid_all[who],
            "round": np.full(who.size, r, dtype=np.int64),
            "measured_on": dates[r - 1][who].astype("datetime64[ns]"),
            "caseworker_id": cw_all[cw[who]],
        }
        for resp in instrument.respondent_ids:
            load = q["loading_first"] if resp == resp_ids[0] else (
                q["loading_caseworker"] if resp == instrument.caseworker_from else q["loading_other"])
            theta = load * f + np.sqrt(1 - load**2) * view.get(resp, 0)
            theta = theta + q["occasion_sd"] * rng.standard_normal(n)
            if resp == instrument.caseworker_from:
                theta = theta + leniency[cw]
            center = q["center_caseworker"] if resp == instrument.caseworker_from else q["center"]
            for item in instrument.item_ids(resp):
                x = center + q["spread"] * theta + q["item_sd"] * rng.standard_normal(n)
                x = np.clip(np.rint(lo + (x - 1) * unit), lo, hi)[who]
                vals = pd.array(x.astype(np.int64), dtype="Int64")
                if q["item_missing_share"] > 0:
                    vals[rng.random(who.size) < q["item_missing_share"]] = pd.NA
                cols[item] = vals
        frames.append(pd.DataFrame(cols))
    measurements = pd.concat(frames, ignore_index=True)
    measurements.insert(2, "month", measurements["measured_on"].dt.to_period("M"))
    measurements["person_id"] = measurements["person_id"].astype("str")
    measurements["caseworker_id"] = measurements["caseworker_id"].astype("str")
    persons = pd.DataFrame({
        "person_id": pd.array(pid_all, dtype="str"),
        "municipality": pd.array([f"K{m:02d}" for m in muni], dtype="str"),
        "gender": pd.array(np.where(female, "female", "male"), dtype="str"),
        "birth_year": pd.array(birth_year, dtype="Int64"),
        "origin": pd.array(origin, dtype="str"),
        "education": pd.array(education, dtype="str"),
        "work_experience": pd.array(work, dtype="str"),
        "arrival_date": arrival.astype("datetime64[ns]"),
    })
    return persons, measurements
