"""Benchmark: fip.regression fixed-effects OLS (Stata areg) at register scale.

Design generated here: 10^6 persons, 20,000 caseworkers (uneven sizes, ~50 persons each),
30 regressors correlated with the caseworker effect, 4 outcomes. Timed:

1. ``fit_fixed_effects_outcomes`` on the full design, 4 outcomes sharing one within
   transformation and QR (target: under 10 s for all 4), for vce ols / robust / cluster.
2. statsmodels OLS with explicit caseworker dummies, only where the dummy matrix fits in
   memory: a subsample of 10^4 persons from 200 caseworkers (the full problem would need a
   10^6 x 20,000 dense matrix, 160 GB). fip on the same subsample, and the largest
   coefficient difference.
3. pyfixest ``feols`` (if installed; not a fip dependency) on the full design with iid SEs.

Usage: python benchmarks/bench_regression.py [--persons 1000000] [--caseworkers 20000]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd


def make_design(n: int, g: int, k: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    weights = rng.gamma(2.0, 1.0, g)
    group = rng.choice(g, size=n, p=weights / weights.sum())
    alpha = rng.normal(0, 1, g)[group]
    x = rng.normal(0, 1, (n, k)) + 0.5 * alpha[:, None]
    beta = rng.normal(0, 0.1, k)
    data = {f"x{j:02d}": x[:, j] for j in range(k)}
    lin = x @ beta + alpha
    data["y_rate"] = np.clip(0.1 + 0.05 * lin + rng.normal(0, 0.2, n), 0, 1)
    data["y_emp"] = (lin + rng.normal(0, 1, n) > 0.5).astype(np.float64)
    data["y_ord"] = (lin + rng.normal(0, 1, n) > 0.8).astype(np.float64)
    data["y_edu"] = (-0.3 * lin + rng.normal(0, 1, n) > 1.5).astype(np.float64)
    data["caseworker_id"] = group
    data["municipality"] = group % 98
    return pd.DataFrame(data)


OUTCOMES = ["y_rate", "y_emp", "y_ord", "y_edu"]


def timed(f, repeat: int = 1):
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--caseworkers", type=int, default=20_000)
    ap.add_argument("--regressors", type=int, default=30)
    args = ap.parse_args()

    from fip.regression import fit_fixed_effects_ols, fit_fixed_effects_outcomes

    t_make, df = timed(lambda: make_design(args.persons, args.caseworkers, args.regressors))
    regs = [c for c in df.columns if c.startswith("x")]
    print(f"design: {len(df):,} rows, {df['caseworker_id'].nunique():,} caseworkers, "
          f"{len(regs)} regressors, {len(OUTCOMES)} outcomes (built in {t_make:.1f} s)")

    results = {}
    for vce in ("ols", "robust", "cluster"):
        kw = {"cluster": "municipality"} if vce == "cluster" else {}
        s, fits = timed(lambda: fit_fixed_effects_outcomes(df, OUTCOMES, regs, vce=vce, **kw))
        results[vce] = fits
        print(f"fip, 4 outcomes, vce={vce:7s}: {s:6.2f} s")
    s1, _ = timed(lambda: fit_fixed_effects_ols(df, "y_emp", regs))
    print(f"fip, 1 outcome,  vce=ols    : {s1:6.2f} s (x4 = {4 * s1:.2f} s without reuse)")
    print(f"peak RSS so far: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")

    # statsmodels with explicit dummies on a subsample that fits in memory
    import statsmodels.api as sm

    sub = df[df["caseworker_id"] < 200]
    sub = sub.iloc[np.random.default_rng(2).permutation(len(sub))[:10_000]]
    print(f"subsample: {len(sub):,} rows, {sub['caseworker_id'].nunique()} caseworkers")

    def sm_fit():
        dummies = pd.get_dummies(sub["caseworker_id"], drop_first=True, dtype=float, prefix="cw")
        exog = sm.add_constant(pd.concat([sub[regs], dummies], axis=1))
        return [sm.OLS(sub[o], exog).fit() for o in OUTCOMES]

    s_sm, sm_res = timed(sm_fit, repeat=3)
    s_fip, fip_res = timed(lambda: fit_fixed_effects_outcomes(sub, OUTCOMES, regs), repeat=3)
    diff = max(float(np.max(np.abs(fip_res[o].params[regs].to_numpy() - r.params[regs].to_numpy())))
               for o, r in zip(OUTCOMES, sm_res))
    dse = max(float(np.max(np.abs(fip_res[o].bse[regs].to_numpy() / r.bse[regs].to_numpy() - 1)))
              for o, r in zip(OUTCOMES, sm_res))
    print(f"subsample, 4 outcomes: statsmodels+dummies {s_sm:.3f} s, fip {s_fip:.3f} s, "
          f"ratio {s_sm / s_fip:.1f}x; max |coef diff| {diff:.1e}, max SE rel diff {dse:.1e}")

    try:
        import pyfixest as pf
    except ImportError:
        print("pyfixest: not installed (pip install pyfixest to compare)")
        return
    fml = f"{'+'.join(OUTCOMES)} ~ {'+'.join(regs)} | caseworker_id"
    # keep singletons as areg does (pyfixest drops them by default)
    pf.feols(fml, data=df.iloc[:20_000], vcov="iid", fixef_rm="none")   # warm-up (numba)
    s_pf, pf_res = timed(lambda: pf.feols(fml, data=df, vcov="iid", fixef_rm="none"))
    s_ours = min(timed(lambda: fit_fixed_effects_outcomes(df, OUTCOMES, regs))[0] for _ in range(2))
    ours = results["ols"]
    diffs = []
    for o in OUTCOMES:
        f = pf_res.fetch_model(OUTCOMES.index(o), print_fml=False)
        diffs.append(float(np.max(np.abs(f.coef()[regs].to_numpy() - ours[o].params[regs].to_numpy()))))
        se_ratio = float(np.max(np.abs(f.se()[regs].to_numpy() / ours[o].bse[regs].to_numpy() - 1)))
    print(f"pyfixest {pf.__version__}, 4 outcomes, iid: {s_pf:.2f} s; fip {s_ours:.2f} s; "
          f"ratio pyfixest/fip {s_pf / s_ours:.2f}; max |coef diff| {max(diffs):.1e}; "
          f"SE rel diff (last outcome) {se_ratio:.1e} (pyfixest iid df convention may differ)")


if __name__ == "__main__":
    main()
