"""Robust ML for CFA: lavaan's ``estimator="MLR"`` (Huber-White SEs, Yuan-Bentler scaled χ²).

The estimates are the ML ones. What changes, with lavaan 0.6's defaults for MLR
(``information="observed"`` from the Hessian, ``h1.information="structured"``,
``se="robust.huber.white"``, ``test="yuan.bentler.mplus"``):

* **Standard errors**: the sandwich ``H⁻¹ B H⁻¹ / N``, H the observed information per person
  (the Hessian of lavaan's fit function F/2 at the estimates), B = Σ_g (N_g/N) B_g the mean
  outer product of the persons' score vectors (first-order information) in group g.
* **Scaled test** (Yuan & Bentler 2000, Mplus variant): ``c = tr(UΓ)/df`` with
  ``tr(UΓ) = Σ_g tr(A_g⁻¹ B1_g) − Σ_g (N_g/N) tr(B_g H⁻¹)``, A_g and B1_g the expected and
  first-order information of the saturated model at the sample moments; ``χ²_scaled = χ²/c``.
  The baseline (independence) model gets its own factor c_b the same way.
* **Fit indices**: lavaan's ``.scaled`` ones (the scaled χ² put into the usual formulas; RMSEA's
  df is c·df) are the headline, as issue 14's output contract names them; lavaan's ``.robust`` ones
  (Brosseau-Liard, Savalei & Li 2012; Brosseau-Liard & Savalei 2014: CFI and TLI from χ² − c·df,
  RMSEA = √G·√max(χ²/(N·df) − c/N, 0)) beside them; the normal-theory ones suffixed ``_naive``.
* **Nested models**: the Satorra-Bentler (2001) scaled difference, lavaan ``lavTestLRT``'s default
  for MLR: ``c_d = (df₀c₀ − df₁c₁)/(df₀ − df₁)``, ``Δχ² = (χ²₀ − χ²₁)/c_d`` on the unscaled χ².

Example
-------
>>> import numpy as np, pandas as pd
>>> from fip.cfa import fit_cfa, parse_model
>>> rng = np.random.default_rng(1); f = rng.normal(size=(300, 1))
>>> y = f @ [[1.0, .8, .6, .7]] + rng.standard_t(5, size=(300, 4)) * .6
>>> res = fit_cfa(parse_model("F =~ a + b + c + d"), pd.DataFrame(y, columns=list("abcd")), estimator="mlr")
>>> fi = robust_fit_indices(res)
>>> bool(fi.scaling_factor > 0), fi.df
(True, 2)
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
from scipy import stats

from fip.cfa.estimate import CfaResult
from fip.cfa.estimate import _jacobian as _closed_form_jacobian
from fip.cfa.fit import FitIndices, _ncp_bound, fit_indices

__all__ = ["RobustFitIndices", "RobustTest", "mlr_statistics", "robust_fit_indices", "scaled_difference"]


@dataclass(frozen=True)
class RobustTest:
    """The robust parts of an MLR fit.

    Attributes
    ----------
    vcov : ndarray, the Huber-White (sandwich) covariance of the free parameters
    scaling_factor : float, the Yuan-Bentler (Mplus variant) c; χ²_scaled = χ²/c (NaN when df = 0)
    trace_ugamma : float, tr(UΓ) = c·df
    baseline_scaling_factor : float, c_b of the independence model
    """

    vcov: np.ndarray
    scaling_factor: float
    trace_ugamma: float
    baseline_scaling_factor: float

    def tidy(self) -> pd.DataFrame:
        """One row per quantity: ``measure``, ``value``."""
        names = ["scaling_factor", "trace_ugamma", "baseline_scaling_factor"]
        return pd.DataFrame({"measure": names, "value": [getattr(self, n) for n in names]})


def _vech_jacobian(p: int) -> np.ndarray:
    """d vec(Σ) / d vech(Σ) (the duplication matrix), columns in lower-triangle order."""
    rows, cols = np.tril_indices(p)
    d = np.zeros((p * p, rows.size))
    for k, (i, j) in enumerate(zip(rows, cols)):
        d[i * p + j, k] = 1.0
        d[j * p + i, k] = 1.0
    return d


def _cov_scores(e: np.ndarray, inv: np.ndarray) -> np.ndarray:
    """Per person, vec(Σ⁻¹ e e' Σ⁻¹ − Σ⁻¹): twice the derivative of the log-likelihood by vec(Σ)."""
    a = e @ inv
    return (a[:, :, None] * a[:, None, :] - inv[None, :, :]).reshape(len(e), -1)


def _jacobian(res: CfaResult, x: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Per group Σ, μ and their closed-form derivatives d vec(Σ)/dx (p² × k) and dμ/dx (p × k)."""
    return _closed_form_jacobian(res.spec, res.params, x, len(res.groups))


def _gradient(res: CfaResult, x: np.ndarray) -> np.ndarray:
    """Gradient of lavaan's fit function F/2 (per person) at ``x``."""
    mom = res.moments
    assert mom is not None
    frac = mom.n / mom.n.sum()
    grad = np.zeros(x.size)
    for g, (sig, mu, dsig, dmu) in enumerate(_jacobian(res, x)):
        inv = np.linalg.inv(sig)
        d = mom.mean[g] - mu
        s_eff = mom.cov[g] + (np.outer(d, d) if res.meanstructure else 0.0)
        grad += frac[g] * 0.5 * (dsig.T @ (inv - inv @ s_eff @ inv).ravel())
        if res.meanstructure:
            grad -= frac[g] * (dmu.T @ (inv @ d))
    return grad


def _observed_information(res: CfaResult) -> np.ndarray:
    """Hessian of lavaan's F/2 at the estimates (per person; lavaan's ``observed.information="hessian"``),
    by central differences of the analytic gradient."""
    k = res.x.size
    hess = np.zeros((k, k))
    for j in range(k):
        h = 1e-5 * max(1.0, abs(res.x[j]))
        xp, xm = res.x.copy(), res.x.copy()
        xp[j] += h
        xm[j] -= h
        hess[:, j] = (_gradient(res, xp) - _gradient(res, xm)) / (2 * h)
    return (hess + hess.T) / 2


def mlr_statistics(res: CfaResult, raw: tuple[np.ndarray, ...]) -> RobustTest:
    """Sandwich covariance and Yuan-Bentler scaling factors of an ML fit (see the module docstring).

    Parameters
    ----------
    res : an ML fit (listwise) by :func:`fip.cfa.fit_cfa`
    raw : the persons' item answers per group, the rows the fit used

    Returns
    -------
    RobustTest
    """
    mom = res.moments
    assert mom is not None
    n_total = float(mom.n.sum())
    frac = mom.n / n_total
    groups = len(raw)
    p = len(res.spec.items)
    hess = _observed_information(res)
    h_inv = np.linalg.inv(hess)
    dup = _vech_jacobian(p)
    meat = np.zeros_like(hess)
    trace_h1 = trace_h0 = trace_h0_base = 0.0
    for g, (sig, mu, dsig, dmu) in enumerate(_jacobian(res, res.x)):
        y = raw[g]
        n = len(y)
        # structured first-order information of the model (lavaan: sample means without a mean structure)
        inv = np.linalg.inv(sig)
        e = y - (mu if res.meanstructure else y.mean(axis=0))
        sc = 0.5 * _cov_scores(e, inv) @ dsig
        if res.meanstructure:
            sc += (e @ inv) @ dmu
        b_g = sc.T @ sc / n
        meat += frac[g] * b_g
        trace_h0 += frac[g] * float(np.sum(b_g * h_inv.T))
        # unstructured (saturated) expected and first-order information at the sample moments
        s, m = mom.cov[g], mom.mean[g]
        s_inv = np.linalg.inv(s)
        e1 = y - m
        sat = 0.5 * _cov_scores(e1, s_inv) @ dup
        a1 = 0.5 * dup.T @ np.kron(s_inv, s_inv) @ dup
        if res.meanstructure:
            sat = np.hstack([e1 @ s_inv, sat])
            a1 = np.block([[s_inv, np.zeros((p, a1.shape[1]))], [np.zeros((a1.shape[0], p)), a1]])
        b1 = sat.T @ sat / n
        trace_h1 += float(np.trace(np.linalg.solve(a1, b1)))
        # independence model: free variances (and means), Σ_b = diag(S); observed = expected information here
        var = np.diag(s)
        sb = 0.5 * (e1**2 / var**2 - 1.0 / var)
        info_b = 0.5 / var**2
        if res.meanstructure:
            sb = np.hstack([e1 / var, sb])
            info_b = np.concatenate([1.0 / var, info_b])
        trace_h0_base += float(np.sum((sb.T @ sb / n).diagonal() / info_b))
    vcov = h_inv @ meat @ h_inv / n_total
    df = res.df
    trace_ug = trace_h1 - trace_h0
    c = trace_ug / df if df > 0 else np.nan
    if np.isfinite(c) and c < 0:
        c = np.nan
    base_df = groups * p * (p - 1) // 2
    c_base = (trace_h1 - trace_h0_base) / base_df
    return RobustTest(vcov=vcov, scaling_factor=float(c), trace_ugamma=float(trace_ug),
                      baseline_scaling_factor=float(c_base))


@dataclass(frozen=True)
class RobustFitIndices(FitIndices):
    """Fit indices of an MLR fit. The fields of :class:`~fip.cfa.fit.FitIndices` hold lavaan's
    ``.scaled`` statistics (χ², p, CFI, TLI, RMSEA with CI and p-close, the baseline χ²; SRMR has no
    scaled version); ``*_robust`` lavaan's ``.robust`` ones; ``*_naive`` the normal-theory ones."""

    scaling_factor: float
    baseline_scaling_factor: float
    cfi_robust: float
    tli_robust: float
    rmsea_robust: float
    rmsea_ci_low_robust: float
    rmsea_ci_high_robust: float
    rmsea_pvalue_robust: float
    chisq_naive: float
    pvalue_naive: float
    cfi_naive: float
    tli_naive: float
    rmsea_naive: float
    rmsea_ci_low_naive: float
    rmsea_ci_high_naive: float
    rmsea_pvalue_naive: float
    baseline_chisq_naive: float

    def as_dict(self) -> dict[str, float]:
        """The indices as a plain dict (JSON-ready)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _cfi(t: float, df: float, tb: float, dfb: float) -> float:
    t1 = max(t - df, 0.0)
    t2 = max(t - df, tb - dfb, 0.0)
    return 1.0 if np.isclose(t1, 0) and np.isclose(t2, 0) else 1.0 - t1 / t2


def _tli(t: float, df: float, tb: float, dfb: float, df_model: int, dfb_model: int) -> float:
    # lavaan: 1 − (T − c·df)·df_b / ((T_b − c_b·df_b)·df)
    num, den = (t - df) * dfb_model, (tb - dfb) * df_model
    return 1.0 - num / den if df_model > 0 and abs(den) > 0 else 1.0


def _rmsea_ci(chisq: float, df: float, n: float, groups: int, c_hat: float = 1.0) -> tuple[float, float]:
    lo = _ncp_bound(chisq, df, 0.95)
    hi = _ncp_bound(chisq, df, 0.05)
    return (float(np.sqrt(c_hat * lo / (n * df)) * np.sqrt(groups)),
            float(np.sqrt(c_hat * hi / (n * df)) * np.sqrt(groups)))


def robust_fit_indices(res: CfaResult) -> RobustFitIndices:
    """Scaled, robust and naive fit indices of an MLR fit (lavaan ``fitMeasures`` definitions).

    Example
    -------
    >>> # robust_fit_indices(fit_cfa(spec, data, estimator="mlr")).cfi_robust
    """
    if res.robust is None:
        raise ValueError("robust_fit_indices needs a fit with estimator='mlr'")
    naive = fit_indices(res, naive=True)
    rob: RobustTest = res.robust
    c, cb = rob.scaling_factor, rob.baseline_scaling_factor
    t, df, tb, dfb = naive.chisq, naive.df, naive.baseline_chisq, naive.baseline_df
    n, groups = float(res.n), len(res.groups)
    if df > 0 and np.isfinite(c):
        chisq_s = t / c
        p_s = float(stats.chi2.sf(chisq_s, df))
        rmsea_s = float(np.sqrt(max(t / (n * c * df) - 1.0 / n, 0.0)) * np.sqrt(groups))
        lo_s, hi_s = _rmsea_ci(t, c * df, n, groups)
        pclose_s = float(stats.ncx2.sf(t, c * df, n * c * df * 0.05**2 / groups))
        rmsea_r = float(np.sqrt(max(t / (n * df) - c / n, 0.0)) * np.sqrt(groups))
        lo_r, hi_r = _rmsea_ci(t / c, df, n, groups, c_hat=c)
        pclose_r = float(stats.ncx2.sf(t / c, df, n * df * 0.05**2 / (c * groups)))
        cfi_r = _cfi(t, c * df, tb, cb * dfb)
        tli_r = _tli(t, c * df, tb, cb * dfb, df, dfb)
    else:  # df = 0: nothing to scale (lavaan reports the naive values)
        chisq_s, p_s, c = t, naive.pvalue, np.nan
        rmsea_s, lo_s, hi_s, pclose_s = naive.rmsea, naive.rmsea_ci_low, naive.rmsea_ci_high, naive.rmsea_pvalue
        rmsea_r, lo_r, hi_r, pclose_r = rmsea_s, lo_s, hi_s, pclose_s
        cfi_r, tli_r = naive.cfi, naive.tli
    tb_s = tb / cb
    cfi_s = _cfi(chisq_s, df, tb_s, dfb)
    tli_s = _tli(chisq_s, df, tb_s, dfb, df, dfb)
    return RobustFitIndices(
        chisq=float(chisq_s), df=int(df), pvalue=p_s, cfi=float(cfi_s), tli=float(tli_s), rmsea=rmsea_s,
        rmsea_ci_low=lo_s, rmsea_ci_high=hi_s, rmsea_pvalue=pclose_s, srmr=naive.srmr,
        baseline_chisq=float(tb_s), baseline_df=int(dfb), npar=naive.npar, n=naive.n,
        scaling_factor=float(c), baseline_scaling_factor=float(cb),
        cfi_robust=float(cfi_r), tli_robust=float(tli_r), rmsea_robust=rmsea_r, rmsea_ci_low_robust=lo_r,
        rmsea_ci_high_robust=hi_r, rmsea_pvalue_robust=pclose_r,
        chisq_naive=naive.chisq, pvalue_naive=naive.pvalue, cfi_naive=naive.cfi, tli_naive=naive.tli,
        rmsea_naive=naive.rmsea, rmsea_ci_low_naive=naive.rmsea_ci_low, rmsea_ci_high_naive=naive.rmsea_ci_high,
        rmsea_pvalue_naive=naive.rmsea_pvalue, baseline_chisq_naive=naive.baseline_chisq,
    )


def scaled_difference(restricted: RobustFitIndices, free: RobustFitIndices) -> tuple[float, int, float]:
    """Satorra-Bentler (2001) scaled χ² difference of two nested MLR fits (lavaan ``lavTestLRT``'s
    default for MLR): ``(Δχ², Δdf, p)``; ``restricted`` has the larger df.

    Example
    -------
    >>> # scaled_difference(robust_fit_indices(metric), robust_fit_indices(configural))
    """
    t0, r0, c0 = restricted.chisq_naive, restricted.df, restricted.scaling_factor
    t1, r1, c1 = free.chisq_naive, free.df, free.scaling_factor
    if r1 == 0:
        c1 = 1.0
    m = r0 - r1
    if m <= 0:
        return float(t0 - t1), int(m), float("nan")
    cd = (r0 * c0 - r1 * c1) / m
    if not cd > 0:
        return float("nan"), int(m), float("nan")
    delta = (t0 - t1) / cd
    return float(delta), int(m), float(stats.chi2.sf(delta, m))
