"""Time `fip replicate` on the default synthetic cohort: cold processes, this tree against another ref.

Run: PYTHONPATH=src /work/venv/bin/python benchmarks/bench_replicate.py [--persons N] [--seed S]
     [--ref main] [--runs 5]
Target: under 6 s for `fip replicate` on the default cohort on a 2-core machine; `fip --help`
under 0.4 s. With two cores or more replicate draws the figures and runs the job-chance
validation on two worker processes (``fip.report._render``), so the machine's load weighs on
the timings more than before: note the load average printed at the end.

Cold processes: ``python -m fip.cli replicate --out TMP`` (and ``fip --help``) run ``--runs``
times each for this tree and for ``--ref`` (exported with ``git archive`` into a temporary
folder and run with its own PYTHONPATH), alternating the two so that a change in machine load
hits both; the medians of wall time and their ratio are printed, and the medians of CPU time
(user + system of the process and its workers), which other load on the machine moves much
less than the wall time: on a quiet 2-core machine replicate's wall time is about its CPU
time before the workers start (imports, about 1 s) plus half of the rest. With ``--persons``
both read the same dataset folder (written by this tree's ``fip simulate``) instead of the default cohort. Then,
in this process: seconds per step of one run, and the peer below.

Peer (same process, same data): the report's regression models fitted the way one would
without fip, statsmodels OLS with one dummy per caseworker (R ``lm(y ~ x + factor(cw))``),
against fip's ``fit_models`` (the within transformation, Stata ``areg``); the coefficients
are compared too, so the ratio is between two routes to the same numbers.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
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


HERE = Path(__file__).resolve().parent.parent


def _export(ref: str, into: Path) -> Path:
    """``src`` and ``configs`` of ``ref`` (git archive) under ``into``; returns its ``src``."""
    archive = subprocess.run(["git", "-C", str(HERE), "archive", ref, "src", "configs"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"


def _seconds(src: Path, args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system of the process and its workers) of one cold
    ``python -m fip.cli ARGS`` with ``src`` first on the path."""
    env = dict(os.environ, PYTHONPATH=str(src), MPLBACKEND="Agg")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "fip.cli", *args], env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def _cold(trees: dict[str, Path], args: list[str], runs: int) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) seconds per tree of ``runs`` cold runs, the trees alternating."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
    for _ in range(runs):
        for name, src in trees.items():
            times[name].append(_seconds(src, args))
    return {name: (statistics.median(w for w, _ in t), statistics.median(c for _, c in t))
            for name, t in times.items()}


def _compare(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        old = tmp_path / "old"
        old.mkdir()
        trees = {"this tree": HERE / "src", args.ref: _export(args.ref, old)}
        command = ["replicate", "--out", str(tmp_path / "out"), "--seed", str(args.seed)]
        if args.persons is not None:
            data = tmp_path / "data"
            subprocess.run([sys.executable, "-m", "fip.cli", "simulate", "--persons", str(args.persons), "--seed",
                            str(args.seed), "--out", str(data)], env=dict(os.environ, PYTHONPATH=str(HERE / "src")),
                           check=True, stdout=subprocess.DEVNULL)
            command += ["--data", str(data)]
        load = os.getloadavg()[0]
        for label, cli in (("fip replicate", command), ("fip --help", ["--help"])):
            medians = _cold(trees, cli, args.runs)
            (new, new_cpu), (ref, ref_cpu) = medians["this tree"], medians[args.ref]
            print(f"{label:<14} median of {args.runs} cold runs: this tree {new:6.2f} s, {args.ref} {ref:6.2f} s "
                  f"(ratio {ref / new:.2f}x); CPU {new_cpu:.2f} s against {ref_cpu:.2f} s")
        print(f"load average at start {load:.1f}, at end {os.getloadavg()[0]:.1f} (2 cores shared)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ref", default="main", help="git ref to compare with (default main)")
    parser.add_argument("--runs", type=int, default=5, help="cold runs per tree (median)")
    args = parser.parse_args()
    _compare(args)
    start = time.perf_counter()
    from fip.regression import model_specs
    from fip.report import replicate
    from fip.simulate import simulate_cohort
    from fip.study import Study

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
    print(f"{'total':<14}{end - start:7.2f} s  (replicate alone {end - simulated:.2f} s; target < 6 s); "
          f"peak RSS during replicate {peak:.0f} MB")
    print(f"{len(result.tables)} tables, {len(result.figure_paths)} figures")
    from fip.report._render import default_workers

    if default_workers():
        print(f"({default_workers()} worker processes draw the figures and run the prediction: a step's seconds "
              "exclude its figures, 'prediction' is the wait for the worker, 'report' the wait for the figures)")

    analysis = Study(dataset).analysis
    fip_s, peer_s, gap, models = _peer_regressions(analysis, model_specs(analysis))
    print(f"regression models: {models}; fip fit_models {fip_s:.2f} s, statsmodels OLS with caseworker dummies "
          f"{peer_s:.2f} s (ratio {peer_s / fip_s:.1f}x); largest coefficient difference {gap:.1e}")


if __name__ == "__main__":
    main()
