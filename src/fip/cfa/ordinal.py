"""CFA of ordinal items by WLSMV as lavaan ``cfa(model, data, ordered=TRUE, estimator="WLSMV")``.

One group, listwise, delta parameterisation. The sample statistics ``s`` are the thresholds and
polychoric correlations of :func:`fip.cfa.ordinal_moments.ordinal_moments`, with Γ their asymptotic
covariance (lavaan's ``NACOV``). The model for the latent responses y* is Σ* = Λ Ψ Λ' + Θ with unit
diagonal (``Θ_ii = 1 − (ΛΨΛ')_ii``, not free), free thresholds and free residual covariances;
``σ(θ)`` stacks the model thresholds and the off-diagonal of Σ*.

* **DWLS** estimates: minimise ``F = (s − σ(θ))' W (s − σ(θ))`` with ``W = diag(Γ)⁻¹`` (Gauss–Newton
  with step halving); the naive χ² is ``T = (N − 1) · F`` (lavaan's factor for the WLS family),
  df = K − q (K statistics, q free parameters).
* **Robust SEs** (``se="robust.sem"``): ``V = (Δ'WΔ)⁻¹ Δ'W Γ W Δ (Δ'WΔ)⁻¹ / (N − 1)``, Δ = ∂σ/∂θ'
  (lavaan divides by N − G for every estimator but ML).
* **Mean-and-variance adjusted χ²** (``test="scaled.shifted"``): with ``U = W − WΔ(Δ'WΔ)⁻¹Δ'W``,
  ``a = √(df / tr((UΓ)²))``, ``b = df − a · tr(UΓ)``: ``T_ss = a T + b`` on df degrees of freedom;
  lavaan's ``chisq.scaling.factor`` is 1/a.
* **Baseline** (independence: thresholds free, correlations 0) scaled the same way; CFI, TLI,
  RMSEA (90 % CI, p-close; with N − 1 in place of N, as lavaan outside ML) from the scaled statistics
  as lavaan's ``fitMeasures(...)[*.scaled]`` (the naive ones from T); SRMR as lavaan for categorical data: the root mean square of the
  residual correlations over the lower triangle, diagonal included (where the residual is 0).

Example
-------
>>> import numpy as np, pandas as pd
>>> from fip.cfa.spec import parse_model
>>> rng = np.random.default_rng(3)
>>> z = rng.normal(size=(400, 1)) @ [[.8, .7, .6, .7]] + rng.normal(size=(400, 4)) * .6
>>> items = pd.DataFrame(np.digitize(z, [-.8, 0, .8]) + 1, columns=list("abcd"))
>>> res = fit_wlsmv(parse_model("F =~ a + b + c + d"), items)
>>> res.n, res.df, res.npar   # 12 thresholds + 6 correlations − (3 loadings + 1 variance + 12 thresholds)
(400, 2, 16)
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd
from scipy import stats

from fip.cfa.fit import _ncp_bound
from fip.cfa.ordinal_moments import OrdinalMoments, ordinal_moments
from fip.cfa.spec import ModelSpec
from fip.errors import FipError

__all__ = ["WlsmvFit", "WlsmvResult", "fit_wlsmv", "wlsmv_fit_indices"]


@dataclass(frozen=True)
class _Par:
    kind: str  # lambda, psi, theta (residual covariance), tau
    row: int
    col: int
    lhs: str
    op: str
    rhs: str


class ScaledShiftedTest:
    """lavaan's mean-and-variance adjusted (scaled-shifted) test, shared by the one- and multi-group
    WLSMV results; they give ``df``, ``chisq_naive`` and the traces ``trace_ug`` = tr(UΓ) and
    ``trace_ug2`` = tr((UΓ)²)."""

    @property
    def scaling_factor(self) -> float:
        """lavaan's ``chisq.scaling.factor`` of the scaled-shifted test, √(tr((UΓ)²)/df)."""
        return float(np.sqrt(self.trace_ug2 / self.df)) if self.df > 0 else np.nan

    @property
    def shift(self) -> float:
        """The shift parameter b = df − tr(UΓ)/c of the scaled-shifted test."""
        return float(self.df - self.trace_ug / self.scaling_factor) if self.df > 0 else np.nan

    @property
    def chisq(self) -> float:
        """The mean-and-variance adjusted (scaled-shifted) χ² (lavaan ``chisq.scaled``)."""
        if self.df <= 0:
            return self.chisq_naive
        return float(self.chisq_naive / self.scaling_factor + self.shift)


