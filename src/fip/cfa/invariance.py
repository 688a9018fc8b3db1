"""Measurement invariance across groups: configural → metric → scalar → strict.

Each level adds lavaan ``group.equal`` constraints (loadings; + intercepts; + residual
variances) and is compared with the previous one by the likelihood-ratio test (lavaan
``lavTestLRT``: Δχ² = χ²₁ − χ²₀ on Δdf) and by ΔCFI and ΔRMSEA (restricted − previous).

Decision rules (``rule``):

* ``"cheung_rensvold"`` (default; Cheung & Rensvold 2002): the level holds unless ΔCFI ≤ −0.010.
* ``"chen"`` (Chen 2007, n > 300 criteria): the level fails when ΔCFI ≤ −0.010 together with
  ΔRMSEA ≥ 0.015.
* ``"chisq"``: the level fails when the Δχ² test has p < 0.05.

With ``partial=True`` a failing level is made partial: the equality with the largest
univariate score test (lavaan ``lavTestScore``) among those the level adds is freed
(lavaan ``group.partial``), one at a time, while its p < ``alpha`` and the level fails; the freed
constraints are reported and carried to the later levels.

Groups with fewer persons than ``min_group_n`` (at least the number of items + 1, and the
disclosure threshold when a policy is given) are left out and named in ``excluded``.

Example
-------
>>> # measurement_invariance(spec, data, group="school").tidy()
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from fip.cfa.estimate import CfaResult, fit_cfa
from fip.cfa.fit import FitIndices, fit_indices
from fip.cfa.modindices import score_tests
from fip.cfa.spec import ModelSpec
from fip.errors import FipError

__all__ = ["LEVELS", "RULES", "RULE_WORDS", "SIZES_WITHHELD", "InvarianceResult", "measurement_invariance", "noninvariant_parameters",
           "with_group_column"]

LEVELS: dict[str, tuple[str, ...]] = {
    "configural": (),
    "metric": ("loadings",),
    "scalar": ("loadings", "intercepts"),
    "strict": ("loadings", "intercepts", "residuals"),
}
RULES = ("cheung_rensvold", "chen", "chisq")
#: The decision rules in words, for titles and captions.
RULE_WORDS: dict[str, str] = {"cheung_rensvold": "Cheung & Rensvold 2002: holds unless ΔCFI ≤ −0.010",
                              "chen": "Chen 2007: fails when ΔCFI ≤ −0.010 and ΔRMSEA ≥ 0.015",
                              "chisq": "fails when the Δχ² test has p < .05"}
#: Said instead of the group sizes when they would reveal a small group left out.
SIZES_WITHHELD = ("group sizes not shown: with the n of all complete answers they would reveal, by "
                  "subtraction, how many persons in small groups were left out")
_ADDED = {"metric": "=~", "scalar": "~1", "strict": "~~"}


@dataclass(frozen=True)
class InvarianceResult:
    """The invariance sequence.

    Attributes
    ----------
    levels : tuple of (level, CfaResult, FitIndices)
    freed : tuple of (level, parameter) constraints freed for partial invariance
    excluded : tuple of (group, reason) groups left out
    rule : the decision rule used
    group_column : the grouping column
    """

    levels: tuple[tuple[str, CfaResult, FitIndices], ...]
    freed: tuple[tuple[str, str], ...]
    excluded: tuple[tuple[str, str], ...]
    rule: str
    group_column: str

    def tidy(self) -> pd.DataFrame:
        """One row per level: ``level, chisq, df, pvalue, cfi, tli, rmsea, srmr, delta_chisq,
        delta_df, p_delta, delta_cfi, delta_rmsea, holds, freed``."""
        rows = []
        prev: FitIndices | None = None
        for name, _, fi in self.levels:
            row = {k: getattr(fi, k) for k in ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr")}
            row = {"level": name, **row}
            if prev is None:
                row.update(delta_chisq=np.nan, delta_df=np.nan, p_delta=np.nan, delta_cfi=np.nan, delta_rmsea=np.nan)
                row["holds"] = True
            else:
                dchi = fi.chisq - prev.chisq
                ddf = fi.df - prev.df
                p_delta = float(stats.chi2.sf(dchi, ddf)) if ddf > 0 else np.nan
                if hasattr(fi, "chisq_naive"):  # MLR: Satorra-Bentler (2001) scaled difference
                    from fip.cfa.robust import scaled_difference

                    dchi, ddf, p_delta = scaled_difference(fi, prev)
                row.update(
                    delta_chisq=dchi, delta_df=ddf, p_delta=p_delta,
                    delta_cfi=fi.cfi - prev.cfi, delta_rmsea=fi.rmsea - prev.rmsea,
                )
                row["holds"] = _holds(self.rule, row)
            row["freed"] = "; ".join(p for lv, p in self.freed if lv == name)
            rows.append(row)
            prev = fi
        return pd.DataFrame(rows)

    def groups(self) -> pd.DataFrame:
        """Persons per group used, and the groups left out with the reason."""
        first = self.levels[0][1]
        rows = [(g, n, "") for g, n in zip(first.groups, first.n_groups_n)]
        rows += [(g, np.nan, why) for g, why in self.excluded]
        return pd.DataFrame(rows, columns=["group", "n", "excluded"])


def with_group_column(frame: pd.DataFrame, persons: pd.DataFrame, column: str, *, option: str = "group") -> pd.DataFrame:
    """``frame`` (measurements) with the grouping ``column``, taken from the persons when the forms lack it.

    Raises :class:`~fip.errors.FipError` naming ``option`` when neither table has the column.

    Example
    -------
    >>> m = pd.DataFrame({"person_id": ["1", "2"], "a": [3, 4]})
    >>> with_group_column(m, pd.DataFrame({"person_id": [1, 2], "gender": [1, 2]}), "gender")["gender"].tolist()
    [1, 2]
    """
    if column in frame.columns:
        return frame
    if column not in persons.columns:
        raise FipError(f"{option} {column}: no such column in the forms or persons file")
    look = persons[["person_id", column]].assign(person_id=persons["person_id"].astype(str))
    return frame.assign(person_id=frame["person_id"].astype(str)).merge(look, on="person_id", how="left")


def shown_group_sizes(result: InvarianceResult, total_n: int, threshold: int) -> tuple[tuple[str, int], ...] | None:
    """The groups analysed with their n, or None when ``total_n`` (the complete answers of all groups,
    as ``fip cfa`` shows them) minus the persons analysed is 1 to ``threshold - 1``: those left out
    (small groups, missing group) would then be recoverable by subtraction."""
    first = result.levels[0][1]
    if 0 < total_n - first.n < threshold:
        return None
    return tuple(zip(first.groups, first.n_groups_n))


def _holds(rule: str, row: dict) -> bool:
    if rule == "cheung_rensvold":
        return not (row["delta_cfi"] <= -0.010)
    if rule == "chen":
        return not (row["delta_cfi"] <= -0.010 and row["delta_rmsea"] >= 0.015)
    return not (row["p_delta"] < 0.05)


def measurement_invariance(
    spec: ModelSpec,
    data: pd.DataFrame,
    *,
    group: str,
    levels: Sequence[str] = tuple(LEVELS),
    rule: str = "cheung_rensvold",
    partial: bool = False,
    alpha: float = 0.05,
    min_group_n: int | None = None,
    std_lv: bool = False,
    estimator: str = "ml",
    missing: str = "listwise",
) -> InvarianceResult:
    """Fit the invariance sequence across the groups of ``group`` (see the module docstring).

    Parameters
    ----------
    spec : ModelSpec
    data : DataFrame with the items and ``group``
    group : grouping column (any person or form column)
    levels : the levels to fit, in order (default all four)
    rule : ``"cheung_rensvold"`` (default), ``"chen"`` or ``"chisq"``
    partial : free constraints where the score tests point when a level fails
    alpha : significance level of the score tests for partial invariance
    min_group_n : smallest group kept (default: number of items + 1)
    estimator : ``"ml"`` or ``"mlr"`` (scaled statistics, Δχ² as Satorra-Bentler 2001, ΔCFI and
        ΔRMSEA of the scaled indices; the score tests of ``partial`` stay the normal-theory ones)
    missing : ``"listwise"``, ``"pairwise"`` or ``"fiml"`` (ML only; see :func:`fip.cfa.fit_cfa`)

    Returns
    -------
    InvarianceResult
    """
    if rule not in RULES:
        raise ValueError(f"rule: allowed {RULES}, got {rule!r}")
    if partial and missing == "fiml":
        raise FipError("--partial with --nan-policy fiml: the score tests with full-information ML are not built; "
                       "use --nan-policy listwise or pairwise")
    bad = [lv for lv in levels if lv not in LEVELS]
    if bad:
        raise ValueError(f"levels: allowed {tuple(LEVELS)}, got {bad}")
    if group not in data.columns:
        raise FipError(f"no column {group!r} to group by")
    p = len(spec.items)
    need = max(p + 1, min_group_n or 0)
    if missing != "listwise":  # pairwise, fiml: persons with at least one answer count
        complete = data[data[group].notna() & data[list(spec.items)].notna().any(axis=1)]
    else:
        complete = data.dropna(subset=list(spec.items) + [group])
    counts = complete[group].astype(str).value_counts()
    excluded = tuple(
        (g, f"fewer than {need} persons with {'complete answers' if missing == 'listwise' else 'answers'}; "
            "a group needs more persons than items"
            + (", and at least the disclosure threshold" if min_group_n else ""))
        for g in dict.fromkeys(complete[group].astype(str)) if counts[g] < need
    )
    keep = [g for g in dict.fromkeys(complete[group].astype(str)) if counts[g] >= need]
    if len(keep) < 2:
        raise FipError(
            f"grouping by {group!r}: fewer than two groups with at least {need} persons with "
            f"{'complete answers' if missing == 'listwise' else 'answers'}; "
            "invariance needs two or more"
        )
    sub = complete[complete[group].astype(str).isin(keep)].copy()
    sub[group] = sub[group].astype(str)
    fitted: list[tuple[str, CfaResult, FitIndices]] = []
    freed: list[tuple[str, str]] = []
    for name in levels:
        res = fit_cfa(spec, sub, group=group, std_lv=std_lv, group_equal=LEVELS[name],
                      group_partial=[pp for _, pp in freed], estimator=estimator, missing=missing)
        fi = fit_indices(res)
        if partial and fitted and name in _ADDED:
            while True:
                probe = InvarianceResult((*fitted[-1:], (name, res, fi)), (), (), rule, group)
                if bool(probe.tidy()["holds"].iloc[-1]):
                    break
                best = _largest_score_test(res, name, {pp for _, pp in freed}, alpha)
                if best is None:
                    break
                freed.append((name, best))
                res = fit_cfa(spec, sub, group=group, std_lv=std_lv, group_equal=LEVELS[name],
                              group_partial=[pp for _, pp in freed], estimator=estimator, missing=missing)
                fi = fit_indices(res)
        fitted.append((name, res, fi))
    return InvarianceResult(tuple(fitted), tuple(freed), excluded, rule, group)


def _largest_score_test(res: CfaResult, level: str, already: set[str], alpha: float,
                        bonferroni: bool = False) -> str | None:
    """The equality ``level`` adds with the largest univariate score test, if its p < ``alpha``
    (``bonferroni``: ``alpha`` over the number of equalities the level adds, freed ones included)."""
    st = score_tests(res).tidy()
    st = st[st["op"] == _ADDED[level]]
    if level == "strict":
        st = st[st["lhs"] == st["rhs"]]
    st = st.assign(key=[_key(r) for r in st.itertuples()])
    st = st[~st["key"].isin(already)]  # freed equalities are not in the fit any more
    if bonferroni:
        alpha = alpha / max(len(st) + sum(_ADDED[level] in key for key in already), 1)
    if st.empty or st["pvalue"].min() >= alpha:
        return None
    return str(st.loc[st["chisq"].idxmax(), "key"])


def noninvariant_parameters(spec: ModelSpec, data: pd.DataFrame, *, group: str, level: str = "scalar",
                            alpha: float = 0.05, bonferroni: bool = True, std_lv: bool = False,
                            max_free: int | None = None) -> tuple[str, ...]:
    """Constraints of ``level`` that a sequential specification search frees (Yoon & Millsap 2007).

    Fits the model with the constraints of ``level`` (e.g. scalar: equal loadings and
    intercepts), then frees the constraint ``level`` adds (metric: loadings, scalar:
    intercepts, strict: residual variances) with the largest univariate score test
    (:func:`fip.cfa.modindices.score_tests`, lavaan ``lavTestScore``) and refits, while that
    test's p < ``alpha`` (``bonferroni=True``, the default: ``alpha`` over the number of equalities the
    level adds, so that an invariant model has a freed constraint in about ``alpha`` of samples;
    ``False``: per test). Unlike ``measurement_invariance(partial=True)``
    it does not stop when a fit-index rule is met: it is the item-level search whose power and
    false-alarm rate ``tests/test_planted_power.py`` measures.

    Returns
    -------
    tuple of str
        The freed constraints in the order freed, as lavaan ``group.partial`` names them
        (``"i03 ~1"``, ``"F1 =~ i08"``).
    """
    if level not in _ADDED:
        raise ValueError(f"level: one of {tuple(_ADDED)}, got {level!r}")
    freed: list[str] = []
    limit = len(spec.items) if max_free is None else max_free
    while len(freed) < limit:
        res = fit_cfa(spec, data, group=group, std_lv=std_lv, group_equal=LEVELS[level], group_partial=freed)
        best = _largest_score_test(res, level, set(freed), alpha, bonferroni)
        if best is None:
            break
        freed.append(best)
    return tuple(freed)


def _key(row) -> str:
    if row.op == "~1":
        return f"{row.lhs} ~1"
    return f"{row.lhs} {row.op} {row.rhs}"
