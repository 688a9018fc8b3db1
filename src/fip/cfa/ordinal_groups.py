"""Multi-group WLSMV for ordinal items, as lavaan ``cfa(..., ordered=TRUE, group=g, group.equal=...)``.

Delta parameterisation with a marker loading per factor. In group g the latent responses have
mean ``μ*_g = Λ_g α_g`` and covariance ``Σ*_g = Λ_g Ψ_g Λ_g' + Θ_g``; with scaling factors ``δ_g``
(lavaan's ``~*~``) the model's sample statistics are the standardised thresholds
``(τ_g − μ*_g) · δ_g`` and the correlations ``δ_i δ_j Σ*_ij``, and ``Θ_ii = 1/δ_i² − (ΛΨΛ')_ii``.
As lavaan does:

* ``configural``: everything per group, δ = 1 and α = 0 in every group;
* ``thresholds`` equal: δ and α are freed in groups 2.. (group 1 is the reference);
* ``loadings`` equal (with thresholds: lavaan's ``group.equal = c("thresholds", "loadings")``).

The fit is DWLS over the groups, ``Σ_g (N_g − 1) F_g`` with ``W_g = diag(Γ_g)⁻¹``; robust SEs
``E⁻¹ (Σ_g f_g Δ_g'W_gΓ_gW_gΔ_g) E⁻¹ / (N − G)`` with ``E = Σ_g f_g Δ_g'W_gΔ_g`` and ``f_g = N_g/N``;
the scaled-shifted χ² from ``U = V − VΔE⁻¹Δ'V`` with ``V = ⊕ f_g W_g`` and ``Γ = ⊕ Γ_g/f_g``.
Levels are compared by lavaan's ``lavTestLRT`` scaled-shifted difference (Satorra 2000,
:func:`wlsmv_difference_test`); :func:`ordinal_invariance` runs the sequence.

Example
-------
>>> # res = fit_wlsmv_groups(parse_model("F =~ a + b + c + d"), frame, group="gender",
>>> #                        group_equal=("thresholds", "loadings"))
>>> # wlsmv_group_fit_indices(res).cfi   # = fitMeasures(fit, "cfi.scaled")
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from fip.cfa.ordinal import ScaledShiftedTest, WlsmvFit, _cfi, _tli
from fip.cfa.fit import _ncp_bound
from fip.cfa.ordinal_moments import OrdinalMoments, ordinal_moments
from fip.cfa.spec import ModelSpec
from fip.errors import FipError

__all__ = ["ORDINAL_GROUP_EQUAL", "ORDINAL_LEVELS", "OrdinalInvarianceResult", "WlsmvDifference", "WlsmvGroupResult",
           "fit_wlsmv_groups", "ordinal_invariance", "wlsmv_difference_test", "wlsmv_group_fit_indices"]

ORDINAL_GROUP_EQUAL = ("thresholds", "loadings")


@dataclass(frozen=True)
class _GPar:
    kind: str  # lambda, psi, theta, tau, delta, alpha
    group: int
    row: int
    col: int
    free: int  # index into x, shared by equal parameters
    lhs: str
    op: str
    rhs: str


@dataclass(frozen=True)
class WlsmvGroupResult(ScaledShiftedTest):
    """A multi-group WLSMV CFA.

    Attributes
    ----------
    spec : ModelSpec
    groups : tuple of str, in order of first appearance (the first is the reference group)
    moments : tuple of OrdinalMoments, one per group
    x, vcov : free parameters and their robust covariance
    group_equal : tuple of str
    fmin_groups : tuple of float, F_g per group at the estimates
    trace_ug, trace_ug2 : float
    converged, iterations
    """

    spec: ModelSpec
    groups: tuple[str, ...]
    moments: tuple[OrdinalMoments, ...] = field(repr=False)
    x: np.ndarray
    vcov: np.ndarray
    group_equal: tuple[str, ...]
    fmin_groups: tuple[float, ...]
    trace_ug: float
    trace_ug2: float
    converged: bool
    iterations: int
    params: tuple[_GPar, ...] = field(repr=False, default=())

    @property
    def n_groups_n(self) -> tuple[int, ...]:
        """Persons per group (complete answers)."""
        return tuple(m.n for m in self.moments)

    @property
    def n(self) -> int:
        """Persons over all groups."""
        return int(sum(self.n_groups_n))

    @property
    def npar(self) -> int:
        """Free parameters (equal parameters counted once)."""
        return int(self.x.size)

    @property
    def df(self) -> int:
        """Statistics over the groups minus free parameters."""
        return int(sum(m.vector().size for m in self.moments) - self.npar)

    @property
    def chisq_naive(self) -> float:
        """Σ_g (N_g − 1) F_g (lavaan ``chisq``)."""
        return float(sum((m.n - 1) * f for m, f in zip(self.moments, self.fmin_groups)))

    def tidy(self) -> pd.DataFrame:
        """One row per free parameter and group: ``group, lhs, op, rhs, estimate, se`` (equal ones repeated)."""
        se = np.sqrt(np.clip(np.diag(self.vcov), 0, None))
        rows = [(self.groups[q.group], q.lhs, q.op, q.rhs, float(self.x[q.free]), float(se[q.free]))
                for q in self.params]
        return pd.DataFrame(rows, columns=["group", "lhs", "op", "rhs", "estimate", "se"])


def _build(spec: ModelSpec, moms: Sequence[OrdinalMoments], equal: Sequence[str]) -> list[_GPar]:
    items, factors = spec.items, spec.factor_names
    shared: dict[tuple, int] = {}
    count = [0]
    pars: list[_GPar] = []

    def new(key: tuple | None) -> int:
        if key is not None and key in shared:
            return shared[key]
        count[0] += 1
        if key is not None:
            shared[key] = count[0] - 1
        return count[0] - 1

    for g in range(len(moms)):
        for fi, (fname, fitems) in enumerate(spec.factors):
            for k, item in enumerate(fitems[1:], start=1):
                key = ("lambda", item, fi) if "loadings" in equal else None
                pars.append(_GPar("lambda", g, items.index(item), fi, new(key), fname, "=~", item))
        for r, (item, th) in enumerate(zip(moms[g].items, moms[g].thresholds)):
            for c in range(th.size):
                key = ("tau", r, c) if "thresholds" in equal else None
                pars.append(_GPar("tau", g, r, c, new(key), item, "|", f"t{c + 1}"))
        for a, b in spec.residual_covariances:
            ra, rb = items.index(a), items.index(b)
            pars.append(_GPar("theta", g, max(ra, rb), min(ra, rb), new(None), a, "~~", b))
        for fi, fname in enumerate(factors):
            pars.append(_GPar("psi", g, fi, fi, new(None), fname, "~~", fname))
        for fi in range(len(factors)):
            for fj in range(fi + 1, len(factors)):
                pars.append(_GPar("psi", g, fj, fi, new(None), factors[fi], "~~", factors[fj]))
        if g > 0 and "thresholds" in equal:
            for r, item in enumerate(items):
                pars.append(_GPar("delta", g, r, r, new(None), item, "~*~", item))
            for fi, fname in enumerate(factors):
                pars.append(_GPar("alpha", g, fi, 0, new(None), fname, "~1", ""))
    return pars


def _implied(spec: ModelSpec, pars, x: np.ndarray, g: int, mom: OrdinalMoments) -> np.ndarray:
    p, m = len(spec.items), len(spec.factors)
    lam, psi, theta = np.zeros((p, m)), np.zeros((m, m)), np.zeros((p, p))
    for fi, (_, fitems) in enumerate(spec.factors):
        lam[spec.items.index(fitems[0]), fi] = 1.0
    delta, alpha = np.ones(p), np.zeros(m)
    taus = [np.zeros(t.size) for t in mom.thresholds]
    for q in pars:
        if q.group != g:
            continue
        v = x[q.free]
        if q.kind == "lambda":
            lam[q.row, q.col] = v
        elif q.kind == "psi":
            psi[q.row, q.col] = psi[q.col, q.row] = v
        elif q.kind == "theta":
            theta[q.row, q.col] = theta[q.col, q.row] = v
        elif q.kind == "tau":
            taus[q.row][q.col] = v
        elif q.kind == "delta":
            delta[q.row] = v
        else:
            alpha[q.row] = v
    common = lam @ psi @ lam.T
    mu = lam @ alpha
    sigma = common + theta
    sigma[np.diag_indices(p)] = 1.0 / delta**2
    std_tau = np.concatenate([(t - mu[r]) * delta[r] for r, t in enumerate(taus)])
    rho = np.array([delta[i] * delta[j] * sigma[i, j] for i, j in mom.pairs])
    return np.concatenate([std_tau, rho])


def _group_start(spec: ModelSpec, pars, moms, npar: int) -> np.ndarray:
    """Starting values: each group's single-group start (eigenvectors of its polychorics, its thresholds),
    averaged over the groups for equal parameters; scaling factors 1, factor means 0."""
    from fip.cfa.ordinal import _parameters, _start

    sums, counts = np.zeros(npar), np.zeros(npar)
    for g, m in enumerate(moms):
        single = _parameters(spec, m, False)
        values = {(q.kind, q.row, q.col): v for q, v in zip(single, _start(spec, single, m))}
        for q in pars:
            if q.group == g and (q.kind, q.row, q.col) in values:
                sums[q.free] += values[(q.kind, q.row, q.col)]
                counts[q.free] += 1
    x = np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)
    for q in pars:
        if q.kind == "delta":
            x[q.free] = 1.0
    return x


def _jac(spec, pars, x, g, mom, h: float = 1e-6) -> np.ndarray:
    """∂σ_g/∂x' by central differences; a threshold moves only its own standardised threshold, by δ."""
    size = mom.n_thresholds + len(mom.pairs)
    start = np.cumsum([0] + [t.size for t in mom.thresholds])
    delta = np.ones(len(spec.items))
    for q in pars:
        if q.group == g and q.kind == "delta":
            delta[q.row] = x[q.free]
    tau_cols: dict[int, np.ndarray] = {}
    for q in pars:
        if q.kind == "tau" and q.group == g:
            col = tau_cols.setdefault(q.free, np.zeros(size))
            col[start[q.row] + q.col] = delta[q.row]
    tau_free = {q.free for q in pars if q.kind == "tau"}
    cols = []
    for j in range(x.size):
        if j in tau_free:
            cols.append(tau_cols.get(j, np.zeros(size)))
            continue
        if not any(q.free == j and q.group == g for q in pars):
            cols.append(np.zeros(size))  # a parameter of another group only
            continue
        xp, xm = x.copy(), x.copy()
        xp[j] += h
        xm[j] -= h
        cols.append((_implied(spec, pars, xp, g, mom) - _implied(spec, pars, xm, g, mom)) / (2 * h))
    return np.column_stack(cols)


