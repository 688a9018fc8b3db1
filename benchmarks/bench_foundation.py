"""Benchmark: simulate, write, load+validate and pair a cohort of 10^4, 10^5, 10^6 persons.

Each size runs in a fresh subprocess so its peak memory (max RSS) is its own. Printed per
stage: seconds; per size: peak RSS. Peers, timed in the same process on the same files:
bare ``pandas.read_csv``/``read_parquet`` of the three tables (what validation costs on top
of reading) and a naive pandas merge of citizen and caseworker forms on person and month
(what pairing costs beside the simplest join).

Target (issue 3): 10^6 persons simulated, validated and paired in under 2 minutes and 4 GB
on the 2-core reference machine.

Usage: python benchmarks/bench_foundation.py [--sizes 10000 100000 1000000] [--format csv]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _memory import peak_mb, reset_peak


def run_one(n: int, fmt: str) -> dict:
    import pandas as pd

    from fip.data import load_dataset, pair_forms, write_dataset
    from fip.simulate import simulate_cohort

    timings: dict[str, float] = {}
    peaks: dict[str, float] = {}

    def stage(name: str, func):
        reset_peak()
        start = time.perf_counter()
        value = func()
        timings[name] = time.perf_counter() - start
        peaks[name] = peak_mb()
        return value

    ds = stage("simulate", lambda: simulate_cohort(n, seed=1))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        stage("write", lambda: write_dataset(ds, folder, format=fmt))
        del ds
        loaded = stage("load_validate", lambda: load_dataset(folder))
        pairing = stage("pair", lambda: pair_forms(loaded))
        # Peer 1: bare reading of the same files, no parsing or validation.
        reader = pd.read_csv if fmt == "csv" else pd.read_parquet
        raw = stage("peer_bare_read", lambda: {name: reader(folder / f"{name}.{fmt}")
                                               for name in ("persons", "forms", "outcomes")})
        rows = {name: len(frame) for name, frame in raw.items()}
        del raw

        # Peer 2: naive same-month join of citizen and caseworker forms.
        def naive_merge():
            forms = loaded.forms.assign(month=loaded.forms["answered_on"].dt.to_period("M"))
            cit = forms[forms["respondent"] == "citizen"]
            cw = forms[forms["respondent"] == "caseworker"]
            return cit.merge(cw, on=["person_id", "month"], suffixes=("_c", "_w"))

        naive = stage("peer_naive_merge", naive_merge)
        rows["measurements"] = len(pairing.measurements)
        rows["naive_pairs"] = len(naive)
    peak = max(v for k, v in peaks.items() if not k.startswith("peer"))
    return {"n": n, "format": fmt, "seconds": timings, "peak_mb_by_stage": peaks, "rows": rows,
            "peak_rss_mb": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--format", choices=["csv", "parquet"], default="csv")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child, args.format)))
        return
    print(f"fip foundation benchmark ({args.format}); seconds per stage, peak RSS per size")
    header = f"{'persons':>9} {'simulate':>9} {'write':>7} {'load+val':>9} {'pair':>7} {'total':>7} " \
             f"{'peak MB':>8} | {'bare read':>9} {'val/read':>8} {'naive':>7} {'pair/naive':>10}"
    print(header)
    for n in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--child", str(n), "--format", args.format],
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        s = r["seconds"]
        total = s["simulate"] + s["load_validate"] + s["pair"]
        print(f"{n:>9,} {s['simulate']:>9.2f} {s['write']:>7.2f} {s['load_validate']:>9.2f} {s['pair']:>7.2f} "
              f"{total:>7.2f} {r['peak_rss_mb']:>8.0f} | {s['peer_bare_read']:>9.2f} "
              f"{s['load_validate'] / s['peer_bare_read']:>8.2f} {s['peer_naive_merge']:>7.2f} "
              f"{s['pair'] / s['peer_naive_merge']:>10.2f}")
        print(f"{'':>9} rows: {r['rows']}")
        print(f"{'':>9} peak MB by stage (RSS high-water mark, reset before each stage): "
              + ", ".join(f"{k} {v:.0f}" for k, v in r["peak_mb_by_stage"].items()))
    print("total = simulate + load/validate + pair (write excluded); peak MB = highest fip stage "
          "(the peers run after, with the loaded dataset still in memory); target for 10^6: < 120 s, < 4096 MB")


if __name__ == "__main__":
    main()
