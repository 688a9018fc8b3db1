"""Fit the generating loadings of the FIP answer model to the published varimax loadings.

Cutting a latent normal into 7 categories, gender mean differences, caseworker intercepts
and shared residuals all change what a principal-factor analysis of the scores returns.
:func:`fit_generating_loadings` therefore searches, by fixed-point iteration, for the
loadings ``G`` such that Stata's default analysis (principal factor with SMC communalities,
one step; unnormalised varimax) of a large simulated round-1 sample generated with ``G``
returns the published loadings (Tables 4.7/4.8):

    G <- G + step * (published - estimated(G))     (estimated aligned to published)

The same random numbers are used in every iteration, so the map is smooth. The result is
pasted into ``configs/calibration.yaml`` (``answers.generating_loadings``); run this module
as a script to print the YAML block::

    python -m fip.simulate.calibrate

The small principal-factor/varimax code here serves the calibration only; the analysis
package (``fip.factors``) is independent of it, and the tests check the result with
statsmodels and factor_analyzer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from fip.instrument import Instrument, load_instrument
from fip.simulate.answers import draw_scores, fip_model, published_loadings
from fip.simulate.calibration import load_calibration

__all__ = [
    "CalibrationFit",
    "PrincipalFactors",
    "align",
    "congruence",
    "fit_generating_loadings",
    "principal_factors",
    "varimax",
]


@dataclass(frozen=True)
class PrincipalFactors:
    """One-step principal factors (Stata ``factor, pf``) of a correlation matrix.

    ``eigenvalues`` are all eigenvalues of the reduced matrix (SMCs on the diagonal), in
    decreasing order; ``proportion`` = eigenvalue / their sum (Stata's Proportion);
    ``loadings`` are the first ``n_factors`` eigenvectors times root eigenvalue.
    """

    eigenvalues: np.ndarray
    proportion: np.ndarray
    loadings: np.ndarray


def principal_factors(corr: np.ndarray, n_factors: int) -> PrincipalFactors:
    """Stata's default ``factor`` (pf): SMC communalities, one eigen-decomposition."""
    r = np.array(corr, dtype=float)
    smc = 1.0 - 1.0 / np.diag(np.linalg.inv(r))
    np.fill_diagonal(r, smc)
    val, vec = np.linalg.eigh(r)
    order = np.argsort(val)[::-1]
    val, vec = val[order], vec[:, order]
    load = vec[:, :n_factors] * np.sqrt(np.clip(val[:n_factors], 0, None))
    return PrincipalFactors(eigenvalues=val, proportion=val / val.sum(), loadings=load)


def varimax(loadings: np.ndarray, *, tol: float = 1e-12, max_iter: int = 2000) -> np.ndarray:
    """Unnormalised (Kaiser off) varimax rotation, Stata's ``rotate`` default."""
    a = np.asarray(loadings, dtype=float)
    p, k = a.shape
    rot = np.eye(k)
    crit = 0.0
    for _ in range(max_iter):
        lam = a @ rot
        u, s, vt = np.linalg.svd(a.T @ (lam**3 - lam * (lam**2).sum(axis=0) / p))
        rot = u @ vt
        old, crit = crit, s.sum()
        if old > 0 and crit < old * (1 + tol):
            break
    return a @ rot


def congruence(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Tucker congruence of matching columns of two loading matrices."""
    return (a * b).sum(axis=0) / np.sqrt((a**2).sum(axis=0) * (b**2).sum(axis=0))


def align(estimate: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Reorder and sign-flip the columns of ``estimate`` to best match ``target``.

    Columns are matched by the assignment maximising the summed absolute congruence.
    """
    num = estimate.T @ target
    den = np.sqrt(np.outer((estimate**2).sum(axis=0), (target**2).sum(axis=0)))
    c = num / den
    rows, cols = linear_sum_assignment(-np.abs(c))
    out = np.empty_like(target, dtype=float)
    for r, col in zip(rows, cols):
        out[:, col] = estimate[:, r] * np.sign(c[r, col])
    return out


@dataclass(frozen=True)
class CalibrationFit:
    """Result of :func:`fit_generating_loadings` per respondent.

    Attributes
    ----------
    loadings : dict respondent -> ndarray (items in instrument order, factors)
        Generating loadings.
    estimated : dict respondent -> ndarray
        pf + varimax loadings of the simulated sample, aligned to the published ones.
    max_abs_diff : dict respondent -> float
        Largest |estimated - published| at the end.
    congruence : dict respondent -> ndarray
        Tucker congruence per factor (estimated vs published).
    first_eigenvalue, first_proportion : dict respondent -> float
        Unrotated pf statistics of the simulated sample.
    iterations : int
    """

    loadings: dict[str, np.ndarray]
    estimated: dict[str, np.ndarray]
    max_abs_diff: dict[str, float]
    congruence: dict[str, np.ndarray]
    first_eigenvalue: dict[str, float]
    first_proportion: dict[str, float]
    iterations: int


def _sample_corr(instrument: Instrument, cal: Mapping[str, Any], loadings: Mapping[str, np.ndarray],
                 domain_share: Mapping[str, float] | None, n: int, seed: int) -> dict[str, np.ndarray]:
    model = fip_model(instrument, cal, loadings=loadings, domain_share=domain_share)
    rng = np.random.default_rng(seed)
    women = float(cal["persons"]["women_share"])
    male = np.arange(n) >= round(n * women)
    per_cw = cal["schedule"]["rounds"][0]["pairs"] / cal["caseworkers"]["caseworkers"]
    n_cw = max(1, round(n / per_cw))
    cw = np.arange(n) % n_cw
    draw = draw_scores(model, person=np.arange(n), round_=np.ones(n, int), male=male, caseworker=cw,
                       n_persons=n, n_caseworkers=n_cw, rng=rng)
    out = {}
    for resp in ("citizen", "caseworker"):
        cols = [instrument.item_ids().index(i) for i in instrument.item_ids(resp)]
        out[resp] = np.corrcoef(draw.scores[:, cols].astype(float), rowvar=False)
    return out


def fit_generating_loadings(*, n: int = 200_000, seed: int = 12345, step: float = 1.0,
                            max_iter: int = 40, tol: float = 0.002,
                            domain_share: Mapping[str, float] | None = None,
                            instrument: Instrument | None = None,
                            cal: Mapping[str, Any] | None = None) -> CalibrationFit:
    """Find generating loadings that reproduce the published varimax loadings.

    Parameters
    ----------
    n : int
        Simulated round-1 measurements per iteration (sampling error of a loading about
        ``1/sqrt(n)``).
    seed : int
        Seed of the (reused) random numbers.
    step : float
        Fixed-point step.
    max_iter, tol : int, float
        Stop when every |estimated - published| < ``tol``.
    domain_share : Mapping respondent -> float, optional
        Overrides ``answers.domain_share`` of the calibration file.
    instrument, cal : optional
        Default: the FIP instrument and ``configs/calibration.yaml``.
    """
    instrument = instrument or load_instrument()
    cal = cal or load_calibration()
    targets = {}
    for resp in ("citizen", "caseworker"):
        items, _factors, mat = published_loadings(resp)
        targets[resp] = mat[[items.index(i) for i in instrument.item_ids(resp)]]
    gen = {resp: t.copy() for resp, t in targets.items()}
    est: dict[str, np.ndarray] = {}
    pf: dict[str, PrincipalFactors] = {}
    it = 0
    for it in range(1, max_iter + 1):
        corr = _sample_corr(instrument, cal, gen, domain_share, n, seed)
        worst = 0.0
        for resp, target in targets.items():
            pf[resp] = principal_factors(corr[resp], target.shape[1])
            est[resp] = align(varimax(pf[resp].loadings), target)
            worst = max(worst, float(np.abs(est[resp] - target).max()))
        if worst < tol:
            break
        for resp, target in targets.items():
            gen[resp] = gen[resp] + step * (target - est[resp])
    return CalibrationFit(
        loadings=gen, estimated=est,
        max_abs_diff={r: float(np.abs(est[r] - targets[r]).max()) for r in targets},
        congruence={r: congruence(est[r], targets[r]) for r in targets},
        first_eigenvalue={r: float(pf[r].eigenvalues[0]) for r in targets},
        first_proportion={r: float(pf[r].proportion[0]) for r in targets},
        iterations=it,
    )


def _yaml_block(fit: CalibrationFit, instrument: Instrument) -> str:
    lines = ["  generating_loadings:"]
    for resp, mat in fit.loadings.items():
        lines.append(f"    {resp}:")
        for item, row in zip(instrument.item_ids(resp), mat):
            lines.append(f"      {item}: [{', '.join(f'{v:.4f}' for v in row)}]")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - a script for maintainers
    import sys

    inst = load_instrument()
    result = fit_generating_loadings(instrument=inst)
    sys.stdout.write(_yaml_block(result, inst) + "\n")
    sys.stdout.write(f"# iterations {result.iterations}; max |diff| {result.max_abs_diff}\n")
    sys.stdout.write(f"# first eigenvalue {result.first_eigenvalue}; proportion {result.first_proportion}\n")
