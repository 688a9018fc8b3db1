"""Benchmark: the graded response model and likelihood-ratio DIF on psych's bfi, and the validity report's IRT section.

Times (wall clock, and process CPU to show how much a busy machine stretched the wall time):

* ``fit_grm`` of bfi N1-N5 (2,800 persons, 6 categories) by EM and by direct BFGS;
* ``lr_dif`` of N1-N5 by gender (the constrained two-group model and five freed models);
* the validity report's IRT section on all five bfi scales, without and with ``--by gender``.

Usage: python benchmarks/bench_irt.py [--skip-report]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from fip.data import load_dataset
from fip.indices import load_index_definitions
from fip.instrument import load_instrument
from fip.irt import fit_grm
from fip.irt.lrdif import lr_dif
from fip.report.validity import ValidityOptions, validity_report
from fip.study import Study

BFI = Path(__file__).resolve().parents[1] / "examples" / "data" / "bfi"


def timed(label: str, fn) -> object:
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    print(f"{label:<55} wall {time.perf_counter() - w:7.1f} s   cpu {time.process_time() - c:7.1f} s")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-report", action="store_true")
    args = ap.parse_args()
    forms = pd.read_csv(BFI / "forms.csv").set_index("person_id")
    gender = pd.read_csv(BFI / "persons.csv").set_index("person_id")["gender"].reindex(forms.index)
    items = forms[["N1", "N2", "N3", "N4", "N5"]]
    timed("fit_grm bfi N1-N5, EM", lambda: fit_grm(items))
    timed("fit_grm bfi N1-N5, direct BFGS", lambda: fit_grm(items, method="direct"))
    timed("lr_dif bfi N1-N5 by gender (6 two-group fits)", lambda: lr_dif(items, gender))
    if args.skip_report:
        return
    ds = load_dataset(BFI, load_instrument(BFI / "instrument.yaml"))
    study = Study(ds, definitions=load_index_definitions(BFI / "indices.yaml", instrument=ds.instrument))
    timed("validity report, IRT section, 5 scales", lambda: validity_report(study, ValidityOptions(), sections=("irt",)))
    timed("validity report, IRT section, 5 scales, --by gender",
          lambda: validity_report(study, ValidityOptions(invariance_by=("gender",)), sections=("irt",)))
    timed("validity report, whole, --by gender", lambda: validity_report(study, ValidityOptions(invariance_by=("gender",))))
    timed("validity report, whole, --by gender --no-irt",
          lambda: validity_report(study, ValidityOptions(invariance_by=("gender",), irt=False)))


if __name__ == "__main__":
    main()
