"""Write the wide citizen data for make_reference_longitudinal.R.

The synthetic FIP cohort ``fip.simulate.simulate_cohort(seed=0)``: persons measured in rounds 1
and 2 (``fip.data.pair_forms`` measurements), the 11 citizen items as ``cNN_r1``, ``cNN_r2``,
one row per person in person order, without the person id. Run from the repository root:

    PYTHONPATH=src python tests/reference/cfa/make_longitudinal_data.py
"""

from pathlib import Path

from fip.cfa.longitudinal import wide_rounds
from fip.simulate import simulate_cohort
from fip.study import Study

ITEMS = [f"c{k:02d}" for k in range(1, 12)]
OUT = Path(__file__).with_name("fip_citizen_wide.csv")


def wide_citizen(seed: int = 0):
    """The wide frame written to ``fip_citizen_wide.csv`` (tests rebuild it to check the file)."""
    m = Study(simulate_cohort(seed=seed)).measurements
    return wide_rounds(m, ITEMS, (1, 2)).drop(columns="person_id")


if __name__ == "__main__":
    wide_citizen().to_csv(OUT, index=False, lineterminator="\n")
