"""Full-information ML for CFA with missing answers: lavaan ``missing="ml"`` (estimator ML).

Every person with at least one answer counts with the answers given. Per missingness pattern P
(n_P persons, answered items o, their means m_P and covariances S_P with divisor n_P) the fit
function is lavaan's::

    F = Σ_g (N_g/N) (1/N_g) Σ_P n_P [log|Σ_oo| + tr(S_P Σ_oo⁻¹) + (m_P − μ_o)' Σ_oo⁻¹ (m_P − μ_o)]

(−2 log L = N·F + Σ_P n_P |o| log 2π), always with a mean structure. The saturated model (h1) is
fitted by EM; χ² = N·(F − F_h1), the likelihood-ratio test against it. The baseline model
(independent items) factorises, so its estimates are each item's mean and variance over the
persons who answered it. SEs come from the observed information (lavaan's default with
``missing="ml"``: the Hessian of F/2). SRMR compares the implied moments with the EM
estimates (lavaan's h1). Robust (MLR) statistics with FIML are not built.

Example
-------
>>> import numpy as np, pandas as pd
>>> from fip.cfa import fit_cfa, parse_model
>>> rng = np.random.default_rng(1); f = rng.normal(size=(300, 1))
>>> y = pd.DataFrame(f @ [[1.0, .8, .6, .7]] + rng.normal(size=(300, 4)) * .6, columns=list("abcd"))
>>> y.iloc[::7, 1] = np.nan
>>> res = fit_cfa(parse_model("F =~ a + b + c + d"), y, missing="fiml")
>>> res.n, res.npar, res.df
(300, 12, 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from fip.cfa.estimate import CfaResult, _Moments, _start, build_parameters
from fip.cfa.fit import FitIndices, fit_indices
from fip.errors import FipError

__all__ = ["FimlInfo", "fiml_fit_indices", "fit_cfa_fiml"]


@dataclass(frozen=True)
class _Pattern:
    obs: np.ndarray  # indices of the answered items
    n: int
    mean: np.ndarray
    cov: np.ndarray  # divisor n


@dataclass(frozen=True)
class FimlInfo:
    """What a FIML fit adds: the log-likelihoods and the baseline χ².

    Attributes
    ----------
    logl, logl_h1 : log-likelihood of the model and of the saturated model (lavaan ``logl``,
        ``unrestricted.logl``)
    baseline_chisq : χ² of the independence model against h1
    n_patterns : missingness patterns per group
    """

    logl: float
    logl_h1: float
    baseline_chisq: float
    n_patterns: tuple[int, ...]

    def tidy(self) -> pd.DataFrame:
        """One row per quantity: ``measure``, ``value``."""
        names = ["logl", "logl_h1", "baseline_chisq"]
        return pd.DataFrame({"measure": names, "value": [getattr(self, n) for n in names]})


def _patterns(y: np.ndarray) -> list[_Pattern]:
    seen = ~np.isnan(y)
    keys = [row.tobytes() for row in seen]
    out = []
    for key in dict.fromkeys(keys):
        rows = np.array([k == key for k in keys])
        obs = np.flatnonzero(seen[rows][0])
        z = y[np.ix_(rows, obs)]
        m = z.mean(axis=0)
        out.append(_Pattern(obs, int(rows.sum()), m, (z - m).T @ (z - m) / rows.sum()))
    return out


def _pattern_f(pats: Sequence[_Pattern], sigma: np.ndarray, mu: np.ndarray) -> float:
    """(1/N_g) Σ_P n_P [log|Σ_oo| + tr(S_P Σ_oo⁻¹) + d'Σ_oo⁻¹d] for one group."""
    total = sum(p.n for p in pats)
    f = 0.0
    for p in pats:
        s = sigma[np.ix_(p.obs, p.obs)]
        sign, logdet = np.linalg.slogdet(s)
        if sign <= 0:
            return np.inf
        inv = np.linalg.inv(s)
        d = p.mean - mu[p.obs]
        f += p.n * (logdet + np.trace(p.cov @ inv) + d @ inv @ d)
    return f / total


def _em_h1(y: np.ndarray, pats: Sequence[_Pattern], tol: float = 1e-12, max_iter: int = 5000
           ) -> tuple[np.ndarray, np.ndarray]:
    """Saturated mean and covariance by EM (divisor N)."""
    n, p = y.shape
    mu = np.nanmean(y, axis=0)
    sigma = np.diag(np.nanvar(y, axis=0))
    for _ in range(max_iter):
        t1 = np.zeros(p)
        t2 = np.zeros((p, p))
        for pat in pats:
            o = pat.obs
            mis = np.setdiff1d(np.arange(p), o)
            rows_mean = pat.mean
            # sufficient statistics of the pattern's persons, the missing part by its conditional expectation
            ex_mean = np.zeros(p)
            ex_mean[o] = rows_mean
            second = np.zeros((p, p))
            second[np.ix_(o, o)] = pat.cov + np.outer(rows_mean, rows_mean)
            if mis.size:
                beta = np.linalg.solve(sigma[np.ix_(o, o)], sigma[np.ix_(o, mis)])  # |o| × |m|
                cond = sigma[np.ix_(mis, mis)] - sigma[np.ix_(mis, o)] @ beta
                a = mu[mis] - mu[o] @ beta
                ex_mean[mis] = a + rows_mean @ beta
                # E[y_o y_m'] and E[y_m y_m'] averaged over the pattern's persons
                eoo = pat.cov + np.outer(rows_mean, rows_mean)
                eom = np.outer(rows_mean, a) + eoo @ beta
                emm = cond + np.outer(a, a) + np.outer(a, rows_mean @ beta) + np.outer(rows_mean @ beta, a) \
                    + beta.T @ eoo @ beta
                second[np.ix_(o, mis)] = eom
                second[np.ix_(mis, o)] = eom.T
                second[np.ix_(mis, mis)] = emm
            t1 += pat.n * ex_mean
            t2 += pat.n * second
        mu_new = t1 / n
        sigma_new = t2 / n - np.outer(mu_new, mu_new)
        change = max(np.max(np.abs(mu_new - mu)), np.max(np.abs(sigma_new - sigma)))
        mu, sigma = mu_new, (sigma_new + sigma_new.T) / 2
        if change < tol:
            break
    return mu, sigma


def _data(data: pd.DataFrame, items: Sequence[str], group: str | None):
    cols = list(items) + ([group] if group else [])
    absent = [c for c in cols if c not in data.columns]
    if absent:
        raise FipError(f"model names columns not in the data: {', '.join(absent)}")
    sub = data[cols]
    if group:
        sub = sub[sub[group].notna()]
    sub = sub[sub[list(items)].notna().any(axis=1)]
    labels = ("all",) if group is None else tuple(dict.fromkeys(sub[group].astype(str)))
    ys = []
    for lab in labels:
        part = sub if group is None else sub[sub[group].astype(str) == lab]
        ys.append(part[list(items)].to_numpy(dtype=float))
    return labels, ys, len(data) - len(sub)


def fit_cfa_fiml(
    spec,
    data: pd.DataFrame,
    *,
    group: str | None = None,
    std_lv: bool = False,
    group_equal: Sequence[str] = (),
    group_partial: Sequence[str] = (),
    tol: float = 1e-9,
    max_iter: int = 500,
) -> CfaResult:
    """Fit a CFA by full-information ML as lavaan ``cfa(model, data, missing="ml")``.

    Called by :func:`fip.cfa.fit_cfa` with ``missing="fiml"``; see the module docstring. The
    result's ``moments`` are the EM (h1) estimates, ``fmin`` is F − F_h1 (so ``chisq`` is the
    likelihood-ratio χ²) and ``robust`` holds a :class:`FimlInfo`.
    """
    from fip.cfa.robust import _jacobian

    labels, ys, dropped = _data(data, spec.items, group)
    p = len(spec.items)
    for lab, y in zip(labels, ys):
        if len(y) <= p:
            raise FipError(f"group {lab!r} of {group!r}: fewer persons with answers than items ({p}); "
                           "the group's covariance matrix cannot be estimated")
        never = [spec.items[j] for j in range(p) if np.isnan(y[:, j]).all()]
        if never:
            raise FipError(f"--nan-policy fiml: item(s) {', '.join(never)} answered by nobody"
                           + (f" in group {lab!r}" if group else ""))
    pats = [_patterns(y) for y in ys]
    ns = np.array([len(y) for y in ys], dtype=float)
    frac = ns / ns.sum()
    h1 = [_em_h1(y, pp) for y, pp in zip(ys, pats)]
    mom = _Moments(ns, tuple(s for _, s in h1), tuple(m for m, _ in h1))
    params = build_parameters(spec, len(labels), std_lv=std_lv, meanstructure=True, group_equal=group_equal,
                              group_partial=group_partial)
    npar = 1 + max(q.free for q in params)
    shell = CfaResult(spec=spec, params=tuple(params), x=np.zeros(npar), vcov=np.zeros((npar, npar)),
                      groups=labels, n_groups_n=tuple(int(n) for n in ns), fmin=np.nan, converged=False,
                      iterations=0, meanstructure=True, std_lv=std_lv, group_equal=tuple(group_equal),
                      group_partial=tuple(group_partial), moments=mom, n_dropped=dropped, missing="fiml")

    def objective(x: np.ndarray) -> float:
        return float(sum(frac[g] * _pattern_f(pats[g], sig, mu)
                         for g, (sig, mu, _, _) in enumerate(_jacobian(shell, x))))

    def grad_info(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        grad = np.zeros(npar)
        info = np.zeros((npar, npar))
        for g, (sig, mu, dsig, dmu) in enumerate(_jacobian(shell, x)):
            ng = ns[g]
            for pat in pats[g]:
                o = pat.obs
                w = frac[g] * pat.n / ng
                inv = np.linalg.inv(sig[np.ix_(o, o)])
                d = pat.mean - mu[o]
                sel = (o[:, None] * p + o[None, :]).ravel()
                ds, dm = dsig[sel], dmu[o]
                s_eff = pat.cov + np.outer(d, d)
                grad += w * (ds.T @ (inv - inv @ s_eff @ inv).ravel() - 2.0 * dm.T @ (inv @ d))
                info += w * (0.5 * ds.T @ np.kron(inv, inv) @ ds + dm.T @ inv @ dm)
        return grad, info

    x = _start(spec, params, mom, npar)
    f = objective(x)
    converged = False
    it = 0
    for it in range(1, max_iter + 1):
        grad, info = grad_info(x)
        if np.max(np.abs(grad)) < tol:
            converged = True
            break
        try:
            step = np.linalg.solve(2.0 * info, grad)
        except np.linalg.LinAlgError:
            step = np.linalg.pinv(2.0 * info) @ grad
        t = 1.0
        while t > 1e-8:
            xn = x - t * step
            fn = objective(xn)
            if np.isfinite(fn) and fn <= f + 1e-14:
                break
            t /= 2
        else:
            break
        x, f = xn, fn
    # observed information: Hessian of F/2 by central differences of the analytic gradient
    hess = np.zeros((npar, npar))
    for j in range(npar):
        h = 1e-5 * max(1.0, abs(x[j]))
        xp, xm = x.copy(), x.copy()
        xp[j] += h
        xm[j] -= h
        hess[:, j] = (grad_info(xp)[0] - grad_info(xm)[0]) / (4 * h)
    hess = (hess + hess.T) / 2
    vcov = np.linalg.pinv(ns.sum() * hess)
    f_h1 = float(sum(frac[g] * _pattern_f(pats[g], s, m) for g, (m, s) in enumerate(h1)))
    f_base = 0.0
    for g, y in enumerate(ys):
        mu_b = np.nanmean(y, axis=0)
        f_base += frac[g] * _pattern_f(pats[g], np.diag(np.nanvar(y, axis=0)), mu_b)
    const = sum(pat.n * pat.obs.size * np.log(2 * np.pi) for pp in pats for pat in pp)
    n_total = ns.sum()
    info_f = FimlInfo(logl=float(-0.5 * (const + n_total * f)), logl_h1=float(-0.5 * (const + n_total * f_h1)),
                      baseline_chisq=float(n_total * (f_base - f_h1)), n_patterns=tuple(len(pp) for pp in pats))
    return replace(shell, x=x, vcov=vcov, fmin=f - f_h1, converged=converged, iterations=it, robust=info_f)


def fiml_fit_indices(res: CfaResult) -> FitIndices:
    """Fit indices of a FIML fit: χ² against h1, the FIML baseline, SRMR against the EM moments
    (lavaan ``fitMeasures`` with ``missing="ml"``)."""
    info: FimlInfo = res.robust
    fi = fit_indices(res, naive=True)
    chisq, df = fi.chisq, fi.df
    base, base_df = info.baseline_chisq, fi.baseline_df
    t1 = max(chisq - df, 0.0)
    t2 = max(chisq - df, base - base_df, 0.0)
    cfi = 1.0 if t2 == 0 else 1.0 - t1 / t2
    tli = ((base / base_df) - (chisq / df)) / ((base / base_df) - 1.0) if df > 0 else 1.0
    return replace(fi, cfi=float(cfi), tli=float(tli), baseline_chisq=float(base))