@dataclass(frozen=True)
class WlsmvResult(ScaledShiftedTest):
    """A CFA of ordinal items fitted by WLSMV (lavaan's defaults for ordered data).

    Attributes
    ----------
    spec : ModelSpec
    moments : OrdinalMoments, the thresholds, polychorics and Γ the fit rests on
    x : ndarray, free structural parameters (loadings, factor (co)variances, residual covariances)
        followed by the thresholds
    vcov : ndarray, their robust (sandwich) covariance
    fmin : float, minimum of F (lavaan's ``fmin`` is F/2)
    std_lv : bool
    converged : bool
    iterations : int
    trace_ug, trace_ug2 : float, tr(UΓ) and tr((UΓ)²) of the scaled-shifted test
    """

    spec: ModelSpec
    moments: OrdinalMoments = field(repr=False)
    x: np.ndarray
    vcov: np.ndarray
    fmin: float
    std_lv: bool
    converged: bool
    iterations: int
    trace_ug: float
    trace_ug2: float
    _params: tuple[_Par, ...] = field(repr=False, default=())

    @property
    def n(self) -> int:
        """Persons used (complete on every item of the model)."""
        return self.moments.n

    @property
    def n_dropped(self) -> int:
        """Rows left out for a missing answer."""
        return self.moments.n_dropped

    @property
    def npar(self) -> int:
        """Free parameters, thresholds included (lavaan's ``npar``)."""
        return int(self.x.size)

    @property
    def df(self) -> int:
        """Statistics (thresholds and correlations) minus free parameters."""
        return int(self.moments.vector().size - self.npar)

    @property
    def chisq_naive(self) -> float:
        """The unadjusted DWLS test statistic (N − 1)·F (lavaan ``chisq``; lavaan's WLS family uses N − 1)."""
        return float((self.n - 1) * self.fmin)

    def matrices(self) -> dict[str, np.ndarray]:
        """Λ, Ψ, Θ (with the delta-parameterisation diagonal), Σ* and the model thresholds."""
        return _matrices(self.spec, self._params, self.x)

    def thresholds(self) -> pd.DataFrame:
        """The model's thresholds per item with the answers they cut between (see :meth:`OrdinalMoments.tidy`)."""
        t = self.moments.tidy()
        se = np.sqrt(np.clip(np.diag(self.vcov), 0, None))
        k = [i for i, q in enumerate(self._params) if q.kind == "tau"]
        t["value"] = self.x[k]
        t["se"] = se[k]
        return t

    def tidy(self) -> pd.DataFrame:
        """One row per parameter: ``lhs, op, rhs, free, estimate, se, z, pvalue, std_all, std_se``.

        Loadings (``=~``), thresholds (``|``, rhs ``t1``, ``t2``, ...), residual variances (fixed by the
        delta parameterisation, as lavaan reports them), residual covariances and factor
        (co)variances (``~~``); ``std_all`` is lavaan's completely standardised solution,
        ``std_se`` its delta-method SE from the robust covariance.
        """
        se = np.sqrt(np.clip(np.diag(self.vcov), 0, None))
        std, std_se = _standardized(self)
        rows = []
        for k, q in enumerate(self._params):
            est, s = float(self.x[k]), float(se[k])
            z = est / s if s > 0 else np.nan
            pv = float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else np.nan
            rows.append((q.lhs, q.op, q.rhs, True, est, s, z, pv, std[k], std_se[k]))
        mm = self.matrices()
        p_items = self.spec.items
        fixed = []
        for fname, fitems in self.spec.factors:
            if not self.std_lv:
                fixed.append((fname, "=~", fitems[0], 1.0, ("lambda", p_items.index(fitems[0]), self.spec.factor_names.index(fname))))
        for r, item in enumerate(p_items):
            fixed.append((item, "~~", item, float(mm["theta"][r, r]), ("theta", r)))
        if self.std_lv:
            for fi, fname in enumerate(self.spec.factor_names):
                fixed.append((fname, "~~", fname, 1.0, ("psi", fi)))
        keys = [key for *_, key in fixed]
        fval, fse = _std_fixed_with_se(self, keys)
        for (lhs, op, rhs, val, _), v, e in zip(fixed, fval, fse):
            rows.append((lhs, op, rhs, False, val, np.nan, np.nan, np.nan, v, e))
        items, factors = list(p_items), list(self.spec.factor_names)
        out = pd.DataFrame(rows, columns=["lhs", "op", "rhs", "free", "estimate", "se", "z", "pvalue", "std_all",
                                          "std_se"])

        def key(lhs: str, op: str, rhs: str) -> tuple:  # lavaan's parameterEstimates order
            if op == "=~":
                return (0, factors.index(lhs), dict(self.spec.factors)[lhs].index(rhs))
            if op == "|":
                return (1, items.index(lhs), int(rhs[1:]))
            if lhs in items:
                return (2, 0 if lhs == rhs else 1, items.index(lhs), items.index(rhs))
            return (3, factors.index(lhs), factors.index(rhs))

        order = sorted(range(len(out)), key=lambda k: key(out.at[k, "lhs"], out.at[k, "op"], out.at[k, "rhs"]))
        return out.iloc[order].reset_index(drop=True)


