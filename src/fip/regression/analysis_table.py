"""The analysis table of the study's regressions: one row per person with rounds 1 and 2.

Levels are round-1 values, changes are round 2 minus round 1 (items and indices), the controls
are those of the study (VIVE 2020, section 4.2.2), the caseworker is the round-2 caseworker,
and the outcomes are taken over the 6 calendar months after the month of round 2.

Examples
--------
>>> from fip.simulate import simulate_cohort
>>> from fip.regression import build_analysis_table
>>> at = build_analysis_table(simulate_cohort(300, seed=1))
>>> at.outcomes
('emp_rate', 'emp_dummy', 'ord_emp_dummy', 'edu_dummy')
>>> list(at.funnel["step"])[:2]
['persons measured in round 1', 'without a round 2']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fip._options import check_option
from fip.controls import month_ordinal, study_controls
from fip.data import Dataset, Pairing, pair_forms
from fip.indices import IndexDefinition, score_indices
from fip.instrument import Instrument

__all__ = ["AnalysisTable", "OUTCOMES", "OUTCOME_MONTHS", "OUTCOME_WINDOWS", "OutcomeWindow",
           "build_analysis_table", "outcome_window", "timing_dummies"]

#: Outcome columns (keys of ``outcomes_and_controls.outcomes`` in the reference file).
OUTCOMES: tuple[str, ...] = ("emp_rate", "emp_dummy", "ord_emp_dummy", "edu_dummy")
#: Outcome window: calendar months 1..6 after the month of round 2 (footnote 16).
OUTCOME_MONTHS = 6
#: The rounds an outcome window may follow: ``round_2`` is the study's; ``round_1`` is the
#: window a caseworker asks about at intake ("a job within 6 months from now").
OUTCOME_WINDOWS: tuple[str, ...] = ("round_1", "round_2")


@dataclass(frozen=True, eq=False)
class AnalysisTable:
    """Result of :func:`build_analysis_table`.

    Attributes
    ----------
    table : DataFrame
        One row per person in the analysis sample, sorted by ``person_id``: ``person_id``,
        ``caseworker_id`` (round 2), ``round1_on``, ``round2_on`` (dates), ``round2_month``;
        ``<item>_level`` / ``<item>_change`` for every instrument item and
        ``<index>_level`` / ``<index>_change`` for every index (float, NaN where missing);
        the ``controls`` columns (float); the ``outcomes`` columns (float; dummies 0/1).
    funnel : DataFrame
        ``step``, ``n_excluded``, ``n_remaining``: persons measured in round 1, then those
        excluded without a round 2, with an incomplete outcome window, with missing controls.
    instrument : Instrument
    definitions : tuple of IndexDefinition
        The indices in the table.
    controls : tuple of str
        Control columns, in the study's order.
    outcomes : tuple of str
    """

    table: pd.DataFrame
    funnel: pd.DataFrame
    instrument: Instrument
    definitions: tuple[IndexDefinition, ...]
    controls: tuple[str, ...]
    outcomes: tuple[str, ...] = OUTCOMES

    def tidy(self) -> pd.DataFrame:
        """The analysis table itself: one row per person (levels, changes, controls, outcomes)."""
        return self.table.copy()

    def level(self, name: str) -> str:
        """Column of the round-1 level of an item or index."""
        return f"{name}_level"

    def change(self, name: str) -> str:
        """Column of the change (round 2 - round 1) of an item or index."""
        return f"{name}_change"


def _window_outcomes(outcomes: pd.DataFrame, anchor: pd.Series) -> pd.DataFrame:
    """Outcomes over months 1..6 after each person's anchor month (Series of month ordinals)."""
    o = outcomes[outcomes["person_id"].isin(anchor.index)]
    month = o["month"].array.asi8 if isinstance(o["month"].dtype, pd.PeriodDtype) else month_ordinal(o["month"])
    k = month - anchor.reindex(o["person_id"]).to_numpy()
    inside = (k >= 1) & (k <= OUTCOME_MONTHS)
    o = o.loc[inside]
    rate = o["employment_rate"].astype("float64")
    frame = pd.DataFrame({
        "person_id": o["person_id"].to_numpy(),
        "rate": rate.to_numpy(),
        "employed": (rate > 0).astype("float64").where(rate.notna()).to_numpy(),
        "ordinary": o["ordinary_employment"].astype("float64").to_numpy(),
        "education": o["education"].astype("float64").to_numpy(),
    })
    g = frame.groupby("person_id", sort=False)
    counts = g.count()   # non-missing months per variable
    out = pd.DataFrame({
        "emp_rate": g["rate"].mean(),
        "emp_dummy": g["employed"].max(),
        "ord_emp_dummy": g["ordinary"].max(),
        "edu_dummy": g["education"].max(),
    })
    complete = (counts == OUTCOME_MONTHS).all(axis=1)
    return out[complete.reindex(out.index, fill_value=False)]


