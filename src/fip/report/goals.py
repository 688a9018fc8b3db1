"""Programme goals per calendar quarter: the shares municipalities track (for the status note).

The municipalities of the FIP programme followed three goals every quarter: the share of
citizens who are job-ready, the share in company-based activation and the share who are
self-supporting or in education (``shared/users.md``). A FIP dataset holds what is needed for
approximations of two of them; this module computes them per person, so that
:func:`fip.report.status_note` can show shares beside all municipalities with the same
suppression rules as every other figure.

Definitions (one row per person and quarter)
-------------------------------------------
* ``job_ready``: the caseworker's visitation category (``forms.visitation``) at the
  person's latest measurement in the quarter; 1 = job-ready (*jobparat*), 0 =
  activity-ready (*aktivitetsparat*); missing when the person was not measured in the
  quarter or the category is unknown.
* ``employed``, ``ordinary_employed``, ``in_education``: from the monthly register panel
  (``outcomes``) of persons measured at least once on or before the quarter's last day
  whose panel covers all three months of the quarter; 1 when at least one month of the
  quarter has employment (``employment_rate`` > 0), ordinary (unsubsidised) employment,
  or education. The programme's register rule (self-supporting: at least 5 of 13 weeks of
  the quarter without public benefit) needs weekly benefit data that a FIP dataset does not
  hold, so these are approximations, named as such in the note.
* Company-based activation is not in a FIP dataset and is left out.

Examples
--------
>>> import pandas as pd
>>> from fip.simulate import simulate_cohort
>>> goals = quarter_goals(simulate_cohort(seed=0), pd.Period("2018Q2"))
>>> sorted(goals.columns)
['employed', 'in_education', 'job_ready', 'municipality', 'ordinary_employed', 'person_id']
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
import pandas as pd

from fip._membership import isin
from fip.data import pair_forms
from fip.messages import languages, section

__all__ = ["GOALS", "quarter_goals"]

#: Goal id -> label per language (the note's rows; texts from section ``goals`` of the
#: message catalogues, configs/messages/<lang>.yaml).
GOALS: Mapping[str, Mapping[str, str]] = MappingProxyType({
    goal: MappingProxyType({lang: section(lang, "goals")[goal] for lang in languages()})
    for goal in ("job_ready", "employed", "ordinary_employed", "in_education")})


def quarter_goals(dataset, quarter: pd.Period, measurements: pd.DataFrame | None = None) -> pd.DataFrame:
    """The goal indicators of one quarter, one row per person in its population.

    Parameters
    ----------
    dataset : Dataset
        Persons (``municipality``), forms (optional ``visitation``) and outcomes.
    quarter : pandas.Period
        A quarterly period.
    measurements : DataFrame, optional
        ``pair_forms(dataset).measurements`` if already computed.

    Returns
    -------
    DataFrame
        ``person_id``, ``municipality`` and the :data:`GOALS` as floats (1, 0 or NaN where
        the person is outside that goal's population); persons outside every population
        are left out.
    """
    m = pair_forms(dataset).measurements if measurements is None else measurements
    place = dataset.persons.drop_duplicates("person_id").set_index("person_id")["municipality"].astype(str)
    measured_in = m["measured_on"].dt.to_period("Q")

    # job-ready: the latest measurement in the quarter with a known category
    in_q = m[measured_in == quarter]
    latest = in_q.sort_values(["person_id", "round"]).drop_duplicates("person_id", keep="last")
    if "visitation" in latest.columns:
        code = latest["visitation"].astype("string")   # a missing category is <NA>: compare as False
        job = code.eq("job_ready").fillna(False).to_numpy(dtype=bool)
        activity = code.eq("activity_ready").fillna(False).to_numpy(dtype=bool)
        ready = pd.Series(np.where(job, 1.0, np.where(activity, 0.0, np.nan)),
                          index=latest["person_id"].to_numpy())
    else:
        ready = pd.Series(np.nan, index=latest["person_id"].to_numpy())

    # register goals: persons measured by the quarter's end with all three months in the panel
    measured = set(m.loc[measured_in <= quarter, "person_id"])
    months = pd.period_range(quarter.asfreq("M", "start"), quarter.asfreq("M", "end"), freq="M")
    outcomes = dataset.outcomes
    panel = outcomes[outcomes["month"].isin(months).to_numpy(dtype=bool) & isin(outcomes["person_id"], measured)]
    covered = panel.groupby("person_id")["month"].nunique()
    panel = panel[isin(panel["person_id"], covered.index[covered == len(months)])]
    register = pd.DataFrame({
        "employed": (panel["employment_rate"].astype("float64") > 0).groupby(panel["person_id"]).any(),
        "ordinary_employed": panel["ordinary_employment"].astype(bool).groupby(panel["person_id"]).any(),
        "in_education": panel["education"].astype(bool).groupby(panel["person_id"]).any(),
    }).astype("float64")

    people = sorted(set(ready.index) | set(register.index))
    out = pd.DataFrame({"person_id": people})
    out["municipality"] = out["person_id"].map(place)
    out["job_ready"] = out["person_id"].map(ready).astype("float64")
    for goal in register.columns:
        out[goal] = out["person_id"].map(register[goal]).astype("float64")
    return out
