"""fip.regression: OLS with caseworker fixed effects (Stata ``areg``) and the study's models.

Examples
--------
>>> import pandas as pd
>>> from fip.regression import fit_fixed_effects_ols
>>> d = pd.DataFrame({"y": [1.0, 2, 4, 3, 6, 5], "x": [0.0, 1, 2, 0, 2, 1], "caseworker_id": list("aaabbb")})
>>> fit_fixed_effects_ols(d, "y", ["x"]).df_resid
3
"""

from fip.regression.analysis_table import (
    OUTCOME_MONTHS,
    OUTCOME_WINDOWS,
    OUTCOMES,
    AnalysisTable,
    OutcomeWindow,
    build_analysis_table,
    outcome_window,
    timing_dummies,
)
from fip.regression.families import FAMILIES, ModelSpec, fit_models, model_specs, run_family, stars
from fip.regression.tables import fit_comparison, publication_table
from fip.regression.reference import published_coefficients, published_fit_statistics
from fip.regression.fixed_effects import (
    VCE_TYPES,
    CollinearityWarning,
    FixedEffectsResult,
    fit_fixed_effects_ols,
    fit_fixed_effects_outcomes,
)

__all__ = [
    "OUTCOMES",
    "AnalysisTable",
    "OUTCOME_MONTHS",
    "OUTCOME_WINDOWS",
    "OutcomeWindow",
    "build_analysis_table",
    "outcome_window",
    "timing_dummies",
    "VCE_TYPES",
    "CollinearityWarning",
    "FixedEffectsResult",
    "fit_fixed_effects_ols",
    "fit_fixed_effects_outcomes",
    "FAMILIES",
    "ModelSpec",
    "fit_models",
    "model_specs",
    "run_family",
    "stars",
    "published_coefficients",
    "published_fit_statistics",
    "fit_comparison",
    "publication_table",
]