@dataclass(frozen=True, eq=False)
class OutcomeWindow:
    """Result of :func:`outcome_window`: the outcomes of every person over one window.

    Attributes
    ----------
    table : DataFrame
        Indexed by ``person_id`` (text, sorted): ``caseworker_id`` (of the round the window
        follows), ``measured_on`` (that round's date), ``month`` (its calendar month) and the
        :data:`OUTCOMES` columns (float; dummies 0/1).
    funnel : DataFrame
        ``step``, ``n_excluded``, ``n_remaining``: persons measured in the round, then those
        excluded for an incomplete window.
    after : str
        ``"round_1"`` or ``"round_2"``.
    months : int
        Length of the window in calendar months (:data:`OUTCOME_MONTHS`).
    """

    table: pd.DataFrame
    funnel: pd.DataFrame
    after: str
    months: int = OUTCOME_MONTHS

    def tidy(self) -> pd.DataFrame:
        """The window's table with ``person_id`` as a column."""
        return self.table.reset_index()

    def describe(self, lang: str = "en") -> str:
        """The window in words, e.g. ``"the 6 months after round 1"``."""
        rnd = self.after.split("_")[1]
        if lang == "da":
            return f"de {self.months} måneder efter {rnd}. besvarelse"
        return f"the {self.months} months after round {rnd}"


def outcome_window(dataset: Dataset, pairing: Pairing | None = None, after: str = "round_2") -> OutcomeWindow:
    """Outcomes over the calendar months 1-6 after each person's round 1 or round 2.

    Parameters
    ----------
    dataset : Dataset
        Persons, forms and the monthly outcome panel.
    pairing : Pairing, optional
        ``pair_forms(dataset)`` if not given.
    after : {"round_2", "round_1"}
        The round the window follows. ``round_2`` is the study's window (and that of the
        analysis table); ``round_1`` the window of a prediction made at intake. With
        ``round_1`` a person needs no round 2.

    Returns
    -------
    OutcomeWindow
        Every person measured in that round whose six months are all in the panel.

    Examples
    --------
    >>> from fip.simulate import simulate_cohort
    >>> w = outcome_window(simulate_cohort(300, seed=1), after="round_1")
    >>> w.describe(), list(w.table.columns[:2])
    ('the 6 months after round 1', ['caseworker_id', 'measured_on'])
    """
    check_option("after", after, OUTCOME_WINDOWS)
    if pairing is None:
        pairing = pair_forms(dataset)
    m = pairing.measurements
    rows = m[m["round"] == int(after[-1])]
    rows = rows.assign(person_id=rows["person_id"].astype("str")).drop_duplicates("person_id")
    rows = rows.set_index("person_id").sort_index()
    anchor = pd.Series(rows["month"].array.asi8, index=rows.index)
    window = _window_outcomes(dataset.outcomes.assign(person_id=dataset.outcomes["person_id"].astype("str")), anchor)
    keep = rows.index[rows.index.isin(window.index)]
    table = pd.concat([
        pd.DataFrame({"caseworker_id": pd.array(rows.loc[keep, "caseworker_id"].to_numpy(), dtype="str"),
                      "measured_on": rows.loc[keep, "measured_on"].to_numpy(),
                      "month": rows.loc[keep, "month"].array}, index=keep),
        window.loc[keep, list(OUTCOMES)].astype("float64"),
    ], axis=1)
    table.index.name = "person_id"
    funnel = pd.DataFrame([
        _funnel_row(f"persons measured in round {after[-1]}", None, len(rows)),
        _funnel_row(f"incomplete outcome window ({OUTCOME_MONTHS} months after round {after[-1]})",
                    len(rows) - len(keep), len(keep)),
    ]).astype({"step": "str", "n_excluded": "Int64", "n_remaining": "int64"})
    return OutcomeWindow(table=table, funnel=funnel, after=after)


def _controls(persons: pd.DataFrame, r1_on: pd.Series, r2_on: pd.Series,
              at_round2: pd.DataFrame | None = None) -> pd.DataFrame:
    """The study's controls at round 2 for the persons of ``r2_on`` (index person_id).

    ``at_round2``: :func:`study_controls` already computed at round 2 for these persons (and
    maybe more); its rows are taken instead of coding the controls again.
    """
    out = study_controls(persons, r2_on) if at_round2 is None else at_round2.loc[r2_on.index]
    out["days_between_rounds"] = (pd.to_datetime(r2_on) - pd.to_datetime(r1_on)).dt.days.astype("float64")
    return out


