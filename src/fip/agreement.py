"""How far the caseworker agrees with the citizen, item by item (the parallel items).

The instrument lists items asked of both respondents (``parallel_items`` of
``configs/instrument.yaml``: c01/w01 cooperation, c09/w08 speaking Danish, ...). For each such
pair this module gives, over the persons with both answers in one round, the Pearson
correlation of the two answers and the mean and mean absolute difference (citizen minus
caseworker). The study's text says citizen and caseworker agree most on Danish and least on
confidence and cooperation; :mod:`fip.statements` checks that ordering with the correlation.

:func:`agreement_table` adds, per pair and round, the quadratic-weighted kappa
(:func:`weighted_kappa`), the intraclass correlation (:func:`icc`: ICC(2,1) by default) and
Bland–Altman's mean difference and limits of agreement with their confidence intervals
(:func:`bland_altman`).

Examples
--------
>>> from fip.simulate import simulate_cohort
>>> from fip.study import Study
>>> table = parallel_agreement(Study(simulate_cohort(seed=0)))
>>> table[["citizen_item", "caseworker_item"]].iloc[0].tolist(), bool(table["r"].between(-1, 1).all())
(['c01', 'w01'], True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from fip._options import check_option
from fip._tidy import ScalarTidy

if TYPE_CHECKING:
    from fip.study import Study

__all__ = ["ICC_FORMS", "BlandAltman", "agreement_respondents", "agreement_table", "bland_altman", "icc",
           "parallel_agreement",
           "weighted_kappa"]


def agreement_respondents(instrument, kinds: tuple[str, ...] = ("parallel",)) -> tuple[str, str] | None:
    """The two respondents compared on the parallel items: the first pair of respondents, in the
    instrument's order, that answer the same question in a parallel group (FIP: citizen and
    caseworker). None when no parallel group of ``kinds`` joins two respondents.

    Examples
    --------
    >>> from fip.instrument import load_instrument
    >>> agreement_respondents(load_instrument())
    ('citizen', 'caseworker')
    """
    order = [r.id for r in instrument.respondents]
    respondent = {item.id: item.respondent for item in instrument.items}
    pairs = []
    for group in instrument.parallel:
        if group.kind in kinds:
            present = sorted({respondent[i] for i in group.items}, key=order.index)
            pairs += [(a, b) for k, a in enumerate(present) for b in present[k + 1:]]
    return min(pairs, key=lambda ab: (order.index(ab[0]), order.index(ab[1]))) if pairs else None


def _pairs_of(study: Study, kinds: tuple[str, ...]) -> tuple[str, str, list[tuple[str, str]]]:
    """The two respondents and their parallel item pairs; a clear error when there are none."""
    from fip.errors import FipError

    inst = study.instrument
    two = agreement_respondents(inst, kinds)
    if two is None:
        raise FipError(f"instrument {inst.id}: agreement needs parallel items (parallel_items in the instrument "
                       "file) answered by two respondents; this instrument has none")
    respondent = {item.id: item.respondent for item in inst.items}
    pairs = []
    for group in inst.parallel:
        by = {respondent[i]: i for i in group.items}
        if group.kind in kinds and set(two) <= set(by):
            pairs.append((by[two[0]], by[two[1]]))
    return two[0], two[1], pairs


def parallel_agreement(study: Study, round_: int = 1, kinds: tuple[str, ...] = ("parallel",)) -> pd.DataFrame:
    """Agreement of citizen and caseworker on each parallel pair of items in one round.

    Parameters
    ----------
    study : Study
        Its :attr:`~fip.study.Study.measurements` (one row per person and round, both forms).
    round_ : int
        The round (the study's factor analyses and this text use round 1).
    kinds : tuple of str
        Kinds of parallel groups to use (``parallel``; ``loose`` pairs are related questions,
        not the same one).

    Returns
    -------
    DataFrame
        One row per pair: ``citizen_item``, ``caseworker_item`` (``{respondent}_item`` of the
        two :func:`agreement_respondents` of another instrument), ``domain`` (the first
        item's), ``n`` (persons with both answers), ``r`` (Pearson), ``mean_difference`` and
        ``mean_abs_difference`` (first minus second respondent). Pairs resting on 1-4 persons
        (the Study's policy) are blanked.
    """
    inst = study.instrument
    m = study.measurements
    m = m[m["round"] == round_]
    domain = {item.id: item.domain for item in inst.items}
    first, second, pairs = _pairs_of(study, kinds)
    rows = []
    for item_a, item_b in pairs:
        a = m[item_a].astype("float64").to_numpy(na_value=np.nan)
        b = m[item_b].astype("float64").to_numpy(na_value=np.nan)
        both = ~(np.isnan(a) | np.isnan(b))
        a, b = a[both], b[both]
        n = int(both.sum())
        r = float(np.corrcoef(a, b)[0, 1]) if n > 2 and a.std() > 0 and b.std() > 0 else np.nan
        rows.append({f"{first}_item": item_a, f"{second}_item": item_b,
                     "domain": domain[item_a], "n": n, "r": r,
                     "mean_difference": float(np.mean(a - b)) if n else np.nan,
                     "mean_abs_difference": float(np.mean(np.abs(a - b))) if n else np.nan})
    table = pd.DataFrame(rows, columns=[f"{first}_item", f"{second}_item", "domain", "n", "r",
                                        "mean_difference", "mean_abs_difference"])
    table["n"] = table["n"].astype("Int64")
    small = study.policy.is_small(table["n"].astype("int64")) if len(table) else pd.Series(dtype=bool)
    table.loc[small.to_numpy(), ["r", "mean_difference", "mean_abs_difference"]] = np.nan
    table["n"] = table["n"].mask(small.to_numpy())
    return table


# -- agreement statistics of two ratings of the same persons -----------------------------------

#: The six Shrout–Fleiss (1979) forms, in psych::ICC's order, with McGraw–Wong (1996) names.
ICC_FORMS: dict[str, str] = {
    "ICC1": "one-way random, single rater (McGraw-Wong ICC(1))",
    "ICC2": "two-way random, absolute agreement, single rater (McGraw-Wong ICC(A,1))",
    "ICC3": "two-way mixed, consistency, single rater (McGraw-Wong ICC(C,1))",
    "ICC1k": "one-way random, mean of k raters",
    "ICC2k": "two-way random, absolute agreement, mean of k raters (ICC(A,k))",
    "ICC3k": "two-way mixed, consistency, mean of k raters (ICC(C,k))",
}


def _pairs(a, b) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(a, dtype="float64")
    b = np.asarray(b, dtype="float64")
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"the two ratings must be 1-dimensional and of equal length; got {a.shape} and {b.shape}")
    both = ~(np.isnan(a) | np.isnan(b))
    return a[both], b[both]


def weighted_kappa(a, b, weights: str | None = "quadratic") -> float:
    """Cohen's kappa of two ratings of the same persons, weighted (quadratic, linear) or not.

    ``κ_w = 1 − Σ w·O / Σ w·E`` with ``O`` the observed and ``E`` the chance-expected (product of
    the margins) shares over the categories observed in either rating, and weights
    ``w_ij = (i − j)²`` (quadratic), ``|i − j|`` (linear) or ``[i ≠ j]`` (``None``). Persons
    missing either rating are left out.

    Examples
    --------
    >>> round(weighted_kappa([1, 2, 3, 4, 5], [1, 2, 3, 5, 5]), 4)
    0.9565
    """
    check_option("weights", "none" if weights is None else weights, ("quadratic", "linear", "none"))
    a, b = _pairs(a, b)
    if len(a) == 0:
        return float("nan")
    cats = np.union1d(a, b)
    ia, ib = np.searchsorted(cats, a), np.searchsorted(cats, b)
    k = len(cats)
    obs = np.zeros((k, k))
    np.add.at(obs, (ia, ib), 1.0)
    obs /= obs.sum()
    exp = np.outer(obs.sum(axis=1), obs.sum(axis=0))
    i, j = np.indices((k, k))
    if weights == "quadratic":
        w = (cats[i] - cats[j]) ** 2
    elif weights == "linear":
        w = np.abs(cats[i] - cats[j])
    else:
        w = (i != j).astype("float64")
    denom = (w * exp).sum()
    return float(1 - (w * obs).sum() / denom) if denom > 0 else float("nan")


def icc(ratings, *, confidence: float = 0.95) -> pd.DataFrame:
    """The six intraclass correlations of ``ratings`` (persons x raters), as ``psych::ICC``.

    Two-way ANOVA of the complete rows (persons with every rating): mean squares between
    persons ``MSB``, raters ``MSJ``, residual ``MSE`` and within persons ``MSW``; the forms of
    Shrout and Fleiss (1979) (see :data:`ICC_FORMS`), e.g.
    ``ICC2 = (MSB − MSE) / (MSB + (k − 1)MSE + k(MSJ − MSE)/n)``. Confidence limits as psych
    (F-distribution; ICC2 with Satterthwaite's degrees of freedom, McGraw and Wong 1996).

    For citizen vs caseworker the relevant form is ICC2 (= McGraw–Wong ICC(A,1)): the two are
    not interchangeable raters (so not ICC1), and a systematic difference between them is
    disagreement (so absolute agreement, not ICC3's consistency).

    Returns
    -------
    DataFrame
        Index ``ICC1``, ``ICC2``, ``ICC3``, ``ICC1k``, ``ICC2k``, ``ICC3k``; columns ``icc``,
        ``f``, ``df1``, ``df2``, ``p``, ``ci_low``, ``ci_high``, ``n``, ``description``.

    Examples
    --------
    >>> round(float(icc(np.array([[1, 2], [3, 3], [5, 6], [7, 6], [2, 2]])).loc["ICC2", "icc"]), 4)
    0.9394
    """
    x = np.asarray(ratings, dtype="float64")
    if x.ndim != 2 or x.shape[1] < 2:
        raise ValueError(f"ratings must be persons x raters with at least 2 raters; got shape {x.shape}")
    x = x[~np.isnan(x).any(axis=1)]
    n, k = x.shape
    if n < 2:
        raise ValueError(f"an ICC needs at least 2 persons with every rating; got {n}")
    grand = x.mean()
    ss_b = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_j = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_t = ((x - grand) ** 2).sum()
    ss_e = ss_t - ss_b - ss_j
    msb, msj = ss_b / (n - 1), ss_j / (k - 1)
    mse = ss_e / ((n - 1) * (k - 1))
    msw = (ss_j + ss_e) / (n * (k - 1))
    values = {
        "ICC1": (msb - msw) / (msb + (k - 1) * msw),
        "ICC2": (msb - mse) / (msb + (k - 1) * mse + k * (msj - mse) / n),
        "ICC3": (msb - mse) / (msb + (k - 1) * mse),
        "ICC1k": (msb - msw) / msb,
        "ICC2k": (msb - mse) / (msb + (msj - mse) / n),
        "ICC3k": (msb - mse) / msb,
    }
    q = 1 - (1 - confidence) / 2
    f1, d1n, d1d = msb / msw, n - 1, n * (k - 1)
    f2, d2n, d2d = msb / mse, n - 1, (n - 1) * (k - 1)
    f1l, f1u = f1 / stats.f.ppf(q, d1n, d1d), f1 * stats.f.ppf(q, d1d, d1n)
    f3l, f3u = f2 / stats.f.ppf(q, d2n, d2d), f2 * stats.f.ppf(q, d2d, d2n)
    i2, fj = values["ICC2"], msj / mse
    vn = (k - 1) * (n - 1) * (k * i2 * fj + n * (1 + (k - 1) * i2) - k * i2) ** 2
    vd = (n - 1) * k**2 * i2**2 * fj**2 + (n * (1 + (k - 1) * i2) - k * i2) ** 2
    v = vn / vd
    fu, fl = stats.f.ppf(q, n - 1, v), stats.f.ppf(q, v, n - 1)
    l2 = n * (msb - fu * mse) / (fu * (k * msj + (k * n - k - n) * mse) + n * msb)
    u2 = n * (fl * msb - mse) / (k * msj + (k * n - k - n) * mse + n * fl * msb)
    limits = {
        "ICC1": ((f1l - 1) / (f1l + k - 1), (f1u - 1) / (f1u + k - 1)),
        "ICC2": (l2, u2),
        "ICC3": ((f3l - 1) / (f3l + k - 1), (f3u - 1) / (f3u + k - 1)),
        "ICC1k": (1 - 1 / f1l, 1 - 1 / f1u),
        "ICC2k": (l2 * k / (1 + l2 * (k - 1)), u2 * k / (1 + u2 * (k - 1))),
        "ICC3k": (1 - 1 / f3l, 1 - 1 / f3u),
    }
    rows = []
    for form in ICC_FORMS:
        f, dn, dd = (f1, d1n, d1d) if form.startswith("ICC1") else (f2, d2n, d2d)
        rows.append({"icc": float(values[form]), "f": float(f), "df1": int(dn), "df2": int(dd),
                     "p": float(stats.f.sf(f, dn, dd)), "ci_low": float(limits[form][0]),
                     "ci_high": float(limits[form][1]), "n": int(n), "description": ICC_FORMS[form]})
    return pd.DataFrame(rows, index=pd.Index(list(ICC_FORMS), name="form"))


@dataclass(frozen=True)
class BlandAltman(ScalarTidy):
    """Bland–Altman agreement of two ratings (differences ``a − b``); ``.tidy()``: one row.

    ``lower``/``upper`` are ``mean_difference ∓ 1.96·sd``; their confidence limits use Bland
    and Altman's (1999) approximation ``SE(limit) ≈ √(3 sd² / n)`` with Student's t on n − 1 df.
    """

    n: int
    mean_difference: float
    mean_ci_low: float
    mean_ci_high: float
    sd_difference: float
    lower: float
    lower_ci_low: float
    lower_ci_high: float
    upper: float
    upper_ci_low: float
    upper_ci_high: float


def bland_altman(a, b, *, confidence: float = 0.95) -> BlandAltman:
    """Mean difference and 95 % limits of agreement of ``a − b`` (persons with both ratings).

    Examples
    --------
    >>> ba = bland_altman([3, 4, 5, 6, 2, 5], [2, 4, 4, 6, 3, 4])
    >>> ba.n, round(ba.mean_difference, 4), round(ba.upper - ba.lower, 4)
    (6, 0.3333, 3.2007)
    """
    a, b = _pairs(a, b)
    n = len(a)
    if n < 2:
        nan = float("nan")
        return BlandAltman(n, *([nan] * 10))
    d = a - b
    mean, sd = float(d.mean()), float(d.std(ddof=1))
    t = float(stats.t.ppf(1 - (1 - confidence) / 2, n - 1))
    se_mean, se_limit = sd / np.sqrt(n), np.sqrt(3 * sd**2 / n)
    lo, hi = mean - 1.96 * sd, mean + 1.96 * sd
    return BlandAltman(n, mean, mean - t * se_mean, mean + t * se_mean, sd,
                       lo, lo - t * se_limit, lo + t * se_limit, hi, hi - t * se_limit, hi + t * se_limit)


def agreement_table(study: Study, rounds: tuple[int, ...] = (1, 2), kinds: tuple[str, ...] = ("parallel",),
                    icc_form: str = "ICC2") -> pd.DataFrame:
    """Citizen vs caseworker on each parallel pair, by round: kappa, ICC, Bland–Altman.

    Parameters
    ----------
    study : Study
    rounds : tuple of int
    kinds : tuple of str
        Parallel groups used (``parallel``; ``loose`` pairs are related, not the same question).
    icc_form : str
        One of :data:`ICC_FORMS`; default ``ICC2`` (absolute agreement of two fixed kinds of
        rater: see :func:`icc`).

    Returns
    -------
    DataFrame
        One row per pair and round: ``round``, ``citizen_item``, ``caseworker_item``
        (``{respondent}_item`` of the two :func:`agreement_respondents` of another
        instrument), ``domain``, ``n``, ``kappa_quadratic``, ``icc`` (with ``icc_form``),
        ``icc_ci_low``, ``icc_ci_high``, ``mean_difference``, ``sd_difference``, ``lower``,
        ``upper`` and the confidence limits of the last two (first minus second respondent).
        Rows resting on 1-4 persons (the Study's policy) show no figures and no n.

    Raises
    ------
    FipError
        When the instrument has no parallel items answered by two respondents.
    """
    check_option("icc_form", icc_form, tuple(ICC_FORMS))
    inst = study.instrument
    domain = {item.id: item.domain for item in inst.items}
    first, second, pairs = _pairs_of(study, kinds)
    m = study.measurements
    rows = []
    for round_ in rounds:
        mr = m[m["round"] == round_]
        for item_a, item_b in pairs:
            a, b = _pairs(mr[item_a].astype("float64").to_numpy(na_value=np.nan),
                          mr[item_b].astype("float64").to_numpy(na_value=np.nan))
            row = {"round": round_, f"{first}_item": item_a, f"{second}_item": item_b,
                   "domain": domain[item_a], "n": len(a)}
            ba = bland_altman(a, b)
            ok = len(a) >= 3 and a.std() > 0 and b.std() > 0
            ic = icc(np.column_stack([a, b])).loc[icc_form] if ok else None
            row |= {"kappa_quadratic": weighted_kappa(a, b) if ok else np.nan,
                    "icc_form": icc_form,
                    "icc": ic["icc"] if ok else np.nan,
                    "icc_ci_low": ic["ci_low"] if ok else np.nan,
                    "icc_ci_high": ic["ci_high"] if ok else np.nan,
                    "mean_difference": ba.mean_difference, "sd_difference": ba.sd_difference,
                    "lower": ba.lower, "lower_ci_low": ba.lower_ci_low, "lower_ci_high": ba.lower_ci_high,
                    "upper": ba.upper, "upper_ci_low": ba.upper_ci_low, "upper_ci_high": ba.upper_ci_high}
            rows.append(row)
    columns = ["round", f"{first}_item", f"{second}_item", "domain", "n", "kappa_quadratic", "icc_form", "icc",
               "icc_ci_low", "icc_ci_high", "mean_difference", "sd_difference", "lower", "lower_ci_low",
               "lower_ci_high", "upper", "upper_ci_low", "upper_ci_high"]
    table = pd.DataFrame(rows, columns=columns)
    figures = [c for c in columns[5:] if c != "icc_form"]
    table[figures] = table[figures].astype("float64")
    small = np.asarray(study.policy.is_small(table["n"].to_numpy(dtype="int64")), dtype=bool) if len(table) else np.zeros(0, bool)
    table.loc[small, figures] = np.nan
    table["n"] = table["n"].astype("Int64").mask(small)
    return table
