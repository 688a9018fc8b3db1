"""Time `fip replicate` on the default synthetic cohort: seconds per section and in total.

Run: /work/venv/bin/python benchmarks/bench_replicate.py [--persons N] [--seed S]
Target: under 15 s in total for the default cohort on a 2-core machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    start = time.perf_counter()
    from fip.report import replicate
    from fip.simulate import simulate_cohort

    imported = time.perf_counter()
    dataset = simulate_cohort(args.persons, seed=args.seed)
    simulated = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        result = replicate(dataset, out, seed=args.seed, source=f"synthetic cohort (seed {args.seed})", synthetic=True)
    end = time.perf_counter()
    print(f"{'import':<14}{imported - start:7.2f} s")
    print(f"{'simulate':<14}{simulated - imported:7.2f} s  ({len(dataset.persons)} persons)")
    for step, seconds in result.timings.items():
        print(f"{step:<14}{seconds:7.2f} s")
    print(f"{'total':<14}{end - start:7.2f} s  (replicate alone {end - simulated:.2f} s; target < 15 s)")


if __name__ == "__main__":
    main()