def fit_wlsmv_groups(spec: ModelSpec, data: pd.DataFrame, *, group: str, group_equal: Sequence[str] = (),
                     tol: float = 1e-9, max_iter: int = 500) -> WlsmvGroupResult:
    """Fit a multi-group WLSMV CFA of ordinal items (marker identification, lavaan's conventions).

    Parameters
    ----------
    spec : ModelSpec
    data : DataFrame with the items and ``group``; rows with a missing item or group are dropped.
    group : column giving the groups, taken in order of first appearance (the first is the reference).
    group_equal : any of ``"thresholds"``, ``"loadings"`` (lavaan's ``group.equal``).

    Returns
    -------
    WlsmvGroupResult

    Notes
    -----
    Matches lavaan 0.6.14 (tests/test_cfa_wlsmv_groups.py); the Δχ² between two fits is
    :func:`wlsmv_difference_test`. Marker identification only (no std.lv), no residual-covariance
    equalities, no partial invariance.
    """
    bad = [e for e in group_equal if e not in ORDINAL_GROUP_EQUAL]
    if bad:
        raise ValueError(f"group_equal: allowed {ORDINAL_GROUP_EQUAL}, got {bad}")
    if group not in data.columns:
        raise FipError(f"no column {group!r} to group by")
    sub = data[list(spec.items) + [group]].dropna()
    labels = tuple(dict.fromkeys(sub[group].astype(str)))
    if len(labels) < 2:
        raise FipError(f"{group!r}: multi-group WLSMV needs at least two groups, found {len(labels)}")
    moms = tuple(ordinal_moments(sub[sub[group].astype(str) == lab], spec.items) for lab in labels)
    if "thresholds" in group_equal:
        for lab, m in zip(labels[1:], moms[1:]):
            for item, l0, lg in zip(spec.items, moms[0].levels, m.levels):
                if l0 != lg:
                    raise FipError(f"item {item!r}: answers {', '.join(f'{v:g}' for v in lg)} in group {lab!r} but "
                                   f"{', '.join(f'{v:g}' for v in l0)} in group {labels[0]!r}; equal thresholds "
                                   "need the same observed answers in every group")
    pars = _build(spec, moms, group_equal)
    npar = 1 + max(q.free for q in pars)
    ns = np.array([m.n for m in moms], dtype=float)
    fg = ns / ns.sum()
    s = [m.vector() for m in moms]
    w = [1.0 / np.diag(m.gamma) for m in moms]
    x = _group_start(spec, pars, moms, npar)
    def objective(v: np.ndarray) -> float:
        total = 0.0
        for g, m in enumerate(moms):
            e = s[g] - _implied(spec, pars, v, g, m)
            total += (m.n - 1) * float(e @ (w[g] * e))
        return total

    f = objective(x)
    converged = False
    it = 0
    for it in range(1, max_iter + 1):
        info = np.zeros((npar, npar))
        rhs = np.zeros(npar)
        for g, m in enumerate(moms):
            d = _jac(spec, pars, x, g, m)
            e = s[g] - _implied(spec, pars, x, g, m)
            info += (m.n - 1) * d.T @ (w[g][:, None] * d)
            rhs += (m.n - 1) * d.T @ (w[g] * e)
        if np.max(np.abs(rhs)) / ns.sum() < tol:
            converged = True
            break
        step = np.linalg.lstsq(info, rhs, rcond=None)[0]
        t = 1.0
        while t > 1e-10:
            xn = x + t * step
            fn = objective(xn)
            if np.isfinite(fn) and fn <= f + 1e-12:
                break
            t /= 2
        else:
            break
        stalled = f - fn <= 1e-13 * max(f, 1.0)
        x, f = xn, fn
        if stalled and np.max(np.abs(rhs)) / ns.sum() < 1e3 * tol:
            converged = True  # the objective no longer moves and the gradient is near zero
            break
    deltas = [_jac(spec, pars, x, g, m) for g, m in enumerate(moms)]
    e_mat = sum(fg[g] * d.T @ (w[g][:, None] * d) for g, d in enumerate(deltas))
    try:
        e_inv = np.linalg.inv(e_mat)
    except np.linalg.LinAlgError:
        raise FipError("the multi-group model is not identified: its information matrix is singular") from None
    meat = sum(fg[g] * (w[g][:, None] * d).T @ moms[g].gamma @ (w[g][:, None] * d) for g, d in enumerate(deltas))
    vcov = e_inv @ meat @ e_inv / (ns.sum() - len(moms))
    from scipy.linalg import block_diag

    v_all = block_diag(*[fg[g] * np.diag(w[g]) for g in range(len(moms))])
    g_all = block_diag(*[moms[g].gamma / fg[g] for g in range(len(moms))])
    d_all = np.vstack(deltas)
    u = v_all - v_all @ d_all @ e_inv @ d_all.T @ v_all
    ug = u @ g_all
    fmins = []
    for g, m in enumerate(moms):
        e = s[g] - _implied(spec, pars, x, g, m)
        fmins.append(float(e @ (w[g] * e)))
    return WlsmvGroupResult(spec=spec, groups=labels, moments=moms, x=x, vcov=(vcov + vcov.T) / 2,
                            group_equal=tuple(group_equal), fmin_groups=tuple(fmins),
                            trace_ug=float(np.trace(ug)), trace_ug2=float(np.sum(ug * ug.T)),
                            converged=converged, iterations=it, params=tuple(pars))


