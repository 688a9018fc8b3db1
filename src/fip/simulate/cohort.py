"""Who is in the synthetic cohort and when: caseworkers, municipalities, form schedule, dates,
person background.

Everything here is vectorised over persons (a million persons take seconds). Counts that
the study prints (Tabel 4.2, the gender split, 115 caseworkers in 17 municipalities) are
allocated exactly with the largest-remainder rule, so at the default size they are met
exactly; shares that are printed as percentages are drawn at random. Parameters come from
``configs/calibration.yaml`` (see docs/calibration.md).

Examples
--------
>>> import numpy as np
>>> from fip.simulate.calibration import load_calibration
>>> cal = load_calibration()
>>> default_n_persons(cal)
1228
>>> sched = build_schedule(1228, cal, ("citizen", "caseworker"), np.random.default_rng(0))
>>> int((sched.status[sched.round == 1] == sched.status_names.index("paired")).sum())
1007
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats
from scipy.optimize import brentq

from fip.errors import ConfigError

__all__ = [
    "Caseworkers",
    "Schedule",
    "allocate",
    "assign_caseworkers",
    "build_caseworkers",
    "build_schedule",
    "default_n_persons",
    "draw_dates",
    "draw_persons",
    "round_counts",
]

_EPOCH = np.datetime64("1970-01-01", "D")


def allocate(total: int, weights: Sequence[float]) -> np.ndarray:
    """Split ``total`` into whole numbers proportional to ``weights`` (largest remainder).

    Examples
    --------
    >>> allocate(10, [1, 1, 1]).tolist()
    [4, 3, 3]
    """
    w = np.asarray(weights, dtype=float)
    if total < 0 or (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"cannot allocate {total} by weights {w.tolist()}")
    exact = total * w / w.sum()
    out = np.floor(exact).astype(np.int64)
    rest = int(total - out.sum())
    if rest:
        order = np.argsort(-(exact - out), kind="stable")
        out[order[:rest]] += 1
    return out


# ----------------------------------------------------------------------------- schedule
def round_counts(cal: Mapping[str, Any], respondents: Sequence[str]) -> list[dict[str, int]]:
    """Counts per form status in each round at the study's size.

    Statuses: ``paired`` (every respondent's form in the same month), ``other_month`` (one
    form in the next month), ``missing_<respondent>`` (that respondent did not answer).
    With respondents ``citizen`` and ``caseworker`` the missing counts follow Tabel 4.2;
    for other instruments the unpaired forms are spread evenly over the respondents.
    """
    out = []
    for spec in cal["schedule"]["rounds"]:
        pairs, other = int(spec["pairs"]), int(spec["other_month"])
        single_c = int(spec["citizen_forms"]) - pairs - other
        single_w = int(spec["caseworker_forms"]) - pairs - other
        if min(single_c, single_w) < 0:
            raise ConfigError(f"calibration: schedule round {spec['round']}: forms fewer than pairs + other_month")
        counts = {"paired": pairs, "other_month": other}
        if tuple(respondents) == ("citizen", "caseworker"):
            counts["missing_caseworker"] = single_c   # citizen form only
            counts["missing_citizen"] = single_w      # caseworker form only
        else:
            split = allocate(single_c + single_w, [1.0] * len(respondents))
            for r, k in zip(respondents, split):
                counts[f"missing_{r}"] = int(k)
        out.append(counts)
    return out


def default_n_persons(cal: Mapping[str, Any]) -> int:
    """Persons with a round-1 form at the study's size (1228 for FIP: 1007 + 60 + 83 + 78)."""
    return int(sum(round_counts(cal, ("citizen", "caseworker"))[0].values()))


@dataclass(frozen=True)
class Schedule:
    """Which person has which rounds and how their forms pair.

    Attributes
    ----------
    person, round, status : ndarray (rows,)
        One row per person and round with any form, sorted by person then round;
        ``status`` indexes ``status_names``.
    status_names : tuple of str
    female : ndarray of bool (persons,)
    n_persons : int
    """

    person: np.ndarray
    round: np.ndarray
    status: np.ndarray
    status_names: tuple[str, ...]
    female: np.ndarray
    n_persons: int