def timing_dummies(r2_on: pd.Series, scheme: str = "year_and_quarter") -> pd.DataFrame:
    """The regressions' timing controls: dummies of the date of round 2 (index kept).

    Parameters
    ----------
    r2_on : Series
        Date of round 2 per person.
    scheme : {"year_and_quarter", "year_quarter"}
        ``year_and_quarter`` (the study's "dummies for år og kvartal", section 4.2.2):
        ``year_<yyyy>`` for every year in the sample but the earliest, and ``quarter_<q>``
        for every quarter of the year (1-4) in the sample but the earliest. ``year_quarter``:
        ``quarter_<yyyy>q<q>`` for every calendar quarter but the earliest.

    Returns
    -------
    DataFrame
        Float 0/1 columns; all zero for the reference period.

    Examples
    --------
    >>> on = pd.Series(pd.to_datetime(["2017-02-01", "2017-08-01", "2018-05-01"]))
    >>> timing_dummies(on).columns.tolist()
    ['year_2018', 'quarter_2', 'quarter_3']
    >>> timing_dummies(on, "year_quarter").columns.tolist()
    ['quarter_2017q3', 'quarter_2018q2']
    """
    d = pd.to_datetime(r2_on)
    if scheme == "year_quarter":
        parts = [("quarter_", d.dt.year.astype(str) + "q" + d.dt.quarter.astype(str))]
    elif scheme == "year_and_quarter":
        parts = [("year_", d.dt.year.astype(str)), ("quarter_", d.dt.quarter.astype(str))]
    else:
        raise ValueError(f"unknown timing scheme {scheme!r}; expected 'year_and_quarter' or 'year_quarter'")
    columns = {f"{prefix}{v}": (label == v).astype("float64")
               for prefix, label in parts for v in sorted(label.dropna().unique())[1:]}
    return pd.DataFrame(columns, index=r2_on.index)


def _funnel_row(step: str, excluded: int | None, remaining: int) -> dict[str, object]:
    return {"step": step, "n_excluded": excluded, "n_remaining": remaining}