def _parameters(spec: ModelSpec, mom: OrdinalMoments, std_lv: bool) -> list[_Par]:
    items, factors = spec.items, spec.factor_names
    pars: list[_Par] = []
    for fi, (fname, fitems) in enumerate(spec.factors):
        for k, item in enumerate(fitems):
            if k == 0 and not std_lv:
                continue
            pars.append(_Par("lambda", items.index(item), fi, fname, "=~", item))
    for a, b in spec.residual_covariances:
        ra, rb = items.index(a), items.index(b)
        pars.append(_Par("theta", max(ra, rb), min(ra, rb), a, "~~", b))
    for fi, fname in enumerate(factors):
        if not std_lv:
            pars.append(_Par("psi", fi, fi, fname, "~~", fname))
    for fi in range(len(factors)):
        for fj in range(fi + 1, len(factors)):
            pars.append(_Par("psi", fj, fi, factors[fi], "~~", factors[fj]))
    for r, (item, th) in enumerate(zip(mom.items, mom.thresholds)):
        for k in range(th.size):
            pars.append(_Par("tau", r, k, item, "|", f"t{k + 1}"))
    return pars


def _matrices(spec: ModelSpec, params, x: np.ndarray) -> dict[str, np.ndarray]:
    p, m = len(spec.items), len(spec.factors)
    lam, psi, theta = np.zeros((p, m)), np.zeros((m, m)), np.zeros((p, p))
    for fi, (fname, fitems) in enumerate(spec.factors):
        lam[spec.items.index(fitems[0]), fi] = 1.0  # marker (overwritten when std.lv frees it)
    if not any(q.kind == "psi" and q.row == q.col for q in params):
        psi[np.diag_indices(m)] = 1.0  # std.lv
    taus: list[float] = []
    for k, q in enumerate(params):
        v = x[k]
        if q.kind == "lambda":
            lam[q.row, q.col] = v
        elif q.kind == "psi":
            psi[q.row, q.col] = psi[q.col, q.row] = v
        elif q.kind == "theta":
            theta[q.row, q.col] = theta[q.col, q.row] = v
        else:
            taus.append(v)
    common = lam @ psi @ lam.T
    theta[np.diag_indices(p)] = 1.0 - np.diag(common)
    return {"lambda": lam, "psi": psi, "theta": theta, "sigma": common + theta, "tau": np.asarray(taus)}


def _implied(spec, params, x, pairs) -> np.ndarray:
    mm = _matrices(spec, params, x)
    s = mm["sigma"]
    return np.concatenate([mm["tau"], [s[i, j] for i, j in pairs]])


def _jacobian(spec, params, x, pairs, h: float = 1e-5) -> np.ndarray:
    """∂σ/∂θ' by central differences, exact up to rounding: σ is at most quadratic in one parameter.
    A threshold parameter moves its own statistic only (a unit column)."""
    cols = []
    n_tau = sum(q.kind == "tau" for q in params)
    size = n_tau + len(pairs)
    t = 0
    for j in range(x.size):
        if params[j].kind == "tau":
            unit = np.zeros(size)
            unit[t] = 1.0
            t += 1
            cols.append(unit)
            continue
        xp, xm = x.copy(), x.copy()
        xp[j] += h
        xm[j] -= h
        cols.append((_implied(spec, params, xp, pairs) - _implied(spec, params, xm, pairs)) / (2 * h))
    return np.column_stack(cols)


