"""Pair forms into measurements: one form of each measurement respondent, same calendar month.

The study (VIVE 2020, section 4.2.1) kept a citizen form only if the caseworker's form for
the same person was filled in within the same calendar month; such a pair is one
*measurement*, and a person's measurements are numbered by date (rounds 1, 2, ...). The
respondents that make a measurement come from the instrument
(``Instrument.measurement_respondents``), so a three-rater instrument needs three forms.

Examples
--------
>>> import pandas as pd
>>> from fip.instrument import load_instrument
>>> from fip.data.dataset import Dataset
>>> inst = load_instrument()
>>> forms = pd.DataFrame({
...     "person_id": ["a", "a", "a"], "caseworker_id": ["k1", "k1", "k1"],
...     "respondent": ["citizen", "caseworker", "citizen"],
...     "answered_on": pd.to_datetime(["2017-01-05", "2017-01-20", "2017-06-01"]),
...     "language": ["ar", None, "ar"]})
>>> for item in inst.item_ids():
...     forms[item] = pd.array([4, None, 5] if item.startswith("c") else [None, 3, None], dtype="Int64")
>>> p = pair_forms(Dataset(pd.DataFrame(), forms, pd.DataFrame(), inst))
>>> p.measurements[["person_id", "round", "month", "c01", "w01"]]
  person_id  round    month  c01  w01
0         a      1  2017-01    4    3
>>> p.exclusions[["respondent", "reason"]].to_dict("records")
[{'respondent': 'citizen', 'reason': 'no caseworker form in the same month'}]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fip.data.dataset import DATE_DTYPE, INTEGER_DTYPE, MONTH_DTYPE, TEXT_DTYPE, Dataset

__all__ = ["Pairing", "pair_forms"]


@dataclass(frozen=True, eq=False)
class Pairing:
    """Result of :func:`pair_forms`.

    Attributes
    ----------
    measurements : DataFrame
        One row per person and round, sorted by ``person_id`` and ``round``: ``person_id``,
        ``round`` (int), ``month`` (period[M]), ``measured_on`` (earliest form date of the
        measurement), ``days_since_previous`` (Int64; NA in round 1), ``caseworker_id``
        (from the form of ``instrument.caseworker_from``), then for each measurement
        respondent ``r``: ``answered_on_<r>``, ``language_<r>``; ``visitation`` when the
        forms have it (from the ``caseworker_from`` form), likewise ``caseworker_assessment`` and
        ``assessment_reason``; then every item column (Int64),
        each from the form of its own respondent.
    funnel : DataFrame
        Tidy counts ``step``, ``round``, ``respondent``, ``reason``, ``n`` as in the study's
        Tabel 4.2: ``forms`` (forms per respondent by the form's order among that
        person's forms of that respondent), ``paired`` (measurements per round, one row per
        respondent as in the table), ``persons`` (persons with at least ``round``
        measurements) and ``excluded`` (excluded forms per respondent and reason).
    exclusions : DataFrame
        One row per form not used: ``person_id``, ``respondent``, ``answered_on``,
        ``reason``.
    """

    measurements: pd.DataFrame
    funnel: pd.DataFrame
    exclusions: pd.DataFrame

    def tidy(self) -> pd.DataFrame:
        """The funnel (``step``, ``round``, ``respondent``, ``reason``, ``n``): the aggregate of the
        pairing; the person-level rows are :attr:`measurements`."""
        return self.funnel.copy()


def _missing_reason(missing: list[str]) -> str:
    names = missing[0] if len(missing) == 1 else ", ".join(missing[:-1]) + " or " + missing[-1]
    return f"no {names} form in the same month"


def _take_text(values: pd.Series, rows: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``values[rows]`` as a string array (Arrow take; no Python objects)."""
    return pd.array(values, dtype=TEXT_DTYPE).take(np.asarray(rows, dtype=np.intp))


