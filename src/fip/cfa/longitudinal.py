"""Longitudinal measurement invariance: the same items in round 1 and round 2 (and later rounds).

One single-group model with a mean structure on the wide data (one column per item and round,
``c01_r1``, ``c01_r2``; persons measured in every round): a factor per index per round
(``F_r1 =~ a_r1 + b_r1 + ...``, ``F_r2 =~ a_r2 + ...``), all factor covariances free, and the
residuals of the same item correlated across rounds (``a_r1 ~~ a_r2``). The levels add
equality constraints over time, as lavaan labels (or semTools ``measEq.syntax(longFacNames=...,
long.equal=...)``) impose them:

* configural: the same pattern in every round; intercepts free, latent means 0;
* metric: the loading of an item equal in every round (with ``std_lv``: the factor variances of
  rounds 2.. are then free, round 1's stay 1);
* scalar: + the intercept of an item equal in every round; the latent means of rounds 2.. free
  (round 1 fixed at 0);
* strict: + the residual variance of an item equal in every round.

Levels are compared as in :mod:`fip.cfa.invariance` (Δχ² as lavaan ``lavTestLRT``, ΔCFI,
ΔRMSEA, the same decision ``rule``). With ``partial=True`` a failing level frees, one at a time,
the equality over time with the largest univariate score test (lavaan ``lavTestScore``) while its
p < ``alpha`` and the level fails; freed equalities are named with the items' own names
(``"c02 ~1"``: the intercept of c02 differs between rounds) and carried to later levels.

Example
-------
>>> from fip.cfa.spec import parse_model
>>> print(longitudinal_spec(parse_model("F =~ a + b + c")).to_syntax())
F_r1 =~ a_r1 + b_r1 + c_r1
F_r2 =~ a_r2 + b_r2 + c_r2
a_r1 ~~ a_r2
b_r1 ~~ b_r2
c_r1 ~~ c_r2
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from fip.cfa.estimate import CfaResult, Param, build_parameters, fit_cfa
from fip.cfa.fit import FitIndices, fit_indices
from fip.cfa.invariance import LEVELS, RULES, InvarianceResult
from fip.cfa.modindices import score_tests
from fip.cfa.spec import ModelSpec
from fip.errors import FipError

__all__ = ["LongitudinalInvarianceResult", "longitudinal_invariance", "longitudinal_parameters",
           "longitudinal_spec", "round_name", "wide_rounds"]

_ADDED = {"metric": "=~", "scalar": "~1", "strict": "~~"}


def round_name(name: str, round_: int) -> str:
    """The name of an item or factor in round ``round_`` of the wide data (``c01`` → ``c01_r2``)."""
    return f"{name}_r{round_}"


def longitudinal_spec(spec: ModelSpec, rounds: Sequence[int] = (1, 2)) -> ModelSpec:
    """The configural longitudinal model of ``spec``: its factors and residual covariances in each
    round, and the residuals of each item correlated across every pair of rounds.

    Example
    -------
    >>> from fip.cfa.spec import parse_model
    >>> longitudinal_spec(parse_model("F =~ a + b"), (1, 2)).factor_names
    ('F_r1', 'F_r2')
    """
    rounds = _check_rounds(rounds)
    factors = tuple((round_name(f, r), tuple(round_name(i, r) for i in its))
                    for r in rounds for f, its in spec.factors)
    rescov = [(round_name(a, r), round_name(b, r)) for r in rounds for a, b in spec.residual_covariances]
    for item in spec.items:
        for k, r in enumerate(rounds):
            for s in rounds[k + 1:]:
                rescov.append((round_name(item, r), round_name(item, s)))
    return ModelSpec(factors=factors, residual_covariances=tuple(rescov))


def _check_rounds(rounds: Sequence[int]) -> tuple[int, ...]:
    out = tuple(int(r) for r in rounds)
    if len(out) < 2 or len(set(out)) != len(out):
        raise ValueError(f"rounds: expected two or more different rounds, got {tuple(rounds)}")
    return out


def wide_rounds(measurements: pd.DataFrame, items: Sequence[str], rounds: Sequence[int] = (1, 2), *,
                person: str = "person_id", round_column: str = "round") -> pd.DataFrame:
    """One row per person measured in every one of ``rounds``: ``person`` and ``ITEM_rK`` columns.

    Persons missing a round are left out; missing answers stay missing (the fit drops such rows
    listwise).

    Example
    -------
    >>> m = pd.DataFrame({"person_id": ["a", "a", "b"], "round": [1, 2, 1], "x": [3, 4, 5]})
    >>> wide_rounds(m, ["x"]).to_dict("records")
    [{'person_id': 'a', 'x_r1': 3, 'x_r2': 4}]
    """
    rounds = _check_rounds(rounds)
    missing = [c for c in [person, round_column, *items] if c not in measurements.columns]
    if missing:
        raise FipError(f"measurements lack the column(s) {', '.join(missing)}")
    wide: pd.DataFrame | None = None
    for r in rounds:
        part = measurements.loc[measurements[round_column] == r, [person, *items]]
        part = part.drop_duplicates(subset=person, keep="first")
        part = part.rename(columns={i: round_name(i, r) for i in items})
        wide = part if wide is None else wide.merge(part, on=person, how="inner")
    assert wide is not None
    return wide.sort_values(person, kind="stable").reset_index(drop=True)


def longitudinal_parameters(spec: ModelSpec, level: str, rounds: Sequence[int] = (1, 2), *,
                            std_lv: bool = False, partial: Sequence[str] = ()) -> tuple[ModelSpec, list[Param]]:
    """The longitudinal model of ``spec`` at ``level`` and its parameter table (for
    :func:`fip.cfa.estimate.fit_cfa` ``parameters=``).

    Equal parameters share one free index (lavaan's simple equality constraints by labels).
    ``partial`` lists equalities over time left out, in the items' own names: ``"F =~ x"``,
    ``"x ~1"``, ``"x ~~ x"``.

    Example
    -------
    >>> from fip.cfa.spec import parse_model
    >>> long, params = longitudinal_parameters(parse_model("F =~ a + b + c"), "scalar")
    >>> 1 + max(q.free for q in params)   # 2 loadings, 6+3 (co)variances, 3 psi, 3 intercepts, 1 mean
    18
    """
    if level not in LEVELS:
        raise ValueError(f"level: allowed {tuple(LEVELS)}, got {level!r}")
    rounds = _check_rounds(rounds)
    equal = LEVELS[level]
    long = longitudinal_spec(spec, rounds)
    base = build_parameters(long, 1, std_lv=std_lv, meanstructure=True)
    origin = {round_name(n, r): (n, r) for r in rounds for n in (*spec.items, *spec.factor_names)}
    released = {_key(*_split(p)) for p in partial}
    first_round = rounds[0]
    keys: list[object] = []
    for k, q in enumerate(base):
        lhs, r = origin[q.lhs]
        own = ("own", k)
        if q.kind == "lambda" and q.free < 0:  # marker loading, fixed at 1 in every round
            keys.append(-1)
        elif q.kind == "lambda":
            item = origin[q.rhs][0]
            tie = "loadings" in equal and _key("=~", lhs, item) not in released
            keys.append(("lambda", lhs, item) if tie else own)
        elif q.kind == "theta" and q.row == q.col:
            tie = "residuals" in equal and _key("~~", lhs, lhs) not in released
            keys.append(("theta", lhs) if tie else own)
        elif q.kind == "nu":
            tie = "intercepts" in equal and _key("~1", lhs, "") not in released
            keys.append(("nu", lhs) if tie else own)
        elif q.kind == "alpha":
            keys.append(own if "intercepts" in equal and r != first_round else -1)
        elif q.kind == "psi" and q.row == q.col and q.free < 0:  # std_lv: variance fixed at 1
            keys.append(own if "loadings" in equal and r != first_round else -1)
        else:
            keys.append(own)
    numbers: dict[object, int] = {}
    params = []
    for q, key in zip(base, keys):
        if key == -1:
            params.append(replace(q, free=-1))
            continue
        idx = numbers.setdefault(key, len(numbers))
        params.append(replace(q, free=idx, value=np.nan))
    return long, params


def _split(text: str) -> tuple[str, str, str]:
    t = text.replace(" ", "")
    for op in ("=~", "~~", "~1"):
        if op in t:
            lhs, rhs = t.split(op, 1)
            return op, lhs, rhs
    raise ValueError(f"partial: expected 'F =~ x', 'x ~1' or 'x ~~ x', got {text!r}")


def _key(op: str, lhs: str, rhs: str) -> str:
    return f"{lhs} ~1" if op == "~1" else f"{lhs} {op} {rhs}"


@dataclass(frozen=True)
class LongitudinalInvarianceResult:
    """The longitudinal invariance sequence.

    Attributes
    ----------
    levels : tuple of (level, CfaResult, FitIndices); each CfaResult is the wide single-group model
    freed : tuple of (level, equality) freed for partial invariance, in the items' names
    rule : the decision rule
    rounds : the rounds compared
    n_persons : persons measured in every round (before dropping incomplete answers)
    """

    levels: tuple[tuple[str, CfaResult, FitIndices], ...]
    freed: tuple[tuple[str, str], ...]
    rule: str
    rounds: tuple[int, ...]
    n_persons: int

    @property
    def n(self) -> int:
        """Persons used: measured in every round, complete answers to every item in each."""
        return self.levels[0][1].n

    def tidy(self) -> pd.DataFrame:
        """One row per level, as :meth:`fip.cfa.invariance.InvarianceResult.tidy`: ``level, chisq, df,
        pvalue, cfi, tli, rmsea, srmr, delta_chisq, delta_df, p_delta, delta_cfi, delta_rmsea, holds, freed``."""
        return InvarianceResult(self.levels, self.freed, (), self.rule, "round").tidy()

    def latent_means(self) -> pd.DataFrame:
        """The latent means of the later rounds (round 1 fixed at 0) in the models that free them:
        ``level, factor, round, estimate, se, std`` (``std``: estimate over the factor's SD in that round)."""
        rows = []
        for name, res, _ in self.levels:
            t = res.tidy()
            t = t[(t["op"] == "~1") & t["free"] & t["lhs"].isin(res.spec.factor_names)]
            for r in t.itertuples():
                base, _, rnd = r.lhs.rpartition("_r")
                rows.append((name, base, int(rnd), r.estimate, r.se, r.std_all))
        return pd.DataFrame(rows, columns=["level", "factor", "round", "estimate", "se", "std"])


def longitudinal_invariance(
    spec: ModelSpec,
    wide: pd.DataFrame,
    *,
    rounds: Sequence[int] = (1, 2),
    levels: Sequence[str] = tuple(LEVELS),
    rule: str = "cheung_rensvold",
    partial: bool = False,
    alpha: float = 0.05,
    std_lv: bool = False,
) -> LongitudinalInvarianceResult:
    """Fit the longitudinal invariance sequence of ``spec`` over ``rounds`` (see the module docstring).

    Parameters
    ----------
    spec : ModelSpec
        The model of one round, in the items' own names.
    wide : DataFrame
        One row per person with the columns ``ITEM_rK`` (:func:`wide_rounds`).
    rounds, levels, rule, partial, alpha, std_lv
        As :func:`fip.cfa.invariance.measurement_invariance`.

    Returns
    -------
    LongitudinalInvarianceResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from fip.cfa.spec import parse_model
    >>> rng = np.random.default_rng(0); f = rng.normal(size=(400, 1))
    >>> cols = {f"{i}_r{r}": f[:, 0] * .8 + rng.normal(size=400) * .6 + (r - 1) * .3 for r in (1, 2) for i in "abc"}
    >>> res = longitudinal_invariance(parse_model("F =~ a + b + c"), pd.DataFrame(cols))
    >>> res.tidy()["df"].tolist()
    [5, 7, 9, 12]
    """
    if rule not in RULES:
        raise ValueError(f"rule: allowed {RULES}, got {rule!r}")
    bad = [lv for lv in levels if lv not in LEVELS]
    if bad:
        raise ValueError(f"levels: allowed {tuple(LEVELS)}, got {bad}")
    rounds = _check_rounds(rounds)
    cols = [round_name(i, r) for r in rounds for i in spec.items]
    missing = [c for c in cols if c not in wide.columns]
    if missing:
        raise FipError(f"the wide data lack the column(s) {', '.join(missing)}")
    p = len(cols)
    complete = int(wide[cols].notna().all(axis=1).sum())
    if complete <= p:
        raise FipError(f"{complete} persons with complete answers in rounds {', '.join(map(str, rounds))}: "
                       f"the longitudinal model of {p} item columns needs more than {p}")
    fitted: list[tuple[str, CfaResult, FitIndices]] = []
    freed: list[tuple[str, str]] = []

    def fit(name: str) -> tuple[CfaResult, FitIndices]:
        long, params = longitudinal_parameters(spec, name, rounds, std_lv=std_lv, partial=[k for _, k in freed])
        res = fit_cfa(long, wide, std_lv=std_lv, meanstructure=True, parameters=params)
        return res, fit_indices(res)

    for name in levels:
        res, fi = fit(name)
        if partial and fitted and name in _ADDED:
            while True:
                probe = InvarianceResult((*fitted[-1:], (name, res, fi)), (), (), rule, "round")
                if bool(probe.tidy()["holds"].iloc[-1]):
                    break
                best = _largest_score_test(res, name, {k for _, k in freed}, alpha)
                if best is None:
                    break
                freed.append((name, best))
                res, fi = fit(name)
        fitted.append((name, res, fi))
    return LongitudinalInvarianceResult(tuple(fitted), tuple(freed), rule, rounds, int(len(wide)))


def _largest_score_test(res: CfaResult, level: str, already: set[str], alpha: float) -> str | None:
    """The equality over time that ``level`` adds with the largest univariate score test, if p < ``alpha``."""
    st = score_tests(res).tidy()
    st = st[st["op"] == _ADDED[level]]
    if level == "strict":
        st = st[st["lhs"] == st["rhs"]]
    if st.empty:
        return None

    def base(name: str) -> str:
        return name.rpartition("_r")[0] if name else name

    st = st.assign(key=[_key(r.op, base(r.lhs), base(r.rhs)) for r in st.itertuples()])
    # with three or more rounds an equality has several score tests (round 1 ~ round k): take its largest
    st = st[~st["key"].isin(already)]
    if st.empty or st["pvalue"].min() >= alpha:
        return None
    return str(st.loc[st["chisq"].idxmax(), "key"])