def _start(spec: ModelSpec, params, mom: OrdinalMoments) -> np.ndarray:
    items = spec.items
    r = mom.correlation
    x = np.zeros(len(params))
    load: dict[str, np.ndarray] = {}
    for fname, fitems in spec.factors:
        idx = [items.index(i) for i in fitems]
        vals, vecs = np.linalg.eigh(r[np.ix_(idx, idx)])
        v = vecs[:, -1] * np.sqrt(max(vals[-1] - 1 + 1e-3, 0.25) if len(idx) > 2 else max(vals[-1] - 1, 0.25))
        v = np.clip(v if v.sum() >= 0 else -v, -0.95, 0.95)
        load[fname] = v
    std_lv = not any(q.kind == "psi" and q.row == q.col for q in params)
    taus = np.concatenate(mom.thresholds)
    t = 0
    for k, q in enumerate(params):
        if q.kind == "lambda":
            fitems = dict(spec.factors)[q.lhs]
            v = load[q.lhs]
            pos = fitems.index(q.rhs)
            x[k] = v[pos] if std_lv else (v[pos] / v[0] if abs(v[0]) > 1e-3 else 1.0)
        elif q.kind == "psi" and q.row == q.col:
            x[k] = load[q.lhs][0] ** 2
        elif q.kind == "tau":
            x[k] = taus[t]
            t += 1
    return x


def fit_wlsmv(spec: ModelSpec, data: pd.DataFrame, *, std_lv: bool = False, tol: float = 1e-10,
              max_iter: int = 500) -> WlsmvResult:
    """Fit a CFA of ordinal items by WLSMV as lavaan ``cfa(model, data, ordered=TRUE, estimator="WLSMV")``.

    Parameters
    ----------
    spec : ModelSpec (factors, their items, residual covariances)
    data : DataFrame with the items (whole-number answers); rows with a missing item are dropped.
    std_lv : fix factor variances at 1 and free all loadings (lavaan ``std.lv=TRUE``).
    tol : convergence when the largest absolute gradient of F is below ``tol``.

    Returns
    -------
    WlsmvResult

    Notes
    -----
    Matches lavaan 0.6.14 within 1e-6 (thresholds, polychorics, Γ, estimates) and 1e-5 (robust
    SEs, scaled χ² and the fit indices); see tests/test_cfa_wlsmv.py. One group only.
    """
    mom = ordinal_moments(data, spec.items)
    params = _parameters(spec, mom, std_lv)
    pairs = mom.pairs
    s = mom.vector()
    gamma = mom.gamma
    w = 1.0 / np.diag(gamma)
    if s.size - len(params) < 0:
        raise FipError(f"the model has {len(params)} free parameters but the items give only {s.size} "
                       "thresholds and correlations: it is not identified")
    x = _start(spec, params, mom)

    def objective(v: np.ndarray) -> float:
        e = s - _implied(spec, params, v, pairs)
        return float(e @ (w * e))

    f = objective(x)
    converged = False
    it = 0
    for it in range(1, max_iter + 1):
        d = _jacobian(spec, params, x, pairs)
        e = s - _implied(spec, params, x, pairs)
        grad = -2.0 * d.T @ (w * e)
        if np.max(np.abs(grad)) < tol:
            converged = True
            break
        info = d.T @ (w[:, None] * d)
        try:
            step = np.linalg.solve(info, d.T @ (w * e))
        except np.linalg.LinAlgError:
            step = np.linalg.pinv(info) @ (d.T @ (w * e))
        t = 1.0
        while t > 1e-10:
            xn = x + t * step
            fn = objective(xn)
            if np.isfinite(fn) and fn <= f + 1e-15:
                break
            t /= 2
        else:
            break
        x, f = xn, fn
    if std_lv:
        x = _first_loading_positive(spec, params, x)
    d = _jacobian(spec, params, x, pairs)
    wd = w[:, None] * d
    e_mat = d.T @ wd
    try:
        e_inv = np.linalg.inv(e_mat)
    except np.linalg.LinAlgError:
        raise FipError("the model is not identified: its information matrix is singular") from None
    n = mom.n
    vcov = e_inv @ (wd.T @ gamma @ wd) @ e_inv / (n - 1)  # lavaan: 1/(N − G) outside ML
    u = np.diag(w) - wd @ e_inv @ wd.T
    ug = u @ gamma
    return WlsmvResult(spec=spec, moments=mom, x=x, vcov=(vcov + vcov.T) / 2, fmin=f, std_lv=std_lv,
                       converged=converged, iterations=it, trace_ug=float(np.trace(ug)),
                       trace_ug2=float(np.sum(ug * ug.T)), _params=tuple(params))


