"""Time `fip replicate` on the default synthetic cohort: seconds per section and in total.

Run: /work/venv/bin/python benchmarks/bench_replicate.py [--persons N] [--seed S]
Target: under 15 s in total for the default cohort on a 2-core machine.

Peer (same process, same data): the report's regression models fitted the way one would
without fip, statsmodels OLS with one dummy per caseworker (R ``lm(y ~ x + factor(cw))``),
against fip's ``fit_models`` (the within transformation, Stata ``areg``); the coefficients
are compared too, so the ratio is between two routes to the same numbers.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _memory import peak_mb, reset_peak  # noqa: E402


def _peer_regressions(analysis, specs) -> tuple[float, float, float, int]:
    """Seconds for fip's fits and for statsmodels with dummies; largest coefficient gap; models."""
    import numpy as np
    import pandas as pd
    import statsmodels.api as sm

    from fip.regression import fit_models

    start = time.perf_counter()
    ours = fit_models(analysis, specs, include_controls=True)
    fip_seconds = time.perf_counter() - start
    table = analysis.table
    start = time.perf_counter()
    gap, models = 0.0, 0
    for spec in specs:
        regressors = list(spec.regressors) + (list(analysis.controls) if spec.controls else [])
        for outcome in analysis.outcomes:
            data = table[[outcome, *regressors, "caseworker_id"]].dropna()
            dummies = pd.get_dummies(data["caseworker_id"], drop_first=True, dtype=float)
            x = sm.add_constant(pd.concat([data[regressors], dummies], axis=1))
            fit = sm.OLS(data[outcome].to_numpy(dtype=float), x.to_numpy(dtype=float)).fit()
            coef = pd.Series(fit.params[1: 1 + len(regressors)], index=regressors)
            mine = ours[(ours["model"] == spec.model) & (ours["outcome"] == outcome)
                        & (ours["controls"] == spec.controls)].set_index("term")["coef"]
            gap = max(gap, float(np.max(np.abs(mine[regressors].to_numpy() - coef.to_numpy()))))
            models += 1
    return fip_seconds, time.perf_counter() - start, gap, models


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    start = time.perf_counter()
    from fip.regression import build_analysis_table, model_specs
    from fip.report import replicate
    from fip.simulate import simulate_cohort

    imported = time.perf_counter()
    dataset = simulate_cohort(args.persons, seed=args.seed)
    simulated = time.perf_counter()
    reset_peak()
    with tempfile.TemporaryDirectory() as out:
        result = replicate(dataset, out, seed=args.seed, source=f"synthetic cohort (seed {args.seed})", synthetic=True)
    end = time.perf_counter()
    peak = peak_mb()
    print(f"{'import':<14}{imported - start:7.2f} s")
    print(f"{'simulate':<14}{simulated - imported:7.2f} s  ({len(dataset.persons)} persons)")
    for step, seconds in result.timings.items():
        print(f"{step:<14}{seconds:7.2f} s")
    print(f"{'total':<14}{end - start:7.2f} s  (replicate alone {end - simulated:.2f} s; target < 15 s); "
          f"peak RSS during replicate {peak:.0f} MB")
    print(f"{len(result.tables)} tables, {len(result.figure_paths)} figures")

    analysis = build_analysis_table(dataset)
    fip_s, peer_s, gap, models = _peer_regressions(analysis, model_specs(analysis))
    print(f"regression models: {models}; fip fit_models {fip_s:.2f} s, statsmodels OLS with caseworker dummies "
          f"{peer_s:.2f} s (ratio {peer_s / fip_s:.1f}x); largest coefficient difference {gap:.1e}")


if __name__ == "__main__":
    main()
