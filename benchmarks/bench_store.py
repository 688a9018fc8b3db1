"""Benchmark: import 10^6 persons (two rounds of forms, 12 months of outcomes) into the store.

The dataset is built directly with numpy (not the calibrated simulator): N persons, 4N forms
(citizen and caseworker at two rounds six months apart; every item of the respondent
answered 1-7), 12N outcome months; written once with ``fip.data.write_dataset``. Each
measured step runs in a fresh subprocess so its peak memory (VmHWM) is its own:

* ``import``   ``import_dataset`` into a new store (validation, screening, bulk insert);
* ``reimport`` the same folder again (every row matched: the idempotent path, rolled back);
* ``correct``  a folder with 1 % of the forms' first item changed (replace + history path);
* ``load``     ``load_store`` (the Dataset back from the store).

With ``--cpr`` the person ids are CPR-like and the import pseudonymises them (key from a
fixed test value). Target (issue 8): 10^6 persons imported in under 60 s and 4 GB.

Usage: python benchmarks/bench_store.py [--persons 1000000] [--format parquet|csv] [--cpr]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _memory import peak_mb

BENCH_KEY = "benchmark-pseudonym-key-0123456789"


def make_dataset(n: int, cpr: bool, seed: int = 0):
    """N persons, 4N forms, 12N outcome months with the normalised column contract."""
    import numpy as np
    import pandas as pd

    from fip.data import Dataset
    from fip.instrument import load_instrument

    inst = load_instrument()
    rng = np.random.default_rng(seed)
    k = np.arange(n)
    if cpr:  # ddmmyy-xxxx, unique per person
        ids = np.char.add(np.char.mod("%02d", 1 + k % 28), np.char.mod("%02d", 1 + (k // 28) % 12))
        ids = np.char.add(ids, np.char.mod("%02d", (k // 336) % 100))
        ids = np.char.add(np.char.add(ids, "-"), np.char.mod("%04d", k // 33600 + 1000 * (k % 7)))
    else:
        ids = np.char.mod("p%07d", k)
    ids = pd.array(ids.astype(object), dtype="str")
    day0 = np.datetime64("2016-01-01")
    persons = pd.DataFrame({
        "person_id": ids,
        "municipality": pd.array(np.char.mod("kommune_%02d", rng.integers(0, 98, n)).astype(object), dtype="str"),
        "gender": pd.array(np.where(rng.random(n) < 0.4, "female", "male").astype(object), dtype="str"),
        "birth_year": pd.array(rng.integers(1955, 2000, n), dtype="Int64"),
        "origin": pd.array(rng.choice(["Syria", "Eritrea", "Somalia", "Iran"], n).astype(object), dtype="str"),
        "education": pd.array(rng.choice(["primary", "beyond_primary", "none", "unknown"], n).astype(object), dtype="str"),
        "work_experience": pd.array(rng.choice(["yes", "no", "unknown"], n).astype(object), dtype="str"),
        "arrival_date": (day0 + rng.integers(0, 700, n).astype("timedelta64[D]")).astype("datetime64[us]"),
    })
    # forms: person x round x respondent
    reps = np.repeat(k, 4)
    rnd = np.tile([0, 0, 1, 1], n)
    resp = np.tile(np.array(["citizen", "caseworker"], dtype=object), 2 * n)
    first = day0 + np.timedelta64(730, "D") + rng.integers(0, 300, n).astype("timedelta64[D]")
    answered = first[reps] + (rnd * 182 + np.tile([0, 1, 0, 1], n)).astype("timedelta64[D]")
    forms = {
        "person_id": ids.take(reps),
        "caseworker_id": pd.array(np.char.mod("cw%04d", rng.integers(0, 3000, n))[reps].astype(object), dtype="str"),
        "respondent": pd.array(resp, dtype="str"),
        "answered_on": answered.astype("datetime64[us]"),
        "language": pd.array(np.where(resp == "citizen", "ar", "da"), dtype="str"),
    }
    scores = rng.integers(1, 8, (4 * n, len(inst.items)))
    for j, item in enumerate(inst.items):
        mask = resp != item.respondent
        forms[item.id] = pd.arrays.IntegerArray(scores[:, j], mask)
    forms = pd.DataFrame(forms)
    # outcomes: 12 months from the month of round 2
    reps12 = np.repeat(k, 12)
    start = (first + np.timedelta64(182, "D")).astype("datetime64[M]")
    months = start[reps12] + np.tile(np.arange(12), n).astype("timedelta64[M]")
    rate = np.where(rng.random(12 * n) < 0.7, 0.0, np.round(rng.random(12 * n), 4))
    outcomes = pd.DataFrame({
        "person_id": ids.take(reps12),
        "month": pd.PeriodIndex(months.astype("datetime64[D]"), freq="M").array,
        "employment_rate": rate,
        "ordinary_employment": rate > 0.5,
        "education": rng.random(12 * n) < 0.05,
    })
    return Dataset(persons, forms, outcomes, inst)


def child(step: str, folder: str, store: str) -> None:
    """One measured step in this (fresh) process; prints a JSON line."""
    if step == "load":
        from fip.store import load_store

        start = time.perf_counter()
        ds = load_store(store)
        info = {"rows": len(ds.persons) + len(ds.forms) + len(ds.outcomes)}
    else:
        from fip.store import import_dataset

        start = time.perf_counter()
        report = import_dataset(folder, store, key=BENCH_KEY.encode(), user="bench")
        info = {"import_id": report.import_id, "pseudonymised": report.pseudonymised,
                **{t.table: [t.inserted, t.replaced, t.unchanged] for t in report.tables}}
    seconds = time.perf_counter() - start
    print(json.dumps({"step": step, "seconds": seconds, "peak_mb": peak_mb(), **info}))


def run(step: str, folder: Path, store: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", step, str(folder), str(store)],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{step} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--format", default="parquet", choices=("parquet", "csv"))
    parser.add_argument("--cpr", action="store_true", help="CPR-like person ids (pseudonymised on import)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    import numpy as np

    from fip.data import Dataset, write_dataset

    tmp = Path(tempfile.mkdtemp(prefix="bench_store."))
    try:
        t0 = time.perf_counter()
        ds = make_dataset(args.persons, args.cpr)
        folder = write_dataset(ds, tmp / "q1", format=args.format)
        forms = ds.forms.copy()
        hit = np.arange(0, len(forms), 100)
        first_item = ds.instrument.item_ids("citizen")[0]
        citizen = (forms["respondent"] == "citizen").to_numpy()[hit]
        forms.loc[hit[citizen], first_item] = 8 - forms.loc[hit[citizen], first_item]
        corrected = write_dataset(Dataset(ds.persons, forms, ds.outcomes, ds.instrument), tmp / "q2",
                                  format=args.format)
        sizes = (len(ds.persons), len(ds.forms), len(ds.outcomes))
        del ds, forms
        print(f"dataset: {sizes[0]:,} persons, {sizes[1]:,} forms, {sizes[2]:,} outcome months "
              f"({args.format}{', CPR ids' if args.cpr else ''}); built and written in "
              f"{time.perf_counter() - t0:.1f} s")
        store = tmp / "fip.duckdb"
        env_key = os.environ.get("FIP_PSEUDONYM_KEY")
        for step, source in (("import", folder), ("reimport", folder), ("correct", corrected), ("load", folder)):
            r = run(step, source, store)
            extra = {k: v for k, v in r.items() if k not in ("step", "seconds", "peak_mb")}
            print(f"{step:9s} {r['seconds']:7.1f} s  peak {r['peak_mb'] / 1024:5.2f} GB  {extra}")
        print(f"store file: {store.stat().st_size / 2**20:.0f} MB (env key set: {bool(env_key)})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
