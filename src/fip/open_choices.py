"""What the study's text leaves open, what fip does, and how much the choice matters here.

The text (VIVE 2020, chapter 4) does not say everything a replication must decide. For each
open choice this module measures, on the study's data, how far the alternative moves the
results:

* **extraction** — principal factor (``pf``, Stata's default, fip's) or iterated principal
  factor (``ipf``); both fit the text's eigenvalue statements, principal components do not.
  Measured: the lowest Tucker congruence of the varimax factors of the two.
* **number of factors** — 3 citizen, 4 caseworker and 6 combined factors, not by the
  eigenvalue-one rule: the last kept factor's eigenvalue (reduced correlation matrix, pf)
  and how many factors that rule would keep.
* **index rule** — an index is missing when any item is (the study's Ns; fip's default) or
  computed from two thirds of the items: the overall-index models' N under each.
* **fixed effect** — the caseworker of round 2 (fip) or of round 1: the share of persons whose
  caseworker changed, and the largest change of an overall-index coefficient in SEs.
* **age** — at the date of round 2 (fip) or of round 1: the share whose age group differs.
* **timing controls** — a dummy per year and per quarter of the year (fip, 16 control
  parameters as the published N - DF imply) or one per calendar quarter: the largest change
  of an overall-index coefficient in SEs.

Examples
--------
>>> from fip.simulate import simulate_cohort
>>> from fip.study import Study
>>> choices = open_choices(Study(simulate_cohort(seed=0), until="2018-12-31"))
>>> choices.tidy()["choice"].unique().tolist()[:3]
['extraction', 'number of factors', 'index rule']
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from fip.factors.result import FactorResult
    from fip.study import Study

__all__ = ["OpenChoice", "OpenChoices", "open_choices"]


@dataclass(frozen=True)
class OpenChoice:
    """One open choice and one measure of how much it matters.

    Attributes
    ----------
    choice : str
        Short name (``extraction``, ``index rule`` ...).
    text : str
        What the study's text says.
    fip : str
        What fip does.
    alternative : str
        The alternative measured.
    measure : str
        What ``value`` is.
    value : float
        The measured difference (NaN where it could not be computed or rests on few persons).
    """

    choice: str
    text: str
    fip: str
    alternative: str
    measure: str
    value: float


@dataclass(frozen=True)
class OpenChoices:
    """The open choices of one study (:func:`open_choices`)."""

    rows: tuple[OpenChoice, ...]

    def tidy(self) -> pd.DataFrame:
        """One row per choice and measure: ``choice``, ``text``, ``fip``, ``alternative``, ``measure``, ``value``."""
        return pd.DataFrame([vars(r) for r in self.rows],
                            columns=["choice", "text", "fip", "alternative", "measure", "value"])


def _extraction_rows(study: Study, varimax: Mapping[str, FactorResult] | None) -> list[OpenChoice]:
    from fip.factors import factor_analysis, tucker_congruence
    from fip.study_config import study_facts

    rows = []
    factors = study_facts().factors
    for key in ("citizen", "caseworker", "both"):
        if key not in study.item_sets or key not in factors:
            continue
        corr = study.correlation(key)
        k = factors[key]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pf = (varimax or {}).get(key) or factor_analysis(corr.correlation, k, "pf", "varimax", n_obs=corr.n_obs)
            try:
                ipf = factor_analysis(corr.correlation, k, "ipf", "varimax", n_obs=corr.n_obs)
                congruence = float(tucker_congruence(pf.loadings, ipf.loadings)["congruence"].min())
            except (ValueError, np.linalg.LinAlgError):
                congruence = np.nan
        rows.append(OpenChoice("extraction", "a factor analysis with eigenvalues over 4 and 5 (method not named)",
                               "pf (Stata factor's default)", "ipf", f"{key}: lowest Tucker congruence of the "
                               "varimax factors", congruence))
        kaiser = int((np.linalg.eigvalsh(corr.correlation.to_numpy()) >= 1).sum())
        rows.append(OpenChoice("number of factors", f"{k} {key} factors (no rule stated)", f"{k} factors",
                               "eigenvalues of R >= 1", f"{key}: eigenvalue of factor {k} (pf, reduced matrix)",
                               float(pf.eigenvalues.iloc[k - 1])))
        rows.append(OpenChoice("number of factors", f"{k} {key} factors (no rule stated)", f"{k} factors",
                               "eigenvalues of R >= 1", f"{key}: factors that rule keeps", float(kaiser)))
    return rows


def _overall_fits(study: Study, analysis) -> pd.DataFrame:
    from fip.regression import run_family

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fits = run_family(analysis, "overall_indices")
    return fits.set_index(["model", "outcome", "controls", "term"])[["coef", "se"]]


def _largest_shift(a: pd.DataFrame, b: pd.DataFrame) -> float:
    both = a.join(b.add_suffix("_b"), how="inner")
    return float(((both["coef_b"] - both["coef"]).abs() / both["se"]).max()) if len(both) else np.nan


def _regression_rows(study: Study) -> list[OpenChoice]:
    from fip.indices import min_items_answered, score_indices
    from fip.regression.analysis_table import timing_dummies
    from fip.study import fitting_index_definitions

    analysis = study.analysis
    table = analysis.table
    overall = [d for d in analysis.definitions if d.family == "overall"]
    if not overall or len(table) == 0:
        return []
    policy = study.policy
    rows = []

    def counted(n: float) -> float:
        return np.nan if policy.is_small(n) else float(n)

    # index rule: persons of the regression sample with level and change of every overall index
    complete = table[[f"{d.id}_{kind}" for d in overall for kind in ("level", "change")]].notna().all(axis=1)
    lenient_defs = [d for d in fitting_index_definitions(study.instrument, "2/3") if d.family == "overall"]
    m = study.model_pairing.measurements
    if [(d.id, d.items, min_items_answered(d)) for d in lenient_defs] == [
            (d.id, d.items, min_items_answered(d)) for d in overall]:
        scores = study.model_index_scores     # the study already uses the two-thirds rule
    else:
        scores = score_indices(m, lenient_defs)
    scores = scores.assign(person_id=m["person_id"].astype("str").to_numpy())
    wide = scores.pivot_table(index="person_id", columns="round", values=[d.id for d in lenient_defs],
                              aggfunc="first", dropna=False)
    ok = pd.Series(True, index=wide.index)
    for d in lenient_defs:
        for r in (1, 2):
            ok &= wide.get((d.id, r), pd.Series(np.nan, index=wide.index)).notna()
    lenient = int(ok.reindex(table["person_id"].astype("str")).fillna(False).sum())
    text = "the overall index is the sum of the 11 items / 11 (section 4.6.4); Ns equal the complete-case Ns"
    # the two counts differ by the persons with a few items unanswered: 1-4 of them would follow by subtraction
    n_complete = int(complete.sum())
    rows.append(OpenChoice("index rule", text, "every item answered", "two thirds of the items",
                           "persons in the overall-index models, every item answered", counted(n_complete)))
    rows.append(OpenChoice("index rule", text, "every item answered", "two thirds of the items",
                           "persons in the overall-index models, two thirds answered",
                           np.nan if policy.is_small(lenient - n_complete) else counted(lenient)))

    base = _overall_fits(study, analysis)
    # fixed effect: the caseworker of round 1 instead of round 2
    r1 = m[m["round"] == 1].assign(person_id=m["person_id"].astype("str")).set_index("person_id")["caseworker_id"]
    first = r1.reindex(table["person_id"].astype("str")).astype("str").to_numpy()
    changed = int((first != table["caseworker_id"].astype("str").to_numpy()).sum())
    fe_text = "caseworker fixed effects (which round's caseworker is not said)"
    rows.append(OpenChoice("fixed effect", fe_text, "caseworker of round 2", "caseworker of round 1",
                           "persons whose caseworker changed between the rounds", counted(changed)))
    swapped = replace(analysis, table=table.assign(caseworker_id=pd.array(first, dtype="str")))
    rows.append(OpenChoice("fixed effect", fe_text, "caseworker of round 2", "caseworker of round 1",
                           "largest change of an overall-index coefficient, in SEs",
                           _largest_shift(base, _overall_fits(study, swapped))))

    # age at round 1 instead of round 2
    at1 = study.controls(1).reindex(table["person_id"].astype("str"))
    group = table[["age_18_29", "age_41_65"]].to_numpy()
    differs = int((np.nan_to_num(at1[["age_18_29", "age_41_65"]].to_numpy(), nan=-1) != group).any(axis=1).sum())
    rows.append(OpenChoice("age", "age groups 18-29, 30-40, 41-65 (reference date not said)", "age at round 2",
                           "age at round 1", "persons whose age group differs", counted(differs)))

    # timing controls: one dummy per calendar quarter instead of year and quarter of the year
    timing = [c for c in analysis.controls if c.startswith(("year_", "quarter_"))]
    quarters = timing_dummies(pd.Series(pd.to_datetime(table["round2_on"]).to_numpy()), "year_quarter")
    other = replace(analysis, table=pd.concat([table.drop(columns=timing), quarters.set_axis(table.index)], axis=1),
                    controls=tuple(c for c in analysis.controls if c not in timing) + tuple(quarters.columns))
    rows.append(OpenChoice("timing controls", "dummies for year and quarter (section 4.2.2)",
                           "a dummy per year and per quarter of the year", "a dummy per calendar quarter",
                           "largest change of an overall-index coefficient, in SEs",
                           _largest_shift(base, _overall_fits(study, other))))
    return rows


def open_choices(study: Study, *, varimax: Mapping[str, FactorResult] | None = None) -> OpenChoices:
    """Measure how much each choice the study's text leaves open matters on ``study``.

    Parameters
    ----------
    study : Study
        Its correlation matrices (extraction, number of factors) and analysis table (index
        rule, fixed effect, age, timing controls).
    varimax : mapping of str -> FactorResult, optional
        The pf varimax solutions per item set when already computed (the report's).

    Returns
    -------
    OpenChoices
        Counts resting on 1-4 persons are NaN (the Study's disclosure policy).
    """
    return OpenChoices(tuple(_extraction_rows(study, varimax) + _regression_rows(study)))