def wlsmv_group_fit_indices(res: WlsmvGroupResult) -> WlsmvFit:
    """Scaled and naive χ², CFI, TLI, RMSEA (90 % CI, p-close) and SRMR of a multi-group WLSMV fit (lavaan)."""
    moms = res.moments
    G = len(moms)
    n_eff = res.n - G  # lavaan's N outside ML
    base_naive, base_df, tr, tr2 = 0.0, 0, 0.0, 0.0
    for m in moms:
        t = m.n_thresholds
        wr = 1.0 / np.diag(m.gamma)[t:]
        r = m.vector()[t:]
        base_naive += (m.n - 1) * float(np.sum(wr * r * r))
        base_df += r.size
        ugb = wr[:, None] * m.gamma[t:, t:]
        tr += float(np.trace(ugb))
        tr2 += float(np.sum(ugb * ugb.T))
    a_b = np.sqrt(base_df / tr2)
    base_scaled = float(a_b * base_naive + base_df - a_b * tr)
    df = res.df
    x2, x2n = res.chisq, res.chisq_naive

    def rmsea(x2_: float) -> tuple[float, float, float, float]:
        if df <= 0:
            return 0.0, 0.0, 0.0, np.nan
        val = float(np.sqrt(max(x2_ / n_eff / df - 1.0 / n_eff, 0.0)) * np.sqrt(G))
        lo = float(np.sqrt(_ncp_bound(x2_, df, 0.95) / (n_eff * df)) * np.sqrt(G))
        hi = float(np.sqrt(_ncp_bound(x2_, df, 0.05) / (n_eff * df)) * np.sqrt(G))
        pc = float(stats.ncx2.sf(x2_, df, 0.05**2 * n_eff * df / G))
        return val, lo, hi, pc

    rm, rmn = rmsea(x2), rmsea(x2n)
    srmr = 0.0
    for g, m in enumerate(moms):
        implied = _implied(res.spec, res.params, res.x, g, m)[m.n_thresholds:]
        resid = m.vector()[m.n_thresholds:] - implied
        p = len(m.items)
        srmr += m.n / res.n * float(np.sqrt(np.sum(resid**2) / (p * (p + 1) / 2)))
    p_s = float(stats.chi2.sf(x2, df)) if df > 0 else np.nan
    p_n = float(stats.chi2.sf(x2n, df)) if df > 0 else np.nan
    return WlsmvFit(
        chisq=x2, df=df, pvalue=p_s, cfi=_cfi(x2, df, base_scaled, base_df), tli=_tli(x2, df, base_scaled, base_df),
        rmsea=rm[0], rmsea_ci_low=rm[1], rmsea_ci_high=rm[2], rmsea_pvalue=rm[3], srmr=srmr,
        chisq_naive=x2n, pvalue_naive=p_n, cfi_naive=_cfi(x2n, df, base_naive, base_df),
        tli_naive=_tli(x2n, df, base_naive, base_df), rmsea_naive=rmn[0], rmsea_ci_low_naive=rmn[1],
        rmsea_ci_high_naive=rmn[2], rmsea_pvalue_naive=rmn[3], scaling_factor=res.scaling_factor,
        shift=res.shift, baseline_chisq=base_scaled, baseline_df=base_df, baseline_chisq_naive=base_naive,
        npar=res.npar, n=res.n,
    )