def _first_loading_positive(spec: ModelSpec, params, x: np.ndarray) -> np.ndarray:
    """With std.lv a factor's sign is arbitrary; as lavaan, keep each factor's first loading positive."""
    x = x.copy()
    for fi, (fname, fitems) in enumerate(spec.factors):
        first = next(k for k, q in enumerate(params) if q.kind == "lambda" and q.col == fi)
        if x[first] >= 0:
            continue
        for k, q in enumerate(params):
            if (q.kind == "lambda" and q.col == fi) or (q.kind == "psi" and q.row != q.col and fi in (q.row, q.col)):
                x[k] = -x[k]
    return x


def _std_all(res: WlsmvResult, x: np.ndarray) -> np.ndarray:
    mm = _matrices(res.spec, res._params, x)
    sd_y = np.sqrt(np.diag(mm["sigma"]))
    sd_f = np.sqrt(np.diag(mm["psi"]))
    th = np.diag(mm["theta"])
    out = np.empty(len(res._params))
    t = 0
    for k, q in enumerate(res._params):
        if q.kind == "lambda":
            out[k] = mm["lambda"][q.row, q.col] * sd_f[q.col] / sd_y[q.row]
        elif q.kind == "psi":
            out[k] = mm["psi"][q.row, q.col] / (sd_f[q.row] * sd_f[q.col])
        elif q.kind == "theta":
            out[k] = mm["theta"][q.row, q.col] / np.sqrt(th[q.row] * th[q.col])
        else:
            out[k] = mm["tau"][t] / sd_y[q.row]
            t += 1
    return out


def _std_fixed_values(res: WlsmvResult, x: np.ndarray, keys) -> np.ndarray:
    mm = _matrices(res.spec, res._params, x)
    sd_y = np.sqrt(np.diag(mm["sigma"]))
    sd_f = np.sqrt(np.diag(mm["psi"]))
    out = np.empty(len(keys))
    for k, key in enumerate(keys):
        if key[0] == "theta":
            out[k] = mm["theta"][key[1], key[1]] / sd_y[key[1]] ** 2
        elif key[0] == "lambda":
            out[k] = mm["lambda"][key[1], key[2]] * sd_f[key[2]] / sd_y[key[1]]
        else:
            out[k] = 1.0
    return out