def build_schedule(n_persons: int, cal: Mapping[str, Any], respondents: Sequence[str],
                   rng: np.random.Generator) -> Schedule:
    """Draw the form schedule of ``n_persons`` persons (all have round 1).

    Round 1 statuses are allocated exactly in the study's proportions (Tabel 4.2), women
    in the proportion of the round-1 pairs (509/1007) within every status. Round ``r`` is
    drawn among the persons whose round ``r-1`` paired, its counts scaled by the number of
    those; round-2 pairs keep the published gender split (266 women, 216 men) where the
    calibration gives ``pairs_women``.
    """
    counts = round_counts(cal, respondents)
    names = tuple(counts[0])
    specs = cal["schedule"]["rounds"]
    n = int(n_persons)
    # round 1
    c1 = allocate(n, [counts[0][s] for s in names])
    women_share = specs[0]["pairs_women"] / specs[0]["pairs"]
    female_by_status = [np.arange(k) < int(np.round(k * women_share)) for k in c1]
    status1 = np.repeat(np.arange(len(names)), c1)
    female = np.concatenate(female_by_status) if n else np.zeros(0, bool)
    perm = rng.permutation(n)          # person index -> position; hides the allocation order
    person_status = np.empty(n, np.int64)
    person_female = np.empty(n, bool)
    person_status[perm] = status1
    person_female[perm] = female
    rows_p, rows_r, rows_s = [np.arange(n)], [np.ones(n, np.int64)], [person_status]
    paired = names.index("paired")
    eligible = np.flatnonzero(person_status == paired)
    prev_default_pairs = counts[0]["paired"]
    for k, spec in enumerate(specs[1:], start=1):
        default = counts[k]
        scale = eligible.size / prev_default_pairs if prev_default_pairs else 0.0
        total = min(int(round(sum(default.values()) * scale)), eligible.size)
        ck = dict(zip(names, allocate(total, [default[s] for s in names]) if total else np.zeros(len(names), int)))
        n_pairs = ck["paired"]
        if "pairs_women" in spec and n_pairs:
            women = eligible[person_female[eligible]]
            men = eligible[~person_female[eligible]]
            nw = min(int(round(n_pairs * spec["pairs_women"] / spec["pairs"])), women.size)
            nm = min(n_pairs - nw, men.size)
            nw = min(n_pairs - nm, women.size)
            chosen = np.concatenate([rng.choice(women, nw, replace=False), rng.choice(men, nm, replace=False)])
        else:
            chosen = rng.choice(eligible, n_pairs, replace=False)
        taken = np.zeros(n, bool)
        taken[chosen] = True
        rest = eligible[~taken[eligible]]
        n_other = total - chosen.size
        others = rng.choice(rest, min(n_other, rest.size), replace=False)
        other_status = np.repeat([names.index(s) for s in names if s != "paired"],
                                 [ck[s] for s in names if s != "paired"])[: others.size]
        who = np.concatenate([chosen, others])
        rows_p.append(who)
        rows_r.append(np.full(who.size, k + 1, np.int64))
        rows_s.append(np.concatenate([np.full(chosen.size, paired), other_status]))
        eligible = np.sort(chosen)
        prev_default_pairs = default["paired"]
    person = np.concatenate(rows_p)
    round_ = np.concatenate(rows_r)
    status = np.concatenate(rows_s)
    order = np.lexsort((round_, person))
    return Schedule(person=person[order], round=round_[order], status=status[order],
                    status_names=names, female=person_female, n_persons=n)


# -------------------------------------------------------------------------------- dates
def _day(text: str) -> int:
    return int((np.datetime64(str(text), "D") - _EPOCH).astype(int))


def draw_dates(schedule: Schedule, cal: Mapping[str, Any], rng: np.random.Generator) -> np.ndarray:
    """Measurement dates (days since 1970-01-01), one per schedule row.

    Consecutive rounds are ``min_gap + Gamma`` days apart (mean 140, SD 86 in total). The
    first round is drawn in ``[first, round1_last]`` with a Beta(1, b) density, but early
    enough that the person's last round (plus room for a form in the next month) is by
    ``last``. If a person's rounds cannot fit at all, the gamma parts of the gaps after
    round 2 shrink first (persons with 4-5 rounds were measured more often), then the
    round-2 gap.
    """
    d = cal["dates"]
    first, last, r1_last = _day(d["first"]), _day(d["last"]), _day(d["round1_last"])
    min_gap = float(d["min_gap_days"])
    extra_mean = float(d["days_between_rounds_mean"]) - min_gap
    sd = float(d["days_between_rounds_sd"])
    shape, scale = (extra_mean / sd) ** 2, sd**2 / extra_mean
    person, round_ = schedule.person, schedule.round
    n = person.size
    later = round_ > 1
    gamma_part = np.where(later, rng.gamma(shape, scale, n), 0.0)
    fixed_part = np.where(later, min_gap, 0.0)
    reserve = float(d["other_month_max"]) + 31.0
    fixed_tot = np.bincount(person, fixed_part, schedule.n_persons)
    gamma_tot = np.bincount(person, gamma_part, schedule.n_persons)
    room = np.maximum((last - reserve - first) - fixed_tot, 0.0)
    # if the rounds do not fit, shrink the gaps after round 2 first, then the round-2 gap
    g2_tot = np.bincount(person, np.where(round_ == 2, gamma_part, 0.0), schedule.n_persons)
    later_tot = gamma_tot - g2_tot
    room_later = np.maximum(room - g2_tot, 0.0)
    s_later = np.where(later_tot > room_later, room_later / np.maximum(later_tot, 1e-9), 1.0)
    s_2 = np.where(g2_tot > room, room / np.maximum(g2_tot, 1e-9), 1.0)
    shrink = np.where(round_ == 2, s_2[person], s_later[person])
    gaps = np.floor(fixed_part + gamma_part * shrink).astype(np.int64)
    span = np.bincount(person, gaps, schedule.n_persons).astype(np.int64)
    latest = np.minimum(r1_last, last - int(reserve) - span)
    latest = np.maximum(latest, first)
    u = rng.beta(1.0, float(d["round1_beta_b"]), schedule.n_persons)
    start = first + np.floor(u * (latest - first + 1)).astype(np.int64)
    cum = np.cumsum(gaps)
    first_row = np.r_[0, np.flatnonzero(np.diff(person)) + 1]
    offset = np.repeat(cum[first_row] - gaps[first_row], np.diff(np.r_[first_row, n]))
    return start[person] + (cum - offset)