def _stacked_delta(res: WlsmvGroupResult) -> list[np.ndarray]:
    return [_jac(res.spec, res.params, res.x, g, m) for g, m in enumerate(res.moments)]


@dataclass(frozen=True)
class WlsmvDifference:
    """A scaled-shifted χ² difference test of two nested WLSMV models (lavaan ``lavTestLRT``, Satorra 2000)."""

    delta_chisq: float
    delta_df: int
    p_delta: float
    delta_chisq_naive: float

    def tidy(self) -> pd.DataFrame:
        """One row: ``delta_chisq, delta_df, p_delta, delta_chisq_naive``."""
        return pd.DataFrame([self.__dict__])


def wlsmv_difference_test(less: WlsmvGroupResult, more: WlsmvGroupResult) -> WlsmvDifference:
    """Δχ² of the more restricted model ``more`` against ``less`` as lavaan's ``lavTestLRT`` for WLSMV.

    lavaan's ``method = "satorra.2000"`` with ``A.method = "delta"`` and the scaled-shifted correction:
    H = Δ₁⁺Δ₀, A the orthogonal complement of H's columns, P = Σ f_g Δ₁'WΔ₁,
    M = P⁻¹A'(AP⁻¹A')⁺AP⁻¹; tr(UΓ) = Σ f_g tr(W_gΓ_gW_g Δ₁g M Δ₁g'), tr((UΓ)²) from
    U = VΔ₁MΔ₁'V with V = ⊕W_g and Γ = ⊕ f_gΓ_g; Δχ² = (T₀ − T₁)·a + b with a = √(m/tr((UΓ)²)),
    b = m − a·tr(UΓ), m the difference in df, T the naive statistics.
    """
    from scipy.linalg import block_diag

    m = more.df - less.df
    t_naive = more.chisq_naive - less.chisq_naive
    if m <= 0:
        raise FipError("the models are not nested with more degrees of freedom in the restricted one")
    d1 = _stacked_delta(less)
    d0 = _stacked_delta(more)
    D1, D0 = np.vstack(d1), np.vstack(d0)
    H = np.linalg.pinv(D1) @ D0
    u_h, sv, _ = np.linalg.svd(H, full_matrices=True)
    rank = int(np.sum(sv > sv.max() * max(H.shape) * np.finfo(float).eps))
    A = u_h[:, rank:].T
    ns = np.array(less.n_groups_n, dtype=float)
    fg = ns / ns.sum()
    w = [1.0 / np.diag(mm.gamma) for mm in less.moments]
    P = sum(fg[g] * d.T @ (w[g][:, None] * d) for g, d in enumerate(d1))
    p_inv = np.linalg.inv(P)
    M = p_inv @ A.T @ np.linalg.pinv(A @ p_inv @ A.T) @ A @ p_inv
    tr = sum(fg[g] * float(np.trace((w[g][:, None] * less.moments[g].gamma * w[g][None, :]) @ d @ M @ d.T))
             for g, d in enumerate(d1))
    V = block_diag(*[np.diag(wg) for wg in w])
    G = block_diag(*[fg[g] * mm.gamma for g, mm in enumerate(less.moments)])
    U = V @ D1 @ M @ D1.T @ V
    UG = U @ G
    tr2 = float(np.sum(UG * UG.T))
    a = np.sqrt(m / tr2)
    b = m - a * tr
    t = t_naive * a + b
    return WlsmvDifference(delta_chisq=float(t), delta_df=int(m), p_delta=float(stats.chi2.sf(t, m)),
                           delta_chisq_naive=float(t_naive))


