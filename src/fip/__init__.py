"""fip: a toolkit for the FIP questionnaire.

FIP (*Flygtninges og Indvandreres Progression i arbejdsmarkedsparathed*) measures refugees'
and immigrants' progression in job readiness: a citizen and the citizen's caseworker each
score the same competences on a 1-7 scale at intake and months later.

Modules, in the order data flows through them: :mod:`fip.instrument` (the questionnaire as
data), :mod:`fip.data` (read, validate, pair forms), :mod:`fip.store` (embedded store,
pseudonymisation), :mod:`fip.simulate` (calibrated synthetic cohort), :mod:`fip.describe`
(item means), :mod:`fip.factors` (factor analysis), :mod:`fip.indices` and
:mod:`fip.reliability`, :mod:`fip.regression` (areg-exact fixed-effects OLS),
:mod:`fip.predict` and :mod:`fip.star` (job chance, FIP star), :mod:`fip.cli` (the ``fip``
command).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("fip")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = ["__version__"]
