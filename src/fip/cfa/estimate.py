"""Maximum-likelihood CFA estimation (lavaan ``cfa()`` defaults), single and multi-group.

The model per group g is Σ_g = Λ Ψ Λ' + Θ and, with a mean structure (multi-group),
μ_g = ν + Λ α. The fit function is lavaan's ML with ``likelihood="normal"`` (sample
covariances with divisor N)::

    F = Σ_g (N_g/N) [log|Σ_g| + tr(S_g Σ_g⁻¹) − log|S_g| − p + (m_g − μ_g)' Σ_g⁻¹ (m_g − μ_g)]

and χ² = N·F. Standard errors come from the expected information. Equality constraints are
imposed by sharing one free parameter (lavaan's simple equality constraints).

Example
-------
>>> import numpy as np, pandas as pd
>>> from fip.cfa.spec import parse_model
>>> rng = np.random.default_rng(1); f = rng.normal(size=(300, 1))
>>> data = pd.DataFrame(f @ [[1.0, .8, .6]] + rng.normal(size=(300, 3)) * .6, columns=list("abc"))
>>> res = fit_cfa(parse_model("F =~ a + b + c"), data)
>>> res.n, res.npar
(300, 6)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from fip.cfa.spec import ModelSpec
from fip.errors import FipError

__all__ = ["CfaResult", "Param", "build_parameters", "fit_cfa", "GROUP_EQUAL"]

GROUP_EQUAL = ("loadings", "intercepts", "residuals")


@dataclass(frozen=True)
class Param:
    """One model parameter: ``kind`` is lambda, psi, theta, nu or alpha; ``free`` is the index
    into the free-parameter vector or -1 for a fixed value ``value``."""

    kind: str
    group: int
    row: int
    col: int
    free: int
    value: float
    lhs: str
    op: str
    rhs: str


def _partial_key(op: str, lhs: str, rhs: str) -> str:
    return f"{lhs} {op} {rhs}".replace(" ", "")


def build_parameters(
    spec: ModelSpec,
    n_groups: int = 1,
    *,
    std_lv: bool = False,
    meanstructure: bool | None = None,
    group_equal: Sequence[str] = (),
    group_partial: Sequence[str] = (),
) -> list[Param]:
    """The parameter table in lavaan's order and conventions.

    ``group_equal`` takes lavaan's ``loadings``, ``intercepts``, ``residuals``;
    ``group_partial`` lists parameters exempt from them as ``"F =~ x"``, ``"x ~ 1"`` or ``"x ~~ x"``.
    As lavaan does, equal loadings free the factor variances of groups 2.. when ``std_lv``, and
    equal intercepts free the factor means of groups 2...
    """
    bad = [g for g in group_equal if g not in GROUP_EQUAL]
    if bad:
        raise ValueError(f"group_equal: allowed {GROUP_EQUAL}, got {bad}")
    items = spec.items
    factors = spec.factor_names
    means = (n_groups > 1) if meanstructure is None else meanstructure
    partial = {_partial_key(*_split_partial(p)) for p in group_partial}
    params: list[Param] = []
    shared: dict[tuple, int] = {}
    counter = [0]

    def new_free(key: tuple | None) -> int:
        if key is not None and key in shared:
            return shared[key]
        idx = counter[0]
        counter[0] += 1
        if key is not None:
            shared[key] = idx
        return idx

    for g in range(n_groups):
        for fi, (fname, fitems) in enumerate(spec.factors):
            for k, item in enumerate(fitems):
                r = items.index(item)
                if k == 0 and not std_lv:
                    params.append(Param("lambda", g, r, fi, -1, 1.0, fname, "=~", item))
                    continue
                eq = "loadings" in group_equal and _partial_key("=~", fname, item) not in partial
                params.append(Param("lambda", g, r, fi, new_free(("lambda", r, fi) if eq else None), np.nan, fname, "=~", item))
        for r, item in enumerate(items):
            eq = "residuals" in group_equal and _partial_key("~~", item, item) not in partial
            params.append(Param("theta", g, r, r, new_free(("theta", r) if eq else None), np.nan, item, "~~", item))
        for a, b in spec.residual_covariances:
            ra, rb = items.index(a), items.index(b)
            params.append(Param("theta", g, max(ra, rb), min(ra, rb), new_free(None), np.nan, a, "~~", b))
        for fi, fname in enumerate(factors):
            fixed_var = std_lv and not (g > 0 and "loadings" in group_equal)
            if fixed_var:
                params.append(Param("psi", g, fi, fi, -1, 1.0, fname, "~~", fname))
            else:
                params.append(Param("psi", g, fi, fi, new_free(None), np.nan, fname, "~~", fname))
        for fi in range(len(factors)):
            for fj in range(fi + 1, len(factors)):
                params.append(Param("psi", g, fj, fi, new_free(None), np.nan, factors[fi], "~~", factors[fj]))
        if means:
            for r, item in enumerate(items):
                eq = "intercepts" in group_equal and _partial_key("~1", item, "") not in partial
                params.append(Param("nu", g, r, 0, new_free(("nu", r) if eq else None), np.nan, item, "~1", ""))
            for fi, fname in enumerate(factors):
                if g > 0 and "intercepts" in group_equal:
                    params.append(Param("alpha", g, fi, 0, new_free(None), np.nan, fname, "~1", ""))
                else:
                    params.append(Param("alpha", g, fi, 0, -1, 0.0, fname, "~1", ""))
    return params


def _split_partial(text: str) -> tuple[str, str, str]:
    t = text.replace(" ", "")
    for op in ("=~", "~~", "~1"):
        if op in t:
            lhs, rhs = t.split(op, 1)
            if op == "~~" and rhs == lhs:
                return "~~", lhs, lhs
            return op, lhs, rhs
    if t.endswith("~1"):
        return "~1", t[:-2], ""
    raise ValueError(f"group_partial: expected 'F =~ x', 'x ~ 1' or 'x ~~ x', got {text!r}")


@dataclass(frozen=True)
class _Moments:
    n: np.ndarray  # per group
    cov: tuple[np.ndarray, ...]  # divisor N
    mean: tuple[np.ndarray, ...]


@dataclass(frozen=True)
class CfaResult:
    """A fitted CFA model.

    Attributes
    ----------
    spec : ModelSpec
    params : list of Param
    x : ndarray, free-parameter estimates
    vcov : ndarray, their covariance (expected information, ``N``-scaled)
    groups : tuple of str, group labels (``("all",)`` for one group)
    n_groups_n : tuple of int, persons per group used (listwise)
    fmin : float, minimum of F (lavaan's fmin is F/2)
    converged : bool
    """

    spec: ModelSpec
    params: tuple[Param, ...]
    x: np.ndarray
    vcov: np.ndarray
    groups: tuple[str, ...]
    n_groups_n: tuple[int, ...]
    fmin: float
    converged: bool
    iterations: int
    meanstructure: bool
    std_lv: bool
    group_equal: tuple[str, ...] = ()
    group_partial: tuple[str, ...] = ()
    moments: _Moments | None = field(default=None, repr=False)
    n_dropped: int = 0
    estimator: str = "ml"
    missing: str = "listwise"
    robust: Any = field(default=None, repr=False)
    n_pairs_min: int = 0

    @property
    def n(self) -> int:
        """Persons used (listwise: complete on the model's items; pairwise: with at least one answer)."""
        return int(sum(self.n_groups_n))

    @property
    def npar(self) -> int:
        """Number of free parameters."""
        return int(self.x.size)

    @property
    def chisq(self) -> float:
        """Likelihood-ratio χ² against the saturated model, N·F."""
        return float(self.n * self.fmin)

    @property
    def df(self) -> int:
        """Degrees of freedom: sample moments minus free parameters."""
        p = len(self.spec.items)
        per_group = p * (p + 1) // 2 + (p if self.meanstructure else 0)
        return len(self.groups) * per_group - self.npar

    def matrices(self, g: int = 0) -> dict[str, np.ndarray]:
        """Λ, Ψ, Θ, ν, α, Σ and μ of group ``g`` at the estimates."""
        return _matrices(self.spec, self.params, self.x, g)

    def tidy(self) -> pd.DataFrame:
        """One row per parameter: ``group, lhs, op, rhs, free, estimate, se, z, pvalue, std_all, std_se``.

        ``std_all`` is lavaan's completely standardised solution; ``std_se`` its delta-method SE.
        """
        from scipy import stats

        se_x = np.sqrt(np.clip(np.diag(self.vcov), 0, None))
        std, std_se = _standardized(self)
        rows = []
        for k, p in enumerate(self.params):
            est = float(self.x[p.free]) if p.free >= 0 else p.value
            se = float(se_x[p.free]) if p.free >= 0 else np.nan
            z = est / se if p.free >= 0 and se > 0 else np.nan
            pv = float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else np.nan
            rows.append((self.groups[p.group], p.lhs, p.op, p.rhs, p.free >= 0, est, se, z, pv, std[k], std_se[k]))
        return pd.DataFrame(
            rows, columns=["group", "lhs", "op", "rhs", "free", "estimate", "se", "z", "pvalue", "std_all", "std_se"]
        )


def _matrices(spec: ModelSpec, params: Sequence[Param], x: np.ndarray, g: int) -> dict[str, np.ndarray]:
    p, m = len(spec.items), len(spec.factors)
    lam, psi, theta = np.zeros((p, m)), np.zeros((m, m)), np.zeros((p, p))
    nu, alpha = np.zeros(p), np.zeros(m)
    for q in params:
        if q.group != g:
            continue
        v = x[q.free] if q.free >= 0 else q.value
        if q.kind == "lambda":
            lam[q.row, q.col] = v
        elif q.kind == "psi":
            psi[q.row, q.col] = psi[q.col, q.row] = v
        elif q.kind == "theta":
            theta[q.row, q.col] = theta[q.col, q.row] = v
        elif q.kind == "nu":
            nu[q.row] = v
        else:
            alpha[q.row] = v
    sigma = lam @ psi @ lam.T + theta
    return {"lambda": lam, "psi": psi, "theta": theta, "nu": nu, "alpha": alpha, "sigma": sigma, "mu": nu + lam @ alpha}


def _implied(spec, params, x, n_groups):
    return [(mm["sigma"], mm["mu"]) for mm in (_matrices(spec, params, x, g) for g in range(n_groups))]


def _objective(spec, params, x, mom: _Moments, means: bool) -> float:
    total = mom.n.sum()
    f = 0.0
    for g, (sig, mu) in enumerate(_implied(spec, params, x, len(mom.n))):
        try:  # Σ must be positive definite: a positive determinant is not enough (two negative eigenvalues)
            chol = np.linalg.cholesky(sig)
        except np.linalg.LinAlgError:
            return np.inf
        logdet = 2.0 * np.sum(np.log(np.diag(chol)))
        inv = np.linalg.inv(sig)
        s = mom.cov[g]
        fg = logdet + np.trace(s @ inv) - np.linalg.slogdet(s)[1] - s.shape[0]
        if means:
            d = mom.mean[g] - mu
            fg += d @ inv @ d
        f += mom.n[g] / total * fg
    return float(f)


def _jacobian(spec, params, x, n_groups):
    """Σ_g, μ_g, d vec(Σ_g)/dx and dμ_g/dx per group, in closed form.

    With Σ = ΛΨΛ' + Θ and μ = ν + Λα, a loading λ_rc moves row and column r of Σ by (ΨΛ')_c and
    μ_r by α_c; ψ_rc gives λ_r λ_c' + λ_c λ_r'; θ_rc the unit matrix entries; ν_r and α_c are
    linear in μ. Parameters sharing a free index (equality constraints) add up.
    ``_jacobian_numeric`` is the finite-difference check (tests/test_cfa.py).
    """
    k = x.size
    out = []
    for g in range(n_groups):
        mm = _matrices(spec, params, x, g)
        lam, psi, alpha = mm["lambda"], mm["psi"], mm["alpha"]
        p = lam.shape[0]
        dsig = np.zeros((p, p, k))
        dmu = np.zeros((p, k))
        lam_psi = lam @ psi                                  # (p, m): column c is (ΛΨ)_{·c}
        for q in params:
            if q.group != g or q.free < 0:
                continue
            j, r, c = q.free, q.row, q.col
            if q.kind == "lambda":
                dsig[r, :, j] += lam_psi[:, c]
                dsig[:, r, j] += lam_psi[:, c]
                dmu[r, j] += alpha[c]
            elif q.kind == "psi":
                outer = np.outer(lam[:, r], lam[:, c])
                dsig[:, :, j] += outer if r == c else outer + outer.T
            elif q.kind == "theta":
                dsig[r, c, j] += 1.0
                if r != c:
                    dsig[c, r, j] += 1.0
            elif q.kind == "nu":
                dmu[r, j] += 1.0
            else:
                dmu[:, j] += lam[:, r]
        out.append((mm["sigma"], mm["mu"], dsig.reshape(p * p, k), dmu))
    return out


def _jacobian_numeric(spec, params, x, n_groups, h: float = 1e-4):
    """The Jacobian of ``_jacobian`` by central differences (exact up to rounding: Σ and μ are at
    most quadratic in each single parameter); kept as its independent check."""
    k = x.size
    base = _implied(spec, params, x, n_groups)
    p = base[0][0].shape[0]
    dsig = [np.zeros((p * p, k)) for _ in range(n_groups)]
    dmu = [np.zeros((p, k)) for _ in range(n_groups)]
    for j in range(k):
        xp, xm = x.copy(), x.copy()
        xp[j] += h
        xm[j] -= h
        ip, im = _implied(spec, params, xp, n_groups), _implied(spec, params, xm, n_groups)
        for g in range(n_groups):
            dsig[g][:, j] = ((ip[g][0] - im[g][0]) / (2 * h)).ravel()
            dmu[g][:, j] = (ip[g][1] - im[g][1]) / (2 * h)
    return [(base[g][0], base[g][1], dsig[g], dmu[g]) for g in range(n_groups)]


def _grad_info(spec, params, x, mom: _Moments, means: bool):
    """Gradient of F and the expected information per observation (F's expected Hessian / 2)."""
    total = mom.n.sum()
    k = x.size
    grad = np.zeros(k)
    info = np.zeros((k, k))
    for g, (sig, mu, ds, dm) in enumerate(_jacobian(spec, params, x, len(mom.n))):
        w = mom.n[g] / total
        inv = np.linalg.inv(sig)
        s = mom.cov[g]
        d = mom.mean[g] - mu
        if means:
            s_eff = s + np.outer(d, d)
        else:
            s_eff = s
        gs = inv - inv @ s_eff @ inv
        grad += w * (ds.T @ gs.ravel())
        if means:
            grad += w * (-2.0 * dm.T @ (inv @ d))
        p = inv.shape[0]
        dsk = ds.T.reshape(k, p, p)
        sandwiched = (inv @ dsk @ inv).reshape(k, p * p)     # vec(Σ⁻¹ dΣ_j Σ⁻¹) = (Σ⁻¹ ⊗ Σ⁻¹) vec(dΣ_j)
        info += w * (0.5 * ds.T @ sandwiched.T)
        if means:
            info += w * (dm.T @ inv @ dm)
    return grad, info


MISSING = ("listwise", "pairwise", "fiml")
ESTIMATORS = ("ml", "mlr")


def _moments(data: pd.DataFrame, items: Sequence[str], group: str | None, missing: str = "listwise"
             ) -> tuple[_Moments, tuple[str, ...], int, tuple[np.ndarray, ...], int]:
    """Sample moments per group (divisor N), the group labels, rows dropped, the raw item arrays
    and the smallest number of persons behind a covariance.

    ``missing="pairwise"`` is lavaan's: each covariance from the persons answering both items
    (R ``cov(use="pairwise")``, rescaled by (N − 1)/N), each mean from those answering the item,
    N the persons with at least one answer."""
    cols = list(items) + ([group] if group else [])
    absent = [c for c in cols if c not in data.columns]
    if absent:
        raise FipError(f"model names columns not in the data: {', '.join(absent)}")
    if missing == "listwise":
        sub = data[cols].dropna()
    else:
        sub = data[cols]
        if group:
            sub = sub[sub[group].notna()]
        sub = sub[sub[list(items)].notna().any(axis=1)]
    dropped = len(data) - len(sub)
    labels = ("all",) if group is None else tuple(dict.fromkeys(sub[group].astype(str)))  # lavaan: order of appearance
    ns, covs, means, raws = [], [], [], []
    pairs_min = len(sub)
    for lab in labels:
        part = sub if group is None else sub[sub[group].astype(str) == lab]
        y = part[list(items)].to_numpy(dtype=float)
        n = len(y)
        ns.append(n)
        raws.append(y)
        if missing == "listwise":
            mean = y.mean(axis=0)
            covs.append((y - mean).T @ (y - mean) / n)
        else:
            obs = (~np.isnan(y)).astype(float)
            counts = obs.T @ obs
            pairs_min = min(pairs_min, int(counts.min()))
            where = f" in group {lab!r}" if group else ""
            if counts.min() < 2:
                i, j = np.unravel_index(int(np.argmin(counts)), counts.shape)
                raise FipError(f"--nan-policy pairwise: items {items[i]} and {items[j]} are answered together by "
                               f"fewer than 2 persons{where}; their covariance cannot be estimated")
            mean = np.nanmean(y, axis=0)
            cov = part[list(items)].astype(float).cov().to_numpy() * (n - 1) / n
            if np.linalg.eigvalsh(cov).min() <= 0:
                raise FipError(f"--nan-policy pairwise: the pairwise covariance matrix{where} is not positive "
                               "definite; use --nan-policy listwise")
            covs.append(cov)
        means.append(mean)
    return (_Moments(np.asarray(ns, dtype=float), tuple(covs), tuple(means)), labels, dropped, tuple(raws),
            pairs_min)


def _start(spec: ModelSpec, params: Sequence[Param], mom: _Moments, npar: int) -> np.ndarray:
    x = np.full(npar, np.nan)
    items = spec.items
    for q in params:
        if q.free < 0 or not np.isnan(x[q.free]):
            continue
        s, mean = mom.cov[q.group], mom.mean[q.group]
        if q.kind == "lambda":
            fitems = dict(spec.factors)[q.lhs]
            idx = [items.index(i) for i in fitems]
            sub = s[np.ix_(idx, idx)]
            vals, vecs = np.linalg.eigh(sub)
            load = vecs[:, -1] * np.sqrt(max(vals[-1], 1e-6))
            if load.sum() < 0:
                load = -load
            pos = fitems.index(q.rhs)
            marker_fixed = any(pp.kind == "lambda" and pp.free < 0 and pp.lhs == q.lhs for pp in params)
            x[q.free] = load[pos] / load[0] if marker_fixed else load[pos]
        elif q.kind == "theta":
            x[q.free] = 0.5 * s[q.row, q.row] if q.row == q.col else 0.0
        elif q.kind == "psi":
            x[q.free] = 0.05 if q.row == q.col else 0.0
        elif q.kind == "nu":
            x[q.free] = mean[q.row]
        else:
            x[q.free] = 0.0
    # factor variances: from the marker's covariance with the other items
    for q in params:
        if q.kind == "psi" and q.free >= 0 and q.row == q.col:
            fitems = dict(spec.factors)[q.lhs]
            s = mom.cov[q.group]
            idx = [items.index(i) for i in fitems]
            sub = s[np.ix_(idx, idx)]
            vals, vecs = np.linalg.eigh(sub)
            l0 = vecs[0, -1] * np.sqrt(max(vals[-1], 1e-6))
            x[q.free] = max(l0 * l0, 0.05)
    return x


def fit_cfa(
    spec: ModelSpec,
    data: pd.DataFrame,
    *,
    group: str | None = None,
    std_lv: bool = False,
    group_equal: Sequence[str] = (),
    group_partial: Sequence[str] = (),
    meanstructure: bool | None = None,
    parameters: Sequence[Param] | None = None,
    tol: float = 1e-10,
    max_iter: int = 500,
    estimator: str = "ml",
    missing: str = "listwise",
) -> CfaResult:
    """Fit a CFA by maximum likelihood as lavaan ``cfa(model, data, likelihood="normal")``.

    Parameters
    ----------
    spec : ModelSpec
    data : DataFrame with the items (and ``group``); rows with a missing item are dropped (listwise).
    group : column giving the groups (multi-group model with a mean structure), or None. Groups are
        taken in order of first appearance in ``data``, as lavaan does; the first is the reference
        group (latent means fixed at 0 there).
    std_lv : fix factor variances at 1 and free all loadings (lavaan ``std.lv=TRUE``).
    group_equal, group_partial : lavaan's ``group.equal`` / ``group.partial``.
    estimator : ``"ml"`` (expected-information SEs, χ² test) or ``"mlr"`` (lavaan ``estimator="MLR"``:
        the same estimates, Huber-White SEs and the Yuan-Bentler scaled test; see :mod:`fip.cfa.robust`).
    missing : ``"listwise"``, ``"pairwise"`` (lavaan ``missing="pairwise"``, ML only: lavaan 0.6
        has no robust statistics from pairwise covariances, so ``"mlr"`` with it is refused) or
        ``"fiml"`` (lavaan ``missing="ml"``, ML only; :mod:`fip.cfa.fiml`).
    parameters : a parameter table to use instead of :func:`build_parameters` (e.g. equality
        constraints within one group by shared free indices, as lavaan's labels, and free latent
        means: :mod:`fip.cfa.longitudinal`). Its free indices must be 0..k-1; ``group_equal`` and
        ``group_partial`` must then be empty.

    Returns
    -------
    CfaResult

    Notes
    -----
    Fisher scoring with step halving from eigenvector starting values, to ‖gradient‖∞ < ``tol``.
    Matches lavaan 0.6 estimates and SEs to about 1e-6 (tests/test_cfa.py).
    """
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator: allowed {ESTIMATORS}, got {estimator!r}")
    if missing not in MISSING:
        raise ValueError(f"missing: allowed {MISSING}, got {missing!r}")
    if estimator == "mlr" and missing == "pairwise":
        raise FipError("--estimator mlr with --nan-policy pairwise: robust (sandwich) statistics need complete "
                       "answers per person, and lavaan refuses the combination too; use --nan-policy listwise "
                       "or --estimator ml")
    if missing == "fiml":
        if estimator == "mlr":
            raise FipError("--estimator mlr with --nan-policy fiml: robust statistics with full-information ML "
                           "are not built; use --estimator ml")
        from fip.cfa.fiml import fit_cfa_fiml

        return fit_cfa_fiml(spec, data, group=group, std_lv=std_lv, group_equal=group_equal,
                            group_partial=group_partial)
    mom, labels, dropped, raws, pairs_min = _moments(data, spec.items, group, missing)
    means = (len(labels) > 1) if meanstructure is None else meanstructure
    if group is not None and not means:
        means = True
    p = len(spec.items)
    for lab, n in zip(labels, mom.n):
        if n <= p:
            raise FipError(
                f"group {lab!r} of {group!r}: fewer persons with complete answers than items ({p}); "
                "the group's covariance matrix cannot be estimated"
            )
    if parameters is None:
        params = build_parameters(
            spec, len(labels), std_lv=std_lv, meanstructure=means, group_equal=group_equal, group_partial=group_partial
        )
    else:
        params = _checked_parameters(parameters, len(labels), means, group_equal, group_partial)
    npar = 1 + max(q.free for q in params)
    x = _start(spec, params, mom, npar)
    f = _objective(spec, params, x, mom, means)
    converged = False
    it = 0
    for it in range(1, max_iter + 1):
        grad, info = _grad_info(spec, params, x, mom, means)
        if np.max(np.abs(grad)) < tol:
            converged = True
            break
        found = _line_search(spec, params, x, f, mom, means, grad, info, 0.0)
        # a Fisher step that cannot decrease F (information singular at the current point, e.g. a
        # two-item factor with zero covariances at the start): Levenberg–Marquardt damping
        damping = 1e-4 * max(float(np.max(np.diag(info))), 1e-12)
        while found is None and damping < 1e6:
            found = _line_search(spec, params, x, f, mom, means, grad, info, damping)
            damping *= 100.0
        if found is None:
            break
        xn, fn = found
        x, f = xn, fn
    _, info = _grad_info(spec, params, x, mom, means)
    vcov = np.linalg.pinv(mom.n.sum() * info)
    res = CfaResult(
        spec=spec,
        params=tuple(params),
        x=x,
        vcov=vcov,
        groups=labels,
        n_groups_n=tuple(int(n) for n in mom.n),
        fmin=f,
        converged=converged,
        iterations=it,
        meanstructure=means,
        std_lv=std_lv,
        group_equal=tuple(group_equal),
        group_partial=tuple(group_partial),
        moments=mom,
        n_dropped=dropped,
        missing=missing,
        n_pairs_min=pairs_min,
    )
    if estimator == "mlr":
        from fip.cfa.robust import mlr_statistics

        rob = mlr_statistics(res, raws)
        res = replace(res, vcov=rob.vcov, estimator="mlr", robust=rob)
    return res


def _line_search(spec, params, x, f, mom, means, grad, info, damping: float):
    """``x − t·step`` with the largest t = 1, ½, ¼, ... that does not increase F, or None."""
    a = 2.0 * (info + damping * np.eye(info.shape[0]))
    try:
        step = np.linalg.solve(a, grad)
    except np.linalg.LinAlgError:
        step = np.linalg.pinv(a) @ grad
    t = 1.0
    while t > 1e-8:
        xn = x - t * step
        fn = _objective(spec, params, xn, mom, means)
        if np.isfinite(fn) and fn <= f + 1e-14:
            return xn, fn
        t /= 2
    return None


def _checked_parameters(parameters: Sequence[Param], n_groups: int, means: bool,
                        group_equal: Sequence[str], group_partial: Sequence[str]) -> list[Param]:
    if group_equal or group_partial:
        raise ValueError("parameters: give either a parameter table or group_equal/group_partial, not both")
    params = list(parameters)
    free = sorted({q.free for q in params if q.free >= 0})
    if free != list(range(len(free))) or not free:
        raise ValueError("parameters: free indices must be 0..k-1 with k >= 1")
    if any(q.group >= n_groups for q in params):
        raise ValueError(f"parameters: group index beyond the {n_groups} group(s) of the data")
    if not means and any(q.kind in ("nu", "alpha") for q in params):
        raise ValueError("parameters: intercepts or latent means need meanstructure=True")
    return params


def _std_values(res: CfaResult, x: np.ndarray) -> np.ndarray:
    out = np.full(len(res.params), np.nan)
    mats = [_matrices(res.spec, res.params, x, g) for g in range(len(res.groups))]
    for k, q in enumerate(res.params):
        mm = mats[q.group]
        sd_y = np.sqrt(np.diag(mm["sigma"]))
        sd_f = np.sqrt(np.diag(mm["psi"]))
        th = np.diag(mm["theta"])
        if q.kind == "lambda":
            out[k] = mm["lambda"][q.row, q.col] * sd_f[q.col] / sd_y[q.row]
        elif q.kind == "theta":
            if q.row == q.col:
                out[k] = th[q.row] / sd_y[q.row] ** 2
            else:
                out[k] = mm["theta"][q.row, q.col] / np.sqrt(th[q.row] * th[q.col])
        elif q.kind == "psi":
            out[k] = mm["psi"][q.row, q.col] / (sd_f[q.row] * sd_f[q.col])
        elif q.kind == "nu":
            out[k] = mm["nu"][q.row] / sd_y[q.row]
        else:
            out[k] = mm["alpha"][q.row] / sd_f[q.row]
    return out


def _standardized(res: CfaResult, h: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    """std.all values and their delta-method SEs (numerical Jacobian)."""
    from fip.cfa._numdiff import central_jacobian, delta_method_se

    jac = central_jacobian(lambda v: _std_values(res, v), res.x, h)
    # NaN where the std value is constant (e.g. a variance in std.all)
    return _std_values(res, res.x), delta_method_se(jac, res.vcov, constant_below=1e-7)
