"""Benchmark: fip.cfa.ordinal (WLSMV) on simulated ordinal items.

Data generated here (seed 1): K items (1..7) on 3 correlated factors, N persons, no missing answers.
Times the sample statistics (thresholds, polychorics, Γ by per-person scores) and the whole fit
(DWLS, robust SEs, scaled-shifted χ², fit indices) separately.

Usage: OPENBLAS_NUM_THREADS=1 python benchmarks/bench_wlsmv.py [--persons 1000 5000] [--items 11 22]
(one BLAS thread: on a busy 2-core machine spinning OpenBLAS threads slow the small solves many times over).
Measured 2026-12-04 on the shared 2-core machine: 11 items × 1,000 persons 1.0 s for the whole fit, 22 × 1,000 3.7 s.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from fip.cfa.ordinal import fit_wlsmv, wlsmv_fit_indices
from fip.cfa.ordinal_moments import ordinal_moments
from fip.cfa.spec import parse_model


def make_items(n: int, k: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    load = np.zeros((k, 3))
    load[np.arange(k), np.arange(k) % 3] = rng.uniform(0.5, 0.8, k)
    phi = np.array([[1, .3, .2], [.3, 1, .4], [.2, .4, 1]])
    f = rng.multivariate_normal(np.zeros(3), phi, size=n)
    latent = f @ load.T + rng.normal(size=(n, k)) * np.sqrt(1 - (load ** 2).sum(axis=1))
    x = np.digitize(latent, [-1.6, -1.0, -0.4, 0.2, 0.8, 1.4]) + 1
    return pd.DataFrame(x, columns=[f"i{j + 1:02d}" for j in range(k)])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, nargs="+", default=[1000, 5000])
    ap.add_argument("--items", type=int, nargs="+", default=[11, 22])
    args = ap.parse_args()
    for k in args.items:
        cols = [f"i{j + 1:02d}" for j in range(k)]
        model = "\n".join(f"F{f + 1} =~ " + " + ".join(cols[f::3]) for f in range(3))
        spec = parse_model(model)
        for n in args.persons:
            d = make_items(n, k)
            t0 = time.perf_counter()
            mom = ordinal_moments(d, spec.items)
            t1 = time.perf_counter()
            res = fit_wlsmv(spec, d)
            fi = wlsmv_fit_indices(res)
            t2 = time.perf_counter()
            print(f"{k} items x {n} persons: statistics ({mom.gamma.shape[0]}) {t1 - t0:.2f} s, "
                  f"whole fit {t2 - t1:.2f} s ({res.iterations} iterations, chi2 scaled {fi.chisq:.2f} on {fi.df} df)")


if __name__ == "__main__":
    main()
