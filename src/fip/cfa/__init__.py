"""Confirmatory factor analysis and measurement invariance, matching lavaan 0.6 (ML).

Modules: :mod:`fip.cfa.spec` (model), :mod:`fip.cfa.estimate` (ML estimation),
:mod:`fip.cfa.fit` (fit indices), :mod:`fip.cfa.invariance` (multi-group sequence),
:mod:`fip.cfa.longitudinal` (the same items over rounds: one model, equalities over time).
"""

from fip.cfa.estimate import CfaResult, fit_cfa
from fip.cfa.spec import ModelSpec, parse_model, read_model, spec_from_definitions

__all__ = ["CfaResult", "ModelSpec", "fit_cfa", "parse_model", "read_model", "spec_from_definitions"]