# -------------------------------------------------------------------------- caseworkers
@dataclass(frozen=True)
class Caseworkers:
    """Caseworkers and municipalities.

    Attributes
    ----------
    caseworker_id : ndarray of str (caseworkers,)
    municipality : ndarray of int (caseworkers,)
        Index into ``municipality_names``; caseworkers are sorted by municipality.
    weight : ndarray (caseworkers,)
        Caseload weight (share of FIP citizens a caseworker follows).
    municipality_names : tuple of str
    """

    caseworker_id: np.ndarray
    municipality: np.ndarray
    weight: np.ndarray
    municipality_names: tuple[str, ...]


def build_caseworkers(n_persons: int, cal: Mapping[str, Any], rng: np.random.Generator) -> Caseworkers:
    """115 caseworkers in 17 municipalities at the study's size, scaled with ``n_persons``.

    Municipalities are capped at ``max_municipalities`` (98); municipality ``i`` of ``M``
    gets caseworkers in proportion to ``1 + 15 (i/(M-1))**size_power`` (at least 1 each).
    """
    c = cal["caseworkers"]
    n0 = default_n_persons(cal)
    n_cw = max(1, int(round(c["caseworkers"] * n_persons / n0)))
    n_mun = min(int(c["max_municipalities"]), n_cw, max(1, int(round(c["municipalities"] * n_persons / n0))))
    lo, hi = c["per_municipality_range"]
    x = np.arange(n_mun) / max(n_mun - 1, 1)
    sizes = lo + allocate(n_cw - lo * n_mun, (hi - lo) * x ** float(c["size_power"]) + 1e-9) \
        if n_cw > lo * n_mun else allocate(n_cw, np.ones(n_mun))
    municipality = np.repeat(np.arange(n_mun), sizes)
    width = max(3, len(str(n_cw)))
    ids = np.char.add("cw", np.char.zfill(np.arange(1, n_cw + 1).astype(str), width))
    weight = rng.gamma(float(c["caseload_shape"]), 1.0, n_cw) + 1e-6
    mwidth = max(2, len(str(n_mun)))
    names = tuple(f"kommune_{k + 1:0{mwidth}d}" for k in range(n_mun))
    return Caseworkers(caseworker_id=ids, municipality=municipality, weight=weight, municipality_names=names)


def assign_caseworkers(schedule: Schedule, cws: Caseworkers, cal: Mapping[str, Any],
                       rng: np.random.Generator) -> np.ndarray:
    """Caseworker index of every schedule row.

    A person's first caseworker is drawn in proportion to caseload weights; at each later
    round, with probability ``change_per_round``, the person gets a caseworker of the same
    municipality (drawn the same way).
    """
    cum = np.cumsum(cws.weight)
    first_cw = np.minimum(np.searchsorted(cum, rng.random(schedule.n_persons) * cum[-1], side="right"),
                          cum.size - 1)
    n = schedule.person.size
    starts = np.searchsorted(cws.municipality, np.arange(len(cws.municipality_names)), side="left")
    ends = np.searchsorted(cws.municipality, np.arange(len(cws.municipality_names)), side="right")
    lo = np.where(starts > 0, cum[np.maximum(starts - 1, 0)], 0.0)
    hi = cum[ends - 1]
    change = (schedule.round > 1) & (rng.random(n) < float(cal["caseworkers"]["change_per_round"]))
    u = rng.random(n)
    mun = cws.municipality[first_cw[schedule.person]]
    new = np.minimum(np.searchsorted(cum, lo[mun] + u * (hi[mun] - lo[mun]), side="right"), ends[mun] - 1)
    first_row = np.r_[True, np.diff(schedule.person) != 0]
    value = np.where(first_row, first_cw[schedule.person], new)
    idx = np.where(first_row | change, np.arange(n), 0)
    idx = np.maximum.accumulate(idx)
    return value[idx]