def _within_group_order(*keys: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within runs of equal keys (rows already sorted by the keys)."""
    n = len(keys[0])
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    start = np.ones(n, dtype=bool)
    start[1:] = np.logical_or.reduce([k[1:] != k[:-1] for k in keys])
    idx = np.arange(n)
    first = np.maximum.accumulate(np.where(start, idx, 0))
    return idx - first


def pair_forms(dataset: Dataset) -> Pairing:
    """Pair a dataset's forms into measurements (rounds) and count the funnel.

    Notes
    -----
    * A form of each respondent in ``instrument.measurement_respondents`` for the same
      person in the same calendar month makes one measurement; forms of other respondents
      are ignored.
    * If a respondent has several forms for a person in one month, the latest is kept
      (for equal dates the one later in the table) and the others are excluded.
    * Forms without a partner of every other measurement respondent in the month are
      excluded (e.g. "no caseworker form in the same month"); adjacent months never pair.
    * Rounds are numbered 1, 2, ... by date among each person's measurements.
    * Forms without a person_id or a date (possible only in unvalidated tables) are
      excluded with the reason "no person_id or no date".
    * Vectorised: one sort of the forms, no loop over rows (about 4 s for 3.4 million
      forms).

    Parameters
    ----------
    dataset : Dataset
        Normalised dataset (:func:`fip.data.load_dataset` or the simulator).

    Returns
    -------
    Pairing
        ``measurements``, ``funnel`` and ``exclusions`` (see :class:`Pairing`).

    Examples
    --------
    See the module docstring.
    """
    inst = dataset.instrument
    if not inst.pairs_forms:  # the smallest layout: one measurement per person, nothing to pair
        return _unpaired(dataset)
    resp = list(inst.measurement_respondents)
    k = len(resp)
    forms = dataset.forms
    has_visitation = "visitation" in forms.columns
    in_measure = forms["respondent"].isin(resp).to_numpy(dtype=bool)
    f = forms.loc[in_measure]
    answered = pd.to_datetime(f["answered_on"]).astype(DATE_DTYPE)
    usable = (f["person_id"].notna() & answered.notna()).to_numpy()
    unusable = f.loc[~usable]
    f, answered = f.loc[usable], answered[usable]

    pid_code, pid_uniques = pd.factorize(f["person_id"].astype(TEXT_DTYPE), sort=True)
    resp_code = pd.Categorical(f["respondent"], categories=resp).codes.astype(np.int64)
    date = answered.to_numpy().astype("datetime64[D]").astype(np.int64)
    month_ord = answered.dt.to_period("M").array.asi8
    pos = np.arange(len(f))

    order = np.lexsort((pos, date, resp_code, pid_code))
    pid_s, resp_s, month_s = pid_code[order], resp_code[order], month_ord[order]

    # funnel step "forms": each form's order among the person's forms of that respondent
    form_round = _within_group_order(pid_s, resp_s) + 1

    # keep the latest form of a respondent per person and month
    n = len(order)
    last = np.ones(n, dtype=bool)
    if n > 1:
        last[:-1] = (pid_s[1:] != pid_s[:-1]) | (resp_s[1:] != resp_s[:-1]) | (month_s[1:] != month_s[:-1])
    reason = np.full(n, None, dtype=object)
    for j, r in enumerate(resp):
        reason[~last & (resp_s == j)] = f"a later {r} form for the person in the same month"

    # which respondents are present in each person-month (bit mask), among kept forms
    bits = np.where(last, np.left_shift(1, resp_s), 0)
    present = pd.Series(bits).groupby([pid_s, month_s], sort=False).transform("sum").to_numpy()
    full_mask = (1 << k) - 1
    complete = last & (present == full_mask)
    partial = last & ~complete
    for mask_value in np.unique(present[partial]):
        missing = [r for j, r in enumerate(resp) if not (int(mask_value) >> j) & 1]
        reason[partial & (present == mask_value)] = _missing_reason(missing)

    # measurements: rows of each respondent, aligned on (person, month) by the common sort
    rows_of = {r: order[complete & (resp_s == j)] for j, r in enumerate(resp)}
    base = rows_of[resp[0]]
    m_pid = pid_code[base]
    m_month = month_ord[base]
    dates = {r: answered.to_numpy()[rows_of[r]] for r in resp}
    measured_on = np.minimum.reduce([dates[r] for r in resp]) if k > 1 else dates[resp[0]]
    rnd = _within_group_order(m_pid) + 1
    m = pd.DataFrame(
        {
            "person_id": _take_text(pd.Series(pid_uniques), m_pid),
            "round": rnd.astype(np.int64),
            "month": pd.arrays.PeriodArray(m_month, dtype=MONTH_DTYPE),
            "measured_on": pd.Series(measured_on).astype(DATE_DTYPE).to_numpy(),
        }
    )
    days = pd.Series(measured_on).astype(DATE_DTYPE).diff().dt.days.astype(INTEGER_DTYPE)
    days[rnd == 1] = pd.NA
    m["days_since_previous"] = days.array
    cw_rows = rows_of[inst.caseworker_from]
    m["caseworker_id"] = _take_text(f["caseworker_id"], cw_rows)
    for r in resp:
        m[f"answered_on_{r}"] = dates[r]
        lang = f["language"] if "language" in f.columns else pd.Series(pd.NA, index=f.index)
        m[f"language_{r}"] = _take_text(lang, rows_of[r])
    if has_visitation:
        m["visitation"] = _take_text(f["visitation"], cw_rows)
    for extra in ("caseworker_assessment", "assessment_reason"):   # optional caseworker-form columns
        if extra in f.columns:
            m[extra] = _take_text(f[extra], cw_rows)
    for item in inst.items:
        if item.respondent in rows_of and item.id in f.columns:
            values = f[item.id].iloc[rows_of[item.respondent]].astype(INTEGER_DTYPE).array
        else:
            values = pd.array([pd.NA] * len(m), dtype=INTEGER_DTYPE)
        m[item.id] = values

    # exclusions
    excl_s = ~complete
    ex_rows = order[excl_s]
    exclusions = pd.DataFrame(
        {
            "person_id": _take_text(pd.Series(pid_uniques), pid_s[excl_s]),
            "respondent": pd.array(np.asarray(resp, dtype=object)[resp_s[excl_s]], dtype=TEXT_DTYPE),
            "answered_on": answered.to_numpy()[ex_rows],
            "reason": pd.array(reason[excl_s], dtype=TEXT_DTYPE),
        }
    )
    if len(unusable):
        exclusions = pd.concat(
            [
                exclusions,
                pd.DataFrame(
                    {
                        "person_id": unusable["person_id"].astype(TEXT_DTYPE).to_numpy(),
                        "respondent": unusable["respondent"].astype(TEXT_DTYPE).to_numpy(),
                        "answered_on": pd.to_datetime(unusable["answered_on"]).astype(DATE_DTYPE).to_numpy(),
                        "reason": "no person_id or no date",
                    }
                ).astype({"person_id": TEXT_DTYPE, "respondent": TEXT_DTYPE, "reason": TEXT_DTYPE}),
            ],
            ignore_index=True,
        )
    exclusions["answered_on"] = exclusions["answered_on"].astype(DATE_DTYPE)

    funnel = _funnel(resp, resp_s, form_round, rnd, m_pid, exclusions)
    return Pairing(measurements=m, funnel=funnel, exclusions=exclusions)


def _unpaired(dataset: Dataset) -> Pairing:
    """Measurements of an instrument that does not pair forms (:mod:`fip.data.minimal`)."""
    from fip.data.minimal import minimal_measurements

    m = minimal_measurements(dataset)
    funnel = pd.DataFrame({"step": pd.array([], dtype=TEXT_DTYPE), "round": pd.array([], dtype=INTEGER_DTYPE),
                           "respondent": pd.array([], dtype=TEXT_DTYPE), "reason": pd.array([], dtype=TEXT_DTYPE),
                           "n": np.zeros(0, dtype=np.int64)})
    exclusions = pd.DataFrame({"person_id": pd.array([], dtype=TEXT_DTYPE), "respondent": pd.array([], dtype=TEXT_DTYPE),
                               "answered_on": np.array([], dtype=DATE_DTYPE), "reason": pd.array([], dtype=TEXT_DTYPE)})
    return Pairing(measurements=m, funnel=funnel, exclusions=exclusions)


def _funnel(resp: list[str], resp_s: np.ndarray, form_round: np.ndarray, rnd: np.ndarray,
            m_pid: np.ndarray, exclusions: pd.DataFrame) -> pd.DataFrame:
    parts = []
    forms = pd.DataFrame({"respondent": resp_s, "round": form_round}).value_counts().rename("n").reset_index()
    forms["respondent"] = np.asarray(resp, dtype=object)[forms["respondent"].to_numpy()]
    forms["step"] = "forms"
    forms = forms.sort_values(["round", "respondent"], key=lambda c: c.map(resp.index) if c.name == "respondent" else c)
    parts.append(forms)
    per_round = pd.Series(rnd).value_counts().sort_index()
    paired = pd.DataFrame(
        [{"step": "paired", "round": int(r), "respondent": who, "n": int(c)} for r, c in per_round.items() for who in resp]
    )
    parts.append(paired)
    if len(m_pid):
        n_rounds = np.bincount(np.bincount(m_pid)[np.unique(m_pid)])
        at_least = np.cumsum(n_rounds[::-1])[::-1]
        persons = pd.DataFrame({"step": "persons", "round": np.arange(1, len(at_least)), "n": at_least[1:]})
        parts.append(persons)
    if len(exclusions):
        ex = exclusions.groupby(["respondent", "reason"], sort=False).size().rename("n").reset_index()
        ex["order"] = ex["respondent"].map({r: j for j, r in enumerate(resp)}).fillna(len(resp))
        ex = ex.sort_values(["order", "reason"]).drop(columns="order")
        ex["step"] = "excluded"
        parts.append(ex)
    out = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else pd.DataFrame()
    for col in ("step", "round", "respondent", "reason", "n"):
        if col not in out.columns:
            out[col] = pd.NA
    out = out[["step", "round", "respondent", "reason", "n"]]
    return out.astype({"step": TEXT_DTYPE, "round": INTEGER_DTYPE, "respondent": TEXT_DTYPE,
                       "reason": TEXT_DTYPE, "n": np.int64}).reset_index(drop=True)