def build_analysis_table(
    dataset: Dataset,
    pairing: Pairing | None = None,
    definitions: Sequence[IndexDefinition] | None = None,
    *,
    scores: pd.DataFrame | None = None,
    controls: pd.DataFrame | None = None,
    timing: str | None = None,
) -> AnalysisTable:
    """One row per person with rounds 1 and 2: levels, changes, controls, caseworker, outcomes.

    Parameters
    ----------
    dataset : Dataset
        Persons, forms and the monthly outcome panel.
    pairing : Pairing, optional
        ``pair_forms(dataset)`` if not given (rounds numbered by date).
    definitions : sequence of IndexDefinition, optional
        Indices to score; default: the study's (``configs/indices.yaml``) whose items all
        belong to the dataset's instrument.
    scores : DataFrame, optional
        ``score_indices(pairing.measurements, definitions)`` if already computed (e.g. by
        :class:`fip.study.Study`); one row per row of ``pairing.measurements``, same order.
    controls : DataFrame, optional
        :func:`fip.controls.study_controls` at round 2, indexed by ``person_id`` (text), for
        at least every person with rounds 1 and 2 (e.g. ``Study.controls(2)``).
    timing : {"year_and_quarter", "year_quarter"}, optional
        Timing controls (:func:`timing_dummies`); default ``regression.timing_dummies`` of
        ``configs/study.yaml`` (the study's year and quarter-of-year dummies).

    Returns
    -------
    AnalysisTable
        ``table``, ``funnel`` and the column lists (see :class:`AnalysisTable`).

    Notes
    -----
    * Levels are round-1 values (Table 4.9's "niveauet i første besvarelse"); changes are
      round 2 minus round 1. Missing items stay missing (the regressions delete listwise);
      indices follow :func:`fip.indices.score_indices` (two thirds of items answered).
    * Controls (section 4.2.2; reference category in brackets): ``female`` [male];
      ``origin_eritrea``, ``origin_other`` [Syria; origin text matched case-insensitively,
      Danish "Syrien" too]; ``age_18_29``, ``age_41_65`` [30-40], age = calendar year of
      round 2 minus birth year, open-ended at both ends; ``education_beyond_primary``,
      ``education_none``, ``education_unknown`` [primary]; ``work_experience_no``,
      ``work_experience_unknown`` [yes]; ``months_in_denmark`` (calendar months from the
      arrival month to the round-2 month); ``days_between_rounds`` (between the dates of the
      two measurements); timing dummies of the round-2 date (:func:`timing_dummies`:
      ``year_<yyyy>`` and ``quarter_<q>``, the earliest year and quarter of the year in the
      sample being the references; the report does not name them).
    * Outcomes over the calendar months 1-6 after the month of round 2 (month 0 is the
      measurement month): ``emp_rate`` mean employment rate, ``emp_dummy`` any month with
      employment rate > 0 (wage-subsidy jobs included), ``ord_emp_dummy`` any month in
      ordinary employment, ``edu_dummy`` any month in education. All six months must be in
      the panel with values; otherwise the person is excluded ("incomplete outcome window").
    * The study also kept only measurements made in 2017-2018; filter ``dataset.forms``
      before calling to do the same.

    Examples
    --------
    See the module docstring.
    """
    inst = dataset.instrument
    if pairing is None:
        pairing = pair_forms(dataset)
    if definitions is None:
        from fip.study import fitting_index_definitions

        definitions = fitting_index_definitions(inst)
    definitions = tuple(definitions)
    m = pairing.measurements
    m = m.assign(person_id=m["person_id"].astype("str"))
    if scores is None:
        scores = score_indices(m, definitions)
    elif len(scores) != len(m) or any(d.id not in scores.columns for d in definitions):
        raise ValueError("scores must hold one row per measurement of the pairing and a column per index definition")
    rnd = m["round"].to_numpy()
    r1 = m[m["round"] == 1].set_index("person_id")
    r2 = m[m["round"] == 2].set_index("person_id")
    s1 = scores[rnd == 1].assign(person_id=r1.index).set_index("person_id")
    s2 = scores[rnd == 2].assign(person_id=r2.index).set_index("person_id")
    funnel = [_funnel_row("persons measured in round 1", None, len(r1))]

    both = r1.index.intersection(r2.index).sort_values()
    funnel.append(_funnel_row("without a round 2", len(r1) - len(both), len(both)))
    r1, r2, s1, s2 = r1.loc[both], r2.loc[both], s1.loc[both], s2.loc[both]

    anchor = pd.Series(r2["month"].array.asi8, index=both)
    window = _window_outcomes(dataset.outcomes.assign(person_id=dataset.outcomes["person_id"].astype("str")), anchor)
    keep = both[both.isin(window.index)]
    funnel.append(_funnel_row("incomplete outcome window (6 months after round 2)", len(both) - len(keep), len(keep)))

    controls = _controls(dataset.persons.assign(person_id=dataset.persons["person_id"].astype("str")),
                         r1.loc[keep, "measured_on"], r2.loc[keep, "measured_on"], controls)
    complete = controls.notna().all(axis=1)
    final = keep[complete.to_numpy()]
    funnel.append(_funnel_row("missing controls", len(keep) - len(final), len(final)))
    if timing is None:
        from fip.study_config import study_facts

        timing = study_facts().timing_dummies
    controls = pd.concat([controls.loc[final], timing_dummies(r2.loc[final, "measured_on"], timing)], axis=1)

    cols: dict[str, object] = {
        "person_id": pd.array(final, dtype="str"),
        "caseworker_id": pd.array(r2.loc[final, "caseworker_id"].to_numpy(), dtype="str"),
        "round1_on": r1.loc[final, "measured_on"].to_numpy(),
        "round2_on": r2.loc[final, "measured_on"].to_numpy(),
        "round2_month": r2.loc[final, "month"].array,
    }
    for item in inst.item_ids():
        a = r1.loc[final, item].astype("float64").to_numpy(na_value=np.nan)
        b = r2.loc[final, item].astype("float64").to_numpy(na_value=np.nan)
        cols[f"{item}_level"], cols[f"{item}_change"] = a, b - a
    for d in definitions:
        a = s1.loc[final, d.id].to_numpy(dtype=np.float64)
        b = s2.loc[final, d.id].to_numpy(dtype=np.float64)
        cols[f"{d.id}_level"], cols[f"{d.id}_change"] = a, b - a
    for c in controls.columns:
        cols[c] = controls[c].to_numpy(dtype=np.float64)
    for o in OUTCOMES:
        cols[o] = window.loc[final, o].to_numpy(dtype=np.float64)
    table = pd.DataFrame(cols)
    funnel_frame = pd.DataFrame(funnel).astype({"step": "str", "n_excluded": "Int64", "n_remaining": "int64"})
    return AnalysisTable(
        table=table, funnel=funnel_frame, instrument=inst, definitions=definitions,
        controls=tuple(controls.columns), outcomes=OUTCOMES,
    )
