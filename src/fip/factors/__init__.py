"""Exploratory factor analysis with Stata's defaults, for validating questionnaires.

``factor_analysis(data, n_factors, method="pf", rotation=None)`` reproduces Stata's
``factor`` (principal factor by default) and ``rotate`` (varimax, Kaiser off by default);
R's psych/GPArotation conventions are available as options. Diagnostics: KMO, Bartlett's
test, parallel analysis, scree data, Tucker congruence.

Modules: ``extraction`` (pf, ipf, minres, ml, pcf, pca), ``rotation``, ``result``
(:class:`FactorResult`), ``diagnostics``.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from fip.factors import factor_analysis
>>> L = np.array([[.8, 0], [.7, 0], [.6, .1], [0, .8], [.1, .7], [0, .6]])
>>> R = L @ L.T
>>> np.fill_diagonal(R, 1.0)
>>> names = [f"x{i}" for i in range(1, 7)]
>>> res = factor_analysis(pd.DataFrame(R, index=names, columns=names), n_factors=2)
>>> list(res.variance.columns)
['factor', 'eigenvalue', 'difference', 'proportion', 'cumulative']
>>> round(float(res.variance["cumulative"].iloc[-1]), 10)
1.0
"""

from fip.factors.diagnostics import (
    BartlettResult,
    KMOResult,
    ParallelResult,
    bartlett_sphericity,
    congruence_matrix,
    kmo,
    parallel_analysis,
    scree_data,
    tucker_congruence,
)
from fip.factors.extraction import METHODS, HeywoodCaseWarning, smc
from fip.factors.result import FactorResult, LRTest, factor_analysis, variance_table
from fip.factors.rotation import ROTATIONS, RotationOutcome, rotate_loadings, varimax_criterion
from fip.factors.scores import SCORE_METHODS, FactorScores, factor_scores, score_weights

__all__ = [
    "METHODS",
    "ROTATIONS",
    "SCORE_METHODS",
    "BartlettResult",
    "FactorResult",
    "FactorScores",
    "HeywoodCaseWarning",
    "KMOResult",
    "LRTest",
    "ParallelResult",
    "RotationOutcome",
    "bartlett_sphericity",
    "congruence_matrix",
    "factor_analysis",
    "factor_scores",
    "kmo",
    "parallel_analysis",
    "rotate_loadings",
    "score_weights",
    "scree_data",
    "smc",
    "tucker_congruence",
    "variance_table",
    "varimax_criterion",
]
