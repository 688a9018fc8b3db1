"""Synthetic FIP cohort calibrated to the VIVE (2020) study.

Real FIP data are confidential; this cohort is the default input of every fip command and
test. :func:`simulate_cohort` returns a :class:`~fip.data.dataset.Dataset`;
:func:`simulate_study` also returns the true measurements behind the forms. Targets,
sources and measured fit: ``configs/calibration.yaml`` and ``docs/calibration.md``.

Examples
--------
>>> from fip.simulate import simulate_cohort
>>> ds = simulate_cohort(seed=0)
>>> len(ds.persons)
1228
"""

from fip.simulate.calibration import load_calibration
from fip.simulate.cohort import default_n_persons
from fip.simulate.study import SimulatedStudy, simulate_cohort, simulate_study

__all__ = [
    "SimulatedStudy",
    "default_n_persons",
    "load_calibration",
    "simulate_cohort",
    "simulate_study",
]
