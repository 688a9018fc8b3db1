"""Employment and education month by month after round 2 (the study's Figures 4.13-4.15).

For the persons of the regression sample (:attr:`fip.study.Study.analysis`), month ``k``
(1-6) after the month of round 2: the mean employment rate, the shares with any employment,
with ordinary employment, in a wage-subsidy job (employed, not in ordinary employment) and in
education, in percent, by gender and for all. The study's text quotes some of them (employment
rate 6 % in month 1 and 14 % in month 6; in month 6 men 25 %, women 4 %; ...), which
:mod:`fip.statements` checks.

Examples
--------
>>> from fip.simulate import simulate_cohort
>>> from fip.study import Study
>>> paths = outcome_paths(Study(simulate_cohort(seed=0), until="2018-12-31"))
>>> paths.columns.tolist()[:4], sorted(paths["month"].unique().tolist())
(['gender', 'month', 'n', 'employment_rate'], [1, 2, 3, 4, 5, 6])
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from fip.controls import month_ordinal
from fip.disclosure import DisclosurePolicy, resolve_policy
from fip.regression.analysis_table import OUTCOME_MONTHS

if TYPE_CHECKING:
    from fip.study import Study

__all__ = ["MEASURES", "outcome_paths"]

#: Measures of :func:`outcome_paths`, in percent of the persons with the month in the panel.
MEASURES: tuple[str, ...] = ("employment_rate", "any_employment", "ordinary_employment", "wage_subsidy", "education")


def outcome_paths(study: Study, policy: DisclosurePolicy | None | str = "study") -> pd.DataFrame:
    """Monthly outcomes after round 2 of the regression sample, by gender and for all (percent).

    Parameters
    ----------
    study : Study
        Its :attr:`~fip.study.Study.analysis` gives the persons and their round-2 months;
        ``study.dataset.outcomes`` the monthly panel.
    policy : DisclosurePolicy, None or "study"
        Small-cell rule: a row resting on 1-4 persons is blanked; so are both genders' rows of
        a month where one gender, or the persons of neither gender, are 1-4 (a shown row and
        "all" would give them by subtraction);
        ``"study"`` (default) the Study's policy, None none.

    Returns
    -------
    DataFrame
        ``gender`` (``female``, ``male``, ``all``), ``month`` (1-6 after round 2), ``n``
        (persons with the month in the panel; NA where blanked), the :data:`MEASURES` in
        percent and ``suppressed``.
    """
    policy = study.policy if isinstance(policy, str) and policy == "study" else resolve_policy(policy)
    table = study.analysis.table
    anchor = pd.Series(np.asarray(table["round2_month"].array.asi8 if isinstance(
        table["round2_month"].dtype, pd.PeriodDtype) else month_ordinal(table["round2_month"])),
        index=table["person_id"].astype("str").to_numpy())
    outcomes = study.dataset.outcomes
    o = outcomes[outcomes["person_id"].astype("str").isin(anchor.index)]
    month = o["month"].array.asi8 if isinstance(o["month"].dtype, pd.PeriodDtype) else month_ordinal(o["month"])
    k = month - anchor.reindex(o["person_id"].astype("str")).to_numpy()
    inside = (k >= 1) & (k <= OUTCOME_MONTHS)
    o, k = o.loc[inside], k[inside]
    rate = o["employment_rate"].astype("float64").to_numpy()
    ordinary = o["ordinary_employment"].astype("float64").to_numpy()
    employed = np.where(np.isnan(rate), np.nan, (rate > 0).astype("float64"))
    persons = study.dataset.persons.assign(person_id=study.dataset.persons["person_id"].astype("str"))
    gender = persons.drop_duplicates("person_id").set_index("person_id")["gender"].astype("string")
    frame = pd.DataFrame({
        "gender": gender.reindex(o["person_id"].astype("str")).to_numpy(),
        "month": k.astype("int64"),
        "employment_rate": 100 * rate,
        "any_employment": 100 * employed,
        "ordinary_employment": 100 * ordinary,
        "wage_subsidy": 100 * np.where(np.isnan(employed) | np.isnan(ordinary), np.nan,
                                       ((employed > 0) & (ordinary == 0)).astype("float64")),
        "education": 100 * o["education"].astype("float64").to_numpy(),
    })
    parts = [frame[frame["gender"].isin(["female", "male"])], frame.assign(gender="all")]
    grouped = pd.concat(parts).groupby(["gender", "month"], sort=True)
    out = grouped[list(MEASURES)].mean().reset_index()
    out.insert(2, "n", grouped.size().to_numpy())
    out["n"] = out["n"].astype("Int64")
    out["suppressed"] = False
    if policy is not None:
        n = out.pivot(index="month", columns="gender", values="n").reindex(columns=["female", "male", "all"])
        n = n.fillna(0).astype("int64")
        others = n["all"] - n["female"] - n["male"]   # persons of neither listed gender
        # a small gender, or a small rest that all - female - male would show, blanks both genders
        blank = policy.is_small(n["female"]) | policy.is_small(n["male"]) | policy.is_small(others)
        months = set(n.index[blank.to_numpy()])
        small = (out["gender"] != "all") & out["month"].isin(months)
        small |= policy.is_small(out["n"].astype("int64"))
        out.loc[small, list(MEASURES)] = np.nan
        out["n"] = out["n"].mask(small)
        out["suppressed"] = small.to_numpy()
    order = {"female": 0, "male": 1, "all": 2}
    return out.sort_values(["gender", "month"], key=lambda c: c.map(order) if c.name == "gender" else c,
                           ignore_index=True)
