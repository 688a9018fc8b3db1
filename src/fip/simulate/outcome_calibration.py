"""Calibration helpers of the outcomes model: the Table 4.9 fits a researcher would run.

:func:`implied_coefficients` simulates a large cohort (:func:`fip.simulate.simulate_study`),
pairs its forms (:func:`fip.data.pair_forms`), builds the study's analysis table
(:func:`analysis_table`: overall index level at round 1 and change to round 2, controls,
outcomes over months 1-6 after the round-2 month) and fits OLS with caseworker fixed effects
(:func:`table_4_9_fits`) as Tabel 4.9 of VIVE (2020). The result is stored in
``configs/calibration_outcomes.yaml`` (``implied``) as the simulated truth, and the latent
coefficients of that file were tuned so that it comes close to the published table
(docs/calibration_outcomes.md). :func:`example_inputs` is a small stand-in input generator
(persons and measurements without forms) used by the unit tests of the outcomes model.

Examples
--------
>>> import numpy as np
>>> from fip.instrument import load_instrument
>>> from fip.simulate.outcomes import simulate_outcomes
>>> inst = load_instrument()
>>> persons, meas = example_inputs(3000, inst, np.random.default_rng(1))
>>> panel = simulate_outcomes(persons, meas, inst, np.random.default_rng(2))
>>> table = analysis_table(persons, meas, panel, inst)
>>> fits = table_4_9_fits(table)
>>> sorted(fits["model"].unique())
['caseworker', 'citizen', 'joint']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from fip._options import check_option
from fip.instrument import Instrument
from fip.simulate.outcomes import _resolve, _respondent_index, simulate_outcomes, window_outcomes

__all__ = [
    "INDEX_TERMS",
    "OUTCOMES",
    "analysis_table",
    "example_inputs",
    "implied_coefficients",
    "table_4_9_fits",
]

#: Regressors of Tabel 4.9: overall index level (round 1) and change (round 2 - round 1).
INDEX_TERMS: tuple[str, ...] = ("citizen_level", "citizen_change", "caseworker_level", "caseworker_change")
#: The study's four outcomes over months 1-6 after the month of round 2.
OUTCOMES: tuple[str, ...] = ("emp_rate", "emp_dummy", "ord_emp_dummy", "edu_dummy")
_SYRIA = {"syria", "syrien"}
_ERITREA = {"eritrea"}
_SOURCES = ("cohort", "example")


# --------------------------------------------------------------------------- analysis table
def analysis_table(persons: pd.DataFrame, measurements: pd.DataFrame, outcomes: pd.DataFrame,
                   instrument: Instrument, *, months: int = 6) -> pd.DataFrame:
    """Per person with rounds 1 and 2: indices, round-2 caseworker, controls, outcomes.

    Parameters
    ----------
    persons : DataFrame
        ``person_id``, ``gender``, ``birth_year``, ``origin``, ``education``,
        ``work_experience``, ``arrival_date``.
    measurements : DataFrame
        One row per person and round (e.g. ``pair_forms(dataset).measurements``):
        ``person_id``, ``round``, ``measured_on``, ``caseworker_id`` and the item columns
        of the first respondent and of ``instrument.caseworker_from``.
    outcomes : DataFrame
        Monthly panel (``person_id``, ``month``, ``employment_rate``,
        ``ordinary_employment``, ``education``).
    instrument : Instrument
        "citizen" index = mean of the first respondent's answered items, "caseworker"
        index = mean of the ``caseworker_from`` respondent's items, on the instrument's scale.
    months : int
        Outcome window: months 1..``months`` after the calendar month of round 2.

    Returns
    -------
    DataFrame
        Indexed by ``person_id`` (persons with rounds 1 and 2, both indices in both rounds
        and at least one panel month in the window): ``citizen_level``,
        ``citizen_change``, ``caseworker_level``, ``caseworker_change``,
        ``caseworker_id`` (round 2), controls ``ctl_*`` (female, Eritrea, other origin,
        age 18-29 / 41-65 at round 2, brought education (3 dummies), work experience (2),
        months in Denmark at round 2, days between rounds, year-quarter of round 2 (first
        quarter is the reference)), outcomes ``emp_rate``, ``emp_dummy``,
        ``ord_emp_dummy``, ``edu_dummy`` and ``n_months``.
    """
    m = measurements.assign(person_id=measurements["person_id"].astype(str))
    m = m.assign(ic=_respondent_index(m, instrument, instrument.respondents[0].id),
                 iw=_respondent_index(m, instrument, instrument.caseworker_from))
    r1 = m[m["round"] == 1].set_index("person_id")
    r2 = m[m["round"] == 2].set_index("person_id")
    both = r1.index.intersection(r2.index)
    r1, r2 = r1.loc[both], r2.loc[both]
    lo, hi = instrument.scale.min, instrument.scale.max
    back = (hi - lo) / 6.0  # _respondent_index maps onto 1-7; back to the instrument's scale
    d = pd.DataFrame(index=pd.Index(both, name="person_id"))
    d["citizen_level"] = ((r1["ic"] - 1) * back + lo).to_numpy()
    d["citizen_change"] = ((r2["ic"] - r1["ic"]) * back).to_numpy()
    d["caseworker_level"] = ((r1["iw"] - 1) * back + lo).to_numpy()
    d["caseworker_change"] = ((r2["iw"] - r1["iw"]) * back).to_numpy()
    d["caseworker_id"] = r2["caseworker_id"].astype(str).to_numpy()
    pers = persons.assign(_pid=persons["person_id"].astype(str)).set_index("_pid").reindex(both)
    d2 = pd.to_datetime(r2["measured_on"])
    age = d2.dt.year.to_numpy() - pd.to_numeric(pers["birth_year"]).to_numpy(dtype=np.float64, na_value=np.nan)
    origin = pers["origin"].astype("string").str.strip().str.lower()
    d["ctl_female"] = (pers["gender"] == "female").to_numpy(dtype=np.float64)
    d["ctl_eritrea"] = origin.isin(_ERITREA).to_numpy(dtype=np.float64)
    d["ctl_other_origin"] = (~origin.isin(_SYRIA | _ERITREA)).to_numpy(dtype=np.float64)
    d["ctl_age_18_29"] = (age < 30).astype(np.float64)
    d["ctl_age_41_65"] = (age > 40).astype(np.float64)
    for lvl in ("beyond_primary", "none", "unknown"):
        d[f"ctl_edu_{lvl}"] = (pers["education"] == lvl).to_numpy(dtype=np.float64)
    for lvl in ("no", "unknown"):
        d[f"ctl_wex_{lvl}"] = (pers["work_experience"] == lvl).to_numpy(dtype=np.float64)
    arrival = pd.to_datetime(pers["arrival_date"])
    d["ctl_months_dk"] = ((d2.dt.year.to_numpy() - arrival.dt.year.to_numpy()) * 12
                          + d2.dt.month.to_numpy() - arrival.dt.month.to_numpy()).astype(np.float64)
    d["ctl_days_between"] = (d2 - pd.to_datetime(r1["measured_on"])).dt.days.to_numpy(dtype=np.float64)
    quarter = (d2.dt.year.astype(str) + "q" + d2.dt.quarter.astype(str)).to_numpy()
    for q in sorted(set(quarter))[1:]:
        d[f"ctl_quarter_{q}"] = (quarter == q).astype(np.float64)
    window = window_outcomes(outcomes, m, anchor_round=2, months=months)
    window.index = window.index.astype(str)
    d = d.join(window, how="inner")
    return d.dropna(subset=list(INDEX_TERMS))


# --------------------------------------------------------------------------- fits
def _demean(v: np.ndarray, g: np.ndarray, cnt: np.ndarray) -> np.ndarray:
    """Subtract group means from every column of ``v`` (2-D)."""
    G = cnt.size
    means = np.column_stack([np.bincount(g, v[:, j], G) for j in range(v.shape[1])]) / cnt[:, None]
    return v - means[g]


def table_4_9_fits(table: pd.DataFrame) -> pd.DataFrame:
    """OLS with caseworker fixed effects (Stata ``areg``) of the Tabel 4.9 models.

    The citizen and the caseworker index (level + change) in separate models, without and
    with the ``ctl_*`` controls, and both indices jointly with controls; outcomes
    ``emp_rate``, ``emp_dummy``, ``ord_emp_dummy``, ``edu_dummy``.

    Parameters
    ----------
    table : DataFrame
        As returned by :func:`analysis_table`.

    Returns
    -------
    DataFrame
        Columns ``model`` (citizen/caseworker/joint), ``controls`` (bool), ``outcome``,
        ``term`` (e.g. ``citizen_level``), ``coef``, ``se`` (iid, areg residual df
        N - k - (G - 1), k counting the constant), ``n``, ``n_caseworkers``.

    Notes
    -----
    Within transformation and ``numpy.linalg.lstsq``: the same coefficients as OLS with
    one dummy per caseworker. Controls that are constant in the sample are dropped.
    """
    _, g = np.unique(table["caseworker_id"].to_numpy(dtype=object), return_inverse=True)
    cnt = np.bincount(g).astype(np.float64)
    G, n = cnt.size, len(table)
    controls = [c for c in table.columns if c.startswith("ctl_") and table[c].nunique() > 1]
    Y = _demean(table[list(OUTCOMES)].to_numpy(dtype=np.float64), g, cnt)
    specs = [("citizen", ["citizen_level", "citizen_change"]),
             ("caseworker", ["caseworker_level", "caseworker_change"]),
             ("joint", list(INDEX_TERMS))]
    rows = []
    for model, terms in specs:
        for with_controls in ((False, True) if model != "joint" else (True,)):
            cols = terms + (controls if with_controls else [])
            X = _demean(table[cols].to_numpy(dtype=np.float64), g, cnt)
            beta, *_ = np.linalg.lstsq(X, Y, rcond=None)
            resid = Y - X @ beta
            df = n - (X.shape[1] + 1) - (G - 1)
            xtx_inv = np.linalg.pinv(X.T @ X)
            for k, outcome in enumerate(OUTCOMES):
                se = np.sqrt(np.diag(xtx_inv) * (resid[:, k] @ resid[:, k]) / df)
                for j, term in enumerate(terms):
                    rows.append((model, with_controls, outcome, term, beta[j, k], se[j], n, G))
    return pd.DataFrame(rows, columns=["model", "controls", "outcome", "term", "coef", "se", "n",
                                       "n_caseworkers"])


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
        (rounds as the pairing numbers them) -> :func:`analysis_table` ->
        :func:`table_4_9_fits`. ``"example"``: :func:`example_inputs` (true measurements,
        no forms) -> ``simulate_outcomes`` -> the same table and fits.

    Returns
    -------
    DataFrame
        As :func:`table_4_9_fits`.

    Notes
    -----
    ``implied_coefficients()`` (the defaults) reproduces the ``implied`` section of
    ``configs/calibration_outcomes.yaml``; about 17 s and 1.9 GB at 400,000 persons.
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
        return table_4_9_fits(analysis_table(persons, meas, panel, inst))
    study = simulate_study(n_persons, seed=seed, instrument=inst)
    ds = study.dataset
    if params is not None:
        panel = simulate_outcomes(ds.persons, study.measurements, inst, np.random.default_rng((seed, 1)),
                                  params=params)
        ds = replace(ds, outcomes=panel)
    meas = pair_forms(ds).measurements
    return table_4_9_fits(analysis_table(ds.persons, meas, ds.outcomes, inst))


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
        In the layouts :func:`simulate_outcomes` expects.

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
