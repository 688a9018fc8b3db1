"""Monthly register outcomes of the synthetic cohort: employment, wage subsidy, education.

The data-generating process (documented in ``docs/calibration_outcomes.md``, parameters in
``configs/calibration_outcomes.yaml``):

* Per person, the *observed* overall indices drive the outcomes: the first respondent's
  ("citizen") and the ``caseworker_from`` respondent's ("caseworker") item means at the
  first measurement (level) and the second minus the first (change; 0 with one round).
  Indices are mapped onto a 1-7 scale first, so coefficients mean "per point on 1-7".
* A person-level probit propensity for ordinary employment
  ``eta = beta'(levels, changes) + gamma'controls + caseworker effect + person effect``;
  controls are origin, age group, brought education and work experience, months in Denmark.
  Gender enters through gender-specific monthly intercepts (below). Education has its own
  propensity of the same form.
* Each month ``k`` (relative to the anchor month: round 2, or the only round) a person is in
  ordinary employment if ``a_o[g, k] + eta + e_o > 0``, in a wage-subsidy job (if not in
  ordinary employment) if ``a_s[g, k] + kappa * eta + e_s > 0``, in education if
  ``a_e[g, k] + eta_e + e_e > 0``; the ``e`` are AR(1) over months with unit variance.
  A month in a job has ``employment_rate`` drawn from a Beta distribution around a
  person-level mean (ordinary) or a fixed mean (wage subsidy).
* The intercepts ``a[g, k]`` are solved per gender and month so that the expected monthly
  shares over the persons with two or more rounds equal the published paths (VIVE 2020,
  figures 4.13-4.15, as transcribed in ``fip_published.yaml``).

Examples
--------
>>> import numpy as np
>>> from fip.instrument import load_instrument
>>> from fip.simulate.outcome_calibration import example_inputs
>>> from fip.simulate.outcomes import simulate_outcomes
>>> inst = load_instrument()
>>> persons, measurements = example_inputs(200, inst, np.random.default_rng(1))
>>> panel = simulate_outcomes(persons, measurements, inst, np.random.default_rng(2))
>>> list(panel.columns)
['person_id', 'month', 'employment_rate', 'ordinary_employment', 'education']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.special import expit, ndtr

from fip._resources import config_path, read_config
from fip.controls import CONTROL_CODING
from fip.errors import ConfigError, InvalidDataError, Problem, mask_personal
from fip.instrument import Instrument
from fip.simulate.calibration import is_wrapper, strip_sources

__all__ = [
    "OUTCOME_COLUMNS",
    "load_outcome_params",
    "simulate_outcomes",
]

#: Columns of the monthly panel, in order.
OUTCOME_COLUMNS: tuple[str, ...] = (
    "person_id",
    "month",
    "employment_rate",
    "ordinary_employment",
    "education",
)

_PERSON_COLUMNS = ("person_id", "gender", "birth_year", "origin", "education",
                   "work_experience", "arrival_date")
_MEAS_COLUMNS = ("person_id", "round", "measured_on", "caseworker_id")
_CONTROL_TERMS = ("origin_eritrea", "origin_other", "age_18_29", "age_41_65",
                  "education_beyond_primary", "education_none", "education_unknown",
                  "work_experience_no", "work_experience_unknown")
_INDEX_TERMS = ("citizen_level", "citizen_change", "caseworker_level", "caseworker_change")
_PATHS = ("employment_rate", "wage_subsidy_share", "education_share")


# --------------------------------------------------------------------------- parameters
def _merge(base: dict, over: Mapping, where: str) -> dict:
    out = dict(base)
    for key, value in over.items():
        if key not in base:
            raise ConfigError(f"params: unknown key {where}{key!r}; expected one of {sorted(base)}")
        if isinstance(base[key], dict) and isinstance(value, Mapping) and not is_wrapper(value):
            out[key] = _merge(base[key], value, f"{where}{key}.")
        else:
            out[key] = strip_sources(value)
    return out


def load_outcome_params(path: str | Path | None = None) -> dict[str, Any]:
    """Parameters of the outcomes model as plain numbers (sources stripped).

    Parameters
    ----------
    path : str or Path, optional
        A YAML file laid out like ``configs/calibration_outcomes.yaml`` (the default).

    Returns
    -------
    dict
        Sections ``panel``, ``paths``, ``calibration``, ``employment``, ``intensity``,
        ``subsidy``, ``education``, ``example_inputs`` (and ``implied``, informational).

    Examples
    --------
    >>> load_outcome_params()["panel"]["months_after_last_measurement"]
    6
    """
    p = Path(path) if path is not None else config_path("calibration_outcomes.yaml")
    raw = read_config(p, "calibration_outcomes.yaml", "parameter file")
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{p}: expected a mapping at the top")
    return strip_sources(raw)


def _resolve(params: Mapping | None) -> dict[str, Any]:
    base = load_outcome_params()
    out = base if params is None else _merge(base, params, "")
    _check_params(out)
    return out


def _check_params(p: Mapping) -> None:
    def bad(key: str, msg: str) -> ConfigError:
        return ConfigError(f"calibration_outcomes: {key}: {msg}")

    for sec in ("employment", "education", "subsidy"):
        rho = p[sec]["persistence"]
        if not 0 <= rho < 1:
            raise bad(f"{sec}.persistence", f"must be in [0, 1); got {rho!r}")
    for sec in ("employment", "education"):
        for k in ("caseworker_sd", "person_sd"):
            if p[sec][k] < 0:
                raise bad(f"{sec}.{k}", f"must be >= 0; got {p[sec][k]!r}")
    for name in _PATHS:
        rows = p["paths"][name]
        months = [r["month"] for r in rows]
        if not rows or any(b <= a for a, b in zip(months, months[1:])):
            raise bad(f"paths.{name}", "months must be a non-empty increasing list")
        for r in rows:
            for g in ("female", "male"):
                if not 0 <= r[g] < 1:
                    raise bad(f"paths.{name}", f"{g} share at month {r['month']} must be in [0, 1)")
    m = p["subsidy"]["rate_mean"]
    if not 0 < m < 1:
        raise bad("subsidy.rate_mean", f"must be in (0, 1); got {m!r}")
    if int(p["panel"]["months_after_last_measurement"]) < 0:
        raise bad("panel.months_after_last_measurement", "must be >= 0")


# --------------------------------------------------------------------------- inputs
def _problem(table: str, column: str | None, value: object, expected: str) -> Problem:
    return Problem(table, None, column, None if value is None else mask_personal(value), expected)


def _month_ordinal(dates: pd.Series) -> np.ndarray:
    """Months since 1970-01 (the ordinal of ``period[M]``); -1 where missing."""
    d = pd.to_datetime(dates)
    out = (d.dt.year - 1970) * 12 + d.dt.month - 1
    return out.fillna(-1).to_numpy(dtype=np.int64)


def _respondent_index(measurements: pd.DataFrame, instrument: Instrument, respondent: str) -> np.ndarray:
    """Mean of the respondent's items per measurement, mapped onto 1-7 (NaN if none answered)."""
    items = list(instrument.item_ids(respondent))
    vals = measurements[items].to_numpy(dtype=np.float64, na_value=np.nan)
    ok = ~np.isnan(vals)
    n = ok.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(ok, vals, 0.0).sum(axis=1) / n
    lo, hi = instrument.scale.min, instrument.scale.max
    return (mean - lo) * 6.0 / (hi - lo) + 1.0