#: The ordinal invariance levels and the lavaan ``group.equal`` each adds (lavaan's own parameterisation:
#: equal thresholds free the scaling factors and factor means of groups 2..).
ORDINAL_LEVELS: dict[str, tuple[str, ...]] = {
    "configural": (),
    "thresholds": ("thresholds",),
    "loadings": ("thresholds", "loadings"),
}


@dataclass(frozen=True)
class OrdinalInvarianceResult:
    """The ordinal invariance sequence configural → thresholds → thresholds and loadings.

    Attributes
    ----------
    levels : tuple of (level, WlsmvGroupResult, WlsmvFit)
    differences : tuple of WlsmvDifference, each level against the previous one
    excluded : tuple of (group, reason)
    rule : decision rule (see :mod:`fip.cfa.invariance`)
    group_column : str
    """

    levels: tuple[tuple[str, WlsmvGroupResult, WlsmvFit], ...]
    differences: tuple[WlsmvDifference, ...]
    excluded: tuple[tuple[str, str], ...]
    rule: str
    group_column: str

    def tidy(self) -> pd.DataFrame:
        """One row per level: ``level, chisq, df, pvalue, cfi, tli, rmsea, srmr, delta_chisq, delta_df, p_delta,
        delta_cfi, delta_rmsea, holds, freed`` (scaled statistics; Δχ² is lavaan's scaled-shifted difference)."""
        from fip.cfa.invariance import _holds

        rows = []
        prev = None
        for k, (name, _, fi) in enumerate(self.levels):
            row = {"level": name, **{c: getattr(fi, c) for c in ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr")}}
            if prev is None:
                row.update(delta_chisq=np.nan, delta_df=np.nan, p_delta=np.nan, delta_cfi=np.nan, delta_rmsea=np.nan,
                           holds=True)
            else:
                d = self.differences[k - 1]
                row.update(delta_chisq=d.delta_chisq, delta_df=d.delta_df, p_delta=d.p_delta,
                           delta_cfi=fi.cfi - prev.cfi, delta_rmsea=fi.rmsea - prev.rmsea)
                row["holds"] = _holds(self.rule, row)
            row["freed"] = ""
            rows.append(row)
            prev = fi
        return pd.DataFrame(rows)

    @property
    def groups(self) -> tuple[str, ...]:
        """The groups analysed."""
        return self.levels[0][1].groups

    @property
    def n_groups_n(self) -> tuple[int, ...]:
        """Persons per group analysed."""
        return self.levels[0][1].n_groups_n


def ordinal_invariance(spec: ModelSpec, data: pd.DataFrame, *, group: str, rule: str = "cheung_rensvold",
                       min_group_n: int | None = None) -> OrdinalInvarianceResult:
    """Ordinal measurement invariance by WLSMV: configural → equal thresholds → equal thresholds and loadings.

    Each level is lavaan ``cfa(..., ordered = TRUE, group = group, group.equal = ...)``; Δχ² between levels
    as ``lavTestLRT`` (scaled-shifted Satorra 2000), ΔCFI and ΔRMSEA from the scaled indices; ``rule`` as
    :func:`fip.cfa.invariance.measurement_invariance`. Groups below ``min_group_n`` (at least items + 1)
    are left out and named.

    Example
    -------
    >>> # ordinal_invariance(spec, frame, group="gender").tidy()
    """
    from fip.cfa.invariance import RULES

    if rule not in RULES:
        raise ValueError(f"rule: allowed {RULES}, got {rule!r}")
    if group not in data.columns:
        raise FipError(f"no column {group!r} to group by")
    need = max(len(spec.items) + 1, min_group_n or 0)
    complete = data.dropna(subset=list(spec.items) + [group])
    labels = complete[group].astype(str)
    counts = labels.value_counts()
    order = list(dict.fromkeys(labels))
    excluded = tuple((g, f"fewer than {need} persons with complete answers; a group needs more persons than items"
                      + (", and at least the disclosure threshold" if min_group_n else ""))
                     for g in order if counts[g] < need)
    keep = [g for g in order if counts[g] >= need]
    if len(keep) < 2:
        raise FipError(f"grouping by {group!r}: fewer than two groups with at least {need} persons with complete "
                       "answers; invariance needs two or more")
    sub = complete[labels.isin(keep)].copy()
    sub[group] = sub[group].astype(str)
    fitted = []
    for name, eq in ORDINAL_LEVELS.items():
        res = fit_wlsmv_groups(spec, sub, group=group, group_equal=eq)
        fitted.append((name, res, wlsmv_group_fit_indices(res)))
    diffs = tuple(wlsmv_difference_test(fitted[k][1], fitted[k + 1][1]) for k in range(len(fitted) - 1))
    return OrdinalInvarianceResult(tuple(fitted), diffs, excluded, rule, group)
