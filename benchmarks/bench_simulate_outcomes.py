"""Benchmark: fip.simulate.outcomes.simulate_outcomes for 10^4, 10^5, 10^6 persons.

Inputs come from ``example_inputs`` (study-like rounds: 45 % with a 2nd round, some with
3-5; about 11 panel months per person). Each size runs in a fresh subprocess so its peak
memory (max RSS) is its own. Printed per size: seconds to build the inputs, seconds to
simulate the panel, panel rows, and peak RSS.

Target (brief): 10^6 persons x ~20 months in seconds, not minutes.

Usage: python benchmarks/bench_simulate_outcomes.py [--sizes 10000 100000 1000000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def run_one(n: int) -> dict:
    import numpy as np

    from fip.instrument import load_instrument
    from fip.simulate.outcome_calibration import example_inputs
    from fip.simulate.outcomes import simulate_outcomes

    inst = load_instrument()
    t = time.perf_counter()
    persons, meas = example_inputs(n, inst, np.random.default_rng(1))
    t_inputs = time.perf_counter() - t
    t = time.perf_counter()
    panel = simulate_outcomes(persons, meas, inst, np.random.default_rng(2))
    t_sim = time.perf_counter() - t
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"persons": n, "measurements": len(meas), "rows": len(panel),
            "inputs_s": round(t_inputs, 2), "simulate_s": round(t_sim, 2),
            "rows_per_person": round(len(panel) / n, 1), "peak_rss_mb": round(rss_mb)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return
    for n in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True,
                             text=True, check=True)
        print(out.stdout.strip())


if __name__ == "__main__":
    main()