# ------------------------------------------------------------------------------ persons
def _choice(rng: np.random.Generator, labels: Sequence[str], probs: np.ndarray) -> np.ndarray:
    """Vectorised categorical draw: one label per row of ``probs`` (rows sum to 1)."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(probs.shape[0])[:, None] * cum[:, -1:]
    k = np.minimum((u > cum).sum(axis=1), len(labels) - 1)
    return np.asarray(labels, dtype=object)[k]


def _age_gamma(mean: float, sd: float, lo: float, hi: float) -> tuple[float, float]:
    """Gamma (shape, scale) of ``age - lo`` whose truncation at ``hi - lo`` has mean ``mean - lo``."""
    def trunc_mean(m: float) -> float:
        k, th = (m / sd) ** 2, sd**2 / m
        dist = stats.gamma(k, scale=th)
        top = hi - lo
        return float(k * th * stats.gamma(k + 1, scale=th).cdf(top) / dist.cdf(top)) - (mean - lo)

    m = brentq(trunc_mean, 1.0, 3 * (hi - lo))
    return (m / sd) ** 2, sd**2 / m


def draw_persons(schedule: Schedule, measured_on: np.ndarray, cal: Mapping[str, Any],
                 rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Background of every person (arrays indexed by person).

    Returns
    -------
    dict
        ``gender`` (female/male), ``birth_year``, ``origin``, ``education``,
        ``work_experience``, ``residence_ground``, ``arrival_day`` (days since 1970-01-01).
    """
    p = cal["persons"]
    n = schedule.n_persons
    female = schedule.female
    # reference date for age: round 2, else round 1 + mean gap
    r1 = np.zeros(n, np.int64)
    r1[schedule.person[schedule.round == 1]] = measured_on[schedule.round == 1]
    ref = r1 + int(cal["dates"]["days_between_rounds_mean"])
    is2 = schedule.round == 2
    ref[schedule.person[is2]] = measured_on[is2]
    a = p["age"]
    age = np.empty(n)
    for is_female, key in ((True, "mean_women"), (False, "mean_men")):
        sel = female == is_female
        k, th = _age_gamma(float(a[key]), float(a["sd"]), float(a["min"]), float(a["max"]))
        dist = stats.gamma(k, scale=th)
        u = rng.random(int(sel.sum())) * dist.cdf(a["max"] - a["min"])
        age[sel] = a["min"] + dist.ppf(u)
    birth_day = ref - np.round(age * 365.25).astype(np.int64)
    birth_year = (birth_day.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970)

    origins = list(p["origin"]["shares"])
    o_p = np.array([p["origin"]["shares"][o] for o in origins], dtype=float)
    origin = _choice(rng, origins, np.tile(o_p / o_p.sum(), (n, 1)))

    res_labels = ["refugee", "family_reunified", "unknown"]
    rg = p["residence_ground"]
    res_p = np.where(female[:, None], [[rg["women"][k] for k in res_labels]], [[rg["men"][k] for k in res_labels]])
    residence = _choice(rng, res_labels, res_p)

    edu_labels = ["primary", "beyond_primary", "none", "unknown"]
    edu_p = np.array([p["education"][k] for k in edu_labels], dtype=float)
    education = _choice(rng, edu_labels, np.tile(edu_p / edu_p.sum(), (n, 1)))

    we = p["work_experience"]
    unk = float(we["unknown"])
    yes = np.where(female, float(we["yes"]["women"]), float(we["yes"]["men"]))
    work = _choice(rng, ["yes", "no", "unknown"], np.column_stack([yes, 1 - yes - unk, np.full(n, unk)]))

    d = cal["dates"]
    mean = np.where(residence == "family_reunified", float(d["arrival_months_mean_family_reunified"]),
                    float(d["arrival_months_mean"]))
    sd = float(d["arrival_months_sd"])
    months = float(d["arrival_min_months"]) + rng.gamma((mean / sd) ** 2, sd**2 / mean)
    arrival = r1 - np.round(months * 30.4375).astype(np.int64)
    return {
        "gender": np.where(female, "female", "male").astype(object),
        "birth_year": birth_year,
        "origin": origin,
        "education": education,
        "work_experience": work,
        "residence_ground": residence,
        "arrival_day": arrival,
    }