def _arrow(values: pd.Series) -> pa.Array:
    """Text column as a pyarrow string array (ids are compared as text)."""
    return pa.array(values.astype("str").array, type=pa.large_string())


def _person_rows(persons: pd.DataFrame, measurements: pd.DataFrame) -> np.ndarray:
    """Row of ``persons`` of each measurement's person (-1 if unknown), by hashing."""
    found = pc.index_in(_arrow(measurements["person_id"]), value_set=_arrow(persons["person_id"]))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _validate(persons: pd.DataFrame, measurements: pd.DataFrame, instrument: Instrument) -> None:
    problems: list[Problem] = []
    for col in _PERSON_COLUMNS:
        if col not in persons.columns:
            problems.append(_problem("persons", col, None, "this column (persons table contract)"))
    items = instrument.item_ids(instrument.respondents[0].id) + instrument.item_ids(instrument.caseworker_from)
    for col in (*_MEAS_COLUMNS, *dict.fromkeys(items)):
        if col not in measurements.columns:
            problems.append(_problem("measurements", col, None, "this column (one per round; item columns from the instrument)"))
    if problems:
        raise InvalidDataError(problems)
    if persons["person_id"].duplicated().any():
        dup = persons.loc[persons["person_id"].duplicated(), "person_id"].iloc[0]
        problems.append(_problem("persons", "person_id", dup, "unique person ids"))
    gender = persons["gender"].astype("string")
    genders = CONTROL_CODING["gender"]["known"]  # the codes of configs/schema.yaml
    badg = ~gender.isin(genders).fillna(False).to_numpy(dtype=bool)
    if badg.any():
        problems.append(_problem("persons", "gender", persons["gender"].iloc[np.flatnonzero(badg)[0]],
                                 " or ".join(repr(g) for g in genders)))
    unknown = _person_rows(persons, measurements) < 0
    if unknown.any():
        problems.append(_problem("measurements", "person_id",
                                 measurements["person_id"].iloc[np.flatnonzero(unknown)[0]],
                                 f"a person of the persons table ({int(unknown.sum())} rows unknown)"))
    rounds = pd.to_numeric(measurements["round"], errors="coerce")
    if rounds.isna().any() or (rounds < 1).any():
        problems.append(_problem("measurements", "round", None, "whole numbers >= 1"))
    if pd.to_datetime(measurements["measured_on"], errors="coerce").isna().any():
        problems.append(_problem("measurements", "measured_on", None, "a date in every row"))
    if measurements.duplicated(["person_id", "round"]).any():
        problems.append(_problem("measurements", "round", None, "one row per person and round"))
    if measurements["caseworker_id"].isna().any():
        problems.append(_problem("measurements", "caseworker_id", None, "a caseworker in every row"))
    if problems:
        raise InvalidDataError(problems)


