"""The study's factor analyses (VIVE 2020, section 4.6) on a FIP dataset, beside the report.

The study ran Stata ``factor`` (principal factor) on the round-1 measurements of the citizen
items, the caseworker items and all 22 items, unrotated and with ``rotate`` (varimax), and
kept 3, 4 and 6 factors. :func:`compare_with_study` runs the same analysis on any set of
measurements and lines the result up with Tables 4.7/4.8 and the statements about the
unrotated solutions.

Examples
--------
>>> from fip.simulate import simulate_cohort
>>> from fip.data import pair_forms
>>> ds = simulate_cohort(seed=0)
>>> cmp = compare_with_study(pair_forms(ds).measurements, ds.instrument, "caseworker")
>>> cmp.result.n_factors, bool(cmp.congruence["congruence"].min() > 0.95)
(4, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from fip._options import check_option
from fip.factors.diagnostics import tucker_congruence
from fip.factors.result import FactorResult, factor_analysis
from fip.instrument import Instrument
from fip.study_config import study_facts

__all__ = ["StudyComparison", "compare_with_study", "STUDY_FACTORS"]

#: Factors the study kept per item set (Tables 4.7 and 4.8, section 4.6.3; ``configs/study.yaml``).
STUDY_FACTORS: dict[str, int] = dict(study_facts().factors)


@dataclass(frozen=True)
class StudyComparison:
    """Our solution beside the published one.

    Attributes
    ----------
    result : FactorResult
        Our factor solution.
    loadings : DataFrame
        One row per item and factor: ``item``, ``factor``, ``loading``; where the report
        prints loadings also ``published_factor``, ``published``, ``difference``.
    congruence : DataFrame
        Per published factor: ``factor`` (ours, best match), ``published_factor``, ``sign``,
        ``congruence`` (Tucker's phi, absolute); empty when nothing is published.
    statements : DataFrame
        ``statement``, ``published``, ``ours``, ``difference`` (ours minus a printed
        number; NaN for "over 4") and ``holds`` (ours is over the bound, or equals the
        printed share at its two printed decimals) for the unrotated solution (first
        eigenvalue, its share of variance); empty when the report states nothing.
    """

    result: FactorResult
    loadings: pd.DataFrame
    congruence: pd.DataFrame
    statements: pd.DataFrame

    def tidy(self) -> pd.DataFrame:
        """The long loadings beside the published ones (:attr:`loadings`)."""
        return self.loadings.copy()

    def published_wide(self) -> pd.DataFrame | None:
        """The published loadings in our layout, or None where the report prints none.

        Items as rows (ours, in order), one column per our factor holding the matched
        published factor's loadings (sign aligned), named after the published factor; the
        ``published`` argument of :func:`fip.report.figures.plot_loadings_heatmap`.
        """
        tidy = self.loadings
        if "published" not in tidy.columns or tidy["published"].isna().all():
            return None
        ours = self.result.loadings
        names = tidy.drop_duplicates("factor").set_index("factor")["published_factor"]
        table = tidy.pivot(index="item", columns="factor", values="published")[list(ours.columns)]
        return table.reindex(ours.index).rename(columns=names.to_dict()).rename_axis(index="item", columns=None)


def _items(instrument: Instrument, respondent: str) -> list[str]:
    if respondent == "both":
        return list(instrument.item_ids())
    return list(instrument.item_ids(respondent))


def compare_with_study(
    measurements: pd.DataFrame | None,
    instrument: Instrument,
    respondent: str = "citizen",
    *,
    method: str = "pf",
    rotation: str | None = "varimax",
    n_factors: int | None = None,
    round_: int = 1,
    correlation: pd.DataFrame | None = None,
    n_obs: int | None = None,
) -> StudyComparison:
    """Run the study's factor analysis on ``measurements`` and compare with the report.

    Parameters
    ----------
    measurements : DataFrame or None
        ``pair_forms(...).measurements`` (one row per person and round); ``None`` when
        ``correlation`` is given.
    instrument : Instrument
    respondent : {"citizen", "caseworker", "both"}
        Item set; ``both`` = all items of the instrument.
    method, rotation
        As in :func:`fip.factors.factor_analysis`; the study: ``pf`` and ``varimax``
        (unnormalised, Stata's default) or no rotation.
    n_factors : int, optional
        Default: the study's number (3, 4, 6) for the FIP instrument with a rotation, else
        Stata's default retention (positive eigenvalues for ``pf``).
    round_ : int
        Round analysed (the study: round 1).
    correlation : DataFrame, optional
        The correlation matrix of the item set in round ``round_`` if already computed
        (e.g. ``Study.correlation(respondent).correlation``); ``measurements`` is then not
        read. The same numbers as from the measurements (listwise Pearson).
    n_obs : int, optional
        Rows behind ``correlation`` (reported as ``result.n_obs``).

    Returns
    -------
    StudyComparison
    """
    check_option("respondent", respondent, ("citizen", "caseworker", "both"))
    is_fip = instrument.id == "fip"
    if n_factors is None and rotation is not None and is_fip:
        n_factors = STUDY_FACTORS[respondent]
    items = _items(instrument, respondent)
    if correlation is not None:
        data = correlation.loc[items, items]
    elif measurements is None:
        raise ValueError("give measurements or a correlation matrix")
    else:
        data = measurements.loc[measurements["round"] == round_, items].astype("float64")
    result = factor_analysis(data, n_factors=n_factors, method=method, rotation=rotation,
                             n_obs=n_obs if correlation is not None else None)
    tidy = result.loadings.rename_axis("item").reset_index().melt(
        id_vars="item", var_name="factor", value_name="loading")
    congruence = pd.DataFrame(columns=["factor", "published_factor", "sign", "congruence"])
    statements = pd.DataFrame(columns=["statement", "published", "ours", "difference", "holds"])
    tables = study_facts().published_tables
    if is_fip and respondent in tables and rotation is not None:
        from fip.published import published_loadings

        published = published_loadings(tables[respondent])
        match = tucker_congruence(result.loadings, published)
        congruence = match.rename(columns={"factor_a": "factor", "factor_b": "published_factor"})
        mapping = dict(zip(congruence["factor"], zip(congruence["published_factor"], congruence["sign"])))
        tidy["published_factor"] = tidy["factor"].map(lambda f: mapping.get(f, (None, 1))[0])
        tidy["published"] = [
            published.loc[item, pf] * mapping[f][1] if pf is not None else float("nan")
            for item, f, pf in zip(tidy["item"], tidy["factor"], tidy["published_factor"])
        ]
        tidy["difference"] = tidy["loading"] - tidy["published"]
    if is_fip and rotation is None:
        from fip.published import published_unrotated

        said = published_unrotated(respondent)
        if said is not None:
            first = result.variance.iloc[0]
            eigenvalue, proportion = float(first["eigenvalue"]), float(first["proportion"])
            statements = pd.DataFrame({
                "statement": ["first eigenvalue", "first factor's proportion of variance"],
                "published": [f"over {said['first_eigenvalue_over']:g}", f"{said['first_proportion']:.2f}"],
                "ours": [eigenvalue, proportion],
                "difference": [float("nan"), proportion - said["first_proportion"]],
                "holds": [eigenvalue > said["first_eigenvalue_over"],
                          f"{proportion:.2f}" == f"{said['first_proportion']:.2f}"],
            })
    return StudyComparison(result=result, loadings=tidy, congruence=congruence, statements=statements)
