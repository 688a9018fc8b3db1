"""Simulate graded-response data from known parameters (seeded)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fip.irt.grm import grm_category_probs

__all__ = ["simulate_grm"]


def simulate_grm(slopes: np.ndarray, intercepts: list[np.ndarray], n: int, *, seed: int,
                 theta_mean: float = 0.0, theta_sd: float = 1.0, start: int = 1) -> pd.DataFrame:
    """Answers ``start, start+1, ...`` of ``n`` persons with θ ~ N(theta_mean, theta_sd²) under a GRM.

    Examples
    --------
    >>> simulate_grm(np.array([1.0]), [np.array([0.5, -0.5])], 3, seed=1).shape
    (3, 1)
    """
    rng = np.random.default_rng(seed)
    theta = rng.normal(theta_mean, theta_sd, n)
    cols = {}
    for j, (a, d) in enumerate(zip(slopes, intercepts)):
        p = grm_category_probs(theta, a, np.asarray(d, dtype=float))
        u = rng.random(n)
        cols[f"x{j + 1}"] = start + (u[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
    return pd.DataFrame(cols)
