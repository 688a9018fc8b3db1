"""Benchmark: fip.polychoric on 22 items x 1,000 persons (both FIP forms), against a naive version.

Data generated here (seed 1): 22 items from 3 correlated factors, cut into 1..7, 3 % missing.

* fip: all 231 pairs at once (Owen's T bivariate normal, vectorised bisection on the score).
* naive: per pair, ``scipy.stats.multivariate_normal.cdf`` for every cell and
  ``scipy.optimize.minimize_scalar`` (bounded) on the likelihood, as a direct translation of
  psych's ``polyc``. Timed on ``--naive-pairs`` pairs and extrapolated to 231; the largest
  difference between the two on those pairs is printed.

Usage: python benchmarks/bench_polychoric.py [--persons 1000] [--items 22] [--naive-pairs 6]
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np
import pandas as pd
from scipy import optimize, stats

from fip.polychoric import polychoric


def make_items(n: int, k: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    load = np.zeros((k, 3))
    load[np.arange(k), np.arange(k) % 3] = rng.uniform(0.5, 0.8, k)
    phi = np.array([[1, .3, .2], [.3, 1, .4], [.2, .4, 1]])
    f = rng.multivariate_normal(np.zeros(3), phi, size=n)
    latent = f @ load.T + rng.normal(size=(n, k)) * np.sqrt(1 - (load ** 2).sum(axis=1))
    cuts = [-1.6, -1.0, -0.4, 0.2, 0.8, 1.4]
    x = (np.digitize(latent, cuts) + 1).astype("float64")
    x[rng.random(x.shape) < 0.03] = np.nan
    return pd.DataFrame(x, columns=[f"i{j + 1:02d}" for j in range(k)])


def naive_pair(a: np.ndarray, b: np.ndarray, tau_a: np.ndarray, tau_b: np.ndarray) -> float:
    ok = ~(np.isnan(a) | np.isnan(b))
    tab = pd.crosstab(a[ok], b[ok]).reindex(index=range(1, 8), columns=range(1, 8), fill_value=0).to_numpy() / ok.sum()
    ca = np.concatenate([[-10], tau_a, [10]])  # ±10 stands in for ±inf (Φ(-10) ≈ 1e-23)
    cb = np.concatenate([[-10], tau_b, [10]])

    def nll(rho: float) -> float:
        mvn = stats.multivariate_normal(mean=[0, 0], cov=[[1, rho], [rho, 1]])
        F = np.array([[mvn.cdf([u, v]) for v in cb] for u in ca])
        P = F[1:, 1:] - F[:-1, 1:] - F[1:, :-1] + F[:-1, :-1]
        use = (P > 0) & (tab > 0)
        return -float((tab[use] * np.log(P[use])).sum())

    return optimize.minimize_scalar(nll, bounds=(-0.999, 0.999), method="bounded", options={"xatol": 1e-6}).x


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=1000)
    ap.add_argument("--items", type=int, default=22)
    ap.add_argument("--naive-pairs", type=int, default=6)
    args = ap.parse_args()
    data = make_items(args.persons, args.items)
    t = time.perf_counter()
    res = polychoric(data)
    fast = time.perf_counter() - t
    pairs = args.items * (args.items - 1) // 2
    print(f"fip.polychoric: {args.items} items x {args.persons} persons, {pairs} pairs: {fast:.2f} s")
    tau = res.thresholds.to_numpy()
    x = data.to_numpy()
    chosen = list(itertools.combinations(range(args.items), 2))[: args.naive_pairs]
    t = time.perf_counter()
    naive = [naive_pair(x[:, i], x[:, j], tau[i], tau[j]) for i, j in chosen]
    slow = time.perf_counter() - t
    diff = max(abs(r - res.correlation.iat[i, j]) for r, (i, j) in zip(naive, chosen))
    print(f"naive (scipy mvn cdf + minimize_scalar): {slow:.2f} s for {len(chosen)} pairs, "
          f"about {slow / len(chosen) * pairs:.0f} s for {pairs} pairs (x{slow / len(chosen) * pairs / fast:.0f})")
    print(f"largest |fip - naive| on those pairs: {diff:.1e} (naive xatol 1e-6)")


if __name__ == "__main__":
    main()