def _std_fixed_with_se(res: WlsmvResult, keys, h: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    """std.all of the fixed parameters (marker loading, residual variances) and their delta-method SEs:
    fixed in the raw solution, they still move with the free parameters once standardised (as lavaan)."""
    from fip.cfa._numdiff import central_jacobian, delta_method_se

    jac = central_jacobian(lambda v: _std_fixed_values(res, v, keys), res.x, h)
    # NaN where constant (a variance fixed at 1 with std.lv)
    return _std_fixed_values(res, res.x, keys), delta_method_se(jac, res.vcov, constant_below=1e-9)


def _standardized(res: WlsmvResult, h: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    from fip.cfa._numdiff import central_jacobian, delta_method_se

    return _std_all(res, res.x), delta_method_se(central_jacobian(lambda v: _std_all(res, v), res.x, h), res.vcov)


@dataclass(frozen=True)
class WlsmvFit:
    """Fit statistics of a WLSMV CFA. Without suffix the scaled-shifted ones (lavaan's ``*.scaled``),
    with ``_naive`` those of the unadjusted DWLS statistic."""

    chisq: float
    df: int
    pvalue: float
    cfi: float
    tli: float
    rmsea: float
    rmsea_ci_low: float
    rmsea_ci_high: float
    rmsea_pvalue: float
    srmr: float
    chisq_naive: float
    pvalue_naive: float
    cfi_naive: float
    tli_naive: float
    rmsea_naive: float
    rmsea_ci_low_naive: float
    rmsea_ci_high_naive: float
    rmsea_pvalue_naive: float
    scaling_factor: float
    shift: float
    baseline_chisq: float
    baseline_df: int
    baseline_chisq_naive: float
    npar: int
    n: int

    def as_dict(self) -> dict[str, float]:
        """The statistics as a plain dict (JSON-ready)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def tidy(self) -> pd.DataFrame:
        """One row per statistic: ``measure``, ``value``."""
        d = self.as_dict()
        return pd.DataFrame({"measure": list(d), "value": list(d.values())})


def _cfi(x2: float, df: float, x2b: float, dfb: float) -> float:
    t1 = max(x2 - df, 0.0)
    t2 = max(x2 - df, x2b - dfb, 0.0)
    return 1.0 if np.isclose(t1, 0.0, rtol=0, atol=1.5e-8) and np.isclose(t2, 0.0, rtol=0, atol=1.5e-8) else 1 - t1 / t2


def _tli(x2: float, df: float, x2b: float, dfb: float) -> float:
    t1, t2 = (x2 - df) * dfb, (x2b - dfb) * df
    return 1 - t1 / t2 if df > 0 and abs(t2) > 0 else 1.0


def _rmsea(x2: float, df: int, n: int) -> tuple[float, float, float, float]:
    if df <= 0:
        return 0.0, 0.0, 0.0, np.nan
    value = float(np.sqrt(max(x2 / n / df - 1.0 / n, 0.0)))
    lo = np.sqrt(_ncp_bound(x2, df, 0.95) / (n * df))
    hi = np.sqrt(_ncp_bound(x2, df, 0.05) / (n * df))
    p_close = float(stats.ncx2.sf(x2, df, 0.05**2 * n * df))
    return value, float(lo), float(hi), p_close


def wlsmv_fit_indices(res: WlsmvResult) -> WlsmvFit:
    """χ² (scaled-shifted and naive), CFI, TLI, RMSEA with 90 % CI and p-close, SRMR (lavaan's definitions).

    Example
    -------
    >>> # wlsmv_fit_indices(fit_wlsmv(spec, data)).cfi   # = fitMeasures(fit, "cfi.scaled")
    """
    mom = res.moments
    n, df = res.n, res.df
    t_thr = mom.n_thresholds
    w = 1.0 / np.diag(mom.gamma)
    r = mom.vector()[t_thr:]
    wr, g_rr = w[t_thr:], mom.gamma[t_thr:, t_thr:]
    base_naive = float((n - 1) * np.sum(wr * r * r))
    base_df = r.size
    ug_b = wr[:, None] * g_rr
    a_b = np.sqrt(base_df / np.sum(ug_b * ug_b.T))
    base_scaled = float(a_b * base_naive + base_df - a_b * np.trace(ug_b))
    x2, x2n = res.chisq, res.chisq_naive
    p = float(stats.chi2.sf(x2, df)) if df > 0 else np.nan
    pn = float(stats.chi2.sf(x2n, df)) if df > 0 else np.nan
    rm = _rmsea(x2, df, n - 1)  # lavaan's N for RMSEA is N − G outside ML (lav_utils_get_ntotal)
    rmn = _rmsea(x2n, df, n - 1)
    sig = res.matrices()["sigma"]
    resid = (mom.correlation - sig)[np.tril_indices(len(mom.items))]
    srmr = float(np.sqrt(np.mean(resid**2)))
    return WlsmvFit(
        chisq=x2, df=df, pvalue=p, cfi=_cfi(x2, df, base_scaled, base_df), tli=_tli(x2, df, base_scaled, base_df),
        rmsea=rm[0], rmsea_ci_low=rm[1], rmsea_ci_high=rm[2], rmsea_pvalue=rm[3], srmr=srmr,
        chisq_naive=x2n, pvalue_naive=pn, cfi_naive=_cfi(x2n, df, base_naive, base_df),
        tli_naive=_tli(x2n, df, base_naive, base_df), rmsea_naive=rmn[0], rmsea_ci_low_naive=rmn[1],
        rmsea_ci_high_naive=rmn[2], rmsea_pvalue_naive=rmn[3], scaling_factor=res.scaling_factor,
        shift=res.shift, baseline_chisq=base_scaled, baseline_df=base_df, baseline_chisq_naive=base_naive,
        npar=res.npar, n=n,
    )
