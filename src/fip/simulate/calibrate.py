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

The analysis itself is :func:`fip.factors.factor_analysis` (``method="pf"``,
``rotation="varimax"``); its columns are matched to the published ones with
:func:`fip.factors.tucker_congruence`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fip.factors import factor_analysis, tucker_congruence
from fip.instrument import Instrument, load_instrument
from fip.simulate.answers import draw_scores, fip_model, published_target
from fip.simulate.calibration import load_calibration

__all__ = ["CalibrationFit", "Estimate", "estimate_loadings", "fit_generating_loadings"]


@dataclass(frozen=True)
class Estimate:
    """Stata's default analysis of one respondent's items, matched to the published table.

    Attributes
    ----------
    loadings : ndarray (items, factors)
        pf + unnormalised varimax loadings, columns reordered and sign-flipped to the
        published factors.
    congruence : ndarray (factors,)
        Tucker congruence of each matched column with the published one.
    first_eigenvalue, first_proportion : float
        Unrotated pf: first eigenvalue and its Stata Proportion.
    """

    loadings: np.ndarray
    congruence: np.ndarray
    first_eigenvalue: float
    first_proportion: float


def estimate_loadings(corr: np.ndarray, target: pd.DataFrame) -> Estimate:
    """Principal factors + varimax of ``corr``, aligned to the published ``target``.

    Parameters
    ----------
    corr : ndarray (items, items)
        Correlation matrix of the items in ``target``'s row order.
    target : DataFrame
        Published loadings (items x factors), e.g. :func:`fip.simulate.answers.published_target`.

    Returns
    -------
    Estimate

    Examples
    --------
    Columns come back in the target's order, whatever order varimax gives:

    >>> import numpy as np, pandas as pd
    >>> lam = np.array([[.8, 0], [.7, 0], [.6, .1], [0, .8], [.1, .7], [0, .6]])
    >>> r = lam @ lam.T
    >>> np.fill_diagonal(r, 1.0)
    >>> target = pd.DataFrame(lam[:, ::-1], index=[f"x{i}" for i in range(1, 7)], columns=["B", "A"])
    >>> est = estimate_loadings(r, target)
    >>> est.congruence.round(3).tolist(), est.loadings[0].round(2).tolist()
    ([0.999, 0.999], [0.01, 0.71])
    """
    items = [str(i) for i in target.index]
    frame = pd.DataFrame(np.asarray(corr, dtype=float), index=items, columns=items)
    unrotated = factor_analysis(frame, n_factors=target.shape[1], method="pf")
    rotated = unrotated.rotate("varimax")
    ref = pd.DataFrame(target.to_numpy(dtype=float), index=items, columns=target.columns)
    match = tucker_congruence(ref, rotated.loadings)          # one row per published factor
    loadings = rotated.loadings[list(match["factor_b"])].to_numpy() * match["sign"].to_numpy()
    return Estimate(
        loadings=loadings,
        congruence=match["congruence"].to_numpy(dtype=float),
        first_eigenvalue=float(unrotated.eigenvalues.iloc[0]),
        first_proportion=float(unrotated.variance["proportion"].iloc[0]),
    )


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
    targets = {resp: published_target(resp, instrument) for resp in ("citizen", "caseworker")}
    gen = {resp: t.to_numpy(dtype=float) for resp, t in targets.items()}
    est: dict[str, Estimate] = {}
    it = 0
    for it in range(1, max_iter + 1):
        corr = _sample_corr(instrument, cal, gen, domain_share, n, seed)
        est = {resp: estimate_loadings(corr[resp], target) for resp, target in targets.items()}
        worst = max(float(np.abs(est[r].loadings - targets[r].to_numpy()).max()) for r in targets)
        if worst < tol:
            break
        for resp, target in targets.items():
            gen[resp] = gen[resp] + step * (target.to_numpy() - est[resp].loadings)
    return CalibrationFit(
        loadings=gen,
        estimated={r: e.loadings for r, e in est.items()},
        max_abs_diff={r: float(np.abs(est[r].loadings - targets[r].to_numpy()).max()) for r in targets},
        congruence={r: e.congruence for r, e in est.items()},
        first_eigenvalue={r: e.first_eigenvalue for r, e in est.items()},
        first_proportion={r: e.first_proportion for r, e in est.items()},
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