@dataclass(frozen=True)
class _People:
    """Per-person design of the persons with at least one measurement (sorted by id)."""

    person_id: Any                 # pandas string array
    female: np.ndarray             # bool
    level_c: np.ndarray
    change_c: np.ndarray
    level_w: np.ndarray
    change_w: np.ndarray
    controls: dict[str, np.ndarray]  # 0/1 dummies of _CONTROL_TERMS
    months_dk: np.ndarray          # months in Denmark at the anchor month
    n_rounds: np.ndarray
    contrasts: dict[str, tuple[np.ndarray, np.ndarray]]  # group -> (level, change) minus overall
    caseworker: np.ndarray         # str, caseworker at the anchor measurement
    first_month: np.ndarray        # month ordinals
    anchor_month: np.ndarray
    last_month: np.ndarray


def _items_index(measurements: pd.DataFrame, instrument: Instrument, items: list[str]) -> np.ndarray:
    """Mean of ``items`` per measurement on 1-7 (NaN unless every item is answered)."""
    vals = measurements[items].to_numpy(dtype=np.float64, na_value=np.nan)
    lo, hi = instrument.scale.min, instrument.scale.max
    return (vals.mean(axis=1) - lo) * 6.0 / (hi - lo) + 1.0


def _people(persons: pd.DataFrame, measurements: pd.DataFrame, instrument: Instrument,
            factors: Mapping[str, Mapping] | None = None) -> _People:
    meas = measurements
    rnd = pd.to_numeric(meas["round"]).to_numpy(dtype=np.int64)
    month = _month_ordinal(meas["measured_on"])
    idx_c = _respondent_index(meas, instrument, instrument.respondents[0].id)
    idx_w = _respondent_index(meas, instrument, instrument.caseworker_from)
    cw = meas["caseworker_id"].astype("str").to_numpy(dtype=object)

    # Persons in id order (binary order of the text), measurements by person and round.
    pids = persons["person_id"].astype("str").array
    by_id = pc.sort_indices(_arrow(persons["person_id"])).to_numpy()
    rank = np.empty(by_id.size, dtype=np.int64)
    rank[by_id] = np.arange(by_id.size)
    prow = _person_rows(persons, meas)
    order = np.lexsort((rnd, rank[prow]))
    code_s = rank[prow][order]
    first = np.flatnonzero(np.r_[True, code_s[1:] != code_s[:-1]])
    counts = np.diff(np.r_[first, len(order)])
    has2 = counts >= 2
    second = np.where(has2, first + 1, first)
    r1, r2 = order[first], order[second]
    rows = prow[r1]  # persons row of each person with measurements, in id order
    month_s = month[order]
    first_month = np.minimum.reduceat(month_s, first)
    last_month = np.maximum.reduceat(month_s, first)
    anchor_month = month[r2]

    def level_change(ix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lev = ix[r1].copy()
        if np.isnan(lev).all():
            lev[:] = 4.0
        lev[np.isnan(lev)] = np.nanmean(lev)  # documented: missing level -> sample mean
        chg = np.where(has2, ix[r2] - ix[r1], 0.0)
        chg[np.isnan(chg)] = 0.0  # documented: missing change -> 0
        return lev, chg

    level_c, change_c = level_change(idx_c)
    level_w, change_w = level_change(idx_w)
    # Index contrasts: mean of a group of one respondent's items minus that respondent's
    # overall index (level and change), 0 where an item is missing; groups with items the
    # instrument lacks, or items of two respondents, are left out.
    contrasts: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    overall = {instrument.respondents[0].id: idx_c, instrument.caseworker_from: idx_w}
    for name, spec in (factors or {}).items():
        items = list(spec["items"])
        own = [r for r in overall if items and set(items) <= set(instrument.item_ids(r))]
        if not own:
            continue
        f_ix, ref = _items_index(meas, instrument, items), overall[own[0]]
        d_lev = np.nan_to_num(f_ix[r1] - ref[r1])
        d_chg = np.where(has2, np.nan_to_num((f_ix[r2] - ref[r2]) - (f_ix[r1] - ref[r1])), 0.0)
        contrasts[name] = (d_lev, d_chg)

    pers = persons.iloc[rows]
    female = (pers["gender"].astype("string") == CONTROL_CODING["gender"]["indicator"]["female"]
              ).fillna(False).to_numpy(dtype=bool)
    origin = pers["origin"].astype("string").str.strip().str.lower()
    groups = CONTROL_CODING["origin"]["groups"]  # the spellings of the controls (configs/controls.yaml)
    is_syria = origin.isin(groups["syria"]).fillna(False).to_numpy(dtype=bool)
    is_eritrea = origin.isin(groups["eritrea"]).fillna(False).to_numpy(dtype=bool)
    birth = pd.to_numeric(pers["birth_year"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    age = (anchor_month // 12 + 1970) - birth
    edu = pers["education"].astype("string").to_numpy(dtype=object, na_value="unknown")
    wex = pers["work_experience"].astype("string").to_numpy(dtype=object, na_value="unknown")
    arrival = _month_ordinal(pers["arrival_date"])
    months_dk = np.where(arrival >= 0, anchor_month - arrival, 36).astype(np.float64)
    controls = {
        "origin_eritrea": is_eritrea,
        "origin_other": ~is_syria & ~is_eritrea,
        "age_18_29": age < CONTROL_CODING["age"]["young_below"],
        "age_41_65": age > CONTROL_CODING["age"]["old_above"],
        "education_beyond_primary": edu == "beyond_primary",
        "education_none": edu == "none",
        "education_unknown": (edu == "unknown") | (edu == ""),
        "work_experience_no": wex == "no",
        "work_experience_unknown": (wex == "unknown") | (wex == ""),
    }
    controls = {k: np.asarray(v, dtype=np.float64) for k, v in controls.items()}
    return _People(
        person_id=pids.take(rows), female=female, level_c=level_c, change_c=change_c, level_w=level_w,
        change_w=change_w, contrasts=contrasts, controls=controls, months_dk=months_dk, n_rounds=counts,
        caseworker=cw[r2], first_month=first_month, anchor_month=anchor_month,
        last_month=last_month,
    )


# --------------------------------------------------------------------------- the model
def _propensity(pp: _People, coef: Mapping[str, float], cw_effect: np.ndarray,
                person_effect: np.ndarray, factors: Mapping[str, Mapping] | None = None) -> np.ndarray:
    eta = (coef["citizen_level"] * (pp.level_c - 4.0) + coef["citizen_change"] * pp.change_c
           + coef["caseworker_level"] * (pp.level_w - 4.0) + coef["caseworker_change"] * pp.change_w
           + coef["months_in_denmark_per_year"] * (pp.months_dk - 36.0) / 12.0)
    for term in _CONTROL_TERMS:
        eta = eta + coef[term] * pp.controls[term]
    for name, (d_lev, d_chg) in pp.contrasts.items():
        spec = (factors or {}).get(name, {})
        eta = eta + spec.get("level", 0.0) * d_lev + spec.get("change", 0.0) * d_chg
    return eta + cw_effect + person_effect


def _path_table(rows: list[Mapping], k_lo: int, k_hi: int) -> np.ndarray:
    """Target shares, shape (2, K): row 0 male, row 1 female, months k_lo..k_hi."""
    months = np.array([r["month"] for r in rows], dtype=np.float64)
    ks = np.arange(k_lo, k_hi + 1, dtype=np.float64)
    return np.vstack([np.interp(ks, months, [r[g] for r in rows]) for g in ("male", "female")])


def _bisect(fn, targets: np.ndarray, iters: int = 36) -> np.ndarray:
    """Solve ``fn(a) = targets`` elementwise for an increasing ``fn`` on [-8, 8]."""
    lo = np.full(targets.shape, -8.0)
    hi = np.full(targets.shape, 8.0)
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        above = fn(mid) > targets
        hi = np.where(above, mid, hi)
        lo = np.where(above, lo, mid)
    return 0.5 * (lo + hi)


def _intercepts(eta: np.ndarray, eta_e: np.ndarray, mu: np.ndarray, groups: list[np.ndarray],
                targets: dict[str, np.ndarray], kappa: float, rate_sub: float
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Solve the monthly intercepts (2, K) of ordinary employment, subsidy and education."""
    K = targets["employment_rate"].shape[1]
    a_o = np.zeros((2, K))
    a_s = np.zeros((2, K))
    a_e = np.zeros((2, K))
    for g, sel in enumerate(groups):
        if sel.size == 0:
            continue
        et, mu_g, ee = eta[sel][None, :], mu[sel][None, :], eta_e[sel][None, :]
        rate, sub, edu = (targets[n][g] for n in _PATHS)
        ordinary_rate = np.maximum(rate - rate_sub * sub, 1e-6)
        a_o[g] = _bisect(lambda a: (ndtr(a[:, None] + et) * mu_g).mean(axis=1), ordinary_rate)
        not_ord = 1.0 - ndtr(a_o[g][:, None] + et)
        a_s[g] = _bisect(lambda a: (ndtr(a[:, None] + kappa * et) * not_ord).mean(axis=1), sub)
        a_e[g] = _bisect(lambda a: ndtr(a[:, None] + ee).mean(axis=1), edu)
    return a_o, a_s, a_e


def simulate_outcomes(persons: pd.DataFrame, measurements: pd.DataFrame, instrument: Instrument,
                      rng: np.random.Generator, *, params: Mapping | None = None,
                      return_propensity: bool = False) -> pd.DataFrame | tuple[pd.DataFrame, pd.Series]:
    """Simulate the monthly register panel of the persons who have measurements.

    Parameters
    ----------
    persons : DataFrame
        As in :class:`fip.data.dataset.Dataset`: ``person_id``, ``gender``
        (female/male), ``birth_year``, ``origin``, ``education``, ``work_experience``,
        ``arrival_date`` (other columns ignored).
    measurements : DataFrame
        One row per person and round: ``person_id``, ``round`` (1, 2, ...),
        ``measured_on`` (datetime64), ``caseworker_id`` and one column per item of the
        first respondent and of ``instrument.caseworker_from`` (scale of ``instrument``).
    instrument : Instrument
        Gives the items of the "citizen" index (first respondent) and the "caseworker"
        index (``caseworker_from``) and the scale.
    rng : numpy.random.Generator
        The only source of randomness; same generator state and inputs, same output.
    params : Mapping, optional
        Overrides of ``configs/calibration_outcomes.yaml`` (nested like the file; plain
        numbers or ``{value: ...}``). Unknown keys raise ``ConfigError``.
    return_propensity : bool
        Also return the true propensity ``eta`` of ordinary employment per person (a Series
        indexed by person_id), e.g. for the caseworker's simulated assessment. The draws are
        the same either way.

    Returns
    -------
    DataFrame
        Columns ``person_id`` (str), ``month`` (``period[M]``), ``employment_rate``
        (float64 in [0, 1]), ``ordinary_employment`` (bool), ``education`` (bool); one row
        per person and month from the month of the person's first measurement through
        ``panel.months_after_last_measurement`` (6) months after the month of the last
        one, sorted by person_id and month. Persons without measurements get no rows.

    Raises
    ------
    InvalidDataError
        Missing columns, unknown or duplicate persons, genders other than female/male,
        missing dates or caseworkers, duplicate (person, round).

    Notes
    -----
    The outcome of every month depends on the round-1 index levels and the change to the
    second round (0 for one-round persons); later rounds set only the panel's length. The
    caseworker effect is that of the caseworker at the second (else only) round. Missing
    index levels are set to the sample mean, missing changes to 0. Ordinary employment
    implies ``employment_rate >= intensity.minimum`` (> 0).

    Examples
    --------
    >>> import numpy as np
    >>> from fip.instrument import load_instrument
    >>> from fip.simulate.outcome_calibration import example_inputs
    >>> inst = load_instrument()
    >>> persons, meas = example_inputs(100, inst, np.random.default_rng(0))
    >>> panel = simulate_outcomes(persons, meas, inst, np.random.default_rng(0))
    >>> bool(panel["employment_rate"].between(0, 1).all())
    True
    """
    p = _resolve(params)
    _validate(persons, measurements, instrument)
    factors, factors_e = p["index_contrasts"]["employment"], p["index_contrasts"]["education"]
    pp = _people(persons, measurements, instrument, {**factors, **factors_e})
    n = len(pp.person_id)
    emp, edu_c, inten, sub = p["employment"], p["education"], p["intensity"], p["subsidy"]

    # Random effects, in a fixed order of draws.
    cw_code, cw_ids = pd.factorize(pp.caseworker, sort=True)
    u_emp = rng.standard_normal(cw_ids.size) * emp["caseworker_sd"]
    u_edu = rng.standard_normal(cw_ids.size) * edu_c["caseworker_sd"]
    z_emp = rng.standard_normal(n) * emp["person_sd"]
    z_edu = rng.standard_normal(n) * edu_c["person_sd"]
    eta = _propensity(pp, emp, u_emp[cw_code], z_emp, factors)
    eta_e = _propensity(pp, edu_c, u_edu[cw_code], z_edu, factors_e)
    mu = expit(inten["intercept"] + inten["propensity"] * eta
               + inten["citizen_change"] * pp.change_c + inten["caseworker_change"] * pp.change_w)

    # Monthly intercepts solved on the persons with two or more rounds (else all).
    k_first = pp.first_month - pp.anchor_month
    k_last = pp.last_month - pp.anchor_month + int(p["panel"]["months_after_last_measurement"])
    months_all = [r["month"] for name in _PATHS for r in p["paths"][name]]
    k_lo, k_hi = int(min(months_all)), int(max(months_all))
    targets = {name: _path_table(p["paths"][name], k_lo, k_hi) for name in _PATHS}
    cap = int(p["calibration"]["max_persons_per_gender"])
    groups = []
    for g_female in (False, True):
        sel = np.flatnonzero((pp.female == g_female) & (pp.n_rounds >= 2))
        if sel.size < 30:
            sel = np.flatnonzero(pp.female == g_female)
        if sel.size > cap:
            sel = np.sort(rng.choice(sel, size=cap, replace=False))
        groups.append(sel)
    a_o, a_s, a_e = _intercepts(eta, eta_e, mu, groups, targets, sub["propensity_loading"],
                                sub["rate_mean"])

    # Monthly AR(1) processes, persons with the longest panels first (active = prefix).
    T = (k_last - k_first + 1).astype(np.int64)
    start = np.r_[0, np.cumsum(T)[:-1]]
    n_rows = int(T.sum())
    perm = np.argsort(-T, kind="stable")
    T_p, start_p, k0_p = T[perm], start[perm], k_first[perm]
    g_p = pp.female[perm].astype(np.int64)
    eta_p, eta_e_p, mu_p = eta[perm], eta_e[perm], mu[perm]
    rate = np.zeros(n_rows)
    ordinary = np.zeros(n_rows, dtype=bool)
    educ = np.zeros(n_rows, dtype=bool)
    rho_o, rho_s, rho_e = emp["persistence"], sub["persistence"], edu_c["persistence"]
    c_o, c_s, m_s = inten["concentration"], sub["concentration"], sub["rate_mean"]
    r_min = inten["minimum"]
    kappa = sub["propensity_loading"]
    e_o = e_s = e_e = None
    t_max = int(T.max()) if n else 0
    n_active = np.searchsorted(-T_p, -np.arange(t_max), side="left")  # persons with T > t
    for t in range(t_max):
        m = int(n_active[t])
        if t == 0:
            e_o, e_s, e_e = (rng.standard_normal(m) for _ in range(3))
        else:
            e_o = rho_o * e_o[:m] + np.sqrt(1 - rho_o**2) * rng.standard_normal(m)
            e_s = rho_s * e_s[:m] + np.sqrt(1 - rho_s**2) * rng.standard_normal(m)
            e_e = rho_e * e_e[:m] + np.sqrt(1 - rho_e**2) * rng.standard_normal(m)
        kk = np.clip(k0_p[:m] + t - k_lo, 0, a_o.shape[1] - 1)
        g = g_p[:m]
        et = eta_p[:m]
        is_o = a_o[g, kk] + et + e_o > 0
        is_s = ~is_o & (a_s[g, kk] + kappa * et + e_s > 0)
        is_e = a_e[g, kk] + eta_e_p[:m] + e_e > 0
        r = np.zeros(m)
        mo = mu_p[:m][is_o]
        r[is_o] = rng.beta(mo * c_o, (1 - mo) * c_o)
        r[is_s] = rng.beta(m_s * c_s, (1 - m_s) * c_s, size=int(is_s.sum()))
        emp_any = is_o | is_s
        r[emp_any] = np.clip(r[emp_any], r_min, 1.0)
        rows = start_p[:m] + t
        rate[rows] = r
        ordinary[rows] = is_o
        educ[rows] = is_e

    within = np.arange(n_rows) - np.repeat(start, T)
    month_ord = np.repeat(pp.first_month, T) + within
    panel = pd.DataFrame({
        "person_id": pp.person_id.take(np.repeat(np.arange(n), T)),
        "month": pd.arrays.PeriodArray(month_ord, dtype="period[M]"),
        "employment_rate": rate,
        "ordinary_employment": ordinary,
        "education": educ,
    })
    if return_propensity:
        return panel, pd.Series(eta, index=pd.Index(pp.person_id, dtype="str", name="person_id"), name="eta")
    return panel


# --------------------------------------------------------------------------- analysis helpers
