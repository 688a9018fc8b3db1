"""Fit indices of an ML CFA as lavaan ``fitMeasures()`` computes them.

χ², df and p against the saturated model; the baseline (independence) model with free
variances (and free means with a mean structure): χ²_b = Σ_g N_g (Σ log s_ii − log|S_g|),
df_b = G·p(p−1)/2; CFI = 1 − max(χ²−df, 0)/max(χ²−df, χ²_b−df_b, 0); TLI = (χ²_b/df_b −
χ²/df)/(χ²_b/df_b − 1); RMSEA = √G · √max(χ²/(N·df) − 1/N, 0) with its 90 % interval from the
noncentral χ² and p-close = P(RMSEA ≤ .05); SRMR as lavaan's ``srmr`` (Bentler): the root mean
square of (s_ij − σ_ij)/√(s_ii s_jj) over the lower triangle with the diagonal (and of
(m_i − μ_i)/√s_ii with a mean structure), averaged over groups with weights N_g/N.

Example
-------
>>> # fit_indices(fit_cfa(spec, data)).cfi
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
from scipy import optimize, stats

from fip.cfa.estimate import CfaResult

__all__ = ["FitIndices", "fit_indices"]


@dataclass(frozen=True)
class FitIndices:
    """Fit indices of one model; names follow the issue's output contract."""

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
    baseline_chisq: float
    baseline_df: int
    npar: int
    n: int

    def as_dict(self) -> dict[str, float]:
        """The indices as a plain dict (JSON-ready)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def tidy(self) -> pd.DataFrame:
        """One row per index: ``measure``, ``value``."""
        return pd.DataFrame({"measure": list(self.as_dict()), "value": list(self.as_dict().values())})


def _ncp_bound(chisq: float, df: int, prob: float) -> float:
    """The noncentrality λ with P(χ²_df(λ) ≤ chisq) = prob, or 0 when none is positive."""
    f = lambda lam: stats.ncx2.cdf(chisq, df, lam) - prob if lam > 0 else stats.chi2.cdf(chisq, df) - prob
    if f(0.0) < 0:
        return 0.0
    hi = max(chisq, 1.0)
    while f(hi) > 0:
        hi *= 2
    return float(optimize.brentq(f, 0.0, hi, xtol=1e-12, rtol=1e-14))


def fit_indices(res: CfaResult, *, naive: bool = False) -> FitIndices:
    """χ², CFI, TLI, RMSEA (90 % CI, p-close) and SRMR of a fitted model (lavaan definitions).

    For an MLR fit (``res.robust`` set) this is :func:`fip.cfa.robust.robust_fit_indices` (scaled
    headline, robust and naive beside it), for a FIML fit :func:`fip.cfa.fiml.fiml_fit_indices`,
    unless ``naive=True``.
    """
    if res.missing == "fiml" and not naive:
        from fip.cfa.fiml import fiml_fit_indices

        return fiml_fit_indices(res)
    if res.robust is not None and not naive:
        from fip.cfa.robust import robust_fit_indices

        return robust_fit_indices(res)
    mom = res.moments
    assert mom is not None
    n = float(res.n)
    g_count = len(res.groups)
    chisq, df = res.chisq, res.df
    pvalue = float(stats.chi2.sf(chisq, df)) if df > 0 else np.nan
    p = len(res.spec.items)
    base = 0.0
    for g in range(g_count):
        s = mom.cov[g]
        base += mom.n[g] * (np.sum(np.log(np.diag(s))) - np.linalg.slogdet(s)[1])
    base_df = g_count * p * (p - 1) // 2
    t1 = max(chisq - df, 0.0)
    t2 = max(chisq - df, base - base_df, 0.0)
    cfi = 1.0 if t2 == 0 else 1.0 - t1 / t2
    tli = ((base / base_df) - (chisq / df)) / ((base / base_df) - 1.0) if df > 0 else 1.0
    if df > 0:
        rmsea = np.sqrt(max(chisq / (n * df) - 1.0 / n, 0.0)) * np.sqrt(g_count)
        lo = _ncp_bound(chisq, df, 0.95)
        hi = _ncp_bound(chisq, df, 0.05)
        ci_lo = np.sqrt(lo / (n * df)) * np.sqrt(g_count)
        ci_hi = np.sqrt(hi / (n * df)) * np.sqrt(g_count)
        ncp_close = (0.05**2) * n * df / g_count
        p_close = float(stats.ncx2.sf(chisq, df, ncp_close))
    else:
        rmsea = ci_lo = ci_hi = 0.0
        p_close = np.nan
    srmr = 0.0
    for g in range(g_count):
        mm = res.matrices(g)
        s = mom.cov[g]
        sd = 1.0 / np.sqrt(np.diag(s))
        r = (s - mm["sigma"]) * np.outer(sd, sd)
        low = np.tril_indices(p)
        ss = np.sum(r[low] ** 2)
        e = p * (p + 1) / 2
        if res.meanstructure:
            rm = (mom.mean[g] - mm["mu"]) * sd
            ss += np.sum(rm**2)
            e += p
        srmr += mom.n[g] / n * np.sqrt(ss / e)
    return FitIndices(
        chisq=float(chisq), df=int(df), pvalue=pvalue, cfi=float(cfi), tli=float(tli), rmsea=float(rmsea),
        rmsea_ci_low=float(ci_lo), rmsea_ci_high=float(ci_hi), rmsea_pvalue=p_close, srmr=float(srmr),
        baseline_chisq=float(base), baseline_df=int(base_df), npar=res.npar, n=res.n,
    )
