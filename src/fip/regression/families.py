"""The study's model families (VIVE 2020, Tables 4.5-4.13) on an analysis table.

Every model is OLS with caseworker fixed effects (Stata ``areg``) of an outcome on the
round-1 level and the change (round 2 - round 1) of items or indices, with or without the
controls. The families, and the published table each corresponds to:

========================  ====================================================  ==========
family                    models                                                published
========================  ====================================================  ==========
items_alone               each item alone, without / with controls             (appendix)
all_items                 all items of one respondent together, controls       4.5, 4.6
overall_indices           each overall index alone, without / with controls    4.9
factor_index_alone        each factor index alone, without / with controls     4.10, 4.11
factor_indices_together   the factor indices of one family together, w/o/with  4.12, 4.13
========================  ====================================================  ==========

Examples
--------
>>> from fip.simulate import simulate_cohort
>>> from fip.regression import build_analysis_table, run_family
>>> at = build_analysis_table(simulate_cohort(seed=0))
>>> res = run_family(at, "overall_indices")
>>> res.query("model == 'citizen_overall' and outcome == 'emp_dummy' and term == 'citizen_overall_level'"
...           )[["controls", "published_coef"]].to_dict("records")
[{'controls': False, 'published_coef': 0.157}, {'controls': True, 'published_coef': 0.126}]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fip._options import check_option
from fip.regression.analysis_table import AnalysisTable
from fip.regression.fixed_effects import VCE_TYPES, fit_fixed_effects_outcomes
from fip.regression.reference import published_coefficients

__all__ = ["FAMILIES", "ModelSpec", "fit_models", "model_specs", "run_family", "stars"]

#: Model families, in the order of the report.
FAMILIES: tuple[str, ...] = (
    "items_alone", "all_items", "overall_indices", "factor_index_alone", "factor_indices_together",
)

# Which published table holds a family's coefficients: (family, model or index family,
# controls) -> table key in fip_published.yaml. ``None`` matches either.
_PUBLISHED_TABLES: tuple[tuple[str, str | None, bool | None, str], ...] = (
    ("all_items", "citizen", True, "table_4_5"),
    ("all_items", "caseworker", True, "table_4_6"),
    ("overall_indices", None, None, "table_4_9"),
    ("factor_index_alone", None, False, "table_4_10"),
    ("factor_index_alone", None, True, "table_4_11"),
    ("factor_indices_together", "citizen_factors", None, "table_4_12"),
    ("factor_indices_together", "caseworker_factors", None, "table_4_13"),
)

_FACTOR_FAMILIES = ("citizen_factors", "caseworker_factors", "combined_factors")


@dataclass(frozen=True)
class ModelSpec:
    """One regression: ``names`` (items or indices) enter as ``<name>_level`` and ``<name>_change``.

    ``group`` is what selects the published table (a respondent for ``all_items``, an index
    family for ``factor_indices_together``, else the index family or respondent of the name).
    """

    family: str
    model: str
    names: tuple[str, ...]
    controls: bool
    group: str

    @property
    def regressors(self) -> tuple[str, ...]:
        return tuple(f"{n}_{kind}" for n in self.names for kind in ("level", "change"))


def stars(p: float | np.ndarray | pd.Series) -> np.ndarray:
    """Significance stars of the report: + p<0.10, * p<0.05, ** p<0.01, *** p<0.001.

    Examples
    --------
    >>> stars([0.0005, 0.005, 0.03, 0.07, 0.2, float("nan")]).tolist()
    ['***', '**', '*', '+', '', '']
    """
    p = np.asarray(p, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.select([p < 0.001, p < 0.01, p < 0.05, p < 0.10], ["***", "**", "*", "+"], "").astype(object)


def model_specs(analysis: AnalysisTable, families: Sequence[str] | None = None) -> tuple[ModelSpec, ...]:
    """The models of the chosen families (default all) for this table's instrument and indices.

    Items and respondents come from the instrument; indices and their families from
    ``analysis.definitions`` (``overall``, ``citizen_factors``, ``caseworker_factors``,
    ``combined_factors``; combined factors are fitted without a published counterpart).
    """
    families = tuple(FAMILIES if families is None else families)
    for f in families:
        check_option("family", f, FAMILIES)
    inst = analysis.instrument
    respondent_of = inst.respondent_of()
    specs: list[ModelSpec] = []
    defs = analysis.definitions
    for family in families:
        if family == "items_alone":
            specs += [ModelSpec(family, item, (item,), c, respondent_of[item])
                      for c in (False, True) for item in inst.item_ids()]
        elif family == "all_items":
            specs += [ModelSpec(family, r, inst.item_ids(r), True, r)
                      for r in inst.measurement_respondents if inst.item_ids(r)]
        elif family == "overall_indices":
            specs += [ModelSpec(family, d.id, (d.id,), c, d.family)
                      for c in (False, True) for d in defs if d.family == "overall"]
        elif family == "factor_index_alone":
            specs += [ModelSpec(family, d.id, (d.id,), c, d.family)
                      for c in (False, True) for d in defs if d.family in _FACTOR_FAMILIES]
        else:
            for fam in _FACTOR_FAMILIES:
                ids = tuple(d.id for d in defs if d.family == fam)
                if ids:
                    specs += [ModelSpec(family, fam, ids, c, fam) for c in (False, True)]
    return tuple(specs)


def _published_table(spec: ModelSpec, regressor_keys: Sequence[str], keys: set[tuple[str, str]]) -> str:
    """The published table of a model, or "" (also when none of its regressors is in it)."""
    for family, group, controls, table in _PUBLISHED_TABLES:
        if family == spec.family and group in (None, spec.group) and controls in (None, spec.controls):
            return table if any((table, k) in keys for k in regressor_keys) else ""
    return ""


def fit_models(
    analysis: AnalysisTable,
    specs: Sequence[ModelSpec],
    *,
    outcomes: Sequence[str] | None = None,
    vce: str = "ols",
    include_controls: bool = False,
) -> pd.DataFrame:
    """Fit each model to each outcome; tidy rows with the published numbers beside ours.

    Parameters
    ----------
    analysis : AnalysisTable
    specs : sequence of ModelSpec
        From :func:`model_specs`.
    outcomes : sequence of str, optional
        Default ``analysis.outcomes``.
    vce : {"ols", "robust", "cluster"}
        ``"ols"`` as the study (areg default); ``"cluster"`` clusters by caseworker.
    include_controls : bool
        Also return the rows of the control terms and ``_cons``.

    Returns
    -------
    DataFrame
        One row per model, outcome and term: ``family``, ``table`` (published table key or
        empty), ``model``, ``outcome``, ``term`` (column name, e.g. ``c05_level``),
        ``regressor`` (item or index id), ``type`` (``level``/``change``/``control``/
        ``constant``), ``coef``, ``se``, ``t``, ``p``, ``stars``, ``n``, ``n_groups``,
        ``r2``, ``adj_r2``, ``df_resid``, ``df_inference`` (df of the t tests: ``df_resid``,
        or clusters − 1 with ``vce="cluster"``), ``controls`` (bool), ``fixed_effects``
        (``caseworker_id``), ``published_coef``, ``published_se``, ``published_stars``
        (NaN/empty where the report has no number).
    """
    check_option("vce", vce, VCE_TYPES)
    outcomes = tuple(analysis.outcomes if outcomes is None else outcomes)
    key_of = {d.id: d.published_key for d in analysis.definitions if d.published_key}
    published = published_coefficients().rename(
        columns={"regressor": "_key", "coef": "published_coef", "se": "published_se",
                 "stars": "published_stars"})
    published_keys = set(zip(published["table"], published["_key"]))
    frames = []
    for spec in specs:
        controls = analysis.controls if spec.controls else ()
        fits = fit_fixed_effects_outcomes(analysis.table, outcomes, spec.regressors, controls,
                                          absorb="caseworker_id", vce=vce)
        table = _published_table(spec, [key_of.get(n, n) for n in spec.names], published_keys)
        for outcome, res in fits.items():
            main = {t: (n, kind) for n in spec.names for kind in ("level", "change")
                    for t in [f"{n}_{kind}"]}
            # positions rather than labels: label lookups of four Series per fit were most of the time
            at = [j for j, t in enumerate(res.terms) if include_controls or t in main]
            terms = [res.terms[j] for j in at]
            regressor = [main[t][0] if t in main else t for t in terms]
            kind = [main[t][1] if t in main else ("constant" if t == "_cons" else "control") for t in terms]
            p = res.pvalues.to_numpy()[at]
            frames.append(pd.DataFrame({
                "family": spec.family, "table": table, "model": spec.model, "outcome": outcome,
                "term": terms, "regressor": regressor, "type": kind,
                "coef": res.params.to_numpy()[at], "se": res.bse.to_numpy()[at],
                "t": res.tvalues.to_numpy()[at], "p": p, "stars": stars(p),
                "n": res.n_obs, "n_groups": res.n_groups, "r2": res.r2, "adj_r2": res.adj_r2,
                "df_resid": res.df_resid, "df_inference": res.df_inference, "controls": spec.controls,
                "fixed_effects": res.absorb,
            }))
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    out["_key"] = out["regressor"].map(lambda r: key_of.get(r, r))
    out = out.merge(published, how="left", on=["table", "_key", "type", "outcome", "controls"],
                    validate="many_to_one").drop(columns="_key")
    out["published_stars"] = out["published_stars"].fillna("")
    return out.astype({c: "str" for c in ("family", "table", "model", "outcome", "term", "regressor",
                                           "type", "stars", "fixed_effects", "published_stars")})


def run_family(
    analysis: AnalysisTable,
    family: str,
    *,
    outcomes: Sequence[str] | None = None,
    vce: str = "ols",
    include_controls: bool = False,
) -> pd.DataFrame:
    """Fit one family of the study (see the module docstring); columns as :func:`fit_models`."""
    check_option("family", family, FAMILIES)
    return fit_models(analysis, model_specs(analysis, [family]), outcomes=outcomes, vce=vce,
                      include_controls=include_controls)
