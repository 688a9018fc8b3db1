"""Item scores of the synthetic cohort: a latent factor model cut into the answer scale.

For a measurement (person ``i``, round ``r``, caseworker ``c``) and item ``j``::

    latent_j = mu_j[gender] + progression_j[gender] * (1 + decay + ... + decay^(r-2))
               + sum_k L_jk f_ik[r] + cw_j[c] + sqrt(psi_j) * u_ij[r]
    score_j  = scale.min + (number of thresholds below latent_j)

``f`` are person factors (unit variance, correlation ``factor_corr``), ``u`` the unique
parts (unit variance; shares of them are common to the items of one domain on one form and
to parallel items), both AR(1) over a person's rounds; ``cw`` is a caseworker intercept on
the items of the instrument's ``caseworker_from`` respondent (centred over the
measurements, so it spreads caseworkers without moving the cohort's means); ``psi_j`` makes the latent
variance 1 within gender.

Two ways to fill in the parameters:

* :func:`fip_model` -- the FIP instrument, calibrated to VIVE (2020) from
  ``configs/calibration.yaml`` (loadings, means by gender, progression, correlations).
* :func:`generic_model` -- any instrument: one latent trait per domain, traits correlated,
  each respondent sees a trait with its own error, every item loads on its respondent's
  view of its domain (parameters in the ``generic`` section).

:func:`draw_scores` draws the scores for many measurements at once (vectorised).

Examples
--------
>>> import numpy as np
>>> from fip.instrument import load_instrument
>>> from fip.simulate.calibration import load_calibration
>>> model = fip_model(load_instrument(), load_calibration())
>>> model.loadings.shape
(22, 7)
>>> draw = draw_scores(model, person=np.arange(5), round_=np.ones(5, int),
...                    male=np.zeros(5, bool), caseworker=np.zeros(5, int),
...                    n_persons=5, n_caseworkers=1, rng=np.random.default_rng(0))
>>> draw.scores.shape, int(draw.scores.min()) >= 1, int(draw.scores.max()) <= 7
((5, 22), True, True)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import ndtr

from fip.errors import ConfigError
from fip.instrument import Instrument
from fip.study_config import study_facts
from fip.published import published_loadings

__all__ = [
    "AnswerModel",
    "ScoreDraw",
    "draw_scores",
    "fip_model",
    "generic_model",
    "PUBLISHED_TABLES",
    "is_calibrated_instrument",
    "published_target",
    "thresholds_for",
]


@dataclass(frozen=True)
class AnswerModel:
    """Parameters of the latent model for every item of an instrument (arrays in item order).

    Attributes
    ----------
    item_ids : tuple of str
        Instrument item order; rows of every per-item array.
    factor_names : tuple of str
        Columns of ``loadings`` (``respondent:factor``).
    loadings : ndarray (items, factors)
    factor_corr : ndarray (factors, factors)
    means : ndarray (items, 2)
        Latent mean in round 1, column 0 women, column 1 men.
    progression : ndarray (items, 2)
        Latent shift from round 1 to round 2; round ``r`` adds ``decay**(r-2)`` times it.
    decay : float
    thresholds : ndarray (categories - 1,)
    scale_min : int
    caseworker_items : ndarray of bool (items,)
        Items that get the caseworker intercept.
    leniency_sd, item_leniency_sd : float
        Caseworker intercept: common part and item-specific part (latent SD units).
    domain_group, parallel_group : ndarray of int (items,)
        Index of the shared residual component of the item (``-1``: none).
    domain_share, parallel_share : ndarray (items,)
        Share of the unique variance that is shared within the group.
    factor_persistence, unique_persistence : float
        AR(1) coefficient of factors and unique parts from one round to the next.
    """

    item_ids: tuple[str, ...]
    factor_names: tuple[str, ...]
    loadings: np.ndarray
    factor_corr: np.ndarray
    means: np.ndarray
    progression: np.ndarray
    decay: float
    thresholds: np.ndarray
    scale_min: int
    caseworker_items: np.ndarray
    leniency_sd: float
    item_leniency_sd: float
    domain_group: np.ndarray
    domain_share: np.ndarray
    parallel_group: np.ndarray
    parallel_share: np.ndarray
    factor_persistence: float
    unique_persistence: float

    @property
    def uniqueness(self) -> np.ndarray:
        """``psi_j = 1 - sum_k L_jk**2 - caseworker variance`` (latent variance is 1)."""
        cw_var = np.where(self.caseworker_items, self.leniency_sd**2 + self.item_leniency_sd**2, 0.0)
        return 1.0 - (self.loadings**2).sum(axis=1) - cw_var


@dataclass(frozen=True)
class ScoreDraw:
    """Scores of many measurements: ``scores`` (rows x items, int8) and ``readiness``.

    ``readiness`` is the within-gender standardised mean of the person part of the latent
    scores of the caseworker items (used to draw the visitation category).
    """

    scores: np.ndarray
    readiness: np.ndarray


def thresholds_for(n_categories: int, step: float | None = None) -> np.ndarray:
    """Evenly spaced cut points centred on 0: ``(k - n/2) * step``, ``k = 1..n-1``.

    Without ``step`` the scale spans +-1.5 latent SD: ``step = 3 / (n - 2)`` (0.6 for 7
    categories, 1.0 for 5).

    Examples
    --------
    >>> thresholds_for(5).tolist()
    [-1.5, -0.5, 0.5, 1.5]
    """
    if n_categories < 2:
        raise ValueError(f"n_categories must be at least 2; got {n_categories}")
    if step is None:
        step = 3.0 / (n_categories - 2) if n_categories > 2 else 1.0
    k = np.arange(1, n_categories)
    return (k - n_categories / 2) * float(step)


def _solve_mean(target: float, thresholds: np.ndarray, lo: int, hi: int, sd: float = 1.0) -> float:
    """Latent mean whose expected score (normal latent with SD ``sd``) equals ``target``."""
    if not lo < target < hi:
        raise ConfigError(f"calibration: item mean {target} must lie strictly inside the scale {lo}-{hi}")

    def f(mu: float) -> float:
        return lo + ndtr((mu - thresholds) / sd).sum() - target

    return brentq(f, -10.0, 10.0, xtol=1e-10)


#: Published rotated loadings per respondent (tables of :func:`fip.published.published_loadings`).
PUBLISHED_TABLES: dict[str, str] = dict(study_facts().published_tables)


def published_target(respondent: str, instrument: Instrument) -> pd.DataFrame:
    """Published varimax loadings of ``respondent``'s items (Table 4.7 or 4.8), in instrument order.

    Returns
    -------
    DataFrame
        Items of ``instrument.item_ids(respondent)`` x factors (the report's factor order).

    Raises
    ------
    ValueError
        If ``respondent`` has no published table.
    ConfigError
        If the instrument's items of ``respondent`` are not those of the table.
    """
    if respondent not in PUBLISHED_TABLES:
        raise ValueError(f"respondent must be one of {sorted(PUBLISHED_TABLES)}; got {respondent!r}")
    table = published_loadings(PUBLISHED_TABLES[respondent])
    items = list(instrument.item_ids(respondent))
    if set(items) != set(table.index):
        raise ConfigError(f"the {respondent} items of {instrument.id!r} are not those of published table "
                          f"{PUBLISHED_TABLES[respondent]}")
    return table.loc[items]


def is_calibrated_instrument(instrument: Instrument, cal: Mapping[str, Any]) -> bool:
    """True if ``instrument`` is the one ``cal`` is calibrated for (same id and items)."""
    means = cal["answers"]["item_means_round1"]["items"]
    return (
        instrument.id == cal["instrument_id"]
        and set(instrument.item_ids()) == set(means)
        and (instrument.scale.min, instrument.scale.max)
        == (cal["answers"]["scale_min"], cal["answers"]["scale_max"])
    )


def _residual_groups(instrument: Instrument, shares_by_resp: Mapping[str, float],
                     parallel_share: float, loose_share: float,
                     groups: list[list[str]] | None = None,
                     pair_shares: list[Mapping[str, Any]] | None = None):
    """Shared-residual groups: ``groups`` (lists of item ids of one respondent) or, without
    them, the items of each (respondent, domain) with two or more items."""
    ids = instrument.item_ids()
    rof, dof = instrument.respondent_of(), instrument.domain_of()
    index = {i: k for k, i in enumerate(ids)}
    dgroup = np.full(len(ids), -1)
    dshare = np.zeros(len(ids))
    by_key: dict[tuple[str, str], list[int]] = {}
    if groups is None:
        for i in ids:
            by_key.setdefault((rof[i], dof[i]), []).append(index[i])
    else:
        for k, members in enumerate(groups):
            unknown = [m for m in members if m not in index]
            resps = {rof[m] for m in members if m in index}
            if unknown or len(resps) != 1:
                raise ConfigError(f"calibration: answers.residual_groups[{k}] must list known items of one "
                                  f"respondent; got {members}")
            by_key[(resps.pop(), str(k))] = [index[m] for m in members]
    g = 0
    for (resp, _dom), members in by_key.items():
        share = float(shares_by_resp.get(resp, 0.0))
        if len(members) >= 2 and share > 0:
            dgroup[members] = g
            dshare[members] = share
            g += 1
    pgroup = np.full(len(ids), -1)
    pshare = np.zeros(len(ids))
    special = {frozenset(p["items"]): float(p["share"]) for p in (pair_shares or [])}
    for k, grp in enumerate(instrument.parallel):
        share = parallel_share if grp.kind == "parallel" else loose_share
        share = special.get(frozenset(grp.items), share)
        if share > 0:
            members = [index[i] for i in grp.items]
            pgroup[members] = k
            pshare[members] = share
    return dgroup, dshare, pgroup, pshare


def _progression(instrument: Instrument, prog: Mapping[str, Any]) -> np.ndarray:
    ids = instrument.item_ids()
    out = np.full((len(ids), 2), float(prog["default"]))
    for col, gender in enumerate(("women", "men")):
        for item in prog["larger_items"].get(gender, []):
            if item not in ids:
                raise ConfigError(f"calibration: answers.progression.larger_items.{gender}: unknown item {item!r}")
            out[ids.index(item), col] = float(prog["larger"])
    return out


def fip_model(instrument: Instrument, cal: Mapping[str, Any], *,
              loadings: Mapping[str, np.ndarray] | None = None,
              domain_share: Mapping[str, float] | None = None) -> AnswerModel:
    """The calibrated FIP model (``answers`` section of the calibration file).

    Parameters
    ----------
    instrument : Instrument
        The FIP instrument (:func:`is_calibrated_instrument` must hold).
    cal : Mapping
        :func:`fip.simulate.calibration.load_calibration` output.
    loadings : Mapping respondent -> ndarray (items of the respondent in instrument order,
        factors), optional
        Generating loadings to use instead of the file's (used by the calibration itself).
        Without them the file's ``generating_loadings`` are used, or the published loadings
        if the file has none yet.
    domain_share : Mapping respondent -> float, optional
        Overrides ``answers.domain_share`` (used by the calibration).
    """
    if not is_calibrated_instrument(instrument, cal):
        raise ConfigError(f"calibration is for instrument {cal['instrument_id']!r}, not {instrument.id!r}")
    a = cal["answers"]
    ids = instrument.item_ids()
    rof = instrument.respondent_of()
    fc = a["factor_correlations"]
    blocks = {"citizen": tuple(fc["citizen_factors"]), "caseworker": tuple(fc["caseworker_factors"])}
    factor_names = tuple(f"{resp}:{f}" for resp, fs in blocks.items() for f in fs)
    lam = np.zeros((len(ids), len(factor_names)))
    col0 = 0
    for resp, fs in blocks.items():
        resp_items = instrument.item_ids(resp)
        if loadings is not None and resp in loadings:
            mat = np.asarray(loadings[resp], dtype=float)
        elif a["generating_loadings"].get(resp):
            gl = a["generating_loadings"][resp]
            mat = np.array([gl[i] for i in resp_items], dtype=float)
        else:
            target = published_target(resp, instrument)
            if tuple(target.columns) != fs:
                raise ConfigError(f"calibration: factor order of {resp} differs from the published table")
            mat = target.to_numpy(dtype=float)
        if mat.shape != (len(resp_items), len(fs)):
            raise ConfigError(f"calibration: {resp} loadings must be {len(resp_items)} x {len(fs)}; got {mat.shape}")
        rows = [ids.index(i) for i in resp_items]
        lam[np.ix_(rows, range(col0, col0 + len(fs)))] = mat
        col0 += len(fs)
    phi = np.asarray(fc["matrix"], dtype=float)
    nc, nw = len(blocks["citizen"]), len(blocks["caseworker"])
    if phi.shape != (nc, nw):
        raise ConfigError(f"calibration: factor_correlations.matrix must be {nc} x {nw}; got {phi.shape}")
    corr = np.eye(nc + nw)
    corr[:nc, nc:] = phi
    corr[nc:, :nc] = phi.T
    if np.linalg.eigvalsh(corr).min() <= 0:
        raise ConfigError("calibration: factor_correlations give a matrix that is not positive definite")

    lo, hi = instrument.scale.min, instrument.scale.max
    thr = thresholds_for(hi - lo + 1, a["threshold_step"])
    targets = a["item_means_round1"]["items"]
    means = np.array([[_solve_mean(float(targets[i][g]), thr, lo, hi) for g in ("women", "men")] for i in ids])
    cw_items = np.array([rof[i] == instrument.caseworker_from for i in ids])
    shares = dict(a["domain_share"]) if domain_share is None else dict(domain_share)
    dgroup, dshare, pgroup, pshare = _residual_groups(
        instrument, shares, float(a["parallel_share"]), float(a["parallel_share_loose"]),
        groups=a.get("residual_groups"), pair_shares=a.get("parallel_share_by_pair"))
    model = AnswerModel(
        item_ids=ids, factor_names=factor_names, loadings=lam, factor_corr=corr, means=means,
        progression=_progression(instrument, a["progression"]), decay=float(a["progression"]["decay"]),
        thresholds=thr, scale_min=lo, caseworker_items=cw_items,
        leniency_sd=float(a["leniency_sd"]), item_leniency_sd=float(a["item_leniency_sd"]),
        domain_group=dgroup, domain_share=dshare, parallel_group=pgroup, parallel_share=pshare,
        factor_persistence=float(a["factor_persistence"]), unique_persistence=float(a["unique_persistence"]),
    )
    _check(model)
    return model


def generic_model(instrument: Instrument, cal: Mapping[str, Any]) -> AnswerModel:
    """Uncalibrated model for any instrument (``generic`` section of the calibration file).

    Factors are (respondent, domain) pairs with items; two views correlate
    ``domain_correlation`` (same respondent, other domain), ``rater_agreement`` (same
    domain, other respondent) or their product (both differ).
    """
    g = cal["generic"]
    ids = instrument.item_ids()
    rof, dof = instrument.respondent_of(), instrument.domain_of()
    pairs: list[tuple[str, str]] = []
    for i in ids:
        if (rof[i], dof[i]) not in pairs:
            pairs.append((rof[i], dof[i]))
    lam = np.zeros((len(ids), len(pairs)))
    for k, i in enumerate(ids):
        lam[k, pairs.index((rof[i], dof[i]))] = float(g["loading"])
    rho, agree = float(g["domain_correlation"]), float(g["rater_agreement"])
    corr = np.array([[(1.0 if d1 == d2 else rho) * (1.0 if r1 == r2 else agree) for r2, d2 in pairs]
                     for r1, d1 in pairs])
    lo, hi = instrument.scale.min, instrument.scale.max
    m0 = float(g["mean_women"])
    means = np.tile([m0, m0 + float(g["male_shift"])], (len(ids), 1))
    cw_items = np.array([rof[i] == instrument.caseworker_from for i in ids])
    none = np.full(len(ids), -1)
    model = AnswerModel(
        item_ids=ids, factor_names=tuple(f"{r}:{d}" for r, d in pairs), loadings=lam, factor_corr=corr,
        means=means, progression=np.full((len(ids), 2), float(g["progression"])),
        decay=float(g["progression_decay"]), thresholds=thresholds_for(hi - lo + 1), scale_min=lo,
        caseworker_items=cw_items, leniency_sd=float(g["leniency_sd"]), item_leniency_sd=0.0,
        domain_group=none, domain_share=np.zeros(len(ids)), parallel_group=none.copy(),
        parallel_share=np.zeros(len(ids)), factor_persistence=float(g["factor_persistence"]),
        unique_persistence=float(g["unique_persistence"]),
    )
    _check(model)
    return model


def _check(model: AnswerModel) -> None:
    psi = model.uniqueness
    if (psi <= 0.01).any():
        bad = [model.item_ids[k] for k in np.flatnonzero(psi <= 0.01)]
        raise ConfigError(f"calibration: loadings plus caseworker variance leave no unique variance for {bad}")
    if (model.domain_share + model.parallel_share > 1).any():
        raise ConfigError("calibration: domain_share + parallel_share must not exceed 1")
    for name, v in (("factor_persistence", model.factor_persistence), ("unique_persistence", model.unique_persistence)):
        if not 0 <= v < 1:
            raise ConfigError(f"calibration: {name} must be in [0, 1); got {v}")


def _unique_parts(model: AnswerModel, n: int, rng: np.random.Generator) -> np.ndarray:
    """Unit-variance unique parts (n x items) with the domain and parallel sharing."""
    u = rng.standard_normal((n, len(model.item_ids)))
    u *= np.sqrt(1.0 - model.domain_share - model.parallel_share)
    for groups, shares in ((model.domain_group, model.domain_share), (model.parallel_group, model.parallel_share)):
        n_groups = int(groups.max()) + 1
        if n_groups > 0:
            s = rng.standard_normal((n, n_groups))
            root = np.sqrt(shares)
            for j in np.flatnonzero(groups >= 0):     # column by column: no (n x items) temporaries
                u[:, j] += s[:, groups[j]] * root[j]
    return u


def draw_scores(model: AnswerModel, *, person: np.ndarray, round_: np.ndarray, male: np.ndarray,
                caseworker: np.ndarray, n_persons: int, n_caseworkers: int,
                rng: np.random.Generator) -> ScoreDraw:
    """Draw item scores for measurements (one row each), vectorised.

    Parameters
    ----------
    model : AnswerModel
    person, round_, male, caseworker : ndarray (rows,)
        Person index (``0..n_persons-1``), round number (1, 2, ...), gender and caseworker
        index of each measurement; a person has at most one row per round.
    n_persons, n_caseworkers : int
    rng : numpy.random.Generator
        Draws happen in a fixed order that depends only on the sizes, not on the model's
        values (so a calibration can reuse the same random numbers).

    Returns
    -------
    ScoreDraw
        ``scores[k]`` belongs to row ``k`` of the inputs.
    """
    person = np.asarray(person)
    round_ = np.asarray(round_)
    male = np.asarray(male, dtype=bool)
    caseworker = np.asarray(caseworker)
    n, n_items, n_fac = person.size, len(model.item_ids), model.loadings.shape[1]
    chol = np.linalg.cholesky(model.factor_corr)
    cw_idx = np.flatnonzero(model.caseworker_items)
    # caseworker intercepts (common leniency + item-specific part)
    lenient = rng.standard_normal(n_caseworkers) * model.leniency_sd
    item_len = rng.standard_normal((n_caseworkers, cw_idx.size)) * model.item_leniency_sd
    if n:  # centre over the measurements: leniency moves caseworkers apart, not the cohort mean
        lenient -= lenient[caseworker].mean()
        item_len -= item_len[caseworker].mean(axis=0)
    # stationary starting states: round 1 is already stationary after one AR(1) step
    f_state = rng.standard_normal((n_persons, n_fac)) @ chol.T
    u_state = _unique_parts(model, n_persons, rng)
    a_f, a_u = model.factor_persistence, model.unique_persistence
    sd_psi = np.sqrt(model.uniqueness)
    scores = np.empty((n, n_items), dtype=np.int8)
    person_part = np.empty(n)
    c_f, c_u = np.sqrt(1 - a_f**2), np.sqrt(1 - a_u**2)
    # the arithmetic below is done in place, element by element in the same order as
    # ``a * state + c * draw``, ``f L' + u psi``, ``(part + shift) + leniency``
    for r in range(1, int(round_.max(initial=0)) + 1):
        rows = np.flatnonzero(round_ == r)
        if not rows.size:
            continue
        p = person[rows]
        if p.size and np.bincount(p, minlength=n_persons).max() > 1:
            raise ValueError(f"a person has more than one measurement in round {r}")
        f = f_state[p]
        f *= a_f
        f += c_f * (rng.standard_normal((rows.size, n_fac)) @ chol.T)
        new = _unique_parts(model, rows.size, rng)
        new *= c_u
        u = u_state[p]
        u *= a_u
        u += new
        del new
        f_state[p] = f
        u_state[p] = u
        part = f @ model.loadings.T
        del f
        u *= sd_psi
        part += u
        del u
        person_part[rows] = part[:, cw_idx].mean(axis=1) if cw_idx.size else part.mean(axis=1)
        g = male[rows].astype(np.intp)
        shift = model.means.T + model.progression.T * _cumulative(int(r), model.decay)   # (gender, items)
        for j in range(n_items):
            part[:, j] += shift[g, j]
        cwr = caseworker[rows]
        common = lenient[cwr]
        for k, j in enumerate(cw_idx):
            part[:, j] += common + item_len[cwr, k]
        block = np.empty((rows.size, n_items), dtype=np.int8)
        for j in range(n_items):
            block[:, j] = np.searchsorted(model.thresholds, part[:, j]) + model.scale_min
        scores[rows] = block
        del part, block
    sd = person_part.std()
    readiness = (person_part - person_part.mean()) / sd if sd > 0 else np.zeros(n)
    return ScoreDraw(scores=scores, readiness=readiness)


def _cumulative(r: int, decay: float) -> float:
    """Total progression multiplier at round ``r``: 0, 1, 1 + decay, 1 + decay + decay**2, ..."""
    return float(sum(decay**s for s in range(r - 1)))
