"""Modification indices (lavaan ``modindices()``) and univariate score tests of equality
constraints (lavaan ``lavTestScore(univariate=TRUE)``).

Both are Lagrange-multiplier tests at the fitted model: with g the gradient of F and I the
expected information per observation over the free parameters plus the ones to release,
LM = (N/4)·g' I⁻¹ g and the expected parameter change EPC = −½ (I⁻¹ g) for the released
parameter. For a fixed-at-zero parameter this is lavaan's mi = N g²/(4 v) with
v = I₂₂ − I₂₁ I₁₁⁻¹ I₁₂.

Example
-------
>>> # modification_indices(fit_cfa(spec, data)).tidy().head()
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from fip.cfa.estimate import CfaResult, Param, _grad_info, _matrices

__all__ = ["ModIndices", "ScoreTests", "modification_indices", "score_tests"]


@dataclass(frozen=True)
class ModIndices:
    """Modification indices: one row per fixed parameter that could be freed."""

    table: pd.DataFrame

    def tidy(self) -> pd.DataFrame:
        """Columns ``group, lhs, op, rhs, mi, epc, sepc_all``."""
        return self.table.copy()


@dataclass(frozen=True)
class ScoreTests:
    """Univariate score tests, one row per equality constraint across groups."""

    table: pd.DataFrame

    def tidy(self) -> pd.DataFrame:
        """Columns ``lhs, op, rhs, group, chisq, df, pvalue``."""
        return self.table.copy()


def _lm(res: CfaResult, params: list[Param], x: np.ndarray, j: int) -> tuple[float, float]:
    mom = res.moments
    assert mom is not None
    grad, info = _grad_info(res.spec, params, x, mom, res.meanstructure)
    inv = np.linalg.pinv(info)
    step = inv @ grad
    lm = float(mom.n.sum() / 4.0 * grad @ step)
    return lm, float(-0.5 * step[j])


def modification_indices(res: CfaResult) -> ModIndices:
    """Modification indices for cross-loadings and residual covariances (lavaan ``modindices``).

    ``sepc_all`` is the EPC in lavaan's std.all metric (loading × sd(F)/sd(y); residual
    covariance / √(θ_ii θ_jj)).
    """
    items = res.spec.items
    rows = []
    for g in range(len(res.groups)):
        mm = _matrices(res.spec, res.params, res.x, g)
        present_l = {(q.row, q.col) for q in res.params if q.group == g and q.kind == "lambda"}
        present_t = {(q.row, q.col) for q in res.params if q.group == g and q.kind == "theta"}
        cands: list[Param] = []
        for fi, fname in enumerate(res.spec.factor_names):
            for r, item in enumerate(items):
                if (r, fi) not in present_l:
                    cands.append(Param("lambda", g, r, fi, -1, 0.0, fname, "=~", item))
        for a in range(len(items)):
            for b in range(a + 1, len(items)):
                if (b, a) not in present_t:
                    cands.append(Param("theta", g, b, a, -1, 0.0, items[a], "~~", items[b]))
        sd_y = np.sqrt(np.diag(mm["sigma"]))
        sd_f = np.sqrt(np.diag(mm["psi"]))
        th = np.diag(mm["theta"])
        for c in cands:
            j = res.x.size
            params = list(res.params) + [replace(c, free=j)]
            lm, epc = _lm(res, params, np.append(res.x, 0.0), j)
            if c.kind == "lambda":
                sepc = epc * sd_f[c.col] / sd_y[c.row]
            else:
                sepc = epc / np.sqrt(th[c.row] * th[c.col])
            rows.append((res.groups[g], c.lhs, c.op, c.rhs, lm, epc, sepc))
    table = pd.DataFrame(rows, columns=["group", "lhs", "op", "rhs", "mi", "epc", "sepc_all"])
    return ModIndices(table)


def score_tests(res: CfaResult) -> ScoreTests:
    """Univariate score tests of each cross-group equality, as lavaan ``lavTestScore(univariate=TRUE)``.

    A constraint ties the parameter of group g (g ≥ 2) to the first group's copy. As lavaan
    does, the parameters are unreduced (one per group), R holds one row per equality, and the
    statistic of constraint r is N·s' J_r s with s = −g/2 the score at the constrained
    estimates and J_r the top-left block of the generalised inverse of
    [[I, R_(−r)'], [R_(−r), 0]] (all constraints but r imposed).
    """
    from scipy import stats

    mom = res.moments
    assert mom is not None
    first: dict[int, int] = {}
    params_u: list[Param] = []
    x_u: list[float] = []
    pairs: list[tuple[int, int, Param]] = []
    for q in res.params:
        if q.free < 0:
            params_u.append(q)
            continue
        k = len(x_u)
        x_u.append(float(res.x[q.free]))
        params_u.append(replace(q, free=k))
        if q.free in first:
            pairs.append((first[q.free], k, q))
        else:
            first[q.free] = k
    xu = np.asarray(x_u)
    grad, info = _grad_info(res.spec, params_u, xu, mom, res.meanstructure)
    score = -0.5 * grad
    n = mom.n.sum()
    full = np.zeros((len(pairs), xu.size))
    for i, (a, b, _) in enumerate(pairs):
        full[i, a], full[i, b] = -1.0, 1.0
    rows = []
    for i, (_, _, q) in enumerate(pairs):
        r = np.delete(full, i, axis=0)
        z = np.block([[info, r.T], [r, np.zeros((r.shape[0], r.shape[0]))]])
        j = np.linalg.pinv(z)[: xu.size, : xu.size]
        stat = float(n * score @ j @ score)
        rows.append((q.lhs, q.op, q.rhs, res.groups[q.group], stat, 1, float(stats.chi2.sf(stat, 1))))
    table = pd.DataFrame(rows, columns=["lhs", "op", "rhs", "group", "chisq", "df", "pvalue"])
    return ScoreTests(table)
